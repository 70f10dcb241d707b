"""Jobs (one-off, e.g. migrations) and schedules (CronJobs), sharing the app's image and env."""

from __future__ import annotations

from appspec import container, env, kinds, one, render

BASE = {
    "port": 8080,
    "env": {"LOG_LEVEL": "info"},
    "config": {"data": {"REGION": "eu"}},
    "secrets": [{"name": "db-credentials"}],
    "connectTo": [{"name": "api"}],
}


def test_a_job_runs_once_with_the_apps_image_env_config_and_secrets() -> None:
    objects = render(
        {
            **BASE,
            "jobs": [
                {
                    "name": "migrate",
                    "command": ["./migrate"],
                    "timeoutSeconds": 600,
                    "backoffLimit": 0,
                }
            ],
        }
    )
    job = one(objects, "Job")
    assert (
        job["metadata"]["name"].startswith("web-migrate-")
        and len(job["metadata"]["name"]) == len("web-migrate-") + 8
    )
    spec = job["spec"]
    assert (
        spec["activeDeadlineSeconds"],
        spec["backoffLimit"],
        spec["parallelism"],
        spec["completions"],
    ) == (600, 0, 1, 1)
    assert "ttlSecondsAfterFinished" not in spec
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    main = container(objects, "Job")
    assert main["image"] == "ghcr.io/acme/web:1.0.0" and main["command"] == ["./migrate"]
    assert "ports" not in main and "livenessProbe" not in main and "lifecycle" not in main
    values = env(objects, "Job")
    assert values["LOG_LEVEL"] == "info" and values["API_HOST"] == "api"
    assert values["REGION"] == {"configMapKeyRef": {"name": "web-config", "key": "REGION"}}
    assert main["envFrom"] == [{"secretRef": {"name": "db-credentials"}}]
    # Its pods must not receive the Service's traffic: a different component label.
    labels = spec["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "job-migrate"


def test_a_new_image_gives_a_new_job_and_the_same_spec_the_same_job() -> None:
    def name(image: str) -> str:
        objects = render({"image": image, "jobs": [{"name": "migrate"}]})
        return str(one(objects, "Job")["metadata"]["name"])

    assert name("ghcr.io/acme/web:1") == name("ghcr.io/acme/web:1")
    assert name("ghcr.io/acme/web:1") != name("ghcr.io/acme/web:2")


def test_a_job_can_opt_out_of_the_apps_env_and_use_its_own_image_and_resources() -> None:
    objects = render(
        {
            **BASE,
            "jobs": [
                {
                    "name": "seed",
                    "image": "busybox:1.36",
                    "inheritEnv": False,
                    "env": {"ONLY": "me"},
                    "resources": {"memory": "1Gi"},
                    "parallelism": 2,
                    "completions": 4,
                    "ttlSecondsAfterFinished": 60,
                }
            ],
        }
    )
    job = one(objects, "Job")
    main = container(objects, "Job")
    assert main["image"] == "busybox:1.36"
    assert env(objects, "Job") == {"ONLY": "me"}
    assert "envFrom" not in main
    assert main["resources"] == {
        "requests": {"cpu": "100m", "memory": "1Gi"},
        "limits": {"memory": "1Gi"},
    }
    assert (
        job["spec"]["parallelism"],
        job["spec"]["completions"],
        job["spec"]["ttlSecondsAfterFinished"],
    ) == (2, 4, 60)


def test_a_schedule_becomes_a_cron_job_with_its_policy_and_history() -> None:
    objects = render(
        {
            **BASE,
            "schedules": [
                {
                    "name": "nightly",
                    "schedule": "0 3 * * *",
                    "timeZone": "Europe/Berlin",
                    "suspend": True,
                    "startingDeadlineSeconds": 300,
                    "args": ["--report"],
                }
            ],
        }
    )
    cron = one(objects, "CronJob")
    assert cron["metadata"]["name"] == "web-nightly"
    spec = cron["spec"]
    assert {
        k: spec[k]
        for k in (
            "schedule",
            "timeZone",
            "concurrencyPolicy",
            "suspend",
            "startingDeadlineSeconds",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        )
    } == {
        "schedule": "0 3 * * *",
        "timeZone": "Europe/Berlin",
        "concurrencyPolicy": "Forbid",
        "suspend": True,
        "startingDeadlineSeconds": 300,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
    }
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 3600
    main = job["template"]["spec"]["containers"][0]
    assert main["args"] == ["--report"] and main["image"] == "ghcr.io/acme/web:1.0.0"
    assert {e["name"] for e in main["env"]} >= {"LOG_LEVEL", "REGION", "API_HOST"}


def test_a_worker_with_a_schedule_has_no_service_and_no_probes() -> None:
    objects = render(
        {"command": ["worker"], "schedules": [{"name": "cleanup", "schedule": "@hourly"}]}
    )
    assert "Service" not in kinds(objects)
    assert "livenessProbe" not in container(objects)
    assert one(objects, "CronJob")["spec"]["schedule"] == "@hourly"


def test_a_migration_is_ordered_before_the_workload_for_argo_cd_and_kapp() -> None:
    migrate = {"name": "migrate", "command": ["./migrate"], "runBefore": "rollout"}
    objects = render({**BASE, "jobs": [migrate, {"name": "seed", "command": ["./seed"]}]})
    jobs = {job["metadata"]["name"].split("-")[1]: job for job in objects if job["kind"] == "Job"}
    wave = "argocd.argoproj.io/sync-wave"
    group = "konfiguru.io/migrations.shop.web"
    assert jobs["migrate"]["metadata"]["annotations"] == {
        wave: "1",
        "kapp.k14s.io/change-group": group,
    }
    assert "annotations" not in jobs["seed"]["metadata"]
    deployment = one(objects, "Deployment")["metadata"]["annotations"]
    assert deployment[wave] == "2"
    # kapp: the same order, by its change rules (it waits for the Job to complete).
    assert deployment["kapp.k14s.io/change-rule"] == f"upsert after upserting {group}"
    # Nothing else moves: config, identity and Services stay in wave 0, before the Job.
    marked = {obj["kind"] for obj in objects if wave in obj["metadata"].get("annotations", {})}
    assert marked == {"Job", "Deployment"}


def test_without_a_migration_nothing_carries_a_sync_wave() -> None:
    objects = render({**BASE, "jobs": [{"name": "seed", "command": ["./seed"]}]})
    assert not any(
        "argocd.argoproj.io/sync-wave" in obj["metadata"].get("annotations", {}) for obj in objects
    )


def test_a_batch_apps_own_job_waits_for_its_migration_too() -> None:
    migrate = {"name": "migrate", "command": ["./migrate"], "runBefore": "rollout"}
    spec = {k: v for k, v in BASE.items() if k != "port"}
    objects = render({**spec, "workload": "Job", "jobs": [migrate]})
    waves = sorted(
        job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        for job in objects
        if job["kind"] == "Job"
    )
    assert waves == ["1", "2"]
