"""Shared pytest configuration: the ``--update-golden`` switch, hypothesis profiles, fixtures.

Generic helpers (corpus discovery, cached renders, strict Kubernetes validation) live in
``tests/kfgtest.py``; this directory is on ``sys.path`` so tests ``import kfgtest``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

ROOT = Path(__file__).resolve().parent.parent

# The Kubernetes API emulator's fixtures (`emulator`, `emulator_factory`): emulator/fixtures.py.
pytest_plugins = ["emulator.fixtures"]
TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:  # prepend import mode already does this; other modes may not
    sys.path.insert(0, TESTS)

# CI must be reproducible: derandomized examples, no example database carried between runs.
# Locally, hypothesis explores new examples on every run (and remembers failures).
# No shrinking in CI: shrinking a render-and-validate failure can take minutes; the unshrunk
# example is printed all the same, and a developer reruns locally to get it minimal.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current generator output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
