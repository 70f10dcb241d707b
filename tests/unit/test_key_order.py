"""Children never depend on the order in which a resource's keys arrived.

The API server returns every map of a custom resource with sorted keys; a file keeps its
author's order. ``konfiguru render`` of the file and the operator's render of the same resource
read back from the cluster must give the same bytes (config files and their checksums, env,
labels, parameters...). Each resource is rendered as written, then with the keys of every
mapping (recursively, metadata included) reversed, shuffled and sorted, and the children are
compared as order-preserving JSON text: byte for byte, key order included.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators import API, SpecError, render
from konfiguru_generators.kinds import REGISTRY

ORDERS = ("reversed", "shuffled", "sorted")


def document(kind: str, spec: Any) -> dict[str, Any]:
    return {"apiVersion": API, "kind": kind, "metadata": {"name": "order"}, "spec": spec}


def spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


def reordered(value: Any, order: str, rng: random.Random) -> Any:
    """``value`` with the keys of every mapping in ``order``; lists keep their order."""
    if isinstance(value, dict):
        keys = list(value)
        if order == "reversed":
            keys.reverse()
        elif order == "shuffled":
            rng.shuffle(keys)
        else:
            keys.sort(key=str)
        return {key: reordered(value[key], order, rng) for key in keys}
    if isinstance(value, list):
        return [reordered(item, order, rng) for item in value]
    return value


def outcome(doc: Any, **options: Any) -> str:
    """The children as JSON text that keeps key order, or the errors of the SpecError."""
    try:
        return json.dumps(render(doc, **options), ensure_ascii=False)
    except SpecError as error:
        return "SpecError: " + error.message


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("case", "doc"), kfgtest.all_resources(), ids=[case for case, _ in kfgtest.all_resources()]
)
def test_every_example_renders_the_same_bytes_whatever_the_order_of_its_keys(
    case: str, doc: Any, order: str
) -> None:
    existing = kfgtest.seeded()
    expected = outcome(doc, existing=existing)
    assert not expected.startswith("SpecError"), expected
    for attempt in range(3 if order == "shuffled" else 1):
        again = reordered(doc, order, random.Random(attempt))
        assert outcome(again, existing=existing) == expected, f"{case} with {order} keys"


def test_a_config_file_written_from_structured_data_does_not_follow_the_authors_key_order() -> None:
    def web(content: dict[str, Any]) -> dict[str, Any]:
        return document(
            "App",
            {"image": "nginx", "config": {"files": [{"name": "s.yaml", "content": content}]}},
        )

    ours = render(web({"currency": "EUR", "locales": ["en", "de"]}))
    server = render(web({"locales": ["en", "de"], "currency": "EUR"}))
    configmap = next(obj for obj in ours if obj["kind"] == "ConfigMap")
    assert configmap["data"]["s.yaml"] == "currency: EUR\nlocales:\n- en\n- de\n"
    assert json.dumps(ours) == json.dumps(server)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
@settings(max_examples=25)
@given(data=st.data())
def test_any_spec_renders_the_same_bytes_whatever_the_order_of_its_keys(
    kind: str, data: st.DataObject
) -> None:
    spec = data.draw(kfgtest.spec_strategy(spec_schema(kind)), label="spec")
    labels = data.draw(
        st.dictionaries(st.sampled_from(["team", "tier", "a.io/x", "zone"]), st.just("v")),
        label="labels",
    )
    doc = document(kind, spec)
    doc["metadata"]["labels"] = labels
    expected = outcome(doc)
    for order in ORDERS:
        again = reordered(doc, order, data.draw(st.randoms(use_true_random=False)))
        assert outcome(again) == expected, order
