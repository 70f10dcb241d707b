"""Objects through the emulator's HTTP API: identity, versions, generation, status, errors."""

from __future__ import annotations

import base64
import copy

import pytest

from .cluster import ApiError
from .samples import WIDGET_CRD, configmap, deployment, widget

WIDGETS = "/apis/test.konfiguru.io/v1/namespaces/default/widgets"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def test_create_assigns_uid_resource_version_generation_and_timestamp(emu):
    status, body, _ = emu.request("POST", WIDGETS, widget("w1"))
    assert status == 201
    meta = body["metadata"]
    assert len(meta["uid"]) == 36
    assert int(meta["resourceVersion"]) > 0
    assert meta["generation"] == 1
    assert meta["creationTimestamp"].endswith("Z")
    assert body["apiVersion"] == "test.konfiguru.io/v1" and body["kind"] == "Widget"


def test_resource_versions_grow_globally_across_kinds(emu):
    a = emu.create(widget("a"))
    b = emu.create(configmap("b"))
    c = emu.patch("wdg", "a", {"spec": {"size": 2}})
    versions = [int(x["metadata"]["resourceVersion"]) for x in (a, b, c)]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_schema_defaults_are_applied_and_unknown_fields_pruned(emu):
    body = widget("w")
    body["spec"]["bogus"] = 1
    body["spec"]["extra"] = {"anything": {"goes": True}}
    created = emu.create(body)
    assert created["spec"]["color"] == "blue"
    assert "bogus" not in created["spec"]
    assert created["spec"]["extra"] == {"anything": {"goes": True}}


def test_schema_violation_is_rejected_with_422_and_causes(emu):
    status, body, _ = emu.request("POST", WIDGETS, widget("w", size=-1))
    assert status == 422
    assert body["kind"] == "Status" and body["reason"] == "Invalid" and body["code"] == 422
    assert body["details"]["causes"][0]["field"] == "spec.size"
    missing = widget("v")
    del missing["spec"]["size"]
    status, body, _ = emu.request("POST", WIDGETS, missing)
    assert status == 422 and "spec.size" in body["message"]


def test_generation_bumps_on_spec_changes_only(emu):
    emu.create(widget("w"))
    assert (
        emu.patch("wdg", "w", {"metadata": {"labels": {"a": "b"}}})["metadata"]["generation"] == 1
    )
    assert emu.patch_status("wdg", "w", {"observedGeneration": 1})["metadata"]["generation"] == 1
    assert emu.patch("wdg", "w", {"spec": {"size": 5}})["metadata"]["generation"] == 2


def test_status_subresource_writes_only_status_and_main_endpoint_ignores_status(emu):
    emu.create(widget("w"))
    status, body, _ = emu.request(
        "PATCH",
        f"{WIDGETS}/w/status",
        {"spec": {"size": 9}, "status": {"observedGeneration": 7}},
        content_type="application/merge-patch+json",
    )
    assert status == 200
    assert body["spec"]["size"] == 1 and body["status"]["observedGeneration"] == 7
    status, body, _ = emu.request(
        "PATCH",
        f"{WIDGETS}/w",
        {"spec": {"size": 3}, "status": {"observedGeneration": 99}},
        content_type="application/merge-patch+json",
    )
    assert body["spec"]["size"] == 3 and body["status"]["observedGeneration"] == 7


def test_status_given_on_create_is_dropped_for_kinds_with_the_subresource(emu):
    body = widget("w")
    body["status"] = {"observedGeneration": 5}
    status, created, _ = emu.request("POST", WIDGETS, body)
    assert status == 201 and "status" not in created


def test_a_write_that_changes_nothing_keeps_the_resource_version(emu):
    created = emu.create(widget("w"))
    again = emu.patch("wdg", "w", {"spec": {"size": 1}})
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert emu.writes.get("update", 0) == 0


def test_put_with_a_stale_resource_version_is_a_409_conflict(emu):
    created = emu.create(widget("w"))
    emu.patch("wdg", "w", {"spec": {"size": 2}})
    stale = {**created, "spec": {"size": 3}}
    status, body, _ = emu.request("PUT", f"{WIDGETS}/w", stale)
    assert status == 409 and body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]
    fresh = emu.get("wdg", "w")
    fresh["spec"]["size"] = 3
    status, body, _ = emu.request("PUT", f"{WIDGETS}/w", fresh)
    assert status == 200 and body["spec"]["size"] == 3


def test_merge_patch_with_a_stale_resource_version_is_a_409_conflict(emu):
    created = emu.create(widget("w"))
    emu.patch("wdg", "w", {"spec": {"size": 2}})
    status, _, _ = emu.request(
        "PATCH",
        f"{WIDGETS}/w",
        {
            "metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
            "spec": {"size": 4},
        },
        content_type="application/merge-patch+json",
    )
    assert status == 409


