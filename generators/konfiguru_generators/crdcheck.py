"""What the kube-apiserver checks when a CustomResourceDefinition is created or updated, offline.

A real 1.36 API server refused two of our CRDs that every offline test accepted: when a CRD is
written, the server evaluates each ``x-kubernetes-validations`` rule against every ``default`` in
the schema, and ``!(self.runAsNonRoot && self.runAsUser == 0)`` fails on ``default: {}`` with
``no such key``. :func:`check_crd` does what the server does at that moment, so such a CRD fails
a test (``tests/unit/test_crd_admission.py``) and is refused by our API emulator
(``tests/emulator``, 422 Invalid with the same field paths and wording) before any cluster sees
it. Plugin kinds bring their own CRDs; the same check applies to them.

Modelled on apiextensions-apiserver (``pkg/apis/apiextensions/validation/validation.go``,
``pkg/apiserver/schema/validation.go``, ``pkg/apiserver/schema/defaulting/validation.go``):

* names: plural, singular, kind, listKind, short names and categories are DNS-1035 labels, kind
  differs from listKind, ``metadata.name`` is ``<plural>.<group>``; versions: at least one,
  unique names, exactly one storage version, a schema for each;
* the schema is structural: every node typed (or ``x-kubernetes-int-or-string`` /
  ``x-kubernetes-preserve-unknown-fields``), no ``$ref``, ``definitions``, ``patternProperties``,
  ``dependencies``, ``additionalItems``, ``id``, ``uniqueItems: true``, ``type: null``; no
  ``properties`` together with ``additionalProperties``; junctors (``allOf``/``anyOf``/``oneOf``/
  ``not``) carry no type, default, nullable, description or additionalProperties and name only
  declared fields; ``nullable`` not at the root; with the status subresource only the allowed
  keywords at the root; the root ``metadata`` restricts only ``name``/``generateName`` and has no
  defaults, nor do ``apiVersion`` and ``kind``;
* ``x-kubernetes-*`` consistency: ``list-type`` only on arrays and one of atomic/set/map,
  ``list-map-keys`` only with ``map``, naming scalar, required-or-defaulted, non-nullable item
  fields, without duplicates; set and map items not nullable; ``map-type`` only on objects and
  atomic or granular; ``preserve-unknown-fields`` true or absent; ``int-or-string`` without a
  ``type``; ``embedded-resource`` only on objects and not inside metadata;
* every ``default``: free of fields the schema would prune (``must not have unknown fields``),
  valid against its own schema as written (no defaulting first), and accepted by every CEL rule
  of its node and the nodes below it, an evaluation error being an error
  (``no such key: runAsUser evaluating rule: …``);
* every rule: non-empty, compiles, a ``message`` without line breaks (required when the rule
  spans lines), ``reason`` one of the four allowed, ``fieldPath`` a path the schema declares,
  ``oldSelf`` only where old and new values correlate, and an estimated cost within the
  per-rule (10,000,000) and per-CRD (100,000,000) budgets.

The cost estimate is an approximation of cel-go's static estimator, not a port: it charges each
rule by its size plus the string work it does (``matches`` costs ``⌈0.1·maxLength⌉ ×
⌈0.25·len(regex)⌉`` like cel-go; ``startsWith``/``endsWith``/``contains`` their traversal; an
``all``/``exists``/``map``/``filter`` multiplies by the receiver's ``maxItems``), and multiplies it
by how many times the rule can run in one object: the product of ``maxItems``/``maxProperties``
of the enclosing lists and maps, where an unbounded one counts as many elements as fit in a 3 MiB
request, as the server does. A string without ``maxLength`` counts as 3 MiB long. So an
unbounded rule is refused here as there; a rule near the limits may be judged differently.

Not modelled: the CEL type checker (the offline library compiles without types, so a rule
comparing a string with an int compiles here and is refused by the server), Kubernetes CEL
libraries' own compile errors, ratcheting, conversion webhooks, the server's message for every
structural error word for word (the paths match; the wording is ours where no one has reported
the server's).

:func:`lint_crd` adds what the server does not check but users meet right after: a rule that fails
to *evaluate* on the defaulted empty object of its node (``security: {}`` written by a user), and
rules that use functions the offline evaluator (``common-expression-language``) does not have, so
``konfiguru validate`` could not run them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import cel

from .celk8s import FUNCTIONS
from .errors import MISSING
from .schema import check_as_is, copy_tree, default_and_check

Schema = Mapping[str, Any]

# apiextensions-apiserver validation.go and k8s.io/apiserver/pkg/apis/cel/config.go
STATIC_ESTIMATED_COST_LIMIT = 10_000_000
STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000
MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024
_STRING_TRAVERSAL = 0.1
_REGEX_LENGTH = 0.25

_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_UNSUPPORTED = (
    ("$ref", "$ref is not supported"),
    ("definitions", "definitions is not supported"),
    ("patternProperties", "patternProperties is not supported"),
    ("dependencies", "dependencies is not supported"),
    ("additionalItems", "additionalItems is not supported"),
    ("id", "id is not supported"),
)
_JUNCTORS = ("allOf", "anyOf", "oneOf")
_JUNCTOR_FORBIDDEN = ("type", "default", "additionalProperties", "nullable", "description")
_ROOT_WITH_STATUS = frozenset(
    {
        "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "multipleOf", "required", "items", "properties", "externalDocs",
        "example", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    }
)  # fmt: skip
_REASONS = ("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired")
_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_META_FIELDS = ("apiVersion", "kind", "metadata")

# Functions (and operators, as `cel` names them) of the standard CEL library, which both the API
# server and the offline evaluator have, and the Kubernetes library functions celk8s.py supplies
# offline. Kubernetes has more (url, split, ...) that `konfiguru validate` could not evaluate.
OFFLINE_FUNCTIONS = frozenset(
    {
        "!_", "-_", "_!=_", "_%_", "_&&_", "_*_", "_+_", "_-_", "_/_", "_<=_", "_<_", "_==_",
        "_>=_", "_>_", "_?_:_", "_[_]", "_||_", "@in", "@not_strictly_false", "bool", "bytes",
        "contains", "double", "duration", "dyn", "endsWith", "int", "matches", "size",
        "startsWith", "string", "timestamp", "type", "uint", *FUNCTIONS,
    }
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One reason the API server refuses a CRD, as it words them: ``<field path>: <detail>``."""

    field: str
    detail: str

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


