"""The real kubectl against the emulator: apply (client- and server-side), get, wait, delete."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

from .harness import CRDS_DIR, KUBECTL

pytestmark = pytest.mark.skipif(
    shutil.which(KUBECTL) is None, reason=f"kubectl not found at {KUBECTL}"
)

APP = """\
apiVersion: konfiguru.io/v1alpha1
kind: App
metadata:
  name: shop
spec:
  image: nginx:1.27
"""


@pytest.fixture
def bare(emulator_factory):
    """An emulator without CRDs, so kubectl has to register them itself."""
    return emulator_factory(crds=[])


def test_kubectl_applies_the_crd_and_an_app_and_lists_it_with_printer_columns(bare, tmp_path: Path):
    out = bare.kubectl("apply", "-f", str(CRDS_DIR / "app.yaml")).stdout
    assert "customresourcedefinition.apiextensions.k8s.io/apps.konfiguru.io created" in out
    (tmp_path / "app.yaml").write_text(APP)
    assert (
        "app.konfiguru.io/shop created"
        in bare.kubectl("apply", "-f", str(tmp_path / "app.yaml")).stdout
    )
    assert "unchanged" in bare.kubectl("apply", "-f", str(tmp_path / "app.yaml")).stdout
    table = bare.kubectl("get", "apps.konfiguru.io").stdout
    assert table.split()[:2] == ["NAME", "READY"] and "shop" in table
    app = bare.get("app", "shop")
    assert "kubectl.kubernetes.io/last-applied-configuration" in app["metadata"]["annotations"]


def test_kubectl_apply_rejects_a_misspelt_field_like_a_real_server(emulator, tmp_path: Path):
    (tmp_path / "app.yaml").write_text(APP + "  imagee: typo\n")
    result = emulator.kubectl("apply", "-f", str(tmp_path / "app.yaml"), check=False)
    assert result.returncode != 0 and 'unknown field "spec.imagee"' in result.stderr


def test_kubectl_server_side_apply_and_delete(emulator, tmp_path: Path):
    (tmp_path / "app.yaml").write_text(APP)
    assert (
        "serverside-applied"
        in emulator.kubectl("apply", "--server-side", "-f", str(tmp_path / "app.yaml")).stdout
    )
    assert "kubectl" in emulator.managers("app", "shop")
    assert (
        emulator.kubectl("get", "kapp", "shop", "-o", "jsonpath={.spec.image}").stdout
        == "nginx:1.27"
    )
    emulator.kubectl("delete", "app", "shop", "--wait=false")
    assert emulator.find("app", "shop") is None


def test_kubectl_wait_returns_once_the_ready_condition_is_set(emulator, tmp_path: Path):
    (tmp_path / "app.yaml").write_text(APP)
    emulator.kubectl("apply", "-f", str(tmp_path / "app.yaml"))

    def become_ready() -> None:
        time.sleep(0.5)
        emulator.set_condition("app", "shop", "Ready", "True", message="all children ready")

    thread = threading.Thread(target=become_ready)
    started = time.monotonic()
    thread.start()
    result = emulator.kubectl("wait", "--for=condition=Ready", "app/shop", "--timeout=10s")
    thread.join()
    assert "condition met" in result.stdout
    assert 0.4 < time.monotonic() - started < 8


def test_kubectl_wait_ignores_a_condition_from_an_older_generation(emulator, tmp_path: Path):
    (tmp_path / "app.yaml").write_text(APP)
    emulator.kubectl("apply", "-f", str(tmp_path / "app.yaml"))
    emulator.set_condition("app", "shop", "Ready", "True")
    emulator.patch("app", "shop", {"spec": {"image": "nginx:1.28"}})
    result = emulator.kubectl(
        "wait", "--for=condition=Ready", "app/shop", "--timeout=1s", check=False
    )
    assert result.returncode != 0 and "timed out" in result.stderr


def test_kubectl_creates_labels_scales_and_reads_builtin_kinds(emulator):
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx}]}\n"
    )
    emulator.kubectl("create", "-f", "-", input=manifest)
    emulator.kubectl("label", "deploy", "web", "tier=frontend")
    emulator.kubectl("scale", "deploy", "web", "--replicas=3")
    deployment = emulator.get("deploy", "web")
    assert deployment["metadata"]["labels"] == {"tier": "frontend"}
    assert deployment["spec"]["replicas"] == 3
    emulator.kubectl("rollout", "status", "deploy/web", "--timeout=10s")
    assert "web" in emulator.kubectl("get", "deploy", "-l", "tier=frontend").stdout
    assert "default" in emulator.kubectl("get", "ns").stdout


def test_kubectl_typed_create_commands_are_refused_with_415(emulator):
    """``kubectl create configmap`` sends protobuf, which the emulator does not decode."""
    result = emulator.kubectl("create", "configmap", "settings", "--from-literal=a=1", check=False)
    assert result.returncode != 0 and "unknown format" in result.stderr


def test_every_example_applies_with_kubectls_strict_field_validation(emulator):
    """The CRD schemas accept every documented example as a real API server would."""
    examples = CRDS_DIR.parent / "examples"
    # The resources, not the partial ones of examples/environments/envs/ (*.patch.yaml).
    paths = sorted(examples.rglob("*.kfg.yaml"))
    documents = [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]
    for document in documents:
        emulator.ensure_namespace(document.get("metadata", {}).get("namespace") or "default")
    result = emulator.kubectl("apply", *(arg for path in paths for arg in ("-f", str(path))))
    created = [line for line in result.stdout.splitlines() if line.endswith(" created")]
    assert len(created) == len(documents)
