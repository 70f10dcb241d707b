"""Patch types and server-side apply, over HTTP and on the pure functions."""

from __future__ import annotations

import json

import pytest

from . import patching
from .cluster import ApiError
from .samples import deployment, widget

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
APPLY = "application/apply-patch+yaml"


def apply_http(emu, path, body, manager="konfiguru", force=True):
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    return emu.request("PATCH", path + query, json.dumps(body), content_type=APPLY)


def test_merge_patch_null_deletes_and_lists_replace():
    target = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert patching.merge_patch(target, {"a": {"b": None}, "l": [3]}) == {"a": {"c": 2}, "l": [3]}


def test_json_patch_applies_operations_and_a_failed_test_is_422(emu):
    emu.create(widget("w"))
    path = "/apis/test.konfiguru.io/v1/namespaces/default/widgets/w"
    ops = [
        {"op": "replace", "path": "/spec/size", "value": 4},
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
    ]
    status, body, _ = emu.request("PATCH", path, ops, content_type="application/json-patch+json")
    assert status == 200 and body["spec"]["size"] == 4 and body["metadata"]["labels"] == {"x": "y"}
    status, body, _ = emu.request(
        "PATCH",
        path,
        [{"op": "test", "path": "/spec/size", "value": 99}],
        content_type="application/json-patch+json",
    )
    assert status == 422


def test_strategic_merge_patch_merges_containers_by_name_and_drops_directives(emu):
    body = deployment("web")
    body["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "envoy"})
    emu.create(body)
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
                    "containers": [{"name": "sidecar", "image": "envoy:2"}],
                }
            }
        }
    }
    status, result, _ = emu.request(
        "PATCH", f"{DEPLOYMENTS}/web", patch, content_type="application/strategic-merge-patch+json"
    )
    containers = result["spec"]["template"]["spec"]["containers"]
    assert status == 200
    # (Each container also carries the fields the server defaults, such as imagePullPolicy.)
    assert [{k: c[k] for k in ("name", "image")} for c in containers] == [
        {"name": "app", "image": "nginx:1.27"},
        {"name": "sidecar", "image": "envoy:2"},
    ]
    assert not any(key.startswith("$") for c in containers for key in c)
    deleted = patching.strategic_merge_patch(
        result,
        {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}},
    )
    assert [c["name"] for c in deleted["spec"]["template"]["spec"]["containers"]] == ["app"]


