"""Simulated controllers (readiness) and per-kind server rules (immutability, PVC resizing)."""

from __future__ import annotations

import time

import pytest

from .cluster import ApiError
from .samples import EXTERNAL_SECRET_CRD, deployment


def ready(obj):
    status = obj.get("status") or {}
    return (
        status.get("observedGeneration") == obj["metadata"]["generation"]
        and status.get("readyReplicas") == obj["spec"]["replicas"]
    )


def test_a_deployment_becomes_ready_after_create_and_after_each_spec_change(emu):
    emu.create(deployment("web", replicas=2))
    first = emu.wait_for_object("deploy", "web", predicate=ready)
    conditions = {c["type"]: c for c in first["status"]["conditions"]}
    assert conditions["Available"]["status"] == "True"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
    emu.patch("deploy", "web", {"spec": {"replicas": 4}})
    second = emu.wait_for_object("deploy", "web", predicate=ready)
    assert second["status"]["availableReplicas"] == 4 and second["metadata"]["generation"] == 2
    assert {c["type"]: c for c in second["status"]["conditions"]}["Available"][
        "lastTransitionTime"
    ] == conditions["Available"]["lastTransitionTime"]


def test_a_test_can_pin_a_child_unready_and_release_it(emu):
    emu.create(deployment("web", replicas=2))
    emu.wait_for_object("deploy", "web", predicate=ready)
    emu.controllers.set_unready("deploy", "web")
    status = emu.get("deploy", "web")["status"]
    assert "readyReplicas" not in status and status["unavailableReplicas"] == 2
    emu.patch("deploy", "web", {"spec": {"replicas": 3}})
    emu.wait_for_object("deploy", "web", predicate=lambda d: d["status"]["observedGeneration"] == 2)
    assert not ready(emu.get("deploy", "web"))
    emu.controllers.set_ready("deploy", "web")
    assert ready(emu.get("deploy", "web"))


def test_paused_controllers_leave_status_alone(emu):
    emu.controllers.pause()
    emu.create(deployment("web"))
    emu.wait_for(lambda: emu.call(lambda: True))
    assert "status" not in emu.get("deploy", "web")
    emu.controllers.resume()
    emu.wait_for_object("deploy", "web", predicate=ready)


def test_statefulsets_and_daemonsets_report_ready(emu):
    sts = deployment("db", replicas=3)
    sts.update(kind="StatefulSet")
    sts["spec"]["serviceName"] = "db"
    emu.create(sts)
    got = emu.wait_for_object(
        "sts", "db", predicate=lambda s: (s.get("status") or {}).get("readyReplicas") == 3
    )
    assert got["status"]["currentRevision"] == got["status"]["updateRevision"]
    ds = deployment("agent", replicas=None)
    ds.update(kind="DaemonSet")
    emu.create(ds)
    got = emu.wait_for_object(
        "ds", "agent", predicate=lambda d: (d.get("status") or {}).get("numberReady") == 1
    )
    assert got["status"]["desiredNumberScheduled"] == 1


def job(name):
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "j", "image": "busybox"}],
                }
            }
        },
    }


def test_jobs_succeed_or_fail_on_request(emu):
    emu.create(job("migrate"))
    done = emu.wait_for_object(
        "job", "migrate", predicate=lambda j: (j.get("status") or {}).get("succeeded")
    )
    assert {c["type"] for c in done["status"]["conditions"]} == {"Complete", "SuccessCriteriaMet"}
    emu.create(job("broken"))
    emu.controllers.fail_job("broken")
    failed = emu.get("job", "broken")
    assert {c["type"] for c in failed["status"]["conditions"]} == {"Failed", "FailureTarget"}


def test_job_templates_are_immutable_and_get_a_generated_selector(emu):
    created = emu.create(job("migrate"))
    assert created["spec"]["selector"]["matchLabels"] == {
        "batch.kubernetes.io/controller-uid": created["metadata"]["uid"]
    }
    with pytest.raises(ApiError) as error:
        emu.patch(
            "job",
            "migrate",
            {"spec": {"template": {"spec": {"containers": [{"name": "j", "image": "other"}]}}}},
            type="strategic",
        )
    assert (
        error.value.code == 422
        and "spec.template" in error.value.message
        and "immutable" in error.value.message
    )


