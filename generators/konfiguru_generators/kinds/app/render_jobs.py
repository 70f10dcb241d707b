"""App jobs → Jobs and schedules → CronJobs, sharing the app's image, env, config and secrets;
and the app itself as a Job or CronJob (``workload: Job | CronJob``, settings in ``spec.run``).

A Job's pod template is immutable, so a one-off Job is named ``<app>-<job>-<hash>`` (the app's own
Job ``<app>-<hash>``) with a hash of its spec: a new image (a release) gives a new Job that runs
once — like a Helm pre-upgrade hook, but declarative — and the operator prunes the previous one.

A migration (``jobs[].runBefore: rollout``) must finish before the workload takes the new spec.
The order is marked on the objects as Argo CD sync waves and kapp change rules
(:func:`migration_order`, :func:`rollout_order`): the operator holds the workload by the waves
(``konfiguru_operator.jobs.gate``), so a GitOps sync of ``konfiguru render`` and the operator
follow one order. Called by ``render.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...order import SYNC_WAVE
from ...podspec import Fragment
from ...resources import version_schema
from ...schema import default_and_check
from ..base import Manifest, Resource
from . import names
from .render_config import PodParts
from .render_pod import pod_template

# Sync waves, not an Argo CD ``PreSync`` hook, although Argo CD's docs show migrations as hooks:
# a PreSync hook runs before *every* object of the sync, so on the first sync its pods cannot
# start (the app's ServiceAccount, ConfigMap and Secrets it shares do not exist yet); it runs
# again on every sync, whatever changed; and hooks are not pruned, so each release's Job
# (a new name) would be left behind. With waves the Job is an ordinary object: the app's config
# and identity (wave 0) come first, then the Job (wave 1), and Argo CD applies the workload
# (wave 2) only once the Job is healthy (completed); a failed Job fails the sync and the old
# pods keep running. It runs once per spec (its name carries the spec's hash), and the previous
# release's Job is pruned, exactly as the operator does. No hook-delete-policy applies to it.
JOB_WAVE = "1"
WORKLOAD_WAVE = "2"
# kapp (Carvel) orders by change groups and rules, and waits for a Job to complete before what
# must come after it: the same order for kapp users (its own docs' migration example).
KAPP_GROUP = "kapp.k14s.io/change-group"
KAPP_RULE = "kapp.k14s.io/change-rule"


def runs_before_rollout(job: Mapping[str, Any]) -> bool:
    return job.get("runBefore") == "rollout"


def _migrations_group(resource: Resource) -> str:
    where = f"{resource.namespace}." if resource.namespace else ""
    return f"konfiguru.io/migrations.{where}{resource.name}"


def migration_order(resource: Resource) -> dict[str, str]:
    """The annotations of a Job that runs before the rollout: first for Argo CD and kapp."""
    return {SYNC_WAVE: JOB_WAVE, KAPP_GROUP: _migrations_group(resource)}


def rollout_order(resource: Resource) -> dict[str, str]:
    """The annotations that put the app's workload after its migrations (none without one)."""
    if any(runs_before_rollout(job) for job in resource.spec.get("jobs") or []):
        return {
            SYNC_WAVE: WORKLOAD_WAVE,
            KAPP_RULE: f"upsert after upserting {_migrations_group(resource)}",
        }
    return {}


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
    resource: Resource,
    parts: PodParts,
    run: Mapping[str, Any],
    component: str,
    job: str | None,
    annotations: Mapping[str, str],
) -> Manifest:
    """A one-off Job named after a hash of its spec: ``<app>-<job>-<hash>``, or ``<app>-<hash>``
    for the app's own (``job`` None)."""
    spec = _job_spec(resource, parts, run, component)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    return resource.template(
        "app/job.yaml.j2",
        name=names.run_name(resource.name, job, digest),
        labels=resource.labels(component),
        annotations=dict(annotations),
        job_spec=spec,
    )


def _cronjob(
    resource: Resource,
    parts: PodParts,
    schedule: Mapping[str, Any],
    component: str,
    name: str,
    annotations: Mapping[str, str] | None = None,
) -> Manifest:
    return resource.template(
        "app/cronjob.yaml.j2",
        name=name,
        labels=resource.labels(component),
        annotations=dict(annotations or {}),
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
        _job(
            resource,
            parts,
            job,
            f"job-{job['name']}",
            job["name"],
            migration_order(resource) if runs_before_rollout(job) else {},
        )
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
    probes; its pods carry the app's component, so its NetworkPolicy applies. Like any
    workload, it waits for the migrations (``runBefore: rollout``)."""
    run = {**run_settings(resource.spec), "name": resource.name}
    order = rollout_order(resource)
    if resource.spec["workload"] == "CronJob":
        return [_cronjob(resource, parts, run, names.COMPONENT, resource.name, order)]
    return [_job(resource, parts, run, names.COMPONENT, None, order)]
