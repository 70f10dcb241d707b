"""Fixtures for the operator's unit tests: a reconciler on a fake client, an App in the store."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from operator_fakes import APP, FakeClient, Harness

from konfiguru_operator import reconciler as reconciler_module


@pytest.fixture
def app() -> dict[str, Any]:
    return copy.deepcopy(APP)


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> Harness:
    h = Harness(FakeClient())
    monkeypatch.setattr(
        reconciler_module,
        "_post",
        lambda target, type_, reason, message: h.events.append((type_, reason, message)),
    )
    return h
