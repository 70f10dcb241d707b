"""Argo CD shows every Konfiguru resource's real health and its children as a tree, nothing more.

The health script (deploy/argocd/health.lua, shipped once per kind in argocd-cm.yaml) runs here
in Lua 5.1, the language version of Argo CD's gopher-lua, against statuses the operator's own
``status.compute`` writes and against hand-written edge cases. Children are rendered from every
example as the operator renders them (with the parent's uid) to prove the tree is built from
owner references and that no label or annotation Argo CD tracks leaks from parent to child.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from lupa import lua51

import kfgtest
import konfiguru_generators
import shipping
from konfiguru_operator import status

GENERATION = 3


def run_health(obj: dict[str, Any], script: str | None = None) -> dict[str, Any]:
    """Argo CD's call: the script body sees the live object as ``obj`` and returns ``hs``."""
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = runtime.table_from(obj, recursive=True)
    result = runtime.execute(script or shipping.HEALTH_LUA.read_text("utf-8"))
    return dict(result.items())


def resource(status_: dict[str, Any] | None, generation: int = GENERATION) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": "web", "namespace": "shop", "generation": generation},
        "spec": {"image": "nginx"},
    }
    if status_ is not None:
        obj["status"] = status_
    return obj


def operator_status(report: status.Report) -> dict[str, Any]:
    return dict(status.compute(report, None, now="2026-01-01T00:00:00Z"))


READY = status.Health(ready=True)
WAITING = status.Health(ready=False, message="Deployment web: 1 of 3 pods updated")


def test_a_ready_resource_with_a_current_generation_is_healthy() -> None:
    report = status.Report(generation=GENERATION, children=[("Deployment", "web", READY)])
    health = run_health(resource(operator_status(report)))
    assert health == {"status": "Healthy", "message": "All 1 children are ready"}


def test_a_resource_rolling_out_is_progressing_with_what_it_waits_for() -> None:
    report = status.Report(generation=GENERATION, children=[("Deployment", "web", WAITING)])
    health = run_health(resource(operator_status(report)))
    assert health == {"status": "Progressing", "message": "Deployment web: 1 of 3 pods updated"}


def test_a_stalled_resource_is_degraded_with_the_stall_message() -> None:
    problem = status.Problem("InvalidSpec", "spec.port: 70000 is not a valid port; use 1-65535")
    report = status.Report(generation=GENERATION, problems=[problem])
    health = run_health(resource(operator_status(report)))
    assert health == {"status": "Degraded", "message": problem.message}


def test_a_status_for_an_older_generation_is_progressing_even_if_it_said_ready() -> None:
    report = status.Report(generation=GENERATION - 1, children=[("Deployment", "web", READY)])
    health = run_health(resource(operator_status(report)))
    assert health["status"] == "Progressing"
    assert (
        health["message"]
        == f"Waiting for the Konfiguru operator to observe generation {GENERATION}"
    )


def test_a_stall_of_an_older_generation_is_not_degraded_any_more() -> None:
    report = status.Report(generation=GENERATION - 1, problems=[status.Problem("X", "old")])
    assert run_health(resource(operator_status(report)))["status"] == "Progressing"


def test_a_ready_condition_older_than_the_generation_does_not_count() -> None:
    fresh = operator_status(
        status.Report(generation=GENERATION, children=[("Deployment", "web", READY)])
    )
    for condition in fresh["conditions"]:
        condition["observedGeneration"] = GENERATION - 1
    assert run_health(resource(fresh))["status"] == "Progressing"


@pytest.mark.parametrize(
    "status_",
    [None, {}, {"observedGeneration": GENERATION}, {"conditions": []}],
    ids=["no-status", "empty-status", "no-conditions", "empty-conditions"],
)
def test_a_resource_the_operator_has_not_reported_on_is_progressing(
    status_: dict[str, Any] | None,
) -> None:
    health = run_health(resource(status_))
    assert health["status"] == "Progressing"
    assert health["message"]


def test_a_condition_without_a_message_falls_back_to_its_reason() -> None:
    status_ = {
        "observedGeneration": GENERATION,
        "conditions": [{"type": "Stalled", "status": "True", "reason": "ImmutableField"}],
    }
    assert run_health(resource(status_)) == {"status": "Degraded", "message": "ImmutableField"}


def test_argocd_cm_has_one_health_check_per_konfiguru_kind_and_each_runs() -> None:
    cm = yaml.safe_load((shipping.ARGOCD / "argocd-cm.yaml").read_text("utf-8"))
    assert (cm["kind"], cm["metadata"]["name"], cm["metadata"]["namespace"]) == (
        "ConfigMap",
        "argocd-cm",
        "argocd",
    )
    keys = {shipping.health_key(group, kind) for group, kind in shipping.konfiguru_kinds()}
    assert keys and set(cm["data"]) == keys
    report = status.Report(generation=GENERATION, problems=[status.Problem("Bad", "bad spec")])
    for key, script in cm["data"].items():
        kind = key.rsplit("_", 1)[1]
        obj = resource(operator_status(report)) | {"kind": kind}
        assert run_health(obj, script)["status"] == "Degraded", key


