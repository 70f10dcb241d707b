"""Pieces every batch workload of Konfiguru needs: durations, hardened pods, Jobs and CronJobs.

Shared by the MLPipeline and DataPipeline kinds (their ``render.py``; the CRDs check the
durations): both turn a spec into a Job or a CronJob whose pod runs under the restricted Pod
Security Standard with a read-only root filesystem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import podspec
from .kinds.base import Manifest, Resource

Fragment = dict[str, Any]

_TMP = "/tmp"  # noqa: S108 - a mount path for an emptyDir, not a temporary file
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str) -> int:
    """``"1d12h"`` → 129600. The CRD's CEL rule has already checked the form."""
    return sum(int(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text))


def hardened_pod(
    security: Mapping[str, Any],
    *,
    extra_volumes: list[Fragment] | None = None,
    extra_mounts: list[Fragment] | None = None,
) -> tuple[Fragment, Fragment, list[Fragment], list[Fragment]]:
    """(pod securityContext, container securityContext, volumes, mounts) for a batch pod.

    Restricted PSS unless ``security`` opts out; every ``writablePaths`` entry is an emptyDir so
    a read-only root filesystem still leaves the image somewhere to write.
    """
    volumes = list(extra_volumes or [])
    mounts = list(extra_mounts or [])
    if security.get("readOnlyRootFilesystem", True):
        for index, path in enumerate(security.get("writablePaths", [_TMP])):
            volume, mount = podspec.scratch_volume(f"writable-{index}", path)
            volumes.append(volume)
            mounts.append(mount)
    container = podspec.container_security_context(security)
    return podspec.pod_security_context(security), container, volumes, mounts


def placement(spec: Mapping[str, Any]) -> Fragment:
    """Pod fields every pod of a pipeline shares: registry credentials and node selection."""
    fields: Fragment = {}
    if spec.get("imagePullSecrets"):
        fields["imagePullSecrets"] = [{"name": name} for name in spec["imagePullSecrets"]]
    if spec.get("nodeSelector"):
        fields["nodeSelector"] = dict(spec["nodeSelector"])
    return fields


def home_env(security: Mapping[str, Any]) -> list[Fragment]:
    """``HOME`` in the first writable path: an arbitrary UID has no home directory, and torch,
    pip, matplotlib and Hugging Face all write caches under ``$HOME``."""
    paths = security.get("writablePaths", [_TMP])
    if not security.get("readOnlyRootFilesystem", True) or not paths:
        return []
    return [{"name": "HOME", "value": paths[0]}]


def cronjob_spec(
    job_spec: Fragment,
    job_labels: Mapping[str, str],
    schedule: str,
    time_zone: str | None,
    suspend: bool | None = None,
) -> Fragment:
    """A CronJob spec wrapping ``job_spec``. Runs never overlap (``Forbid``): a run still going
    when the next is due (a slow training, a long ETL) keeps the cluster to one run at a time."""
    spec: Fragment = {
        "schedule": schedule,
        "concurrencyPolicy": "Forbid",
        "jobTemplate": {"metadata": {"labels": dict(job_labels)}, "spec": job_spec},
    }
    if time_zone:
        spec["timeZone"] = time_zone
    if suspend is not None:
        spec["suspend"] = suspend
    return spec


def job_or_cronjob(
    resource: Resource,
    *,
    templates: str,
    component: str,
    job_spec: Fragment,
    schedule: str | None,
    time_zone: str | None = None,
    suspend: bool | None = None,
) -> Manifest:
    """The run itself: a Job named after the resource, or a CronJob when it has a schedule.
    ``templates`` is the kind's template directory (``job.yaml.j2``, ``cronjob.yaml.j2``)."""
    labels = resource.labels(component)
    if schedule is None:
        return resource.template(
            f"{templates}/job.yaml.j2", name=resource.name, labels=labels, job_spec=job_spec
        )
    pod_labels = job_spec["template"]["metadata"]["labels"]
    return resource.template(
        f"{templates}/cronjob.yaml.j2",
        name=resource.name,
        labels=labels,
        cronjob_spec=cronjob_spec(job_spec, pod_labels, schedule, time_zone, suspend),
    )


def run_once_job_spec(*, timeout: str, ttl: str, backoff: int, template: Fragment) -> Fragment:
    """A Job spec for one pod that may be retried: a deadline, a clean-up delay, and retries
    that an eviction or preemption does not use up (it is not the code's fault)."""
    return {
        "activeDeadlineSeconds": duration_seconds(timeout),
        "ttlSecondsAfterFinished": duration_seconds(ttl),
        "backoffLimit": backoff,
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "Ignore",
                    "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                }
            ]
        },
        "template": template,
    }