def test_workload_selectors_are_immutable_and_must_match_the_template(emu):
    emu.create(deployment("web"))
    with pytest.raises(ApiError) as error:
        emu.patch(
            "deploy",
            "web",
            {
                "spec": {
                    "selector": {"matchLabels": {"app": "web", "v": "2"}},
                    "template": {"metadata": {"labels": {"app": "web", "v": "2"}}},
                }
            },
        )
    assert error.value.code == 422 and "spec.selector" in error.value.message
    bad = deployment("bad")
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(ApiError) as error:
        emu.create(bad)
    assert "does not match" in error.value.message


def test_statefulset_spec_outside_the_mutable_fields_is_forbidden(emu):
    sts = deployment("db")
    sts.update(kind="StatefulSet")
    sts["spec"]["serviceName"] = "db"
    emu.create(sts)
    emu.patch("sts", "db", {"spec": {"replicas": 5}})
    with pytest.raises(ApiError) as error:
        emu.patch(
            "sts",
            "db",
            {"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {}}]}},
        )
    assert error.value.code == 422 and "Forbidden" in error.value.message


def pvc(name, size="1Gi", storage_class=None):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_pvcs_bind_and_grow_where_the_storage_class_allows(emu):
    created = emu.create(pvc("data"))
    assert created["spec"]["storageClassName"] == "standard"
    emu.wait_for_object(
        "pvc", "data", predicate=lambda p: (p.get("status") or {}).get("phase") == "Bound"
    )
    emu.patch("pvc", "data", {"spec": {"resources": {"requests": {"storage": "2Gi"}}}})
    emu.wait_for_object(
        "pvc", "data", predicate=lambda p: p["status"].get("capacity") == {"storage": "2Gi"}
    )
    with pytest.raises(ApiError) as error:
        emu.patch("pvc", "data", {"spec": {"resources": {"requests": {"storage": "1Gi"}}}})
    assert error.value.code == 422
    with pytest.raises(ApiError) as error:
        emu.patch("pvc", "data", {"spec": {"accessModes": ["ReadWriteMany"]}})
    assert error.value.code == 422


def test_pvcs_cannot_grow_without_volume_expansion(emu):
    emu.create(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fixed"},
            "provisioner": "x",
            "allowVolumeExpansion": False,
        }
    )
    emu.create(pvc("data", storage_class="fixed"))
    with pytest.raises(ApiError) as error:
        emu.patch("pvc", "data", {"spec": {"resources": {"requests": {"storage": "2Gi"}}}})
    assert error.value.code == 403 and "must support resize" in error.value.message


def test_a_pending_pvc_on_request(emu):
    emu.create(pvc("data"))
    emu.wait_for_object(
        "pvc", "data", predicate=lambda p: (p.get("status") or {}).get("phase") == "Bound"
    )
    emu.controllers.set_unready("pvc", "data")
    assert emu.get("pvc", "data")["status"]["phase"] == "Pending"


def test_services_get_an_immutable_cluster_ip(emu):
    svc = emu.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        },
        manager="op",
    )
    ip = svc["spec"]["clusterIP"]
    assert ip.startswith("10.96.")
    again = emu.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080}]},
        },
        manager="op",
    )
    assert again["spec"]["clusterIP"] == ip
    # The port "op" stopped applying is gone, with the fields the server defaulted in it.
    assert again["spec"]["ports"] == [{"port": 8080, "protocol": "TCP", "targetPort": 8080}]
    with pytest.raises(ApiError):
        emu.patch("svc", "web", {"spec": {"clusterIP": "10.96.200.200"}})


def cronjob(name):
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "metadata": {"labels": {"run": name}},
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "j", "image": "busybox"}],
                        }
                    }
                },
            },
        },
    }


def test_a_triggered_cronjob_runs_a_job_it_lists_as_active_until_it_succeeds(emu):
    emu.create(cronjob("nightly"))
    emu.controllers.pause("jobs")
    job = emu.controllers.trigger_cronjob("nightly")
    assert job["metadata"]["labels"]["run"] == "nightly"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    active = emu.get("cj", "nightly")["status"]["active"]
    assert [a["name"] for a in active] == [job["metadata"]["name"]]
    emu.controllers.resume("jobs")
    done = emu.wait_for_object(
        "cj", "nightly", predicate=lambda c: "lastSuccessfulTime" in c["status"]
    )
    assert "active" not in done["status"]


