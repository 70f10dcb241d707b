"""App config and secrets → ConfigMap, Secrets, ExternalSecrets, and what the pods need of them.

Each function returns the objects it creates and adds to :class:`PodParts` the env entries,
envFrom sources, volumes, mounts and pod annotations that wire them into every container of the
app (its workload, jobs and schedules). Called by ``render.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ... import configformats, secretgen
from ...podspec import Fragment, container_security_context, env_var
from ..base import Manifest, Resource
from . import names

CHECKSUM_ANNOTATION = "konfiguru.io/config-checksum"


@dataclass
class PodParts:
    """What config, secrets and connectTo contribute to the pods, collected before building."""

    env: dict[str, Fragment] = field(default_factory=dict)
    env_from: list[Fragment] = field(default_factory=list)
    volumes: list[Fragment] = field(default_factory=list)
    mounts: list[Fragment] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    # Containers only the long-running pods get, in a pod sharing its process namespace (the
    # config reloader signals the app's process).
    sidecars: list[Fragment] = field(default_factory=list)


def config_data(spec: dict[str, Any]) -> dict[str, str]:
    """The ConfigMap data: key/values plus the written files, sorted by key."""
    config = spec.get("config") or {}
    data: dict[str, str] = dict(config.get("data") or {})
    for item in config.get("files") or []:
        fmt = configformats.format_for(item["name"], item.get("format"))
        data[item["name"]] = configformats.write(fmt, item["content"])
    return {key: data[key] for key in sorted(data)}


def render_config(resource: Resource, parts: PodParts) -> list[Manifest]:
    config = resource.spec.get("config")
    if config is None:
        return []
    name = names.config_map_name(resource.name)
    data = config_data(resource.spec)
    if config["asEnv"]:
        for key in sorted(config.get("data") or {}):
            parts.env[key] = {
                "name": key,
                "valueFrom": {"configMapKeyRef": {"name": name, "key": key}},
            }
    files = [item["name"] for item in config.get("files") or []]
    if files:
        parts.volumes.append(
            {
                "name": "config",
                "configMap": {
                    "name": name,
                    "items": [{"key": file, "path": file} for file in sorted(files)],
                },
            }
        )
        # The whole directory, never subPath: the kubelet then updates the files in place.
        parts.mounts.append({"name": "config", "mountPath": config["mountPath"], "readOnly": True})
    if config.get("hotReload"):
        parts.sidecars.append(_reloader(config["hotReload"], config["mountPath"]))
    if config["restartOnChange"]:
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        parts.annotations[CHECKSUM_ANNOTATION] = digest
    return [
        resource.template(
            "app/configmap.yaml.j2", name=name, labels=resource.labels("config"), data=data
        )
    ]


# The kubelet swaps the "..data" symlink of a ConfigMap volume when the data changes (an atomic
# rename, so a reader never sees half a change): its target changing is the change. Polled, since
# inotify on a symlink swap is unreliable across runtimes. User input reaches the script only as
# environment variables, never as script text. The oldest process of the name gets the signal:
# the master of nginx, haproxy or postgres, which reloads its workers.
RELOADER_SCRIPT = """\
last="$(readlink "$CONFIG_DIR/..data")"
while sleep "$INTERVAL"; do
  now="$(readlink "$CONFIG_DIR/..data")"
  if [ "$now" != "$last" ]; then
    last="$now"
    if pkill "-$SIGNAL" -o -x "$PROCESS"; then
      echo "config changed: sent SIG$SIGNAL to $PROCESS"
    else
      echo "config changed: no process named $PROCESS to signal" >&2
    fi
  fi
