"""The reconcile, against a fake API: what is written, what is left alone, what is reported."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from operator_fakes import Harness, edit, make_ready, reconcile

from konfiguru_operator.errors import Retry, Stalled, classify
from konfiguru_operator.kube import ApiError
from konfiguru_operator.reconciler import ROTATE_ANNOTATION, ROTATION_STAMP


def _create(h: Harness, app: dict[str, Any]) -> dict[str, Any]:
    return h.client.put("apps", app)


def _password(h: Harness) -> str:
    secret = h.client.find("Secret", "web-db")
    assert secret is not None
    return base64.b64decode(secret["data"]["password"]).decode()


def _conditions(h: Harness) -> dict[str, dict[str, Any]]:
    status = h.client.find("App", "web")["status"]  # type: ignore[index]
    return {c["type"]: c for c in status["conditions"]}


def test_create_applies_every_child_with_a_controller_owner_reference(harness, app):
    parent = _create(harness, app)
    reconcile(harness)
    kinds = {kind for kind, _ in harness.client.kinds()}
    assert {"Deployment", "Service", "Ingress", "Secret", "CronJob"} <= kinds
    for obj in harness.client.labelled():
        (ref,) = obj["metadata"]["ownerReferences"]
        assert ref["uid"] == parent["metadata"]["uid"] and ref["controller"] is True
        assert obj["metadata"]["namespace"] == "shop"


def test_status_is_progressing_until_children_are_ready_then_ready(harness, app):
    _create(harness, app)
    reconcile(harness)
    status = harness.client.find("App", "web")["status"]
    assert status["phase"] == "Progressing"
    assert _conditions(harness)["Reconciling"]["status"] == "True"
    assert _conditions(harness)["Ready"]["status"] == "False"
    make_ready(harness)
    reconcile(harness)
    status = harness.client.find("App", "web")["status"]
    assert status["phase"] == "Ready" and status["observedGeneration"] == 1
    ready = _conditions(harness)["Ready"]
    assert ready["status"] == "True" and ready["observedGeneration"] == 1
    assert status["url"] == "http://web.example.com" or status["url"].startswith("https://")
    assert {"kind": "Deployment", "name": "web", "ready": True} in status["children"]


def test_a_reconcile_with_nothing_to_change_writes_nothing(harness, app):
    _create(harness, app)
    reconcile(harness)
    make_ready(harness)
    reconcile(harness)
    before = len(harness.client.writes)
    for _ in range(10):
        reconcile(harness)
    assert harness.client.writes[before:] == []


def test_last_transition_time_changes_only_when_a_condition_flips(harness, app):
    _create(harness, app)
    reconcile(harness)
    first = _conditions(harness)["Ready"]["lastTransitionTime"]
    obj = harness.client.find("App", "web")
    obj["status"]["conditions"][0]["lastTransitionTime"] = "2000-01-01T00:00:00Z"
    harness.reconciler.forget(obj["metadata"]["uid"])
    edit(harness, "web", lambda spec: spec.update(image="ghcr.io/acme/web:1.0.1"))
    reconcile(harness)
    assert _conditions(harness)["Ready"]["lastTransitionTime"] == "2000-01-01T00:00:00Z"
    assert first


def test_generated_password_is_kept_across_resyncs_and_a_restart(harness, app):
    _create(harness, app)
    reconcile(harness)
    password = _password(harness)
    for _ in range(10):
        reconcile(harness)
    restarted = Harness(harness.client)  # a new process: empty caches, same cluster
    reconcile(restarted)
    assert _password(harness) == password
    assert any(reason == "SecretGenerated" for _, reason, _ in harness.events)
    assert all(password not in message for _, _, message in harness.events)


def test_a_secret_the_watch_has_not_shown_yet_is_read_back_not_regenerated(harness, app):
    _create(harness, app)
    reconcile(harness)
    password = _password(harness)
    # Simulate watch lag: the cache forgets the Secret, the API still has it.
    harness.state._child_indexes = []
    harness.reconciler.forget(harness.parent("web")["metadata"]["uid"])
    reconcile(harness)
    assert _password(harness) == password


def test_rotation_annotation_regenerates_once_and_stamps_the_secret(harness, app):
    _create(harness, app)
    reconcile(harness)
    old = _password(harness)
    harness.client.find("App", "web")["metadata"]["annotations"] = {ROTATE_ANNOTATION: "2025-01"}
    reconcile(harness)
    new = _password(harness)
    assert new != old
    secret = harness.client.find("Secret", "web-db")
    assert secret["metadata"]["annotations"][ROTATION_STAMP] == "2025-01"
    reconcile(harness)
    assert _password(harness) == new


def test_removed_ingress_and_schedule_are_pruned(harness, app):
    _create(harness, app)
    reconcile(harness)
    assert harness.client.find("Ingress", "web") and harness.client.find("CronJob", "web-nightly")
    edit(harness, "web", lambda spec: (spec.pop("ingress"), spec.pop("schedules")))
    reconcile(harness)
    assert harness.client.find("Ingress", "web") is None
    assert harness.client.find("CronJob", "web-nightly") is None
    assert any(reason == "Pruned" for _, reason, _ in harness.events)


def test_a_foreign_object_carrying_our_label_survives(harness, app):
    parent = _create(harness, app)
    foreign = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "not-ours",
            "namespace": "shop",
            "labels": {"konfiguru.io/owner-uid": parent["metadata"]["uid"]},
        },
        "data": {"a": "b"},
    }
    harness.client.put("configmaps", foreign)
    reconcile(harness)
    assert harness.client.find("ConfigMap", "not-ours") is not None


def test_a_child_edited_by_hand_is_restored(harness, app):
    _create(harness, app)
    reconcile(harness)
    deployment = harness.client.find("Deployment", "web")
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest"
    reconcile(harness)
    image = harness.client.find("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "ghcr.io/acme/web:1.0.0"


def test_a_child_deleted_by_hand_is_recreated(harness, app):
    _create(harness, app)
    reconcile(harness)
    gone = harness.client.objects.pop(("services", "shop", "web"))
    # The watch's DELETED event (handlers/children.py passes it on like this).
    uid = harness.parent("web")["metadata"]["uid"]
    harness.state.observed(uid, "Service", "web", gone["metadata"]["resourceVersion"])
    reconcile(harness)
    assert harness.client.find("Service", "web") is not None


def test_autoscale_leaves_replicas_out_of_the_applied_deployment(harness, app):
    app["spec"].pop("replicas")
    app["spec"]["resources"] = {"cpu": "100m", "memory": "128Mi"}
    app["spec"]["autoscale"] = {"max": 5}
    _create(harness, app)
    applied: list[dict[str, Any]] = []
    original = harness.client.apply

    async def spy(ref, body, manager):
        applied.append(body)
        return await original(ref, body, manager)

    harness.client.apply = spy  # type: ignore[method-assign]
    reconcile(harness)
    (deployment,) = [b for b in applied if b["kind"] == "Deployment"]
    assert "replicas" not in deployment["spec"]
    assert harness.client.find("HorizontalPodAutoscaler", "web") is not None


def test_invalid_spec_stalls_with_the_message_and_leaves_children_untouched(harness, app):
    _create(harness, app)
    reconcile(harness)
    before = {k: dict(v) for k, v in harness.client.objects.items() if v["kind"] != "App"}
    writes = len(harness.client.writes)
    edit(harness, "web", lambda spec: spec.update(port=70000))
    with pytest.raises(Stalled) as stalled:
        reconcile(harness)
    assert "spec.port" in stalled.value.message
    after = {k: v for k, v in harness.client.objects.items() if v["kind"] != "App"}
    assert after == before
    assert [w for w in harness.client.writes[writes:] if w[0] != "patch/status"] == []
    conditions = _conditions(harness)
    assert conditions["Stalled"]["status"] == "True"
    assert conditions["Stalled"]["reason"] == "InvalidSpec"
    assert "spec.port" in conditions["Stalled"]["message"]
    assert conditions["Ready"]["observedGeneration"] == 2
    warnings = [e for e in harness.events if e[0] == "Warning"]
    assert warnings and warnings[0][1] == "InvalidSpec"
    # The same bad spec again: no second event, no second status write.
    writes = len(harness.client.writes)
    with pytest.raises(Stalled):
        reconcile(harness)
    assert harness.client.writes[writes:] == []
    assert len([e for e in harness.events if e[0] == "Warning"]) == 1


def test_an_immutable_selector_change_stalls_with_what_to_do(harness, app):
    _create(harness, app)
    reconcile(harness)
    deployment = harness.client.find("Deployment", "web")
    deployment["spec"]["selector"] = {"matchLabels": {"old": "selector"}}
    reconcile(harness)
    stalled = _conditions(harness)["Stalled"]
    assert stalled["status"] == "True" and stalled["reason"] == "ImmutableField"
    assert "kubectl delete deployments web -n shop" in stalled["message"]


def test_a_changed_job_template_recreates_the_job(harness, app):
    app["spec"]["jobs"] = [{"name": "migrate", "command": ["migrate"]}]
    _create(harness, app)
    reconcile(harness)
    (job,) = [o for o in harness.client.objects.values() if o["kind"] == "Job"]
    job["spec"]["template"]["spec"]["containers"][0]["image"] = "changed:by-hand"
    with pytest.raises(Retry):
        reconcile(harness)
    reconcile(harness)
    (job,) = [o for o in harness.client.objects.values() if o["kind"] == "Job"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/web:1.0.0"


def test_a_name_taken_by_another_owner_stalls_and_is_not_overwritten(harness, app):
    _create(harness, app)
    harness.client.put(
        "services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "labels": {"konfiguru.io/owner-uid": harness.parent("web")["metadata"]["uid"]},
                "ownerReferences": [{"uid": "someone-else", "controller": True}],
            },
            "spec": {"ports": [{"port": 1}]},
        },
    )
    reconcile(harness)
    assert harness.client.find("Service", "web")["spec"] == {"ports": [{"port": 1}]}
    assert _conditions(harness)["Stalled"]["reason"] == "NameTaken"


@pytest.mark.parametrize("status", [500, 429, 409, 503])
def test_transient_api_errors_are_retried_and_then_converge(harness, app, status):
    _create(harness, app)
    harness.client.faults.append(ApiError(status, "Oops", "try later"))
    with pytest.raises(ApiError) as error:
        reconcile(harness)
    outcome = classify(error.value, 0, harness.settings)
    assert outcome is not None and outcome.retry is not None
    reconcile(harness)
    assert harness.client.find("Deployment", "web") is not None


def test_child_events_coalesce_and_failures_are_retried_by_the_scheduler(harness, app):
    from konfiguru_operator.reconciler import Scheduler

    _create(harness, app)
    uid = harness.parent("web")["metadata"]["uid"]
    harness.client.faults.append(ApiError(500, "InternalError", "boom"))

    async def scenario() -> None:
        scheduler = Scheduler(harness.settings, harness.reconciler, harness.state)
        for _ in range(5):
            scheduler.poke(uid)
        for _ in range(200):
            if not scheduler.busy:
                break
            await asyncio.sleep(0.01)
        assert not scheduler.busy

    asyncio.run(scenario())
    assert harness.client.find("Deployment", "web") is not None
    # 1 failed attempt + 1 successful + at most one coalesced rerun.
    assert harness.reconciler.reconciles <= 3


def _status_patches(h: Harness) -> list[dict[str, Any]]:
    """Every status patch from now on, in order (the writes list does not keep bodies)."""
    seen: list[dict[str, Any]] = []
    original = h.client.merge_patch

    async def spy(ref: Any, namespace: Any, name: str, body: Any, sub: str = "") -> Any:
        if sub == "status":
            seen.append(body["status"])
        return await original(ref, namespace, name, body, sub)

    h.client.merge_patch = spy  # type: ignore[method-assign]
    return seen


def test_a_new_generation_says_reconciling_before_anything_is_applied(harness, app):
    _create(harness, app)
    reconcile(harness)
    make_ready(harness)
    reconcile(harness)
    assert _conditions(harness)["Ready"]["status"] == "True"
    patches = _status_patches(harness)
    writes = len(harness.client.writes)
    edit(harness, "web", lambda spec: spec.update(image="ghcr.io/acme/web:1.1.0"))
    reconcile(harness)
    # First the status says the new generation is being worked on, then the Deployment moves.
    assert harness.client.writes[writes] == ("patch/status", "apps", "web")
    assert ("apply", "Deployment", "web") in harness.client.writes[writes + 1 :]
    first = {c["type"]: c for c in patches[0]["conditions"]}
    assert patches[0]["observedGeneration"] == 2
    assert first["Reconciling"]["status"] == "True"
    assert first["Reconciling"]["reason"] == "NewGeneration"
    assert first["Ready"]["status"] == "False" and first["Ready"]["observedGeneration"] == 2
    assert len(patches) == 2  # the start, then the outcome


def test_a_retried_reconcile_of_the_same_generation_does_not_say_so_again(harness, app):
    _create(harness, app)
    reconcile(harness)
    patches = _status_patches(harness)
    edit(harness, "web", lambda spec: spec.update(replicas=3))
    original = harness.client.apply

    async def refuse_once(ref: Any, body: Any, manager: str) -> Any:
        harness.client.apply = original  # type: ignore[method-assign]
        raise ApiError(500, "InternalError", "boom")

    harness.client.apply = refuse_once  # type: ignore[method-assign]
    with pytest.raises(ApiError):
        reconcile(harness)
    assert [p["conditions"][1]["reason"] for p in patches] == ["NewGeneration"]
    reconcile(harness)
    assert [p["conditions"][1]["reason"] for p in patches] == ["NewGeneration", "Progressing"]


def _jobs(h: Harness) -> list[dict[str, Any]]:
    return [o for o in h.client.objects.values() if o["kind"] == "Job"]


def _delete_jobs(h: Harness) -> None:
    """What the TTL controller does to finished Jobs."""
    for key in [k for k, o in h.client.objects.items() if o["kind"] == "Job"]:
        del h.client.objects[key]


def test_a_finished_one_off_job_deleted_by_its_ttl_is_not_run_again(harness, app):
    app["spec"]["jobs"] = [
        {"name": "migrate", "command": ["migrate"], "ttlSecondsAfterFinished": 60}
    ]
    _create(harness, app)
    reconcile(harness)
    make_ready(harness)
    reconcile(harness)
    (job,) = _jobs(harness)
    (record,) = harness.client.find("App", "web")["status"]["finishedJobs"]
    assert record["name"] == job["metadata"]["name"] and record["succeeded"] is True
    _delete_jobs(harness)
    writes = len(harness.client.writes)
    for _ in range(3):
        reconcile(harness)
    assert _jobs(harness) == []
    assert harness.client.writes[writes:] == []
    status = harness.client.find("App", "web")["status"]
    assert status["phase"] == "Ready"
    assert {"kind": "Job", "name": record["name"], "ready": True} in status["children"]
    # A new command is a new run (a new Job), and the record of the old one goes.
    edit(harness, "web", lambda spec: spec["jobs"][0].update(command=["migrate", "--all"]))
    reconcile(harness)
    (again,) = _jobs(harness)
    assert again["metadata"]["name"] != record["name"]
    assert "finishedJobs" not in harness.client.find("App", "web")["status"]


def test_a_failed_one_off_job_deleted_afterwards_still_reports_its_failure(harness, app):
    app["spec"]["jobs"] = [
        {"name": "migrate", "command": ["migrate"], "ttlSecondsAfterFinished": 0}
    ]
    _create(harness, app)
    reconcile(harness)
    (job,) = _jobs(harness)
    job["status"] = {"conditions": [{"type": "Failed", "status": "True", "message": "exit 1"}]}
    reconcile(harness)
    assert harness.client.find("App", "web")["status"]["finishedJobs"][0]["succeeded"] is False
    _delete_jobs(harness)
    reconcile(harness)
    assert _jobs(harness) == []
    stalled = _conditions(harness)["Stalled"]
    assert stalled["status"] == "True" and "has since been deleted" in stalled["message"]


def _job_deleted_event(h: Harness, uid: str, job: dict[str, Any]) -> None:
    """What the child handler does with a Job's DELETED watch event."""
    h.state.observed(uid, "Job", job["metadata"]["name"], job["metadata"]["resourceVersion"])
    h.state.job_deleted(uid, job, h.settings.field_manager)