def _key(path: str, name: str) -> str:
    return f"{path}.properties[{name}]"


def _type_of(value: Any) -> str:
    """The value as the API server shows a CEL error's ``Invalid value`` (its schema type)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# ---------------------------------------------------------------------------------- the CRD


def schema_roots(crd: Mapping[str, Any]) -> list[tuple[str, Schema]]:
    """(field path, openAPIV3Schema) of each version, as the server names them in errors.

    The server converts a v1 CRD whose versions share one schema (always so with one version)
    to its internal form with that schema in ``spec.validation``; its errors say so.
    """
    versions = crd.get("spec", {}).get("versions") or []
    schemas = [(v.get("schema") or {}).get("openAPIV3Schema") for v in versions]
    first = schemas[0] if schemas else None
    if first is not None and all(s == first for s in schemas):
        return [("spec.validation.openAPIV3Schema", first)]
    return [
        (f"spec.versions[{index}].schema.openAPIV3Schema", schema)
        for index, schema in enumerate(schemas)
        if schema is not None
    ]


def check_crd(crd: Mapping[str, Any]) -> list[Problem]:
    """Every reason the API server would refuse to create (or update to) ``crd``."""
    problems = _names(crd) + _versions(crd)
    status_enabled = any(
        "status" in (v.get("subresources") or {}) for v in crd.get("spec", {}).get("versions", [])
    )
    for path, root in schema_roots(crd):
        problems.extend(check_schema(root, path, status_subresource=status_enabled))
    return problems


def check_schema(root: Schema, path: str, *, status_subresource: bool = False) -> list[Problem]:
    """Every reason the server refuses ``root`` as a version's ``openAPIV3Schema``.

    The server checks the structure first and evaluates defaults and rules only on a structural
    schema, so structural problems hide the rest, as there.
    """
    problems = _root_problems(root, path, status_subresource)
    problems += structural_problems(root, path)
    if problems:
        return problems
    problems += default_problems(root, path)
    problems += rule_problems(root, path)
    return problems


def _names(crd: Mapping[str, Any]) -> list[Problem]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    problems: list[Problem] = []
    for key, lower in (("plural", False), ("singular", False), ("kind", True), ("listKind", True)):
        value = str(names.get(key) or "")
        if value and not _DNS_1035_LABEL.match(value.lower() if lower else value):
            detail = "a lowercase RFC 1035 label must consist of lower case alphanumeric characters"
            if lower:
                detail = "may have mixed case, but should otherwise match: " + detail
            problems.append(Problem(f"spec.names.{key}", f'Invalid value: "{value}": {detail}'))
    for key in ("shortNames", "categories"):
        for index, value in enumerate(names.get(key) or []):
            if not _DNS_1035_LABEL.match(str(value)):
                problems.append(
                    Problem(
                        f"spec.names.{key}[{index}]",
                        f'Invalid value: "{value}": a lowercase RFC 1035 label',
                    )
                )
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        problems.append(
            Problem(
                "spec.names.listKind",
                f'Invalid value: "{names["listKind"]}": kind and listKind may not be the same',
            )
        )
    expected = f"{names.get('plural')}.{spec.get('group')}"
    name = (crd.get("metadata") or {}).get("name")
    if name != expected:
        problems.append(
            Problem(
                "metadata.name",
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
        )
    return problems


def _versions(crd: Mapping[str, Any]) -> list[Problem]:
    versions = (crd.get("spec") or {}).get("versions") or []
    if not versions:
        return [
            Problem(
                "spec.versions",
                "Invalid value: null: must have exactly one version marked as storage version",
            )
        ]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, version in enumerate(versions):
        name = version.get("name")
        if name in seen:
            problems.append(Problem(f"spec.versions[{index}].name", f'Duplicate value: "{name}"'))
        seen.add(name)
        if not (version.get("schema") or {}).get("openAPIV3Schema"):
            problems.append(
                Problem(
                    f"spec.versions[{index}].schema.openAPIV3Schema",
                    "Required value: schemas are required",
                )
            )
    if sum(1 for v in versions if v.get("storage")) != 1:
        problems.append(
            Problem(
                "spec.versions",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    return problems


def _root_problems(root: Schema, path: str, status_subresource: bool) -> list[Problem]:
    problems: list[Problem] = []
    if root.get("nullable"):
        problems.append(
            Problem(f"{path}.nullable", "Forbidden: nullable cannot be true at the root")
        )
    if status_subresource:
        if root.get("type") != "object":
            problems.append(
                Problem(
                    f"{path}.type",
                    'Invalid value: only "object" is allowed as the type at the root of the schema'
                    " if the status subresource is enabled",
                )
            )
        extra = sorted(set(root) - _ROOT_WITH_STATUS)
        if extra:
            problems.append(
                Problem(
                    path,
                    f"Invalid value: {extra}: only description, type, properties, required, "
                    "x-kubernetes-validations and value validations are allowed at the root "
                    "of the schema if the status subresource is enabled",
                )
            )
    return problems


# -------------------------------------------------------------------- structural schema


def structural_problems(root: Schema, path: str = "openAPIV3Schema") -> list[Problem]:
    """Every way ``root`` breaks the structural-schema and ``x-kubernetes-*`` rules."""
    problems: list[Problem] = []
    _structural(root, path, problems, in_junctor=False, in_meta=False)
    properties = root.get("properties") or {}
    metadata = properties.get("metadata")
    if metadata is not None:
        extra = set(metadata) - {"type", "properties", "description"}
        fields = set(metadata.get("properties") or {}) - {"name", "generateName"}
        if extra or fields:
            problems.append(
                Problem(
                    _key(path, "metadata"),
                    "Forbidden: must not specify anything other than name and generateName, "
                    "but metadata is implicitly specified",
                )
            )
    for name in _META_FIELDS:
        for where, node in _walk(properties.get(name) or {}, _key(path, name)):
            if "default" in node:
                problems.append(
                    Problem(f"{where}.default", f"Forbidden: must not be set in top-level {name}")
                )
    return problems


def _structural(
    node: Schema, path: str, problems: list[Problem], *, in_junctor: bool, in_meta: bool
) -> None:
    add = problems.append
    for keyword, detail in _UNSUPPORTED:
        if keyword in node:
            add(Problem(f"{path}.{keyword}", f"Forbidden: {detail}"))
    if node.get("uniqueItems") is True:
        add(
            Problem(
                f"{path}.uniqueItems",
                "Forbidden: uniqueItems cannot be set to true since the runtime complexity "
                "becomes quadratic",
            )
        )
    extra = node.get("additionalProperties")
    if node.get("properties") and extra is not None and extra is not True:
        add(
            Problem(
                f"{path}.additionalProperties",
                "Forbidden: additionalProperties and properties are mutual exclusive",
            )
        )
    if extra is False:
        add(Problem(f"{path}.additionalProperties", "Forbidden: must not be false"))
    if node.get("x-kubernetes-preserve-unknown-fields") is False:
        add(
            Problem(
                f"{path}.x-kubernetes-preserve-unknown-fields",
                "Invalid value: false: must be true or undefined",
            )
        )
    type_name = node.get("type")
    if type_name == "null":
        add(
            Problem(
                f"{path}.type",
                "Forbidden: type cannot be set to null, use nullable as an alternative",
            )
        )
    elif type_name is not None and type_name not in _TYPES:
        add(Problem(f"{path}.type", f'Unsupported value: "{type_name}"'))
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    if int_or_string and type_name:
        add(
            Problem(
                f"{path}.type", "Invalid value: must be empty if x-kubernetes-int-or-string is true"
            )
        )
    if node.get("x-kubernetes-embedded-resource"):
        if type_name != "object":
            add(
                Problem(
                    f"{path}.type",
                    "Required value: must be object if x-kubernetes-embedded-resource is true",
                )
            )
        if in_meta:
            add(
                Problem(
                    f"{path}.x-kubernetes-embedded-resource",
                    "Forbidden: must not be used inside of resource meta",
                )
            )
    if in_junctor:
        for keyword in _JUNCTOR_FORBIDDEN:
            if keyword in node:
                add(Problem(f"{path}.{keyword}", "Forbidden: must be empty to be structural"))
    elif not (type_name or int_or_string or node.get("x-kubernetes-preserve-unknown-fields")):
        add(
            Problem(f"{path}.type", "Required value: must not be empty for specified object fields")
        )
    if type_name == "array" and not isinstance(node.get("items"), dict):
        add(Problem(f"{path}.items", "Required value: must be specified"))
    if type_name != "array" and "items" in node and not in_junctor:
        add(Problem(f"{path}.items", "Forbidden: must be empty unless type is array"))
    _extensions(node, path, problems)
    declared = set(node.get("properties") or {})
    for junctor in (*_JUNCTORS, "not"):
        subs = node.get(junctor)
        for index, sub in enumerate(subs if isinstance(subs, list) else [subs] if subs else []):
            where = f"{path}.{junctor}[{index}]" if junctor != "not" else f"{path}.not"
            for name in sorted(set(sub.get("properties") or {}) - declared):
                add(
                    Problem(
                        _key(where, name),
                        "Required value: must have a properties value outside the junctor",
                    )
                )
            _structural(sub, where, problems, in_junctor=True, in_meta=in_meta)
    for name, sub in (node.get("properties") or {}).items():
        _structural(sub, _key(path, name), problems, in_junctor=in_junctor, in_meta=in_meta)
    if isinstance(node.get("items"), dict):
        _structural(
            node["items"], f"{path}.items", problems, in_junctor=in_junctor, in_meta=in_meta
        )
    if isinstance(extra, dict):
        _structural(
            extra, f"{path}.additionalProperties", problems, in_junctor=in_junctor, in_meta=in_meta
        )


def _extensions(node: Schema, path: str, problems: list[Problem]) -> None:
    """The ``x-kubernetes-list-type``/``map-type``/``list-map-keys`` rules of validation.go."""
    add = problems.append
    list_type = node.get("x-kubernetes-list-type")
    map_type = node.get("x-kubernetes-map-type")
    keys = node.get("x-kubernetes-list-map-keys") or []
    items = node.get("items") if isinstance(node.get("items"), dict) else None
    if map_type is not None:
        if node.get("type") != "object":
            add(
                Problem(
                    f"{path}.type",
                    "Invalid value: must be object if x-kubernetes-map-type is specified",
                )
            )
        if map_type not in ("atomic", "granular"):
            add(
                Problem(
                    f"{path}.x-kubernetes-map-type",
                    f'Unsupported value: "{map_type}": supported values: "atomic", "granular"',
                )
            )
    if list_type is not None:
        if node.get("type") != "array":
            add(
                Problem(
                    f"{path}.type",
                    "Invalid value: must be array if x-kubernetes-list-type is specified",
                )
            )
        if list_type not in ("atomic", "set", "map"):
            add(
                Problem(
                    f"{path}.x-kubernetes-list-type",
                    f'Unsupported value: "{list_type}": supported values: "atomic", "map", "set"',
                )
            )
    if keys and list_type != "map":
        add(
            Problem(
                f"{path}.x-kubernetes-list-type",
                "Invalid value: must be map if x-kubernetes-list-map-keys is non-empty",
            )
        )
    if list_type in ("set", "map") and items is not None and items.get("nullable"):
        add(
            Problem(
                f"{path}.items.nullable",
                f"Forbidden: cannot be nullable when x-kubernetes-list-type is {list_type}",
            )
        )
    if list_type == "set" and items is not None:
        if items.get("type") == "object" and items.get("x-kubernetes-map-type") != "atomic":
            add(
                Problem(
                    f"{path}.items.x-kubernetes-map-type",
                    "Invalid value: must be atomic as item of a list with "
                    "x-kubernetes-list-type=set",
                )
            )
        if (
            items.get("type") == "array"
            and items.get("x-kubernetes-list-type", "atomic") != "atomic"
        ):
            add(
                Problem(
                    f"{path}.items.x-kubernetes-list-type",
                    "Invalid value: must be atomic as item of a list with "
                    "x-kubernetes-list-type=set",
                )
            )
    if list_type != "map":
        return
    if not keys:
        add(
            Problem(
                f"{path}.x-kubernetes-list-map-keys",
                "Required value: must not be empty if x-kubernetes-list-type is map",
            )
        )
    if items is None or items.get("type") != "object":
        add(
            Problem(
                f"{path}.items.type",
                "Invalid value: must be object if parent array's x-kubernetes-list-type is map",
            )
        )
        return
    properties = items.get("properties") or {}
    if len(set(keys)) != len(keys):
        add(
            Problem(
                f"{path}.x-kubernetes-list-map-keys",
                "Invalid value: must not contain duplicate entries",
            )
        )
    for key in keys:
        sub = properties.get(key)
        where = _key(f"{path}.items", key)
        if sub is None:
            add(
                Problem(
                    f"{path}.x-kubernetes-list-map-keys",
                    "Invalid value: entries must all be names of item properties",
                )
            )
            continue
        if sub.get("type") in ("array", "object"):
            add(
                Problem(
                    f"{where}.type",
                    "Invalid value: must be a scalar type if parent array's "
                    "x-kubernetes-list-type is map",
                )
            )
        if key not in (items.get("required") or []) and "default" not in sub:
            add(
                Problem(
                    f"{where}.default",
                    "Required value: this property is in x-kubernetes-list-map-keys, so it must "
                    "have a default or be a required property",
                )
            )
        if sub.get("nullable"):
            add(
                Problem(
                    f"{where}.nullable",
                    "Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be "
                    "nullable",
                )
            )


def _walk(node: Schema, path: str) -> Iterator[tuple[str, Schema]]:
    """Every schema node below ``node`` (itself first) with the server's field path."""
    yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _walk(sub, _key(path, name))
    if isinstance(node.get("items"), dict):
        yield from _walk(node["items"], f"{path}.items")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], f"{path}.additionalProperties")


