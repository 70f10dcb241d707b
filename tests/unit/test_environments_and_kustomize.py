"""Environments (`base/` + `envs/<name>/`, merged by JSON merge patch) and the Kustomize export.

The export is checked with the real kubectl: `kubectl kustomize overlays/<env>` must give the same
objects as `konfiguru render --env <env>`, and `kubectl kustomize base` the same as `render`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators import environments
from konfiguru_generators.exports import kustomize

ENVIRONMENTS = kfgtest.ROOT / "examples" / "environments"
SEED = str(kfgtest.GOLDEN_SEED_FILE)
GOLDEN = kfgtest.ROOT / "tests" / "golden" / "exports" / "kustomize"
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


run_cli = kfgtest.run_cli


def objects(text: str) -> list[str]:
    """Objects as sorted canonical JSON: equal sets whatever order or YAML style they came in."""
    return sorted(json.dumps(doc, sort_keys=True) for doc in yaml.safe_load_all(text) if doc)


def source(where: str, body: Any) -> environments.Source:
    return environments.Source(where, body)


APP = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "App",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"image": "web:1", "port": 8080, "env": {"A": "1", "B": "2"}, "args": ["x"]},
}


# ---- environments -------------------------------------------------------------------------------


def test_a_patch_merges_maps_replaces_lists_and_null_removes_a_field() -> None:
    patch = {
        "kind": "App",
        "metadata": {"name": "web"},
        "spec": {"env": {"B": None, "C": "3"}, "args": ["y", "z"], "replicas": 3},
    }
    (merged,) = environments.apply([source("base.yaml", APP)], [source("dev.yaml", patch)], "dev")
    assert merged.body["spec"] == {
        "image": "web:1",
        "port": 8080,
        "env": {"A": "1", "C": "3"},
        "args": ["y", "z"],
        "replicas": 3,
    }
    assert merged.where == "base.yaml (env dev: dev.yaml)"
    assert APP["spec"]["env"] == {"A": "1", "B": "2"}, "the base document is not changed"


def test_a_patch_that_matches_nothing_is_an_error_naming_what_exists() -> None:
    typo = {"kind": "App", "metadata": {"name": "wbe"}, "spec": {"replicas": 3}}
    with pytest.raises(
        environments.PatchError,
        match=r"dev\.yaml: App wbe matches no resource in"
        r" base/ \(there: App web\)",
    ):
        environments.apply([source("base.yaml", APP)], [source("dev.yaml", typo)], "dev")


def test_a_complete_resource_exists_in_its_environment_only() -> None:
    debug = {**APP, "metadata": {"name": "debug", "namespace": "shop"}}
    result = environments.apply([source("b", APP)], [source("d", debug)], "dev")
    assert [s.body["metadata"]["name"] for s in result] == ["web", "debug"]


def test_a_patch_without_a_namespace_matching_two_namespaces_must_say_which() -> None:
    other = {**APP, "metadata": {"name": "web", "namespace": "other"}}
    patch = {"kind": "App", "metadata": {"name": "web"}, "spec": {"replicas": 2}}
    with pytest.raises(environments.PatchError, match="matches 2 base resources"):
        environments.apply([source("a", APP), source("b", other)], [source("p", patch)], "dev")
    pinned = {**patch, "metadata": {"name": "web", "namespace": "other"}}
    result = environments.apply([source("a", APP), source("b", other)], [source("p", pinned)], "x")
    assert [s.body["spec"].get("replicas") for s in result] == [None, 2]


def test_render_with_an_environment_merges_its_patches_and_without_one_renders_base() -> None:
    code, prod, _ = run_cli("render", "-f", str(ENVIRONMENTS), "--env", "prod")
    assert code == 0 and "kind: HorizontalPodAutoscaler" in prod and "storage: 50Gi" in prod
    code, base, _ = run_cli("render", "-f", str(ENVIRONMENTS))
    assert code == 0 and "HorizontalPodAutoscaler" not in base and "storage: 5Gi" in base
    # A directory above reads base/ only: the partial resources in envs/ are never rendered.
    code, _, err = run_cli("validate", "-f", str(ENVIRONMENTS.parent))
    assert code == 0, err


def test_an_unknown_environment_or_one_without_the_layout_is_a_clear_error() -> None:
    code, _, err = run_cli("render", "-f", str(ENVIRONMENTS), "--env", "qa")
    assert code == 1 and "no environment 'qa' in envs/ (there: dev, prod)" in err
    web = str(kfgtest.ROOT / "examples" / "shop" / "web.kfg.yaml")
    code, _, err = run_cli("render", "-f", web, "--env", "dev")
    assert code == 1 and "--env dev needs a directory with base/ and envs/dev/" in err


# ---- kustomize ----------------------------------------------------------------------------------


def test_a_json_patch_is_item_by_item_and_escapes_pointer_characters() -> None:
    before = {"metadata": {"labels": {"a/b": "1", "gone": "x"}}, "spec": {"c": [{"i": "1"}]}}
    after = {"metadata": {"labels": {"a/b": "2", "new~": "y"}}, "spec": {"c": [{"i": "2"}]}}
    assert kustomize.json_patch(before, after) == [
        {"op": "remove", "path": "/metadata/labels/gone"},
        {"op": "replace", "path": "/metadata/labels/a~1b", "value": "2"},
        {"op": "add", "path": "/metadata/labels/new~0", "value": "y"},
        {"op": "replace", "path": "/spec/c/0/i", "value": "2"},
    ]
    assert kustomize.json_patch({"n": 1}, {"n": True}) == [
        {"op": "replace", "path": "/n", "value": True}
    ]


def export(tmp_path: Path, *sources: str) -> Path:
    target = tmp_path / "out"
    args = ["export", "--format", "kustomize", "-o", str(target), "--secret-seed-file", SEED]
    for item in sources:
        args += ["-f", item]
    code, _, err = run_cli(*args)
    assert code == 0, err
    return target


def kubectl_kustomize(path: Path) -> str:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_kubectl
def test_kubectl_kustomize_of_each_overlay_equals_render_of_its_environment(tmp_path) -> None:
    out = export(tmp_path, str(ENVIRONMENTS))
    for env in (None, "dev", "prod"):
        built = kubectl_kustomize(out / (f"overlays/{env}" if env else "base"))
        code, rendered, _ = run_cli(
            "render",
            "-f",
            str(ENVIRONMENTS),
            "--secret-seed-file",
            SEED,
            *(["--env", env] if env else []),
        )
        assert code == 0
        assert objects(built) == objects(rendered), env


@needs_kubectl
def test_kubectl_kustomize_of_every_example_equals_its_render(tmp_path) -> None:
    examples = kfgtest.ROOT / "examples"
    out = export(tmp_path, str(examples))
    _, rendered, _ = run_cli("render", "-f", str(examples), "--secret-seed-file", SEED)
    assert objects(kubectl_kustomize(out / "base")) == objects(rendered)


@pytest.mark.parametrize(
    "case",
    ["environments", "ml/pytorch-single.kfg.yaml"],
    ids=["app-and-database-with-environments", "mlpipeline"],
)
def test_the_export_is_its_golden_file_set(case: str, tmp_path: Path, update_golden: bool) -> None:
    out = export(tmp_path, str(kfgtest.ROOT / "examples" / case))
    golden = GOLDEN / f"{case.split('/')[-1].removesuffix('.kfg.yaml')}.txt"
    kfgtest.assert_golden_tree(out, golden, update_golden)
