"""Render benchmark: how fast Konfiguru turns 1,000 distinct Apps into manifests, next to Helm.

    .venv/bin/python bench/render_bench.py [--count 1000] [--json out.json] [--profile]

What one run measures, in one process:

1. **Konfiguru.** ``count`` distinct Apps (each with ingress, autoscale, config files, a
   generated Secret with a seed, a schedule; distinct names, images, hosts and values) go through
   ``konfiguru_generators.render`` one by one, the way ``konfiguru render -f DIR`` and the
   operator call it: parse, CRD defaults, schema and CEL checks, semantic checks, Jinja
   templates, YAML parsed back to dicts. When the Database and MLPipeline kinds are registered,
   each App is followed by one Database and one MLPipeline (taken from ``examples/``, renamed per
   App); the report says what the mix was. Reported: median and p95 ms per App (and per App +
   Database + MLPipeline), objects, peak RSS, and the Python heap peak from a second,
   untimed pass under ``tracemalloc``.
2. **Helm**, through ``helm-python-sdk`` (Helm v4's Go engine in-process, no binary), with the
   chart in ``bench/helm-app/`` whose templates produce the same objects from the same App spec
   passed as values. Two ways, both reported:
   - *per App*: one ``Chart.render`` per App (what ``helm template`` or Argo CD does for one
     release). This is the like-for-like figure the ratio uses.
   - *one release*: one ``Chart.render`` whose values list all Apps and whose templates range
     over them: Helm's best case, every per-call cost paid once.
   Helm hands back YAML text while Konfiguru hands back parsed objects, so Helm is also timed
   with its output parsed to dicts (PyYAML's C loader) for the equal-output comparison.

Fairness: same input data, no caching of results across Apps (every App is distinct), a warm-up
on separate Apps first, then ``konfiguru_generators.warm_up()`` once (what the operator does at
start-up: compile, then ``gc.freeze()``; the report says so), the garbage collector left on,
every output kept alive until the end (as a caller that writes or applies them would). Timings
are wall clock (``perf_counter_ns``) on a quiet machine; run twice and compare before trusting a
small difference.

This file is not a test: nothing here asserts a time. ``tests/bench`` runs it with ``--count 5``
so it cannot rot.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generators"))  # runnable from a checkout without installing

import konfiguru_generators as kg  # noqa: E402
from konfiguru_generators.kinds import REGISTRY  # noqa: E402
from konfiguru_generators.resources import version_schema  # noqa: E402

CHART_DIR = ROOT / "bench" / "helm-app"
EXAMPLES_DIR = ROOT / "examples"
NAMESPACE = "shop"
SEED = b"konfiguru-bench-seed"
SEED_TEXT = SEED.decode()
WARMUP_OFFSET = 900_000  # warm-up Apps use other indices, so measured Apps are cold data
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Resource = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The input: distinct Apps (and, when registered, a Database and an MLPipeline per App)


def app_spec(i: int) -> dict[str, Any]:
    """The spec of App number ``i``: every feature the issue names, values that differ per App."""
    name = app_name(i)
    return {
        "image": f"ghcr.io/acme/{name}:1.{i % 40}.{i % 7}",
        "port": 8080 + i % 3,
        "env": {
            "LOG_LEVEL": ("debug", "info", "warn")[i % 3],
            "REGION": f"eu-west-{1 + i % 3}",
            "FEATURE_FLAGS": "yes" if i % 2 else "no",
            "WORKERS": str(2 + i % 6),
        },
        "resources": {"cpu": f"{100 + 10 * (i % 20)}m", "memory": f"{128 + 32 * (i % 8)}Mi"},
        "health": {
            "liveness": {"http": {"path": "/healthz"}},
            "readiness": {"http": {"path": "/ready"}},
        },
        "autoscale": {"min": 2 + i % 2, "max": 6 + i % 10, "targetCPU": 60 + i % 30},
        "ingress": {
            "host": f"{name}.shop.example.com",
            "paths": [{"path": "/"}, {"path": f"/api/v{1 + i % 3}", "pathType": "Prefix"}],
            "tls": {"issuer": "letsencrypt-prod"},
            "className": "nginx",
            "rateLimit": {"rps": 20 + i % 50},
        },
        "config": {
            "data": {"FEATURE_COLOR": ("red", "green", "blue")[i % 3], "CACHE_TTL": str(30 + i)},
            "files": [
                {
                    "name": "settings.yaml",
                    "format": "yaml",
                    "content": {
                        "server": {"port": 8080 + i % 3, "threads": 4 + i % 4},
                        "cache": {"ttl": 30 + i, "backends": [f"redis-{i % 5}", "memory"]},
                    },
                },
                {
                    "name": "app.properties",
                    "format": "properties",
                    "content": {"app.name": name, "app.retries": 3 + i % 4},
                },
            ],
        },
        "secrets": [
            {
                "name": "session",
                "generate": [
                    {"key": "SESSION_KEY", "type": "password", "length": 32},
                    {"key": "API_TOKEN", "type": "random", "length": 40},
                ],
            }
        ],
        "schedules": [
            {
                "name": "cleanup",
                "schedule": f"{i % 60} {i % 24} * * *",
                "command": ["/app/bin/cleanup", f"--older-than={1 + i % 30}d"],
            }
        ],
    }


def app_name(i: int) -> str:
    return f"svc-{i:04d}"


def envelope(kind: str, name: str, spec: Mapping[str, Any]) -> Resource:
    return {
        "apiVersion": kg.API,
        "kind": kind,
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": copy.deepcopy(dict(spec)),
    }


@dataclass
class Fitted:
    """The App spec cut down to what the App CRD accepts today, and what had to go."""

    keep: Callable[[dict[str, Any]], dict[str, Any]]
    dropped: list[str] = field(default_factory=list)


def _prune(value: Any, schema: Mapping[str, Any], path: str, dropped: list[str]) -> Any:
    """``value`` without the fields ``schema`` does not declare (recorded in ``dropped``)."""
    if isinstance(value, dict) and schema.get("type") == "object":
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        if schema.get("x-kubernetes-preserve-unknown-fields") or extra is True:
            return value
        result = {}
        for key, item in value.items():
            if key in properties:
                result[key] = _prune(item, properties[key], f"{path}.{key}", dropped)
            elif isinstance(extra, dict):
                result[key] = _prune(item, extra, f"{path}.{key}", dropped)
            else:
                dropped.append(f"{path}.{key}")
        return result
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(item, schema["items"], f"{path}[]", dropped) for item in value]
    return value


def fit_app_spec() -> Fitted:
    """Learn once which parts of :func:`app_spec` the App CRD accepts, so the benchmark runs on
    whatever the App kind supports today and reports what it left out (never silently)."""
    schema = version_schema(REGISTRY["App"].crd_file)["properties"]["spec"]
    dropped: list[str] = []
    probe = _prune(app_spec(0), schema, "spec", dropped)
    rejected: set[str] = set()
    for _ in range(20):  # a field the CRD declares with another shape: leave that field out
        try:
            kg.validate(envelope("App", app_name(0), probe))
            break
        except kg.SpecError as error:
            first: dict[str, kg.FieldError] = {}
            for problem in error.errors:
                if problem.path.startswith("spec."):
                    first.setdefault(problem.path[5:].split(".")[0].split("[")[0], problem)
            if not first.keys() - rejected:
                raise
            for top in first.keys() - rejected:
                probe.pop(top, None)
                dropped.append(f"spec.{top} (rejected: {first[top]})")
            rejected |= first.keys()

    def keep(spec: dict[str, Any]) -> dict[str, Any]:
        pruned = _prune(spec, schema, "spec", [])
        return {key: pruned[key] for key in pruned if key not in rejected}

    return Fitted(keep, dropped)


def example_resources(kind: str) -> list[Resource]:
    """Every example of ``kind`` under ``examples/`` that renders: the mix for that kind."""
    found: list[Resource] = []
    for path in sorted(EXAMPLES_DIR.rglob("*.y*ml")):
        try:
            documents = list(yaml.load_all(path.read_text("utf-8"), Loader=_Loader))
        except yaml.YAMLError:
            continue
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == kind:
                try:
                    kg.render(document, kg.Existing(secret_seed=SEED))
                except Exception:  # noqa: BLE001 - an example still in the works is left out
                    continue
                found.append(document)
    return found


def renamed(example: Resource, i: int) -> Resource:
    """A copy of ``example`` named for App ``i`` (names stay valid and short)."""
    document = copy.deepcopy(example)
    base = str(document["metadata"]["name"])[:24].rstrip("-")
    document["metadata"] = {"name": f"{base}-{i:04d}", "namespace": NAMESPACE}
    return document


@dataclass
class Mix:
    """What one benchmark unit is: one App, plus one resource of each extra kind."""

    fitted: Fitted
    extras: dict[str, list[Resource]]  # kind -> examples cycled through
    missing: dict[str, str]  # kind -> why it is not in the mix

    def unit(self, i: int) -> list[Resource]:
        documents = [envelope("App", app_name(i), self.fitted.keep(app_spec(i)))]
        for examples in self.extras.values():
            documents.append(renamed(examples[i % len(examples)], i))
        return documents

    def describe(self) -> dict[str, Any]:
        per_unit = ["App"]
        for kind, examples in self.extras.items():
            variants = sorted({_variant(example) for example in examples})
            per_unit.append(f"{kind} (cycling {', '.join(variants)})")
        return {
            "per_unit": per_unit,
            "app_fields_left_out": self.fitted.dropped,
            "kinds_left_out": self.missing,
        }


def _variant(example: Resource) -> str:
    """What tells examples of one kind apart in the report: the engine or framework."""
    spec = example.get("spec", {})
    return str(spec.get("engine") or spec.get("framework") or example["metadata"]["name"])


def build_mix() -> Mix:
    extras: dict[str, list[Resource]] = {}
    missing: dict[str, str] = {}
    for kind in ("Database", "MLPipeline"):
        if kind not in REGISTRY:
            missing[kind] = "not registered in konfiguru_generators.kinds.REGISTRY yet"
            continue
        examples = example_resources(kind)
        if examples:
            extras[kind] = examples
        else:
            missing[kind] = "registered, but no example under examples/ renders yet"
    return Mix(fit_app_spec(), extras, missing)


# --------------------------------------------------------------------------------------------
# Measuring


def percentile(samples: list[int], q: float) -> float:
    """The ``q`` quantile (nearest rank) of nanosecond samples, in milliseconds."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
    return ordered[index] / 1e6