# ----------------------------------------------------------------------------- defaults


def prune(schema: Schema, value: Any, path: str = "", removed: list[str] | None = None) -> Any:
    """``value`` without the fields ``schema`` does not declare (the API server's pruning);
    the dropped field paths are appended to ``removed``."""
    removed = removed if removed is not None else []
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get(
            "x-kubernetes-embedded-resource"
        )
        if properties is None and extra is None and not preserve:
            if value and schema.get("type") == "object":
                removed.extend(f"{path}.{key}" for key in value)
                return {}
            return value
        result = {}
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else key
            if properties is not None and key in properties:
                result[key] = prune(properties[key], sub, sub_path, removed)
            elif isinstance(extra, dict):
                result[key] = prune(extra, sub, sub_path, removed)
            elif extra is True or preserve:
                result[key] = sub
            else:
                removed.append(sub_path)
        return result
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [
            prune(schema["items"], item, f"{path}[{i}]", removed) for i, item in enumerate(value)
        ]
    return value


def default_problems(root: Schema, path: str) -> list[Problem]:
    """The server's ``ValidateDefaults``: each default pruned, valid as written, and accepted
    by the CEL rules of its node and below (evaluation errors included)."""
    problems: list[Problem] = []
    for where, node in _walk_defaults(root, path):
        default = node["default"]
        if default is None:
            continue
        at = f"{where}.default"
        if prune(node, copy_tree(default)) != default:
            problems.append(
                Problem(at, f"Invalid value: {_shown(default)}: must not have unknown fields")
            )
        wrapper = {"type": "object", "properties": {"value": node}}
        errors = check_as_is(wrapper, {"value": copy_tree(default)}, at)
        for error in errors:
            field = error.path.replace(f"{at}.value", at, 1)
            if error.value is MISSING:
                problems.append(Problem(field, "Required value"))
            else:
                problems.append(
                    Problem(field, f"Invalid value: {_quoted(error.value)}: {error.message}")
                )
    return problems


