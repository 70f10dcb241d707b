"""The App's pod templates: the long-running workload's and those of its jobs and schedules.

Both share image, env, config, secrets, security and placement (``PodParts`` carries what config,
secrets and connectTo contribute); only the long-running pod gets ports, probes, lifecycle hooks
and topology spread. Built from the shared builders in ``podspec.py``. Called by ``render.py``
and ``render_jobs.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import labels, podspec
from ...podspec import Fragment
from ..base import Resource
from . import names
from .render_config import PodParts

PROMETHEUS_SCRAPE = "prometheus.io/scrape"
PROMETHEUS_PORT = "prometheus.io/port"
PROMETHEUS_PATH = "prometheus.io/path"


def service_account_name(spec: Mapping[str, Any], app: str) -> str | None:
    account = spec["serviceAccount"]
    if account.get("name"):
        return str(account["name"])
    return app if account["create"] else None


def automount_token(spec: Mapping[str, Any]) -> bool:
    explicit = spec["serviceAccount"].get("automountToken")
    return bool(explicit) if explicit is not None else "rbac" in spec


def env_entries(parts: PodParts, *layers: Mapping[str, Any] | None) -> list[Fragment]:
    """Generated variables first (so users can reference them as ``$(NAME)``), then each layer
    of user env sorted by name; a later definition of a name replaces an earlier one in place."""
    env = dict(parts.env)
    for layer in layers:
        for name in sorted(layer or {}):
            env[name] = podspec.env_var(name, (layer or {})[name])
    return list(env.values())


def _container(
    resource: Resource,
    parts: PodParts,
    name: str,
    run: Mapping[str, Any] | None,
) -> Fragment:
    spec = resource.spec
    long_running = run is None
    run = run or {}
    inherit = run.get("inheritEnv", True)
    container: Fragment = {"name": name, "image": run.get("image") or spec["image"]}
    if spec.get("imagePullPolicy"):
        container["imagePullPolicy"] = spec["imagePullPolicy"]
    for key in ("command", "args"):
        value = run.get(key) if key in run else spec.get(key)
        if value:
            container[key] = list(value)
    if spec.get("workingDir"):
        container["workingDir"] = spec["workingDir"]
    if long_running:
        ports = names.container_ports(spec)
        if ports:
            container["ports"] = [
                {"name": p.name, "containerPort": p.number, "protocol": p.protocol} for p in ports
            ]
    own = PodParts() if not inherit else parts
    env = env_entries(own, spec.get("env") if inherit else None, run.get("env"))
    if env:
        container["env"] = env
    if own.env_from:
        container["envFrom"] = list(own.env_from)
    resources = {**spec["resources"], **(run.get("resources") or {})}
    requirements = podspec.resource_requirements(resources)
    if requirements:
        container["resources"] = requirements
    container["securityContext"] = podspec.container_security_context(spec["security"])
    _, scratch_mounts = podspec.writable_paths(spec["security"]["writablePaths"])
    mounts = scratch_mounts + _host_paths(spec)[1] + (own.mounts if inherit else [])
    if mounts:
        container["volumeMounts"] = mounts
    return container


def _long_running_extras(resource: Resource, container: Fragment) -> None:
    """Probes and lifecycle hooks: only for the app's own pods, never for jobs."""
    spec = resource.spec
    main = names.main_port(spec)
    default_port = main.name if main else None
    # A TCP connect check on a UDP port would fail forever and restart the pod in a loop.
    fallback_tcp = main is not None and main.protocol == "TCP"
    for probe_name, key in (
        ("liveness", "livenessProbe"),
        ("readiness", "readinessProbe"),
        ("startup", "startupProbe"),
    ):
        probe = podspec.probe(spec["health"][probe_name], default_port, fallback_tcp=fallback_tcp)
        if probe is not None:
            container[key] = probe
    hooks: Fragment = {}
    for hook in ("preStop", "postStart"):
        handler = podspec.lifecycle_handler(spec["lifecycle"].get(hook), default_port)
        if handler is not None:
            hooks[hook] = handler
    if hooks:
        container["lifecycle"] = hooks


