"""Operator benchmark against the API emulator: latency, throughput, no-op writes, memory.

    .venv/bin/python bench/operator_bench.py [--sizes 1,100,1000] [--json out.json]

One run measures, with the real operator process (``python -m konfiguru_operator``) against the
emulator of ``tests/emulator`` (simulated controllers on, 20 ms to "roll out" a workload):

- create → Ready (p50, p99): from the moment a client's create returns to the first watch event
  in which the App's ``Ready`` condition is ``True`` for its current generation. ``1`` is twenty
  Apps created one after another (each waited for); ``100`` and ``1000`` are created at once.
- throughput: Apps reconciled to Ready per second while the 1,000 are created at once.
- API writes per App on creation (``writes_per_app``, counted by the emulator per request, no-ops
  and refusals included, as a real API server's request metrics count them): child writes per
  child kind (target: one per child), status patches, Events and 409 conflicts (target 0).
- API writes per no-op resync: with every App Ready and nothing changing, the writes the operator
  sends during several resync periods, divided by the resyncs done (target 0), with the Events
  posted meanwhile (target 0).

The emulator stores objects as a real API server does (zero values of ``omitempty`` fields
dropped, built-in kinds defaulted, sorted keys: ``tests/emulator/defaults.py``), so these counts
mean the same thing on a real cluster; the Apps have probes (``initialDelaySeconds: 0``, which a
real server drops).
- peak RSS of the operator process (VmHWM) while the 1,000 Apps exist.

Targets (issue 4): p50 create→Ready under 100 ms for one App, ≥ 50 Apps/s, RSS under 200 MiB.
Write targets (issues 8 and 15), checked by every run: one write per child on creation (writes
of each child kind divided by the children of that kind, ``writes_per_child``), no 409, and zero
writes and zero Events per no-op resync. A miss is listed under ``flags``, printed as a ``FLAG``
line, and the exit status is 1. The numbers depend on the machine; the emulator runs in this
process and shares its CPUs.

    .venv/bin/python bench/operator_bench.py --sizes 5 --resync 1 --no-ceiling   # quick check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration")]

from operator_process import OperatorProcess  # noqa: E402

from emulator import Emulator  # noqa: E402

RESYNC_SECONDS = 5.0  # --resync


def app(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "image": "ghcr.io/acme/shop:1.4.2",
            "port": 8080,
            "replicas": 2,
            "resources": {"cpu": "100m", "memory": "128Mi"},
            "config": {"data": {"LOG_LEVEL": "info"}},
        },
    }


def _ready(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    if status.get("observedGeneration") != obj["metadata"].get("generation"):
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


class ReadyClock:
    """Records, on the emulator's thread, when each App first becomes Ready."""

    def __init__(self, emulator: Emulator) -> None:
        self.ready_at: dict[str, float] = {}
        self.lock = threading.Lock()

        def listener(kind: str, rt: Any, obj: dict[str, Any], old: Any) -> None:
            if obj.get("kind") == "App" and _ready(obj):
                name = obj["metadata"]["name"]
                with self.lock:
                    self.ready_at.setdefault(name, time.monotonic())

        emulator.call(lambda: emulator.cluster.listeners.append(listener))

    def wait(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(name in self.ready_at for name in names):
                    return
            time.sleep(0.005)
        missing = [n for n in names if n not in self.ready_at]
        raise TimeoutError(f"{len(missing)} Apps not Ready after {timeout}s, e.g. {missing[:3]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def emulator_ceiling(emulator: Emulator, apps: int = 100) -> float:
    """Apps/s the emulator itself takes when a bare client applies the same children, with no
    operator at all: the ceiling of any operator measured against it on this machine."""
    import kopf

    from konfiguru_generators import Existing, render
    from konfiguru_operator.kube import Client, Credentials
    from konfiguru_operator.rbac import CHILD_KINDS

    async def run() -> float:
        info = kopf.login_with_kubeconfig(settings=kopf.OperatorSettings())
        client = Client(Credentials.from_connection_info(info))
        bodies = []
        for n in range(apps):
            body = app(f"ceiling-{n}")
            body["metadata"]["uid"] = f"ceiling-{n}"
            bodies.append(render(body, Existing()))

        async def one(children: list[dict[str, Any]]) -> None:
            for child in children:
                await client.apply(CHILD_KINDS[child["kind"]], child, "bench")

        started = time.monotonic()
        await asyncio.gather(*(one(children) for children in bodies))
        elapsed = time.monotonic() - started
        await client.close()
        return apps / elapsed

    os.environ["KUBECONFIG"] = str(emulator.kubeconfig)
    return round(asyncio.run(run()), 1)


def measure(
    sizes: list[int], resync: float = RESYNC_SECONDS, ceiling: bool = True
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "targets": {
            "p50_ms_one": 100,
            "apps_per_s": 50,
            "rss_mib": 200,
            "writes_per_child_on_creation": 1,
            "writes_per_noop_resync": 0,
            "events_per_noop_resync": 0,
        }
    }
    with tempfile.TemporaryDirectory() as tmp, Emulator(workdir=Path(tmp)) as emulator:
        operator = OperatorProcess(
            emulator,
            Path(tmp),
            KONFIGURU_RESYNC_SECONDS=str(resync),
            KONFIGURU_LOG_LEVEL="warning",
        ).start()
        try:
            clock = ReadyClock(emulator)
            count = 0
            for size in sizes:
                latencies: list[float] = []
                if size == 1:
                    for _ in range(20):
                        count += 1
                        name = f"app-{count}"
                        emulator.create(app(name))
                        created = time.monotonic()
                        clock.wait([name], 30)
                        latencies.append(clock.ready_at[name] - created)
                    results["1"] = _summary(latencies)
                    continue
                names, created_at = [], {}
                tally_before = emulator.tally()
                cpu_before = cpu_seconds(operator.process.pid)  # type: ignore[union-attr]
                for _ in range(size):
                    count += 1
                    name = f"app-{count}"
                    emulator.create(app(name))
                    created_at[name] = time.monotonic()
                    names.append(name)
                clock.wait(names, 600)
                ready_tally = emulator.tally()
                latencies = [clock.ready_at[n] - created_at[n] for n in names]
                span = max(clock.ready_at[n] for n in names) - min(created_at.values())
                cpu = cpu_seconds(operator.process.pid) - cpu_before  # type: ignore[union-attr]
                results[str(size)] = {
                    **_summary(latencies),
                    "apps_per_s": round(size / span, 1),
                    # What the operator alone would sustain on one core, were the API instant.
                    "operator_cpu_ms_per_app": round(cpu / size * 1000, 1),
                }
                time.sleep(2)  # the reconciles the children's last status changes trigger
                settled = writes_per_app(tally_before, emulator.tally(), size)
                shape = children_per_app(emulator, names[0])
                results[str(size)]["writes_per_app"] = {
                    "until_ready": writes_per_app(tally_before, ready_tally, size),
                    "settled": settled,
                }
                results[str(size)]["children_per_app"] = shape
                results[str(size)]["writes_per_child"] = {
                    resource: round(settled["children"].get(resource, 0) / number, 2)
                    for resource, number in sorted(shape.items())
                }
            results["rss_mib_peak"] = round(peak_rss_mib(operator.process.pid), 1)  # type: ignore[union-attr]
            results["apps"] = count
            results["noop_resync"] = _noop_writes(emulator, operator, count, resync)
        finally:
            operator.stop()
        if ceiling:
            results["emulator_ceiling_apps_per_s"] = emulator_ceiling(emulator)
    results["flags"] = flags(results)
    return results


def children_per_app(emulator: Emulator, name: str) -> dict[str, int]:
    """The children of one App, by resource (plural): every benchmark App has the same shape."""
    owner = emulator.get("apps.konfiguru.io", name, "default")
    counts: dict[str, int] = {}
    for kind, _ in emulator.children(owner):
        plural = emulator.resource(kind).plural
        counts[plural] = counts.get(plural, 0) + 1
    return counts


def flags(results: dict[str, Any]) -> list[str]:
    """Every write target missed: more than one write per child of a kind on creation, a 409,
    a child kind written that no App has, any write or Event during no-op resyncs."""
    missed = []
    for size, figures in results.items():
        if not isinstance(figures, dict) or "writes_per_child" not in figures:
            continue
        settled = figures["writes_per_app"]["settled"]
        for resource, per_child in figures["writes_per_child"].items():
            if per_child != 1:
                missed.append(f"{size} Apps: {per_child} writes per {resource} child (target 1)")
        for resource in set(settled["children"]) - set(figures["children_per_app"]):
            missed.append(f"{size} Apps: {resource} written, but no App has one")
        if settled["conflicts"]:
            missed.append(f"{size} Apps: {settled['conflicts']} 409 conflicts per App (target 0)")
    noop = results.get("noop_resync") or {}
    if noop.get("write_requests"):
        missed.append(f"no-op resyncs: {noop['write_requests']} write requests (target 0)")
    if noop.get("events"):
        missed.append(f"no-op resyncs: {noop['events']} Events (target 0)")
    if noop and not noop.get("reconciles"):
        missed.append("no-op resyncs: no reconcile ran, nothing was measured")
    return missed


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The write figures in words, after the JSON."""
    lines = []
    for size, figures in results.items():
        if not isinstance(figures, dict) or "writes_per_child" not in figures:
            continue
        settled = figures["writes_per_app"]["settled"]
        per_kind = ", ".join(
            f"{resource} {per_child}" for resource, per_child in figures["writes_per_child"].items()
        )
        children = sum(figures["children_per_app"].values())
        lines.append(
            f"{size} Apps created at once, writes per App until settled: children"
            f" {sum(settled['children'].values()):g} for {children}"
            f" children ({per_kind} per child), status patches {settled['status_patches']:g},"
            f" Events {settled['events']:g}, 409s {settled['conflicts']:g}"
        )
    noop = results.get("noop_resync") or {}
    if noop:
        lines.append(
            f"no-op resyncs: {noop['reconciles']} reconciles, {noop['write_requests']} write"
            f" requests ({noop['writes_per_resync_per_app']} per resync per App),"
            f" {noop['events']} Events"
        )
    lines += [f"FLAG {flag}" for flag in results.get("flags") or []]
    return lines


Tally = dict[tuple[str, str, int], int]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _delta(before: Tally, after: Tally) -> dict[tuple[str, str, int], int]:
    return {
        key: count - before.get(key, 0)
        for key, count in after.items()
        if key[0] in WRITE_METHODS and count > before.get(key, 0)
    }


def writes_per_app(before: Tally, after: Tally, apps: int) -> dict[str, Any]:
    """Write requests sent between two tallies, per App: child writes by resource, the Apps'
    status patches, their finalizer/metadata patches, Events, and 409 conflicts."""
    children: dict[str, float] = {}
    summary: dict[str, Any] = {"children": children}
    totals = {"status_patches": 0, "app_patches": 0, "events": 0, "conflicts": 0}
    for (_, resource, code), count in _delta(before, after).items():
        if code == 409:
            totals["conflicts"] += count
        if resource == "apps/status":
            totals["status_patches"] += count
        elif resource == "apps":
            totals["app_patches"] += count
        elif resource == "events":
            totals["events"] += count
        elif "/" not in resource and resource not in ("leases",):
            children[resource] = children.get(resource, 0) + count
    for resource in children:
        children[resource] = round(children[resource] / apps, 2)
    summary.update({key: round(value / apps, 2) for key, value in totals.items()})
    return summary


def _summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def _noop_writes(
    emulator: Emulator, operator: OperatorProcess, apps: int, resync: float
) -> dict[str, Any]:
    # Let the last status writes and child events settle, then watch a few resync periods.
    time.sleep(resync)
    before = operator.metrics()
    writes_before = dict(emulator.writes)
    tally_before = emulator.tally()
    time.sleep(resync * 3 + 1)
    after = operator.metrics()
    sent = _delta(tally_before, emulator.tally())
    reconciles = after["konfiguru_reconciles_total"] - before["konfiguru_reconciles_total"]
    writes = after["konfiguru_api_writes_total"] - before["konfiguru_api_writes_total"]
    resyncs = reconciles / max(apps, 1)
    return {
        "reconciles": int(reconciles),
        "resyncs_per_app": round(resyncs, 1),
        "operator_writes": int(writes),
        "writes_per_resync_per_app": round(writes / reconciles, 4) if reconciles else None,
        # Every write request the emulator saw (no-ops included), and the Events among them.
        "write_requests": sum(sent.values()),
        "events": sum(n for (_, resource, _), n in sent.items() if resource == "events"),
        "cluster_writes": {
            k: emulator.writes[k] - writes_before.get(k, 0) for k in ("create", "update", "delete")
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--resync", type=float, default=RESYNC_SECONDS, help="resync seconds")
    parser.add_argument(
        "--no-ceiling", action="store_true", help="skip the emulator's own ceiling (Apps/s)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results = measure(
        [int(s) for s in args.sizes.split(",")], args.resync, ceiling=not args.no_ceiling
    )
    text = json.dumps(results, indent=2)
    print(text)
    print("\n".join(summary_lines(results)))
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 1 if results["flags"] else 0


if __name__ == "__main__":
    sys.exit(main())