def _walk_defaults(root: Schema, path: str) -> Iterator[tuple[str, Schema]]:
    # Defaults below additionalProperties are not followed by the server either.
    properties = root.get("properties") or {}
    for name, sub in properties.items():
        if name in _META_FIELDS:
            continue
        yield from _defaults_below(sub, _key(path, name))


def _defaults_below(node: Schema, path: str) -> Iterator[tuple[str, Schema]]:
    if "default" in node:
        yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _defaults_below(sub, _key(path, name))
    if isinstance(node.get("items"), dict):
        yield from _defaults_below(node["items"], f"{path}.items")


def _shown(value: Any) -> str:
    import json

    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


def _quoted(value: Any) -> str:
    """What the server prints as the bad value: the schema type for a CEL rule on an object."""
    if isinstance(value, (dict, list)):
        return f'"{_type_of(value)}"'
    return _shown(value)


# -------------------------------------------------------------------------------- rules


def rule_problems(root: Schema, path: str) -> list[Problem]:
    """Each rule's form, compilation, fieldPath, oldSelf placement and estimated cost."""
    problems: list[Problem] = []
    total = 0
    for where, node, cardinality, correlatable in _rule_nodes(root, path):
        if node.get("x-kubernetes-validations") and not exposed(node):
            problems.append(
                Problem(
                    f"{where}.x-kubernetes-validations",
                    "Internal error: internal error: failed to retrieve type information for"
                    " x-kubernetes-validations",
                )
            )
            continue
        for index, rule in enumerate(node.get("x-kubernetes-validations") or []):
            at = f"{where}.x-kubernetes-validations[{index}]"
            problems.extend(_rule_form(rule, node, at))
            expression = str(rule.get("rule") or "")
            try:
                program = _compiled(expression)
            except Exception as error:  # noqa: BLE001 - any failure to compile is the finding
                problems.append(Problem(f"{at}.rule", f"Invalid value: {_first_line(error)}"))
                continue
            uses_old_self = "oldSelf" in program.references()["variables"]
            if uses_old_self and not correlatable:
                problems.append(
                    Problem(
                        f"{at}.rule",
                        f'Invalid value: "{expression}": oldSelf cannot be used on the '
                        "uncorrelatable portion of the schema",
                    )
                )
            if not uses_old_self and "optionalOldSelf" in rule:
                problems.append(
                    Problem(
                        f"{at}.optionalOldSelf",
                        "Invalid value: may not be set if oldSelf is not used in rule",
                    )
                )
            cost = _saturate(estimated_cost(expression, node) * cardinality)
            total = _saturate(total + cost)
            if cost > STATIC_ESTIMATED_COST_LIMIT:
                problems.append(
                    Problem(
                        f"{at}.rule",
                        "Forbidden: "
                        + _cost_message("estimated rule cost", cost, STATIC_ESTIMATED_COST_LIMIT),
                    )
                )
    if total > STATIC_ESTIMATED_CRD_COST_LIMIT:
        problems.append(
            Problem(
                path,
                "Forbidden: "
                + _cost_message(
                    "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 "
                    "schema",
                    total,
                    STATIC_ESTIMATED_CRD_COST_LIMIT,
                ),
            )
        )
    return problems


