"""Builders for the parts of a pod every kind needs: security, resources, probes, env, scratch
volumes, lifecycle hooks, tolerations, topology spread.

Pure functions from (defaulted) spec fragments to Kubernetes API fragments. The spec fragments
have the same shape in every CRD that uses them (``security``, ``resources``, ``health`` probes,
``env``), so one builder serves App, Database, MLPipeline and DataPipeline alike.

Called by the per-kind renderers in ``kinds/*/render.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

Fragment = dict[str, Any]

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TOLERATION: Fragment = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
# Kubernetes' own probe defaults are periodSeconds 10, timeoutSeconds 1, failureThreshold 3; a
# one-second timeout is too tight for real services under load, so the CRDs default to these.
_PROBE_ACTIONS = frozenset({"http", "tcp", "exec", "grpc"})
_PROBE_TIMING = (
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "failureThreshold",
    "successThreshold",
    "terminationGracePeriodSeconds",
)


def _present(fragment: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keys a spec fragment carries. Each kind's CRD declares its own subset of the keys a
    shared builder understands (DataPipeline has no ``gpu``, say), so builders look only at what
    is there; what is there is declared, since the schema check rejects unknown fields."""
    return dict(fragment.items()) if fragment else {}


def pod_security_context(security: Mapping[str, Any] | None) -> Fragment:
    """The pod-level securityContext: restricted PSS unless the spec opts out field by field.

    ``security`` keys (all optional, defaults from the CRD): ``runAsNonRoot`` (true),
    ``runAsUser``, ``runAsGroup``, ``fsGroup``, ``seccompProfile`` ("RuntimeDefault").
    """
    security = _present(security)
    context: Fragment = {}
    if security.get("runAsNonRoot", True):
        context["runAsNonRoot"] = True
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        if security.get(key) is not None:
            context[key] = security[key]
    if security.get("fsGroup") is not None:
        # Re-chowning a large volume on every start is slow; only fix a mismatched root.
        context["fsGroupChangePolicy"] = "OnRootMismatch"
    profile = security.get("seccompProfile", "RuntimeDefault")
    if profile and profile != "Unconfined":
        context["seccompProfile"] = {"type": profile}
    elif profile == "Unconfined":
        context["seccompProfile"] = {"type": "Unconfined"}
    return context


def container_security_context(security: Mapping[str, Any] | None) -> Fragment:
    """The container-level securityContext (restricted PSS by default).

    ``security`` keys: ``readOnlyRootFilesystem`` (true), ``allowPrivilegeEscalation`` (false),
    ``privileged`` (false), ``capabilities`` ({add: []}; ALL is always dropped unless privileged).
    """
    security = _present(security)
    privileged = bool(security.get("privileged", False))
    context: Fragment = {
        "allowPrivilegeEscalation": bool(security.get("allowPrivilegeEscalation", False))
        or privileged,
        "readOnlyRootFilesystem": bool(security.get("readOnlyRootFilesystem", True)),
    }
    if privileged:
        context["privileged"] = True
    else:
        capabilities: Fragment = {"drop": ["ALL"]}
        added = list(security.get("capabilities", {}).get("add", []))
        if added:
            capabilities["add"] = added
        context["capabilities"] = capabilities
    if security.get("runAsNonRoot", True):
        context["runAsNonRoot"] = True
    return context


def resource_requirements(resources: Mapping[str, Any] | None, gpu: int = 0) -> Fragment:
    """``{cpu, memory, cpuLimit, memoryLimit, gpu}`` → ``{requests, limits}``.

    A memory limit defaults to the memory request (memory is not compressible: a pod above its
    request is the first to be OOM-killed anyway); CPU gets no limit unless asked, since CPU
    limits throttle latency-sensitive services without protecting anyone. GPUs go in limits
    only, which the device plugin requires (requests, if set, must equal limits).
    """
    resources = _present(resources)
    requests: Fragment = {}
    limits: Fragment = {}
    for key in ("cpu", "memory"):
        if resources.get(key) is not None:
            requests[key] = str(resources[key])
    if resources.get("cpuLimit") is not None:
        limits["cpu"] = str(resources["cpuLimit"])
    if resources.get("memoryLimit") is not None:
        limits["memory"] = str(resources["memoryLimit"])
    elif "memory" in requests:
        limits["memory"] = requests["memory"]
    gpus = gpu or int(resources.get("gpu") or 0)
    if gpus:
        limits[GPU_RESOURCE] = gpus
    result: Fragment = {}
    if requests:
        result["requests"] = requests
    if limits:
        result["limits"] = limits
    return result


