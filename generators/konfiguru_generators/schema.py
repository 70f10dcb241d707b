"""Apply a CRD's OpenAPI schema to a resource the way the API server does: defaults, then checks.

The CRDs in ``crds/`` are the single source of truth for fields and their defaults. The generator
never hard-codes a default: it loads the CRD (shipped as package data, see ``resources.py``),
fills in ``default`` values exactly where the API server would (an absent field whose schema has
a default; nested defaults apply inside defaulted objects), and then checks types, enums,
patterns, bounds, required and unknown fields and the ``x-kubernetes-validations`` CEL rules.
A rule that fails to evaluate (``no such key`` for a field it did not guard with ``has()``) is an
error, as on the API server. Which checks run only here and in the operator, and not at admission,
is listed in the README ("Which checks run where").

Called by ``kinds.py`` (parse → default → validate) for every kind; tests call it to prove the
examples validate against the CRDs.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import cel

from .admission import FAST, HINTS, NON_BLOCKING, QUANTITY_PATTERN, quantity_pattern_error
from .celk8s import functions_for
from .errors import MISSING, FieldError, did_you_mean

Schema = Mapping[str, Any]

# Every schema keyword the walk enforces, or that carries no check (description, default, the
# list-type of a list that is not a map); a CRD spec using any other would be checked by the API
# server and not here (tests/unit/test_admission_parity.py keeps the CRDs within this set).
KEYWORDS = frozenset(
    {
        "type", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "maxProperties",
        "required", "properties", "additionalProperties", "items", "nullable", "default",
        "description", "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
    }
)  # fmt: skip

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
}


def _is_type(value: Any, type_name: str) -> bool:
    # bool is an int subclass in Python; JSON keeps them apart and so does the API server.
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if type_name == "array":
        return isinstance(value, list)
    return True


# Declared types a value of exactly this Python type always satisfies (see _is_type).
_EXACT_TYPES: dict[Any, type] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "integer": int,
}


def go_regex(regex: str) -> str:
    """A CRD ``pattern`` (RE2, as the API server reads it) in Python's dialect.

    RE2's ``$`` (and ``\\z``) is the end of the text; Python's ``$`` also matches before a final
    newline, so ``^[a-z]+$`` would accept ``"web\\n"``. Bare ``$`` outside a character class
    becomes ``\\Z``.
    """
    out: list[str] = []
    escaped = in_class = False
    for char in regex:
        if escaped:
            out.append("Z" if char == "z" else char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        else:
            out.append("\\Z" if char == "$" else char)
    return "".join(out)


@cache
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(go_regex(regex))


@cache
def _rule(expression: str) -> cel.Program:
    return cel.compile(expression)


_SELF = re.compile(r"\bself\b")
_SELF_FIELD = re.compile(r"\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_HAS_FIELD = re.compile(r"\bhas\(\s*self\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


@dataclass(frozen=True)
class _RuleView:
    """The fields of ``self`` a rule reads, and those it only tests with ``has()``."""

    fields: frozenset[str]
    presence_only: frozenset[str]


@cache
def _rule_view(expression: str) -> _RuleView | None:
    """What a rule reads of ``self``, when it reads ``self`` only as ``self.<field>``.

    Handing CEL just those fields (and a stand-in for fields it only tests with ``has()``) gives
    the same result, since an absent field stays absent, and spares converting the whole object
    to CEL values for every rule: on a full App spec that conversion was most of a render.
    ``None`` (``self`` used whole, indexed or inside a string) means pass all of ``self``.
    """
    reads: Counter[str] = Counter()
    for match in _SELF.finditer(expression):
        field_match = _SELF_FIELD.match(expression, match.end())
        if field_match is None:
            return None
        reads[field_match.group(1)] += 1
    tested = Counter(match.group(1) for match in _HAS_FIELD.finditer(expression))
    presence = frozenset(name for name, count in reads.items() if tested[name] == count)
    return _RuleView(frozenset(reads), presence)


def _rule_input(expression: str, value: Any) -> Any:
    """``self`` as a rule needs to see it (see :func:`_rule_view`)."""
    view = _rule_view(expression) if isinstance(value, dict) else None
    if view is None:
        return value
    return {
        name: True if name in view.presence_only else value[name]
        for name in view.fields
        if name in value
    }


def _run_rule(expression: str, self_value: Any) -> Any:
    """The result of a CEL rule for ``self``; the same small inputs are answered from memory.

    Most rules read a few fields of ``self`` (see :func:`_rule_view`): presence flags, enum
    strings, small numbers. Their inputs repeat from resource to resource while each CEL call
    costs several µs, so results are remembered when every field read is such a scalar. The
    memory is keyed by the exact types too, since CEL tells ``1``, ``1.0`` and ``true`` apart.
    """
    if isinstance(self_value, dict):
        fields = tuple((name, type(item), item) for name, item in self_value.items())
        if all(_rememberable(item) for _, _, item in fields):
            return _remembered_rule(expression, fields)
    return _execute(expression, self_value)


def _execute(expression: str, self_value: Any) -> Any:
    # The Kubernetes CEL functions a rule calls (celk8s.py) are passed along with self.
    return _rule(expression).execute({"self": self_value, **functions_for(expression)})


def _rememberable(value: Any) -> bool:
    kind = type(value)
    return kind in (bool, int, type(None)) or (kind is str and len(value) <= 256)


@lru_cache(maxsize=4096)
def _remembered_rule(expression: str, fields: tuple[tuple[str, type, Any], ...]) -> Any:
    # A rule that raises (a field it did not guard with has()) is not remembered: it raises again.
    return _execute(expression, {name: item for name, _, item in fields})


# `self.matches('<regex>')` on a string: CEL compiles the regex again on every call, the single
# most expensive rule there is. Python's `re` gives the same answer for printable ASCII text and
# regexes without the constructs the two engines read differently, so those run here.
_MATCHES_RULE = re.compile(r"""\s*self\s*\.\s*matches\(\s*'((?:[^'\\]|\\\\)*)'\s*\)\s*""")
_ENGINE_SPECIFIC = re.compile(r"\[:|\{,|\\[1-9pPQEzAZ]|\(\?[=!<]")


