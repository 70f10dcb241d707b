"""Property-based tests over random specs of every kind: valid objects or a SpecError, nothing else.

Specs are drawn from each CRD's own schema (``kfgtest.spec_strategy``), then some are broken on
purpose (wrong types, unknown fields, nulls, malformed quantities, hostile strings). Whatever
comes in, ``render`` returns objects that a Kubernetes 1.30 and 1.37 API server accepts strictly,
or raises :class:`SpecError`; a ``KeyError`` or ``TypeError`` from deep inside a generator is a bug
this test exists to find. Example counts are modest (CI has two cores); with ``CI`` set, the
examples are derandomized so a run is reproducible (see ``tests/conftest.py``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators import API, SpecError, render
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.resources import version_schema

KINDS = sorted(REGISTRY)
HOSTILE = ["yes", "no", "on", "0123", "1e3", "null", "~", "a: b", "#x", "- x", "5GB", "", " "]
BAD_QUANTITIES = ["5GB", "10 GB", "1.5.3Gi", "-1Gi", "Gi", "one", "1e", "0x10"]


def spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = version_schema(REGISTRY[kind].crd_file)["properties"]["spec"]
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