def _rule_form(rule: Mapping[str, Any], node: Schema, at: str) -> list[Problem]:
    problems: list[Problem] = []
    expression = str(rule.get("rule") or "")
    message = rule.get("message")
    if not expression.strip():
        problems.append(Problem(f"{at}.rule", "Required value: rule is not specified"))
    elif message is not None and not str(message).strip():
        problems.append(
            Problem(f"{at}.message", "Invalid value: message must be non-empty if specified")
        )
    elif message is not None and re.search(r"[\n\r]", str(message).strip()):
        problems.append(
            Problem(f"{at}.message", "Invalid value: message must not contain line breaks")
        )
    elif re.search(r"[\n\r]", expression.strip()) and not str(message or "").strip():
        problems.append(
            Problem(
                f"{at}.message",
                "Required value: message must be specified if rule contains line breaks",
            )
        )
    if "messageExpression" in rule and not str(rule["messageExpression"]).strip():
        problems.append(
            Problem(
                f"{at}.messageExpression",
                "Required value: messageExpression must be non-empty if specified",
            )
        )
    if "reason" in rule and rule["reason"] not in _REASONS:
        problems.append(Problem(f"{at}.reason", f'Unsupported value: "{rule["reason"]}"'))
    field_path = rule.get("fieldPath")
    if field_path is not None:
        if not str(field_path).strip() or re.search(r"[\n\r]", str(field_path)):
            problems.append(
                Problem(
                    f"{at}.fieldPath",
                    f'Invalid value: "{field_path}": fieldPath must be non-empty and on one line',
                )
            )
        elif not _valid_field_path(node, str(field_path)):
            problems.append(
                Problem(
                    f"{at}.fieldPath",
                    f'Invalid value: "{field_path}": fieldPath must be a valid path',
                )
            )
    return problems