def test_a_job_deleted_as_soon_as_it_finished_is_not_run_again(harness, app):
    app["spec"]["jobs"] = [
        {"name": "migrate", "command": ["migrate"], "ttlSecondsAfterFinished": 0}
    ]
    parent = _create(harness, app)
    uid = parent["metadata"]["uid"]
    reconcile(harness)
    (job,) = _jobs(harness)
    job["status"] = {"conditions": [{"type": "Complete", "status": "True"}]}
    # The TTL controller was quicker than any reconcile: only the watch's DELETED event saw it
    # finished (the child handler hands its last state over).
    _delete_jobs(harness)
    _job_deleted_event(harness, uid, job)
    reconcile(harness)
    assert _jobs(harness) == []
    (record,) = harness.client.find("App", "web")["status"]["finishedJobs"]
    assert record["name"] == job["metadata"]["name"] and record["succeeded"] is True
    assert harness.state.deleted_jobs(uid) == {}
    reconcile(harness)
    assert _jobs(harness) == []


def test_a_job_deleted_while_it_ran_runs_again(harness, app):
    app["spec"]["jobs"] = [{"name": "migrate", "command": ["migrate"]}]
    parent = _create(harness, app)
    reconcile(harness)
    (job,) = _jobs(harness)
    _delete_jobs(harness)
    _job_deleted_event(harness, parent["metadata"]["uid"], job)
    reconcile(harness)
    (again,) = _jobs(harness)
    assert again["metadata"]["name"] == job["metadata"]["name"]


