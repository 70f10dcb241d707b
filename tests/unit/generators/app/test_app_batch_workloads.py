"""workload Job and CronJob: the app runs to completion (once per spec, or on a schedule) with
its config, secrets and connectTo, and nothing that serves traffic is rendered."""

from __future__ import annotations

import pytest
from appspec import errors, kinds, one, render

from konfiguru_generators.kinds.app.render_jobs import run_settings

SERVING = {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress"}


def test_a_job_app_renders_one_job_and_nothing_that_serves_traffic() -> None:
    objects = render({"workload": "Job", "config": {"data": {"A": "1"}}})
    assert not SERVING & set(kinds(objects))
    job = one(objects, "Job")
    assert job["metadata"]["name"].startswith("web-") and len(job["metadata"]["name"]) == 12
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["name"] == "web"
    assert {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "web-config", "key": "A"}}} in (
        pod["containers"][0]["env"]
    )


def test_a_job_app_without_run_takes_the_crd_defaults_of_run() -> None:
    job = one(render({"workload": "Job"}), "Job")["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"]) == (2, 3600)
    assert (job["parallelism"], job["completions"]) == (1, 1)
    assert "ttlSecondsAfterFinished" not in job


def test_run_settings_reach_the_job() -> None:
    spec = {"workload": "Job", "run": {"backoffLimit": 0, "completions": 4, "parallelism": 2}}
    job = one(render(spec), "Job")["spec"]
    assert (job["backoffLimit"], job["completions"], job["parallelism"]) == (0, 4, 2)


def test_the_job_is_named_after_its_spec_so_a_new_release_runs_once_more() -> None:
    first = one(render({"workload": "Job"}), "Job")["metadata"]["name"]
    same = one(render({"workload": "Job"}), "Job")["metadata"]["name"]
    other = one(render({"workload": "Job", "args": ["--full"]}), "Job")["metadata"]["name"]
    assert first == same != other


def test_the_defaults_of_run_come_from_the_crd_and_are_fresh_each_time() -> None:
    first = run_settings({})
    first["backoffLimit"] = 99
    assert run_settings({})["backoffLimit"] == 2


def test_a_cronjob_app_renders_one_cronjob_named_after_the_app() -> None:
    spec = {
        "workload": "CronJob",
        "run": {
            "schedule": "0 3 * * *",
            "timeZone": "Europe/Berlin",
            "concurrencyPolicy": "Replace",
        },
    }
    objects = render(spec)
    assert not SERVING & set(kinds(objects))
    assert "Job" not in kinds(objects)
    cron = one(objects, "CronJob")
    assert cron["metadata"]["name"] == "web"
    assert cron["spec"]["schedule"] == "0 3 * * *"
    assert cron["spec"]["timeZone"] == "Europe/Berlin"
    assert cron["spec"]["concurrencyPolicy"] == "Replace"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "ghcr.io/acme/web:1.0.0"
    assert "livenessProbe" not in pod["containers"][0]


def test_a_job_app_keeps_its_own_jobs_and_schedules() -> None:
    objects = render(
        {
            "workload": "Job",
            "jobs": [{"name": "prepare"}],
            "schedules": [{"name": "cleanup", "schedule": "@daily"}],
        }
    )
    assert kinds(objects).count("Job") == 2 and kinds(objects).count("CronJob") == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"workload": "CronJob"}, "workload CronJob needs run.schedule"),
        ({"workload": "Job", "run": {"schedule": "@daily"}}, "run.schedule needs workload CronJob"),
        ({"port": 80, "run": {"backoffLimit": 1}}, "run settings need workload Job or CronJob"),
        (
            {"workload": "Job", "port": 80},
            "a Job or CronJob runs to completion and serves no traffic",
        ),
        (
            {"workload": "CronJob", "run": {"schedule": "@daily"}, "ingress": {"host": "a.b"}},
            "serves no traffic",
        ),
        (
            {"workload": "Job", "observability": {"metrics": {"port": 9090}}},
            "push them to a Pushgateway",
        ),
        ({"workload": "CronJob", "run": {"schedule": "0 25 * * *"}}, "spec.run.schedule"),
        (
            {"workload": "CronJob", "run": {"schedule": "@daily", "timeZone": "not a zone"}},
            "spec.run.timeZone",
        ),
    ],
)
def test_batch_settings_are_refused_where_they_cannot_work(spec: dict, message: str) -> None:
    assert any(message in text for text in errors(spec)), errors(spec)


def test_run_is_refused_at_admission_like_jobs_and_schedules() -> None:
    cron = errors({"workload": "CronJob", "run": {"schedule": "0 25 * * *"}})
    assert any(m.startswith("spec.run.schedule") and "cron schedule" in m for m in cron)
    job = errors({"workload": "Job", "run": {"parallelism": 3, "completions": 1}})
    assert any(m.startswith("spec.run.parallelism") for m in job)
