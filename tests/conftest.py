"""Shared pytest configuration: the ``--update-golden`` switch, hypothesis profiles, fixtures.

Generic helpers (corpus discovery, cached renders, strict Kubernetes validation) live in
``tests/kfgtest.py``; this directory is on ``sys.path`` so tests ``import kfgtest``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
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


def pytest_configure(config: pytest.Config) -> None:
    # The corpus renders the repository's plugins' examples through their installed entry
    # points (as users install plugins): without them nearly every generic test would fail.
    from importlib.metadata import entry_points

    installed = {ep.name for ep in entry_points(group="konfiguru.kinds")}
    missing = sorted({p.name.removeprefix("konfiguru-") for p in (ROOT / "plugins").iterdir()})
    missing = [name for name in missing if name not in installed]
    if missing:
        pytest.exit(
            f"plugins {missing} are not installed; run the README's second command (or"
            " .venv/bin/pip install -e plugins/konfiguru-edgedevice)",
            returncode=4,
        )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


# --- a built wheel, installed in a fresh virtual environment (session-wide: ~6 s to build) ----
# Used by tests/unit/test_wheel.py; other tests that need "the package as users install it"
# should take these fixtures instead of building their own.
_WHEEL_SOURCES = ("pyproject.toml", "README.md", "generators", "operator", "crds")


@pytest.fixture(scope="session")
def wheel_sources() -> tuple[str, ...]:
    """The top-level paths ``konfiguru_wheel`` is built from (the Dockerfile test compares them
    with the Docker build context)."""
    return _WHEEL_SOURCES


@pytest.fixture(scope="session")
def konfiguru_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The konfiguru wheel, built offline from a clean copy of the sources (symlinks kept)."""
    source = tmp_path_factory.mktemp("wheel-source")
    for name in _WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name,
                source / name,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(out), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("konfiguru-*.whl")
    return built


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory, konfiguru_wheel: Path) -> Path:
    """A fresh virtual environment with only the wheel installed; dependencies come from .venv
    through a .pth path line (offline, fast). The editable install stays invisible: its finder
    is activated by a .pth file in .venv, and a plain path entry processes no .pth files."""
    home = tmp_path_factory.mktemp("wheel-venv")
    venv.create(home, with_pip=False, symlinks=True)
    site = next(home.glob("lib/python3*/site-packages"))
    deps = sysconfig.get_paths()["purelib"]
    (site / "zz-dependencies.pth").write_text(f"{deps}\n", "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(home / "bin" / "python"), "install",
         "--no-deps", "--no-index", "-q", str(konfiguru_wheel)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return home
