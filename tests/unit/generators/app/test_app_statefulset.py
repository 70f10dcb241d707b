"""workload StatefulSet: stable identities, a volume per pod that grows but never shrinks, a
headless Service, ordered or parallel pods, a PDB, peers admitted by the NetworkPolicy."""

from __future__ import annotations

import pytest
from appspec import app, container, env, errors, kinds, one, pod_spec, render, render_notes

from konfiguru_generators import Existing, SpecError, validate
from konfiguru_generators.kinds.app.render_stateful import resize_plan

KAFKA = {
    "workload": "StatefulSet",
    "replicas": 3,
    "port": 9092,
    "ports": [{"name": "controller", "port": 9093}],
    "volumes": [{"name": "data", "mountPath": "/var/lib/kafka", "size": "20Gi"}],
}


def _named(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_a_stateful_app_renders_a_statefulset_and_no_deployment() -> None:
    objects = render(KAFKA)
    assert "Deployment" not in kinds(objects)
    sts = one(objects, "StatefulSet")
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["serviceName"] == "web-headless"
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }


def test_each_volume_becomes_a_claim_template_mounted_in_the_container() -> None:
    objects = render(
        {
            **KAFKA,
            "volumes": [
                {"name": "data", "mountPath": "/var/lib/kafka", "size": "20Gi"},
                {
                    "name": "logs",
                    "mountPath": "/logs",
                    "size": "1Gi",
                    "storageClass": "fast",
                    "accessMode": "ReadWriteOncePod",
                },
            ],
        }
    )
    templates = one(objects, "StatefulSet")["spec"]["volumeClaimTemplates"]
    assert [t["metadata"]["name"] for t in templates] == ["data", "logs"]
    assert templates[0]["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "20Gi"}},
    }
    assert templates[1]["spec"]["storageClassName"] == "fast"
    assert templates[1]["spec"]["accessModes"] == ["ReadWriteOncePod"]
    mounts = {m["name"]: m["mountPath"] for m in container(objects, "StatefulSet")["volumeMounts"]}
    assert mounts["data"] == "/var/lib/kafka" and mounts["logs"] == "/logs"


def test_claim_templates_carry_no_user_labels_or_version_because_they_are_immutable() -> None:
    document = app({"image": "ghcr.io/acme/web:1.0.0", **KAFKA, "labels": {"team": "a"}})
    document["metadata"]["uid"] = "u-1"
    from konfiguru_generators import render as render_document

    (sts,) = [o for o in render_document(document, Existing()) if o["kind"] == "StatefulSet"]
    labels = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"]
    assert "team" not in labels and "app.kubernetes.io/version" not in labels
    assert labels["konfiguru.io/owner-uid"] == "u-1"
    assert labels["konfiguru.io/owner-kind"] == "App"


def test_every_pod_knows_its_name_ordinal_dns_name_and_peers() -> None:
    variables = env(render(KAFKA), "StatefulSet")
    assert variables["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert variables["POD_ORDINAL"] == {
        "fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}
    }
    assert variables["POD_DNS"] == "$(POD_NAME).web-headless.$(POD_NAMESPACE).svc"
    assert variables["PEERS"] == ",".join(
        f"web-{n}.web-headless.$(POD_NAMESPACE).svc" for n in range(3)
    )


def test_identity_variables_come_first_so_user_env_can_reference_them() -> None:
    names = [
        e["name"]
        for e in container(render({**KAFKA, "env": {"A": "$(POD_DNS)"}}), "StatefulSet")["env"]
    ]
    assert names.index("POD_NAMESPACE") < names.index("POD_DNS") < names.index("A")


def test_a_user_variable_of_an_identity_name_wins_and_is_not_duplicated() -> None:
    entries = container(render({**KAFKA, "env": {"PEERS": "a,b"}}), "StatefulSet")["env"]
    assert [e["value"] for e in entries if e["name"] == "PEERS"] == ["a,b"]


def test_the_headless_service_publishes_not_ready_members_beside_the_client_service() -> None:
    objects = render(KAFKA)
    headless = _named(objects, "Service", "web-headless")
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    assert [p["name"] for p in headless["spec"]["ports"]] == ["http", "controller"]
    client = _named(objects, "Service", "web")
    assert "clusterIP" not in client["spec"]
    assert headless["spec"]["selector"] == client["spec"]["selector"]


def test_a_stateful_worker_without_ports_still_gets_its_headless_service() -> None:
    objects = render({"workload": "StatefulSet", "replicas": 2})
    assert "ports" not in _named(objects, "Service", "web-headless")["spec"]
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Service"] == ["web-headless"]