@cache
def _string_rule(expression: str) -> re.Pattern[str] | None:
    match = _MATCHES_RULE.fullmatch(expression)
    if match is None:
        return None
    regex = match.group(1).replace("\\\\", "\\")
    if _ENGINE_SPECIFIC.search(regex):
        return None
    try:
        return re.compile(go_regex(regex))
    except re.error:
        return None


@dataclass(frozen=True, eq=False)
class _Node:
    """A schema node with what the walk asks of it for every value worked out once.

    The walk visits over a hundred nodes per App; reading the same keys out of the schema
    dicts again for every value was most of its time. Messages still read ``schema``.
    """

    schema: Schema
    nullable: bool
    exact_type: type | None  # a value of exactly this type needs no type check
    has_enum: bool
    string_checks: bool  # minLength, maxLength or pattern
    number_checks: bool  # minimum or maximum
    items: _Node | None
    list_map: bool  # x-kubernetes-list-type: map
    properties: dict[str, _Node]
    defaults: tuple[tuple[str, Any], ...]
    required: tuple[str, ...]
    extra: _Node | None  # additionalProperties given as a schema
    unknown_allowed: bool  # x-kubernetes-preserve-unknown-fields or additionalProperties: true
    has_rules: bool
    quantity: bool  # the quantity pattern: its errors leave the spec well-formed


def _compile(schema: Schema) -> _Node:
    items = schema.get("items")
    extra = schema.get("additionalProperties")
    properties = schema.get("properties", {})
    return _Node(
        schema=schema,
        nullable=bool(schema.get("nullable", False)),
        exact_type=(
            None if "x-kubernetes-int-or-string" in schema else _EXACT_TYPES.get(schema.get("type"))
        ),
        has_enum="enum" in schema,
        string_checks=any(key in schema for key in ("minLength", "maxLength", "pattern")),
        number_checks="minimum" in schema or "maximum" in schema,
        items=_compile(items) if items is not None else None,
        list_map=schema.get("x-kubernetes-list-type") == "map",
        properties={name: _compile(sub) for name, sub in properties.items()},
        defaults=tuple(
            (name, sub["default"]) for name, sub in properties.items() if "default" in sub
        ),
        required=tuple(schema.get("required", ())),
        extra=_compile(extra) if isinstance(extra, dict) else None,
        unknown_allowed=bool(schema.get("x-kubernetes-preserve-unknown-fields", False))
        or extra is True,
        has_rules="x-kubernetes-validations" in schema,
        quantity=schema.get("pattern") == QUANTITY_PATTERN,
    )


# id(schema) -> its compiled node, which holds the schema, so the id cannot be reused while
# cached. CRD schemas are few, live as long as the process and are never mutated.
_COMPILED: dict[int, _Node] = {}


def _compiled(schema: Schema) -> _Node:
    node = _COMPILED.get(id(schema))
    if node is None or node.schema is not schema:
        if len(_COMPILED) > 256:  # ad-hoc schemas (tests): stay bounded
            _COMPILED.clear()
        node = _COMPILED[id(schema)] = _compile(schema)
    return node


