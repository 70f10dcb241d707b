"""The vendored schemas of other projects' kinds (``tests/schemas/``) in their CRDs' own form.

``tests/schemas/<group>/<kind>_<version>.yaml`` is JSON Schema, so that ``jsonschema`` checks
rendered objects strictly (``kfgtest.strict_errors``). The API server reads a CRD's
``openAPIV3Schema`` instead: no ``$ref``, no ``const``, defaults applied before CEL rules run.
:func:`crd_schema` turns one into the other: references inlined (a ``default`` beside a ``$ref``
kept, as the CRD has it per field), ``const`` an enum of one, ``additionalProperties: false``
dropped (a CRD prunes unknown fields instead) and a status preserved as the owning controller
writes it. Used by :mod:`emulator.resources` to serve those kinds with their schema (defaults,
types, patterns, CEL rules, as an API server with the project's CRDs installed) and by
``kfgtest`` to run the CEL rules, which JSON Schema ignores.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[str(node["$ref"]).rsplit("/", 1)[1]])
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return _resolve({**target, **siblings}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$schema", "$defs") or (key == "additionalProperties" and value is False):
            continue
        if key == "const":
            out["enum"] = [value]
            continue
        out[key] = _resolve(value, defs)
    if "type" not in out:
        if "properties" in out:
            out["type"] = "object"
        elif "enum" in out:
            out["type"] = "integer" if isinstance(out["enum"][0], int) else "string"
    return out


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text("utf-8"))
    schema: dict[str, Any] = _resolve(document, document.get("$defs") or {})
    properties = schema.setdefault("properties", {})
    properties.setdefault(
        "status", {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    )
    return schema


def crd_schema(group: str, kind: str, version: str) -> dict[str, Any]:
    """The ``openAPIV3Schema`` of ``tests/schemas/<group>/<kind>_<version>.yaml`` (a copy)."""
    return copy.deepcopy(_load(SCHEMAS / group / f"{kind.lower()}_{version}.yaml"))


def has_rules(group: str, kind: str, version: str) -> bool:
    path = SCHEMAS / group / f"{kind.lower()}_{version}.yaml"
    return path.exists() and "x-kubernetes-validations" in path.read_text("utf-8")
