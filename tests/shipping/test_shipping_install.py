"""The three install paths, run for real against the Kubernetes API emulator.

``kubectl apply -k deploy/`` with the real kubectl, and ``helm install/upgrade/uninstall`` with
the real Helm engine (``helm_python``, Helm 4's Go SDK; release records kept in memory because the
emulator speaks JSON, not the protobuf Helm uses for its Secret storage). These prove what the
README promises: one pass installs everything (CRDs before the objects that need them), an
upgrade upgrades the CRDs, and an uninstall leaves the CRDs (and so every resource) in place.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

import shipping


@pytest.fixture
def cluster(emulator_factory: Callable[..., Any]) -> Any:
    # An empty cluster: no Konfiguru CRDs until an install brings them.
    emulator = emulator_factory(crds=[])
    emulator.ensure_namespace(shipping.NAMESPACE)
    return emulator


def _names(cluster: Any, ref: str, namespace: str | None = None) -> set[str]:
    return {obj["metadata"]["name"] for obj in cluster.list(ref, namespace)}


def _crd_names() -> set[str]:
    return {o["metadata"]["name"] for o in shipping.kustomize() if o["kind"].startswith("Custom")}


@pytest.mark.parametrize("mode", ["--server-side", "--validate=strict"])
def test_kubectl_apply_k_deploy_installs_everything_in_one_pass_and_again_idempotently(
    cluster: Any, mode: str
) -> None:
    first = cluster.kubectl("apply", mode, "-k", str(shipping.DEPLOY), check=False)
    assert first.returncode == 0, first.stderr
    assert _crd_names() <= _names(cluster, "crd", None)
    assert "konfiguru" in _names(cluster, "deployments", shipping.NAMESPACE)
    assert "konfiguru" in _names(cluster, "clusterrolebindings", None)
    again = cluster.kubectl("apply", mode, "-k", str(shipping.DEPLOY), check=False)
    assert again.returncode == 0, again.stderr
    assert "configured" not in again.stdout, again.stdout


def _helm(cluster: Any) -> helm_python.Config:
    return helm_python.Config(
        namespace=shipping.NAMESPACE,
        kubeconfig_path=str(cluster.kubeconfig),
        storage_driver="memory",
    )


def test_helm_installs_upgrades_and_uninstalls_keeping_the_crds(cluster: Any) -> None:
    ha = {"highAvailability": {"enabled": True}}
    with _helm(cluster) as helm:
        helm.install(shipping.CHART, shipping.RELEASE, ha, timeout=60)
        assert "konfiguru" in _names(cluster, "statefulsets", shipping.NAMESPACE)
        # The peering object needs its CRD from the chart's crds/: installed first, in one go.
        assert "konfiguru" in _names(cluster, "clusterkopfpeerings", None)
        crds = _names(cluster, "crd", None)
        assert _crd_names() <= crds

        helm.upgrade(
            shipping.CHART, shipping.RELEASE, {**ha, "podDisruptionBudget": {"enabled": True}}
        )
        assert "konfiguru" in _names(cluster, "poddisruptionbudgets", shipping.NAMESPACE)

        helm.uninstall(shipping.RELEASE)
    assert not _names(cluster, "statefulsets", shipping.NAMESPACE)
    assert _crd_names() <= _names(cluster, "crd", None), "helm uninstall deleted the CRDs"


def test_helm_upgrade_upgrades_the_crds(cluster: Any, tmp_path: Path) -> None:
    # A copy of the chart whose App CRD gained a new field description: the next release.
    chart = tmp_path / "konfiguru"
    shutil.copytree(shipping.CHART, chart, symlinks=False)
    with _helm(cluster) as helm:
        helm.install(chart, shipping.RELEASE, {}, timeout=60)
        crd_file = chart / "files" / "crds" / "app.yaml"
        crd = yaml.safe_load(crd_file.read_text("utf-8"))
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        schema["description"] = "Upgraded by the next chart release."
        crd_file.write_text(yaml.safe_dump(crd), "utf-8")
        helm.upgrade(chart, shipping.RELEASE, {})
    live = cluster.get("crd", crd["metadata"]["name"], None)
    live_schema = live["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert live_schema["description"] == "Upgraded by the next chart release."
