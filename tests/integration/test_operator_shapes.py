"""Workload shapes through the operator: a StatefulSet App becomes Ready, heals drift, grows its
volumes in place, refuses to shrink them, and a change of shape replaces the workload."""

from __future__ import annotations

from helpers import app, edit_spec, is_stalled, wait_ready

APPS = "apps.konfiguru.io"
VOLUME = {"name": "data", "mountPath": "/data", "size": "10Gi"}


def stateful(size: str = "10Gi", **spec):
    return app(workload="StatefulSet", replicas=2, volumes=[{**VOLUME, "size": size}], **spec)


def _data_pvc(emulator, operator, ordinal: int, size: str) -> None:
    """What the StatefulSet controller would create (the emulator's does so only when asked):
    labelled from the claim template, which is how the operator finds it. Returns once the
    operator reconciled twice since (it resyncs every 0.5 s here), so the next edit is planned
    knowing the volume, as it would be on a cluster where the PVC exists long before."""
    sts = emulator.get("statefulsets", "shop", "default")
    labels = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"]
    emulator.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": f"data-shop-{ordinal}", "namespace": "default", "labels": labels},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
            },
        }
    )
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=15)


def _wait_event(emulator, reason: str, text: str) -> dict:
    """Events are posted in the background: wait for the one with ``reason`` saying ``text``."""
    return emulator.wait_for(  # type: ignore[no-any-return]
        lambda: next(
            (
                e
                for e in emulator.list("events", "default")
                if e.get("reason") == reason and text in e.get("message", "")
            ),
            None,
        ),
        timeout=15,
    )


def test_a_stateful_app_becomes_ready_with_its_statefulset_and_headless_service(emulator, operator):
    emulator.create(stateful())
    ready = wait_ready(emulator)
    kinds = {(c["kind"], c["name"]) for c in ready["status"]["children"]}
    assert {("StatefulSet", "shop"), ("Service", "shop-headless"), ("Service", "shop")} <= kinds
    assert ready["status"]["replicas"] == 2
    sts = emulator.get("statefulsets", "shop", "default")
    assert sts["spec"]["serviceName"] == "shop-headless"


def test_a_stateful_app_heals_a_deleted_headless_service_and_an_edited_statefulset(
    emulator, operator
):
    emulator.create(stateful())
    wait_ready(emulator)
    emulator.delete("services", "shop-headless", "default")
    emulator.wait_for_object("services", "shop-headless", "default", lambda s: True)
    emulator.patch(
        "statefulsets", "shop", {"spec": {"replicas": 5}}, "default", manager="kubectl-edit"
    )
    emulator.wait_for_object(
        "statefulsets", "shop", "default", lambda s: s["spec"]["replicas"] == 2
    )


def test_deployment_to_statefulset_replaces_the_workload_and_says_so(emulator, operator):
    emulator.create(app(replicas=2))
    wait_ready(emulator)
    deployment = emulator.get("deployments", "shop", "default")

    def to_stateful(spec):
        spec.update(workload="StatefulSet", volumes=[VOLUME])

    edit_spec(emulator, "shop", to_stateful)
    emulator.wait_for(lambda: emulator.find("statefulsets", "shop", "default"), timeout=15)
    emulator.wait_for(lambda: emulator.find("deployments", "shop", "default") is None, timeout=15)
    wait_ready(emulator)
    _wait_event(emulator, "WorkloadReplaced", "Replaced Deployment shop with StatefulSet shop")
    assert deployment["metadata"]["uid"]  # the old object was ours, and is gone


