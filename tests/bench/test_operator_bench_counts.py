"""The operator benchmark's write counts, on a small run (issues 8 and 15): one write per child
when Apps are created, none (and no Event) on a no-op resync. No time is asserted; the figures
of a full run live in bench/README.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_creating_apps_writes_each_child_once_and_a_noop_resync_writes_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "operator_bench.py"),
            *("--sizes", "5", "--resync", "1", "--no-ceiling", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    figures = json.loads(out.read_text())
    assert done.returncode == 0 and figures["flags"] == [], done.stdout[-3000:] + done.stderr
    five = figures["5"]
    assert five["children_per_app"]["deployments"] == 1
    assert set(five["writes_per_child"].values()) == {1}
    assert five["writes_per_app"]["settled"]["conflicts"] == 0
    noop = figures["noop_resync"]
    assert noop["reconciles"] > 0 and noop["write_requests"] == 0 and noop["events"] == 0
    assert "writes per App until settled" in done.stdout
