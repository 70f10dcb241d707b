"""The fast template path (slots filled from kept JSON) builds exactly what the text path builds.

``rendering._render_fast`` skips re-parsing the JSON of every ``tojson`` value; these tests
render every example, every test fixture, the benchmark's Apps and a spec full of YAML-hostile
values both ways and require the very same objects (compared by ``repr``, so ``1``, ``1.0``,
``True`` and ``"1"`` and key order all count).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import pytest
import yaml

import kfgtest
import konfiguru_generators as kg
from konfiguru_generators import rendering

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import render_bench  # noqa: E402

SEEDED = kg.Existing(secret_seed=b"fast-path-test-seed")
HOSTILE = kfgtest.YAML_HOSTILE


def _resources() -> list[tuple[str, dict]]:
    found = []
    for base in (ROOT / "examples", ROOT / "tests" / "golden", ROOT / "tests" / "fixtures"):
        for path in sorted(base.rglob("*.y*ml")):
            if "bad" in path.parts or "expected" in path.name:
                continue
            try:
                documents = list(yaml.safe_load_all(path.read_text("utf-8")))
            except yaml.YAMLError:
                continue
            for index, document in enumerate(documents):
                if isinstance(document, dict) and document.get("kind") in kg.KINDS:
                    found.append((f"{path.relative_to(ROOT)}#{index}", document))
    fitted = render_bench.fit_app_spec()
    for i in range(5):
        spec = fitted.keep(render_bench.app_spec(i))
        found.append((f"bench-app-{i}", render_bench.envelope("App", f"bench-{i}", spec)))
    hostile = fitted.keep(render_bench.app_spec(7))
    hostile["env"] = {f"V{n}": value for n, value in enumerate(HOSTILE)}
    if "config" in hostile:
        hostile["config"]["data"] = {f"k{n}": value for n, value in enumerate(HOSTILE)}
        hostile["config"]["files"].append(
            {
                "name": "numbers.json",
                "format": "json",
                "content": {"small": 1e-05, "big": 1e20, "half": 0.5, "neg": -0.0, "int": 10**20},
            }
        )
    found.append(("hostile-values", render_bench.envelope("App", "hostile", hostile)))
    return found


RESOURCES = _resources()


def _render(document: dict) -> str:
    try:
        return repr(kg.render(document, SEEDED))
    except kg.SpecError as error:
        return f"SpecError: {error}"


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=[w for w, _ in RESOURCES])
def test_fast_path_builds_the_same_objects_as_parsing_the_text(where, document, monkeypatch):
    fast = _render(document)
    monkeypatch.setattr(rendering, "_render_fast", lambda *args: None)
    assert fast == _render(document)


def test_the_fast_path_is_taken_for_every_package_template(monkeypatch):
    slow: list[str] = []
    original = rendering._render_fast

    def spy(env, template, context):
        result = original(env, template, context)
        if result is None:
            slow.append(template)
        return result

    monkeypatch.setattr(rendering, "_render_fast", spy)
    for _, document in RESOURCES:
        _render(document)
    assert slow == []


@pytest.mark.parametrize(
    "template_text",
    [
        'a: "{{ v | tojson }}"',  # quoted: the text path gives a different (broken) value
        "a: '{{ v | tojson }}'",
        "a: x{{ v | tojson }}",
        "a: {{ v | tojson | length }}",
        "a: |\n  {{ v | tojson }}",
        "a: &x {{ v | tojson }}\nb: *x",
        "<<: {{ v | tojson }}",
        "{% set x = v | tojson %}a: {{ x }}\nb: {{ x }}",  # one value, two objects in the text
    ],
)
def test_templates_using_tojson_other_than_as_a_whole_value_take_the_text_path(template_text):
    env = rendering.package_environment().overlay(
        loader=jinja2.DictLoader({"t.yaml.j2": template_text})
    )
    assert rendering._render_fast(env, "t.yaml.j2", {"v": {"k": "v"}}) is None
