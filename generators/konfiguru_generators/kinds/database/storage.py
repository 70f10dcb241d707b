"""Growing a Database's data volumes: the Database's use of the shared plan in ``volumes.py``.

Each server has one data PVC, ``data-<name>-<ordinal>``, from the StatefulSet's claim template
``data`` sized by ``spec.storage.size``. :func:`resize_plan` lists the existing ones smaller than
that size (to patch in place) and refuses a shrink with a :class:`SpecError`;
:func:`claim_templates_changed` tells the operator to re-create the StatefulSet around its pods.
The two steps, and why, are described in ``konfiguru_generators.volumes``. ``render`` raises the
same SpecError for a shrink, so ``konfiguru render`` with an ``Existing`` and the operator agree.
Offline users (Argo CD with rendered manifests) follow the same two steps by hand; the
StatefulSet apply fails until step 2 is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import volumes
from ...model import Existing
from ...volumes import claim_templates_changed

CLAIM_TEMPLATE = "data"

__all__ = ["CLAIM_TEMPLATE", "claim_templates_changed", "pvc_name", "resize_plan"]


def pvc_name(name: str, ordinal: int) -> str:
    """The data PVC the StatefulSet creates for ``ordinal``: ``data-<name>-<ordinal>``."""
    return volumes.pvc_name(CLAIM_TEMPLATE, name, ordinal)


def resize_plan(resource: Mapping[str, Any], existing: Existing) -> list[tuple[str, str]]:
    """``[(pvc_name, new_size)]`` for every existing data PVC smaller than ``spec.storage.size``.

    ``resource`` is the Database as defaulted by ``konfiguru_generators.validate`` (a dict with
    ``metadata.name`` and ``spec``). Raises :class:`SpecError` when the new size is smaller than
    an existing volume. Sorted by PVC name; empty when nothing grows.
    """
    name = str(resource["metadata"]["name"])
    size = str(resource["spec"]["storage"]["size"])
    claim = volumes.Claim(CLAIM_TEMPLATE, name, size, "spec.storage.size")
    return volumes.growth_plan([claim], existing)
