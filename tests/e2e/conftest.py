"""End-to-end fixtures: a real cluster from kind (through pytest-kind), the CRDs, the operator.

Every test here is marked ``e2e`` and skips, saying why, where Docker is not available (this
repository's development machines have none); ``.github/workflows/e2e.yaml`` runs them on a host
with Docker. The cluster is created once per session (``kind_cluster`` from pytest-kind; pass
``--kind-image kindest/node:v1.33.1`` and ``--kind-bin`` to pin them); the operator runs out of
cluster as a subprocess (``python -m konfiguru_operator``) on the cluster's kubeconfig, exactly
like the integration tests run it against the emulator. The chart and image are checked by the
shipping tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from e2e_cluster import NAMESPACE, Cluster  # noqa: E402
from operator_process import OperatorProcess  # noqa: E402


def docker_problem() -> str | None:
    """Why a kind cluster cannot be made here, or None when it can."""
    if shutil.which("docker") is None:
        return "Docker is not installed: the e2e tests need kind (run .github/workflows/e2e.yaml)"
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30)
    if probe.returncode != 0:
        return "Docker is installed but not running: the e2e tests need kind"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    problem = docker_problem() if any("e2e" in str(i.fspath) for i in items) else None
    for item in items:
        if "tests/e2e" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if problem:
                item.add_marker(pytest.mark.skip(reason=problem))


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    kind = request.getfixturevalue("kind_cluster")  # pytest-kind: created once per session
    cluster = Cluster(Path(kind.kubeconfig_path))
    cluster.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    for crd in ("apps", "databases"):
        cluster.kubectl(
            "wait", "--for=condition=Established", f"crd/{crd}.konfiguru.io", "--timeout=60s"
        )
    cluster.kubectl("create", "namespace", NAMESPACE, check=False)
    yield cluster


@pytest.fixture
def operator(cluster: Cluster, tmp_path: Path) -> Iterator[OperatorProcess]:
    process = OperatorProcess(
        SimpleNamespace(env=cluster.env),  # type: ignore[arg-type]
        tmp_path,
        KONFIGURU_RESYNC_SECONDS="5",
    ).start("-n", NAMESPACE)
    yield process
    process.stop()


@pytest.fixture
def clean(cluster: Cluster) -> Iterator[None]:
    yield
    cluster.kubectl(
        "delete",
        "apps.konfiguru.io,databases.konfiguru.io",
        "--all",
        "-n",
        NAMESPACE,
        "--wait=true",
        "--timeout=120s",
        check=False,
    )
