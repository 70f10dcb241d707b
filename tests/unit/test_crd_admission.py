"""Every CRD is one the kube-apiserver would accept, checked the way the server checks it.

A real 1.36 server refused ``mlpipelines.konfiguru.io`` and ``datapipelines.konfiguru.io``:
``spec.validation.openAPIV3Schema.properties[spec].properties[security].default: Invalid value:
"object": no such key: runAsNonRoot evaluating rule: runAsUser 0 is root; …``. The server
evaluates every CEL rule against every ``default`` when a CRD is created; ``crdcheck`` does the
same offline (with the other CRD-creation checks), and these tests run it on ``crds/`` and on
small schemas showing that each check refuses what the server refuses.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import kfgtest
from konfiguru_generators import crdcheck

CRD_FILES = kfgtest.crd_files()
IDS = [path.name for path in CRD_FILES]
ROOT = "spec.validation.openAPIV3Schema"


def _problems(spec_schema: dict[str, Any]) -> list[str]:
    crd = _crd(spec_schema)
    return [str(problem) for problem in crdcheck.check_crd(crd)]


def _crd(spec_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "widgets",
                "singular": "widget",
                "kind": "Widget",
                "listKind": "WidgetList",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": spec_schema},
                        }
                    },
                }
            ],
        },
    }


def _spec(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_the_api_server_accepts_the_crd(path: Path) -> None:
    problems = crdcheck.check_crd(kfgtest.load_crd(path))
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_every_rule_evaluates_on_its_defaulted_empty_object_and_runs_offline(path: Path) -> None:
    problems = crdcheck.lint_crd(kfgtest.load_crd(path))
    assert not problems, "\n".join(map(str, problems))


def test_the_mlpipeline_rule_the_real_server_refused_is_refused_with_its_message() -> None:
    crd = kfgtest.load_crd(kfgtest.CRDS / "mlpipeline.yaml")
    security = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]["security"]
    security["x-kubernetes-validations"][0]["rule"] = "!(self.runAsNonRoot && self.runAsUser == 0)"
    problems = [str(problem) for problem in crdcheck.check_crd(crd)]
    assert len(problems) == 1, problems
    where, detail = problems[0].split(": ", 1)
    assert where == f"{ROOT}.properties[spec].properties[security].default"
    assert detail.startswith('Invalid value: "object": no such key: runAs')
    assert detail.endswith(
        "evaluating rule: runAsUser 0 is root; set runAsNonRoot false to run as root"
    )


def test_rules_below_a_default_are_evaluated_against_their_part_of_it() -> None:
    problems = _problems(
        _spec(
            backup={
                "type": "object",
                "default": {"retention": {}},
                "properties": {
                    "retention": {
                        "type": "object",
                        "x-kubernetes-validations": [
                            {"rule": "self.count > 0", "message": "count must be positive"}
                        ],
                        "properties": {"count": {"type": "integer", "default": 7}},
                    }
                },
            }
        )
    )
    assert problems == [
        f'{ROOT}.properties[spec].properties[backup].default.retention: Invalid value: "object":'
        " no such key: count evaluating rule: count must be positive"
    ]


def test_a_rule_that_is_false_on_a_default_refuses_the_crd() -> None:
    problems = _problems(
        _spec(
            replicas={
                "type": "integer",
                "default": 2,
                "x-kubernetes-validations": [{"rule": "self % 2 == 1", "message": "must be odd"}],
            }
        )
    )
    assert problems == [
        f"{ROOT}.properties[spec].properties[replicas].default: Invalid value: 2: must be odd"
    ]


def test_a_default_is_checked_as_written_not_after_defaulting_its_children() -> None:
    # `{}` is valid once `name` is defaulted, but the server checks the default as it stands.
    problems = _problems(
        _spec(
            owner={
                "type": "object",
                "default": {},
                "required": ["name"],
                "properties": {"name": {"type": "string", "default": "root"}},
            }
        )
    )
    assert problems == [f"{ROOT}.properties[spec].properties[owner].default.name: Required value"]


def test_a_default_with_fields_the_schema_would_prune_refuses_the_crd() -> None:
    problems = _problems(
        _spec(
            probe={
                "type": "object",
                "default": {"path": "/", "porrt": 80},
                "properties": {"path": {"type": "string"}, "port": {"type": "integer"}},
            }
        )
    )
    assert (
        f"{ROOT}.properties[spec].properties[probe].default: "
        'Invalid value: {"path":"/","porrt":80}: must not have unknown fields' in problems
    )


def test_a_default_outside_its_enum_refuses_the_crd() -> None:
    problems = _problems(_spec(mode={"type": "string", "enum": ["a", "b"], "default": "c"}))
    assert problems == [
        f"{ROOT}.properties[spec].properties[mode].default: "
        'Invalid value: "c": is not an accepted value'
    ]


def test_defaults_in_top_level_metadata_are_forbidden() -> None:
    crd = _crd(_spec())
    root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    root["properties"]["metadata"] = {
        "type": "object",
        "properties": {"name": {"type": "string", "default": "x"}},
    }
    problems = [str(p) for p in crdcheck.check_crd(crd)]
    assert (
        f"{ROOT}.properties[metadata].properties[name].default: "
        "Forbidden: must not be set in top-level metadata" in problems
    )


def test_an_unbounded_rule_is_refused_for_its_cost_and_bounds_make_it_cheap() -> None:
    def tags(max_items: int | None, max_length: int | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "type": "string",
            "x-kubernetes-validations": [
                {"rule": "self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')", "message": "a label"}
            ],
        }
        if max_length is not None:
            item["maxLength"] = max_length
        node: dict[str, Any] = {"type": "array", "items": item}
        if max_items is not None:
            node["maxItems"] = max_items
        return _spec(tags=node)

    problems = _problems(tags(None, None))
    rule = f"{ROOT}.properties[spec].properties[tags].items.x-kubernetes-validations[0].rule"
    assert (
        f"{rule}: Forbidden: estimated rule cost exceeds budget by factor of more than 100x"
        in "\n".join(problems)
    )
    assert any("estimated rule cost total for entire OpenAPIv3 schema" in p for p in problems)
    assert _problems(tags(64, 63)) == []


def test_rules_the_server_cannot_use_are_refused() -> None:
    problems = _problems(
        _spec(
            a={
                "type": "string",
                "x-kubernetes-validations": [
                    {"rule": "self.(", "message": "x"},
                    {"rule": "self != ''", "message": "two\nlines"},
                    {"rule": "self != ''", "message": "x", "reason": "Wrong"},
                    {"rule": "self != ''", "message": "x", "fieldPath": ".nope"},
                    {"rule": "self == oldSelf", "message": "immutable"},
                ],
            },
            items={
                "type": "array",
                "items": {
                    "type": "string",
                    "maxLength": 8,
                    "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "x"}],
                },
                "maxItems": 4,
            },
        )
    )
    text = "\n".join(problems)
    at = f"{ROOT}.properties[spec].properties[a].x-kubernetes-validations"
    assert f"{at}[0].rule: Invalid value: Failed to parse expression" in text
    assert f"{at}[1].message: Invalid value: message must not contain line breaks" in text
    assert f'{at}[2].reason: Unsupported value: "Wrong"' in text
    assert f'{at}[3].fieldPath: Invalid value: ".nope": fieldPath must be a valid path' in text
    assert f"{at}[4]" not in text  # oldSelf on a plain field is fine
    assert "properties[items].items.x-kubernetes-validations[0].rule: Invalid value" in text
    assert "oldSelf cannot be used on the uncorrelatable portion of the schema" in text


def test_list_map_keys_must_be_required_or_defaulted_scalars() -> None:
    problems = _problems(
        _spec(
            ports={
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name", "spec"],
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "spec": {"type": "object"}},
                },
            },
            labels={"type": "string", "x-kubernetes-map-type": "atomic"},
        )
    )
    text = "\n".join(problems)
    ports = f"{ROOT}.properties[spec].properties[ports]"
    assert f"{ports}.items.properties[name].default: Required value" in text
    assert f"{ports}.items.properties[spec].type: Invalid value: must be a scalar type" in text
    assert (
        "properties[labels].type: "
        "Invalid value: must be object if x-kubernetes-map-type is specified" in text
    )


def test_names_must_be_dns_labels_and_the_crd_named_plural_dot_group() -> None:
    crd = _crd(_spec())
    crd["spec"]["names"]["shortNames"] = ["W_1"]
    crd["metadata"]["name"] = "widget.example.com"
    problems = "\n".join(map(str, crdcheck.check_crd(crd)))
    assert 'spec.names.shortNames[0]: Invalid value: "W_1"' in problems
    assert 'metadata.name: Invalid value: "widget.example.com"' in problems


def test_several_versions_with_different_schemas_are_named_per_version() -> None:
    crd = _crd(_spec(mode={"type": "string", "enum": ["a"], "default": "b"}))
    second = copy.deepcopy(crd["spec"]["versions"][0])
    second.update(name="v2", storage=False)
    second["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["mode"]["default"] = "a"
    crd["spec"]["versions"].append(second)
    problems = [str(p) for p in crdcheck.check_crd(crd)]
    assert problems == [
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[mode].default:"
        ' Invalid value: "b": is not an accepted value'
    ]


def test_the_lint_names_a_rule_that_fails_to_evaluate_on_the_defaulted_empty_object() -> None:
    crd = _crd(
        _spec(
            security={
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "!(self.runAsNonRoot && self.runAsUser == 0)", "message": "root"}
                ],
                "properties": {
                    "runAsNonRoot": {"type": "boolean", "default": True},
                    "runAsUser": {"type": "integer"},
                },
            }
        )
    )
    problems = [str(p) for p in crdcheck.lint_crd(crd)]
    assert problems == [
        f"{ROOT}.properties[spec].properties[security]: no such key: runAsUser evaluating rule:"
        ' root (on the defaulted empty object {"runAsNonRoot":true})'
    ]


def test_the_lint_names_rules_that_konfiguru_validate_could_not_evaluate() -> None:
    crd = _crd(
        _spec(
            memory={
                "type": "string",
                "maxLength": 16,
                "x-kubernetes-validations": [
                    {"rule": "url(self).getHost() != ''", "message": "a URL with a host"}
                ],
            }
        )
    )
    problems = [str(p) for p in crdcheck.lint_crd(crd)]
    assert len(problems) == 1 and "uses getHost, url" in problems[0], problems


def test_a_rule_on_an_int_or_string_costs_a_request_sized_string_whatever_its_max_length() -> None:
    # The server ignores maxLength for int-or-string: a matches() there is costed at ~3 MiB.
    quantity = {
        "x-kubernetes-int-or-string": True,
        "maxLength": 64,
        "x-kubernetes-validations": [
            {"rule": "type(self) == int || self.matches('^[0-9]+[KMG]i$')", "message": "size"}
        ],
    }
    alone = _problems(_spec(size=quantity))
    in_a_list = _problems(
        _spec(volumes={"type": "array", "maxItems": 16, "items": _spec(size=quantity)})
    )
    assert alone == []
    assert any("estimated rule cost exceeds budget" in p for p in in_a_list), in_a_list
    # The same rule on a plain string of the same maxLength is cheap (64 characters, 4 bytes each).
    text = {**quantity, "type": "string"}
    del text["x-kubernetes-int-or-string"]
    assert (
        _problems(_spec(volumes={"type": "array", "maxItems": 16, "items": _spec(size=text)})) == []
    )


def test_a_rule_on_an_untyped_value_refuses_the_crd() -> None:
    # SchemaDeclType is nil for x-kubernetes-preserve-unknown-fields without a type: no rule can
    # be compiled there, and the server says so.
    problems = _problems(
        _spec(
            parameters={
                "type": "object",
                "additionalProperties": {
                    "x-kubernetes-preserve-unknown-fields": True,
                    "x-kubernetes-validations": [{"rule": "type(self) == string", "message": "x"}],
                },
            }
        )
    )
    assert problems == [
        f"{ROOT}.properties[spec].properties[parameters].additionalProperties"
        ".x-kubernetes-validations: Internal error: internal error: failed to retrieve type"
        " information for x-kubernetes-validations"
    ]


def test_a_string_function_on_a_conversion_result_is_costed_as_unbounded() -> None:
    rule = "!isQuantity(string(self.cpu)) || quantity(string(self.cpu)).sign() > 0"
    problems = _problems(
        _spec(
            resources={
                "type": "object",
                "x-kubernetes-validations": [{"rule": rule, "message": "x"}],
                "properties": {"cpu": {"x-kubernetes-int-or-string": True}},
            }
        )
    )
    assert any("more than 100x" in p for p in problems), problems
