"""The fixed order in which rendered objects are emitted (and applied).

Dependencies first, like Helm's install order: namespaced policy, identities and RBAC, Secrets
and ConfigMaps, storage, Services, workloads, then autoscalers and Ingresses. Kinds from other
projects (ExternalSecret, Certificate, ServiceMonitor) follow the core kind they feed. Within a
kind, objects sort by name. Called by ``pipeline.py``.
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
    "ServiceMonitor",
)
_RANK = {kind: index for index, kind in enumerate(KIND_ORDER)}


def sort_key(obj: dict[str, Any]) -> tuple[int, str, str]:
    kind = obj.get("kind", "")
    return (_RANK.get(kind, len(KIND_ORDER)), kind, obj.get("metadata", {}).get("name", ""))


def in_order(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=sort_key)
