"""App jobs → Jobs and schedules → CronJobs, sharing the app's image, env, config and secrets.

A Job's pod template is immutable, so a one-off Job is named ``<app>-<job>-<hash>`` with a hash
of its spec: a new image (a release) gives a new Job that runs once — like a Helm pre-upgrade
hook, but declarative — and the operator prunes the previous one. Called by ``render.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...podspec import Fragment
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


def render_jobs(resource: Resource, parts: PodParts) -> list[Manifest]:
    objects: list[Manifest] = []
    for job in resource.spec.get("jobs") or []:
        component = f"job-{job['name']}"
        spec = _job_spec(resource, parts, job, component)
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
        objects.append(
            resource.template(
                "app/job.yaml.j2",
                name=names.job_name(resource.name, job["name"], digest),
                labels=resource.labels(component),
                job_spec=spec,
            )
        )
    return objects


def render_schedules(resource: Resource, parts: PodParts) -> list[Manifest]:
    objects: list[Manifest] = []
    for schedule in resource.spec.get("schedules") or []:
        component = f"schedule-{schedule['name']}"
        objects.append(
            resource.template(
                "app/cronjob.yaml.j2",
                name=names.schedule_name(resource.name, schedule["name"]),
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
        )
    return objects
