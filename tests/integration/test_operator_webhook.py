"""The operator's admission webhook over real HTTPS: started with ``KONFIGURU_WEBHOOK_PORT`` on
loopback with its self-signed certificate, it puts its CA into the webhook configuration (served
here by the emulator, as the API server would hold it), and an AdmissionReview POSTed with that
CA as the only trust is answered as ``konfiguru validate`` answers, policy included."""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import time
import urllib.request
from typing import Any

import yaml
from operator_process import free_port

import kfgtest
from konfiguru_operator.certs import Issued, issue

NAME = "konfiguru-webhook"
VWC = f"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{NAME}"
POLICY = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "Policy",
    "metadata": {"name": "platform"},
    "spec": {"allowedRegistries": ["ghcr.io/acme/"]},
}


def admission_review(obj: dict[str, Any], uid: str) -> bytes:
    request = {"uid": uid, "operation": "CREATE", "userInfo": {"username": "alice"},
               "kind": {"group": "konfiguru.io", "version": "v1alpha1", "kind": obj["kind"]},
               "resource": {"group": "konfiguru.io", "version": "v1alpha1", "resource": "apps"},
               "object": obj}  # fmt: skip
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    return json.dumps(review).encode()


def post(port: int, body: bytes, context: ssl.SSLContext) -> dict[str, Any]:
    request = urllib.request.Request(
        f"https://localhost:{port}/validate.konfiguru.io",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


def test_the_webhook_answers_over_https_with_the_clis_message_and_its_ca_injected(
    emulator, operator_factory, tmp_path
):
    emulator.handler[f"get {VWC}"] << {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": NAME, "resourceVersion": "7"},
        "webhooks": [{"name": "validate.konfiguru.io", "clientConfig": {}}],
    }
    patches = emulator.handler[f"patch {VWC}"]
    patches << {}
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(POLICY))
    port = free_port()
    operator = operator_factory(
        KONFIGURU_WEBHOOK_PORT=str(port),
        KONFIGURU_WEBHOOK_ADDRESS="127.0.0.1",
        KONFIGURU_WEBHOOK_HOSTS="localhost,127.0.0.1",
        KONFIGURU_WEBHOOK_CONFIGURATION=NAME,
        KONFIGURU_POLICY_FILE=str(policy_file),
    )
    deadline = time.monotonic() + 30
    while not list(patches) and time.monotonic() < deadline:
        time.sleep(0.1)
    (patch,) = list(patches)
    ops = json.loads(patch.body)
    assert ops[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "7"}
    assert ops[1]["path"] == "/webhooks/0/clientConfig/caBundle"
    # The injected bundle is the only trust: a certificate it does not vouch for would fail.
    context = ssl.create_default_context(cadata=base64.b64decode(ops[1]["value"]).decode())

    source = kfgtest.FIXTURES / "bad" / "app-schedule-range-backwards.kfg.yaml"
    (bad,) = kfgtest.documents(source)
    refused = post(port, admission_review(bad, "r1"), context)["response"]
    _, _, err = kfgtest.run_cli("validate", "-f", str(source))
    assert refused["uid"] == "r1" and refused["allowed"] is False
    assert refused["status"]["code"] == 422
    assert f"{refused['status']['message']}" == err.splitlines()[0].split(": ", 1)[1]
    assert [c["field"] for c in refused["status"]["details"]["causes"]] == [
        "spec.schedules[0].schedule"
    ]

    good = {"apiVersion": "konfiguru.io/v1alpha1", "kind": "App", "metadata": {"name": "web"},
            "spec": {"image": "ghcr.io/acme/web:1.0.0"}}  # fmt: skip
    assert post(port, admission_review(good, "g1"), context)["response"] == {
        "uid": "g1",
        "allowed": True,
    }
    elsewhere = {**good, "spec": {"image": "docker.io/evil/web:1.0.0"}}
    status = post(port, admission_review(elsewhere, "p1"), context)["response"]["status"]
    assert status["message"].startswith("App web: policy allowedRegistries: ")
    metrics = operator.metrics()
    assert metrics["konfiguru_admission_reviews_total"] == 3
    assert metrics["konfiguru_admission_refusals_total"] == 2


def test_a_mounted_certificate_is_served_and_a_renewed_one_picked_up(operator_factory, tmp_path):
    """cert-manager mode: the operator serves tls.crt/tls.key from KONFIGURU_WEBHOOK_CERT_DIR
    and, when the files are replaced (the kubelet refreshing a renewed Secret), the new ones."""
    directory = tmp_path / "tls"
    directory.mkdir()

    def mount(issued: Issued) -> None:
        (directory / "tls.key").write_bytes(issued.key)
        (directory / "tls.crt").write_bytes(issued.cert)
        (directory / "ca.crt").write_bytes(issued.ca)

    now = datetime.datetime.now(datetime.UTC)
    first, renewed = issue(["localhost"], now), issue(["localhost"], now)
    mount(first)
    port = free_port()
    operator_factory(
        KONFIGURU_WEBHOOK_PORT=str(port),
        KONFIGURU_WEBHOOK_ADDRESS="127.0.0.1",
        KONFIGURU_WEBHOOK_CERT_DIR=str(directory),
    )
    good = {"apiVersion": "konfiguru.io/v1alpha1", "kind": "App", "metadata": {"name": "web"},
            "spec": {"image": "ghcr.io/acme/web:1.0.0"}}  # fmt: skip

    def answered_trusting(ca: bytes) -> bool:
        context = ssl.create_default_context(cadata=ca.decode())
        try:
            return bool(post(port, admission_review(good, "c1"), context)["response"]["allowed"])
        except (OSError, ssl.SSLError):
            return False

    deadline = time.monotonic() + 30
    while not answered_trusting(first.ca) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answered_trusting(first.ca) and not answered_trusting(renewed.ca)
    mount(renewed)
    deadline = time.monotonic() + 30  # Kopf's server looks at the files every few seconds
    while not answered_trusting(renewed.ca) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answered_trusting(renewed.ca) and not answered_trusting(first.ca)