_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[(\d+)\]")


def _valid_field_path(node: Schema, field_path: str) -> bool:
    """A rule's ``fieldPath`` (``.a.b``, ``['key']``, ``[0]``) names fields ``node`` declares."""
    position = 0
    current: Schema | None = node
    while position < len(field_path):
        match = _PATH_STEP.match(field_path, position)
        if match is None or current is None:
            return False
        position = match.end()
        name = match.group(1) or match.group(2)
        if match.group(3) is not None:
            current = current.get("items") if current.get("type") == "array" else None
        elif name in (current.get("properties") or {}):
            current = current["properties"][name]
        elif isinstance(current.get("additionalProperties"), dict) and match.group(2) is not None:
            current = current["additionalProperties"]
        else:
            return False
    return True


def _rule_nodes(root: Schema, path: str) -> Iterator[tuple[str, Schema, int, bool]]:
    """(path, node, how often its rules can run per object, whether oldSelf correlates)."""

    def visit(
        node: Schema, where: str, cardinality: int, correlatable: bool
    ) -> Iterator[tuple[str, Schema, int, bool]]:
        yield where, node, cardinality, correlatable
        for name, sub in (node.get("properties") or {}).items():
            atomic = node.get("x-kubernetes-map-type") == "atomic"
            yield from visit(sub, _key(where, name), cardinality, correlatable and not atomic)
        items = node.get("items")
        if isinstance(items, dict):
            many = _bound(node.get("maxItems"), items)
            keyed = node.get("x-kubernetes-list-type") == "map"
            yield from visit(
                items, f"{where}.items", _saturate(cardinality * many), correlatable and keyed
            )
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            many = _bound(node.get("maxProperties"), extra)
            yield from visit(
                extra, f"{where}.additionalProperties", _saturate(cardinality * many), correlatable
            )

    yield from visit(root, path, 1, True)


