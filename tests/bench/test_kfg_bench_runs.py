"""The .kfg compile benchmark still runs over every example's .kfg twin (it must not rot).

No time is asserted (targets live in bench/); this checks that every example is measured and the
report carries the figures the README quotes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_kfg_benchmark_measures_compile_and_render_of_every_example(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "kfg_bench.py"), "--repeat", "2", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    measured = {row["file"] for row in figures["files"]}
    examples = {str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.kfg")}
    assert measured == examples
    assert all(row["compile_ms"] > 0 and row["render_ms"] > 0 for row in figures["files"])
    assert "all examples: compile" in done.stdout
