"""Speed-ups of the render path (bench/README.md) change no output.

``warm_up()`` compiles ahead and freezes the garbage collector's view of what it loaded; the
renders after it must equal those before it. ``configformats.write`` remembers the text of
recent small files (the App checks and the renderer write each file): data that differs in any
way, even only in a value's type or the order of keys, must still get its own text. Template
values are copied in Python when they are plain data; the copies must equal JSON's. CEL results
are remembered for small scalar inputs; they must equal CEL's, types included.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest

import konfiguru_generators as kg
from konfiguru_generators import configformats, rendering, schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import render_bench  # noqa: E402

SEEDED = kg.Existing(secret_seed=b"speedup-tests")


@pytest.fixture
def unfrozen_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def _bench_documents() -> list[dict]:
    mix = render_bench.build_mix()
    return [document for i in range(4) for document in mix.unit(i)]


def test_warm_up_freezes_what_it_loaded_and_renders_stay_the_same(unfrozen_afterwards):
    documents = _bench_documents()
    before = [repr(kg.render(document, SEEDED)) for document in documents]
    kg.warm_up()
    assert gc.get_freeze_count() > 0
    after = [repr(kg.render(document, SEEDED)) for document in documents]
    assert after == before


def _written_afresh(fmt: str, content: object) -> str:
    return configformats._WRITERS[fmt](configformats._plain(content, ""))


# Contents that JSON or YAML could confuse: same text for different data would be a bug.
LOOKALIKES = [
    {"a": 1},
    {"a": 1.0},
    {"a": True},
    {"a": "1"},
    {"a": "true"},
    {"a": None},
    {"a": "null"},
    {None: 1},
    {"null": 1},
    {1: "x"},
    {"a": 1, "b": [1, 2]},
    {"b": [1, 2], "a": 1},
    {"a": [2, 1]},
    {"a": 1e-05},
    {"a": 10**20},
    {"a": "line\nbreak \u2028 ünïcode"},
]


@pytest.mark.parametrize("fmt", ["yaml", "json", "properties", "toml"])
def test_remembered_config_texts_equal_a_fresh_write_for_lookalike_data(fmt):
    for _ in range(2):  # the second round is answered from memory
        for content in LOOKALIKES:
            if fmt == "toml" and None in content.values():
                continue  # TOML cannot hold null (its own test)
            assert configformats.write(fmt, content) == _written_afresh(fmt, content), content


def test_unwritable_config_content_is_reported_on_every_write():
    for _ in range(2):
        with pytest.raises(configformats.FormatError):
            configformats.write("ini", {"section": {"key": {"nested": 1}}})


def test_large_config_files_are_written_without_being_remembered():
    content = {"blob": "x" * (configformats._REMEMBER_UP_TO + 1)}
    remembered = configformats._write_remembered.cache_info().currsize
    assert configformats.write("yaml", content) == _written_afresh("yaml", content)
    assert configformats._write_remembered.cache_info().currsize == remembered


class _Text(str):
    pass


# Values a renderer may hand to a template: plain data and everything only JSON can copy right.
TEMPLATE_VALUES = [
    {"a": {"b": [1, "x", True, None, {"c": []}]}, "d": {}},
    [[], [{}], "s", 0, False],
    {"ratio": 0.5, "tiny": 1e-05, "big": 1e20},
    {"pair": (1, 2)},
    {1: "int key", None: "null key"},
    {True: "bool key", "x": [1]},
    {"text": _Text("a str subclass")},
    {"a": {"b": [(1.5, "x")]}},
]


def _json_round_trip(value: object) -> object:
    return rendering._DECODER.decode(rendering._ENCODER.encode(value))


@pytest.mark.parametrize("value", TEMPLATE_VALUES, ids=repr)
def test_template_value_copies_equal_a_json_round_trip(value):
    (copy,) = rendering._json_copies([value])
    assert repr(copy) == repr(_json_round_trip(value))


def test_template_value_copies_share_no_container_with_the_original():
    value = {"a": {"b": [{"c": 1}]}, "d": [[1]]}
    (copy,) = rendering._json_copies([value])
    assert copy == value
    assert copy is not value and copy["a"] is not value["a"]
    assert copy["a"]["b"] is not value["a"]["b"] and copy["a"]["b"][0] is not value["a"]["b"][0]
    assert copy["d"][0] is not value["d"][0]


def test_a_template_value_json_cannot_hold_still_fails_as_with_tojson():
    with pytest.raises(TypeError):
        rendering._json_copies([{"a": object()}])
    with pytest.raises(ValueError):
        rendering._json_copies([{"a": float("nan")}])


def test_package_templates_render_to_the_same_text_as_template_render():
    env = rendering.package_environment()
    context = {"name": "web", "labels": {"app": "web"}, "data": {"k": "v"}}
    expected = env.get_template("app/configmap.yaml.j2").render(context)
    assert rendering._render_text(env, "app/configmap.yaml.j2", context) == expected


def test_template_errors_are_raised_as_template_render_raises_them():
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": "a: {{ missing.field }}"}),
        undefined=jinja2.StrictUndefined,
    )
    with pytest.raises(jinja2.UndefinedError) as expected:
        env.get_template("t.j2").render({})
    with pytest.raises(jinja2.UndefinedError) as raised:
        rendering._render_text(env, "t.j2", {})
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("rule", "self_value"),
    [
        ("self.x == 1", {"x": 1}),
        ("self.x == 1", {"x": True}),
        ("self.x == true", {"x": 1}),
        ("self.x == true", {"x": True}),
        ("self.x == 'a'", {"x": "a"}),
        ("self.x == 1", {"x": 1.0}),
        ("!has(self.y) || self.x != 'a'", {"x": "a", "y": True}),
        ("has(self.x) && self.x.size() > 1", {"x": [1, 2]}),
    ],
)
def test_remembered_rule_results_equal_cel_for_inputs_that_differ_only_in_type(rule, self_value):
    def direct() -> object:
        try:
            return schema._rule(rule).execute({"self": self_value})
        except Exception as error:  # noqa: BLE001 - the error itself is compared
            return type(error)

    def remembered() -> object:
        try:
            return schema._run_rule(rule, self_value)
        except Exception as error:  # noqa: BLE001
            return type(error)

    expected = direct()
    assert remembered() == expected
    assert remembered() == expected  # answered from memory the second time
