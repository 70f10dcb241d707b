"""Property-based tests over random specs of every kind: valid objects or a SpecError, nothing else.

Specs are drawn from each CRD's own schema (``kfgtest.spec_strategy``), then some are broken on
purpose (wrong types, unknown fields, nulls, malformed quantities, hostile strings). Whatever
comes in, ``render`` returns objects that a Kubernetes 1.30 and 1.37 API server accepts strictly,
or raises :class:`SpecError`; a ``KeyError`` or ``TypeError`` from deep inside a generator is a bug
this test exists to find. A second property puts hostile strings into every string field each CRD
declares and checks that the output decodes exactly in PyYAML, ruamel.yaml (YAML 1.2) and the real
kubectl. Example counts are modest (CI has two cores); with ``CI`` set, the
examples are derandomized so a run is reproducible (see ``tests/conftest.py``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators import API, SpecError, render
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.yamltext import dump_all

KINDS = sorted(REGISTRY)
HOSTILE = ["yes", "no", "on", "0123", "1e3", "null", "~", "a: b", "#x", "- x", "5GB", "", " "]
BAD_QUANTITIES = ["5GB", "10 GB", "1.5.3Gi", "-1Gi", "Gi", "one", "1e", "0x10"]


def spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


def document(kind: str, spec: Any, name: str = "prop") -> dict[str, Any]:
    return {"apiVersion": API, "kind": kind, "metadata": {"name": name}, "spec": spec}


def assert_valid_or_spec_error(doc: Any) -> None:
    try:
        # No secret seed: deriving an RSA key costs seconds in pure Python, and the goldens
        # already cover generated Secrets.
        objects = render(doc)
    except SpecError as error:
        assert error.errors, "a SpecError must carry at least one FieldError"
        for field_error in error.errors:
            assert field_error.path and field_error.message, field_error
        return
    errors = [
        e for obj in objects for v in kfgtest.KUBE_VERSIONS for e in kfgtest.strict_errors(obj, v)
    ]
    assert not errors, "\n".join(errors) + "\nspec: " + kfgtest.dump_json(doc.get("spec"))


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every dict and list inside ``value`` (where a mutation can be applied)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                found.extend(_containers(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)):
                found.extend(_containers(item, (*path, index)))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


WRONG_VALUES = st.one_of(
    st.sampled_from(HOSTILE + BAD_QUANTITIES),
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just([]),
    st.just({}),
    st.just(["x"]),
    st.just({"unexpected": 1}),
)


@st.composite
def mutated_specs(draw: st.DrawFn, kind: str) -> Any:
    spec = copy.deepcopy(draw(kfgtest.spec_strategy(spec_schema(kind))))
    for _ in range(draw(st.integers(1, 3))):
        target_path = draw(st.sampled_from(_containers(spec)))
        target = _at(spec, target_path)
        if isinstance(target, dict):
            key = draw(st.one_of(st.sampled_from(sorted(target) or ["bogus"]), st.just("bogus")))
            target[key] = copy.deepcopy(draw(WRONG_VALUES))
        elif target:
            target[draw(st.integers(0, len(target) - 1))] = copy.deepcopy(draw(WRONG_VALUES))
        else:
            # A copy: st.just() hands out the same list every time, and appending a value into
            # itself would build a cycle.
            target.append(copy.deepcopy(draw(WRONG_VALUES)))
    return spec


@pytest.mark.parametrize("kind", KINDS)
def test_random_valid_shaped_specs_render_valid_objects_or_a_spec_error(kind: str) -> None:
    @settings(max_examples=40)
    @given(spec=kfgtest.spec_strategy(spec_schema(kind)))
    def check(spec: Any) -> None:
        assert_valid_or_spec_error(document(kind, spec))

    check()


@pytest.mark.parametrize("kind", KINDS)
def test_randomly_broken_specs_give_a_spec_error_never_a_crash(kind: str) -> None:
    @settings(max_examples=40)
    @given(spec=mutated_specs(kind))
    def check(spec: Any) -> None:
        assert_valid_or_spec_error(document(kind, spec))

    check()


@pytest.mark.parametrize("kind", KINDS)
@given(
    envelope=st.fixed_dictionaries(
        {},
        optional={
            "apiVersion": st.sampled_from([API, "konfiguru.io/v1", "v1", 1, None]),
            "metadata": st.one_of(
                st.none(),
                st.just("web"),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": st.one_of(
                            st.sampled_from(["web", "Web", "-x", "a" * 60, "", "1abc"]),
                            st.integers(),
                            st.none(),
                        ),
                        "namespace": st.sampled_from(["shop", "default"]),
                    },
                ),
            ),
            "spec": st.one_of(st.none(), st.just([]), st.just("x"), st.just({})),
        },
    )
)
@settings(max_examples=25)
def test_broken_envelopes_give_a_spec_error_never_a_crash(
    kind: str, envelope: dict[str, Any]
) -> None:
    assert_valid_or_spec_error({"kind": kind, **envelope})


@given(doc=st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers())))
@settings(max_examples=10)
def test_a_document_that_is_not_a_mapping_gives_a_spec_error(doc: Any) -> None:
    with pytest.raises(SpecError):
        render(doc)


# --- hostile strings in every string field the CRDs declare --------------------------------------
#
# Each string field of each kind's CRD schema (found by walking the schema, never listed by hand:
# plain strings, int-or-string, map keys and values, free-form fields such as affinity or env
# values) gets a hostile string, inside a spec that is otherwise one of the examples, so most
# specs are valid and reach the emitter. The result must be a SpecError whose errors carry field
# paths, or output that PyYAML, a YAML 1.2 reader and the real kubectl each decode to exactly the
# objects rendered. kubectl runs once per kind, over every object rendered for it.

Step = tuple[str, ...]


def string_fields(schema: dict[str, Any], path: tuple[Step, ...] = ()) -> list[tuple[Step, ...]]:
    """The path (a tuple of steps) to every place of ``schema`` where a string can stand."""
    found: list[tuple[Step, ...]] = []
    free_form = schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("properties")
    any_value = free_form and schema.get("type") in (None, "string")
    if schema.get("type") == "string" or schema.get("x-kubernetes-int-or-string") or any_value:
        found.append(path)
    elif free_form:
        found.append((*path, ("free",)))
    for name, child in (schema.get("properties") or {}).items():
        found.extend(string_fields(child, (*path, ("prop", name))))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        found.append((*path, ("key",)))
        found.extend(string_fields(extra, (*path, ("value",))))
    if schema.get("type") == "array":
        found.extend(string_fields(schema.get("items") or {}, (*path, ("item",))))
    return found


def forced(schema: dict[str, Any], steps: tuple[Step, ...], leaf: Any) -> Any:
    """Values of ``schema`` that hold ``leaf`` at ``steps`` (required siblings drawn too)."""
    if not steps:
        return leaf
    step, rest = steps[0], steps[1:]
    if step[0] == "prop":
        name = step[1]
        siblings = {
            key: kfgtest.plausible_strategy(key, child, 3)
            for key, child in (schema.get("properties") or {}).items()
            if key in (schema.get("required") or []) and key != name
        }
        child = schema["properties"][name]
        return st.fixed_dictionaries({**siblings, name: forced(child, rest, leaf)})
    if step[0] == "item":
        return st.lists(forced(schema.get("items") or {}, rest, leaf), min_size=1, max_size=1)
    if step[0] == "value":
        extra = schema["additionalProperties"]
        return st.fixed_dictionaries({"hostile": forced(extra, rest, leaf)})
    if step[0] == "key":
        extra = schema["additionalProperties"]
        return st.tuples(leaf, kfgtest.spec_strategy(extra, 3)).map(lambda kv: {kv[0]: kv[1]})
    return st.fixed_dictionaries({"hostile": leaf})  # a free-form mapping


def merged(base: Any, change: Any, steps: tuple[Step, ...]) -> Any:
    """``change`` laid over ``base`` along ``steps``: the hostile value and the path to it win,
    every other field keeps the base's value (its own required siblings fill only gaps)."""
    if not steps or not isinstance(base, (dict, list)) or type(base) is not type(change):
        return change
    step, rest = steps[0], steps[1:]
    if isinstance(base, list):
        return [merged(base[0], change[0], rest), *base[1:]] if base else change
    result = {**change, **base}
    if step[0] == "prop":
        name = step[1]
        result[name] = merged(base[name], change[name], rest) if name in base else change[name]
    else:  # a map's new key, or a free-form mapping's: the hostile entry itself wins
        result.update(change)
    return result


