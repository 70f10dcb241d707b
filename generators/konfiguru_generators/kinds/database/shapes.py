"""The Database's subset of the pod shapes every Konfiguru CRD shares (``podspec.py``).

The Database CRD declares ``resources`` and ``security`` without GPUs, privileged mode or added
capabilities: a database needs none of them. Only the declared keys reach the shared builders,
so nothing undeclared is ever read. Called by ``containers.py``, ``render.py`` and
``replicaset.py``.
"""

from __future__ import annotations

from typing import Any

from ... import podspec

Fragment = dict[str, Any]

_RESOURCE_KEYS = ("cpu", "memory", "cpuLimit", "memoryLimit")
_SECURITY_KEYS = (
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "seccompProfile",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
)


def _declared(fragment: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: fragment[key] for key in keys if key in fragment}


def resources(spec_resources: dict[str, Any]) -> Fragment:
    """requests/limits from a Database ``resources`` block."""
    return podspec.resource_requirements(_declared(spec_resources, _RESOURCE_KEYS))


def pod_security(security: dict[str, Any]) -> Fragment:
    return podspec.pod_security_context(_declared(security, _SECURITY_KEYS))


def container_security(security: dict[str, Any]) -> Fragment:
    return podspec.container_security_context(_declared(security, _SECURITY_KEYS))
