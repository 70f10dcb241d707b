"""Schema drift: every spec field a generator reads is declared in its CRD.

Each example (and a batch of random specs drawn from the CRD) is rendered with its spec wrapped
in ``kfgtest.RecordingDict``, which logs the schema path of every key the kind's ``check`` and
``render`` ask for, present or not (``spec.get("autoscale")`` counts even when unset). A path the
CRD does not declare means the generator reads a field users cannot set (a typo, or a field
renamed in the CRD but not in Python).

The reverse direction (declared fields no example makes the generator read) is pinned, not
forbidden: a field may be read only under conditions no example covers, and an example per field
would make examples unreadable. The gaps are listed in ``tests/fixtures/unread-fields.txt``; the
test fails when a new gap appears or a listed one closes, so each is a decision, not noise.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kfgtest
from konfiguru_generators import API, SpecError
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.schema import iter_schema_paths

RESOURCES = [(where, doc) for where, doc in kfgtest.all_resources() if isinstance(doc, dict)]
KINDS = sorted(REGISTRY)


def declared(kind: str) -> set[str]:
    return set(iter_schema_paths(REGISTRY[kind].schema()["properties"]["spec"]))


def undeclared_reads(kind: str, paths: set[str]) -> list[str]:
    return sorted(paths - declared(kind))


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=[w for w, _ in RESOURCES])
def test_every_spec_field_the_generator_reads_is_declared_in_the_crd(
    where: str, document: dict[str, Any]
) -> None:
    paths = kfgtest.render_recording(document)
    drift = undeclared_reads(document["kind"], paths)
    assert not drift, f"{where}: the generator reads fields the CRD does not declare: {drift}"


@pytest.mark.parametrize("kind", KINDS)
def test_random_specs_read_only_declared_fields(kind: str) -> None:
    schema = REGISTRY[kind].schema()["properties"]["spec"]

    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=kfgtest.spec_strategy(schema))
    def check(spec: Any) -> None:
        document = {"apiVersion": API, "kind": kind, "metadata": {"name": "drift"}, "spec": spec}
        try:
            paths = kfgtest.render_recording(document, existing=kfgtest.Existing())
        except SpecError:
            return
        drift = undeclared_reads(kind, paths)
        assert not drift, f"reads undeclared fields {drift} for spec {kfgtest.dump_json(spec)}"

    check()


def test_the_recorder_sees_a_read_of_an_undeclared_field() -> None:
    schema = {
        "type": "object",
        "properties": {
            "port": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "ports": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
    }
    recorder = kfgtest._Recorder()
    spec = kfgtest.RecordingDict(
        {"labels": {"a": "b"}, "ports": [{"name": "x"}]}, schema, "spec", recorder
    )
    assert spec.get("port") is None
    assert "autoscale" not in spec
    assert dict(spec["labels"]) == {"a": "b"}
    assert [p.get("name") for p in spec["ports"]] == ["x"]
    assert recorder.paths == {
        "spec.port",
        "spec.autoscale",
        "spec.labels",
        "spec.labels.*",
        "spec.ports",
        "spec.ports[].name",
    }
    assert set(iter_schema_paths(schema)) >= recorder.paths - {"spec.autoscale"}


UNREAD_LIST = kfgtest.ROOT / "tests" / "fixtures" / "unread-fields.txt"
_UNREAD_HEADER = """\
# Declared CRD fields that no example or tests/fixtures/good spec makes the generator read.
# Each is a gap in the examples, not in the generator: cover it with an example where that
# reads well, otherwise keep it listed. Rewritten by `pytest --update-golden`.
"""


def unread(kind: str, read: set[str]) -> list[str]:
    return sorted(
        path
        for path in declared(kind) - read
        # A list or map handed on whole (args, labels) reads its items too.
        if not (path.endswith(("[]", ".*")) and path[:-2].rstrip(".") in read)
        # A field is read when any of its children are; list leaves and whole subtrees.
        and not any(r.startswith((path + ".", path + "[")) for r in read)
    )


def test_declared_fields_no_example_reads_are_exactly_the_listed_ones(
    update_golden: bool,
) -> None:
    read: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for _, document in RESOURCES:
        read[document["kind"]] |= kfgtest.render_recording(document)
    found = [f"{kind} {path}" for kind in KINDS for path in unread(kind, read[kind])]
    if update_golden:
        UNREAD_LIST.write_text(_UNREAD_HEADER + "\n".join(found) + "\n", "utf-8")
        return
    listed = [
        line
        for line in UNREAD_LIST.read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    newly_unread = sorted(set(found) - set(listed))
    newly_read = sorted(set(listed) - set(found))
    assert not newly_unread, (
        f"declared fields no example makes the generator read: {newly_unread}; cover them with"
        " an example, or list them with --update-golden"
    )
    assert not newly_read, f"now read by an example, drop from {UNREAD_LIST.name}: {newly_read}"
