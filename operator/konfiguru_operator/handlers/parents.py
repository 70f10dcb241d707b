"""Handlers for the Konfiguru kinds themselves (App, Database, ...), registered for each kind.

Level-based: every event of a resource (its creation, an edit, the initial listing when the
operator starts) asks the scheduler (``reconciler.Scheduler``) to reconcile it; events that
change nothing the children depend on (our own status writes) are skipped. The scheduler runs
one reconcile per resource at a time, coalesces bursts, and retries failures with a doubling
delay (``KONFIGURU_RETRY_*``); a resource that is ``Stalled`` (a bad spec) is not retried until
it changes, or until the periodic resync looks again.

Why event handlers rather than Kopf's create/update/resume handlers: those keep their progress
in annotations on the user's object, which costs two extra writes per change and a deep copy
of the object on every event, and adds nothing a level-based reconcile needs. No delete
handler either, so Kopf adds no finalizer: deleting a resource never waits for the operator, and
the API server's garbage collector removes the children through their owner references.
"""

from __future__ import annotations

import json
from typing import Any

import kopf

from konfiguru_generators import API
from konfiguru_generators.kinds import REGISTRY

from ..cache import PARENT_INDEX_PREFIX, pack
from ..runtime import RUNTIME

# What the children depend on, per resource, as last seen: generation (the spec), labels and
# annotations. An event that changes none of them (a status write) needs no reconcile.
_seen: dict[str, str] = {}


def _essence(body: kopf.Body) -> str:
    meta = body.get("metadata") or {}
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"
    }
    return json.dumps(
        [meta.get("generation"), meta.get("labels"), annotations, meta.get("deletionTimestamp")],
        sort_keys=True,
    )


async def parent_changed(
    type: str | None,
    body: kopf.Body,
    **_: Any,
) -> None:
    """Reconcile the resource soon; forget it once deleted."""
    uid = str(body["metadata"]["uid"])
    if type == "DELETED":
        _seen.pop(uid, None)
        if RUNTIME.reconciler is not None:
            RUNTIME.reconciler.forget(uid)
        return
    RUNTIME.indexed = True  # Kopf runs handlers only once every index is filled
    scheduler = RUNTIME.scheduler
    assert scheduler is not None, "the startup handler has not run"
    essence = _essence(body)
    if type == "MODIFIED" and _seen.get(uid) == essence:
        return  # only the status changed: nothing to render differently
    _seen[uid] = essence
    scheduler.adopt_context()
    scheduler.poke(uid)


async def index_parent(body: kopf.Body, **_: Any) -> dict[str, str]:
    """Parents by uid, packed: the scheduler reconciles from the latest copy (a coroutine, not
    run in Kopf's thread pool: see ``children.index_child``)."""
    return {str(body["metadata"]["uid"]): pack(body, RUNTIME.settings.field_manager)}


for _definition in REGISTRY.values():
    _selector = (API, _definition.plural)
    kopf.index(*_selector, id=f"{PARENT_INDEX_PREFIX}{_definition.plural}")(index_parent)
    kopf.on.event(*_selector, id="reconcile")(parent_changed)
