"""A kustomization directory given to `konfiguru render -f` is built by the real `kubectl
kustomize`, and the Konfiguru resources it prints are rendered like any YAML file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators.frontends import kustomization

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

WEB = kfgtest.EXAMPLES / "shop" / "web.kfg.yaml"
SEED = ("--secret-seed-file", str(kfgtest.GOLDEN_SEED_FILE))


def write(path: Path, body: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False), "utf-8")
    return path


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    """base/ holds the shop's web App; overlays/prod/ moves it to shop-prod, labels it and
    raises its autoscaling minimum with a patch of the custom resource's spec."""
    write(tmp_path / "base" / "kustomization.yaml", {"resources": ["web.kfg.yaml"]})
    shutil.copy(WEB, tmp_path / "base" / "web.kfg.yaml")
    write(
        tmp_path / "overlays" / "prod" / "kustomization.yaml",
        {
            "resources": ["../../base"],
            "namespace": "shop-prod",
            "labels": [{"pairs": {"team": "storefront"}}],
            "patches": [
                {
                    "target": {"kind": "App", "name": "web"},
                    "patch": yaml.safe_dump(
                        [{"op": "replace", "path": "/spec/autoscale/min", "value": 4}]
                    ),
                }
            ],
        },
    )
    return tmp_path / "overlays" / "prod"


def test_render_of_a_kustomization_directory_renders_what_kustomize_built(
    overlay: Path, tmp_path: Path
) -> None:
    (app,) = kfgtest.documents(WEB)
    app["metadata"]["namespace"] = "shop-prod"
    app["metadata"]["labels"] = {"team": "storefront"}
    app["spec"]["autoscale"]["min"] = 4
    expected = write(tmp_path / "expected.yaml", app)
    code, out, err = kfgtest.run_cli("render", "-f", str(overlay), *SEED)
    assert code == 0, err
    assert out == kfgtest.run_cli("render", "-f", str(expected), *SEED)[1]
    hpa = next(d for d in kfgtest.load_all(out) if d["kind"] == "HorizontalPodAutoscaler")
    assert (hpa["metadata"]["namespace"], hpa["spec"]["minReplicas"]) == ("shop-prod", 4)


def test_validate_names_the_kustomization_directory_in_errors(overlay: Path) -> None:
    patch = overlay / "kustomization.yaml"
    body = yaml.safe_load(patch.read_text("utf-8"))
    body["patches"][0]["patch"] = yaml.safe_dump(
        [{"op": "replace", "path": "/spec/autoscale/min", "value": -4}]
    )
    write(patch, body)
    code, _, err = kfgtest.run_cli("validate", "-f", str(overlay))
    assert code == 1
    assert f"{overlay} (kubectl kustomize): " in err and "spec.autoscale.min: -4" in err


def test_a_kustomization_kubectl_refuses_is_a_one_line_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    write(tmp_path / "kustomization.yaml", {"resources": ["missing.yaml"]})
    code, out, err = kfgtest.run_cli("render", "-f", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {tmp_path}: kubectl kustomize failed: ")
    assert "missing.yaml" in err and "Traceback" not in err
    assert "run.go" not in err, "kubectl's log prefix is cut"


def test_without_kubectl_the_error_says_what_to_install(tmp_path: Path) -> None:
    write(tmp_path / "kustomization.yaml", {"resources": []})
    with pytest.raises(kustomization.KustomizeError, match="needs kubectl on PATH"):
        kustomization.build(tmp_path, kubectl=str(tmp_path / "no-such-kubectl"))


def test_a_plain_directory_is_not_a_kustomization(tmp_path: Path) -> None:
    assert kustomization.kustomization_file(tmp_path) is None
    (tmp_path / "Kustomization").write_text("resources: []\n", "utf-8")
    assert kustomization.kustomization_file(tmp_path) == tmp_path / "Kustomization"
