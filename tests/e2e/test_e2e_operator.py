"""The integration scenarios again, on a real cluster (kind): real controllers, real SSA."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from e2e_cluster import NAMESPACE

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("clean")]

IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine"


def app(name: str = "shop", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "image": IMAGE,
            "port": 8080,
            "security": {"runAsUser": 101, "writablePaths": ["/tmp", "/var/cache/nginx"]},
            **spec,
        },
    }


def ready(obj: dict[str, Any] | None) -> bool:
    if not obj:
        return False
    status = obj.get("status") or {}
    return status.get("observedGeneration") == obj["metadata"]["generation"] and any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or []
    )


def stalled(obj: dict[str, Any] | None) -> bool:
    return bool(obj) and any(
        c["type"] == "Stalled"
        and c["status"] == "True"
        and c.get("observedGeneration") == obj["metadata"]["generation"]  # type: ignore[index]
        for c in (obj.get("status") or {}).get("conditions") or []  # type: ignore[union-attr]
    )


def image(d: dict[str, Any] | None) -> str:
    return d["spec"]["template"]["spec"]["containers"][0]["image"] if d else ""  # type: ignore[no-any-return]


def test_apply_then_kubectl_wait_and_children_are_owned(cluster, operator, tmp_path):
    manifest = tmp_path / "shop.kfg.yaml"
    manifest.write_text(json.dumps(app(ingress={"host": "shop.example.com"})))
    cluster.kubectl("apply", "-f", str(manifest))
    out = cluster.kubectl(
        "wait", "--for=condition=Ready", "app/shop", "-n", NAMESPACE, "--timeout=180s"
    )
    assert "condition met" in out
    parent = cluster.get("app", "shop")
    for kind in ("deployment", "service", "ingress"):
        child = cluster.get(kind, "shop")
        (ref,) = child["metadata"]["ownerReferences"]
        assert ref["uid"] == parent["metadata"]["uid"] and ref["controller"]
    assert parent["status"]["url"].endswith("shop.example.com")


def test_spec_edits_prune_and_autoscale(cluster, operator):
    cluster.apply(
        app(
            replicas=2,
            config={"data": {"A": "1"}},
            ingress={"host": "s.example.com"},
            schedules=[{"name": "nightly", "schedule": "0 3 * * *"}],
            resources={"cpu": "50m", "memory": "64Mi"},
        )
    )
    cluster.wait_for("app", "shop", ready)
    before = cluster.get("deployment", "shop")["spec"]["template"]["metadata"]["annotations"]
    cluster.patch("app", "shop", {"spec": {"replicas": 3, "config": {"data": {"A": "2"}}}})
    cluster.wait_for(
        "deployment",
        "shop",
        lambda d: (
            d["spec"]["replicas"] == 3
            and d["spec"]["template"]["metadata"]["annotations"] != before
        ),
    )
    cluster.patch("app", "shop", {"spec": {"ingress": None, "schedules": None}})
    cluster.wait_for("ingress", "shop", lambda o: o is None)
    cluster.wait_for("cronjob", "shop-nightly", lambda o: o is None)
    cluster.patch(
        "app",
        "shop",
        {
            "spec": {
                "replicas": None,
                "autoscale": {"min": 3, "max": 5},
                "image": "nginxinc/nginx-unprivileged:1.27.1-alpine",
            }
        },
    )
    deployment = cluster.wait_for(
        "deployment", "shop", lambda d: image(d).endswith("1.27.1-alpine")
    )
    assert deployment["spec"]["replicas"] == 3  # released, not reset to 1
    ours = [m for m in deployment["metadata"]["managedFields"] if m["manager"] == "konfiguru"]
    assert all("f:replicas" not in (m["fieldsV1"].get("f:spec") or {}) for m in ours)
    cluster.wait_for("app", "shop", ready)


def test_drift_is_healed_and_foreign_objects_survive(cluster, operator):
    cluster.apply(app())
    parent = cluster.wait_for("app", "shop", ready)
    cluster.kubectl("create", "configmap", "not-ours", "-n", NAMESPACE, "--from-literal=a=b")
    cluster.kubectl(
        "label",
        "configmap",
        "not-ours",
        "-n",
        NAMESPACE,
        f"konfiguru.io/owner-uid={parent['metadata']['uid']}",
    )
    cluster.delete("service", "shop")
    cluster.wait_for(
        "service", "shop", lambda s: s is not None and "deletionTimestamp" not in s["metadata"]
    )
    cluster.kubectl(
        "set", "image", "deployment/shop", f"app={IMAGE.replace('1.27', '1.26')}", "-n", NAMESPACE
    )
    cluster.wait_for("deployment", "shop", lambda d: image(d) == IMAGE)
    assert cluster.get("configmap", "not-ours") is not None


def test_generated_password_survives_restarts_and_resyncs(cluster, operator):
    cluster.apply(app(secrets=[{"name": "db", "generate": [{"key": "password"}]}]))
    cluster.wait_for("app", "shop", ready)
    password = base64.b64decode(cluster.get("secret", "shop-db")["data"]["password"])
    operator.restart()
    cluster.wait_for("app", "shop", ready)
    seen = operator.reconciles()
    cluster.wait_until(lambda: operator.reconciles() >= seen + 3)  # resyncs every 5 s
    assert base64.b64decode(cluster.get("secret", "shop-db")["data"]["password"]) == password
    assert password.decode() not in operator.log


def test_invalid_spec_stalls_and_children_stay(cluster, operator):
    cluster.apply(app(replicas=2))
    cluster.wait_for("app", "shop", ready)
    version = cluster.get("deployment", "shop")["metadata"]["resourceVersion"]
    # Admitted by the API server (the README's "Which checks run where": ports that must agree
    # are checked by the operator only), refused by the operator.
    probe = {"readiness": {"http": {"path": "/ready", "port": "admin"}}}
    cluster.patch("app", "shop", {"spec": {"health": probe}})
    obj = cluster.wait_for("app", "shop", stalled)
    assert "is not a port of this app" in json.dumps(obj["status"]["conditions"])
    assert cluster.get("deployment", "shop")["metadata"]["resourceVersion"] == version


def test_deleting_the_app_removes_its_children(cluster, operator):
    cluster.apply(app(ingress={"host": "s.example.com"}))
    cluster.wait_for("app", "shop", ready)
    cluster.delete("app", "shop")
    for kind in ("deployment", "service", "ingress"):
        cluster.wait_for(kind, "shop", lambda o: o is None)