@pytest.mark.parametrize("policy", ["OrderedReady", "Parallel"])
def test_pod_management_policy_is_passed_through(policy: str) -> None:
    sts = one(render({**KAFKA, "statefulSet": {"podManagementPolicy": policy}}), "StatefulSet")
    assert sts["spec"]["podManagementPolicy"] == policy


def test_without_statefulset_settings_kubernetes_keeps_its_own_ordered_default() -> None:
    assert "podManagementPolicy" not in one(render(KAFKA), "StatefulSet")["spec"]


def test_more_than_one_member_gets_a_pdb_and_topology_spread() -> None:
    objects = render(KAFKA)
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert "topologySpreadConstraints" in pod_spec(objects, "StatefulSet")


def test_one_member_gets_no_pdb() -> None:
    assert "PodDisruptionBudget" not in kinds(render({**KAFKA, "replicas": 1}))


def test_members_may_reach_each_other_through_the_network_policy() -> None:
    policy = one(render(KAFKA), "NetworkPolicy")["spec"]
    own = {
        "podSelector": {
            "matchLabels": {"konfiguru.io/owner-kind": "App", "konfiguru.io/owner-name": "web"}
        }
    }
    callers = {"podSelector": {"matchLabels": {"connect-to.konfiguru.io/app.web": "true"}}}
    ports = [{"protocol": "TCP", "port": 9092}, {"protocol": "TCP", "port": 9093}]
    assert {"from": [own, callers], "ports": ports} in policy["ingress"]
    assert {"to": [own], "ports": ports} in policy["egress"]


def test_a_deployment_does_not_admit_its_own_pods() -> None:
    policy = one(render({"port": 8080}), "NetworkPolicy")["spec"]
    peers = [peer for rule in policy["ingress"] for peer in rule["from"]]
    assert peers == [{"podSelector": {"matchLabels": {"connect-to.konfiguru.io/app.web": "true"}}}]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**KAFKA, "autoscale": {"max": 5}}, "set replicas instead of autoscale"),
        ({"port": 80, "volumes": KAFKA["volumes"]}, "per-pod volumes need workload StatefulSet"),
        (
            {"port": 80, "statefulSet": {"podManagementPolicy": "Parallel"}},
            "statefulSet settings need workload StatefulSet",
        ),
    ],
)
def test_stateful_settings_are_refused_where_they_would_be_ignored(
    spec: dict, message: str
) -> None:
    assert any(message in text for text in errors(spec))


def _existing(**sizes: str) -> Existing:
    return Existing(pvc_sizes={k.replace("_", "-"): v for k, v in sizes.items()})


def test_a_bigger_volume_is_planned_as_an_in_place_resize_of_every_smaller_pvc() -> None:
    resource = validate(
        app({"image": "i:1", **KAFKA, "volumes": [{**KAFKA["volumes"][0], "size": "40Gi"}]})
    )
    existing = _existing(
        data_web_0="20Gi", data_web_1="20Gi", data_web_2="40Gi", data_other_0="1Gi"
    )
    assert resize_plan(resource, existing) == [("data-web-0", "40Gi"), ("data-web-1", "40Gi")]


def test_render_notes_the_pending_resize() -> None:
    _, notes = render_notes(
        {**KAFKA, "volumes": [{**KAFKA["volumes"][0], "size": "40Gi"}]},
        _existing(data_web_0="20Gi"),
    )
    assert any("data-web-0 → 40Gi" in note for note in notes)


def test_a_smaller_volume_is_refused_naming_the_volume_field() -> None:
    with pytest.raises(SpecError) as caught:
        render(
            {**KAFKA, "volumes": [{**KAFKA["volumes"][0], "size": "10Gi"}]},
            _existing(data_web_1="20Gi"),
        )
    (error,) = caught.value.errors
    assert error.path == "spec.volumes[0].size"
    assert "data-web-1 (20Gi)" in str(error) and "never shrink" in str(error)


def test_a_volume_size_must_be_a_quantity() -> None:
    messages = errors({**KAFKA, "volumes": [{**KAFKA["volumes"][0], "size": "20GB"}]})
    assert any(
        m.startswith('spec.volumes[0].size: "20GB" is not a Kubernetes quantity') for m in messages
    )


def test_a_volume_mount_path_must_not_clash_with_another_mount() -> None:
    messages = errors({**KAFKA, "volumes": [{**KAFKA["volumes"][0], "mountPath": "/tmp"}]})
    assert any(m.startswith("spec.volumes[0].mountPath") and "also mounted" in m for m in messages)
