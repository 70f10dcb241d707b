"""The layout's invariants: the standard library's ``operator`` is never shadowed."""

from __future__ import annotations

import importlib
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
    # Even with the source root first on sys.path (an editable install, or pytest's rootdir),
    # `import operator` must find the stdlib: the directory has no __init__.py.
    sys.path.insert(0, str(ROOT))
    try:
        sys.modules.pop("operator", None)
        module = importlib.import_module("operator")
        assert hasattr(module, "itemgetter")
    finally:
        sys.path.remove(str(ROOT))
