"""Operator-level handlers: login, startup, cleanup and the liveness probe.

Startup configures Kopf the Konfiguru way (finalizer and annotation names under ``konfiguru.io``,
no status writes by Kopf, server-side label selectors for the children, CRD scanning on), opens
the operator's own API client on the same credentials and starts the periodic resync and, when
``KONFIGURU_WEBHOOK_PORT`` is set, the admission webhook (``webhook.py``). Cleanup
(SIGTERM, Ctrl+C) stops the resync and in-flight reconciles and closes the client: a
reconcile cut short is simply done again on the next start, since every step is idempotent.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import re
import socket
from typing import Any

import kopf

from konfiguru_generators import (
    DEFAULT_KUBE_VERSION,
    MAX_KUBE_VERSION,
    MIN_KUBE_VERSION,
    warm_up,
)
from konfiguru_generators.labels import GROUP, OWNER_UID

from .. import metrics, webhook
from ..kube import ApiError, Client, Credentials
from ..peering import PeeringGate
from ..policies import load_policy
from ..rbac import CHILD_KINDS
from ..runtime import RUNTIME
from ..settings import given
from ..templates import log_plugins

logger = logging.getLogger(__name__)


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod: the service account; elsewhere: the kubeconfig (``KUBECONFIG``)."""
    info: kopf.ConnectionInfo | None = kopf.login_with_service_account(
        **kwargs
    ) or kopf.login_with_kubeconfig(**kwargs)
    return info


class EssenceFreeDiffBase(kopf.AnnotationsDiffBaseStorage):
    """Kopf's diff-base storage, without the per-event essence while nobody reads it.

    Kopf builds an "essence" of every object on every watch event (a deep copy of the whole
    body, then a diff against the last-handled one) for change handlers (``on.create/update``)
    and daemons. The operator registers neither (``parents.py`` says why), so the essence would
    only cost a deep copy per event, thousands per second with many children. Should the
    registry hold such handlers (Kopf's default registry is shared by everything in a process),
    the essence is built as usual.
    """

    def __init__(self, *, registry: kopf.OperatorRegistry, prefix: str, key: str) -> None:
        super().__init__(prefix=prefix, key=key)
        self.registry = registry

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        if self.registry._changing.get_all_handlers() or self.registry._spawning.get_all_handlers():
            return super().build(body=body, extra_fields=extra_fields)
        return kopf.BodyEssence()


def configure(settings: kopf.OperatorSettings) -> None:
    """Kopf's settings from ours (see ``settings.py``)."""
    ours = RUNTIME.settings
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    # Kopf keeps handler progress and the last handled spec in annotations, never in status:
    # the CRDs' status schemas are strict and describe only what we write.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = EssenceFreeDiffBase(
        registry=kopf.get_default_registry(), prefix=GROUP, key="last-handled-configuration"
    )
    settings.posting.reporting_component = "konfiguru-operator"
    settings.posting.reporting_instance = socket.gethostname()
    settings.posting.event_name_prefix = "konfiguru-"
    # Only the events we post on purpose (kopf.info/warn); log lines stay logs.
    settings.posting.loggers = False
    # Watch only labelled children, filtered by the API server: nothing else reaches us.
    for ref in CHILD_KINDS.values():
        settings.watching.label_selectors[ref.api_version, ref.plural] = OWNER_UID
    # CRD scanning on: a Konfiguru or add-on CRD installed after the start (the CRDs applied
    # after the operator, the External Secrets Operator installed later) is watched and served
    # at once, without a restart. Costs a list/watch of CRDs (and of Namespaces when a list of
    # namespaces is watched); the chart grants exactly that (tests/shipping).
    settings.scanning.disabled = False
    # Page initial listings: thousands of children arrive in chunks, not one huge answer.
    settings.watching.chunk_size = 500
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = ours.api_timeout_seconds
    settings.networking.request_timeout = ours.api_timeout_seconds
    settings.networking.connect_timeout = ours.api_timeout_seconds
    settings.queueing.worker_limit = ours.workers or None
    # Kopf keeps one worker task per object for this long after its last event (default 5 s).
    # Creating 1,000 Apps makes 7,000 objects busy at once; shorter-lived workers keep the peak
    # memory 20-30 MiB lower (bench/), and a worker is cheap to start again for a later event.
    settings.queueing.idle_timeout = 2.0
    delays = [ours.retry_delay(i) for i in range(8)]
    settings.networking.error_backoffs = delays
    settings.execution.default_backoff = ours.retry_max_seconds
    # Peering from KONFIGURU_* only where given (an empty variable is not): `kopf run
    # --priority/--standalone/--peering` keep working.
    if given("PRIORITY"):
        settings.peering.priority = ours.priority
    if not settings.peering.mandatory:  # `--peering NAME` was not given: ours, if it exists
        settings.peering.name = ours.peering_name
    if given("STANDALONE"):
        settings.peering.standalone = ours.standalone