def pod_template(
    resource: Resource,
    parts: PodParts,
    component: str,
    *,
    run: Mapping[str, Any] | None = None,
    container_name: str | None = None,
) -> Fragment:
    """A pod template: the app's own (``run`` is None) or a job's/schedule's (``run`` given)."""
    spec = resource.spec
    long_running = run is None
    container = _container(resource, parts, container_name or resource.name, run)
    if long_running:
        _long_running_extras(resource, container)
    inherit = long_running or (run or {}).get("inheritEnv", True)
    scratch_volumes, _ = podspec.writable_paths(spec["security"]["writablePaths"])
    volumes = scratch_volumes + _host_paths(spec)[0] + (parts.volumes if inherit else [])
    pod: Fragment = {
        # Docker-link variables (<SVC>_PORT=tcp://...) would clash with connectTo's <NAME>_PORT.
        "enableServiceLinks": False,
        "automountServiceAccountToken": automount_token(spec),
        "securityContext": podspec.pod_security_context(spec["security"]),
        "containers": [container, *(parts.sidecars if long_running else [])],
    }
    if long_running and parts.sidecars:
        # The config reloader signals the app's process (config.hotReload).
        pod["shareProcessNamespace"] = True
    account = service_account_name(spec, resource.name)
    if account:
        pod["serviceAccountName"] = account
    if volumes:
        pod["volumes"] = volumes
    if long_running:
        pod["terminationGracePeriodSeconds"] = spec["lifecycle"]["terminationGracePeriodSeconds"]
    else:
        pod["restartPolicy"] = "Never"
    if spec["security"]["hostNetwork"]:
        pod["hostNetwork"] = True
        # Without this, a host-network pod resolves with the node's DNS, not cluster DNS.
        pod["dnsPolicy"] = "ClusterFirstWithHostNet"
    if spec.get("imagePullSecrets"):
        pod["imagePullSecrets"] = [{"name": name} for name in spec["imagePullSecrets"]]
    if spec.get("nodeSelector"):
        pod["nodeSelector"] = dict(spec["nodeSelector"])
    tolerations = podspec.tolerations(spec.get("tolerations"))
    resources = {**spec["resources"], **((run or {}).get("resources") or {})}
    if resources.get("gpu"):
        tolerations.append(dict(podspec.GPU_TOLERATION))
    if tolerations:
        pod["tolerations"] = tolerations
    if spec.get("affinity"):
        pod["affinity"] = spec["affinity"]
    if spec.get("priorityClassName"):
        pod["priorityClassName"] = spec["priorityClassName"]
    if long_running and spec["topologySpread"] and is_replicated(spec):
        pod["topologySpreadConstraints"] = podspec.topology_spread(
            resource.selector(names.COMPONENT)
        )
    annotations = dict(spec.get("annotations") or {})
    annotations.update(parts.annotations if inherit else {})
    if long_running:
        annotations.update(_scrape_annotations(spec))
    # Every pod of the app, jobs included, carries the connect-to labels its callees admit.
    pod_labels = resource.labels(component)
    pod_labels.update(labels.connect_to_labels(spec.get("connectTo") or [], resource.namespace))
    metadata: Fragment = {"labels": pod_labels}
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": pod}


def _host_paths(spec: Mapping[str, Any]) -> tuple[list[Fragment], list[Fragment]]:
    volumes: list[Fragment] = []
    mounts: list[Fragment] = []
    for item in spec.get("hostPaths") or []:
        name = podspec.volume_name(item["path"], "host-")
        volumes.append({"name": name, "hostPath": {"path": item["path"], "type": "Directory"}})
        mounts.append(
            {
                "name": name,
                "mountPath": item.get("mountPath") or item["path"],
                "readOnly": item["readOnly"],
            }
        )
    return volumes, mounts


def is_replicated(spec: Mapping[str, Any]) -> bool:
    """More than one pod of a Deployment or StatefulSet: then a PDB and topology spread are
    worth having."""
    if spec["workload"] not in ("Deployment", "StatefulSet"):
        return False
    return "autoscale" in spec or spec["replicas"] > 1


def _scrape_annotations(spec: Mapping[str, Any]) -> dict[str, str]:
    port = names.metrics_port(spec)
    if port is None:
        return {}
    return {
        PROMETHEUS_SCRAPE: "true",
        PROMETHEUS_PORT: str(port),
        PROMETHEUS_PATH: spec["observability"]["metrics"]["path"],
    }
