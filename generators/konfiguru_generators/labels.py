"""The labels and annotations every child object carries, in one place.

Selectors use a fixed minimal label set (name and component) and never user labels: a
Deployment's or StatefulSet's selector is immutable, so anything a user may edit must stay out of
it. ``app.kubernetes.io/instance`` is deliberately not used: Argo CD's label tracking reads it and
would adopt or prune our children as if they were its own.

Called by every per-kind renderer and by ``pipeline.py`` (owner labels).
"""

from __future__ import annotations

from collections.abc import Mapping

from .apichecks import label_value_problem

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