def test_server_side_apply_creates_when_absent_and_updates_when_present(emulator_factory):
    # No simulated controllers: the Deployment controller's status writes bump the
    # resourceVersion (as on a real server) and would race the no-op apply compared below.
    emu = emulator_factory(crds=[], controllers=False)
    status, created, _ = apply_http(emu, f"{DEPLOYMENTS}/web", deployment("web"))
    assert status == 201 and created["metadata"]["generation"] == 1
    changed = deployment("web", replicas=3)
    status, updated, _ = apply_http(emu, f"{DEPLOYMENTS}/web", changed)
    assert (
        status == 200
        and updated["spec"]["replicas"] == 3
        and updated["metadata"]["generation"] == 2
    )
    status, same, _ = apply_http(emu, f"{DEPLOYMENTS}/web", changed)
    assert same["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]


def test_server_side_apply_requires_a_field_manager(emu):
    status, body, _ = emu.request(
        "PATCH", f"{DEPLOYMENTS}/web", json.dumps(deployment("web")), content_type=APPLY
    )
    assert status == 400 and "fieldManager" in body["message"]


def test_server_side_apply_accepts_yaml_bodies(emu):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n"
    status, body, _ = emu.request(
        "PATCH", "/api/v1/namespaces/default/configmaps/c?fieldManager=m", text, content_type=APPLY
    )
    assert status == 201 and body["data"] == {"a": "1"}


def test_a_field_no_longer_applied_is_removed(emu):
    first = deployment("web")
    first["metadata"]["labels"] = {"keep": "1", "drop": "1"}
    first["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "2"},
    ]
    emu.apply(first, manager="konfiguru")
    second = deployment("web", replicas=None)
    second["metadata"]["labels"] = {"keep": "1"}
    second["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    result = emu.apply(second, manager="konfiguru")
    assert result["metadata"]["labels"] == {"keep": "1"}
    assert result["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"}
    ]
    assert result["spec"]["replicas"] == 1  # pruned by apply, then defaulted by the server


def test_fields_written_by_another_manager_survive_an_apply_that_omits_them(emu):
    emu.apply(deployment("web", replicas=None), manager="konfiguru")
    emu.patch("deploy", "web", {"spec": {"replicas": 7}}, manager="horizontal-pod-autoscaler")
    emu.patch(
        "deploy", "web", {"metadata": {"annotations": {"note": "by hand"}}}, manager="kubectl-edit"
    )
    again = deployment("web", replicas=None)
    again["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    result = emu.apply(again, manager="konfiguru")
    assert result["spec"]["replicas"] == 7
    assert result["metadata"]["annotations"] == {"note": "by hand"}
    assert result["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


def test_applying_a_field_another_manager_changed_conflicts_unless_forced(emu):
    emu.apply(deployment("web", replicas=2), manager="konfiguru")
    emu.patch("deploy", "web", {"spec": {"replicas": 7}}, manager="horizontal-pod-autoscaler")
    with pytest.raises(ApiError) as error:
        emu.apply(deployment("web", replicas=2), manager="konfiguru", force=False)
    assert error.value.code == 409 and "horizontal-pod-autoscaler" in error.value.message
    result = emu.apply(deployment("web", replicas=2), manager="konfiguru", force=True)
    assert result["spec"]["replicas"] == 2
    assert ("spec", "replicas") in emu.managers("deploy", "web")["konfiguru"]
    assert ("spec", "replicas") not in emu.managers("deploy", "web").get(
        "horizontal-pod-autoscaler", set()
    )


def test_a_hand_edit_of_an_owned_field_is_reverted_by_the_next_forced_apply(emu):
    emu.apply(deployment("web"), manager="konfiguru")
    emu.patch(
        "deploy",
        "web",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "evil"}]}}}},
        type="strategic",
        manager="kubectl-edit",
    )
    assert emu.get("deploy", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "evil"
    result = emu.apply(deployment("web"), manager="konfiguru")
    assert result["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_apply_to_the_status_subresource_changes_only_status(emu):
    emu.create(widget("w"))
    body = {**widget("w", size=9), "status": {"observedGeneration": 1}}
    result = emu.apply(body, manager="op", subresource="status")
    assert result["spec"]["size"] == 1 and result["status"] == {"observedGeneration": 1}


def test_apply_with_a_stale_resource_version_conflicts(emu):
    created = emu.apply(deployment("web"), manager="konfiguru")
    emu.patch("deploy", "web", {"metadata": {"labels": {"x": "y"}}})
    stale = deployment("web")
    stale["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    with pytest.raises(ApiError) as error:
        emu.apply(stale, manager="konfiguru")
    assert error.value.code == 409


def test_leaf_paths_key_containers_by_name():
    paths = patching.leaf_paths(
        {"spec": {"containers": [{"name": "a", "image": "x"}], "args": ["1", "2"]}}
    )
    assert paths == {
        ("spec", "containers", "[name=a]", "name"),
        ("spec", "containers", "[name=a]", "image"),
        ("spec", "args"),
    }


def test_managed_fields_name_each_manager_its_operation_and_fields(emu):
    emu.apply(deployment("web", replicas=2), manager="konfiguru")
    emu.patch("deploy", "web", {"metadata": {"labels": {"team": "a"}}}, manager="kubectl-label")
    emu.wait_for_object("deploy", "web", predicate=lambda d: d.get("status"))
    entries = {e["manager"]: e for e in emu.get("deploy", "web")["metadata"]["managedFields"]}
    assert (
        entries["konfiguru"]["operation"] == "Apply"
        and entries["konfiguru"]["fieldsType"] == "FieldsV1"
    )
    spec = entries["konfiguru"]["fieldsV1"]["f:spec"]
    assert "f:replicas" in spec
    assert "f:image" in spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']
    assert entries["kubectl-label"]["operation"] == "Update"
    assert entries["kubectl-label"]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:team": {}}}}
    assert entries["kube-controller-manager"]["subresource"] == "status"


def test_handing_replicas_to_another_manager_keeps_them_when_the_applier_drops_them(emu):
    """The "transferring ownership" recipe from the Kubernetes server-side apply docs."""
    emu.apply(deployment("web", replicas=3), manager="konfiguru")
    emu.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": 3},
        },
        manager="handover",
    )
    result = emu.apply(deployment("web", replicas=None), manager="konfiguru")
    assert result["spec"]["replicas"] == 3
    owners = [
        e["manager"]
        for e in result["metadata"]["managedFields"]
        if "f:replicas" in e["fieldsV1"].get("f:spec", {})
    ]
    assert owners == ["handover"]