def test_a_job_finished_for_an_older_spec_is_not_taken_for_a_run_of_the_new_one(harness):
    from konfiguru_operator import jobs

    desired = {"kind": "Job", "metadata": {"name": "train"}, "spec": {"template": {"x": 2}}}
    live = {
        ("Job", "train"): {
            "kind": "Job",
            "metadata": {"name": "train", "ownerReferences": [{"uid": "u", "controller": True}]},
            "spec": {"template": {"x": 1}},
            "status": {"conditions": [{"type": "Complete", "status": "True"}]},
        }
    }
    settled = jobs.settle("u", [desired], live, None)
    assert settled.apply == [desired] and settled.records == []
    # Its own finished run is recorded; once gone, it is not applied again.
    live[("Job", "train")]["spec"] = desired["spec"]
    records = jobs.settle("u", [desired], live, None).records
    assert records == [{"name": "train", "specHash": jobs.spec_hash(desired), "succeeded": True}]
    gone = jobs.settle("u", [desired], {}, records)
    assert gone.apply == [] and gone.gone == {"train": True}
    # A CronJob's Jobs and other kinds pass through untouched.
    cronjob = {"kind": "CronJob", "metadata": {"name": "train"}, "spec": {}}
    assert jobs.settle("u", [cronjob], {}, records).apply == [cronjob]