def test_missing_objects_and_resources_are_404_status_objects(emu):
    status, body, _ = emu.request("GET", f"{WIDGETS}/nope")
    assert status == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'widgets.test.konfiguru.io "nope" not found',
        "reason": "NotFound",
        "code": 404,
        "details": {"name": "nope", "group": "test.konfiguru.io", "kind": "widgets"},
    }
    status, body, _ = emu.request("GET", "/apis/nothing.io/v1/namespaces/default/things")
    assert status == 404 and body["reason"] == "NotFound"


def test_creating_twice_is_a_409_already_exists(emu):
    emu.create(widget("w"))
    status, body, _ = emu.request("POST", WIDGETS, widget("w"))
    assert status == 409 and body["reason"] == "AlreadyExists"


def test_objects_in_a_missing_namespace_are_refused_until_it_exists(emu):
    with pytest.raises(ApiError) as error:
        emu.create(widget("w", namespace="ghost"))
    assert error.value.code == 404 and 'namespaces "ghost" not found' in error.value.message
    emu.ensure_namespace("ghost")
    assert emu.create(widget("w", namespace="ghost"))["metadata"]["namespace"] == "ghost"


def test_generate_name_gets_a_random_suffix(emu):
    body = widget("x")
    body["metadata"] = {"generateName": "w-", "namespace": "default"}
    status, created, _ = emu.request("POST", WIDGETS, body)
    assert (
        status == 201
        and created["metadata"]["name"].startswith("w-")
        and len(created["metadata"]["name"]) == 7
    )


def test_invalid_names_are_422(emu):
    status, body, _ = emu.request("POST", WIDGETS, widget("Not_Valid"))
    assert status == 422 and "metadata.name" in body["message"]


def test_secret_string_data_is_folded_into_base64_data(emu):
    secret = emu.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"password": "hunter2"},
        }
    )
    assert "stringData" not in secret
    assert base64.b64decode(secret["data"]["password"]) == b"hunter2"
    assert secret["type"] == "Opaque"


def test_immutable_configmaps_refuse_data_changes(emu):
    emu.create({**configmap("c"), "immutable": True})
    with pytest.raises(ApiError) as error:
        emu.patch("cm", "c", {"data": {"a": "2"}})
    assert error.value.code == 422


def test_put_replaces_the_object_but_keeps_identity(emu):
    created = emu.create(configmap("c", data={"a": "1", "b": "2"}))
    replacement = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "uid": "forged"},
        "data": {"z": "9"},
    }
    status, body, _ = emu.request("PUT", "/api/v1/namespaces/default/configmaps/c", replacement)
    assert status == 200
    assert body["data"] == {"z": "9"}
    assert body["metadata"]["uid"] == created["metadata"]["uid"]
    assert body["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]


def test_cluster_scoped_objects_live_outside_namespaces(emu):
    status, body, _ = emu.request("POST", "/api/v1/namespaces", {"metadata": {"name": "team-a"}})
    assert (
        status == 201
        and "namespace" not in body["metadata"]
        and body["status"]["phase"] == "Active"
    )
    status, body, _ = emu.request("GET", "/api/v1/namespaces/team-a")
    assert status == 200 and body["metadata"]["name"] == "team-a"


def test_the_scale_subresource_reads_and_writes_replicas(emu):
    emu.create(deployment("web", replicas=2))
    status, scale, _ = emu.request("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    assert status == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2
    assert scale["status"]["selector"] == "app=web"
    status, scale, _ = emu.request(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        {"spec": {"replicas": 5}},
        content_type="application/merge-patch+json",
    )
    assert status == 200 and emu.get("deploy", "web")["spec"]["replicas"] == 5


def test_dry_run_changes_nothing(emu):
    status, body, _ = emu.request("POST", f"{WIDGETS}?dryRun=All", widget("w"))
    assert status == 201 and body["metadata"]["name"] == "w"
    assert emu.find("wdg", "w") is None


def test_unknown_patch_content_types_are_415(emu):
    emu.create(widget("w"))
    status, _, _ = emu.request("PATCH", f"{WIDGETS}/w", {"spec": {}}, content_type="text/plain")
    assert status == 415


def test_strict_field_validation_rejects_unknown_fields_instead_of_pruning(emu):
    body = widget("w")
    body["spec"]["sizee"] = 3
    status, result, _ = emu.request("POST", f"{WIDGETS}?fieldValidation=Strict", body)
    assert status == 400 and 'unknown field "spec.sizee"' in result["message"]
    status, result, _ = emu.request("POST", WIDGETS, body)
    assert status == 201 and "sizee" not in result["spec"]


def test_schema_validation_can_be_switched_off(emulator_factory):
    from .samples import WIDGET_CRD

    lenient = emulator_factory(crds=[], schema_validation=False)
    lenient.create(WIDGET_CRD)
    created = lenient.create(widget("w", size=-5))
    assert created["spec"] == {"size": -5, "color": "blue"}


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ({"labels": {"app": "x" * 64}}, "metadata.labels"),
        ({"labels": {"bad key!": "v"}}, "metadata.labels"),
        ({"labels": {"app": "-leading-dash"}}, "metadata.labels"),
        ({"annotations": {"UPPER.example.com/x": "v"}}, "metadata.annotations"),
        ({"finalizers": ["not a name"]}, "metadata.finalizers"),
        (
            {"ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "a"}]},
            "metadata.ownerReferences[0].uid",
        ),
        (
            {
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "name": "a",
                        "uid": "1",
                        "controller": True,
                    },
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "name": "b",
                        "uid": "2",
                        "controller": True,
                    },
                ]
            },
            "metadata.ownerReferences",
        ),
    ],
)
def test_object_metadata_is_validated_like_the_api_server(emu, meta, field):
    with pytest.raises(ApiError) as error:
        emu.create(configmap("c", **meta))
    assert error.value.code == 422
    assert field in [cause["field"] for cause in error.value.details["causes"]]


