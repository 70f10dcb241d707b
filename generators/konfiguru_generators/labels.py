"""The labels and annotations every child object carries, in one place.

Selectors use a fixed minimal label set (name and component) and never user labels: a
Deployment's or StatefulSet's selector is immutable, so anything a user may edit must stay out of
it. ``app.kubernetes.io/instance`` is deliberately not used: Argo CD's label tracking reads it and
would adopt or prune our children as if they were its own.

Connections are declared on one side only: a caller's ``connectTo`` puts a
``connect-to.konfiguru.io/<kind>.<name>: "true"`` label on every pod of the caller, and the
callee's NetworkPolicy admits pods of its namespace carrying its own such label. Neither side
looks the other up, so the generators stay pure functions of one resource.

Called by every per-kind renderer and by ``pipeline.py`` (owner labels).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from .apichecks import label_value_problem, qualified_name_problem

GROUP = "konfiguru.io"
MANAGED_BY = "konfiguru"
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
PART_OF = "app.kubernetes.io/part-of"
VERSION = "app.kubernetes.io/version"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
OWNER_UID = f"{GROUP}/owner-uid"
OWNER_KIND = f"{GROUP}/owner-kind"
OWNER_NAME = f"{GROUP}/owner-name"
CONNECT_TO_PREFIX = f"connect-to.{GROUP}/"
CONNECT_TO_VALUE = "true"
# A label key's name part (after the prefix) is at most 63 characters.
_MAX_KEY_NAME = 63
_CONNECT_HASH_CHARS = 10


def selector_labels(name: str, component: str) -> dict[str, str]:
    """The immutable selector for one workload: never add user labels here."""
    return {NAME: name, COMPONENT: component}


def image_version(image: str) -> str | None:
    """The tag of an image reference, when it is a valid label value; else ``None`` and the
    ``app.kubernetes.io/version`` label is left out. Digests never are; tags may start or end
    with ``_``, ``.`` or ``-`` (``1.0_``), or be up to 128 characters, which labels refuse."""
    last = image.rsplit("/", 1)[-1]
    if "@" in last or ":" not in last:
        return None
    tag = last.rsplit(":", 1)[1]
    return None if label_value_problem(tag) else tag


def object_labels(
    name: str,
    component: str,
    kind: str,
    user_labels: Mapping[str, str] | None = None,
    version: str | None = None,
) -> dict[str, str]:
    """Labels for a child's metadata: the user's first, ours last so ours always win."""
    labels = dict(user_labels or {})
    labels.update(selector_labels(name, component))
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    labels[OWNER_KIND] = kind
    labels[OWNER_NAME] = name
    if version:
        labels[VERSION] = version
    return labels


def connect_to_label(kind: str, name: str) -> str:
    """The label key a caller's pods carry for each ``connectTo`` target, and that the target's
    NetworkPolicy selects: ``connect-to.konfiguru.io/<kind>.<name>`` (``app.api``,
    ``database.orders-db``).

    The part after ``/`` may hold 63 characters; a longer (or otherwise invalid) one keeps its
    first characters and ends in a hash of kind and name, so every spelling of the same target
    gives the same key on both sides and two targets never share one.
    """
    part = f"{kind.lower()}.{name}"
    if len(part) <= _MAX_KEY_NAME and not qualified_name_problem(part):
        return CONNECT_TO_PREFIX + part
    digest = hashlib.sha256(f"{kind}/{name}".encode()).hexdigest()[:_CONNECT_HASH_CHARS]
    # Keep only characters a key may hold, and start with one it may start with.
    kept = "".join(c for c in part if c.isascii() and (c.isalnum() or c in "-_."))
    kept = kept.lstrip("-_.")[: _MAX_KEY_NAME - _CONNECT_HASH_CHARS - 1]
    return CONNECT_TO_PREFIX + (f"{kept}-{digest}" if kept else digest)


def connect_to_labels(targets: list[Mapping[str, object]], namespace: str | None) -> dict[str, str]:
    """The ``connect-to`` labels for a caller's pods: one per ``connectTo`` target in the
    caller's own namespace (``namespace`` unset, or equal to the caller's). A target in another
    namespace gets none: a namespace is a trust boundary, so the callee admits callers from
    elsewhere only when it lists them (``allowFrom``, ``connectFrom``)."""
    return {
        connect_to_label(str(target.get("kind", "App")), str(target["name"])): CONNECT_TO_VALUE
        for target in targets
        if target.get("namespace") in (None, namespace)
    }