def _bound(declared: Any, item: Schema) -> int:
    """How many elements a list or map can hold: its bound, or what fits in one request."""
    if isinstance(declared, int):
        return max(declared, 1)
    return MAX_REQUEST_SIZE_BYTES // (_min_size(item) + 1)


def _min_size(node: Schema) -> int:
    """The shortest JSON an element of ``node`` can be (``{}``, ``[]``, ``""``, ``0``)."""
    type_name = node.get("type")
    if type_name in ("object", "array", "string"):
        return 2
    if type_name == "boolean":
        return 4
    return 1


def _string_length(node: Schema | None) -> int:
    """A string's size as the server estimates it: ``maxLength`` counted in bytes (4 per
    character), but an int-or-string value is as long as a request whatever its ``maxLength``."""
    if node is None or node.get("x-kubernetes-int-or-string"):
        return MAX_REQUEST_SIZE_BYTES - 2
    if isinstance(node.get("maxLength"), int):
        return int(node["maxLength"]) * 4
    return MAX_REQUEST_SIZE_BYTES - 2


def exposed(node: Schema) -> bool:
    """Whether rules can see ``node`` (the server's ``SchemaDeclType`` is not nil): typed
    values, int-or-string, objects, and lists and maps of such; not an untyped
    ``x-kubernetes-preserve-unknown-fields`` value."""
    if node.get("x-kubernetes-int-or-string"):
        return True
    type_name = node.get("type")
    if type_name == "array":
        return isinstance(node.get("items"), dict) and exposed(node["items"])
    if type_name == "object" and isinstance(node.get("additionalProperties"), dict):
        return exposed(node["additionalProperties"])
    return type_name in ("object", "string", "boolean", "number", "integer")


def _list_length(node: Schema | None) -> int:
    if node is None:
        return MAX_REQUEST_SIZE_BYTES
    items = node.get("items") if isinstance(node.get("items"), dict) else {}
    bound = node.get("maxItems") if node.get("type") == "array" else node.get("maxProperties")
    return _bound(bound, items or {})


