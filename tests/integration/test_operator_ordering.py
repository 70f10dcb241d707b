"""Ordering through the operator: a migration Job (``jobs[].runBefore: rollout``) of the new spec
completes before the Deployment takes that spec; while it runs, and for good when it fails, the
previous pods keep running and the App says which Job it waits for."""

from __future__ import annotations

from typing import Any

from helpers import app, conditions, container, edit_spec, is_stalled, wait_ready

APPS = "apps.konfiguru.io"
JOBS = "batch/v1/jobs"


def _migrating(**spec: Any) -> dict[str, Any]:
    return app(jobs=[{"name": "migrate", "command": ["migrate"], "runBefore": "rollout"}], **spec)


def _migration(emulator, other_than: str | None = None) -> dict[str, Any]:
    """The App's migration Job (a new one when ``other_than`` names the previous)."""
    return emulator.wait_for(  # type: ignore[no-any-return]
        lambda: next(
            (
                job
                for job in emulator.list("jobs", "default")
                if job["metadata"]["name"].startswith("shop-migrate-")
                and job["metadata"]["name"] != other_than
            ),
            None,
        ),
        timeout=15,
    )


def _waiting_for(emulator, job: str) -> dict[str, Any]:
    """The App once its status says it waits for ``job`` (Progressing, reason WaitingForJob)."""
    return emulator.wait_for_object(  # type: ignore[no-any-return]
        APPS,
        "shop",
        "default",
        lambda o: (
            (conditions(o).get("Reconciling") or {}).get("reason") == "WaitingForJob"
            and f"until Job {job} completes" in conditions(o)["Reconciling"]["message"]
            and o["status"].get("observedGeneration") == o["metadata"]["generation"]
        ),
        timeout=15,
    )


def _image(emulator) -> str:
    return str(container(emulator.get("deployments", "shop", "default"))["image"])


def _settle(emulator, operator, reconciles: int = 3) -> None:
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + reconciles, timeout=15)


def test_the_first_rollout_waits_for_the_migration_then_the_app_becomes_ready(emulator, operator):
    emulator.controllers.pause(JOBS)
    emulator.create(_migrating())
    job = _migration(emulator)
    parent = _waiting_for(emulator, job["metadata"]["name"])
    assert parent["status"]["phase"] == "Progressing"
    assert job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "1"
    _settle(emulator, operator)
    assert emulator.find("deployments", "shop", "default") is None
    emulator.controllers.resume(JOBS)
    ready = wait_ready(emulator)
    deployment = emulator.get("deployments", "shop", "default")
    assert deployment["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "2"
    assert {"kind": "Job", "name": job["metadata"]["name"], "ready": True} in ready["status"][
        "children"
    ]


def test_a_release_runs_its_own_migration_and_a_failed_one_keeps_the_old_version(
    emulator, operator
):
    emulator.create(_migrating())
    wait_ready(emulator)
    first = _migration(emulator)["metadata"]["name"]
    # A release: the new spec's migration (a new name, from its hash) runs; the pods stay old.
    emulator.controllers.pause(JOBS)
    edit_spec(emulator, "shop", lambda s: s.update(image="ghcr.io/acme/shop:1.1.0"))
    second = _migration(emulator, other_than=first)["metadata"]["name"]
    _waiting_for(emulator, second)
    emulator.wait_for_absence("jobs", first, "default")  # the previous release's Job is pruned
    _settle(emulator, operator)
    assert _image(emulator) == "ghcr.io/acme/shop:1.0.0"
    # It fails: Stalled, naming the Job; the old version goes on running.
    emulator.controllers.fail_job(second)
    stalled = emulator.wait_for_object(APPS, "shop", "default", is_stalled, timeout=15)
    condition = conditions(stalled)["Stalled"]
    assert condition["reason"] == "JobFailed"
    assert f"Job {second} failed" in condition["message"]
    assert "previous version keeps running" in condition["message"]
    _settle(emulator, operator)
    assert _image(emulator) == "ghcr.io/acme/shop:1.0.0"
    assert emulator.find("jobs", second, "default") is not None  # kept, to read its logs
    # The fix is a new spec of the job: a third Job runs, and once it completed the release
    # rolls out.
    emulator.controllers.resume(JOBS)
    edit_spec(emulator, "shop", lambda s: s["jobs"][0].update(command=["migrate", "--fixed"]))
    third = _migration(emulator, other_than=second)["metadata"]["name"]
    assert third not in (first, second)
    wait_ready(emulator)
    assert _image(emulator) == "ghcr.io/acme/shop:1.1.0"
