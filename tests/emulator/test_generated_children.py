"""Every child the generators render for the examples is accepted by the emulator as a real API
server would accept it (names, labels, per-kind rules), and applying it again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .harness import ROOT, Emulator

EXAMPLES = sorted((ROOT / "examples").rglob("*.kfg.yaml"))


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    """One emulator for all examples, without simulated controllers (their status writes
    would count as writes)."""
    emulator = Emulator(controllers=False, workdir=tmp_path_factory.mktemp("children")).start()
    yield emulator
    emulator.stop()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_rendered_children_are_accepted_and_reapplying_them_is_a_no_op(quiet, path: Path):
    from konfiguru_generators.pipeline import render

    for document in yaml.safe_load_all(path.read_text()):
        if not document:
            continue
        namespace = document.get("metadata", {}).get("namespace") or "default"
        quiet.ensure_namespace(namespace)
        quiet.apply(document, manager="kubectl")
        children = [dict(child) for child in render(document)]
        for child in children:
            quiet.apply(child, manager="konfiguru")
        writes = quiet.writes["update"] + quiet.writes["create"]
        for child in children:
            quiet.apply(child, manager="konfiguru")
        assert quiet.writes["update"] + quiet.writes["create"] == writes