_RECEIVER_CALL = re.compile(
    r"(?P<receiver>self(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\.\s*(?P<function>matches|startsWith|endsWith|contains|all|exists_one|exists|map|filter)\s*\(\s*(?P<argument>r?'(?:[^'\\]|\\.)*'|r?\"(?:[^\"\\]|\\.)*\")?"
)
# quantity(self.x) / isQuantity(self.x): a traversal of the string argument.
_ARGUMENT_CALL = re.compile(
    r"\b(?:quantity|isQuantity)\s*\(\s*(?P<argument>self(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?"
)
# A string function applied to a call's result (string(x).matches(...), quantity(string(x))):
# cel-go does not know the size of the result, so it estimates the cost as unbounded.
_UNSIZED = re.compile(
    r"\)\s*\.\s*(?:matches|startsWith|endsWith|contains|size)\s*\("
    r"|\b(?:quantity|isQuantity)\s*\(\s*[A-Za-z_]+\s*\("
)
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|&&|\|\||[=!<>]=|[-+*/%<>!?:\[]")


def estimated_cost(expression: str, node: Schema) -> int:
    """An upper-bound estimate of one evaluation of ``expression`` on ``node`` (see the module
    docstring for the model)."""
    if _UNSIZED.search(expression):
        return 2**64 - 1
    cost = len(_TOKEN.findall(expression))
    multiplier = 1
    for match in _ARGUMENT_CALL.finditer(expression):
        traversed = _resolve(node, match["argument"]) if match["argument"] else None
        cost += math.ceil(_string_length(traversed) * _STRING_TRAVERSAL)
    for match in _RECEIVER_CALL.finditer(expression):
        receiver = _resolve(node, match["receiver"])
        function = match["function"]
        argument = match["argument"] or ""
        length = math.ceil(_string_length(receiver) * _STRING_TRAVERSAL)
        if function == "matches":
            cost += length * math.ceil(max(len(argument) - 2, 1) * _REGEX_LENGTH)
        elif function in ("startsWith", "endsWith"):
            cost += math.ceil(max(len(argument) - 2, 1) * _STRING_TRAVERSAL)
        elif function == "contains":
            cost += length * math.ceil(max(len(argument) - 2, 1) * _STRING_TRAVERSAL)
        else:
            multiplier = _saturate(multiplier * _list_length(receiver))
    return _saturate(cost * multiplier)


def _resolve(node: Schema, receiver: str) -> Schema | None:
    current: Schema | None = node
    for part in receiver.split(".")[1:]:
        if current is None:
            return None
        current = (current.get("properties") or {}).get(part)
    return current


def _saturate(value: int) -> int:
    return min(value, 2**64 - 1)


def _cost_message(name: str, cost: int, limit: int) -> str:
    factor = cost / limit
    if factor > 100:
        shown = "more than 100x"
    elif factor < 1.5:
        shown = f"{factor:f}x"
    else:
        shown = f"{factor:.1f}x"
    return (
        f"{name} exceeds budget by factor of {shown} (try simplifying the rule, or adding "
        "maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    )


@cache
def _compiled(expression: str) -> cel.Program:
    return cel.compile(expression)


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())[:300]


# ------------------------------------------------------------------------------ lint


def lint_crd(crd: Mapping[str, Any]) -> list[Problem]:
    """What the server accepts but users would trip over at once: a rule that cannot be
    evaluated on the defaulted empty object of its node (``security: {}``), and rules using
    functions ``konfiguru validate`` cannot evaluate offline."""
    problems: list[Problem] = []
    for path, root in schema_roots(crd):
        for where, node in _walk(root, path):
            rules = node.get("x-kubernetes-validations") or []
            for index, rule in enumerate(rules):
                try:
                    functions = set(
                        _compiled(str(rule.get("rule") or "")).references()["functions"]
                    )
                except Exception:  # noqa: BLE001, S112 - check_crd reports rules that do not compile
                    continue
                unknown = sorted(functions - OFFLINE_FUNCTIONS)
                if unknown:
                    problems.append(
                        Problem(
                            f"{where}.x-kubernetes-validations[{index}].rule",
                            f"uses {', '.join(unknown)}, which the offline CEL evaluator does "
                            "not have: konfiguru validate could not run it",
                        )
                    )
            if rules and node.get("type") == "object":
                problems.extend(_empty_object_problems(node, where))
    return problems


def _empty_object_problems(node: Schema, where: str) -> list[Problem]:
    empty: dict[str, Any] = {}
    wrapper = {"type": "object", "properties": {"value": node}}
    value = {"value": empty}
    errors = default_and_check(wrapper, value, where)
    if any("evaluating rule" not in error.message for error in errors):
        return []  # `{}` is invalid for other reasons (a required field): rules may assume it
    return [
        Problem(
            error.path.replace(f"{where}.value", where, 1) or where,
            f"{error.message} (on the defaulted empty object {_shown(value['value'])})",
        )
        for error in errors
    ]
