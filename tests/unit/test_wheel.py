"""A built wheel renders: templates and CRDs ship as package data and are found from the wheel.

An editable install reads templates and CRDs from the source tree, so a missing
``package-data`` line would go unnoticed until a user ran ``pip install konfiguru``. These tests
build the wheel (``konfiguru_wheel``, session fixture in ``tests/conftest.py``), install it in a
fresh virtual environment without the source tree, and run ``konfiguru`` from a directory
outside the repository.
"""

from __future__ import annotations

import difflib
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

import kfgtest
from konfiguru_generators.cli import main

PACKAGE = kfgtest.ROOT / "generators" / "konfiguru_generators"


def test_the_wheel_holds_every_template_and_crd_byte_for_byte(konfiguru_wheel: Path) -> None:
    wheel = zipfile.ZipFile(konfiguru_wheel)
    expected = {
        f"konfiguru_generators/templates/{p.relative_to(PACKAGE / 'templates').as_posix()}": p
        for p in (PACKAGE / "templates").rglob("*.j2")
    } | {f"konfiguru_generators/crds/{p.name}": p for p in kfgtest.crd_files()}
    missing = sorted(set(expected) - set(wheel.namelist()))
    assert not missing, f"not in the wheel: {missing}"
    changed = [name for name, path in expected.items() if wheel.read(name) != path.read_bytes()]
    assert not changed, f"differ from the sources: {changed}"
    assert "konfiguru_generators/py.typed" in wheel.namelist()


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "konfiguru"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},  # no KONFIGURU_SECRET_SEED, no venv
    )


def test_konfiguru_from_the_wheel_renders_the_examples_like_the_source_tree(
    wheel_venv: Path, tmp_path: Path
) -> None:
    shutil.copytree(kfgtest.EXAMPLES, tmp_path / "examples")
    result = _run(wheel_venv, "render", "-f", "examples", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", "-f", str(tmp_path / "examples")], out=out, err=err) == 0
    if result.stdout != out.getvalue():
        diff = difflib.unified_diff(
            out.getvalue().splitlines(keepends=True),
            result.stdout.splitlines(keepends=True),
            "sources",
            "wheel",
            n=2,
        )
        pytest.fail("the wheel renders differently from the sources:\n" + "".join(diff)[:5000])
    assert len([o for o in yaml.safe_load_all(result.stdout) if o]) > 0


def test_konfiguru_from_the_wheel_reads_templates_and_crds_from_the_wheel(
    wheel_venv: Path, tmp_path: Path
) -> None:
    code = (
        "import importlib.resources as r, konfiguru_generators as k\n"
        "print(k.__file__)\n"
        "print(r.files('konfiguru_generators').joinpath('crds', 'app.yaml'))\n"
        "print(r.files('konfiguru_generators').joinpath('templates'))\n"
    )
    result = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
    )
    for line in result.stdout.split():
        assert Path(line).resolve().is_relative_to(wheel_venv.resolve()), line
        assert not Path(line).resolve().is_relative_to(kfgtest.ROOT), line


def test_konfiguru_crds_from_the_wheel_prints_every_crd(wheel_venv: Path, tmp_path: Path) -> None:
    result = _run(wheel_venv, "crds", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = {d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout) if d}
    assert names == {kfgtest.load_crd(p)["metadata"]["name"] for p in kfgtest.crd_files()}
