"""Speed-ups made for the render benchmark change no result.

``schema._rule_view`` hands a CEL rule only the fields of ``self`` it reads (converting a whole
App spec for every rule was most of a render), and ``schema._string_rule`` runs
``self.matches('<regex>')`` with Python's ``re`` where that is known to agree with CEL. These
tests check, over valid and invalid specs and random strings, that every error found is the same
as when each rule goes to CEL with the whole object.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from konfiguru_generators import schema
from konfiguru_generators.kinds import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import render_bench  # noqa: E402


def _errors(kind: str, spec: dict) -> list[str]:
    crd_spec = REGISTRY[kind].schema()["properties"]["spec"]
    return [str(e) for e in schema.default_and_check(crd_spec, copy.deepcopy(spec), "spec")]


def _app_specs() -> list[dict]:
    fitted = render_bench.fit_app_spec()
    good = [fitted.keep(render_bench.app_spec(i)) for i in range(10)]
    base = good[0]
    bad = [
        {**base, "autoscale": {"min": 5, "max": 2}},
        {**base, "workload": "DaemonSet"},
        {key: value for key, value in base.items() if key != "port"},
        {**base, "rbac": {"rules": []}, "serviceAccount": {"create": False}},
        {**base, "health": {"liveness": {"http": {"path": "/"}, "tcp": {}}}},
        {**base, "autoscale": {"max": 0}, "replicas": -1},
    ]
    return good + bad


def _examples() -> list[tuple[str, dict]]:
    found = []
    for path in sorted((ROOT / "examples").rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text("utf-8")):
            if isinstance(document, dict) and document.get("kind") in REGISTRY:
                found.append((document["kind"], document.get("spec") or {}))
    return found


CASES = [("App", spec) for spec in _app_specs()] + _examples()


@pytest.mark.parametrize(("kind", "spec"), CASES)
def test_rules_seeing_only_the_fields_they_read_find_the_same_errors(kind, spec, monkeypatch):
    fast = _errors(kind, spec)
    monkeypatch.setattr(schema, "_rule_view", lambda expression: None)
    monkeypatch.setattr(schema, "_string_rule", lambda expression: None)
    assert fast == _errors(kind, spec)


def test_invalid_specs_in_the_cases_do_trip_rules():
    # Guards the test above against comparing nothing but empty error lists.
    tripped = [spec for kind, spec in CASES if kind == "App" and _errors(kind, spec)]
    assert len(tripped) >= 4


@pytest.mark.parametrize(
    ("rule", "fields", "presence_only"),
    [
        ("!has(self.autoscale) || self.autoscale.max >= self.autoscale.min", {"autoscale"}, set()),
        (
            "self.workload != 'DaemonSet' || !has(self.autoscale)",
            {"workload", "autoscale"},
            {"autoscale"},
        ),
        ("!has(self.a) || has(self.b.c)", {"a", "b"}, {"a"}),
        ("self.items.all(x, x.a > 1)", {"items"}, set()),
        ("size(self) > 0", None, None),
        ("self.all(k, k != '')", None, None),
        ('self["a"] == 1', None, None),
        ("self.a == 'self'", None, None),
    ],
)
def test_a_rule_reads_only_named_fields_or_else_the_whole_object(rule, fields, presence_only):
    view = schema._rule_view(rule)
    if fields is None:
        assert view is None
    else:
        assert (set(view.fields), set(view.presence_only)) == (fields, presence_only)


def _string_rules() -> list[str]:
    found: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations", ()):
                # Rules of string fields (a map's rule may match its keys: not a string rule).
                if "matches(" in rule["rule"] and node.get("type") == "string":
                    found.add(rule["rule"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for definition in REGISTRY.values():
        collect(definition.schema())
    found |= {"self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')", "self.matches('b+')"}
    return sorted(found)


STRING_RULES = _string_rules()
SAMPLES = [
    "",
    "a",
    "abc",
    "web-1",
    "-web",
    "web-",
    "Web",
    "a.b.c",
    "*.example.com",
    "a..b",
    "x" * 70,
    "a b",
    "a\nb",
    "abc\n",
    "\tab",
    "é",
    "ab\u2028",
    "0123",
    "a_b",
    "a/b",
    "café.example.com",
]


@pytest.mark.parametrize("rule", STRING_RULES)
def test_string_rules_run_in_python_agree_with_cel(rule):
    program = schema._rule(rule)
    for sample in SAMPLES:
        fast = schema.SchemaWalker()
        fast._check_rules({"x-kubernetes-validations": [{"rule": rule}]}, sample, "spec.x")
        assert bool(fast.errors) == (program.execute({"self": sample}) is not True), sample


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STRING_RULES), st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_string_rules_agree_with_cel_on_random_text(rule, text):
    walker = schema.SchemaWalker()
    walker._check_rules({"x-kubernetes-validations": [{"rule": rule}]}, text, "spec.x")
    assert bool(walker.errors) == (schema._rule(rule).execute({"self": text}) is not True)


@pytest.mark.parametrize(
    "rule",
    [
        "self.matches('^[[:alpha:]]+$')",
        "self.matches('^a{,3}$')",
        "self.matches('(a)\\\\1')",
        "self.matches('^(?=a)')",
        "self.matches('^a$') && size(self) > 0",
    ],
)
def test_regexes_the_engines_read_differently_go_to_cel(rule):
    assert schema._string_rule(rule) is None


def test_plain_matches_rules_take_the_python_path():
    assert schema._string_rule("self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')") is not None
    plain = [r for r in STRING_RULES if r.startswith("self.matches(") and r.count("(") == 1]
    assert all(schema._string_rule(rule) is not None for rule in plain)


def test_copy_tree_copies_parsed_data_deeply_and_hands_other_objects_to_deepcopy():
    import datetime

    shared = {"a": [1, 2.5, True, None, "x"]}
    original = {"one": shared, "two": shared, "when": datetime.date(2026, 1, 1), "t": (1, [2])}
    copied = schema.copy_tree(original)
    assert copied == original
    copied["one"]["a"].append("more")
    assert original["one"]["a"] == [1, 2.5, True, None, "x"]
    assert copied["two"]["a"] == [1, 2.5, True, None, "x"]  # aliases become separate copies
    assert copied["t"] == (1, [2]) and copied["t"][1] is not original["t"][1]
