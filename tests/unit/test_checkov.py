"""checkov finds nothing in the rendered examples beyond the checks skipped, with reasons, in
``.checkov.yaml``.

checkov runs once per session (it takes ~10 s) on a temporary directory holding what
``konfiguru render`` prints for every example and good fixture. It runs outside the repository
so it does not load ``.checkov.yaml`` itself: the test applies the skip list, which lets it also
spot skips that nothing needs any more.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kfgtest

CONFIG = kfgtest.ROOT / ".checkov.yaml"
_SKIP_LINE = re.compile(r"^\s*-\s*(CKV\w+)\s*(?:#\s*(.*))?$")


def skip_list() -> dict[str, str]:
    """Check id → reason, from the ``skip-check:`` list of ``.checkov.yaml``."""
    skips: dict[str, str] = {}
    in_list = False
    for line in CONFIG.read_text("utf-8").splitlines():
        if re.match(r"^skip-check:\s*$", line):
            in_list = True
            continue
        if in_list and re.match(r"^\S", line):
            in_list = False
        match = _SKIP_LINE.match(line) if in_list else None
        if match:
            skips[match.group(1)] = (match.group(2) or "").strip()
    return skips


def _checkov() -> list[str]:
    found = shutil.which("checkov", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "checkov.main"]


@pytest.fixture(scope="session")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("checkov")
    rendered = out / "rendered"
    rendered.mkdir()
    for case in kfgtest.corpus():
        (rendered / (case.id.replace("/", "__") + ".yaml")).write_text(
            kfgtest.cli_render_text(case.path), "utf-8"
        )
    result = subprocess.run(
        [
            *_checkov(),
            "-d",
            str(rendered),
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",  # no network: guidelines and policies are not needed
        ],
        cwd=out,  # not the repository: checkov would load .checkov.yaml from the cwd
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode not in (0, 1):  # 1 means "some check failed"
        pytest.fail(f"checkov exited {result.returncode}:\n{result.stderr[-3000:]}")
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [check for report in reports for check in report["results"]["failed_checks"]]
    summary = {
        key: sum(report["summary"][key] for report in reports)
        for key in ("passed", "failed", "parsing_errors", "resource_count")
    }
    return {"failed": failed, "summary": summary}


def _describe(check: dict[str, Any]) -> str:
    return f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"


def test_checkov_finds_no_failed_check_beyond_the_skip_list(checkov_report: dict[str, Any]) -> None:
    skips = skip_list()
    unexpected = [_describe(c) for c in checkov_report["failed"] if c["check_id"] not in skips]
    assert not unexpected, (
        "checkov failures (fix the generator, or skip the check in .checkov.yaml with a reason):\n"
        + "\n".join(unexpected)
    )


def test_checkov_really_checked_every_rendered_object(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    objects = sum(len(kfgtest.rendered(case.path)) for case in kfgtest.corpus())
    assert summary["parsing_errors"] == 0, summary
    assert summary["resource_count"] >= objects * 0.9, (summary, objects)
    assert summary["passed"] > 0, summary


def test_every_skipped_check_has_a_reason() -> None:
    skips = skip_list()
    assert skips, f"{CONFIG} has no skip-check list"
    missing = sorted(check for check, reason in skips.items() if len(reason) < 20)
    assert not missing, f"skips without a reason in {CONFIG.name}: {missing}"


def test_every_skip_is_needed_by_a_rendered_object(checkov_report: dict[str, Any]) -> None:
    # A skip nothing needs any more would hide the next object that fails that check.
    triggered = {check["check_id"] for check in checkov_report["failed"]}
    stale = sorted(set(skip_list()) - triggered)
    assert not stale, f"{CONFIG.name} skips checks no rendered example fails any more: {stale}"


def _iter_skip_lines() -> Iterator[str]:
    yield from (line for line in CONFIG.read_text("utf-8").splitlines() if "CKV" in line)


def test_the_skip_list_parser_reads_every_listed_check() -> None:
    listed = [line for line in _iter_skip_lines() if line.lstrip().startswith("-")]
    assert len(listed) == len(skip_list())
