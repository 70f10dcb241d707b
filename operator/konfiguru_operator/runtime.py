"""The operator's process-wide state: settings, the watch cache, the client and the reconciler.

One :data:`RUNTIME` per process. The handlers register against it at import (the settings decide
the resync interval and what to watch) and ``handlers/lifecycle.py`` fills in the parts that need
a running event loop and credentials (the client, the reconciler, the resync task) at startup and
tears them down at cleanup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .apply import Applier
from .cache import LiveState
from .discovery import Discovery
from .kube import Client
from .reconciler import Reconciler, Scheduler
from .settings import Settings
from .webhook import Tally

# How often a missing add-on kind is asked for while resources wait for it (at most the resync).
DISCOVERY_SECONDS = 10.0


@dataclass
class Runtime:
    """Everything one operator process shares between its handlers."""

    settings: Settings
    state: LiveState = field(default_factory=LiveState)
    client: Client | None = None
    reconciler: Reconciler | None = None
    scheduler: Scheduler | None = None
    resync_task: asyncio.Task[None] | None = None
    discovery: Discovery | None = None
    discovery_task: asyncio.Task[None] | None = None
    metrics: Any = None  # the metrics endpoint's aiohttp runner, when on
    webhook_task: asyncio.Task[None] | None = None  # the admission webhook, when on
    admissions: Tally = field(default_factory=Tally)  # the webhook's answers, for /metrics
    indexed: bool = False  # set by the first resource handler: Kopf has filled every index

    async def start(self, client: Client, kube_version: str) -> None:
        self.client = client
        self.discovery = Discovery(client)
        await self.discovery.refresh()  # before any reconcile: which add-on kinds to send
        applier = Applier(client, self.settings, self.state, self.discovery)
        self.reconciler = Reconciler(self.settings, applier, self.state, kube_version)
        self.scheduler = Scheduler(self.settings, self.reconciler, self.state)
        self.resync_task = asyncio.create_task(
            self.scheduler.resync_forever(lambda: self.indexed), name="konfiguru resync"
        )
        self.discovery_task = asyncio.create_task(
            self.discovery.watch_forever(
                self.scheduler.poke, min(self.settings.resync_seconds, DISCOVERY_SECONDS)
            ),
            name="konfiguru discovery",
        )

    async def stop(self) -> None:
        for task in (self.resync_task, self.discovery_task, self.webhook_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.scheduler is not None:
            await self.scheduler.close()
        if self.metrics is not None:
            await self.metrics.cleanup()
        if self.client is not None:
            await self.client.close()


RUNTIME = Runtime(Settings.from_env())