@dataclass
class SchemaWalker:
    """One pass over an object: set defaults in place and collect every error found.

    Keep this a single pass: it runs for every render and sits on the benchmark's hot path.
    With ``defaulting=False`` the value is checked as it is, as the API server checks a schema's
    ``default`` values when a CRD is created (``crdcheck.py``).
    """

    errors: list[FieldError] = field(default_factory=list)
    defaulting: bool = True
    # Errors that leave the data well-formed for the per-kind Python checks, which then still
    # run: rules in admission.NON_BLOCKING, and a quantity's pattern or minimum.
    non_blocking: int = 0

    def walk(self, node: _Node, value: Any, path: str) -> None:
        schema = node.schema
        if value is None:
            if not node.nullable:
                self.errors.append(
                    FieldError(path, value, "must not be null", self._expected(schema))
                )
            return
        # Most values are of exactly the declared type: skip the call.
        if type(value) is not node.exact_type and not self._check_type(schema, value, path):
            return
        if node.has_enum and value not in schema["enum"]:
            accepted = [str(choice) for choice in schema["enum"]]
            hint = did_you_mean(str(value), accepted) if isinstance(value, str) else ""
            if not hint.startswith("accepted"):
                hint = (hint + " " if hint else "") + "accepted: " + ", ".join(accepted)
            self.errors.append(FieldError(path, value, "is not an accepted value", hint))
            return
        if isinstance(value, str):
            if node.string_checks:
                before = len(self.errors)
                self._check_string(schema, value, path)
                if node.quantity:
                    self.non_blocking += len(self.errors) - before
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if node.number_checks:
                before = len(self.errors)
                self._check_number(schema, value, path)
                if node.quantity:
                    self.non_blocking += len(self.errors) - before
        elif isinstance(value, list):
            self._check_array(node, value, path)
        elif isinstance(value, dict):
            self._check_object(node, value, path)
        if node.has_rules:
            self._check_rules(schema, value, path)

    @staticmethod
    def _expected(schema: Schema) -> str:
        if schema.get("x-kubernetes-int-or-string"):
            return "expected an integer or a string"
        type_name = schema.get("type")
        return f"expected {_TYPE_NAMES[type_name]}" if type_name in _TYPE_NAMES else ""

    def _check_type(self, schema: Schema, value: Any, path: str) -> bool:
        if schema.get("x-kubernetes-int-or-string"):
            ok = isinstance(value, str) or _is_type(value, "integer")
        else:
            type_name = schema.get("type")
            ok = type_name is None or _is_type(value, type_name)
        if not ok:
            self.errors.append(
                FieldError(path, value, "has the wrong type", self._expected(schema))
            )
        return ok

    def _check_string(self, schema: Schema, value: str, path: str) -> None:
        if "minLength" in schema and len(value) < schema["minLength"]:
            self.errors.append(
                FieldError(
                    path, value, "is too short", f"at least {schema['minLength']} characters"
                )
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            self.errors.append(
                FieldError(path, value, "is too long", f"at most {schema['maxLength']} characters")
            )
        pattern = schema.get("pattern")
        if pattern == QUANTITY_PATTERN and not _pattern(pattern).search(value):
            message, hint = quantity_pattern_error(value)
            self.errors.append(FieldError(path, value, message, hint))
        elif pattern and not _pattern(pattern).search(value):
            # A friendlier message belongs in a CEL rule with `message` (the API server rejects
            # unknown x- keys in a CRD schema), so here the pattern itself is the hint.
            hint = f"must match {pattern}"
            self.errors.append(FieldError(path, value, "is not in the accepted form", hint))

    def _check_number(self, schema: Schema, value: float, path: str) -> None:
        if "minimum" in schema:
            low = schema["minimum"]
            if value < low or (schema.get("exclusiveMinimum") and value == low):
                sign = ">" if schema.get("exclusiveMinimum") else "≥"
                self.errors.append(FieldError(path, value, "is too small", f"must be {sign} {low}"))
        if "maximum" in schema:
            high = schema["maximum"]
            if value > high or (schema.get("exclusiveMaximum") and value == high):
                sign = "<" if schema.get("exclusiveMaximum") else "≤"
                self.errors.append(
                    FieldError(path, value, "is too large", f"must be {sign} {high}")
                )

    def _check_array(self, node: _Node, value: list[Any], path: str) -> None:
        schema = node.schema
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.errors.append(
                FieldError(path, value, "has too few items", f"at least {schema['minItems']}")
            )
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.errors.append(
                FieldError(path, value, "has too many items", f"at most {schema['maxItems']}")
            )
        items = node.items
        if items is not None:
            for index, item in enumerate(value):
                self.walk(items, item, f"{path}[{index}]")
        if node.list_map:
            self._check_list_map_keys(schema, value, path)

    def _check_list_map_keys(self, schema: Schema, value: list[Any], path: str) -> None:
        keys = schema.get("x-kubernetes-list-map-keys", [])
        seen: set[tuple[Any, ...]] = set()
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            key = tuple(item.get(k) for k in keys)
            if not all(isinstance(part, (str, int, float, bool, type(None))) for part in key):
                continue  # a key of the wrong type is reported by its own field's check
            if key in seen:
                shown = ", ".join(f"{k}={item.get(k)!r}" for k in keys)
                self.errors.append(
                    FieldError(f"{path}[{index}]", item, "is a duplicate", f"{shown} appears twice")
                )
            seen.add(key)

    def _check_object(self, node: _Node, value: dict[str, Any], path: str) -> None:
        properties = node.properties
        if self.defaulting:
            # The API server prunes a null in a field that is not nullable before defaulting, so
            # `replicas: null` means "the default", not an error.
            for name in [n for n, v in value.items() if v is None and n in properties]:
                if not properties[name].nullable:
                    del value[name]
            for name, default in node.defaults:
                if name not in value:
                    value[name] = copy_tree(default)
        size = node.schema.get("maxProperties")
        if size is not None and len(value) > size:
            self.errors.append(
                FieldError(path, f"{len(value)} fields", "has too many fields", f"at most {size}")
            )
        for name in node.required:
            if name not in value:
                self.errors.append(
                    FieldError(f"{path}.{name}", MISSING, "is required", f"set {path}.{name}")
                )
        for name, item in value.items():
            sub_path = child_path(path, name)
            child = properties.get(name)
            if child is not None:
                self.walk(child, item, sub_path)
            elif node.extra is not None:
                self.walk(node.extra, item, sub_path)
            elif not node.unknown_allowed:
                self.errors.append(
                    FieldError(
                        sub_path, item, "is not a known field", did_you_mean(name, properties)
                    )
                )

    def _check_rules(self, schema: Schema, value: Any, path: str) -> None:
        for rule in schema.get("x-kubernetes-validations", ()):
            expression = rule["rule"]
            fast = FAST.get(expression)
            regex = _string_rule(expression) if fast is None and isinstance(value, str) else None
            try:
                if fast is not None:
                    ok = fast(value)
                elif regex is not None and value.isascii() and value.isprintable():
                    ok = regex.search(value) is not None
                else:
                    ok = _run_rule(expression, _rule_input(expression, value))
            except Exception as error:  # noqa: BLE001 - the API server reports any evaluation error
                # CEL raises for a missing field the rule did not guard with has(); the API
                # server then refuses the object, saying so (`no such key: x evaluating rule`).
                self.errors.append(FieldError(path, value, rule_error(error, rule)))
                continue
            if ok is not True:
                where = path + rule.get("fieldPath", "")
                shown = _lookup(value, rule.get("fieldPath", ""))
                explain = HINTS.get(expression)
                hint = explain(shown) if explain is not None else ""
                self.errors.append(
                    FieldError(where, shown, rule.get("message", rule["rule"]), hint)
                )
                self.non_blocking += expression in NON_BLOCKING


def rule_error(error: Exception, rule: Mapping[str, Any]) -> str:
    """The API server's message for a rule that could not be evaluated:
    ``no such key: runAsUser evaluating rule: <the rule's message, or the rule>``."""
    if isinstance(error, KeyError) and error.args:
        reason = f"no such key: {error.args[0]}"
    else:
        reason = str(error).split("\n", 1)[0]
    return f"{reason} evaluating rule: {str(rule.get('message') or rule['rule']).strip()}"


@cache
def child_path(path: str, name: str) -> str:
    """The path of a mapping's field as errors name it: ``spec.env.LOG`` or ``spec.env["a.b"]``.

    Also used by front ends to map these paths back to where a field was written.
    """
    return f"{path}.{name}" if _plain_key(name) else f'{path}["{name}"]'


def _plain_key(name: str) -> bool:
    return name.replace("_", "a").replace("-", "a").isalnum()


def _lookup(value: Any, field_path: str) -> Any:
    """The value a CEL rule's ``fieldPath`` (like ``.autoscale.max``) points at; ``MISSING``
    when the field is absent (``spec.connectTo[0].engine: is needed for ...``)."""
    for part in (p for p in field_path.split(".") if p):
        if not isinstance(value, dict):
            return value
        if part not in value:
            return MISSING
        value = value[part]
    return value


def copy_tree(value: Any) -> Any:
    """A deep copy of parsed YAML/JSON data (dicts, lists, scalars), several times faster than
    ``copy.deepcopy``; anything else is handed to ``copy.deepcopy``. Shared sub-objects (YAML
    aliases) become separate copies, so defaulting one place never changes another."""
    kind = type(value)
    if kind is dict:
        return {key: copy_tree(item) for key, item in value.items()}
    if kind is list:
        return [copy_tree(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def sorted_tree(value: Any) -> Any:
    """A copy of parsed data (as :func:`copy_tree`) with the keys of every mapping sorted.

    The API server returns a custom resource's maps with sorted keys, while a file keeps the
    order its author wrote; generators iterate and serialize user maps (config files, env,
    labels, parameters) in the order they receive them. Sorting at the pipeline's waist makes
    every generator's output, and every error list, independent of the order keys arrived in,
    so ``konfiguru render`` and the operator produce the same bytes. Keys sort by code point,
    which for UTF-8 is the byte order of Go's JSON encoder (the API server's); a key that is not
    a string (a YAML ``1:``) sorts by its text after the strings.
    """
    kind = type(value)
    if kind is dict:
        return {key: sorted_tree(value[key]) for key in sorted(value, key=_key_order)}
    if kind is list:
        return [sorted_tree(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


def sort_keys(value: Any) -> None:
    """Sort the keys of every mapping in ``value`` in place (as :func:`sorted_tree` orders
    them): for data already sorted once, where defaulting has since appended keys."""
    if type(value) is dict:
        keys = list(value)
        ordered = sorted(keys, key=_key_order)
        if keys != ordered:
            items = [(key, value[key]) for key in ordered]
            value.clear()
            value.update(items)
        for item in value.values():
            if type(item) in (dict, list):
                sort_keys(item)
    elif type(value) is list:
        for item in value:
            if type(item) in (dict, list):
                sort_keys(item)


def _key_order(key: Any) -> tuple[bool, str]:
    return (type(key) is not str, key if type(key) is str else repr(key))


def default_and_check(schema: Schema, value: dict[str, Any], path: str) -> list[FieldError]:
    """Default ``value`` in place and return every error found in it."""
    walker = SchemaWalker()
    walker.walk(_compiled(schema), value, path)
    return walker.errors


def check_spec(schema: Schema, value: dict[str, Any], path: str) -> tuple[list[FieldError], bool]:
    """Default ``value`` in place; every error found, and whether the per-kind Python checks can
    run on it (no error, or only errors of rules in ``admission.NON_BLOCKING`` and of quantity
    patterns and minimums)."""
    walker = SchemaWalker()
    walker.walk(_compiled(schema), value, path)
    return walker.errors, walker.non_blocking == len(walker.errors)


def check_as_is(schema: Schema, value: Any, path: str) -> list[FieldError]:
    """Every error in ``value`` against ``schema``, without defaulting or changing it (how the
    API server checks a ``default`` when a CRD is created)."""
    walker = SchemaWalker(defaulting=False)
    walker.walk(_compiled(schema), value, path)
    return walker.errors


def prepare(schema: Schema) -> None:
    """Compile every pattern and CEL rule of ``schema`` now instead of on first use.

    For :func:`konfiguru_generators.warm_up`: a long-running caller pays the compilation at
    start-up, and the compiled programs exist before it freezes the garbage collector.
    """
    _compiled(schema)
    _prepare_rules(schema)


def _prepare_rules(schema: Schema) -> None:
    for rule in schema.get("x-kubernetes-validations", ()):
        expression = rule["rule"]
        _rule(expression)
        _string_rule(expression)
        _rule_view(expression)
    if "pattern" in schema:
        _pattern(schema["pattern"])
    children = [*schema.get("properties", {}).values(), schema.get("items")]
    children.append(schema.get("additionalProperties"))
    for child in children:
        if isinstance(child, dict):
            _prepare_rules(child)


def iter_schema_paths(schema: Schema, path: str = "spec") -> Iterator[str]:
    """Every field path a schema declares (``spec.a.b``, lists as ``spec.a[]``): for drift tests."""
    yield path
    for name, sub in schema.get("properties", {}).items():
        yield from iter_schema_paths(sub, f"{path}.{name}")
    if "items" in schema:
        yield from iter_schema_paths(schema["items"], f"{path}[]")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from iter_schema_paths(extra, f"{path}.*")