Instant = tuple[int, int]


def now() -> Instant:
    """Wall clock and this process's CPU time (all threads: Helm's Go runtime counts too)."""
    return time.perf_counter_ns(), time.process_time_ns()


@dataclass
class Samples:
    """Durations of one measured step, wall clock and CPU, in nanoseconds."""

    wall: list[int] = field(default_factory=list)
    cpu: list[int] = field(default_factory=list)

    def add(self, start: Instant, end: Instant) -> None:
        self.wall.append(end[0] - start[0])
        self.cpu.append(end[1] - start[1])

    def summary(self) -> dict[str, float]:
        return {
            "median_ms": statistics.median(self.wall) / 1e6,
            "p95_ms": percentile(self.wall, 0.95),
            "mean_ms": statistics.fmean(self.wall) / 1e6,
            "max_ms": max(self.wall) / 1e6,
            "cpu_median_ms": statistics.median(self.cpu) / 1e6,
            "cpu_mean_ms": statistics.fmean(self.cpu) / 1e6,
        }


def max_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def kinds_of(objects: Iterable[Mapping[str, Any]]) -> Counter[str]:
    return Counter(str(obj.get("kind")) for obj in objects)


def run_konfiguru(mix: Mix, count: int, warmup: int, keep: bool = True) -> dict[str, Any]:
    existing = kg.Existing(secret_seed=SEED)
    for i in range(warmup):
        for document in mix.unit(WARMUP_OFFSET + i):
            kg.render(document, existing)
    # What a long-running caller does once at start-up (the operator does): compile schemas and
    # templates and freeze them out of garbage collection. The report says it was called.
    kg.warm_up()
    units = [mix.unit(i) for i in range(count)]  # inputs built before the clock starts
    per_kind: dict[str, Samples] = {}
    per_unit = Samples()
    kept: list[list[list[dict[str, Any]]]] = []
    kinds: Counter[str] = Counter()
    first: list[dict[str, Any]] = []
    gc.collect()
    started = now()
    for documents in units:
        outputs = []
        unit_start = before = now()
        for document in documents:
            outputs.append(kg.render(document, existing))
            after = now()
            per_kind.setdefault(document["kind"], Samples()).add(before, after)
            before = after
        per_unit.add(unit_start, before)
        for objects in outputs:
            kinds.update(kinds_of(objects))
        first = first or outputs[0]
        if keep:
            kept.append(outputs)
    finished = now()
    result = {
        "apps": count,
        "wall_s": (finished[0] - started[0]) / 1e9,
        "cpu_s": (finished[1] - started[1]) / 1e9,
        "per_kind": {kind: samples.summary() for kind, samples in per_kind.items()},
        "per_unit": per_unit.summary(),
        "objects": sum(kinds.values()),
        "objects_by_kind": dict(sorted(kinds.items())),
        "app_objects": dict(sorted(kinds_of(first).items())),
        "first_app": first,
        "outputs_kept": keep,
        "warm_up": "konfiguru_generators.warm_up() once after the warm-up renders",
        "peak_rss_mib": max_rss_mib(),
    }
    del kept
    gc.collect()
    result["python_heap_peak_mib"] = heap_peak(units, existing, keep)
    return result


