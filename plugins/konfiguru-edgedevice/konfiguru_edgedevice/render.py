"""EdgeDevice → ServiceAccount, ConfigMap (sensors, when there are any), NetworkPolicy, DaemonSet.

The DaemonSet runs on the nodes of the device type (``konfiguru.io/device-type`` label plus the
device's CPU architecture) with the restricted Pod Security Standard: host devices come as
extended resources of a device plugin, never hostPath or privileged. For cloud and hybrid
processing a second container, the sync sidecar, ships what the agent leaves in a shared outbox
(an emptyDir) to the destination every interval: a sidecar rather than a CronJob because the data
is on each device, and a CronJob's pod would run on some other node.

Called by Konfiguru's pipeline (``KindDefinition.render``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from konfiguru_generators.kinds.base import Manifest, Resource
from konfiguru_generators.podspec import container_security_context, pod_security_context

DEVICE_LABEL = "konfiguru.io/device-type"
ARCH_LABEL = "kubernetes.io/arch"
GPU_RESOURCE = "nvidia.com/gpu"
CHECKSUM_ANNOTATION = "konfiguru.io/config-checksum"
CONFIG_DIR = "/etc/edge"
OUTBOX_DIR = "/var/lib/edge/outbox"
# What the agent and the sidecar are told; users may not set these themselves.
RESERVED_ENV = frozenset(
    {"PROCESSING_MODE", "SENSORS_FILE", "OUTBOX_DIR", "SYNC_DESTINATION", "SYNC_INTERVAL_SECONDS"}
)
# The CPU architecture of each device type (None: any).
ARCHITECTURES: dict[str, str | None] = {
    "raspberry-pi": "arm64",
    "nvidia-jetson": "arm64",
    "intel-nuc": "amd64",
    "generic": None,
}
_UNITS = {"s": 1, "m": 60, "h": 3600}
_INTERVAL = re.compile(r"^([1-9][0-9]*)([smh])\Z")


def interval_seconds(text: str) -> int:
    """``"5m"`` → 300 (the CRD's pattern guarantees the form)."""
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(f"not an interval: {text!r}")
    return int(match[1]) * _UNITS[match[2]]


def node_selector(device_type: str) -> dict[str, str]:
    selector = {DEVICE_LABEL: device_type}
    arch = ARCHITECTURES[device_type]
    if arch is not None:
        selector[ARCH_LABEL] = arch
    return selector


def sensors_file(spec: dict[str, Any]) -> str:
    """The sensors as the agent reads them (JSON, keys sorted: the same text for the same spec)."""
    sensors = [
        {
            key: sensor[key]
            for key in ("name", "type", "pin", "interval", "settings")
            if key in sensor
        }
        for sensor in spec.get("sensors") or []
    ]
    return json.dumps({"sensors": sensors}, indent=2, sort_keys=True) + "\n"


def _agent_env(resource: Resource) -> list[dict[str, str]]:
    spec = resource.spec
    env = {"PROCESSING_MODE": spec["processingMode"]}
    if spec.get("sensors"):
        env["SENSORS_FILE"] = f"{CONFIG_DIR}/sensors.json"
    if "sync" in spec:
        env["OUTBOX_DIR"] = OUTBOX_DIR
    env.update(spec.get("env") or {})
    return [{"name": key, "value": str(value)} for key, value in sorted(env.items())]


def _resources(spec: dict[str, Any]) -> dict[str, Any]:
    wanted = spec["resources"]
    limits: dict[str, Any] = {"memory": wanted["memory"]}
    if spec.get("gpu"):
        limits[GPU_RESOURCE] = 1
    for device in spec.get("devices") or []:
        limits[device] = 1
    return {"requests": {"cpu": wanted["cpu"], "memory": wanted["memory"]}, "limits": limits}


def _sync_container(resource: Resource, security: dict[str, Any]) -> dict[str, Any]:
    sync = resource.spec["sync"]
    return {
        "name": "sync",
        "image": sync.get("image", resource.spec["image"]),
        **({} if "image" in sync else {"args": ["sync"]}),
        "env": [
            {"name": "OUTBOX_DIR", "value": OUTBOX_DIR},
            {"name": "SYNC_DESTINATION", "value": sync["destination"]},
            {"name": "SYNC_INTERVAL_SECONDS", "value": str(interval_seconds(sync["interval"]))},
        ],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        "securityContext": security,
        "volumeMounts": [{"name": "outbox", "mountPath": OUTBOX_DIR}],
    }


def _pod_template(resource: Resource, config: str | None, checksum: str) -> dict[str, Any]:
    spec = resource.spec
    security = container_security_context(None)
    # /tmp is an emptyDir: the root filesystem is read-only.
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
    if config is not None:
        mounts.insert(0, {"name": "sensors", "mountPath": CONFIG_DIR, "readOnly": True})
        volumes.insert(0, {"name": "sensors", "configMap": {"name": config}})
    containers = [
        {
            "name": "agent",
            "image": spec["image"],
            "env": _agent_env(resource),
            "resources": _resources(spec),
            "securityContext": security,
            "volumeMounts": mounts,
        }
    ]
    if "sync" in spec:
        mounts.append({"name": "outbox", "mountPath": OUTBOX_DIR})
        volumes.append({"name": "outbox", "emptyDir": {"sizeLimit": spec["sync"]["bufferSize"]}})
        containers.append(_sync_container(resource, security))
    tolerations = [
        # Edge nodes are commonly tainted so that ordinary workloads stay off them.
        {"key": "node-role.kubernetes.io/edge", "operator": "Exists", "effect": "NoSchedule"}
    ]
    if spec.get("gpu"):
        tolerations.append({"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"})
    return {
        "metadata": {
            "labels": resource.labels("agent"),
            **({"annotations": {CHECKSUM_ANNOTATION: checksum}} if config else {}),
        },
        "spec": {
            "serviceAccountName": resource.name,
            "automountServiceAccountToken": False,
            "nodeSelector": node_selector(spec["deviceType"]),
            "tolerations": tolerations,
            "securityContext": pod_security_context(None),
            "containers": containers,
            "volumes": volumes,
        },
    }


def _egress(spec: dict[str, Any]) -> list[dict[str, Any]]:
    dns = {
        "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    if spec["processingMode"] == "local":
        return [dns]  # local processing: nothing leaves the device but name lookups
    # The destination is an https URL outside the cluster: its addresses are not known here.
    return [dns, {"ports": [{"protocol": "TCP", "port": 443}]}]


def render(resource: Resource) -> list[Manifest]:
    # No sensors, no sensor configuration: the ConfigMap goes (and is pruned) with the last one.
    config = f"{resource.name}-sensors" if resource.spec.get("sensors") else None
    sensors = sensors_file(resource.spec)
    checksum = hashlib.sha256(sensors.encode()).hexdigest()
    children = [
        resource.template("edgedevice/serviceaccount.yaml.j2", labels=resource.labels("agent"))
    ]
    if config is not None:
        children.append(
            resource.template(
                "edgedevice/configmap.yaml.j2",
                name=config,
                labels=resource.labels("config"),
                data={"sensors.json": sensors},
            )
        )
    return [
        *children,
        resource.template(
            "edgedevice/networkpolicy.yaml.j2",
            labels=resource.labels("agent"),
            pod_selector=resource.selector("agent"),
            egress=_egress(resource.spec),
        ),
        resource.template(
            "edgedevice/daemonset.yaml.j2",
            labels=resource.labels("agent"),
            selector=resource.selector("agent"),
            pod_template=_pod_template(resource, config, checksum),
        ),
    ]