def probe(
    spec: Mapping[str, Any] | None,
    default_port: int | str | None = None,
    *,
    fallback_tcp: bool = False,
) -> Fragment | None:
    """A probe from ``{http: {path, port}} | {tcp: {port}} | {exec: {command}} | {grpc: {port}}``
    plus timing fields; ``None`` when the spec is absent or disabled (``enabled: false``).

    With ``fallback_tcp`` a spec without a check becomes a TCP check on ``default_port`` (what
    bjw-s app-template does for a port-serving container), so the CRD's timing defaults alone
    give a working probe."""
    if not spec or spec.get("enabled") is False:
        return None
    result: Fragment = {}
    if fallback_tcp and default_port is not None and not _PROBE_ACTIONS.intersection(spec):
        spec = {**spec, "tcp": {}}
    if "http" in spec:
        http = spec["http"] or {}
        action: Fragment = {"path": http.get("path", "/"), "port": http.get("port", default_port)}
        if http.get("scheme"):
            action["scheme"] = http["scheme"]
        result["httpGet"] = action
    elif "tcp" in spec:
        result["tcpSocket"] = {"port": (spec["tcp"] or {}).get("port", default_port)}
    elif "exec" in spec:
        result["exec"] = {"command": list(spec["exec"]["command"])}
    elif "grpc" in spec:
        grpc = spec["grpc"] or {}
        result["grpc"] = {"port": grpc.get("port", default_port)}
        if grpc.get("service"):
            result["grpc"]["service"] = grpc["service"]
    else:
        return None
    # Only the timing fields the spec carries: each kind's CRD declares the subset it offers.
    timing = {key: value for key, value in spec.items() if key in _PROBE_TIMING}
    for key in _PROBE_TIMING:
        if timing.get(key) is not None:
            result[key] = timing[key]
    return result


def env_var(name: str, value: Any) -> Fragment:
    """One env entry from a spec value: a plain value, or ``{secretKeyRef|configMapKeyRef|
    fieldRef|resourceFieldRef: ...}``. Plain values are always strings in the pod spec."""
    if isinstance(value, Mapping):
        for source in ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"):
            if source in value:
                return {"name": name, "valueFrom": {source: dict(value[source])}}
        if "value" in value:
            return {"name": name, "value": _env_string(value["value"])}
    return {"name": name, "value": _env_string(value)}


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def env_list(env: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> list[Fragment]:
    """Env as a list, from a mapping ``{NAME: value}`` (sorted, so output is stable) or a list of
    ``{name, value|valueFrom}`` entries (kept in order: later entries may reference earlier ones
    with ``$(NAME)``)."""
    if not env:
        return []
    if isinstance(env, Mapping):
        return [env_var(name, env[name]) for name in sorted(env)]
    result: list[Fragment] = []
    for entry in env:
        if "valueFrom" in entry:
            result.append({"name": entry["name"], "valueFrom": dict(entry["valueFrom"])})
        else:
            result.append(env_var(entry["name"], entry.get("value")))
    return result


def scratch_volume(
    name: str, path: str, *, memory: bool = False, size: str | None = None
) -> tuple[Fragment, Fragment]:
    """An emptyDir and its mount: a writable directory (``/tmp``, a socket dir, ``/dev/shm``)
    for containers whose root filesystem is read-only."""
    empty_dir: Fragment = {}
    if memory:
        empty_dir["medium"] = "Memory"
    if size:
        empty_dir["sizeLimit"] = size
    return {"name": name, "emptyDir": empty_dir}, {"name": name, "mountPath": path}


def topology_spread(selector: Mapping[str, str]) -> list[Fragment]:
    """Spread replicas across nodes and zones, preferring (not requiring) balance, so a small
    cluster still schedules every pod."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(selector)},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def lifecycle_handler(
    spec: Mapping[str, Any] | None, default_port: int | str | None = None
) -> Fragment | None:
    """A preStop/postStart handler from ``{command} | {http: {path, port}} | {sleepSeconds}``."""
    if not spec:
        return None
    if spec.get("command"):
        return {"exec": {"command": list(spec["command"])}}
    if spec.get("http"):
        http = spec["http"]
        return {"httpGet": {"path": http["path"], "port": http.get("port", default_port)}}
    if spec.get("sleepSeconds"):
        # The sleep action needs no shell or sleep binary in the image (distroless-friendly).
        return {"sleep": {"seconds": spec["sleepSeconds"]}}
    return None


# A path whose volume name is its parts joined by "-" and nothing is lost: /var/cache/nginx.
_PLAIN_PATH = re.compile(r"(/[a-z0-9]+)+\Z")
_HASH_CHARS = 8


def volume_name(path: str, prefix: str = "") -> str:
    """A stable volume name, one per directory: ``/var/cache/nginx`` → ``var-cache-nginx``.

    Paths of plain lower-case parts map one to one onto such names. Any other path (``/var-cache``
    beside ``/var/cache``, ``/home/app/.cache``, a name cut at 63 characters) also gets a hash of
    the whole path, so two directories never share a volume name.
    """
    # Volume names are DNS labels: ASCII letters and digits, "-" between them.
    dashed = "".join(c if c.isascii() and c.isalnum() else "-" for c in path.lower())
    slug = "-".join(part for part in dashed.split("-") if part)
    name = f"{prefix}{slug}" if slug else f"{prefix}root"
    if _PLAIN_PATH.match(path) and len(name) <= 63:
        return name
    digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{name[: 63 - _HASH_CHARS - 1].rstrip('-')}-{digest}"


def writable_paths(paths: Sequence[str]) -> tuple[list[Fragment], list[Fragment]]:
    """An emptyDir per directory that must stay writable under a read-only root filesystem."""
    volumes: list[Fragment] = []
    mounts: list[Fragment] = []
    for path in paths:
        volume, mount = scratch_volume(volume_name(path), path)
        volumes.append(volume)
        mounts.append(mount)
    return volumes, mounts


def tolerations(items: Sequence[Mapping[str, Any]] | None) -> list[Fragment]:
    """Tolerations from the spec, dropping empty fields (``Exists`` takes no value)."""
    result: list[Fragment] = []
    for item in items or ():
        toleration = {key: value for key, value in item.items() if value not in (None, "")}
        if toleration.get("operator") == "Exists":
            toleration.pop("value", None)
        result.append(toleration)
    return result
