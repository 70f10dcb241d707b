"""The layout's invariants: the standard library's ``operator`` is never shadowed."""

from __future__ import annotations

import importlib
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_operator_is_the_standard_library_module() -> None:
    module = importlib.import_module("operator")
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    origin = getattr(module, "__file__", None)
    # The C-accelerated stdlib module may be built in; then it has no file at all.
    assert origin is None or Path(origin).resolve().is_relative_to(stdlib), origin
    assert hasattr(module, "itemgetter") and hasattr(module, "attrgetter")


def test_source_roots_are_not_packages() -> None:
    for root in ("operator", "generators"):
        assert not (ROOT / root / "__init__.py").exists(), f"{root}/ must stay a source root"


def test_operator_on_sys_path_does_not_shadow_the_stdlib() -> None:
    # Even with the repository root first on sys.path (an editable install, or pytest's
    # rootdir), `import operator` must find the stdlib: operator/ has no __init__.py. Checked in
    # a fresh interpreter: other tests may leave modules named `operator` on this one's path.
    code = "import sys; sys.path.insert(0, sys.argv[1]); import operator; print(operator.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(result.stdout.strip()).resolve().is_relative_to(stdlib), result.stdout
