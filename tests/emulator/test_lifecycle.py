"""Deletion: finalizers, deletionTimestamp, owner-reference garbage collection, namespaces, CRDs."""

from __future__ import annotations

import pytest

from .cluster import ApiError
from .samples import WIDGET_CRD, configmap, deployment, owner_ref, widget


def test_delete_without_finalizers_removes_the_object(emu):
    emu.create(widget("w"))
    status, body, _ = emu.request(
        "DELETE", "/apis/test.konfiguru.io/v1/namespaces/default/widgets/w"
    )
    assert status == 200 and body["metadata"]["name"] == "w"
    assert emu.find("wdg", "w") is None


def test_finalizers_hold_the_object_with_a_deletion_timestamp_until_removed(emu):
    emu.create(widget("w", finalizers=["konfiguru.io/a", "konfiguru.io/b"]))
    emu.delete("wdg", "w")
    held = emu.get("wdg", "w")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["generation"] == 2  # deletion counts as a change, as for CRs
    emu.patch("wdg", "w", {"metadata": {"finalizers": ["konfiguru.io/b"]}})
    assert emu.find("wdg", "w") is not None
    emu.patch("wdg", "w", {"metadata": {"finalizers": []}})
    assert emu.find("wdg", "w") is None


def test_no_new_finalizer_can_be_added_while_deleting(emu):
    emu.create(widget("w", finalizers=["konfiguru.io/a"]))
    emu.delete("wdg", "w")
    with pytest.raises(ApiError) as error:
        emu.patch("wdg", "w", {"metadata": {"finalizers": ["konfiguru.io/a", "konfiguru.io/z"]}})
    assert error.value.code == 422


def test_deleting_an_owner_collects_its_dependents_in_the_background(emu):
    owner = emu.create(widget("owner"))
    emu.create(deployment("child", ownerReferences=[owner_ref(owner)]))
    emu.create(configmap("grandchild", ownerReferences=[owner_ref(emu.get("deploy", "child"))]))
    emu.create(configmap("bystander", labels={"konfiguru.io/owner-uid": owner["metadata"]["uid"]}))
    emu.delete("wdg", "owner")
    emu.wait_for_absence("deploy", "child")
    emu.wait_for_absence("cm", "grandchild")
    assert emu.find("cm", "bystander") is not None


def test_a_dependent_with_another_live_owner_survives(emu):
    a = emu.create(widget("a"))
    b = emu.create(widget("b"))
    emu.create(configmap("shared", ownerReferences=[owner_ref(a), owner_ref(b, controller=False)]))
    emu.delete("wdg", "a")
    emu.wait_for(lambda: emu.call(lambda: not emu.cluster._dependents.get(a["metadata"]["uid"])))
    assert emu.find("cm", "shared") is not None


def test_a_dependent_whose_owner_is_in_another_namespace_is_collected(emu):
    emu.ensure_namespace("elsewhere")
    owner = emu.create(widget("owner", namespace="elsewhere"))
    emu.create(configmap("child", ownerReferences=[owner_ref(owner)]))
    emu.wait_for_absence("cm", "child")


def test_a_dependent_whose_owner_never_existed_is_collected(emu):
    ghost = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"},
    }
    emu.create(configmap("child", ownerReferences=[owner_ref(ghost)]))
    emu.wait_for_absence("cm", "child")


def test_finalizers_on_a_dependent_delay_its_collection(emu):
    owner = emu.create(widget("owner"))
    emu.create(configmap("child", finalizers=["x/y"], ownerReferences=[owner_ref(owner)]))
    emu.delete("wdg", "owner")
    emu.wait_for_object("cm", "child", predicate=lambda o: o["metadata"].get("deletionTimestamp"))
    emu.patch("cm", "child", {"metadata": {"finalizers": None}})
    assert emu.find("cm", "child") is None


def test_foreground_deletion_removes_dependents_before_the_owner(emu):
    owner = emu.create(widget("owner"))
    emu.create(configmap("child", finalizers=["x/y"], ownerReferences=[owner_ref(owner)]))
    emu.delete("wdg", "owner", propagation="Foreground")
    held = emu.get("wdg", "owner")
    assert "foregroundDeletion" in held["metadata"]["finalizers"]
    emu.patch("cm", "child", {"metadata": {"finalizers": None}})
    emu.wait_for_absence("wdg", "owner")


def test_orphan_deletion_keeps_dependents_without_the_owner_reference(emu):
    owner = emu.create(widget("owner"))
    emu.create(configmap("child", ownerReferences=[owner_ref(owner)]))
    emu.delete("wdg", "owner", propagation="Orphan")
    child = emu.get("cm", "child")
    assert "ownerReferences" not in child["metadata"]


def test_deleting_a_namespace_deletes_its_content_then_itself(emu):
    emu.ensure_namespace("doomed")
    emu.create(configmap("a", namespace="doomed"))
    emu.create(widget("w", namespace="doomed", finalizers=["x/y"]))
    emu.delete("ns", "doomed", None)
    assert emu.get("ns", "doomed", None)["status"]["phase"] == "Terminating"
    with pytest.raises(ApiError) as error:
        emu.create(configmap("late", namespace="doomed"))
    assert error.value.code == 403
    assert emu.find("cm", "a", "doomed") is None
    emu.patch("wdg", "w", {"metadata": {"finalizers": None}}, "doomed")
    emu.wait_for_absence("ns", "doomed", None)


def test_deleting_a_crd_removes_its_resource_and_objects(emu):
    emu.create(widget("w"))
    emu.delete("crd", WIDGET_CRD["metadata"]["name"], None)
    status, _, _ = emu.request("GET", "/apis/test.konfiguru.io/v1/namespaces/default/widgets")
    assert status == 404
    emu.create(WIDGET_CRD)
    assert emu.list("wdg") == []


def test_delete_preconditions_are_checked(emu):
    emu.create(widget("w"))
    status, _, _ = emu.request(
        "DELETE",
        "/apis/test.konfiguru.io/v1/namespaces/default/widgets/w",
        {"preconditions": {"uid": "other"}},
    )
    assert status == 409 and emu.find("wdg", "w") is not None


def test_delete_collection_by_label(emu):
    emu.create(configmap("a", labels={"x": "1"}))
    emu.create(configmap("b"))
    status, _, _ = emu.request(
        "DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=x%3D1"
    )
    assert status == 200
    assert [o["metadata"]["name"] for o in emu.list("cm", "default")] == ["b"]
