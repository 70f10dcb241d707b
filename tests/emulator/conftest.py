"""Fixtures for the emulator's own tests: ``emu`` is a fresh emulator with only the test CRD."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .harness import Emulator
from .samples import WIDGET_CRD


@pytest.fixture
def emu(emulator_factory: Callable[..., Emulator]) -> Emulator:
    emulator = emulator_factory(crds=[])
    emulator.create(WIDGET_CRD)
    return emulator
