"""The admission webhook answers an AdmissionReview exactly as ``konfiguru validate`` would.

``webhook.review`` is the function the operator's HTTPS endpoint calls; here it is given
AdmissionReview JSON directly. The bad specs are the repository's ``tests/fixtures/bad`` cases,
in particular those the CRD schema and rules admit (the README's "Which checks run where" rows
that do not run at admission): the webhook must refuse each with the CLI's message and field
paths, and admit every example.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators import policy
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.schema import default_and_check
from konfiguru_operator import certs, webhook
from konfiguru_operator.settings import Settings
from konfiguru_operator.webhook import ReviewError, ca_bundle_patch, review

BAD = [
    path
    for path in sorted((kfgtest.FIXTURES / "bad").glob("*.kfg.yaml"))
    if kfgtest.documents(path)[0].get("kind") in REGISTRY
]
# The built-in kinds' examples and the EdgeDevice plugin's (a kind from an entry point).
EXAMPLES = sorted(
    [
        *(kfgtest.ROOT / "examples").rglob("*.kfg.yaml"),
        *(kfgtest.ROOT / "plugins").rglob("examples/*.kfg.yaml"),
    ]
)
EXAMPLES = [p for p in EXAMPLES if "envs" not in p.parts]


def admission_review(
    obj: Any, operation: str = "CREATE", uid: str = "7d3c", old: Any = None
) -> dict[str, Any]:
    """An AdmissionReview as the API server sends it (the fields the webhook reads, and some)."""
    return json.loads(
        json.dumps(
            {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {
                    "uid": uid,
                    "kind": {"group": "konfiguru.io", "version": "v1alpha1", "kind": obj["kind"]},
                    "resource": {
                        "group": "konfiguru.io",
                        "version": "v1alpha1",
                        "resource": obj["kind"].lower() + "s",
                    },
                    "name": obj["metadata"]["name"],
                    "namespace": "default",
                    "operation": operation,
                    "userInfo": {"username": "alice"},
                    "object": obj,
                    "oldObject": old,
                    "dryRun": False,
                },
            }
        )
    )


def crd_refuses(document: dict[str, Any]) -> bool:
    """Whether the API server's own check (the CRD schema and CEL rules) refuses it."""
    schema = REGISTRY[document["kind"]].schema()["properties"]["spec"]
    return bool(default_and_check(schema, copy.deepcopy(document.get("spec") or {}), "spec"))


def cli_errors(path: Path) -> list[str]:
    """``konfiguru validate -f PATH``'s error lines, without their ``file:line:col: `` prefix."""
    code, _, err = kfgtest.run_cli("validate", "-f", str(path))
    assert code == 1
    lines = [line for line in err.splitlines() if not line.endswith("are invalid")]
    return [line.split(": ", 1)[1] for line in lines]


def test_a_spec_the_crds_admit_but_validate_refuses_is_refused_with_the_clis_message() -> None:
    admitted_by_crd = [p for p in BAD if not crd_refuses(kfgtest.documents(p)[0])]
    names = {p.name.removesuffix(".kfg.yaml") for p in admitted_by_crd}
    # The rows of "Which checks run where" that do not run at admission, each by a fixture.
    assert {
        "app-schedule-range-backwards",
        "app-memory-limit-below-request",
        "app-bad-name",
        "database-parameter-not-a-value",
    } <= names
    for path in admitted_by_crd:
        (document,) = kfgtest.documents(path)
        response = review(admission_review(document))["response"]
        assert response["allowed"] is False, path.name
        status = response["status"]
        assert status["code"] == 422 and status["reason"] == "Invalid"
        head = status["message"].split(": ", 1)[0]  # "App shop/web", as the CLI names it
        causes = [f"{head}: {cause['message']}" for cause in status["details"]["causes"]]
        assert causes == cli_errors(path), path.name


@pytest.mark.parametrize("path", BAD, ids=[p.name.removesuffix(".kfg.yaml") for p in BAD])
def test_every_bad_spec_is_refused_at_the_fields_validate_names(path: Path) -> None:
    (document,) = kfgtest.documents(path)
    response = review(admission_review(document))["response"]
    assert response["allowed"] is False
    fields = [cause["field"] for cause in response["status"]["details"]["causes"]]
    expected = [line.split(": ", 2)[1] for line in cli_errors(path)]
    assert fields == expected


