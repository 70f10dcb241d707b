"""Speed-ups made for the render benchmark change no result.

``schema._rule_fields`` hands a CEL rule only the fields of ``self`` it reads (converting a whole
App spec for every rule was most of a render). These tests check, over valid and invalid specs,
that every error found is the same as when each rule sees the whole object.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml

from konfiguru_generators import schema
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.resources import version_schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import render_bench  # noqa: E402


def _errors(kind: str, spec: dict) -> list[str]:
    crd_spec = version_schema(REGISTRY[kind].crd_file)["properties"]["spec"]
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
    monkeypatch.setattr(schema, "_rule_fields", lambda expression: None)
    assert fast == _errors(kind, spec)


def test_invalid_specs_in_the_cases_do_trip_rules():
    # Guards the test above against comparing nothing but empty error lists.
    tripped = [spec for kind, spec in CASES if kind == "App" and _errors(kind, spec)]
    assert len(tripped) >= 4


@pytest.mark.parametrize(
    ("rule", "fields"),
    [
        ("!has(self.autoscale) || self.autoscale.max >= self.autoscale.min", {"autoscale"}),
        ("self.workload != 'DaemonSet' || !has(self.autoscale)", {"workload", "autoscale"}),
        ("self.items.all(x, x.a > 1)", {"items"}),
        ("size(self) > 0", None),
        ("self.all(k, k != '')", None),
        ('self["a"] == 1', None),
        ("self.a == 'self'", None),
    ],
)
def test_a_rule_reads_only_named_fields_or_else_the_whole_object(rule, fields):
    found = schema._rule_fields(rule)
    assert (None if found is None else set(found)) == fields