done
"""


def _reloader(reload: dict[str, Any], mount_path: str) -> Fragment:
    """The sidecar that signals the app's process when its config files change (hotReload).

    It runs as the pod's user (security.runAsUser, required) with every capability dropped: a
    process may signal another of its own user in its PID namespace without CAP_KILL."""
    return {
        "name": "config-reloader",
        "image": reload["image"],
        "command": ["sh", "-c", RELOADER_SCRIPT],
        "env": [
            env_var("CONFIG_DIR", mount_path),
            env_var("INTERVAL", str(reload["intervalSeconds"])),
            env_var("PROCESS", reload["process"]),
            env_var("SIGNAL", reload["signal"].removeprefix("SIG")),
        ],
        "resources": {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"memory": "16Mi"}},
        "securityContext": container_security_context({}),
        "volumeMounts": [{"name": "config", "mountPath": mount_path, "readOnly": True}],
    }


def render_secrets(resource: Resource, parts: PodParts) -> list[Manifest]:
    objects: list[Manifest] = []
    for index, entry in enumerate(resource.spec.get("secrets") or []):
        secret = names.secret_name(resource.name, entry)
        if "generate" in entry:
            generated = _generated_secret(resource, entry, secret)
            if generated is not None:
                objects.append(generated)
        elif "external" in entry:
            objects.append(_external_secret(resource, entry["external"], secret))
        elif secret in resource.existing.provided_secrets:
            objects.append(_provided_secret(resource, secret))
        if entry["mount"] in ("env", "both"):
            source: Fragment = {"secretRef": {"name": secret}}
            if entry.get("prefix"):
                source["prefix"] = entry["prefix"]
            parts.env_from.append(source)
        if entry["mount"] in ("files", "both"):
            volume = f"secret-{index}"
            parts.volumes.append({"name": volume, "secret": {"secretName": secret}})
            parts.mounts.append(
                {
                    "name": volume,
                    "mountPath": entry.get("mountPath") or f"/etc/secrets/{entry['name']}",
                    "readOnly": True,
                }
            )
    return objects


def _generated_secret(resource: Resource, entry: dict[str, Any], secret: str) -> Manifest | None:
    items = [
        secretgen.Generated(key=item["key"], type=item["type"], length=item["length"])
        for item in entry["generate"]
    ]
    data = secretgen.secret_data(resource.existing, resource.namespace or "", secret, items)
    keys = secretgen.generated_keys(items)
    if data is None:
        resource.notes.append(
            f"Secret {secret} (generated keys {', '.join(keys)}) is left out: its values are"
            " created once in the cluster by the operator, or rendered with a private seed"
            " (--secret-seed-file); pods wait for it to exist"
        )
        return None
    encoded = {key: base64.b64encode(data[key].encode()).decode() for key in sorted(data)}
    return resource.template(
        "app/secret.yaml.j2",
        name=secret,
        labels=resource.labels("secret"),
        data=encoded,
        generated_keys=",".join(keys),
    )


def _provided_secret(resource: Resource, secret: str) -> Manifest:
    """The Secret an entry references, from values given offline (an env file)."""
    values = resource.existing.provided_secrets[secret]
    return resource.template(
        "app/secret-provided.yaml.j2",
        name=secret,
        labels=resource.labels("secret"),
        data={key: base64.b64encode(values[key].encode()).decode() for key in sorted(values)},
    )


def _external_secret(resource: Resource, external: dict[str, Any], secret: str) -> Manifest:
    data = []
    for item in external.get("data") or []:
        remote: Fragment = {"key": item["remoteKey"]}
        for key in ("property", "version"):
            if item.get(key):
                remote[key] = item[key]
        data.append({"secretKey": item["key"], "remoteRef": remote})
    data_from = [{"extract": {"key": external["extract"]}}] if external.get("extract") else []
    return resource.template(
        "app/externalsecret.yaml.j2",
        name=secret,
        labels=resource.labels("secret"),
        provider=external["provider"],
        store=external["store"],
        store_kind=external["storeKind"],
        refresh_interval=external["refreshInterval"],
        data=data,
        data_from=data_from,
    )


def connect_env(resource: Resource, parts: PodParts) -> None:
    """Service-discovery variables for every connectTo target, before the user's env.

    A Database in the same namespace also gives ``<NAME>_USERNAME``, ``<NAME>_PASSWORD`` and a
    ``<NAME>_URL`` with credentials, from its "<name>-credentials" Secret (Secrets cannot be
    read across namespaces, so a Database elsewhere gives host and port only)."""
    for target in resource.spec.get("connectTo") or []:
        for key, value in names.connect_env(target).items():
            parts.env[key] = env_var(key, value)
        same_namespace = target.get("namespace") in (None, resource.namespace)
        if target["kind"] == "Database" and same_namespace:
            prefix = names.connect_prefix(target)
            secret = names.database_credentials(target["name"])
            for suffix, key in (("USERNAME", "username"), ("PASSWORD", "password"), ("URL", "uri")):
                parts.env[f"{prefix}_{suffix}"] = {
                    "name": f"{prefix}_{suffix}",
                    "valueFrom": {"secretKeyRef": {"name": secret, "key": key}},
                }