def test_a_bigger_volume_grows_the_pvcs_in_place_and_recreates_the_statefulset(emulator, operator):
    emulator.create(stateful("10Gi"))
    wait_ready(emulator)
    _data_pvc(emulator, operator, 0, "10Gi")
    _data_pvc(emulator, operator, 1, "10Gi")
    old = emulator.get("statefulsets", "shop", "default")
    edit_spec(emulator, "shop", lambda spec: spec["volumes"][0].update(size="30Gi"))
    for ordinal in (0, 1):
        emulator.wait_for_object(
            "persistentvolumeclaims",
            f"data-shop-{ordinal}",
            "default",
            lambda p: p["spec"]["resources"]["requests"]["storage"] == "30Gi",
        )
    new = emulator.wait_for_object(
        "statefulsets", "shop", "default", lambda s: s["metadata"]["uid"] != old["metadata"]["uid"]
    )
    claim = new["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "30Gi"
    wait_ready(emulator)


def test_a_smaller_volume_stalls_and_keeps_the_running_statefulset(emulator, operator):
    emulator.create(stateful("20Gi"))
    wait_ready(emulator)
    _data_pvc(emulator, operator, 0, "20Gi")
    sts = emulator.get("statefulsets", "shop", "default")
    edit_spec(emulator, "shop", lambda spec: spec["volumes"][0].update(size="5Gi"))
    obj = emulator.wait_for_object(APPS, "shop", "default", is_stalled)
    stalled = next(c for c in obj["status"]["conditions"] if c["type"] == "Stalled")
    assert "spec.volumes[0].size" in stalled["message"] and "shrink" in stalled["message"]
    assert (
        emulator.get("statefulsets", "shop", "default")["metadata"]["uid"] == sts["metadata"]["uid"]
    )
    pvc = emulator.get("persistentvolumeclaims", "data-shop-0", "default")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "20Gi"


def _job_of(emulator) -> dict:
    jobs = [
        j
        for j in emulator.list("jobs", "default")
        if j["metadata"]["labels"].get("konfiguru.io/owner-name") == "shop"
    ]
    return jobs[0] if len(jobs) == 1 else None


def test_a_job_app_is_ready_once_its_job_completed_and_renders_nothing_that_serves(
    emulator, operator
):
    emulator.create(app(workload="Job", port=None, args=["--once"]))
    ready = wait_ready(emulator)
    kinds = {c["kind"] for c in ready["status"]["children"]}
    assert "Job" in kinds
    assert not {"Deployment", "Service", "PodDisruptionBudget"} & kinds
    job = _job_of(emulator)
    assert ready["status"]["finishedJobs"] == [
        {
            "name": job["metadata"]["name"],
            "specHash": ready["status"]["finishedJobs"][0]["specHash"],
            "succeeded": True,
        }
    ]


def test_a_failed_job_app_stalls_saying_which_job_failed(emulator, operator):
    emulator.controllers.pause("jobs")
    emulator.create(app(workload="Job", port=None))
    job = emulator.wait_for(lambda: _job_of(emulator), timeout=15)
    emulator.controllers.fail_job(job["metadata"]["name"])
    obj = emulator.wait_for_object(APPS, "shop", "default", is_stalled, timeout=15)
    stalled = next(c for c in obj["status"]["conditions"] if c["type"] == "Stalled")
    assert f"Job {job['metadata']['name']} failed" in stalled["message"]
    assert obj["status"]["finishedJobs"][0]["succeeded"] is False


def test_a_cronjob_app_is_ready_with_its_cronjob_and_heals_it(emulator, operator):
    emulator.create(app(workload="CronJob", port=None, run={"schedule": "@hourly"}))
    wait_ready(emulator)
    assert emulator.get("cronjobs", "shop", "default")["spec"]["schedule"] == "@hourly"
    emulator.patch(
        "cronjobs", "shop", {"spec": {"schedule": "* * * * *"}}, "default", manager="kubectl-edit"
    )
    emulator.wait_for_object(
        "cronjobs", "shop", "default", lambda c: c["spec"]["schedule"] == "@hourly"
    )


def test_deployment_to_cronjob_prunes_the_deployment_service_and_pdb(emulator, operator):
    emulator.create(app(replicas=2))
    wait_ready(emulator)
    assert emulator.find("poddisruptionbudgets", "shop", "default") is not None

    def to_cron(spec):
        spec.pop("port")
        spec.pop("replicas")
        spec.update(workload="CronJob", run={"schedule": "@daily"})

    edit_spec(emulator, "shop", to_cron)
    emulator.wait_for_object("cronjobs", "shop", "default", lambda c: True)
    for plural in ("deployments", "services", "poddisruptionbudgets"):
        emulator.wait_for_absence(plural, "shop", "default")
    wait_ready(emulator)
    _wait_event(emulator, "WorkloadReplaced", "Replaced Deployment shop with CronJob shop")
