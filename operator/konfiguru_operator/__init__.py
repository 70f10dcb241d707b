"""The Konfiguru operator: Kopf handlers that reconcile Konfiguru resources (see issue 4).

``kopf run -m konfiguru_operator -A`` (or ``konfiguru operator run -A``) imports this package,
which registers every handler. The pieces, in the order a reconcile uses them:

- ``settings.py``: every ``KONFIGURU_*`` setting, documented.
- ``handlers/``: thin Kopf handlers (lifecycle, parents, children).
- ``reconciler.py``: generate → apply → report, one level-based reconcile per resource.
- ``cache.py``: what the watches told us, plus our own writes.
- ``apply.py``: the only module writing to the cluster (server-side apply, prune, status).
- ``status.py``: kstatus conditions and readiness aggregation.
- ``errors.py``: failures → Stalled or retry, translated for Kopf in one place.
- ``rbac.py``: the child kinds and every permission used.
- ``kube.py``: the small async API client under ``apply.py``.
"""

from . import handlers

__all__ = ["handlers"]
