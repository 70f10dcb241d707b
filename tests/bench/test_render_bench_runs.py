"""The render benchmark still runs end to end (5 Apps): it must not rot between releases.

No timing is asserted here (performance targets live in bench/, never in timed unit tests); this
checks that the benchmark renders every App through Konfiguru and through the Helm chart, and
that its report carries the figures the README quotes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "render_bench.py"


@pytest.fixture(scope="module")
def five_apps(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--count", "5", "--warmup", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(out.read_text())


def test_benchmark_renders_every_app_through_konfiguru_and_helm(five_apps):
    _, figures = five_apps
    assert figures["konfiguru"]["apps"] == 5
    assert figures["konfiguru"]["per_kind"]["App"]["median_ms"] > 0
    assert figures["helm"]["per_app_text"]["median_ms"] > 0
    app_objects = sum(figures["konfiguru"]["app_objects"].values())
    assert app_objects >= 2
    assert figures["helm"]["objects"] == 5 * sum(figures["helm"]["app_objects"].values())


def test_helm_chart_renders_the_same_objects_as_konfiguru_for_an_app(five_apps):
    # The ratio is only fair while the chart renders what Konfiguru renders: same kinds, and
    # (nearly) the same fields. If the App kind grows, bench/helm-app/ must follow.
    _, figures = five_apps
    assert figures["helm"]["app_objects"] == figures["konfiguru"]["app_objects"]
    same = figures["equivalence"]
    assert same["fields_in_both"] >= 0.9 * max(same["konfiguru_fields"], same["helm_fields"])


def test_benchmark_report_names_the_mix_the_figures_and_the_memory(five_apps):
    stdout, figures = five_apps
    assert "Konfiguru  App" in stdout
    assert "Helm       App, one render per App" in stdout
    assert "peak" in stdout
    assert figures["konfiguru"]["peak_rss_mib"] > 0
    assert figures["konfiguru"]["python_heap_peak_mib"] > 0
    assert "per_unit" in figures["mix"]
