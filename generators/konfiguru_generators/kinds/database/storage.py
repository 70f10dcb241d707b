"""Growing a Database's volumes: what the operator must do, as pure functions it can call.

A StatefulSet's ``volumeClaimTemplates`` are immutable: the API server rejects an update that
changes them, and changing them would not resize existing PVCs anyway. So a change of
``spec.storage.size`` is carried out in two steps, both planned here and executed by the operator:

1. :func:`resize_plan` lists the existing data PVCs (``data-<name>-<ordinal>``, from
   ``Existing.pvc_sizes``) smaller than the new size, with the size to patch into their
   ``spec.resources.requests.storage``. Kubernetes expands them in place when their StorageClass
   has ``allowVolumeExpansion: true`` (otherwise the patch is refused: report that as a condition).
   A smaller size is a :class:`SpecError`: volumes never shrink.
2. The rendered StatefulSet always carries the new size in its template, so that pods added
   later get volumes of the right size. When :func:`claim_templates_changed` says the live
   StatefulSet's templates differ, the operator deletes the StatefulSet with
   ``propagationPolicy: Orphan`` (its pods and PVCs keep running) and creates the rendered one,
   which adopts the pods again through its unchanged selector: the procedure of
   ``kubectl delete sts --cascade=orphan``, as done by Elastic's ECK operator.

``render`` also raises the same SpecError for a shrink, so ``konfiguru render`` with an
``Existing`` and the operator agree. Offline users (Argo CD with rendered manifests) follow the
same two steps by hand; the StatefulSet apply fails until step 2 is done.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...errors import FieldError, SpecError
from ...model import Existing
from ...quantity import parse_quantity

CLAIM_TEMPLATE = "data"


def pvc_name(name: str, ordinal: int) -> str:
    """The PVC a StatefulSet creates for ``ordinal``: ``<template>-<statefulset>-<ordinal>``."""
    return f"{CLAIM_TEMPLATE}-{name}-{ordinal}"


def existing_data_pvcs(name: str, existing: Existing) -> dict[str, str]:
    """The data PVCs of Database ``name`` among ``existing.pvc_sizes`` (any ordinal, including
    ones left behind by a scale-down)."""
    pattern = re.compile(rf"^{re.escape(CLAIM_TEMPLATE)}-{re.escape(name)}-\d+\Z")
    return {pvc: size for pvc, size in existing.pvc_sizes.items() if pattern.match(pvc)}


def resize_plan(resource: Mapping[str, Any], existing: Existing) -> list[tuple[str, str]]:
    """``[(pvc_name, new_size)]`` for every existing data PVC smaller than ``spec.storage.size``.

    ``resource`` is the Database as defaulted by ``konfiguru_generators.validate`` (a dict with
    ``metadata.name`` and ``spec``). Raises :class:`SpecError` when the new size is smaller than
    an existing volume. Sorted by PVC name; empty when nothing grows.
    """
    name = resource["metadata"]["name"]
    wanted_text = str(resource["spec"]["storage"]["size"])
    wanted = parse_quantity(wanted_text)
    plan: list[tuple[str, str]] = []
    shrinking: list[tuple[str, str]] = []
    for pvc, size in sorted(existing_data_pvcs(name, existing).items()):
        current = _size(size)
        if current is None:
            continue
        if wanted > current:
            plan.append((pvc, wanted_text))
        elif wanted < current:
            shrinking.append((pvc, size))
    if shrinking:
        largest = max(shrinking, key=lambda item: _size(item[1]) or Decimal(0))
        raise SpecError(
            [
                FieldError(
                    "spec.storage.size",
                    wanted_text,
                    f"is smaller than the existing volume {largest[0]} ({largest[1]})",
                    "volumes can grow but never shrink: keep at least the current size, or"
                    " move the data to a new Database",
                )
            ]
        )
    return plan


def claim_templates_changed(rendered: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """Whether applying ``rendered`` over the ``live`` StatefulSet would change its immutable
    volumeClaimTemplates (names, labels, sizes, classes, access modes): then orphan-delete and
    create."""
    if not live:
        return False
    return _claims(rendered) != _claims(live)


def _claims(statefulset: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    result = []
    for template in statefulset.get("spec", {}).get("volumeClaimTemplates", []):
        meta = template.get("metadata", {})
        spec = template.get("spec", {})
        storage = spec.get("resources", {}).get("requests", {}).get("storage", "0")
        result.append(
            (
                meta.get("name", ""),
                str(_size(storage)),
                spec.get("storageClassName"),
                tuple(spec.get("accessModes", ())),
                tuple(sorted((meta.get("labels") or {}).items())),
            )
        )
    return sorted(result, key=lambda item: str(item[0]))


def _size(text: Any) -> Decimal | None:
    try:
        return parse_quantity(text)
    except ValueError:
        return None
