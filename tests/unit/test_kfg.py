"""The ``.kfg`` language: every CRD field writable, round trips, sugar, errors at their position.

The language is generic (blocks, keys, values) and takes its fields from the CRD schemas, so the
central tests walk those schemas: a resource using every declared field converts to ``.kfg`` and
compiles back to itself, and resources drawn from the schemas by hypothesis round-trip too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators import API, SpecError, render
from konfiguru_generators.frontends import FrontEndError, SourceDocument
from konfiguru_generators.frontends.kfg import convert, format_text, keywords, load, syntax
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.pipeline import validate

EXAMPLE_YAML = sorted(kfgtest.EXAMPLES.rglob("*.kfg.yaml"))
DESIGN = kfgtest.FIXTURES / "kfg" / "design"


def spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


def compile_one(text: str, source: str = "app.kfg") -> SourceDocument:
    (document,) = load(text, source)
    return document


def problems(text: str) -> list[str]:
    with pytest.raises(FrontEndError) as caught:
        load(text, "bad.kfg")
    return [str(problem) for problem in caught.value.problems]


# --- every CRD field can be written --------------------------------------------------------


def every_field_value(schema: dict[str, Any]) -> Any:
    """A value that uses every field the schema declares, all the way down."""
    if "enum" in schema:
        return schema["enum"][-1]
    if schema.get("x-kubernetes-int-or-string"):
        return "1"
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        value = {name: every_field_value(sub) for name, sub in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            value["some-key"] = every_field_value(extra)
        elif not value:  # open-ended (preserve-unknown-fields): any structure
            value = {"free": {"form": [1, "two", None, True]}}
        return value
    if kind == "array":
        return [every_field_value(schema.get("items", {"type": "string"}))]
    return {"string": "text value", "integer": 7, "number": 2.5, "boolean": True}.get(kind, "x")


def declared_paths(schema: dict[str, Any]) -> set[str]:
    """Every field path a schema declares, as the compiler records them (lists at [0])."""
    paths = set()
    for path, _ in kfgtest.walk_schema(schema, "spec"):
        if "<" not in path:
            paths.add(path.replace("[]", "[0]").replace(".*", ".some-key"))
    return paths


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_field_the_crd_declares_can_be_written_in_kfg_and_compiles_back(kind: str) -> None:
    resource = {
        "apiVersion": API,
        "kind": kind,
        "metadata": {"name": "everything", "namespace": "ns", "labels": {"team": "a"}},
        "spec": every_field_value(spec_schema(kind)),
    }
    text = convert([resource])
    document = compile_one(text)
    assert document.body == resource
    missing = declared_paths(spec_schema(kind)) - set(document.positions)
    assert not missing, f"fields with no .kfg position: {sorted(missing)}"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_a_field_added_to_a_crd_is_accepted_without_touching_the_grammar(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = spec_schema(kind)
    patched = {**schema, "properties": {**schema["properties"], "brandNew": {"type": "integer"}}}
    monkeypatch.setattr(
        "konfiguru_generators.frontends.kfg.compiler.spec_schema", lambda _kind: patched
    )
    word = next(w for w, keyword in keywords().items() if keyword.kind == kind)
    body = compile_one(f"{word} x {{ brandNew: 3 }}").body
    assert body["spec"]["brandNew"] == 3


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_YAML, ids=lambda p: p.stem)
def test_each_example_has_a_kfg_twin_that_compiles_to_the_same_resources(path: Path) -> None:
    twin = path.with_name(path.name.removesuffix(".yaml"))
    assert twin.exists(), f"{twin} is missing: konfiguru convert -f {path} > {twin}"
    compiled = [document.body for document in load(twin.read_text("utf-8"), str(twin))]
    assert compiled == kfgtest.documents(path)


@pytest.mark.parametrize("path", EXAMPLE_YAML, ids=lambda p: p.stem)
def test_converting_each_example_gives_its_checked_in_kfg_twin(path: Path) -> None:
    twin = path.with_name(path.name.removesuffix(".yaml"))
    lines = path.read_text("utf-8").splitlines()
    header = [line[2:] for line in lines[: next(i for i, x in enumerate(lines) if x[:1] != "#")]]
    assert convert(kfgtest.documents(path), header) == twin.read_text("utf-8")


@pytest.mark.parametrize("kind", sorted(REGISTRY))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_yaml_to_kfg_to_yaml_is_the_identity_on_generated_specs(kind: str, data: Any) -> None:
    spec = data.draw(kfgtest.spec_strategy(spec_schema(kind)), label="spec")
    resource = {"apiVersion": API, "kind": kind, "metadata": {"name": "prop"}, "spec": spec}
    text = convert([resource])
    assert compile_one(text).body == resource
    assert format_text(text, "x.kfg") == text


@pytest.mark.parametrize(
    "value",
    ["yes", "no", "on", "0123", "089", "1e3", "null", "true", "~", "a: b", "#x", "- x", "5GB",
     "", " ", "-m", "--flag=1", "17", "1.50", "x\ny", "tab\there", "quote\"d", "back\\slash",
     "\u2028", "emoji \U0001f600", "\x00nul", "-1", "+1", "500m", "@hourly"],
)  # fmt: skip
def test_any_string_is_written_so_that_it_reads_back_as_that_string(value: str) -> None:
    text = f"service x {{ image: {syntax.scalar_text(value)} }}"
    assert compile_one(text).body["spec"]["image"] == value


# --- the human sugar -------------------------------------------------------------------------


def test_storage_100GB_is_the_decimal_quantity_100G_with_a_note() -> None:
    document = compile_one("database db { engine: postgres, version: 17, storage: 100GB }")
    assert document.body["spec"]["storage"] == {"size": "100G"}
    (note,) = document.notes
    assert note.position.line == 1 and note.position.column == 55
    assert "100G (100 x 10^9 bytes)" in note.message and "write 100Gi" in note.message


def test_binary_byte_units_become_binary_quantities() -> None:
    spec = compile_one("service x { image: i, resources { memory: 512MiB, cpu: 1 } }").body["spec"]
    assert spec["resources"] == {"memory": "512Mi", "cpu": 1}


def test_a_quoted_size_is_left_as_written_and_validation_explains_it() -> None:
    body = compile_one('database db { engine: postgres, version: "17", storage: "5GB" }').body
    assert body["spec"]["storage"] == {"size": "5GB"}
    with pytest.raises(SpecError, match='did you mean "5G" or "5Gi"'):
        validate(body)


def test_a_bare_number_in_a_string_field_is_its_text() -> None:
    spec = compile_one("database db { engine: mysql, version: 8.0 }").body["spec"]
    assert spec["version"] == "8.0"


def test_a_path_where_a_probe_is_expected_is_an_http_probe_on_that_path() -> None:
    spec = compile_one('service x { image: i, health { readiness: "/health" } }').body["spec"]
    assert spec["health"] == {"readiness": {"http": {"path": "/health"}}}


def test_a_number_where_backup_retention_is_expected_is_the_count_kept() -> None:
    text = (
        'database db { engine: redis, version: "7", backup { schedule: "@daily", retention: 30 } }'
    )
    assert compile_one(text).body["spec"]["backup"]["retention"] == {"count": 30}


def test_lists_keyed_by_name_can_be_written_as_named_blocks() -> None:
    text = "service x { image: i, jobs { migrate { command: [m] }, seed { args: [--all] } } }"
    jobs = compile_one(text).body["spec"]["jobs"]
    assert jobs == [{"name": "migrate", "command": ["m"]}, {"name": "seed", "args": ["--all"]}]


def test_block_keywords_imply_the_kind_and_its_fields() -> None:
    assert compile_one("daemon agent { image: i }").body["spec"]["workload"] == "DaemonSet"
    job = compile_one('cronjob nightly { image: i, schedule: "@daily" }').body
    assert (job["kind"], job["spec"]["engine"]) == ("DataPipeline", "container")
    assert compile_one("pipeline p { framework: sklearn, image: i }").body["kind"] == "MLPipeline"


def test_underscores_in_names_become_dashes_with_a_note() -> None:
    document = compile_one('cronjob daily_report { image: i, schedule: "@daily" }')
    assert document.body["metadata"]["name"] == "daily-report"
    assert '"daily_report" read as "daily-report"' in document.notes[0].message


def test_the_namespace_directive_applies_to_the_blocks_after_it() -> None:
    documents = load(
        'service a { image: i }\nnamespace shop\nservice b { image: i }\nnamespace ""\n'
        "service c { image: i }\n",
        "ns.kfg",
    )
    assert [d.body["metadata"].get("namespace") for d in documents] == [None, "shop", None]


# --- errors, each at its file:line:column ----------------------------------------------------


def test_a_misspelled_field_is_reported_at_its_position_with_did_you_mean() -> None:
    assert problems("service api {\n  image: i\n  prot: 80\n}\n") == [
        'bad.kfg:3:3: "prot" is not a field of service; did you mean "port"?'
    ]


def test_a_misspelled_nested_field_names_its_block() -> None:
    (problem,) = problems("service api { image: i, autoscale { max: 3, targetCPUU: 50 } }")
    assert problem.startswith('bad.kfg:1:45: "targetCPUU" is not a field of autoscale;')
    assert 'did you mean "targetCPU"?' in problem


def test_a_misspelled_block_keyword_or_directive_gets_did_you_mean() -> None:
    assert problems("servce api { image: i }") == [
        'bad.kfg:1:1: "servce" is not a block keyword or directive; did you mean "service"?'
    ]
    assert problems("namespce shop") == [
        'bad.kfg:1:1: "namespce" is not a block keyword or directive; did you mean "namespace"?'
    ]


def test_every_unknown_field_is_reported_at_once() -> None:
    assert len(problems("service a { image: i, colour: red, size: 3 }")) == 2


def test_a_syntax_error_names_the_bad_text_and_what_is_accepted() -> None:
    (problem,) = problems("service api {\n  image: ghcr.io/x:1.0\n}")
    assert problem.startswith("bad.kfg:2:19: unexpected ':1.0'; expected ")
    assert 'a value with ":" in it is written in double quotes' in problem


def test_an_unclosed_block_is_reported_at_the_end_of_the_file() -> None:
    (problem,) = problems('service api {\n  image: "x"\n')
    assert problem.startswith("bad.kfg:2:13: unexpected end of file; expected ")
    assert '"}"' in problem


def test_single_quotes_are_explained() -> None:
    (problem,) = problems("service api { image: 'x' }")
    assert problem == 'bad.kfg:1:22: unexpected "\'"; strings use double quotes: "text"'


def test_a_bad_escape_in_a_string_is_located() -> None:
    (problem,) = problems('service api { image: "a\\qb" }')
    assert problem.startswith('bad.kfg:1:22: "a\\qb" is not a valid string: Invalid \\escape')


def test_a_field_written_twice_points_at_the_first() -> None:
    assert problems("service api {\n  image: a\n  image: b\n}") == [
        'bad.kfg:3:3: "image" is written twice; first at line 2'
    ]


def test_a_resource_written_twice_is_an_error() -> None:
    (problem,) = problems("service a { image: i }\nworker a { image: j }")
    assert problem == 'bad.kfg:2:1: App "a" is written twice; first at line 1'


def test_a_keyword_contradicted_by_its_body_is_an_error() -> None:
    (problem,) = problems("daemon d { image: i, workload: Deployment }")
    assert problem.startswith('bad.kfg:1:22: daemon means workload: DaemonSet, not "Deployment"')


def test_a_cronjob_without_a_schedule_and_a_job_with_one_are_errors() -> None:
    assert problems("cronjob c { image: i }") == [
        "bad.kfg:1:1: a cronjob needs schedule; add schedule: ..."
    ]
    (problem,) = problems('job j { image: i, schedule: "@daily" }')
    assert problem.startswith("bad.kfg:1:19: a job has no schedule; use one of ")


def test_a_semantic_error_is_located_at_the_field_that_causes_it() -> None:
    document = compile_one("service api {\n  image: i\n  replicas: 3\n  autoscale { max: 5 }\n}")
    with pytest.raises(SpecError) as caught:
        validate(document.body)
    (error,) = caught.value.errors
    assert error.path == "spec.replicas"
    assert str(document.locate(error.path)) == "app.kfg:3:3"


def test_a_missing_required_field_is_located_at_its_block() -> None:
    document = compile_one("service api {\n  port: 80\n}")
    with pytest.raises(SpecError) as caught:
        validate(document.body)
    assert [str(document.locate(e.path)) for e in caught.value.errors] == ["app.kfg:1:1"]


# --- the design documents' examples ----------------------------------------------------------

DESIGN_OUTCOMES = {
    # file: None (valid), or the (line, column, text) of each error, in order
    "database-postgres.kfg": [(7, 3, "replicas > 1 of the plain postgres or mysql image")],
    "database-postgres-honest.kfg": None,
    "cronjob-daily-report.kfg": [
        (13, 3, '"successHistory" is not a field of cronjob'),
        (14, 3, '"failedHistory" is not a field of cronjob'),
    ],
    "cronjob-daily-report-honest.kfg": None,
    "service-api-autoscale.kfg": [(6, 3, "spec.replicas: 3 is ignored when autoscale is set")],
    "service-api-config.kfg": [
        (13, 5, '"DB_PASSWORD" in secrets must be a block'),
        (14, 5, '"API_KEY" in secrets must be a block'),
    ],
    "service-api-config-honest.kfg": None,
}


def test_every_design_document_example_has_a_stated_outcome() -> None:
    assert sorted(p.name for p in DESIGN.glob("*.kfg")) == sorted(DESIGN_OUTCOMES)


@pytest.mark.parametrize("name", sorted(DESIGN_OUTCOMES))
def test_design_document_examples_compile_or_fail_clearly_at_the_right_line(name: str) -> None:
    path = DESIGN / name
    expected = DESIGN_OUTCOMES[name]
    found: list[tuple[int, int, str]] = []
    try:
        documents = load(path.read_text("utf-8"), str(path))
    except FrontEndError as error:
        found = [(p.position.line, p.position.column, p.message) for p in error.problems]
    else:
        for document in documents:
            try:
                render(document.body)
            except SpecError as error:
                for field in error.errors:
                    where = document.locate(field.path)
                    found.append((where.line, where.column, str(field)))
    if expected is None:
        assert found == []
        return
    assert [where[:2] for where in found] == [where[:2] for where in expected]
    for (_, _, message), (_, _, text) in zip(found, expected, strict=True):
        assert text in message