def test_kind_specific_name_rules(emu):
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "1st-service"},
        "spec": {"ports": [{"port": 80}]},
    }
    with pytest.raises(ApiError) as error:
        emu.create(service)
    assert "DNS-1035" in error.value.message
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c" * 53},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}},
        },
    }
    with pytest.raises(ApiError) as error:
        emu.create(cronjob)
    assert "52" in error.value.message
    with pytest.raises(ApiError):
        emu.create({**configmap("c"), "data": {"no spaces allowed": "x"}})


def test_subresources_a_kind_does_not_have_are_404(emu):
    emu.create(configmap("c"))
    status, _, _ = emu.request(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/c/status",
        {"status": {}},
        content_type="application/merge-patch+json",
    )
    assert status == 404


def _crd_with_an_unguarded_rule() -> dict:
    crd = copy.deepcopy(WIDGET_CRD)
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["security"] = {
        "type": "object",
        "default": {},
        "x-kubernetes-validations": [
            {
                "rule": "!(self.runAsNonRoot && self.runAsUser == 0)",
                "message": "runAsUser 0 is root",
            }
        ],
        "properties": {
            "runAsNonRoot": {"type": "boolean", "default": True},
            "runAsUser": {"type": "integer"},
        },
    }
    crd["metadata"]["name"] = "gadgets.test.konfiguru.io"
    crd["spec"]["names"] = {"kind": "Gadget", "plural": "gadgets", "singular": "gadget"}
    return crd


def test_a_crd_whose_rule_fails_on_a_default_is_refused_like_on_a_real_server(emu):
    status, body, _ = emu.request("POST", CRDS, _crd_with_an_unguarded_rule())
    assert status == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'CustomResourceDefinition.apiextensions.k8s.io "gadgets.test.konfiguru.io" is invalid: '
        "spec.validation.openAPIV3Schema.properties[spec].properties[security].default: "
        'Invalid value: "object": no such key: runAsUser evaluating rule: runAsUser 0 is root'
    )
    assert [c["field"] for c in body["details"]["causes"]] == [
        "spec.validation.openAPIV3Schema.properties[spec].properties[security].default"
    ]
    assert emu.find("crd", "gadgets.test.konfiguru.io", None) is None
    assert emu.request("GET", "/apis/test.konfiguru.io/v1/namespaces/default/gadgets")[0] == 404


def test_updating_a_crd_to_a_refused_schema_or_another_group_is_refused(emu):
    crd = _crd_with_an_unguarded_rule()
    rule = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]["security"]["x-kubernetes-validations"][0]
    rule["rule"] = "!(self.runAsNonRoot && has(self.runAsUser) && self.runAsUser == 0)"
    emu.create(crd)
    rule["rule"] = "!(self.runAsNonRoot && self.runAsUser == 0)"
    with pytest.raises(ApiError) as refused:
        emu.apply(crd, manager="test")
    assert refused.value.code == 422 and "no such key" in refused.value.message
    moved = emu.get("crd", "gadgets.test.konfiguru.io", None)
    moved["spec"]["group"] = "other.konfiguru.io"
    status, body, _ = emu.request("PUT", f"{CRDS}/gadgets.test.konfiguru.io", moved)
    assert status == 422
    assert 'spec.group: Invalid value: "other.konfiguru.io": field is immutable' in body["message"]
