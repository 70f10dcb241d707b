"""What the operator skips per watch event to stay cheap, and that skipping changes nothing.

The shortcuts measured by ``bench/operator_bench.py``: index handlers are coroutines (no thread
hand-over per event), and Kopf's per-event essence (a deep copy) is not built while no handler
reads it, and the echo of the operator's own apply does not reconcile the owner again.
"""

from __future__ import annotations

import asyncio
import inspect

import kopf
import pytest

from konfiguru_generators.labels import OWNER_UID
from konfiguru_operator.cache import LiveState
from konfiguru_operator.handlers import children, parents
from konfiguru_operator.handlers.lifecycle import EssenceFreeDiffBase
from konfiguru_operator.runtime import RUNTIME

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
