"""One-off Jobs through the operator: a training that finished and was deleted by its TTL does not
run again; a changed spec does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from helpers import app, container, edit_spec, is_ready

ROOT = Path(__file__).resolve().parents[2]
MLPIPELINES = "mlpipelines.konfiguru.io"


def _training() -> dict:
    document = yaml.safe_load((ROOT / "examples" / "ml" / "sklearn.kfg.yaml").read_text())
    document["metadata"]["namespace"] = "default"
    return document  # type: ignore[no-any-return]


def _recorded(obj: dict) -> bool:
    return is_ready(obj) and [j["name"] for j in obj["status"].get("finishedJobs", [])] == ["churn"]


def test_a_finished_training_deleted_by_its_ttl_is_not_run_again_until_its_spec_changes(
    emulator, operator
):
    emulator.create(_training())
    job = emulator.wait_for_object("jobs", "churn", "default", lambda j: True)
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    parent = emulator.wait_for_object(MLPIPELINES, "churn", "default", _recorded, timeout=15)
    assert parent["status"]["finishedJobs"][0]["succeeded"] is True
    # The TTL controller's deletion (the emulator has none): the Job goes, the record stays.
    emulator.delete("jobs", "churn", "default")
    emulator.wait_for_absence("jobs", "churn", "default")
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 4, timeout=15)
    assert emulator.find("jobs", "churn", "default") is None
    assert _recorded(emulator.get(MLPIPELINES, "churn", "default"))
    # The record survives a restart of the operator.
    operator.restart()
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=15)
    assert emulator.find("jobs", "churn", "default") is None
    # A new image is a new training: the Job runs again, and is recorded for its new spec.
    before = parent["status"]["finishedJobs"][0]["specHash"]
    edit_spec(
        emulator, "churn", lambda s: s.update(image="ghcr.io/acme/churn-model:1.0.5"), MLPIPELINES
    )
    again = emulator.wait_for_object("jobs", "churn", "default", lambda j: True)
    assert again["metadata"]["uid"] != job["metadata"]["uid"]
    assert container({"spec": again["spec"]})["image"].endswith(":1.0.5")
    after = emulator.wait_for_object(
        MLPIPELINES,
        "churn",
        "default",
        lambda o: _recorded(o) and o["status"]["finishedJobs"][0]["specHash"] != before,
        timeout=15,
    )
    assert after["status"]["finishedJobs"][0]["succeeded"] is True


def test_a_job_deleted_the_moment_it_finished_is_not_run_again(emulator, operator):
    """``ttlSecondsAfterFinished: 0``: the Job may be gone before any reconcile saw it finished."""
    deleted: list[str] = []

    def ttl_controller(kind: str, rt: Any, obj: dict, old: dict | None) -> None:
        conditions = (obj.get("status") or {}).get("conditions") or []
        finished = any(c["type"] == "Complete" and c["status"] == "True" for c in conditions)
        if rt.kind == "Job" and kind == "MODIFIED" and finished and not deleted:
            name = obj["metadata"]["name"]
            deleted.append(name)
            asyncio.get_running_loop().call_soon(emulator.delete, "jobs", name, "default")

    emulator.call(lambda: emulator.cluster.listeners.append(ttl_controller))
    emulator.create(
        app(jobs=[{"name": "migrate", "command": ["migrate"], "ttlSecondsAfterFinished": 0}])
    )
    emulator.wait_for(lambda: deleted, timeout=15)
    emulator.wait_for_absence("jobs", deleted[0], "default")
    parent = emulator.wait_for_object(
        "apps.konfiguru.io",
        "shop",
        "default",
        lambda o: is_ready(o) and o["status"].get("finishedJobs"),
    )
    assert parent["status"]["finishedJobs"][0]["name"] == deleted[0]
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 4, timeout=15)
    assert emulator.find("jobs", deleted[0], "default") is None
    assert deleted == [deleted[0]]
