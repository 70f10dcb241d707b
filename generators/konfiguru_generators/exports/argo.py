"""Argo Workflows: the resources with one-off or scheduled work as a ``Workflow`` DAG or a
``CronWorkflow``.

A resource whose children include Jobs (an MLPipeline's training, a DataPipeline's run, an App's
one-off jobs) becomes a Workflow with one DAG: first every supporting child is applied
(ServiceAccounts, RBAC, ConfigMaps, Secrets, claims, Services: one ``resource`` task each, action
``apply``), then each Job is created and awaited (``successCondition`` all completions succeeded,
``failureCondition`` a failure past its backoff limit), then the rest is applied (an inference
Deployment and its autoscaler: the rollout after training). Each task's manifest is the rendered
child itself, so the Workflow runs exactly what ``konfiguru render`` and the operator would; a
distributed (Indexed) training Job keeps its stable pod names and headless Service.

A CronJob becomes a CronWorkflow with the same schedule, time zone, concurrency policy and
history limits, whose one task creates the CronJob's Job (``generateName``) and awaits it.

The Workflow's service account needs RBAC to apply these kinds (Argo's ``resource`` templates
run kubectl); that is the cluster's to grant. Pure: called by ``exports/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import collisions, order, yamltext
from .bundle import JSON, Bundle, Rendered

API = "argoproj.io/v1alpha1"
# Applied after the Jobs: what serves the result (an inference rollout).
_AFTER = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "HTTPRoute",
        "Certificate",
        "ServiceMonitor",
    }
)


def _task_name(obj: Mapping[str, Any]) -> str:
    name = f"{str(obj['kind']).lower()}-{obj['metadata']['name']}"
    return name[:63].rstrip("-")


def _apply(obj: JSON) -> JSON:
    return {
        "name": _task_name(obj),
        "resource": {"action": "apply", "manifest": yamltext.dump(obj)},
    }


def _run_job(name: str, job: JSON) -> JSON:
    spec = job.get("spec") or {}
    completions = int(spec.get("completions") or 1)
    return {
        "name": name,
        "resource": {
            "action": "create",
            "setOwnerReference": False,
            "manifest": yamltext.dump(job),
            "successCondition": f"status.succeeded >= {completions}",
            "failureCondition": f"status.failed > {int(spec.get('backoffLimit', 6))}",
        },
    }


def workflow(item: Rendered) -> JSON | None:
    children = list(item.children)
    jobs = [c for c in children if c.get("kind") == "Job"]
    if not jobs:
        return None
    before = [c for c in children if c.get("kind") not in _AFTER | {"Job", "CronJob"}]
    after = [c for c in children if c.get("kind") in _AFTER]
    templates: list[JSON] = []
    tasks: list[JSON] = []
    first = [_task_name(c) for c in before]
    for obj in order.in_order(before):
        templates.append(_apply(obj))
        tasks.append({"name": _task_name(obj), "template": _task_name(obj)})
    job_tasks = []
    for job in order.in_order(jobs):
        name = _task_name(job)
        templates.append(_run_job(name, job))
        task: JSON = {"name": name, "template": name}
        if first:
            task["dependencies"] = first
        tasks.append(task)
        job_tasks.append(name)
    for obj in order.in_order(after):
        templates.append(_apply(obj))
        tasks.append(
            {"name": _task_name(obj), "template": _task_name(obj), "dependencies": job_tasks}
        )
    meta = item.resource.get("metadata") or {}
    metadata: JSON = {"generateName": f"{meta.get('name')}-"}
    if meta.get("namespace"):
        metadata["namespace"] = meta["namespace"]
    return {
        "apiVersion": API,
        "kind": "Workflow",
        "metadata": metadata,
        "spec": {
            "entrypoint": "main",
            "templates": [{"name": "main", "dag": {"tasks": tasks}}, *templates],
        },
    }


def cron_workflow(cron_job: JSON) -> JSON:
    spec = cron_job.get("spec") or {}
    meta = cron_job["metadata"]
    job_template = spec.get("jobTemplate") or {}
    job: JSON = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "generateName": f"{meta['name']}-",
            **({"namespace": meta["namespace"]} if meta.get("namespace") else {}),
            **{k: v for k, v in (job_template.get("metadata") or {}).items() if k != "name"},
        },
        "spec": job_template.get("spec") or {},
    }
    cron: JSON = {
        "schedules": [spec["schedule"]],  # Argo 3.6+: a list (schedule is deprecated)
        "concurrencyPolicy": spec.get("concurrencyPolicy", "Allow"),
        "workflowSpec": {
            "entrypoint": "run",
            "templates": [_run_job("run", job)],
        },
    }
    for source, target in (
        ("timeZone", "timezone"),
        ("successfulJobsHistoryLimit", "successfulJobsHistoryLimit"),
        ("failedJobsHistoryLimit", "failedJobsHistoryLimit"),
        ("startingDeadlineSeconds", "startingDeadlineSeconds"),
        ("suspend", "suspend"),
    ):
        if source in spec:
            cron[target] = spec[source]
    return {
        "apiVersion": API,
        "kind": "CronWorkflow",
        "metadata": {k: v for k, v in meta.items() if k in ("name", "namespace", "labels")},
        "spec": cron,
    }


def documents(rendered: Sequence[Rendered]) -> list[JSON]:
    """The Workflows and CronWorkflows of these resources, in input order."""
    out: list[JSON] = []
    for item in rendered:
        found = workflow(item)
        if found is not None:
            out.append(found)
        out.extend(cron_workflow(c) for c in item.children if c.get("kind") == "CronJob")
    return out


def _files(rendered: Sequence[Rendered], prefix: str) -> dict[str, str]:
    docs = documents(rendered)
    named = [
        {
            **d,
            "metadata": {
                **d["metadata"],
                "name": d["metadata"].get("name") or d["metadata"]["generateName"].rstrip("-"),
            },
        }
        for d in docs
    ]
    return {
        prefix + name: yamltext.dump_all([doc])
        for name, doc in zip(collisions.file_names(named), docs, strict=True)
    }


def export(bundle: Bundle) -> dict[str, str]:
    files = _files(bundle.base, "")
    for env, rendered in sorted(bundle.environments.items()):
        files.update(_files(rendered, f"envs/{env}/"))
    return files
