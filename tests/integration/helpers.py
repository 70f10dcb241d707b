"""Small helpers shared by the integration tests (objects, polling with timeouts)."""

from __future__ import annotations

import copy
from typing import Any

from emulator import Emulator

API = "konfiguru.io/v1alpha1"


def app(name: str = "shop", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"image": "ghcr.io/acme/shop:1.0.0", "port": 8080, **spec}
    return {
        "apiVersion": API,
        "kind": "App",
        "metadata": {"name": name, "namespace": "default"},
        "spec": body,
    }


def conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def is_ready(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    ready = conditions(obj).get("Ready") or {}
    return (
        status.get("observedGeneration") == obj["metadata"].get("generation")
        and ready.get("status") == "True"
    )


def is_stalled(obj: dict[str, Any]) -> bool:
    stalled = conditions(obj).get("Stalled") or {}
    return stalled.get("status") == "True" and stalled.get("observedGeneration") == obj[
        "metadata"
    ].get("generation")


def wait_ready(
    emulator: Emulator, name: str = "shop", kind: str = "apps.konfiguru.io"
) -> dict[str, Any]:
    return emulator.wait_for_object(kind, name, "default", is_ready, timeout=15)  # type: ignore[no-any-return]


def edit_spec(emulator: Emulator, name: str, change: Any, kind: str = "apps.konfiguru.io") -> None:
    """A user's edit: read, change the spec, write it back (merge patch of the whole spec)."""
    obj = emulator.get(kind, name, "default")
    spec = copy.deepcopy(obj["spec"])
    change(spec)
    emulator.patch(
        kind, name, [{"op": "replace", "path": "/spec", "value": spec}], "default", type="json"
    )


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def storage_classes_for(emulator: Emulator, *documents: Any) -> None:
    """Create every StorageClass the documents name (``storageClass`` at any depth), as on the
    cluster they were written for: a claim of a missing class stays Pending (the emulator, like
    a real cluster, never binds it)."""

    def names(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {str(v) for k, v in node.items() if k == "storageClass" and v}
            return found.union(*(names(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(names(v) for v in node))
        return set()

    for name in sorted(names(list(documents))):
        if emulator.find("storageclasses", name, None) is None:
            emulator.create(
                {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "StorageClass",
                    "metadata": {"name": name},
                    "provisioner": "rancher.io/local-path",
                    "allowVolumeExpansion": True,
                }
            )
