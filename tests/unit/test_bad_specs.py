"""Bad specs get one clear message naming the field, the bad value and what is accepted.

Data-driven: every ``tests/fixtures/bad/*.kfg.yaml`` holds one resource with one mistake and
``# expect: <fragment>`` lines; ``# errors: N`` when more than one error is expected. Anyone can
add a case by dropping in a file (see ``tests/fixtures/bad/README.md``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import kfgtest
from konfiguru_generators import SpecError, render
from konfiguru_generators.cli import main

BAD = sorted((kfgtest.FIXTURES / "bad").glob("*.kfg.yaml"))
_EXPECT = re.compile(r"^#\s*expect:\s*(.+?)\s*$", re.MULTILINE)
_ERRORS = re.compile(r"^#\s*errors:\s*(\d+)\s*$", re.MULTILINE)


def expectations(path: Path) -> tuple[list[str], int]:
    text = path.read_text("utf-8")
    expected = _EXPECT.findall(text)
    count = _ERRORS.search(text)
    return expected, int(count.group(1)) if count else 1


@pytest.mark.parametrize("path", BAD, ids=[p.name.removesuffix(".kfg.yaml") for p in BAD])
def test_bad_spec_gives_one_clear_message_naming_the_field(path: Path) -> None:
    expected, count = expectations(path)
    assert expected, f"{path.name} has no '# expect: <message fragment>' line"
    (document,) = kfgtest.documents(path)
    with pytest.raises(SpecError) as caught:
        render(document)
    error = caught.value
    assert len(error.errors) == count, f"expected {count} error(s), got:\n{error.message}"
    for fragment in expected:
        assert fragment in error.message, f"{fragment!r} not in:\n{error.message}"


@pytest.mark.parametrize("path", BAD, ids=[p.name.removesuffix(".kfg.yaml") for p in BAD])
def test_konfiguru_validate_prints_the_same_message_and_exits_1(path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", "-f", str(path)], out=out, err=err) == 1
    text = err.getvalue()
    assert text.startswith(f"{path}: "), "the message says which file"
    for fragment in expectations(path)[0]:
        assert fragment in text
    assert "Traceback" not in text


def test_there_are_bad_spec_cases_for_every_registered_kind() -> None:
    from konfiguru_generators.kinds import REGISTRY

    kinds = {kfgtest.documents(path)[0].get("kind") for path in BAD}
    missing = sorted(set(REGISTRY) - kinds)
    assert not missing, f"no tests/fixtures/bad case for kinds {missing}"
