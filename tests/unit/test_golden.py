"""Golden files: every example renders to exactly the YAML committed under ``tests/golden/``.

``examples/shop/web.kfg.yaml`` → ``tests/golden/examples/shop/web.yaml``; good fixtures
(``tests/fixtures/good/x.kfg.yaml``) → ``tests/golden/fixtures/x.yaml``. The text is what
``konfiguru render -f FILE --secret-seed-file tests/fixtures/golden-secret-seed`` prints, so
generated Secrets appear and stay stable. After an intended change, run
``pytest tests/unit/test_golden.py --update-golden`` and review the diff like code.
"""

from __future__ import annotations

import difflib

import pytest

import kfgtest

CASES = kfgtest.corpus()
UPDATE_HINT = "run `.venv/bin/python -m pytest tests/unit/test_golden.py --update-golden`"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_example_renders_exactly_its_golden_file(case: kfgtest.Case, update_golden: bool) -> None:
    actual = kfgtest.cli_render_text(case.path)
    if update_golden:
        case.golden.parent.mkdir(parents=True, exist_ok=True)
        case.golden.write_text(actual, "utf-8")
        return
    if not case.golden.exists():
        pytest.fail(
            f"no golden file {case.golden.relative_to(kfgtest.ROOT)} for {case.path}: {UPDATE_HINT}"
        )
    expected = case.golden.read_text("utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{case.id}.yaml",
                tofile="rendered",
                n=2,
            )
        )
        pytest.fail(f"{case.path} no longer renders its golden file ({UPDATE_HINT}):\n{diff}")


def test_every_golden_file_belongs_to_an_example(update_golden: bool) -> None:
    expected = {case.golden for case in CASES}
    orphans = sorted(p for p in kfgtest.GOLDEN.rglob("*.yaml") if p not in expected)
    if update_golden:
        for orphan in orphans:
            orphan.unlink()
        return
    assert not orphans, f"golden files without an example (remove them or {UPDATE_HINT}): " + (
        ", ".join(str(p.relative_to(kfgtest.ROOT)) for p in orphans)
    )


def test_the_corpus_has_examples_of_every_registered_kind() -> None:
    from konfiguru_generators.kinds import REGISTRY

    covered = {doc.get("kind") for _, doc in kfgtest.all_resources() if isinstance(doc, dict)}
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"kinds with no example or good fixture to render: {missing}"


def test_goldens_are_rendered_with_generated_secrets_visible() -> None:
    # The seed file must exist and be non-empty, or generated Secrets silently vanish from the
    # goldens (the CLI leaves them out without a seed).
    assert kfgtest.golden_seed(), f"{kfgtest.GOLDEN_SEED_FILE} must hold a seed"
