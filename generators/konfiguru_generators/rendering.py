"""Turn one template plus a context into one Kubernetes object.

One Jinja2 environment for the package's templates (``templates/<kind>/<object>.yaml.j2``, one
object per template) and, when a user passes ``--templates DIR``, a sandboxed one that looks in
that directory first. Every value enters a template through ``tojson``: JSON is YAML, so quoting
is always right (``yes``, ``0123``, ``a: b`` and ``#x`` stay strings). The text is parsed back
with the C YAML loader.

Fast path for the package's own templates (the render benchmark's hot spot: parsing the YAML
of every object was most of a render). While one of them renders, ``tojson`` leaves a slot
token in the text and keeps the value aside; the YAML left around the slots (the same text
for every render of a template branch) is parsed once and cached, and each render fills the
slots with fresh copies of the kept values, equal to what one JSON round trip gives back
(plain data is copied in Python, anything else goes through JSON). The result is the object
the text path builds from the same template (floats written without a ".", which YAML 1.1
reads as strings, stay strings).
A template that uses ``tojson`` output other than as a whole plain YAML value takes the text
path, as do user templates (``--templates``).

A plugin's kinds render from its own package's ``templates/`` (one environment per package). A
user's template directory (``--templates DIR``, the operator's ``KONFIGURU_TEMPLATES_DIR``) holds
``<kind>/<object>.yaml.j2`` files: one with the name of a package template overrides it, any other
is an added template, rendered once per resource of that kind after the kind's own
(:func:`added_templates`; an added template that renders to nothing adds no object).

Called by the per-kind renderers (``kinds/*/render.py``) and ``pipeline.py`` (added templates).
"""

from __future__ import annotations

import json
import math
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import yaml

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML wheels ship libyaml on our platforms
    _Loader = yaml.SafeLoader

# libyaml refuses these characters raw in a document ("special characters are not allowed"),
# and json.dumps(ensure_ascii=False) leaves them raw; \u escapes are valid in YAML double quotes.
_UNSAFE_FOR_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


# json.dumps with these options, without building an encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
# Types whose JSON text reads back (as JSON and as YAML) to an equal value of the same type.
_ROUND_TRIP_EXACT = frozenset({str, int, bool, type(None)})


def tojson(value: Any) -> str:
    """JSON text for any value, safe to embed anywhere in a YAML document."""
    if isinstance(value, jinja2.Undefined):
        # A missing variable (a typo in a user's --templates override, say) is a TemplateError
        # naming the variable, not a JSON encoder's TypeError.
        value._fail_with_undefined_error()
    slots = _slots.get()
    if slots is not None:
        slots.append(value)
        return f"{_SLOT}{len(slots) - 1}"
    return _UNSAFE_FOR_YAML.sub(_escape, _ENCODER.encode(value))


# The values ``tojson`` put aside during one fast-path render; None outside one (the text path).
_slots: ContextVar[list[Any] | None] = ContextVar("konfiguru_slots", default=None)
# A plain YAML scalar no template text contains: a per-process nonce.
_SLOT = f"kfg-slot-{os.urandom(6).hex()}-"
_SLOT_TOKEN = re.compile(re.escape(_SLOT) + r"(\d+)")


@dataclass(frozen=True)
class _Slot:
    index: int


@dataclass(frozen=True)
class _Map:
    items: tuple[tuple[Any, Any], ...]


@dataclass(frozen=True)
class _Seq:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class _Json:
    """A constant mapping or list, kept as JSON: ``json.loads`` makes a fresh copy fastest."""

    text: str


@dataclass(frozen=True)
class _Shape:
    """A template's YAML with slots where ``tojson`` values go; constants are immutable."""

    root: Any
    slots: frozenset[int]


def _yaml_float(text: str) -> float | str:
    # YAML 1.1 (PyYAML) reads a number as a float only with a "."; json.dumps writes 1e-05.
    return float(text) if "." in text else text


_DECODER = json.JSONDecoder(parse_float=_yaml_float)
_PLAIN_DECODER = json.JSONDecoder()
_JSON_LEAF = (str, int, float, bool, type(None))


def _folded(plan: _Map | _Seq) -> _Map | _Seq | _Json:
    """A mapping or list without slots becomes JSON when JSON gives it back exactly."""
    parts = [part for item in plan.items for part in (item if isinstance(plan, _Map) else (item,))]
    if not all(isinstance(part, (_Json, *_JSON_LEAF)) for part in parts):
        return plan
    if isinstance(plan, _Map) and not all(isinstance(key, str) for key, _ in plan.items):
        return plan
    if any(isinstance(part, float) and not math.isfinite(part) for part in parts):
        return plan
    value = _build(plan, [])
    return _Json(json.dumps(value, ensure_ascii=False))


