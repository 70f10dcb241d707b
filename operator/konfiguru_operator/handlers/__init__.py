"""Kopf handlers, one module per concern; importing this package registers them all.

- ``lifecycle``: login, startup (Kopf settings, the client, the resync), cleanup, liveness probe.
- ``parents``: every event of a Konfiguru resource → one (coalesced) reconcile; the parent index.
- ``children``: every child kind indexed by owner uid; a child's change reconciles its owner.

Handlers stay thin: the work is in ``reconciler.py`` (generate, apply, report); what a failure
means (stalled or retry) is decided in one place, ``errors.classify``.
"""

from . import children, lifecycle, parents

__all__ = ["children", "lifecycle", "parents"]
