"""Whether this replica may write: Kopf's peering rule, applied to our own background work.

Kopf pauses its watchers and handlers while a live peer with a higher priority exists (and
pauses every replica when two share a priority). The reconciles Kopf does not start itself —
the periodic resync and retries in ``reconciler.Scheduler`` — must pause with it, or a paused
replica would keep writing. :class:`PeeringGate` reads the same peering object Kopf uses
(``ClusterKopfPeering`` cluster-wide, ``KopfPeering`` in a watched namespace) and applies the
same rule; answers are cached for a few seconds. Without peering (standalone, or no peering
object), the replica is always active.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .kube import ApiError, Client, ResourceRef

CACHE_SECONDS = 5.0
CLUSTER = ResourceRef("kopf.dev/v1", "clusterkopfpeerings", namespaced=False)
NAMESPACED = ResourceRef("kopf.dev/v1", "kopfpeerings")


def _alive(info: Any, now: datetime) -> bool:
    if not isinstance(info, dict):
        return False
    try:
        seen = datetime.fromisoformat(str(info["lastseen"]))
        if seen.tzinfo is None:
            seen = seen.replace(tzinfo=UTC)
        return seen + timedelta(seconds=int(info.get("lifetime", 60))) > now
    except (KeyError, ValueError, TypeError):
        return False


def must_pause(status: dict[str, Any] | None, priority: int, now: datetime | None = None) -> bool:
    """Kopf's rule: a live peer with a higher priority, or another with the same one."""
    now = now or datetime.now(UTC)
    alive = [info for info in (status or {}).values() if _alive(info, now)]
    higher = [info for info in alive if int(info.get("priority", 0)) > priority]
    same = [info for info in alive if int(info.get("priority", 0)) == priority]
    return bool(higher) or len(same) > 1  # one peer with our priority is ourselves


class PeeringGate:
    """Cached "may this replica write now?" for the scheduler."""

    def __init__(
        self,
        client: Client,
        *,
        enabled: bool,
        name: str,
        priority: int,
        clusterwide: bool,
        namespaces: Callable[[], list[str]],
    ) -> None:
        self.client = client
        self.enabled = enabled
        self.name = name
        self.priority = priority
        self.clusterwide = clusterwide
        self.namespaces = namespaces
        self._answer = True
        self._at = -CACHE_SECONDS

    async def active(self) -> bool:
        if not self.enabled:
            return True
        if time.monotonic() - self._at < CACHE_SECONDS:
            return self._answer
        self._answer = await self._read()
        self._at = time.monotonic()
        return self._answer

    async def _read(self) -> bool:
        if self.clusterwide:
            ref, namespace = CLUSTER, None
        else:
            known = self.namespaces()
            if not known:
                return True  # nothing to reconcile anyway
            ref, namespace = NAMESPACED, known[0]
        try:
            body = await self.client.get(ref, namespace, self.name)
        except ApiError as error:
            if error.status in (403, 404):
                return True  # no peering object (or CRD): Kopf runs standalone too
            raise
        status = body.get("status")
        return not must_pause(status if isinstance(status, dict) else None, self.priority)
