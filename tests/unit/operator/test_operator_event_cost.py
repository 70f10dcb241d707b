"""What the operator skips per watch event to stay cheap, and that skipping changes nothing.

The shortcuts measured by ``bench/operator_bench.py``: index handlers are coroutines (no thread
hand-over per event), and Kopf's per-event essence (a deep copy) is not built while no handler
reads it, the echo of the operator's own apply does not reconcile the owner again, and renders
are kept as JSON text for every resource of a large namespace.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path

import kopf
import pytest
import yaml

from konfiguru_generators import Existing, render
from konfiguru_generators.labels import OWNER_UID
from konfiguru_operator import reconciler as reconciler_module
from konfiguru_operator.cache import LiveState
from konfiguru_operator.handlers import children, parents
from konfiguru_operator.handlers.lifecycle import EssenceFreeDiffBase
from konfiguru_operator.runtime import RUNTIME

ROOT = Path(__file__).resolve().parents[3]
BODY = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "App",
    "metadata": {"name": "shop", "namespace": "default", "labels": {"team": "a"}},
    "spec": {"image": "nginx"},
    "status": {"phase": "Ready"},
}


def _storage(registry: kopf.OperatorRegistry) -> EssenceFreeDiffBase:
    return EssenceFreeDiffBase(registry=registry, prefix="konfiguru.io", key="last-handled")


def test_index_handlers_are_coroutines_so_kopf_runs_them_without_a_thread():
    assert inspect.iscoroutinefunction(children.index_child)
    assert inspect.iscoroutinefunction(parents.index_parent)


def test_the_operator_registers_no_change_handlers_or_daemons_that_would_read_the_essence():
    registry = kopf.get_default_registry()
    ours = [
        h
        for h in [*registry._changing.get_all_handlers(), *registry._spawning.get_all_handlers()]
        if getattr(h.fn, "__module__", "").startswith("konfiguru_operator")
    ]
    assert ours == []


def test_no_essence_is_built_while_no_handler_reads_it():
    storage = _storage(kopf.OperatorRegistry())
    assert storage.build(body=kopf.Body(BODY)) == {}


def test_the_essence_is_built_as_kopf_does_once_a_change_handler_exists():
    registry = kopf.OperatorRegistry()
    kopf.on.update("konfiguru.io", "v1alpha1", "apps", registry=registry)(lambda **_: None)
    built = _storage(registry).build(body=kopf.Body(BODY))
    expected = kopf.AnnotationsDiffBaseStorage(prefix="konfiguru.io", key="last-handled").build(
        body=kopf.Body(BODY)
    )
    assert built == expected and built["spec"] == {"image": "nginx"}


# ---- child events: our own apply coming back reconciles nothing --------------------------------


def _written(rv: str) -> dict[str, object]:
    return {"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": rv}}


def test_the_echo_of_our_own_apply_is_recognised_once():
    state = LiveState()
    state.wrote("u", "ConfigMap", "c", _written("7"))
    assert state.observed("u", "ConfigMap", "c", "7") is True
    assert state.observed("u", "ConfigMap", "c", "7") is False  # forgotten once seen


def test_a_newer_version_an_unknown_object_or_our_delete_is_no_echo():
    state = LiveState()
    state.wrote("u", "ConfigMap", "c", _written("7"))
    assert state.observed("u", "ConfigMap", "c", "8") is False  # someone changed it since
    assert state.observed("u", "Service", "s", "7") is False
    state.wrote("u", "ConfigMap", "c", None, 9)
    assert state.observed("u", "ConfigMap", "c", "9") is False


class _Scheduler:
    def __init__(self) -> None:
        self.poked: list[str] = []

    def adopt_context(self) -> None:
        pass

    def poke(self, uid: str) -> None:
        self.poked.append(uid)


def _event(rv: str) -> kopf.Body:
    meta = {"name": "c", "resourceVersion": rv, "labels": {OWNER_UID: "u"}}
    return kopf.Body({"kind": "ConfigMap", "metadata": meta})


@pytest.mark.parametrize(
    ("event_type", "rv", "reconciled"),
    [("ADDED", "7", False), ("MODIFIED", "8", True), ("DELETED", "7", True)],
)
def test_only_a_child_event_with_news_reconciles_its_owner(monkeypatch, event_type, rv, reconciled):
    scheduler = _Scheduler()
    state = LiveState()
    monkeypatch.setattr(RUNTIME, "scheduler", scheduler)
    monkeypatch.setattr(RUNTIME, "state", state)
    state.wrote("u", "ConfigMap", "c", _written("7"))
    body = _event(rv)
    asyncio.run(children.child_changed(type=event_type, body=body, labels=body.metadata.labels))
    assert scheduler.poked == (["u"] if reconciled else [])


# ---- the render cache: kept as JSON text, equal to a fresh render --------------------------------


def _documents() -> list[dict[str, object]]:
    found = []
    for path in sorted(ROOT.glob("examples/**/*.yaml")) + sorted(
        ROOT.glob("tests/golden/**/*.yaml")
    ):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("apiVersion") == "konfiguru.io/v1alpha1":
                document.setdefault("metadata", {})["uid"] = "u"
                found.append(document)
    return found


def test_every_example_render_reads_back_from_json_text_unchanged():
    checked = 0
    for document in _documents():
        try:
            children = render(document, Existing(secret_seed=b"s" * 32))
        except Exception:  # noqa: BLE001 - invalid examples are the generators' tests' job
            continue
        assert json.loads(json.dumps(children, separators=(",", ":"))) == children
        checked += 1
    assert checked >= 5


def test_a_cached_render_is_equal_fresh_and_not_rendered_again(harness, app, monkeypatch):
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return render(*args, **kwargs)

    monkeypatch.setattr(reconciler_module, "render", counted)
    app["metadata"]["uid"] = "u"
    resource = reconciler_module.renderable(app)
    existing = Existing(secret_seed=b"s" * 32)
    first, _ = harness.reconciler._render("u", resource, existing)
    again, _ = harness.reconciler._render("u", resource, existing)
    assert calls == [1]
    assert again == first and again is not first and again[0] is not first[0]