@lru_cache(maxsize=512)
def _shape(text: str) -> _Shape | None:
    """The cached shape of slotted template output, or None when only the text path is exact."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        seen: set[int] = set()
        used: set[int] = set()

        def plan(node: yaml.Node) -> Any:
            if id(node) in seen:  # an alias: the text path shares one object, keep that exact
                raise _NotExact
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                if _SLOT in node.value:
                    match = _SLOT_TOKEN.fullmatch(node.value)
                    if match is None or node.style:  # quoted or block: not a whole value
                        raise _NotExact
                    index = int(match.group(1))
                    if index in used:  # one value twice: the text path makes two objects
                        raise _NotExact
                    used.add(index)
                    return _Slot(index)
                return loader.construct_object(node, deep=True)
            if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
                return _folded(_Map(tuple((plan(key), plan(value)) for key, value in node.value)))
            if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
                return _folded(_Seq(tuple(plan(item) for item in node.value)))
            raise _NotExact  # merge keys, explicit tags: leave them to the constructor

        return _Shape(plan(node), frozenset(used))
    except (yaml.YAMLError, _NotExact):
        return None
    finally:
        loader.dispose()


class _NotExact(Exception):
    """The fast path cannot promise the text path's result for this template output."""


_LEAVES = frozenset(_JSON_LEAF)


def _build(shape: Any, slots: list[Any]) -> Any:
    kind = type(shape)
    if kind is _Slot:
        return slots[shape.index]
    if kind is _Map:
        # Constant keys and scalar values are immutable: used as they are, without a call.
        return {
            key if type(key) in _LEAVES else _build(key, slots): (
                value if type(value) in _LEAVES else _build(value, slots)
            )
            for key, value in shape.items
        }
    if kind is _Seq:
        return [item if type(item) in _LEAVES else _build(item, slots) for item in shape.items]
    if kind is _Json:
        return _PLAIN_DECODER.decode(shape.text)
    return shape


class _NotPlain(Exception):
    """A value that only a JSON round trip copies exactly (a float, a tuple, a key not a str)."""


def _plain_key(key: Any) -> str:
    if type(key) is str:
        return key
    raise _NotPlain


def _plain_copy(value: Any) -> Any:
    """A fresh copy of a container of dicts with str keys, lists, str, int, bool and None."""
    kind = type(value)
    if kind is dict:
        return {
            _plain_key(key): item if type(item) in _ROUND_TRIP_EXACT else _plain_copy(item)
            for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _ROUND_TRIP_EXACT else _plain_copy(item) for item in value]
    raise _NotPlain


def _json_copies(values: list[Any]) -> list[Any]:
    """Fresh copies of ``values``, exactly as one JSON round trip gives them back.

    For plain data (what renderers pass almost always) JSON gives back an equal copy, and
    copying in Python is about twice as fast as encoding and decoding. Anything else goes
    through JSON itself, which knows the answer: floats written without a ".", tuples, keys that
    are not strings, other classes (and raises for a value JSON cannot hold, as ``tojson``
    would). A cycle gives RecursionError here and JSON's own error there.
    """
    try:
        return [_plain_copy(value) for value in values]
    except (_NotPlain, RecursionError):
        return list(_DECODER.decode(_ENCODER.encode(values)))


