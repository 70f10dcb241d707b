"""NetworkPolicy peers every kind selects the same way: a resource's pods, a namespace, and the
callers that declared a connection in their ``connectTo``.

A connection is declared on one side only. The caller's pods carry
``labels.connect_to_label(kind, name)`` for each target; the target's policy admits the pods of
its namespace carrying its own label (``connect_to_peer``). Neither generator reads the other
resource.

Called by ``kinds/app/render_network.py`` and ``kinds/database/render.py``.
"""

from __future__ import annotations

from . import labels
from .podspec import Fragment

NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def owned_by(kind: str, name: str) -> dict[str, str]:
    """Every pod a Konfiguru resource owns (workload, jobs, schedules) carries these labels."""
    return {labels.OWNER_KIND: kind, labels.OWNER_NAME: name}


def resource_peer(name: str, namespace: str | None, kind: str = "App") -> Fragment:
    """The pods of one Konfiguru resource (an App by default), in ``namespace`` or the policy's."""
    peer: Fragment = {"podSelector": {"matchLabels": owned_by(kind, name)}}
    if namespace:
        peer["namespaceSelector"] = {"matchLabels": {NAMESPACE_LABEL: namespace}}
    return peer


def namespace_peer(namespace: str) -> Fragment:
    """Every pod of one namespace (the ingress controller's, Prometheus')."""
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}}}


def connect_to_peer(kind: str, name: str) -> Fragment:
    """The pods of the policy's namespace whose resource lists ``kind``/``name`` in connectTo."""
    return {
        "podSelector": {
            "matchLabels": {labels.connect_to_label(kind, name): labels.CONNECT_TO_VALUE}
        }
    }
