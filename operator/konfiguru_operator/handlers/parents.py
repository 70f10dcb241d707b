"""Handlers for the Konfiguru kinds themselves (App, Database, ...), registered for each kind.

Create, update and resume (operator start) all run the same reconcile; a bad spec ends as a
``PermanentError`` (no retry until the resource changes) after the resource reports ``Stalled``,
transient API trouble as a ``TemporaryError`` with backoff. No delete handler, so Kopf adds no
finalizer: deleting a resource never waits for the operator, and the API server's garbage
collector removes the children through their owner references.
"""

from __future__ import annotations

from typing import Any

import kopf

from konfiguru_generators import API
from konfiguru_generators.kinds import REGISTRY

from ..cache import PARENT_INDEX_PREFIX, slim
from ..errors import classify, for_kopf
from ..runtime import RUNTIME


async def reconcile(body: kopf.Body, retry: int, **kwargs: Any) -> None:
    """Create, update and resume: make the children match the spec, then report."""
    RUNTIME.indexed = True  # Kopf runs resource handlers only once every index is filled
    if not RUNTIME.state.bound:
        RUNTIME.state.bind(kwargs)
    assert RUNTIME.reconciler is not None, "the startup handler has not run"
    if RUNTIME.scheduler is not None:
        RUNTIME.scheduler.adopt_context()
    try:
        await RUNTIME.reconciler.reconcile(dict(body))
    except Exception as error:
        outcome = classify(error, retry, RUNTIME.settings)
        if outcome is None:
            raise  # a bug: Kopf logs the traceback and retries on its default schedule
        raise for_kopf(outcome) from error
    # None: Kopf stores nothing in status.<handler id>; our status is written deliberately.


def index_parent(body: kopf.Body, **_: Any) -> dict[str, Any]:
    """Parents by uid, so a child's event or the resync can find the latest copy."""
    return {str(body["metadata"]["uid"]): slim(body, RUNTIME.settings.field_manager)}


async def forget(type: str | None, body: kopf.Body, **_: Any) -> None:
    """A deleted resource: drop its cached render and status (its children go by GC)."""
    if type == "DELETED" and RUNTIME.reconciler is not None:
        RUNTIME.reconciler.forget(str(body["metadata"]["uid"]))


for _definition in REGISTRY.values():
    _selector = (API, _definition.plural)
    kopf.on.resume(*_selector, id="reconcile")(reconcile)
    kopf.on.create(*_selector, id="reconcile")(reconcile)
    kopf.on.update(*_selector, id="reconcile")(reconcile)
    kopf.index(*_selector, id=f"{PARENT_INDEX_PREFIX}{_definition.plural}")(index_parent)
    kopf.on.event(*_selector, id="forget")(forget)