def clamp_version(text: str) -> str:
    """The server's ``v1.34.2-eks`` → ``1.34``, within the range the generators support."""
    match = re.match(r"^v?(\d+)\.(\d+)", text.strip())
    if not match:
        return DEFAULT_KUBE_VERSION
    version = max(MIN_KUBE_VERSION, min(MAX_KUBE_VERSION, (int(match[1]), int(match[2]))))
    return f"{version[0]}.{version[1]}"


async def detect_kube_version(client: Client) -> str:
    if RUNTIME.settings.kube_version:
        return RUNTIME.settings.kube_version
    try:
        info = await client.version()
    except (ApiError, OSError, TimeoutError) as error:
        logger.warning(
            "cannot read the server version (%s); rendering for %s", error, DEFAULT_KUBE_VERSION
        )
        return DEFAULT_KUBE_VERSION
    return clamp_version(str(info.get("gitVersion") or ""))


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, **kwargs: Any) -> None:
    configure(settings)
    log_plugins()
    # The caches hold thousands of objects that live as long as the resources; the default
    # thresholds rescan them every few hundred allocations. 5,000 roughly halves the CPU per App
    # at 1,000 Apps; higher values save a little more CPU and cost tens of MiB (bench/).
    # Schemas, CEL rules and templates compiled now, not by the first renders; then everything
    # alive is frozen (``gc.freeze``), out of every later collection.
    warm_up()
    gc.set_threshold(5_000, 20, 20)
    info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(
        settings=settings
    )
    if info is None:
        raise kopf.PermanentError(
            "no credentials: run in a pod with a service account or set KUBECONFIG"
        )
    client = Client(Credentials.from_connection_info(info), RUNTIME.settings.api_timeout_seconds)
    RUNTIME.state.bind(kwargs)
    await RUNTIME.start(client, await detect_kube_version(client))
    assert RUNTIME.scheduler is not None
    RUNTIME.scheduler.gate = PeeringGate(
        client,
        enabled=not settings.peering.standalone,
        name=settings.peering.name,
        priority=settings.peering.priority,
        clusterwide=settings.peering.clusterwide,
        namespaces=RUNTIME.state.namespaces,
    )
    if RUNTIME.settings.metrics_port:
        RUNTIME.metrics = await metrics.serve(RUNTIME, RUNTIME.settings.metrics_port)
    if RUNTIME.settings.webhook_port:
        # Every replica answers (validation needs no peering lead); see webhook.py.
        reviewer = functools.partial(
            webhook.review,
            checks=load_policy(RUNTIME.settings.policy_file),
            kube_version=(
                RUNTIME.reconciler.kube_version if RUNTIME.reconciler else DEFAULT_KUBE_VERSION
            ),
            ingress_controller=RUNTIME.settings.ingress_controller or None,
        )
        RUNTIME.webhook_task = asyncio.create_task(
            webhook.serve(RUNTIME.settings, reviewer, client, RUNTIME.admissions),
            name="konfiguru webhook",
        )
    logger.info(
        "konfiguru operator started: resync every %ss, field manager %r, rendering for %s",
        RUNTIME.settings.resync_seconds,
        RUNTIME.settings.field_manager,
        RUNTIME.reconciler.kube_version if RUNTIME.reconciler else "?",
    )


@kopf.on.cleanup()
async def cleanup(**_: Any) -> None:
    await RUNTIME.stop()


@kopf.on.probe(id="reconciles")
def reconciles(**_: Any) -> int:
    """Liveness: also says how many reconciles ran (GET the liveness endpoint)."""
    return RUNTIME.reconciler.reconciles if RUNTIME.reconciler else 0


@kopf.on.probe(id="pending")
def pending(**_: Any) -> int:
    return RUNTIME.scheduler.busy if RUNTIME.scheduler else 0
