"""How much compiling a ``.kfg`` file costs next to rendering what it defines.

For every ``examples/**/*.kfg`` (each example's ``.kfg`` twin) this measures, in one process:

- **compile**: ``frontends.kfg.load`` (lark parse, the syntax tree read against the CRD schemas,
  the field-position map), what ``konfiguru render -f x.kfg`` adds over the YAML file;
- **compile+check**: the same plus ``pipeline.validate`` of each resource, what
  ``konfiguru compile`` does;
- **render**: ``konfiguru_generators.render`` of the compiled resources (defaults, checks,
  templates), the peer in the same run.

Each figure is the median CPU time (``time.process_time``: on a shared machine wall clock
counts other jobs' turns, which made per-file ratios swing 2x between runs) of ``--repeat``
runs after a warm-up (the three measurements of a file interleaved) (the grammar is built once per
process, like the schemas and templates; its one-off cost is reported apart). The target, from
issue 11: compile costs less than render for every example. No test asserts a time;
``tests/bench/test_kfg_bench_runs.py`` runs it with ``--repeat 2`` so it cannot rot.

    .venv/bin/python bench/kfg_bench.py [--repeat 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from konfiguru_generators import render, warm_up
from konfiguru_generators.frontends.kfg import load, syntax
from konfiguru_generators.pipeline import validate

ROOT = Path(__file__).resolve().parent.parent


def _medians_ms(functions: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """The median CPU time of each function, run in turn ``repeat`` times (interleaved, so a
    change of load on a shared machine weighs on all of them alike, not on one block)."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.process_time()
            function()
            times[name].append(time.process_time() - start)
    return {f"{name}_ms": statistics.median(values) * 1000 for name, values in times.items()}


def measure(repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    syntax.parser()
    grammar_ms = (time.perf_counter() - start) * 1000
    files = sorted((ROOT / "examples").rglob("*.kfg"))
    warm_up()
    rows = []
    for path in files:
        text, source = path.read_text("utf-8"), str(path.relative_to(ROOT))
        bodies = [document.body for document in load(text, source)]
        for body in bodies:  # warm-up: caches of schemas, CEL and templates
            render(body)

        def checked(text: str = text, source: str = source) -> None:
            for document in load(text, source):
                validate(document.body)

        def rendered(bodies: list[Any] = bodies) -> None:
            for body in bodies:
                render(body)

        def compiled(text: str = text, source: str = source) -> None:
            load(text, source)

        functions = {"compile": compiled, "compile_check": checked, "render": rendered}
        rows.append({"file": source, "resources": len(bodies), **_medians_ms(functions, repeat)})
    return {"grammar_build_ms": grammar_ms, "repeat": repeat, "files": rows}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"grammar built once per process: {result['grammar_build_ms']:.1f} ms;"
        f" medians of {result['repeat']} runs",
        f"{'file':44} {'compile':>9} {'+check':>9} {'render':>9} {'compile/render':>15}",
    ]
    for row in result["files"]:
        ratio = row["compile_ms"] / row["render_ms"]
        lines.append(
            f"{row['file']:44} {row['compile_ms']:8.2f}m {row['compile_check_ms']:8.2f}m"
            f" {row['render_ms']:8.2f}m {ratio:14.2f}x"
        )
    total = {key: sum(r[key] for r in result["files"]) for key in ("compile_ms", "render_ms")}
    worst = max(r["compile_ms"] / r["render_ms"] for r in result["files"])
    lines.append(
        f"all examples: compile {total['compile_ms']:.1f} ms, render {total['render_ms']:.1f} ms"
        f" ({total['compile_ms'] / total['render_ms']:.2f}x); worst file {worst:.2f}x"
        " (ms = milliseconds of CPU time)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    result = measure(args.repeat)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
