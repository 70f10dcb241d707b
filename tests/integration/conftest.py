"""Fixtures for the integration tests: the real operator process against the API emulator.

``operator`` starts ``python -m konfiguru_operator`` (exactly what ``konfiguru operator run`` and
the container run) as a subprocess against the ``emulator`` fixture's kubeconfig, with a short
resync interval, and waits until its liveness endpoint answers. It can be restarted mid-test and
its log is printed when a test fails. See ``tests/emulator/__init__.py`` for the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from operator_process import OperatorProcess

from emulator import Emulator


@pytest.fixture
def operator(
    emulator: Emulator, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[OperatorProcess]:
    process = OperatorProcess(emulator, tmp_path).start()
    yield process
    process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"---- operator log ----\n{process.log[-20000:]}")
    assert_no_bugs(process)


def assert_no_bugs(process: OperatorProcess) -> None:
    """An exception nobody expected is a bug even when the test's outcome was reached."""
    for marker in ("failed unexpectedly", "failed with an exception"):
        assert marker not in process.log, process.log[-20000:]


@pytest.fixture
def operator_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Start the operator with extra ``KONFIGURU_*`` settings: ``operator_factory(KEY="v")``;
    against the ``emulator`` fixture, or ``on=`` one made by ``emulator_factory``."""
    started: list[OperatorProcess] = []

    def make(
        *args: str, kopf_cli: bool = False, on: Emulator | None = None, **env: str
    ) -> OperatorProcess:
        workdir = tmp_path / f"operator{len(started)}"
        workdir.mkdir()
        target = on if on is not None else request.getfixturevalue("emulator")
        process = OperatorProcess(target, workdir, **env).start(*args, kopf_cli=kopf_cli)
        started.append(process)
        return process

    yield make
    for process in started:
        process.stop()
        assert_no_bugs(process)
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for process in started:
            print(f"---- operator log ----\n{process.log[-20000:]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
