"""Per-pod volumes of a StatefulSet: their PVC names and the plan to grow them in place.

Shared by every kind that renders a StatefulSet with ``volumeClaimTemplates`` (the Database's
data volume, an App's ``volumes``). A StatefulSet's claim templates are immutable and changing
them would not resize the PVCs the controller already made, so a bigger size is carried out in
two steps, planned here and executed by the operator (``konfiguru_operator.apply``):

1. :func:`growth_plan` lists the existing PVCs of each claim template (``<template>-<set>-<n>``,
   any ordinal, from ``Existing.pvc_sizes``) smaller than the wanted size, with the size to patch
   into their ``spec.resources.requests.storage``; Kubernetes expands them in place when their
   StorageClass has ``allowVolumeExpansion: true``. A smaller size is a :class:`SpecError` naming
   the field: volumes never shrink.
2. The rendered StatefulSet carries the new size in its templates; when
   :func:`claim_templates_changed` says the live templates differ, the operator deletes the
   StatefulSet with ``propagationPolicy: Orphan`` (pods and PVCs keep running) and creates the
   rendered one, which adopts the pods again (``kubectl delete sts --cascade=orphan``, as
   Elastic's ECK operator does).

Pure functions; called by ``kinds/database/storage.py`` and ``kinds/app/render_stateful.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from .errors import FieldError, SpecError
from .model import Existing
from .quantity import parse_quantity


class Claim(NamedTuple):
    """One claim template of one StatefulSet, and where its size comes from in the spec."""

    template: str
    statefulset: str
    size: str
    path: str
    """Field path of the size, e.g. ``spec.storage.size``, for the error of a shrink."""


def pvc_name(template: str, statefulset: str, ordinal: int) -> str:
    """The PVC a StatefulSet creates for ``ordinal``: ``<template>-<statefulset>-<ordinal>``."""
    return f"{template}-{statefulset}-{ordinal}"


def existing_pvcs(template: str, statefulset: str, existing: Existing) -> dict[str, str]:
    """The PVCs of one claim template among ``existing.pvc_sizes`` (any ordinal, including ones
    left behind by a scale-down), name → size."""
    pattern = re.compile(rf"^{re.escape(template)}-{re.escape(statefulset)}-\d+\Z")
    return {pvc: size for pvc, size in existing.pvc_sizes.items() if pattern.match(pvc)}


def growth_plan(claims: Sequence[Claim], existing: Existing) -> list[tuple[str, str]]:
    """``[(pvc_name, new_size)]`` for every existing PVC smaller than its claim's size.

    Raises one :class:`SpecError` listing every claim whose size is smaller than an existing
    volume of it. Sorted by PVC name; empty when nothing grows.
    """
    plan: list[tuple[str, str]] = []
    errors: list[FieldError] = []
    for claim in claims:
        wanted = parse_quantity(claim.size)
        shrinking: list[tuple[str, str]] = []
        for pvc, size in sorted(existing_pvcs(claim.template, claim.statefulset, existing).items()):
            current = _size(size)
            if current is None:
                continue
            if wanted > current:
                plan.append((pvc, claim.size))
            elif wanted < current:
                shrinking.append((pvc, size))
        if shrinking:
            largest = max(shrinking, key=lambda item: _size(item[1]) or Decimal(0))
            errors.append(
                FieldError(
                    claim.path,
                    claim.size,
                    f"is smaller than the existing volume {largest[0]} ({largest[1]})",
                    "volumes can grow but never shrink: keep at least the current size, or"
                    " move the data to a new volume",
                )
            )
    if errors:
        raise SpecError(errors)
    return sorted(plan)


def growth_note(plan: Sequence[tuple[str, str]]) -> str | None:
    """The render note for a pending growth plan (``None`` when nothing grows)."""
    if not plan:
        return None
    return (
        "volumes to grow in place: "
        + ", ".join(f"{pvc} → {size}" for pvc, size in plan)
        + " (the StatefulSet is re-created with --cascade=orphan: see"
        " konfiguru_generators.volumes)"
    )


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
