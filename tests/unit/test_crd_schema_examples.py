"""Examples validate against their CRD's schema, with defaults applied the way the API server does.

Our own walker (``konfiguru_generators.schema``) defaults and checks every spec on every render.
These tests do not trust it: they default each example a second time with an independent
implementation (the ``jsonschema`` package's validator extended to set ``default`` values, the
API server's algorithm: a missing property with a default gets it, then nested defaults apply
inside it), require both to agree, and validate the result with ``jsonschema`` against the CRD's
``openAPIV3Schema``. A small hand-computed case pins the semantics themselves.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import cel
import jsonschema
import pytest

import kfgtest
from konfiguru_generators import pipeline
from konfiguru_generators.celk8s import functions_for
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.schema import default_and_check

RESOURCES = [(where, doc) for where, doc in kfgtest.all_resources() if isinstance(doc, dict)]
IDS = [where for where, _ in RESOURCES]


def _defaulting_validator() -> type[Any]:
    base = jsonschema.Draft4Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(
        validator: Any, properties: dict[str, Any], instance: Any, schema: dict[str, Any]
    ) -> Iterator[jsonschema.ValidationError]:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(base, {"properties": set_defaults})


DefaultingValidator = _defaulting_validator()


def independent_defaults(schema: dict[str, Any], value: Any) -> Any:
    """``value`` with ``schema``'s defaults applied by the jsonschema-based implementation."""
    result = copy.deepcopy(value)
    # Errors are reported by the validation test; here only the side effect matters.
    for _ in DefaultingValidator(schema).iter_errors(result):
        pass
    return result


def spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=IDS)
def test_example_passes_our_crd_schema_checks(where: str, document: dict[str, Any]) -> None:
    pipeline.validate(document)  # raises SpecError listing every problem


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=IDS)
def test_example_defaults_agree_with_an_independent_implementation(
    where: str, document: dict[str, Any]
) -> None:
    schema = spec_schema(document["kind"])
    ours = pipeline.validate(document)[1]["spec"]
    theirs = independent_defaults(schema, document.get("spec") or {})
    assert ours == theirs, (
        f"{where}: our defaults differ from the API server's algorithm\n"
        f"ours:   {kfgtest.dump_json(ours)}\ntheirs: {kfgtest.dump_json(theirs)}"
    )


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=IDS)
def test_defaulted_example_validates_with_jsonschema(where: str, document: dict[str, Any]) -> None:
    schema = kfgtest.to_json_schema(spec_schema(document["kind"]))
    spec = pipeline.validate(document)[1]["spec"]
    errors = [
        f"spec.{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft4Validator(schema).iter_errors(spec)
    ]
    assert not errors, f"{where}:\n" + "\n".join(errors)


def _rule_sites(schema: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, rule, value) for every CEL rule whose field is present in ``value``."""
    for rule in schema.get("x-kubernetes-validations") or []:
        yield path, rule["rule"], value
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                yield from _rule_sites(sub, value[name], f"{path}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, item in value.items():
                yield from _rule_sites(extra, item, f"{path}.{name}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _rule_sites(schema["items"], item, f"{path}[{index}]")


@pytest.mark.parametrize(("where", "document"), RESOURCES, ids=IDS)
def test_every_cel_rule_runs_offline_on_the_example(where: str, document: dict[str, Any]) -> None:
    # Run directly, without the walker's shortcuts: the API server reports "no such key" as a
    # failed rule, and a Kubernetes library function the offline evaluator lacks (url(), ...;
    # celk8s.py supplies the quantity functions) would fail every time.
    spec = pipeline.validate(document)[1]["spec"]
    problems = []
    for path, rule, value in _rule_sites(spec_schema(document["kind"]), spec, "spec"):
        try:
            result = cel.compile(rule).execute({"self": value, **functions_for(rule)})
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            problems.append(f"{path}: {rule!r} raised {type(error).__name__}: {error}")
            continue
        if result is not True:
            problems.append(f"{path}: {rule!r} is {result!r} on a valid example")
    assert not problems, f"{where}:\n" + "\n".join(problems)


# --- the defaulting semantics, pinned by hand -------------------------------------------------

SMALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "default": 1},
        "probe": {
            "type": "object",
            "default": {},
            "properties": {
                "path": {"type": "string", "default": "/healthz"},
                "period": {"type": "integer", "default": 10},
            },
        },
        "ports": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "protocol": {"type": "string", "default": "TCP"},
                },
            },
        },
        "limits": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"burst": {"type": "integer", "default": 2}},
            },
        },
        "optional": {"type": "object", "properties": {"x": {"type": "string", "default": "y"}}},
    },
}
SMALL_INPUT: dict[str, Any] = {
    "probe": {"period": 30},
    "ports": [{"name": "http"}, {"name": "dns", "protocol": "UDP"}],
    "limits": {"cpu": {}, "memory": {"burst": 5}},
}
# Worked out by hand from the Kubernetes docs ("Defaulting"): absent fields with a default get
# it; a present object gets its missing children's defaults; list items and map values are
# defaulted; an absent object without a default (`optional`) stays absent.
SMALL_EXPECTED: dict[str, Any] = {
    "replicas": 1,
    "probe": {"path": "/healthz", "period": 30},
    "ports": [{"name": "http", "protocol": "TCP"}, {"name": "dns", "protocol": "UDP"}],
    "limits": {"cpu": {"burst": 2}, "memory": {"burst": 5}},
}


def test_our_walker_defaults_a_small_case_exactly_as_worked_out_by_hand() -> None:
    value = copy.deepcopy(SMALL_INPUT)
    assert default_and_check(SMALL_SCHEMA, value, "spec") == []
    assert value == SMALL_EXPECTED


def test_the_independent_defaulter_agrees_on_the_small_case() -> None:
    assert independent_defaults(SMALL_SCHEMA, SMALL_INPUT) == SMALL_EXPECTED


def test_a_defaulted_empty_object_gets_its_nested_defaults() -> None:
    value: dict[str, Any] = {}
    default_and_check(SMALL_SCHEMA, value, "spec")
    assert value["probe"] == {"path": "/healthz", "period": 10}
    assert "optional" not in value and "ports" not in value


def test_a_list_map_key_of_the_wrong_type_is_a_field_error_not_a_crash() -> None:
    # Found by test_properties: a list-map key holding a list made the duplicate check hash it.
    schema = {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}},
                },
            }
        },
    }
    errors = default_and_check(schema, {"files": [{"name": []}, {"name": []}]}, "spec")
    assert [e.path for e in errors] == ["spec.files[0].name", "spec.files[1].name"]


def test_a_null_for_a_non_nullable_field_is_pruned_then_defaulted_like_the_api_server() -> None:
    value: dict[str, Any] = {"replicas": None, "probe": {"path": None}}
    errors = default_and_check(SMALL_SCHEMA, value, "spec")
    assert errors == []
    assert value["replicas"] == 1 and value["probe"] == {"path": "/healthz", "period": 10}


def test_a_crd_pattern_anchored_with_dollar_rejects_a_trailing_newline_like_re2() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}
    assert default_and_check(schema, {"name": "web"}, "spec") == []
    errors = default_and_check(schema, {"name": "web\n"}, "spec")
    assert [e.path for e in errors] == ["spec.name"]


def test_a_name_with_a_trailing_newline_is_not_a_valid_name() -> None:
    from konfiguru_generators import SpecError, validate

    document = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": "web\n"},
        "spec": {"image": "nginx:1.27"},
    }
    with pytest.raises(SpecError) as caught:
        validate(document)
    assert [e.path for e in caught.value.errors] == ["metadata.name"]