def test_hpa_scaling_goes_through_the_scale_subresource_and_takes_replicas(emu):
    emu.apply(deployment("web", replicas=2), manager="konfiguru")
    scaled = emu.controllers.hpa_scale("deploy", "web", 6)
    assert scaled["spec"]["replicas"] == 6
    entry = next(
        e for e in scaled["metadata"]["managedFields"] if e["manager"] == "kube-controller-manager"
    )
    assert entry["subresource"] == "scale" and "f:replicas" in entry["fieldsV1"]["f:spec"]
    konfiguru = next(e for e in scaled["metadata"]["managedFields"] if e["manager"] == "konfiguru")
    assert "f:replicas" not in konfiguru["fieldsV1"]["f:spec"]


def _hpa(target: str, low: int, high: int) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": target, "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": low,
            "maxReplicas": high,
        },
    }


def test_an_hpa_raises_its_target_to_min_and_caps_it_at_max_like_the_real_one(emu):
    emu.apply(deployment("web", replicas=None), manager="konfiguru")
    emu.controllers.pause("hpa")
    emu.create(_hpa("web", 2, 5))
    assert emu.get("deploy", "web")["spec"]["replicas"] == 1  # paused: as the server defaulted
    emu.controllers.resume("hpa")
    raised = emu.wait_for_object("deploy", "web", predicate=lambda d: d["spec"]["replicas"] == 2)
    assert any(
        e["manager"] == "kube-controller-manager" and e.get("subresource") == "scale"
        for e in raised["metadata"]["managedFields"]
    )
    emu.patch("hpa", "web", {"spec": {"minReplicas": 1, "maxReplicas": 1}})
    emu.wait_for_object("deploy", "web", predicate=lambda d: d["spec"]["replicas"] == 1)


def _external_secret(name: str) -> dict:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "target": {"name": f"{name}-target", "creationPolicy": "Owner"},
            "data": [{"secretKey": "TOKEN", "remoteRef": {"key": "shop/token"}}],
        },
    }


def _es_ready(obj: dict) -> str | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c["status"] for c in conditions if c["type"] == "Ready"), None)


def test_an_external_secret_gets_its_target_secret_and_ready_like_from_eso(emu):
    emu.controllers.pause("externalsecrets")
    emu.create(_external_secret("pay"))
    assert "status" not in emu.get("externalsecrets", "pay")
    assert emu.find("secrets", "pay-target") is None
    emu.controllers.set_unready("externalsecrets", "pay")
    failing = emu.wait_for_object("externalsecrets", "pay", predicate=_es_ready)
    assert _es_ready(failing) == "False" and failing["status"]["conditions"][0]["reason"] == (
        "SecretSyncedError"
    )
    emu.controllers.resume("externalsecrets")
    emu.controllers.set_ready("externalsecrets", "pay")
    synced = emu.wait_for_object("es", "pay", predicate=lambda e: _es_ready(e) == "True")
    assert synced["status"]["binding"] == {"name": "pay-target"}
    secret = emu.get("secrets", "pay-target")
    assert set(secret["data"]) == {"TOKEN"}
    assert secret["metadata"]["ownerReferences"][0]["uid"] == synced["metadata"]["uid"]


def test_an_add_on_group_left_out_is_served_once_its_crd_is_created(emulator_factory):
    emu = emulator_factory(crds=[], without=("external-secrets.io",))
    status, _, _ = emu.request("GET", "/apis/external-secrets.io/v1")
    assert status == 404
    emu.create(EXTERNAL_SECRET_CRD)
    emu.create(_external_secret("pay"))
    emu.wait_for_object("es", "pay", predicate=lambda e: _es_ready(e) == "True")


def test_a_claim_of_a_missing_storage_class_stays_pending_and_its_pod_never_ready(
    emulator_factory,
):
    emu = emulator_factory(crds=[], statefulset_pvcs=True)
    sts = deployment("db", replicas=1)
    sts["kind"] = "StatefulSet"
    sts["spec"]["serviceName"] = "db"
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "fast",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    ]
    emu.create(sts)
    claim = emu.wait_for_object("pvc", "data-db-0", predicate=lambda c: c.get("status"))
    assert claim["status"]["phase"] == "Pending"
    events = emu.list("v1/events", "default", fields="involvedObject.name=data-db-0")
    assert [(e["reason"], e["message"]) for e in events] == [
        ("ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found')
    ]
    time.sleep(0.2)
    assert not emu.get("sts", "db")["status"].get("readyReplicas")

    emu.create(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast"},
            "provisioner": "rancher.io/local-path",
        }
    )
    emu.wait_for_object("pvc", "data-db-0", predicate=lambda c: c["status"]["phase"] == "Bound")
    emu.wait_for_object("sts", "db", predicate=lambda s: s["status"].get("readyReplicas") == 1)


