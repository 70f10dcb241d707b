"""Training data sources (s3, gcs, nfs, pvc) → the env, volumes and mounts of a training pod.

Every source gives the pod ``DATA_URI``; mounted sources also ``DATA_DIR``. Credentials come
from a Secret the user already has, never from the spec. An nfs source reaches this module only
when ``security.allowNfsVolume`` is true: the CRD refuses it otherwise, because the restricted Pod
Security Standard does not allow nfs volumes. Called by ``render.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Fragment = dict[str, Any]

GCS_KEY_DIR = "/var/run/secrets/konfiguru/gcs"


@dataclass
class PodData:
    env: list[Fragment] = field(default_factory=list)
    volumes: list[Fragment] = field(default_factory=list)
    mounts: list[Fragment] = field(default_factory=list)


def _secret_env(name: str, secret: str, key: str) -> Fragment:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _bucket_uri(scheme: str, data: Mapping[str, Any]) -> str:
    path = str(data.get("path", "")).strip("/")
    return f"{scheme}://{data['bucket']}/{path}" if path else f"{scheme}://{data['bucket']}"


def data_source(data: Mapping[str, Any] | None) -> PodData:
    result = PodData()
    if not data:
        return result
    source = data["source"]
    secret = data.get("credentialsSecret")
    if source == "s3":
        result.env.append({"name": "DATA_URI", "value": _bucket_uri("s3", data)})
        if secret:
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                result.env.append(_secret_env(key, secret, key))
        if data.get("endpoint"):
            result.env.append({"name": "AWS_ENDPOINT_URL", "value": data["endpoint"]})
        if data.get("region"):
            result.env.append({"name": "AWS_REGION", "value": data["region"]})
    elif source == "gcs":
        result.env.append({"name": "DATA_URI", "value": _bucket_uri("gs", data)})
        if secret:
            key = data["credentialsKey"]
            result.volumes.append(
                {
                    "name": "gcs-credentials",
                    "secret": {
                        "secretName": secret,
                        "items": [{"key": key, "path": key}],
                        "defaultMode": 0o440,
                    },
                }
            )
            result.mounts.append(
                {"name": "gcs-credentials", "mountPath": GCS_KEY_DIR, "readOnly": True}
            )
            result.env.append(
                {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": f"{GCS_KEY_DIR}/{key}"}
            )
    else:
        mount_path = data["mountPath"]
        if source == "nfs":
            volume: Fragment = {
                "name": "data",
                "nfs": {"server": data["server"], "path": data["path"], "readOnly": True},
            }
            mount: Fragment = {"name": "data", "mountPath": mount_path, "readOnly": True}
        else:
            volume = {
                "name": "data",
                "persistentVolumeClaim": {"claimName": data["claimName"], "readOnly": True},
            }
            mount = {"name": "data", "mountPath": mount_path, "readOnly": True}
            if data.get("path"):
                mount["subPath"] = str(data["path"]).strip("/")
        result.volumes.append(volume)
        result.mounts.append(mount)
        result.env.append({"name": "DATA_DIR", "value": mount_path})
        result.env.append({"name": "DATA_URI", "value": f"file://{mount_path}"})
    return result
