"""The fixed order in which rendered objects are emitted (and applied).

Dependencies first, like Helm's install order: namespaced policy, identities and RBAC, Secrets
and ConfigMaps, storage, Services, workloads, then autoscalers and Ingresses. Kinds from other
projects (ExternalSecret, Certificate, HTTPRoute, ServiceMonitor) follow the core kind they feed.
Within a kind, objects sort by name. Called by ``pipeline.py``.

Beyond that fixed order, an object may have to wait for another to *finish*: an App's migration
Job (``jobs[].runBefore: rollout``) before its workload. The generator marks that order on the
objects themselves with Argo CD's ``argocd.argoproj.io/sync-wave`` annotation (:data:`SYNC_WAVE`),
so the same output is ordered alike by Argo CD (a GitOps sync of ``konfiguru render``) and by
the operator (``konfiguru_operator.jobs.gate`` reads :func:`sync_wave`): one mark, every caller.
"""

from __future__ import annotations

from typing import Any

KIND_ORDER: tuple[str, ...] = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "ServiceAccount",
    "Secret",
    "ExternalSecret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Deployment",
    "StatefulSet",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Job",
    "CronJob",
    "Certificate",
    "Ingress",
    "HTTPRoute",
    "ServiceMonitor",
)
# Argo CD applies the objects of a wave, waits until they are all healthy (a Job: completed),
# then applies the next; no annotation is wave 0.
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
_RANK = {kind: index for index, kind in enumerate(KIND_ORDER)}


def sort_key(obj: dict[str, Any]) -> tuple[int, str, str]:
    kind = obj.get("kind", "")
    return (_RANK.get(kind, len(KIND_ORDER)), kind, obj.get("metadata", {}).get("name", ""))


def in_order(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=sort_key)


def sync_wave(obj: dict[str, Any]) -> int:
    """The Argo CD sync wave an object is marked with (0 when unmarked or not a number)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    try:
        return int(str(annotations.get(SYNC_WAVE, "0")))
    except ValueError:
        return 0