def _database(h: Harness, size: str, replicas: int = 1) -> dict[str, Any]:
    return h.client.put(
        "databases",
        {
            "apiVersion": "konfiguru.io/v1alpha1",
            "kind": "Database",
            "metadata": {"name": "orders", "namespace": "shop"},
            "spec": {
                "engine": "postgres",
                "version": "17",
                "replicas": replicas,
                "storage": {"size": size},
            },
        },
    )


def _data_pvc(h: Harness, name: str, size: str) -> None:
    """A volume the StatefulSet controller made from the claim template (labels included; no
    owner uid: the operator finds it by its name and owner labels, and adds that)."""
    sts = h.client.find("StatefulSet", "orders")
    assert sts is not None
    labels = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"]
    h.client.put(
        "persistentvolumeclaims",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "shop", "labels": labels},
            "spec": {"resources": {"requests": {"storage": size}}},
        },
    )


def _size(h: Harness, pvc: str) -> str:
    found = h.client.find("PersistentVolumeClaim", pvc)
    assert found is not None
    return str(found["spec"]["resources"]["requests"]["storage"])


def _grow(h: Harness, size: str) -> None:
    obj = h.client.find("Database", "orders")
    assert obj is not None
    obj["spec"]["storage"]["size"] = size
    obj["metadata"]["generation"] += 1


