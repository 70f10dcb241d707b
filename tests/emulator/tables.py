"""``meta.k8s.io/v1 Table`` responses, so ``kubectl get`` prints CRD printer columns.

Called by :mod:`emulator.server` when a GET asks for ``as=Table``. Custom resources get their
CRD's ``additionalPrinterColumns`` (a JSONPath subset: ``.a.b``, ``.a[0].b`` and
``[?(@.type=="Ready")]`` filters); every other kind gets ``NAME`` and ``AGE`` only.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from .resources import ResourceType

_TOKEN = re.compile(
    r'\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_\-]+)==["\']([^"\']*)["\']\)\]'
)


def jsonpath(obj: Any, path: str) -> Any:
    """Evaluate the JSONPath subset printer columns use; ``None`` when absent."""
    values = [obj]
    for match in _TOKEN.finditer(path):
        key, index, filter_key, filter_value = match.groups()
        next_values = []
        for value in values:
            if key is not None and isinstance(value, Mapping) and key in value:
                next_values.append(value[key])
            elif index is not None and isinstance(value, list) and int(index) < len(value):
                next_values.append(value[int(index)])
            elif filter_key is not None and isinstance(value, list):
                next_values.extend(
                    item
                    for item in value
                    if isinstance(item, Mapping) and str(item.get(filter_key)) == filter_value
                )
        values = next_values
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    created = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    seconds = int((datetime.datetime.now(datetime.UTC) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def render_table(
    rt: ResourceType, items: list[dict[str, Any]], resource_version: str
) -> dict[str, Any]:
    columns: list[Mapping[str, Any]] = [
        {"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}
    ]
    custom = list(rt.printer_columns) or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    ]
    for column in custom:
        columns.append(
            {
                "name": column["name"],
                "type": column.get("type", "string"),
                "format": column.get("format", ""),
                "description": column.get("description", ""),
                "priority": column.get("priority", 0),
            }
        )
    rows = []
    for obj in items:
        cells: list[Any] = [obj["metadata"]["name"]]
        for column in custom:
            value = jsonpath(obj, column["jsonPath"])
            if column.get("type") == "date":
                value = _age(value) if isinstance(value, str) else "<unknown>"
            cells.append("<none>" if value is None else value)
        meta = obj["metadata"]
        rows.append(
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": {
                        k: meta[k]
                        for k in (
                            "name",
                            "namespace",
                            "uid",
                            "resourceVersion",
                            "creationTimestamp",
                        )
                        if k in meta
                    },
                },
            }
        )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": rows,
    }
