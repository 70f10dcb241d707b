"""Kopf itself connects to the emulator (through KUBECONFIG) and reconciles through faults."""

from __future__ import annotations

import contextlib
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

kopf_testing = pytest.importorskip("kopf.testing")

OPERATOR = textwrap.dedent(
    """
    import kopf

    @kopf.on.startup()
    def configure(settings, **_):
        settings.posting.level = 100  # no log events; the handler posts its own
        settings.networking.error_backoffs = [0.1, 0.2, 0.3]
        settings.watching.reconnect_backoff = 0.1

    @kopf.on.create("test.konfiguru.io", "v1", "widgets")
    @kopf.on.update("test.konfiguru.io", "v1", "widgets")
    def reconcile(spec, meta, patch, body, **_):
        patch.status["observedGeneration"] = meta["generation"]
        ready = {"type": "Ready", "status": "True", "reason": "Sized", "message": str(spec["size"])}
        patch.status["conditions"] = [ready]
        kopf.event(body, type="Normal", reason="Reconciled", message="ok")
    """
)


@contextlib.contextmanager
def _on_sys_path_for_a_while(directory: Path) -> Iterator[None]:
    """``directory`` first on sys.path, and sys.path exactly as before afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(directory))
        yield


def test_a_kopf_operator_reconciles_widgets_through_faults_and_dropped_watches(
    emu, tmp_path: Path, monkeypatch
):
    from .samples import widget

    # Not "operator.py": Kopf puts the script's directory first on sys.path for good, where a
    # module of that name would shadow the standard library's for every later test. The
    # MonkeyPatch context takes that directory off sys.path again.
    script = tmp_path / "widget_operator.py"
    script.write_text(OPERATOR)
    monkeypatch.setenv("KUBECONFIG", str(emu.kubeconfig))
    with (
        _on_sys_path_for_a_while(tmp_path),
        kopf_testing.KopfRunner(["run", "-A", "--standalone", str(script)], timeout=30) as runner,
    ):
        emu.wait_for(lambda: emu.watch_count("wdg") >= 1, timeout=10)
        emu.create(widget("w", size=1))

        def observed(generation):
            return lambda w: (w.get("status") or {}).get("observedGeneration") == generation

        emu.wait_for_object("wdg", "w", predicate=observed(1), timeout=10)
        emu.faults.add("PATCH", r"/widgets/w", status=500, times=2)
        emu.drop_watches("wdg")
        time.sleep(0.2)
        emu.patch("wdg", "w", {"spec": {"size": 2}})
        emu.wait_for_object("wdg", "w", predicate=observed(2), timeout=15)
        assert emu.get("wdg", "w")["status"]["conditions"][0]["message"] == "2"
        reasons = [e.get("reason") for e in emu.list("events", "default")]
        assert reasons.count("Reconciled") >= 2
        emu.delete("wdg", "w")
        emu.wait_for_absence("wdg", "w", timeout=10)
    assert runner.exception is None, runner.output
    assert str(tmp_path) not in sys.path, "the script's directory stayed on sys.path"
