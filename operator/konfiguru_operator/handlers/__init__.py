"""Kopf handlers, one module per concern; importing this package registers them all.

- ``lifecycle``: login, startup (Kopf settings, the client, the resync), cleanup, liveness probe.
- ``parents``: create/update/resume of every Konfiguru kind → one reconcile; the parent index.
- ``children``: every child kind indexed by owner uid; a child's change reconciles its owner.

Handlers stay thin: the work is in ``reconciler.py`` (generate, apply, report) and the one
translation of failures for Kopf is ``errors.for_kopf``.
"""

from . import children, lifecycle, parents

__all__ = ["children", "lifecycle", "parents"]
