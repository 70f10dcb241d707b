"""Schema drift: every spec field a generator reads is declared in its CRD.

Each example (and a batch of random specs drawn from the CRD) is rendered with its spec wrapped
in ``kfgtest.RecordingDict``, which logs the schema path of every key the kind's ``check`` and
``render`` ask for, present or not (``spec.get("autoscale")`` counts even when unset). A path the
CRD does not declare means the generator reads a field users cannot set (a typo, or a field
renamed in the CRD but not in Python).

The reverse direction (declared fields no example makes the generator read) is reported, not
enforced: a field may be read only under conditions no example covers, and forcing an example per
field would make examples unreadable. The list is emitted as a pytest warning, visible in every
run's summary, so dead or untested fields are noticed.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kfgtest
from konfiguru_generators import API, SpecError
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.resources import version_schema
from konfiguru_generators.schema import iter_schema_paths

RESOURCES = [(where, doc) for where, doc in kfgtest.all_resources() if isinstance(doc, dict)]
KINDS = sorted(REGISTRY)
READ: dict[str, set[str]] = {kind: set() for kind in KINDS}


def declared(kind: str) -> set[str]:
    return set(iter_schema_paths(version_schema(REGISTRY[kind].crd_file)["properties"]["spec"]))


def undeclared_reads(kind: str, paths: set[str]) -> list[str]:
    return sorted(paths - declared(kind))


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=[w for w, _ in RESOURCES])
def test_every_spec_field_the_generator_reads_is_declared_in_the_crd(
    where: str, document: dict[str, Any]
) -> None:
    paths = kfgtest.render_recording(document)
    READ[document["kind"]] |= paths
    drift = undeclared_reads(document["kind"], paths)
    assert not drift, f"{where}: the generator reads fields the CRD does not declare: {drift}"


@pytest.mark.parametrize("kind", KINDS)
def test_random_specs_read_only_declared_fields(kind: str) -> None:
    schema = version_schema(REGISTRY[kind].crd_file)["properties"]["spec"]

    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=kfgtest.spec_strategy(schema))
    def check(spec: Any) -> None:
        document = {"apiVersion": API, "kind": kind, "metadata": {"name": "drift"}, "spec": spec}
        try:
            paths = kfgtest.render_recording(document, existing=kfgtest.Existing())
        except SpecError:
            return
        READ[kind] |= paths
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


def test_zz_report_declared_fields_no_example_makes_the_generator_read() -> None:
    # Runs after the tests above in the same process (pytest keeps file order); under xdist
    # it may see a partial picture, which only shortens the report.
    for kind in KINDS:
        if not READ[kind]:
            continue
        read = READ[kind]
        unread = sorted(
            path
            for path in declared(kind) - read
            # A list or map handed on whole (args, labels) reads its items too.
            if not (path.endswith(("[]", ".*")) and path[:-2].rstrip(".") in read)
            # A field is read when any of its children are; report leaves and whole subtrees.
            and not any(r.startswith((path + ".", path + "[")) for r in read)
        )
        if unread:
            warnings.warn(
                f"{kind}: {len(unread)} CRD fields no example or random spec made the generator"
                f" read: {', '.join(unread)}",
                stacklevel=1,
            )