def leaf_of(value: Any, steps: tuple[Step, ...]) -> Any:
    """The value at ``steps`` (for a map-key step: the key)."""
    for step in steps:
        if step[0] == "prop":
            value = value[step[1]]
        elif step[0] == "item":
            value = value[0]
        elif step[0] == "key":
            return next(iter(value))
        else:
            value = value["hostile"]
    return value


def strings_in(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for key, item in value.items() for s in {str(key)} | strings_in(item)}
    if isinstance(value, list):
        return {s for item in value for s in strings_in(item)}
    return set()


HOSTILE_TEXT = st.one_of(
    st.sampled_from(kfgtest.YAML_AMBIGUOUS + kfgtest.YAML_HOSTILE[:-3]),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
)


def examples_of(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in kfgtest.all_resources() if doc.get("kind") == kind]


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_strings_in_every_declared_string_field_are_refused_or_read_back_exactly(
    kind: str,
) -> None:
    schema = spec_schema(kind)
    fields = string_fields(schema)
    bases = examples_of(kind)
    rendered: list[dict[str, Any]] = []
    accepted: set[tuple[Step, ...]] = set()

    def check_field(steps: tuple[Step, ...]) -> None:
        @settings(max_examples=2)
        @given(base=st.sampled_from(bases), change=forced(schema, steps, HOSTILE_TEXT))
        def check(base: dict[str, Any], change: Any) -> None:
            doc = {**base, "spec": merged(copy.deepcopy(base["spec"]), change, steps)}
            try:
                objects = render(doc)
            except SpecError as error:
                assert error.errors and all(e.path and e.message for e in error.errors), error
                return
            accepted.add(steps)
            # The objects the hostile value reached go to the readers (all would be slow).
            leaf = leaf_of(change, steps)
            rendered.extend(obj for obj in objects if leaf in strings_in(obj))

        check()

    for steps in fields:
        check_field(steps)
    print(f"{kind}: {len(accepted)} of {len(fields)} string fields rendered a hostile string")
    # Some fields take any string (env, args, annotations, config): the decoding check has work.
    assert len(accepted) >= 3, f"{len(accepted)} of {len(fields)} fields rendered"
    text = dump_all(rendered)
    expected = kfgtest.as_json(rendered)
    decoded = kfgtest.kubectl_decode(text)
    for got, want in zip(decoded, expected, strict=True):
        assert got == want, kfgtest.describe(want)
    assert [o for o in yaml.load_all(text, Loader=yaml.CSafeLoader) if o] == rendered
    assert kfgtest.yaml12_load_all(text) == rendered
