"""Handlers for the child kinds: index them by owner uid; a change reconciles the owner at once.

Every kind in ``rbac.CHILD_KINDS`` is watched, filtered by the API server to objects carrying
the ``konfiguru.io/owner-uid`` label (``lifecycle`` sets the label selectors). Only an index and
an event handler: no creation handlers or timers on children, which would add finalizers to them.
The initial listing at startup triggers nothing (the owners' resume handlers run anyway).
"""

from __future__ import annotations

from typing import Any

import kopf

from konfiguru_generators.labels import OWNER_UID

from ..cache import CHILD_INDEX_PREFIX, pack
from ..rbac import CHILD_KINDS
from ..runtime import RUNTIME


async def index_child(body: kopf.Body, labels: kopf.Labels, **_: Any) -> dict[str, str]:
    """Children by their owner's uid, packed (``cache.pack``).

    A coroutine although it awaits nothing: Kopf runs a plain function in a thread pool, and
    the hand-over to a thread and back costs more than the packing itself, on every event."""
    return {str(labels[OWNER_UID]): pack(body, RUNTIME.settings.field_manager)}


async def child_changed(
    type: str | None,
    body: kopf.Body,
    labels: kopf.Labels,
    **_: Any,
) -> None:
    """A child was added, changed or deleted: reconcile its owner (coalesced)."""
    if type is None or RUNTIME.scheduler is None:
        return  # the initial listing: the owners' resume handlers cover it
    uid = str(labels[OWNER_UID])
    meta = body.get("metadata") or {}
    kind, name = str(body.get("kind")), str(meta.get("name"))
    echo = RUNTIME.state.observed(uid, kind, name, meta.get("resourceVersion"))
    if type == "DELETED" and kind == "Job":
        RUNTIME.state.job_deleted(uid, body, RUNTIME.settings.field_manager)
    elif echo and type != "DELETED":
        return  # our own apply coming back: the reconcile that wrote it has its answer
    RUNTIME.scheduler.adopt_context()
    RUNTIME.scheduler.poke(uid)


for _kind, _ref in CHILD_KINDS.items():
    _selector = (_ref.api_version, _ref.plural)
    _labels = {OWNER_UID: kopf.PRESENT}
    kopf.index(*_selector, labels=_labels, id=f"{CHILD_INDEX_PREFIX}{_ref.plural}")(index_child)
    kopf.on.event(*_selector, labels=_labels, id=f"owner-of-{_ref.plural}")(child_changed)