def test_statefulsets_can_claim_their_volumes_like_the_real_controller(emulator_factory):
    emu = emulator_factory(crds=[], statefulset_pvcs=True)
    sts = deployment("db", replicas=2)
    sts.update(kind="StatefulSet")
    sts["spec"]["serviceName"] = "db"
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    ]
    emu.create(sts)
    claims = emu.wait_for(
        lambda: len(emu.list("pvc", "default")) == 2 and emu.list("pvc", "default")
    )
    assert [c["metadata"]["name"] for c in claims] == ["data-db-0", "data-db-1"]
    assert (
        claims[0]["metadata"]["labels"] == {"app": "db"}
        and claims[0]["spec"]["storageClassName"] == "standard"
    )
    emu.wait_for_object(
        "pvc", "data-db-1", predicate=lambda p: (p.get("status") or {}).get("phase") == "Bound"
    )
    emu.patch("sts", "db", {"spec": {"replicas": 1}})
    emu.delete("sts", "db")
    assert emu.find("pvc", "data-db-1") is not None  # retained, as by default


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda c: c.update(ports=[{"name": "much-too-long-name", "containerPort": 80}]),
            "spec.template.spec.containers[0].ports[0].name",
        ),
        (
            lambda c: c.update(env=[{"name": "1 BAD", "value": "x"}]),
            "spec.template.spec.containers[0].env[0].name",
        ),
        (
            lambda c: c.update(volumeMounts=[{"name": "missing", "mountPath": "/x"}]),
            "spec.template.spec.containers[0].volumeMounts[0].name",
        ),
        (lambda c: c.update(name="Bad_Name"), "spec.template.spec.containers[0].name"),
    ],
)
def test_pod_templates_get_the_checks_a_schema_cannot_express(emu, change, field):
    body = deployment("web")
    change(body["spec"]["template"]["spec"]["containers"][0])
    with pytest.raises(ApiError) as error:
        emu.create(body)
    assert field in [c["field"] for c in error.value.details["causes"]]


def test_services_with_several_ports_need_port_names(emu):
    with pytest.raises(ApiError) as error:
        emu.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web"},
                "spec": {"ports": [{"port": 80}, {"port": 443}]},
            }
        )
    assert "spec.ports[0].name" in error.value.message


def test_a_pdb_cannot_set_both_bounds(emu):
    with pytest.raises(ApiError):
        emu.create(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "p"},
                "spec": {
                    "minAvailable": 1,
                    "maxUnavailable": 1,
                    "selector": {"matchLabels": {"a": "b"}},
                },
            }
        )


def _route(name="web", **rule):
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"parentRefs": [{"name": "gateway"}], "rules": [rule]},
    }


def test_httproutes_are_defaulted_and_checked_like_the_gateway_api_crd(emu):
    created = emu.create(_route(backendRefs=[{"name": "web", "port": 80}]))
    (parent,) = created["spec"]["parentRefs"]
    assert parent == {"name": "gateway", "group": "gateway.networking.k8s.io", "kind": "Gateway"}
    (rule,) = created["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rule["backendRefs"] == [
        {"name": "web", "port": 80, "group": "", "kind": "Service", "weight": 1}
    ]
    with pytest.raises(ApiError) as error:
        emu.create(
            _route(
                "redirect",
                filters=[{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}],
                backendRefs=[{"name": "web", "port": 80}],
            )
        )
    assert error.value.code == 422
    assert (
        "RequestRedirect filter must not be used together with backendRefs" in error.value.message
    )


def test_a_load_balancer_class_may_not_change_once_set(emu):
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lb", "namespace": "default"},
        "spec": {
            "type": "LoadBalancer",
            "loadBalancerClass": "example.com/a",
            "ports": [{"port": 80}],
        },
    }
    emu.create(service)
    with pytest.raises(ApiError) as error:
        emu.patch("services", "lb", {"spec": {"loadBalancerClass": "example.com/b"}})
    assert error.value.code == 422 and "may not change once set" in error.value.message