def test_storage_growth_follows_the_generators_plan_including_volumes_left_by_a_scale_down(
    harness,
):
    _database(harness, "10Gi")
    reconcile(harness, "orders")
    _data_pvc(harness, "data-orders-0", "10Gi")
    _data_pvc(harness, "data-orders-2", "10Gi")  # left behind when replicas went from 3 to 1
    _grow(harness, "20Gi")
    reconcile(harness, "orders")
    assert _size(harness, "data-orders-0") == "20Gi"
    assert _size(harness, "data-orders-2") == "20Gi"  # a later scale-up finds it grown
    assert ("Normal", "Resized") in {(e[0], e[1]) for e in harness.events}
    writes = len(harness.client.writes)
    reconcile(harness, "orders")
    assert harness.client.writes[writes:] == []


def test_a_volume_smaller_than_the_claim_template_grows_even_when_the_statefulset_is_current(
    harness,
):
    _database(harness, "20Gi")
    reconcile(harness, "orders")
    # Restored from a smaller snapshot, or grown by a crashed operator before its PVCs were.
    _data_pvc(harness, "data-orders-0", "10Gi")
    reconcile(harness, "orders")
    assert _size(harness, "data-orders-0") == "20Gi"


def test_a_shrink_is_an_invalid_spec_and_no_volume_is_touched(harness):
    _database(harness, "20Gi")
    reconcile(harness, "orders")
    _data_pvc(harness, "data-orders-0", "20Gi")
    _grow(harness, "5Gi")
    with pytest.raises(Stalled) as stalled:
        reconcile(harness, "orders")
    assert stalled.value.reason == "InvalidSpec" and "spec.storage.size" in stalled.value.message
    assert _size(harness, "data-orders-0") == "20Gi"