def heap_peak(units: list[list[Resource]], existing: kg.Existing, keep: bool) -> float:
    """Peak Python heap (tracemalloc) while rendering every unit and keeping the outputs.

    A separate, untimed pass: tracemalloc slows allocation several times over.
    """
    tracemalloc.start()
    kept = []
    for documents in units:
        outputs = [kg.render(document, existing) for document in documents]
        if keep:
            kept.append(outputs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del kept
    return peak / 2**20


def _leaves(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def compare(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> dict[str, Any]:
    """How close Helm's objects for one App are to Konfiguru's: the fairness check.

    Objects are matched by kind (one of each per App here); every leaf field is compared.
    """

    def flat(objects: list[dict[str, Any]]) -> dict[str, Any]:
        return {f"{obj.get('kind')}{path}": leaf for obj in objects for path, leaf in _leaves(obj)}

    mine, helm = flat(ours), flat(theirs)
    shared = mine.keys() & helm.keys()
    return {
        "konfiguru_fields": len(mine),
        "helm_fields": len(helm),
        "fields_in_both": len(shared),
        "equal_values": sum(1 for path in shared if mine[path] == helm[path]),
        "different_values": sorted(path for path in shared if mine[path] != helm[path]),
        "only_konfiguru": sorted(mine.keys() - helm.keys()),
        "only_helm": sorted(helm.keys() - mine.keys()),
    }


def helm_app_values(document: Resource) -> dict[str, Any]:
    """One App as the Helm chart's values: the very same spec the App resource carries."""
    return {
        "name": document["metadata"]["name"],
        "namespace": document["metadata"]["namespace"],
        "spec": document["spec"],
    }


def parse_helm(rendered: Mapping[str, str]) -> list[dict[str, Any]]:
    """Helm's output (template path -> YAML text) as objects, like Konfiguru returns them."""
    objects: list[dict[str, Any]] = []
    for text in rendered.values():
        objects.extend(d for d in yaml.load_all(text, Loader=_Loader) if isinstance(d, dict))
    return objects


def run_helm(mix: Mix, count: int, warmup: int, keep: bool = True) -> dict[str, Any]:
    import helm_python as helm  # here, so the RSS before Helm's Go runtime loads is measurable

    chart = helm.Chart.load(str(CHART_DIR))

    def values(documents: list[Resource]) -> dict[str, Any]:
        return {"secretSeed": SEED_TEXT, "apps": [helm_app_values(d) for d in documents]}

    def app_document(i: int) -> Resource:
        return mix.unit(i)[0]

    for i in range(warmup):
        parse_helm(chart.render(values([app_document(WARMUP_OFFSET + i)]), name="bench"))
    inputs = [values([app_document(i)]) for i in range(count)]
    text = Samples()
    parsed = Samples()
    kept: list[list[dict[str, Any]]] = []
    objects = 0
    first_objects: list[dict[str, Any]] = []
    gc.collect()
    for item in inputs:
        start = now()
        rendered = chart.render(item, name=item["apps"][0]["name"], namespace=NAMESPACE)
        middle = now()
        output = parse_helm(rendered)
        end = now()
        text.add(start, middle)
        parsed.add(start, end)
        objects += len(output)
        first_objects = first_objects or output
        if keep:
            kept.append(output)
    first_app = dict(sorted(kinds_of(first_objects).items()))
    del kept

    everything = values([app_document(i) for i in range(count)])
    gc.collect()
    start = now()
    rendered = chart.render(everything, name="shop", namespace=NAMESPACE)
    middle = now()
    batch_objects = parse_helm(rendered)
    end = now()
    assert len(batch_objects) == objects, "one release must render the same objects as per App"

    def per_app(first: Instant, last: Instant) -> dict[str, float]:
        return {
            "ms_per_app": (last[0] - first[0]) / 1e6 / count,
            "cpu_ms_per_app": (last[1] - first[1]) / 1e6 / count,
        }

    return {
        "versions": {"helm": helm.helm_sdk_version(), "helm_c": helm.helm_c_version()},
        "per_app_text": text.summary(),
        "per_app_parsed": parsed.summary(),
        "one_release_text": per_app(start, middle),
        "one_release_parsed": per_app(start, end),
        "objects": objects,
        "app_objects": first_app,
        "first_app": first_objects,
        "peak_rss_mib": max_rss_mib(),
    }


def profile_konfiguru(mix: Mix, count: int, top: int = 25) -> str:
    """cProfile of the Konfiguru loop (untimed): where a render spends its time."""
    import cProfile
    import io
    import pstats

    existing = kg.Existing(secret_seed=SEED)
    units = [mix.unit(i) for i in range(count)]
    profiler = cProfile.Profile()
    profiler.enable()
    for documents in units:
        for document in documents:
            kg.render(document, existing)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Reporting


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit or "unknown",
    }


def report(result: Mapping[str, Any]) -> str:
    k, h, m = result["konfiguru"], result.get("helm"), result["machine"]
    mix = result["mix"]
    lines = [
        f"Render benchmark: {k['apps']} distinct Apps; unit = {' + '.join(mix['per_unit'])}",
        f"machine: {m['cpus']} cores, {m['cpu_model']}, Python {m['python']}, commit {m['commit']}"
        + (f", Helm {h['versions']['helm']}" if h else "")
        + f"; load average {m['load_average'][0]} at start, {result['load_average_end']} at end",
    ]
    lines.append(
        f"Konfiguru: {k['warm_up']} (compiles schemas and templates, gc.freeze()), as the operator"
        " does at start-up"
    )
    for note in mix["app_fields_left_out"]:
        lines.append(f"  App field left out (App CRD does not accept it yet): {note}")
    for kind, why in mix["kinds_left_out"].items():
        lines.append(f"  {kind} left out of the mix: {why}")
    header = ("median", "p95", "mean", "CPU med", "CPU mean")
    lines += ["", f"{'ms':46}" + "".join(f"{h:>10}" for h in header)]

    def row(label: str, stats: Mapping[str, float]) -> None:
        keys = ("median_ms", "p95_ms", "mean_ms", "cpu_median_ms", "cpu_mean_ms")
        lines.append(f"{label:46}" + "".join(f"{stats[key]:>10.3f}" for key in keys))

    def mean_row(label: str, stats: Mapping[str, float]) -> None:
        lines.append(
            f"{label:46}{'':>10}{'':>10}{stats['ms_per_app']:>10.3f}{'':>10}"
            f"{stats['cpu_ms_per_app']:>10.3f}"
        )

    for kind, stats in k["per_kind"].items():
        row(f"Konfiguru  {kind}", stats)
    if len(k["per_kind"]) > 1:
        row("Konfiguru  unit (" + " + ".join(k["per_kind"]) + ")", k["per_unit"])
    if h:
        row("Helm       App, one render per App (text)", h["per_app_text"])
        row("Helm       App, one render per App (objects)", h["per_app_parsed"])
        mean_row("Helm       App, all in one render (text)", h["one_release_text"])
        mean_row("Helm       App, all in one render (objects)", h["one_release_parsed"])
    lines.append("")
    lines.append(f"objects: Konfiguru {k['objects']} in all; per App {k['app_objects']}")
    if h:
        lines.append(f"         Helm {h['objects']} in all; per App {h['app_objects']}")
        same = result["equivalence"]
        lines.append(
            f"same objects? App 0: Konfiguru {same['konfiguru_fields']} fields, Helm"
            f" {same['helm_fields']}, in both {same['fields_in_both']}, equal"
            f" {same['equal_values']}; values differ at {', '.join(same['different_values'])}"
        )
        ratio = result["ratio"]
        lines.append(
            "Helm / Konfiguru per App (median; >1 means Konfiguru is faster):"
            f" wall {ratio['wall_text']:.2f}x vs Helm text, {ratio['wall_objects']:.2f}x vs"
            f" Helm objects; CPU {ratio['cpu_text']:.2f}x vs Helm text;"
            f" Helm all-in-one-render text {ratio['one_release_text']:.2f}x"
        )
    lines.append(
        f"memory: RSS at start {result['rss_start_mib']:.0f} MiB, peak after Konfiguru"
        f" {k['peak_rss_mib']:.0f} MiB"
        + (f", after Helm {h['peak_rss_mib']:.0f} MiB" if h else "")
        + f"; Konfiguru Python heap peak {k['python_heap_peak_mib']:.1f} MiB (tracemalloc, "
        + ("all outputs kept)" if k["outputs_kept"] else "outputs dropped as rendered)")
    )
    app = k["per_kind"]["App"]
    verdict = "met" if app["median_ms"] <= 1.0 else "MISSED"
    lines.append(
        f"target <= 1 ms per App (median wall): {verdict} ({app['median_ms']:.3f} ms,"
        f" CPU {app['cpu_median_ms']:.3f} ms)"
        + (
            ""
            if not h
            else "; faster than Helm per App: "
            + ("yes" if app["median_ms"] < h["per_app_text"]["median_ms"] else "NO")
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="distinct Apps (default 1000)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up Apps (default 10%%)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-helm", action="store_true", help="skip the Helm comparison")
    parser.add_argument(
        "--discard-outputs",
        action="store_true",
        help="drop each output once counted (like the operator) instead of keeping all (like a"
        " CLI writing one stream); the garbage collector then has less to walk",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of the Konfiguru loop"
    )
    args = parser.parse_args(argv)
    count = max(1, args.count)
    warmup = args.warmup if args.warmup is not None else max(2, count // 10)

    rss_start = max_rss_mib()
    mix = build_mix()
    result: dict[str, Any] = {
        "machine": machine(),
        "mix": mix.describe(),
        "rss_start_mib": rss_start,
        "konfiguru": run_konfiguru(mix, count, warmup, keep=not args.discard_outputs),
    }
    if args.no_helm:
        result["konfiguru"].pop("first_app")
    else:
        helm = run_helm(mix, count, warmup, keep=not args.discard_outputs)
        app = result["konfiguru"]["per_kind"]["App"]
        result["helm"] = helm
        result["equivalence"] = compare(result["konfiguru"].pop("first_app"), helm.pop("first_app"))
        result["ratio"] = {
            "wall_text": helm["per_app_text"]["median_ms"] / app["median_ms"],
            "wall_objects": helm["per_app_parsed"]["median_ms"] / app["median_ms"],
            "cpu_text": helm["per_app_text"]["cpu_median_ms"] / app["cpu_median_ms"],
            "one_release_text": helm["one_release_text"]["ms_per_app"] / app["mean_ms"],
        }
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    print(report(result))
    if args.profile:
        print(profile_konfiguru(mix, count))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
