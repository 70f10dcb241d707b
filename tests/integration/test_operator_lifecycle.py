"""The real operator against the API emulator: create, edit, heal, prune, stall, restart, delete.

Each test starts a fresh emulator and operator (resync every 0.5 s), acts like a user or like
trouble would, and polls with timeouts for the outcome: no sleep is an assertion.
"""

from __future__ import annotations

import base64
import time

import yaml
from helpers import app, conditions, container, edit_spec, is_stalled, wait_ready

APPS = "apps.konfiguru.io"


def test_create_gives_children_with_owner_references_and_ready_once_they_are(emulator, operator):
    emulator.controllers.pause("deployments")
    parent = emulator.create(app(ingress={"host": "shop.example.com"}))
    uid = parent["metadata"]["uid"]
    deployment = emulator.wait_for_object("deployments", "shop", "default", lambda d: True)
    for ref in ("services", "ingresses", "serviceaccounts"):
        emulator.wait_for_object(ref, "shop", "default", lambda o: True)
    (owner,) = deployment["metadata"]["ownerReferences"]
    assert owner["uid"] == uid and owner["controller"] is True and owner["kind"] == "App"
    assert deployment["metadata"]["labels"]["konfiguru.io/owner-uid"] == uid
    # Children exist but the Deployment has not rolled out: Reconciling, not Ready.
    progressing = emulator.wait_for_object(
        APPS, "shop", "default", lambda a: (a.get("status") or {}).get("phase") == "Progressing"
    )
    assert conditions(progressing)["Reconciling"]["status"] == "True"
    assert conditions(progressing)["Ready"]["status"] == "False"
    emulator.controllers.resume("deployments")
    ready = wait_ready(emulator)
    status = ready["status"]
    assert status["observedGeneration"] == 1
    assert status["url"].endswith("://shop.example.com")
    assert {"kind": "Deployment", "name": "shop", "ready": True} in status["children"]
    assert set(conditions(ready)) == {"Ready", "Reconciling", "Stalled"}


def test_an_edit_is_reported_reconciling_before_anything_else_is_written(emulator, operator):
    emulator.create(app())
    wait_ready(emulator)
    writes: list[tuple[str, str, dict]] = []  # (kind, name, status) of every write, in order

    def record(kind: str, rt, obj: dict, old: dict | None) -> None:
        if kind == "MODIFIED" or kind == "ADDED":
            writes.append((rt.kind, obj["metadata"]["name"], dict(obj.get("status") or {})))

    emulator.call(lambda: emulator.cluster.listeners.append(record))
    edit_spec(emulator, "shop", lambda s: s.update(image="ghcr.io/acme/shop:1.1.0"))
    wait_ready(emulator)
    ours = [w for w in writes if w[0] in ("App", "Deployment")]
    assert ours[0][0] == "App"  # the edit itself
    first_status = ours[1]
    assert first_status[0] == "App", ours  # before the Deployment moves
    started = conditions({"status": first_status[2]})
    assert first_status[2]["observedGeneration"] == 2
    assert started["Reconciling"]["status"] == "True"
    assert started["Reconciling"]["reason"] == "NewGeneration"
    assert started["Ready"]["status"] == "False"


def test_kubectl_apply_then_kubectl_wait_returns_once_ready(emulator, operator, tmp_path):
    manifest = tmp_path / "shop.kfg.yaml"
    manifest.write_text(yaml.safe_dump(app()))
    emulator.kubectl("apply", "-f", str(manifest))
    result = emulator.kubectl("wait", "--for=condition=Ready", "app/shop", "--timeout=20s")
    assert "condition met" in result.stdout