@pytest.mark.parametrize(
    "name",
    ["application-operator.yaml", "application-operator-kustomize.yaml", "application-apps.yaml"],
)
def test_the_example_applications_are_well_formed(name: str) -> None:
    app = yaml.safe_load((shipping.ARGOCD / name).read_text("utf-8"))
    assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
    spec = app["spec"]
    assert spec["destination"]["namespace"] and spec["source"]["repoURL"].startswith("https://")
    if name == "application-operator.yaml":
        assert spec["source"]["path"] == "charts/konfiguru"
        with_values = shipping.chart_objects(spec["source"]["helm"]["valuesObject"])
        assert any(obj["kind"] == "StatefulSet" for obj in with_values)
        assert "ServerSideApply=true" in spec["syncPolicy"]["syncOptions"]
    elif name == "application-operator-kustomize.yaml":
        assert (shipping.ROOT / spec["source"]["path"] / "kustomization.yaml").exists()
        assert "ServerSideApply=true" in spec["syncPolicy"]["syncOptions"]
    else:
        assert spec["source"]["directory"] == {"recurse": True, "include": "*.kfg.yaml"}


# --- children in Argo CD's tree ---------------------------------------------------------------

ARGO_TRACKING = {
    "labels": {"app.kubernetes.io/instance": "shop", "argocd.argoproj.io/instance": "shop"},
    "annotations": {
        "argocd.argoproj.io/tracking-id": "shop:konfiguru.io/App:shop/web",
        "argocd.argoproj.io/sync-wave": "1",
        "argocd.argoproj.io/compare-options": "IgnoreExtraneous",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
    },
}
UID = "6a1c2a86-4a5b-4b7e-9f7e-2f0c2b8b9d11"


def as_argo_applied(document: dict[str, Any]) -> dict[str, Any]:
    """The resource as the operator reads it after Argo CD applied it: uid and tracking marks."""
    applied = copy.deepcopy(document)
    meta = applied.setdefault("metadata", {})
    meta.setdefault("namespace", "shop")
    meta["uid"] = UID
    meta["generation"] = 1
    for field in ("labels", "annotations"):
        meta[field] = {**(meta.get(field) or {}), **ARGO_TRACKING[field]}
    return applied


CORPUS = kfgtest.all_resources()


@pytest.mark.parametrize(("case_id", "document"), CORPUS, ids=[c for c, _ in CORPUS])
def test_children_point_at_their_owner_and_carry_no_argocd_tracking_mark(
    case_id: str, document: Any
) -> None:
    parent = as_argo_applied(document)
    children = konfiguru_generators.render(parent, kfgtest.seeded())
    assert children
    # The generator's own marks (a migration's sync waves, jobs[].runBefore) are not leaks: they
    # are there without Argo CD's marks on the parent too.
    plain = konfiguru_generators.render(document, kfgtest.seeded())
    own = {kfgtest.describe(child): _metadata_maps(child) for child in plain}
    for child in children:
        meta = child["metadata"]
        where = f"{case_id}: {kfgtest.describe(child)}"
        assert meta.get("namespace") == parent["metadata"]["namespace"], where
        owners = [ref for ref in meta.get("ownerReferences", []) if ref.get("controller")]
        assert owners == [
            {
                "apiVersion": "konfiguru.io/v1alpha1",
                "kind": parent["kind"],
                "name": parent["metadata"]["name"],
                "uid": UID,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ], where
        for index, marks in enumerate(_metadata_maps(child)):
            ours = own[kfgtest.describe(child)][index]
            leaked = {key for key in marks if _is_tracking(key) and marks[key] != ours.get(key)}
            assert not leaked, f"{where}: carries {sorted(leaked)}"


def _metadata_maps(obj: Any) -> list[dict[str, Any]]:
    """labels and annotations of the object and of every template nested in it."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("labels", "annotations") and isinstance(value, dict):
                found.append(value)
            else:
                found.extend(_metadata_maps(value))
    elif isinstance(obj, list):
        for item in obj:
            found.extend(_metadata_maps(item))
    return found


def _is_tracking(key: str) -> bool:
    return (
        key == "app.kubernetes.io/instance"
        or key.startswith("argocd.argoproj.io/")
        or key == "kubectl.kubernetes.io/last-applied-configuration"
    )


def test_the_tracking_check_would_catch_a_copied_instance_label() -> None:
    child = {"metadata": {"labels": {"app.kubernetes.io/instance": "shop"}}}
    assert any(_is_tracking(key) for marks in _metadata_maps(child) for key in marks)


def _floats(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats(item) for item in value]
    return value


def test_numbers_decoded_as_floats_like_argo_cd_gives_the_same_health() -> None:
    # Argo CD hands the script JSON numbers as Lua floats (gopher-lua LNumber).
    older = operator_status(status.Report(generation=GENERATION - 1, children=[]))
    ready = operator_status(status.Report(generation=GENERATION, children=[]))
    for status_ in (older, ready):
        obj = resource(status_)
        assert run_health(_floats(obj)) == run_health(obj)