def test_a_volume_that_cannot_expand_stalls_with_what_to_do(harness):
    _database(harness, "10Gi")
    reconcile(harness, "orders")
    _data_pvc(harness, "data-orders-0", "10Gi")
    _grow(harness, "20Gi")
    original = harness.client.merge_patch

    async def refuse(ref: Any, namespace: Any, name: str, body: Any, sub: str = "") -> Any:
        if ref.plural == "persistentvolumeclaims" and "spec" in body:  # a resize, not a label
            raise ApiError(422, "Invalid", "only dynamically provisioned pvc can be resized")
        return await original(ref, namespace, name, body, sub)

    harness.client.merge_patch = refuse  # type: ignore[method-assign]
    reconcile(harness, "orders")
    status = harness.client.find("Database", "orders")["status"]
    stalled = {c["type"]: c for c in status["conditions"]}["Stalled"]
    assert stalled["status"] == "True" and stalled["reason"] == "ResizeRefused"
    assert "allowVolumeExpansion" in stalled["message"]


def test_a_spec_nested_past_the_limit_stalls_and_leaves_children_untouched(harness, app):
    # What the watch can decode (Python's json reads a few hundred levels) reaches the operator;
    # bounded before the render cache's key and the render, it is an invalid spec. (300 levels:
    # the test fake's own deepcopy of the parent allows little more.)
    _create(harness, app)
    reconcile(harness)
    before = {k: dict(v) for k, v in harness.client.objects.items() if v["kind"] != "App"}
    deep: dict[str, Any] = {}
    for _ in range(300):
        deep = {"a": deep}
    edit(harness, "web", lambda spec: spec.update(affinity=deep))
    with pytest.raises(Stalled) as stalled:
        reconcile(harness)
    assert "spec.affinity.a.a" in stalled.value.message
    assert "nests deeper than 100 levels (the limit)" in stalled.value.message
    assert {k: v for k, v in harness.client.objects.items() if v["kind"] != "App"} == before
    assert _conditions(harness)["Stalled"]["reason"] == "InvalidSpec"


def _deployment_image(h: Harness) -> str | None:
    deployment = h.client.find("Deployment", "web")
    if deployment is None:
        return None
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


