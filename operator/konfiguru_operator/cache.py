"""What the operator knows of the cluster between API calls: Kopf's indexes plus our own writes.

Kopf watches every child kind (filtered server-side by the ``konfiguru.io/owner-uid`` label) and
every Konfiguru kind, and keeps them in in-memory indexes keyed by the owner's uid
(``handlers/children.py``, ``handlers/parents.py``). Kopf fills every index before it runs any
handler, so a reconcile after a restart already sees all existing children, including generated
Secrets, whose stored values are then reused.

A watch lags behind our own writes by a few milliseconds. So that a reconcile right after an apply
never acts on the older copy (and, worst of all, never re-generates a Secret it has just
written), every answer of an apply or delete is kept here until the watch catches up (same or
newer ``resourceVersion``) or for :data:`OVERLAY_SECONDS`.

Used by the reconciler and the handlers; holds no client and does no I/O.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from konfiguru_generators.labels import OWNER_UID

JSON = dict[str, Any]
Key = tuple[str, str]  # (kind, name)
CHILD_INDEX_PREFIX = "konfiguru_children_"
PARENT_INDEX_PREFIX = "konfiguru_parents_"
OVERLAY_SECONDS = 30.0
OWNS_REPLICAS = "_konfiguruOwnsReplicas"  # local only: never sent to the API server
_BULKY_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "konfiguru.io/last-handled-configuration",
)


def owns_replicas(body: Mapping[str, Any], field_manager: str) -> bool:
    """Whether our field manager is an owner of ``spec.replicas`` (see ``apply.handover``)."""
    for entry in (body.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != field_manager:
            continue
        spec = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        if "f:replicas" in spec:
            return True
    return False


def slim(body: Mapping[str, Any], field_manager: str) -> JSON:
    """A copy worth keeping in memory: without ``managedFields``, which can be large."""
    result = {key: value for key, value in body.items() if key != "metadata"}
    meta = dict(body.get("metadata") or {})
    managed = meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations and any(key in annotations for key in _BULKY_ANNOTATIONS):
        # Copies of the whole object kept by kubectl and Kopf: large, and never read here.
        meta["annotations"] = {k: v for k, v in annotations.items() if k not in _BULKY_ANNOTATIONS}
    result["metadata"] = meta
    if managed:  # absent: unknown (a server or emulator that does not return managedFields)
        result[OWNS_REPLICAS] = owns_replicas(body, field_manager)
    return result


def pack(body: Mapping[str, Any], field_manager: str) -> str:
    """What an index keeps: :func:`slim` as compact JSON text, five times smaller in memory
    than the dicts (thousands of children are held), decoded again only when reconciled."""
    return json.dumps(slim(body, field_manager), separators=(",", ":"))


def _unpack(value: Any) -> JSON:
    return json.loads(value) if isinstance(value, str) else dict(value)


def controller_uid(body: Mapping[str, Any]) -> str | None:
    """The uid of the object's controller (the ownerReference with ``controller: true``)."""
    for ref in (body.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            uid = ref.get("uid")
            return str(uid) if uid else None
    return None


def _rv(body: Mapping[str, Any] | None) -> int | None:
    value = ((body or {}).get("metadata") or {}).get("resourceVersion")
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@dataclass
class _Written:
    body: JSON | None  # None: we deleted it
    rv: int | None
    at: float


class LiveState:
    """The operator's view of parents and children. One per operator process."""

    def __init__(self) -> None:
        self._child_indexes: list[Mapping[str, Iterable[Any]]] = []
        self._parent_indexes: list[Mapping[str, Iterable[Any]]] = []
        self._overlay: dict[str, dict[Key, _Written]] = {}
        self._gone_jobs: dict[str, dict[str, JSON]] = {}

    def bind(self, indices: Mapping[str, Any]) -> None:
        """Take Kopf's indexes (handler kwargs) by their ids."""
        self._child_indexes = [v for k, v in indices.items() if k.startswith(CHILD_INDEX_PREFIX)]
        self._parent_indexes = [v for k, v in indices.items() if k.startswith(PARENT_INDEX_PREFIX)]

    @property
    def bound(self) -> bool:
        return bool(self._parent_indexes)

    def parent(self, uid: str) -> JSON | None:
        for index in self._parent_indexes:
            for body in index.get(uid, ()):
                return _unpack(body)
        return None

    def parent_uids(self) -> list[str]:
        return [uid for index in self._parent_indexes for uid in index]

    def namespaces(self) -> list[str]:
        """A namespace of a resource we know (each watched namespace has its peering object)."""
        for index in self._parent_indexes:
            for uid in index:
                namespace = ((self.parent(uid) or {}).get("metadata") or {}).get("namespace")
                if namespace:
                    return [str(namespace)]
        return []

    def children(self, uid: str) -> dict[Key, JSON]:
        """Every live object labelled with ``uid`` (controlled by it or not), by kind and name."""
        found: dict[Key, JSON] = {}
        for index in self._child_indexes:
            for value in index.get(uid, ()):
                body = _unpack(value)
                key = (str(body.get("kind")), str(body["metadata"]["name"]))
                found[key] = body
        overlay = self._overlay.get(uid)
        if overlay:
            now = time.monotonic()
            for key, written in list(overlay.items()):
                seen = found.get(key)
                seen_rv = _rv(seen)
                newer = seen_rv is not None and written.rv is not None and seen_rv >= written.rv
                if written.body is None:
                    # Our delete: done once the watch lost it, or shows a newer incarnation.
                    gone = seen is None or (newer and seen_rv != written.rv)
                    stale = now - written.at > OVERLAY_SECONDS
                    if gone or stale:
                        del overlay[key]
                    else:
                        found.pop(key, None)
                elif newer or now - written.at > OVERLAY_SECONDS:
                    del overlay[key]  # the watch has our write (or something later)
                else:
                    found[key] = written.body
        return found

    def wrote(
        self, uid: str, kind: str, name: str, body: JSON | None, rv: int | None = None
    ) -> None:
        """Remember our own apply (the server's answer) or delete (``body=None``)."""
        self._overlay.setdefault(uid, {})[(kind, name)] = _Written(
            body, _rv(body) if body is not None else rv, time.monotonic()
        )

    def observed(self, uid: str, kind: str, name: str, rv: str | None) -> bool:
        """A watch event for a child: our write it supersedes need not be remembered any more.

        True when the event is the echo of our own apply (the very ``resourceVersion`` its answer
        had): it tells nothing the reconcile that wrote it, or any later one, has not seen."""
        overlay = self._overlay.get(uid)
        written = overlay.get((kind, name)) if overlay else None
        if overlay is None or written is None:
            return False
        seen = _rv({"metadata": {"resourceVersion": rv}})
        if seen is None or written.rv is None or seen >= written.rv:
            del overlay[(kind, name)]
        return written.body is not None and seen is not None and seen == written.rv

    def job_deleted(self, uid: str, body: Mapping[str, Any], field_manager: str) -> None:
        """A Job of ``uid`` was deleted (its last state): kept until the next reconcile has
        looked at it, so that a Job deleted right after finishing (``ttlSecondsAfterFinished:
        0``) is still seen finished, and not run again (``jobs.py``)."""
        name = str((body.get("metadata") or {}).get("name"))
        self._gone_jobs.setdefault(uid, {})[name] = slim(body, field_manager)

    def deleted_jobs(self, uid: str) -> dict[str, JSON]:
        """The last state of the Jobs of ``uid`` deleted since :meth:`looked_at_jobs`."""
        return dict(self._gone_jobs.get(uid) or {})

    def looked_at_jobs(self, uid: str, names: Iterable[str]) -> None:
        """A reconcile has recorded what these deleted Jobs tell: they need not be kept."""
        gone = self._gone_jobs.get(uid)
        if gone is None:
            return
        for name in names:
            gone.pop(name, None)
        if not gone:
            del self._gone_jobs[uid]

    def forget(self, uid: str) -> None:
        self._overlay.pop(uid, None)
        self._gone_jobs.pop(uid, None)


def owner_uid(body: Mapping[str, Any]) -> str | None:
    labels = (body.get("metadata") or {}).get("labels") or {}
    value = labels.get(OWNER_UID)
    return str(value) if value else None