def test_spec_edits_reach_the_children(emulator, operator):
    emulator.create(
        app(
            replicas=2,
            config={"data": {"GREETING": "hello"}},
            ingress={"host": "shop.example.com"},
            schedules=[{"name": "nightly", "schedule": "0 3 * * *"}],
        )
    )
    wait_ready(emulator)
    checksum = lambda d: d["spec"]["template"]["metadata"]["annotations"][  # noqa: E731
        "konfiguru.io/config-checksum"
    ]
    before = checksum(emulator.get("deployments", "shop", "default"))

    edit_spec(emulator, "shop", lambda s: s.update(replicas=3, image="ghcr.io/acme/shop:1.1.0"))
    emulator.wait_for_object(
        "deployments",
        "shop",
        "default",
        lambda d: d["spec"]["replicas"] == 3 and container(d)["image"].endswith(":1.1.0"),
    )

    edit_spec(emulator, "shop", lambda s: s["config"]["data"].update(GREETING="bonjour"))
    emulator.wait_for_object("deployments", "shop", "default", lambda d: checksum(d) != before)

    edit_spec(emulator, "shop", lambda s: (s.pop("ingress"), s.pop("schedules")))
    emulator.wait_for_absence("ingresses", "shop", "default")
    emulator.wait_for_absence("cronjobs", "shop-nightly", "default")
    wait_ready(emulator)


def test_autoscale_on_leaves_replicas_to_the_autoscaler(emulator, operator):
    emulator.create(app(replicas=3, resources={"cpu": "100m", "memory": "128Mi"}))
    wait_ready(emulator)

    def autoscale(spec):
        spec.pop("replicas")
        spec["autoscale"] = {"min": 2, "max": 5}

    edit_spec(emulator, "shop", autoscale)
    emulator.wait_for_object("horizontalpodautoscalers", "shop", "default", lambda h: True)
    wait_ready(emulator)
    # The HPA (played by the test) scales; resyncs and later rollouts never reset it.
    emulator.patch("deployments", "shop", {"spec": {"replicas": 4}}, "default", manager="hpa")
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 3, timeout=15)
    assert emulator.get("deployments", "shop", "default")["spec"]["replicas"] == 4
    edit_spec(emulator, "shop", lambda s: s.update(image="ghcr.io/acme/shop:1.3.0"))
    deployment = emulator.wait_for_object(
        "deployments", "shop", "default", lambda d: container(d)["image"].endswith(":1.3.0")
    )
    assert deployment["spec"]["replicas"] == 4

    edit_spec(emulator, "shop", lambda s: (s.pop("autoscale"), s.update(replicas=2)))
    emulator.wait_for_absence("horizontalpodautoscalers", "shop", "default")
    emulator.wait_for_object("deployments", "shop", "default", lambda d: d["spec"]["replicas"] == 2)


def test_a_rollout_right_after_autoscale_is_turned_on_keeps_the_replica_count(emulator, operator):
    emulator.create(app(replicas=3, resources={"cpu": "100m", "memory": "128Mi"}))
    wait_ready(emulator)

    def autoscale(spec):
        spec.pop("replicas")
        spec["autoscale"] = {"min": 2, "max": 5}
        spec["image"] = "ghcr.io/acme/shop:1.2.0"  # a rollout before the HPA ever acted

    edit_spec(emulator, "shop", autoscale)
    deployment = emulator.wait_for_object(
        "deployments", "shop", "default", lambda d: container(d)["image"].endswith(":1.2.0")
    )
    assert deployment["spec"]["replicas"] == 3  # let go of, not reset to 1
    owners = emulator.managers("deployments", "shop", "default")
    assert not [p for p in owners.get("konfiguru", ()) if "replicas" in str(p)], owners


def test_a_child_deleted_or_edited_by_hand_is_restored(emulator, operator):
    emulator.create(app())
    wait_ready(emulator)
    emulator.delete("services", "shop", "default")
    emulator.wait_for_object("services", "shop", "default", lambda s: True)
    emulator.patch(
        "deployments",
        "shop",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "evil:1"}]}}}},
        "default",
        type="strategic",
        manager="kubectl-edit",
    )
    emulator.wait_for_object(
        "deployments", "shop", "default", lambda d: container(d)["image"].endswith("shop:1.0.0")
    )


def test_a_foreign_object_with_our_label_survives(emulator, operator):
    parent = emulator.create(app())
    wait_ready(emulator)
    emulator.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "not-ours",
                "namespace": "default",
                "labels": {"konfiguru.io/owner-uid": parent["metadata"]["uid"]},
            },
            "data": {"keep": "me"},
        }
    )
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 3, timeout=15)
    assert emulator.find("configmaps", "not-ours", "default") is not None


