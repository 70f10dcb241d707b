"""Pytest fixtures for the Kubernetes API emulator (registered from ``tests/conftest.py``).

``emulator``: a fresh :class:`emulator.Emulator` per test, running on 127.0.0.1 with the CRDs from
``crds/`` loaded, ``KUBECONFIG`` pointing at its kubeconfig for the duration of the test (so an
in-process ``kopf`` / ``KopfRunner`` connects to it), stopped afterwards.
``emulator_factory``: start more (or differently configured) emulators in one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import Emulator


@pytest.fixture
def emulator_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        options.setdefault("workdir", tmp_path_factory.mktemp("emulator"))
        emulator = Emulator(**options).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in reversed(started):
        emulator.stop()


@pytest.fixture
def emulator(
    emulator_factory: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> Emulator:
    emu = emulator_factory()
    monkeypatch.setenv("KUBECONFIG", str(emu.kubeconfig))
    return emu


@pytest.fixture
def kubeconfig(emulator: Emulator) -> Path:
    return emulator.kubeconfig