def _render_text(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """What ``env.get_template(name).render(context)`` returns, at about half the cost.

    ``Template.render`` merges the environment's globals into every new context through a
    ``ChainMap``, which iterates in Python: a third of a package template's Jinja time. Here the
    globals are merged into one plain dict and passed as a shared context; the rest is what
    ``render`` does (``root_render_func`` is the compiled template, errors go through the same
    ``handle_exception``). Package templates set no globals of their own.
    """
    compiled = env.get_template(name)
    try:
        return env.concat(
            compiled.root_render_func(compiled.new_context({**env.globals, **context}, shared=True))
        )
    except Exception:  # noqa: BLE001 - re-raised by handle_exception, as in Template.render
        env.handle_exception()


def _render_fast(
    env: jinja2.Environment, template: str, context: dict[str, Any]
) -> dict[str, Any] | None:
    slots: list[Any] = []
    token = _slots.set(slots)
    try:
        text = _render_text(env, template, context)
    finally:
        _slots.reset(token)
    shape = _shape(text)
    if shape is None or shape.slots != frozenset(range(len(slots))):
        return None  # a tojson value used inside an expression or a string: text path
    # Fresh copies of every container value, as JSON gives them back.
    pending = [value for value in slots if type(value) not in _ROUND_TRIP_EXACT]
    if pending:
        copies = iter(_json_copies(pending))
        slots = [v if type(v) in _ROUND_TRIP_EXACT else next(copies) for v in slots]
    try:
        obj = _build(shape.root, slots)
    except TypeError:  # an unhashable key: let the text path report it
        return None
    return obj if isinstance(obj, dict) else None


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["tojson"] = tojson
    return env


PACKAGE = "konfiguru_generators"


@lru_cache(maxsize=16)
def package_environment(package: str = PACKAGE) -> jinja2.Environment:
    """The environment for the templates shipped with ``package`` (compiled once, cached)."""
    return _configure(
        jinja2.Environment(
            loader=jinja2.PackageLoader(package, "templates"),
            undefined=jinja2.StrictUndefined,
            # YAML, not HTML: every value is escaped by tojson instead.
            autoescape=False,  # noqa: S701
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
    )


def prepare(packages: tuple[str, ...] = (PACKAGE,)) -> None:
    """Compile every template of ``packages`` now (for :func:`konfiguru_generators.warm_up`)."""
    for package in packages:
        env = package_environment(package)
        for name in env.list_templates(extensions=["j2"]):
            env.get_template(name)


@lru_cache(maxsize=16)
def override_environment(directory: str, package: str = PACKAGE) -> jinja2.Environment:
    """A sandboxed environment: templates in ``directory`` win, ``package``'s fill the rest.

    User templates are untrusted code: the sandbox stops them reaching Python internals.
    """
    return _configure(
        jinja2.sandbox.ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(str(Path(directory))),
                    jinja2.PackageLoader(package, "templates"),
                ]
            ),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


class TemplateError(Exception):
    """A template (ours or a user's override) did not produce exactly one mapping."""


def render_object(
    template: str,
    context: dict[str, Any],
    templates_dir: str | None = None,
    package: str = PACKAGE,
) -> dict[str, Any]:
    """Render ``template`` (a path like ``app/deployment.yaml.j2``) to one object."""
    obj = _render(template, context, templates_dir, package)
    if not isinstance(obj, dict):
        raise TemplateError(f"{template} must produce one mapping, got {type(obj).__name__}")
    return obj


def _render(template: str, context: dict[str, Any], templates_dir: str | None, package: str) -> Any:
    if templates_dir:
        env = override_environment(templates_dir, package)
    else:
        env = package_environment(package)
    try:
        if not templates_dir:
            fast = _render_fast(env, template, context)
            if fast is not None:
                return fast
        text = env.get_template(template).render(context)
    except jinja2.TemplateError as error:
        raise TemplateError(f"{template}: {error}") from error
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError as error:
        raise TemplateError(f"{template} produced invalid YAML: {error}") from error


def added_templates(templates_dir: str, package: str, kind_dir: str) -> list[str]:
    """The templates in ``templates_dir/<kind_dir>/`` that ``package`` does not ship, sorted:
    each is one more object per resource of the kind (the others override package templates)."""
    prefix = f"{kind_dir}/"
    shipped = set(package_environment(package).list_templates(extensions=["j2"]))
    user = jinja2.FileSystemLoader(str(Path(templates_dir))).list_templates()
    return sorted(
        name
        for name in user
        if name.startswith(prefix) and name.endswith(".j2") and name not in shipped
    )


def user_template_files(templates_dir: str) -> list[str]:
    """Every ``*.j2`` file in a user's template directory, as ``<kind>/<file>`` paths."""
    names = jinja2.FileSystemLoader(str(Path(templates_dir))).list_templates()
    return sorted(name for name in names if name.endswith(".j2"))


def render_added(
    template: str, context: dict[str, Any], templates_dir: str, package: str
) -> dict[str, Any] | None:
    """Render an added template (see :func:`added_templates`): one object, or None when it
    renders to nothing (a template that applies only to some resources, ``{% if %}`` around
    all of it)."""
    obj = _render(template, context, templates_dir, package)
    if obj is None or isinstance(obj, dict):
        return obj
    raise TemplateError(f"{template} must produce one mapping or nothing, got {type(obj).__name__}")
