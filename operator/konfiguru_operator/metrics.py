"""A Prometheus text endpoint (``/metrics`` on ``KONFIGURU_METRICS_PORT``), off by default.

Counters an operator's user (and the integration tests and ``bench/``) want without reading
logs: reconciles done and failed, API reads and writes the operator itself sent, resources
known, reconciles pending, admission reviews answered and refused (the webhook). Kopf's liveness
probe caches its answers for ten seconds, so it is no place for counters. Started and stopped by
``handlers/lifecycle.py``.
"""

from __future__ import annotations

from aiohttp import web

from .runtime import Runtime


def render(runtime: Runtime) -> str:
    reconciler, client, scheduler = runtime.reconciler, runtime.client, runtime.scheduler
    values = {
        "konfiguru_reconciles_total": reconciler.reconciles if reconciler else 0,
        "konfiguru_reconcile_failures_total": reconciler.failures if reconciler else 0,
        "konfiguru_api_writes_total": client.writes if client else 0,
        "konfiguru_api_reads_total": client.reads if client else 0,
        "konfiguru_api_request_seconds_total": round(client.seconds, 3) if client else 0,
        "konfiguru_resources": len(runtime.state.parent_uids()),
        "konfiguru_reconciles_pending": scheduler.busy if scheduler else 0,
        "konfiguru_admission_reviews_total": runtime.admissions.reviews,
        "konfiguru_admission_refusals_total": runtime.admissions.refusals,
    }
    lines = []
    for name, value in values.items():
        kind = "counter" if name.endswith("_total") else "gauge"
        lines += [f"# TYPE {name} {kind}", f"{name} {value}"]
    return "\n".join(lines) + "\n"


async def serve(runtime: Runtime, port: int) -> web.AppRunner:
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=render(runtime), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()  # noqa: S104 - scraped from outside the pod
    return runner
