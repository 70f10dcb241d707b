"""A JSON schema of the YAML form (``*.kfg.yaml``), generated from the CRDs, for editors.

Editors (VS Code's YAML extension, JetBrains, yaml-language-server) complete and check a file
against a JSON schema; Kubernetes CRD schemas are OpenAPI v3 with ``x-kubernetes-*`` extensions
those editors do not read. This module turns each kind's CRD schema into JSON Schema draft-07:
``x-kubernetes-int-or-string`` becomes integer-or-string, ``nullable`` a null type, and objects
with declared properties reject unknown keys (as ``konfiguru validate`` does). CEL rules have no
JSON Schema form and are left to ``konfiguru validate``. ``konfiguru schema`` prints it; the copy
in ``editors/`` is kept equal to it by a test.

Called by the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .kinds import REGISTRY
from .resources import API_GROUP, API_VERSION

_DROPPED = ("nullable",)


def _convert(schema: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key in _DROPPED:
            continue
        if key == "properties":
            result[key] = {name: _convert(sub) for name, sub in value.items()}
        elif key == "items" or (key == "additionalProperties" and isinstance(value, Mapping)):
            result[key] = _convert(value)
        else:
            result[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        result["type"] = ["integer", "string"]
    if schema.get("nullable") and "type" in result:
        types = result["type"] if isinstance(result["type"], list) else [result["type"]]
        result["type"] = [*types, "null"]
    open_ended = schema.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in (
        schema
    )
    if "properties" in schema and not open_ended:
        result["additionalProperties"] = False
    return result


def _kind_schema(kind: str) -> dict[str, Any]:
    spec = REGISTRY[kind].schema()["properties"]["spec"]
    return {
        "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
        "then": {"properties": {"spec": _convert(spec)}},
    }


def schema() -> dict[str, Any]:
    """The JSON schema of one Konfiguru resource document, every registered kind."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://konfiguru.io/schemas/kfg.yaml.json",
        "title": "Konfiguru resource (*.kfg.yaml)",
        "description": "Generated from the Konfiguru CRDs by `konfiguru schema`.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": {
            "apiVersion": {"const": f"{API_GROUP}/{API_VERSION}"},
            "kind": {"enum": sorted(REGISTRY)},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$"},
                    "namespace": {"type": "string"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "spec": {"type": "object"},
        },
        "allOf": [_kind_schema(kind) for kind in sorted(REGISTRY)],
    }


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
