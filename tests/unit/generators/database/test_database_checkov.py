"""checkov finds nothing in the Database examples' output beyond the exceptions listed here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import kfgtest

# Each exception, and why the generated objects are right as they are.
EXCEPTIONS = {
    "CKV_K8S_11": "no CPU limit by default: throttling a database slows every client; "
    "resources.cpuLimit sets one",
    "CKV_K8S_15": "images are pinned by version tag, so IfNotPresent is the right pull policy",
    "CKV_K8S_21": "the examples name no namespace: they are applied to kubectl's namespace",
    "CKV_K8S_35": "the official images read credentials from environment variables only "
    "(redis needs $(REDIS_PASSWORD) in its arguments); values come from the generated Secret",
    "CKV_K8S_40": "the official images own their files as UID 999; another UID cannot run them",
    "CKV_K8S_43": "digests are the user's choice: spec.image accepts image@sha256:...",
}
CHECKOV = Path(sys.executable).with_name("checkov")


@pytest.mark.slow
@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov is not installed in this venv")
def test_checkov_passes_every_database_example_except_the_listed_exceptions(
    tmp_path: Path,
) -> None:
    cases = [case for case in kfgtest.corpus() if case.id.startswith("examples/databases/")]
    assert cases
    for case in cases:
        target = tmp_path / case.path.name.replace(".kfg.yaml", ".yaml")
        target.write_text(kfgtest.cli_render_text(case.path), "utf-8")
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(tmp_path),
            "--framework",
            "kubernetes",
            "--quiet",
            "--compact",
            "-o",
            "json",
            "--skip-check",
            ",".join(EXCEPTIONS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{CHECKOV.parent}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    passed = sum(report["summary"]["passed"] for report in reports)
    assert passed > 100, f"checkov checked almost nothing: {result.stderr[-2000:]}"
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']}"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
