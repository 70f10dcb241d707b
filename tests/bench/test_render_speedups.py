"""Speed-ups of the render path (bench/README.md) change no output.

``warm_up()`` compiles ahead and freezes the garbage collector's view of what it loaded; the
renders after it must equal those before it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import konfiguru_generators as kg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import render_bench  # noqa: E402

SEEDED = kg.Existing(secret_seed=b"speedup-tests")


@pytest.fixture
def unfrozen_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def _bench_documents() -> list[dict]:
    mix = render_bench.build_mix()
    return [document for i in range(4) for document in mix.unit(i)]


def test_warm_up_freezes_what_it_loaded_and_renders_stay_the_same(unfrozen_afterwards):
    documents = _bench_documents()
    before = [repr(kg.render(document, SEEDED)) for document in documents]
    kg.warm_up()
    assert gc.get_freeze_count() > 0
    after = [repr(kg.render(document, SEEDED)) for document in documents]
    assert after == before