def _password(emulator) -> str:
    secret = emulator.get("secrets", "shop-db", "default")
    return base64.b64decode(secret["data"]["password"]).decode()


def test_a_generated_password_survives_ten_resyncs_and_a_restart(emulator, operator):
    emulator.create(app(secrets=[{"name": "db", "generate": [{"key": "password"}]}]))
    wait_ready(emulator)
    password = _password(emulator)
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 10, timeout=20)
    assert _password(emulator) == password
    operator.restart()
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=20)
    assert _password(emulator) == password
    assert password not in operator.log
    events = emulator.list("events", "default")
    assert any(e.get("reason") == "SecretGenerated" for e in events)
    assert all(password not in str(e) for e in events)


def test_the_rotation_annotation_changes_the_password_once(emulator, operator):
    emulator.create(app(secrets=[{"name": "db", "generate": [{"key": "password"}]}]))
    wait_ready(emulator)
    old = _password(emulator)
    emulator.patch(
        APPS,
        "shop",
        {"metadata": {"annotations": {"konfiguru.io/rotate-secrets": "2026-11"}}},
        "default",
    )
    emulator.wait_for(lambda: _password(emulator) != old, timeout=15)
    new = _password(emulator)
    secret = emulator.get("secrets", "shop-db", "default")
    assert secret["metadata"]["annotations"]["konfiguru.io/rotation"] == "2026-11"
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 3, timeout=15)
    assert _password(emulator) == new
    operator.restart()
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=20)
    assert _password(emulator) == new


def test_an_invalid_spec_stalls_with_the_message_and_leaves_children_alone(emulator, operator):
    emulator.create(app(replicas=2))
    wait_ready(emulator)
    before = {
        (c["kind"], c["metadata"]["name"]): c["metadata"]["resourceVersion"]
        for _, c in emulator.children(emulator.get(APPS, "shop", "default"))
    }
    # Passes the CRD schema and rules (admission), fails the generator's checks: a probe port
    # that is not a port of the app is one of the checks the README lists as not run at
    # admission.
    probe = {"readiness": {"http": {"path": "/ready", "port": "admin"}}}
    edit_spec(emulator, "shop", lambda s: s.update(health=probe))
    stalled = emulator.wait_for_object(APPS, "shop", "default", is_stalled)
    message = conditions(stalled)["Stalled"]["message"]
    assert "spec.health.readiness.http.port" in message and "is not a port" in message
    assert conditions(stalled)["Ready"]["status"] == "False"
    assert stalled["status"]["phase"] == "Stalled"
    events = emulator.list("events", "default")
    assert any(
        e.get("type") == "Warning" and "spec.health.readiness.http.port" in e.get("message", "")
        for e in events
    )
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=15)
    after = {
        (c["kind"], c["metadata"]["name"]): c["metadata"]["resourceVersion"]
        for _, c in emulator.children(emulator.get(APPS, "shop", "default"))
    }
    assert after == before
    # Fixing the spec recovers.
    edit_spec(emulator, "shop", lambda s: s.pop("health"))
    wait_ready(emulator)


def test_deleting_the_resource_removes_its_children(emulator, operator):
    emulator.create(app(ingress={"host": "shop.example.com"}))
    wait_ready(emulator)
    emulator.delete(APPS, "shop", "default")
    for ref in ("deployments", "services", "ingresses"):
        emulator.wait_for_absence(ref, "shop", "default")


def test_an_unchanged_resource_costs_no_api_write_on_resync(emulator, operator):
    emulator.create(app(ingress={"host": "shop.example.com"}))
    wait_ready(emulator)
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=15)  # settle
    writes = dict(emulator.writes)
    requests_before = emulator.request_count
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 5, timeout=15)
    assert emulator.writes == writes
    # Not even a no-op write was sent: every request since was a read or a watch.
    sent = emulator.request_count - requests_before
    recent = emulator.requests()[-sent:] if sent else []
    assert [r for r in recent if r[0] != "GET"] == []


def test_sigterm_stops_the_operator_cleanly(emulator, operator):
    emulator.create(app())
    wait_ready(emulator)
    started = time.monotonic()
    assert operator.stop() == 0
    assert time.monotonic() - started < 15
    assert "Traceback" not in operator.log
