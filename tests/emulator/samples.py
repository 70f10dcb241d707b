"""Sample objects for the emulator's own tests: a small test CRD and workload builders."""

from __future__ import annotations

import copy
from typing import Any

# What a test CRD's object has besides its spec and status.
_OBJECT = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
}
PRESERVED: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def crd(
    group: str,
    version: str,
    names: dict[str, Any],
    spec: dict[str, Any],
    status: dict[str, Any] = PRESERVED,
    **served: Any,
) -> dict[str, Any]:
    """A namespaced CustomResourceDefinition with one served, stored version and a status
    subresource: what every test CRD is (``served``: more of the version, printer columns)."""
    schema = {"type": "object", "properties": {**_OBJECT, "spec": spec, "status": status}}
    version_entry = {
        "name": version,
        "served": True,
        "storage": True,
        "subresources": {"status": {}},
    }
    definition = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{names['plural']}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": names,
            "versions": [{**version_entry, **served, "schema": {"openAPIV3Schema": schema}}],
        },
    }
    return copy.deepcopy(definition)  # no two CRDs share a node a test may change


WIDGET_CRD: dict[str, Any] = crd(
    "test.konfiguru.io",
    "v1",
    {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wdg"]},
    {
        "type": "object",
        "required": ["size"],
        "properties": {
            "size": {"type": "integer", "minimum": 0},
            "color": {"type": "string", "default": "blue"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    },
    status={
        "type": "object",
        "properties": {
            "observedGeneration": {"type": "integer"},
            "conditions": {
                "type": "array",
                "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
    },
    additionalPrinterColumns=[
        {
            "name": "Ready",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
        },
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
    ],
)


def widget(name: str, size: int = 1, namespace: str = "default", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "test.konfiguru.io/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace, **meta},
        "spec": {"size": size},
    }


def deployment(
    name: str, replicas: int | None = 2, namespace: str = "default", **meta: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, **meta},
        "spec": spec,
    }


def configmap(
    name: str, namespace: str = "default", data: dict[str, str] | None = None, **meta: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, **meta},
        "data": dict(data or {"a": "1"}),
    }


def owner_ref(owner: dict[str, Any], controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


EXTERNAL_SECRET_CRD: dict[str, Any] = crd(
    "external-secrets.io",
    "v1",
    {
        "kind": "ExternalSecret",
        "listKind": "ExternalSecretList",
        "plural": "externalsecrets",
        "singular": "externalsecret",
        "shortNames": ["es"],
        "categories": ["external-secrets"],
    },
    {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
)
"""The External Secrets Operator's ExternalSecret CRD, its schema reduced to what the emulator
needs: install it into an emulator started ``without=("external-secrets.io",)`` to play an
operator installed after Konfiguru's."""