def test_memory_5gb_and_hour_25_are_refused_with_path_value_and_hint() -> None:
    web = {"apiVersion": "konfiguru.io/v1alpha1", "kind": "App",
           "metadata": {"name": "web", "namespace": "shop"}}  # fmt: skip
    memory = {**web, "spec": {"image": "nginx", "resources": {"memory": "5GB"}}}
    response = review(admission_review(memory))["response"]
    assert response["status"]["message"] == (
        'App shop/web: spec.resources.memory: "5GB" is not a Kubernetes quantity;'
        ' did you mean "5G" or "5Gi"?'
    )
    assert response["status"]["details"]["causes"][0]["field"] == "spec.resources.memory"
    hour = {
        **web,
        "spec": {"image": "nginx", "schedules": [{"name": "n", "schedule": "0 25 * * *"}]},
    }
    status = review(admission_review(hour, "UPDATE"))["response"]["status"]
    assert status["details"]["causes"][0]["field"] == "spec.schedules[0].schedule"
    assert 'the hour field "25" must use numbers 0-23' in status["message"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_example_is_admitted(path: Path) -> None:
    for document in kfgtest.documents(path):
        answer = review(admission_review(document, uid="e1"))
        assert answer == {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {"uid": "e1", "allowed": True},
        }


def test_a_policy_violation_is_refused_with_the_rule_as_the_cli_says_it(tmp_path: Path) -> None:
    platform = yaml.safe_load((kfgtest.ROOT / "policies" / "platform.yaml").read_text())
    checks = policy.compile_policy(platform)
    app = {"apiVersion": "konfiguru.io/v1alpha1", "kind": "App",
           "metadata": {"name": "web"}, "spec": {"image": "evil.io/web:latest"}}  # fmt: skip
    source = tmp_path / "web.kfg.yaml"
    source.write_text(yaml.safe_dump(app))
    code, _, err = kfgtest.run_cli(
        "validate", "-f", str(source), "--policy", str(kfgtest.ROOT / "policies/platform.yaml")
    )
    assert code == 1
    cli = [line.split(": ", 1)[1] for line in err.splitlines() if ": policy " in line]
    status = review(admission_review(app), checks)["response"]["status"]
    assert [cause["message"] for cause in status["details"]["causes"]] == cli
    assert {"allowedRegistries", "forbidLatestTag"} <= {line.split()[1].rstrip(":") for line in cli}
    assert review(admission_review(app))["response"]["allowed"] is True  # no policy, no rule


def test_deletes_deleting_objects_and_unknown_kinds_are_admitted() -> None:
    (bad,) = kfgtest.documents(kfgtest.FIXTURES / "bad" / "app-schedule-range-backwards.kfg.yaml")
    assert review(admission_review(bad, "DELETE"))["response"]["allowed"] is True
    leaving = copy.deepcopy(bad)
    leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert review(admission_review(leaving, "UPDATE"))["response"]["allowed"] is True
    other = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    response = review(admission_review(other))["response"]
    assert (
        response["allowed"] is True and "not a kind this operator knows" in response["warnings"][0]
    )


@pytest.mark.parametrize("request_", [None, [], {"request": None}, {"request": {"uid": ""}}])
def test_a_request_that_is_no_admission_review_is_an_error_not_an_answer(request_: Any) -> None:
    with pytest.raises(ReviewError):
        review(request_)


def test_the_ca_bundle_patch_sets_every_webhook_and_is_guarded_by_the_resource_version() -> None:
    configuration = {
        "metadata": {"resourceVersion": "41"},
        "webhooks": [{"name": "a", "clientConfig": {}}, {"name": "b", "clientConfig": {}}],
    }
    patch = ca_bundle_patch(configuration, b"PEM")
    assert patch == [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "41"},
        {"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "UEVN"},
        {"op": "add", "path": "/webhooks/1/clientConfig/caBundle", "value": "UEVN"},
    ]
    for hook in configuration["webhooks"]:
        hook["clientConfig"]["caBundle"] = "UEVN"
    assert ca_bundle_patch(configuration, b"PEM") == []  # already there: no write


def test_a_certificate_that_cannot_be_loaded_is_retried_until_it_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key and certificate caught mid-replacement (or not there yet) do not end the webhook:
    it serves as soon as a usable pair is in place."""
    monkeypatch.setattr(webhook, "FILE_CHECK_SECONDS", 0.05)
    issued, other = certs.issue(["localhost"], certs.utcnow()), certs.issue(["x"], certs.utcnow())
    (tmp_path / "tls.crt").write_bytes(issued.cert)
    (tmp_path / "tls.key").write_bytes(other.key)  # not the certificate's key
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(webhook_port=port, webhook_address="127.0.0.1",
                        webhook_cert_dir=str(tmp_path))  # fmt: skip
    context = ssl.create_default_context(cadata=issued.ca.decode())

    async def scenario() -> dict[str, Any]:
        task = asyncio.create_task(webhook.serve(settings, review, None))
        try:
            await asyncio.sleep(0.3)
            assert not task.done()  # still trying, not dead
            (tmp_path / "tls.key").write_bytes(issued.key)
            body = json.dumps(admission_review({"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"name": "x"}}))  # fmt: skip
            for _ in range(100):
                try:
                    reader, writer = await asyncio.open_connection(
                        "127.0.0.1", port, ssl=context, server_hostname="localhost"
                    )
                except OSError:
                    await asyncio.sleep(0.05)
                    continue
                request = (f"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type:"
                           f" application/json\r\nContent-Length: {len(body)}\r\n"
                           f"Connection: close\r\n\r\n{body}")  # fmt: skip
                writer.write(request.encode())
                answer = (await reader.read()).decode()
                writer.close()
                return dict(json.loads(answer.split("\r\n\r\n", 1)[1]))
            raise AssertionError("the webhook never served")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    answer = asyncio.run(scenario())
    assert answer["response"]["allowed"] is True


def test_an_update_that_leaves_an_invalid_spec_alone_is_admitted_with_its_problems_as_warnings():
    (bad,) = kfgtest.documents(kfgtest.FIXTURES / "bad" / "app-schedule-range-backwards.kfg.yaml")
    labelled = copy.deepcopy(bad)
    labelled["metadata"]["labels"] = {"team": "web"}
    response = review(admission_review(labelled, "UPDATE", old=bad))["response"]
    assert response["allowed"] is True
    (warning,) = response["warnings"]
    assert warning.startswith(
        "konfiguru: the spec is unchanged and still invalid: spec.schedules[0].schedule:"
        ' "0 5-3 * * *" is not a valid cron schedule: the hour range "5-3" runs backwards'
    )
    # Any change to the spec is checked in full, the old problems included.
    edited = copy.deepcopy(labelled)
    edited["spec"]["image"] = "ghcr.io/acme/reports:1.0.1"
    refused = review(admission_review(edited, "UPDATE", old=bad))["response"]
    assert refused["allowed"] is False
    assert [c["field"] for c in refused["status"]["details"]["causes"]] == [
        "spec.schedules[0].schedule"
    ]
    assert review(admission_review(bad, "UPDATE", old=edited))["response"]["allowed"] is False
