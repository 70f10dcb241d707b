"""`konfiguru diff -f SRC` against the API emulator: create, change, prune and breaking changes.

The real CLI runs as a subprocess (it hands over to ``python -m konfiguru_operator.livediff``)
with the emulator's kubeconfig; the operator reconciles first, so the live children are the
operator's own, and the diff must agree with what the operator would do next.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import API, app, wait_ready

KONFIGURU = [sys.executable, "-m", "konfiguru_generators.cli"]


@pytest.fixture
def emulator(emulator_factory, monkeypatch):
    """The emulator with its StatefulSet controller creating the claims' PVCs, as a real one."""
    emu = emulator_factory(statefulset_pvcs=True)
    monkeypatch.setenv("KUBECONFIG", str(emu.kubeconfig))
    return emu


def diff(emulator, tmp_path: Path, *documents: dict[str, Any], fmt: str = "text"):
    source = tmp_path / "src.kfg.yaml"
    source.write_text(yaml.safe_dump_all(documents))
    return subprocess.run(
        [*KONFIGURU, "diff", "-f", str(source), "--format", fmt],
        env={**emulator.env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_resource_not_in_the_cluster_would_create_every_child(emulator, tmp_path):
    result = diff(emulator, tmp_path, app("fresh", ingress={"host": "fresh.example.com"}))
    assert result.returncode == 1, result.stderr
    for child in ("Deployment default/fresh", "Service default/fresh", "Ingress default/fresh"):
        assert f"App default/fresh: create {child}" in result.stdout
    assert "0 to change, 0 to delete" in result.stdout
    assert emulator.find("deployments.apps", "fresh") is None, "a diff must write nothing"


def test_an_unchanged_resource_reconciled_by_the_operator_shows_no_change(
    emulator, operator, tmp_path
):
    emulator.create(app("shop", health={"readiness": {"http": {"path": "/ready"}}}))
    wait_ready(emulator)
    live = emulator.get("apps.konfiguru.io", "shop")
    result = diff(
        emulator, tmp_path, app("shop", health={"readiness": {"http": {"path": "/ready"}}})
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Plan: 0 to create, 0 to change, 0 to delete." in result.stdout
    assert (
        emulator.get("apps.konfiguru.io", "shop")["metadata"]["resourceVersion"]
        == (live["metadata"]["resourceVersion"])
    )


def test_a_changed_image_and_a_removed_ingress_show_as_a_diff_and_a_prune(
    emulator, operator, tmp_path
):
    emulator.create(app("shop", ingress={"host": "shop.example.com"}))
    wait_ready(emulator)
    result = diff(emulator, tmp_path, app("shop", image="ghcr.io/acme/shop:2.0.0"))
    assert result.returncode == 1, result.stderr
    assert "App default/shop: update Deployment default/shop" in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("-") and "image: ghcr.io/acme/shop:1.0.0" in line for line in lines)
    assert any(line.startswith("+") and "image: ghcr.io/acme/shop:2.0.0" in line for line in lines)
    assert "App default/shop: delete Ingress default/shop" in result.stdout
    # The dry-run wrote nothing.
    deployment = emulator.get("deployments.apps", "shop")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.0.0")


def test_secret_values_never_appear_in_a_diff(emulator, operator, tmp_path):
    spec = {"secrets": [{"name": "session", "generate": [{"key": "token", "type": "random"}]}]}
    emulator.create(app("shop", **spec))
    wait_ready(emulator)
    stored = emulator.get("secrets", "shop-session")["data"]["token"]
    rotated = app("shop", **spec)
    rotated["metadata"]["annotations"] = {"konfiguru.io/rotate-secrets": "2026-12"}
    result = diff(emulator, tmp_path, rotated)
    assert stored not in result.stdout
    assert "BREAKING SecretRotates" in result.stdout
    assert result.returncode == 1


def test_breaking_changes_are_called_out(emulator, operator, tmp_path):
    emulator.create(app("shop", expose={"external": True}, jobs=[_job("migrate", "v1")]))
    wait_ready(emulator)
    changed = app("shop", workload="DaemonSet", jobs=[_job("migrate", "v2")])
    result = diff(emulator, tmp_path, changed)
    assert result.returncode == 1, result.stderr
    for reason in ("WorkloadKindChange", "FreesLoadBalancer", "JobRunsAgain"):
        assert f"BREAKING {reason}" in result.stdout


def test_a_volume_that_would_shrink_is_an_error_naming_the_sizes(emulator, operator, tmp_path):
    emulator.create(database("orders", storage={"size": "20Gi"}))
    wait_ready(emulator, "orders", "databases.konfiguru.io")
    result = diff(emulator, tmp_path, database("orders", storage={"size": "10Gi"}))
    assert result.returncode == 2
    assert "20Gi" in result.stdout and "10Gi" in result.stdout


def test_markdown_output_is_a_pull_request_comment(emulator, tmp_path):
    result = diff(emulator, tmp_path, app("fresh"), fmt="markdown")
    assert result.stdout.startswith("## Konfiguru plan: ")
    assert "<details><summary>create Deployment default/fresh</summary>" in result.stdout


def database(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Database",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"engine": "postgres", "version": "17", **spec},
    }


def _job(name: str, tag: str) -> dict[str, Any]:
    return {"name": name, "image": f"ghcr.io/acme/migrate:{tag}", "command": ["migrate"]}


def test_growing_a_database_volume_shows_the_claim_growth_and_the_statefulset_recreate(
    emulator, operator, tmp_path
):
    emulator.create(database("orders", storage={"size": "20Gi"}))
    wait_ready(emulator, "orders", "databases.konfiguru.io")
    result = diff(emulator, tmp_path, database("orders", storage={"size": "30Gi"}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BREAKING Recreate" in result.stdout and "spec.volumeClaimTemplates" in result.stdout
    assert "update PersistentVolumeClaim default/data-orders-0" in result.stdout
    assert "+      storage: 30Gi" in result.stdout


def test_a_stateful_app_turned_into_a_deployment_calls_out_its_volumes(
    emulator, operator, tmp_path
):
    volumes = [{"name": "data", "mountPath": "/data", "size": "1Gi"}]
    emulator.create(app("store", workload="StatefulSet", volumes=volumes))
    wait_ready(emulator, "store")
    result = diff(emulator, tmp_path, app("store"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BREAKING WorkloadKindChange" in result.stdout
    assert "BREAKING DataLoss" in result.stdout and "StatefulSet default/store" in result.stdout


def test_dropping_a_generated_secret_calls_out_its_lost_values(emulator, operator, tmp_path):
    spec = {"secrets": [{"name": "session", "generate": [{"key": "token", "type": "random"}]}]}
    emulator.create(app("shop", **spec))
    wait_ready(emulator)
    result = diff(emulator, tmp_path, app("shop"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BREAKING SecretLost" in result.stdout and "Secret default/shop-session" in result.stdout
    assert "App default/shop: delete Secret default/shop-session" in result.stdout
