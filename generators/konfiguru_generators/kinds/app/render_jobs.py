"""App jobs → Jobs and schedules → CronJobs, sharing the app's image, env, config and secrets;
and the app itself as a Job or CronJob (``workload: Job | CronJob``, settings in ``spec.run``).

A Job's pod template is immutable, so a one-off Job is named ``<app>-<job>-<hash>`` (the app's own
Job ``<app>-<hash>``) with a hash of its spec: a new image (a release) gives a new Job that runs
once — like a Helm pre-upgrade hook, but declarative — and the operator prunes the previous one.
Called by ``render.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...podspec import Fragment
from ...resources import version_schema
from ...schema import default_and_check
from ..base import Manifest, Resource
from . import names
from .render_config import PodParts
from .render_pod import pod_template


def _job_spec(
    resource: Resource, parts: PodParts, run: Mapping[str, Any], component: str
) -> Fragment:
    spec: Fragment = {
        "parallelism": run["parallelism"],
        "completions": run["completions"],
        "backoffLimit": run["backoffLimit"],
        "activeDeadlineSeconds": run["timeoutSeconds"],
    }
    if run.get("ttlSecondsAfterFinished") is not None:
        spec["ttlSecondsAfterFinished"] = run["ttlSecondsAfterFinished"]
    spec["template"] = pod_template(resource, parts, component, run=run, container_name=run["name"])
    return spec


def _job(
    resource: Resource, parts: PodParts, run: Mapping[str, Any], component: str, job: str | None
) -> Manifest:
    """A one-off Job named after a hash of its spec: ``<app>-<job>-<hash>``, or ``<app>-<hash>``
    for the app's own (``job`` None)."""
    spec = _job_spec(resource, parts, run, component)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    return resource.template(
        "app/job.yaml.j2",
        name=names.run_name(resource.name, job, digest),
        labels=resource.labels(component),
        job_spec=spec,
    )


def _cronjob(
    resource: Resource, parts: PodParts, schedule: Mapping[str, Any], component: str, name: str
) -> Manifest:
    return resource.template(
        "app/cronjob.yaml.j2",
        name=name,
        labels=resource.labels(component),
        schedule=schedule["schedule"],
        time_zone=schedule.get("timeZone"),
        concurrency_policy=schedule["concurrencyPolicy"],
        suspend=schedule["suspend"],
        starting_deadline=schedule.get("startingDeadlineSeconds"),
        successful_history=schedule["successfulJobsHistoryLimit"],
        failed_history=schedule["failedJobsHistoryLimit"],
        job_spec=_job_spec(resource, parts, schedule, component),
    )


def render_jobs(resource: Resource, parts: PodParts) -> list[Manifest]:
    return [
        _job(resource, parts, job, f"job-{job['name']}", job["name"])
        for job in resource.spec.get("jobs") or []
    ]


def render_schedules(resource: Resource, parts: PodParts) -> list[Manifest]:
    return [
        _cronjob(
            resource,
            parts,
            schedule,
            f"schedule-{schedule['name']}",
            names.schedule_name(resource.name, schedule["name"]),
        )
        for schedule in resource.spec.get("schedules") or []
    ]


def run_settings(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec.run``; for a Job app without it, the CRD's defaults of ``spec.run`` (as the API
    server would default ``run: {}``), so no default is written twice."""
    if spec.get("run") is not None:
        return dict(spec["run"])
    settings: dict[str, Any] = {}
    schema = version_schema("app.yaml")["properties"]["spec"]["properties"]["run"]
    default_and_check(schema, settings, "spec.run")
    return settings


def render_run(resource: Resource, parts: PodParts) -> list[Manifest]:
    """The app itself as a Job (``workload: Job``) or a CronJob (``workload: CronJob``): its
    container is the app's (name, image, command, env, config, secrets), without ports or
    probes; its pods carry the app's component, so its NetworkPolicy applies."""
    run = {**run_settings(resource.spec), "name": resource.name}
    if resource.spec["workload"] == "CronJob":
        return [_cronjob(resource, parts, run, names.COMPONENT, resource.name)]
    return [_job(resource, parts, run, names.COMPONENT, None)]