def test_a_migration_holds_the_rollout_until_the_job_of_the_new_spec_completed(harness, app):
    app["spec"]["jobs"] = [{"name": "migrate", "command": ["migrate"], "runBefore": "rollout"}]
    _create(harness, app)
    reconcile(harness)
    # First install: no Deployment until the migration ran; the status names the Job.
    (job,) = _jobs(harness)
    assert _deployment_image(harness) is None
    ready = _conditions(harness)["Ready"]
    assert ready["reason"] == "WaitingForJob"
    assert f"Deployment web: rollout held until Job {job['metadata']['name']}" in ready["message"]
    make_ready(harness)
    reconcile(harness)
    assert _deployment_image(harness) == "ghcr.io/acme/web:1.0.0"
    make_ready(harness)
    reconcile(harness)
    assert harness.client.find("App", "web")["status"]["phase"] == "Ready"
    # A release: a new Job (its name from the new spec's hash) runs while the old pods stay.
    edit(harness, "web", lambda spec: spec.update(image="ghcr.io/acme/web:1.5.0"))
    reconcile(harness)
    (new_job,) = _jobs(harness)
    assert new_job["metadata"]["name"] != job["metadata"]["name"]
    assert _deployment_image(harness) == "ghcr.io/acme/web:1.0.0"
    assert _conditions(harness)["Reconciling"]["reason"] == "WaitingForJob"
    # It fails: the old version goes on running, and the App is Stalled saying why.
    new_job["status"] = {"conditions": [{"type": "Failed", "status": "True", "message": "exit 3"}]}
    reconcile(harness)
    assert _deployment_image(harness) == "ghcr.io/acme/web:1.0.0"
    stalled = _conditions(harness)["Stalled"]
    assert stalled["status"] == "True" and stalled["reason"] == "JobFailed"
    assert f"Job {new_job['metadata']['name']} failed" in stalled["message"]
    assert "previous version keeps running" in stalled["message"]


def test_a_job_without_run_before_does_not_hold_the_rollout(harness, app):
    app["spec"]["jobs"] = [{"name": "seed", "command": ["seed"]}]
    _create(harness, app)
    reconcile(harness)
    assert _deployment_image(harness) == "ghcr.io/acme/web:1.0.0"


def test_a_migration_keeps_the_old_workload_kind_running_while_the_shape_changes(harness, app):
    app["spec"]["jobs"] = [{"name": "migrate", "command": ["migrate"], "runBefore": "rollout"}]
    app["spec"].pop("schedules")
    _create(harness, app)
    reconcile(harness)
    make_ready(harness)
    reconcile(harness)
    assert harness.client.find("Deployment", "web") is not None
    # Deployment → StatefulSet with a new release: until the new spec's migration completed,
    # the Deployment keeps running and the StatefulSet waits.
    edit(harness, "web", lambda s: s.update(workload="StatefulSet", image="ghcr.io/acme/web:2.0"))
    reconcile(harness)
    assert harness.client.find("Deployment", "web") is not None
    assert harness.client.find("StatefulSet", "web") is None
    make_ready(harness)
    reconcile(harness)
    assert harness.client.find("StatefulSet", "web") is not None
    assert harness.client.find("Deployment", "web") is None


def test_a_migration_that_completed_and_was_deleted_by_its_ttl_holds_nothing(harness, app):
    app["spec"]["jobs"] = [
        {"name": "migrate", "command": ["m"], "runBefore": "rollout", "ttlSecondsAfterFinished": 0}
    ]
    _create(harness, app)
    reconcile(harness)
    make_ready(harness)
    reconcile(harness)
    _delete_jobs(harness)
    # The Deployment deleted by hand (and its watch event): it comes back, the migration ran.
    gone = harness.client.objects.pop(("deployments", "shop", "web"))
    uid = harness.parent("web")["metadata"]["uid"]
    harness.state.observed(uid, "Deployment", "web", gone["metadata"]["resourceVersion"])
    reconcile(harness)
    assert _jobs(harness) == []
    assert _deployment_image(harness) == "ghcr.io/acme/web:1.0.0"
