"""Status: kstatus conditions, child readiness, and what tools read."""

from __future__ import annotations

from konfiguru_operator import status
from konfiguru_operator.status import Health, Problem, Report


def _deployment(replicas=3, updated=3, total=3, available=3, observed=2, generation=2, **extra):
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "replicas": total,
            "availableReplicas": available,
            **extra,
        },
    }


def test_a_rolled_out_deployment_is_ready():
    assert status.child_health("Deployment", _deployment()).ready


def test_a_deployment_whose_new_generation_is_not_observed_is_not_ready():
    assert not status.child_health("Deployment", _deployment(observed=1)).ready


def test_a_deployment_with_old_pods_left_is_not_ready():
    health = status.child_health("Deployment", _deployment(total=4))
    assert not health.ready and "old pods" in health.message


def test_a_deployment_past_its_progress_deadline_has_failed():
    obj = _deployment(available=0)
    obj["status"]["conditions"] = [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
    ]
    health = status.child_health("Deployment", obj)
    assert health.failed and not health.ready


def test_statefulset_needs_ready_replicas_and_the_current_revision():
    obj = {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "generation": 1},
        "spec": {"replicas": 2},
        "status": {
            "observedGeneration": 1,
            "readyReplicas": 2,
            "currentRevision": "a",
            "updateRevision": "b",
        },
    }
    assert not status.child_health("StatefulSet", obj).ready
    obj["status"]["currentRevision"] = "b"
    assert status.child_health("StatefulSet", obj).ready


def test_job_ready_when_complete_and_failed_when_failed():
    done = {
        "metadata": {"name": "j"},
        "status": {"conditions": [{"type": "Complete", "status": "True"}]},
    }
    bad = {
        "metadata": {"name": "j"},
        "status": {
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]
        },
    }
    assert status.child_health("Job", done).ready
    assert status.child_health("Job", bad).failed
    assert not status.child_health("Job", {"metadata": {"name": "j"}}).ready


def test_pvc_ready_only_when_bound():
    assert status.child_health("PersistentVolumeClaim", {"status": {"phase": "Bound"}}).ready
    assert not status.child_health("PersistentVolumeClaim", {"status": {"phase": "Pending"}}).ready


def test_a_missing_child_is_not_ready_and_a_present_configmap_is():
    assert not status.child_health("ConfigMap", None, "cfg").ready
    assert status.child_health("ConfigMap", {"metadata": {"name": "cfg"}}).ready


def test_all_three_conditions_are_always_reported_with_observed_generation():
    result = status.compute(Report(generation=4, children=[("Service", "web", Health(True))]), {})
    assert [c["type"] for c in result["conditions"]] == ["Ready", "Reconciling", "Stalled"]
    assert all(c["observedGeneration"] == 4 for c in result["conditions"])
    assert result["observedGeneration"] == 4 and result["phase"] == "Ready"


def test_last_transition_time_is_kept_unless_the_status_flips():
    old = status.compute(
        Report(1, [("Service", "a", Health(False))]), {}, now="2020-01-01T00:00:00Z"
    )
    same = status.compute(
        Report(2, [("Service", "a", Health(False, message="x"))]), old, now="2030-01-01T00:00:00Z"
    )
    flipped = status.compute(
        Report(3, [("Service", "a", Health(True))]), same, now="2031-01-01T00:00:00Z"
    )
    ready = lambda s: next(c for c in s["conditions"] if c["type"] == "Ready")  # noqa: E731
    assert ready(same)["lastTransitionTime"] == "2020-01-01T00:00:00Z"
    assert ready(flipped)["lastTransitionTime"] == "2031-01-01T00:00:00Z"


def test_a_failed_child_stalls_the_owner():
    result = status.compute(Report(1, [("Job", "m", Health(False, True, "Job m failed: x"))]), {})
    stalled = next(c for c in result["conditions"] if c["type"] == "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "ChildFailed"
    assert result["phase"] == "Stalled"


def test_a_stall_keeps_the_children_last_reported():
    before = {
        "children": [{"kind": "Deployment", "name": "web", "ready": True}],
        "url": "https://x",
    }
    result = status.compute(
        Report(2, problems=[Problem("InvalidSpec", "spec.port: bad")], keep_children=True), before
    )
    assert result["children"] == before["children"] and result["url"] == "https://x"
    assert next(c for c in result["conditions"] if c["type"] == "Ready")["status"] == "False"


def test_merge_patch_nulls_fields_that_went_away():
    assert status.merge_patch({"url": "x", "phase": "Ready"}, {"phase": "Ready"}) == {
        "phase": "Ready",
        "url": None,
    }


def test_url_is_https_when_tls_covers_the_host():
    ingress = {
        "spec": {
            "tls": [{"hosts": ["a.example.com"]}],
            "rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/api"}]}}],
        }
    }
    assert status.url_of([ingress]) == "https://a.example.com/api"
    ingress["spec"].pop("tls")
    assert status.url_of([ingress]) == "http://a.example.com/api"


def test_without_an_ingress_the_url_is_the_in_cluster_service():
    services = [
        {
            "metadata": {"name": "db-headless", "namespace": "ns"},
            "spec": {"clusterIP": "None", "ports": [{"port": 5432}]},
        },
        {"metadata": {"name": "web", "namespace": "ns"}, "spec": {"ports": [{"port": 8080}]}},
    ]
    assert status.service_url(services) == "http://web.ns.svc:8080"
    assert status.service_url([]) is None


def test_last_run_is_the_newest_active_job_of_a_cronjob_else_the_last_job():
    desired = [
        {"kind": "CronJob", "metadata": {"name": "etl"}},
        {"kind": "Job", "metadata": {"name": "etl-once"}},
    ]
    live = {("CronJob", "etl"): {"status": {"active": [{"name": "etl-1"}, {"name": "etl-2"}]}}}
    assert status.last_run(desired, live) == "etl-2"
    assert status.last_run(desired, {}) == "etl-once"


def test_a_new_generation_starts_reconciling_and_keeps_what_it_knows_of_the_children():
    ready = status.compute(
        Report(generation=1, children=[("Deployment", "web", Health(True))], extra={"url": "u"}),
        None,
        now="2026-01-01T00:00:00Z",
    )
    assert not status.new_generation(ready, 1)
    assert status.new_generation(ready, 2) and status.new_generation({}, 1)
    started = status.starting(ready, 2, now="2026-01-02T00:00:00Z")
    by_type = {c["type"]: c for c in started["conditions"]}
    assert started["observedGeneration"] == 2 and started["phase"] == "Progressing"
    assert by_type["Reconciling"]["status"] == "True"
    assert by_type["Reconciling"]["reason"] == "NewGeneration"
    assert {c["observedGeneration"] for c in started["conditions"]} == {2}
    # Ready flipped (a new time); Stalled did not (its time stays).
    assert by_type["Ready"]["lastTransitionTime"] == "2026-01-02T00:00:00Z"
    assert by_type["Stalled"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert started["children"] == ready["children"] and started["url"] == "u"
