"""Lists with selectors and pagination; watch streams with resource versions, selectors, drops."""

from __future__ import annotations

import threading
import time

import pytest

from .samples import configmap, widget
from .selectors import SelectorError, label_matcher

CMS = "/api/v1/namespaces/default/configmaps"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tier=web", {"a"}),
        ("tier==web", {"a"}),
        ("tier!=web", {"b", "c"}),
        ("tier in (web,db)", {"a", "b"}),
        ("tier notin (web)", {"b", "c"}),
        ("tier", {"a", "b"}),
        ("!tier", {"c"}),
        ("tier=db,team=x", {"b"}),
    ],
)
def test_label_selectors_filter_lists(emu, selector, expected):
    emu.create(configmap("a", labels={"tier": "web"}))
    emu.create(configmap("b", labels={"tier": "db", "team": "x"}))
    emu.create(configmap("c"))
    names = {o["metadata"]["name"] for o in emu.list("cm", "default", labels=selector)}
    assert names == expected


def test_a_malformed_label_selector_is_a_400(emu):
    with pytest.raises(SelectorError):
        label_matcher("a in b")
    status, body, _ = emu.request("GET", f"{CMS}?labelSelector=a%20in%20b")
    assert status == 400 and body["reason"] == "BadRequest"


def test_field_selector_on_metadata_name(emu):
    emu.create(configmap("a"))
    emu.create(configmap("b"))
    status, body, _ = emu.request("GET", f"{CMS}?fieldSelector=metadata.name%3Db")
    assert status == 200 and [i["metadata"]["name"] for i in body["items"]] == ["b"]
    assert body["kind"] == "ConfigMapList" and int(body["metadata"]["resourceVersion"]) > 0


def test_cluster_wide_lists_span_namespaces(emu):
    emu.ensure_namespace("other")
    emu.create(configmap("a"))
    emu.create(configmap("b", namespace="other"))
    _, body, _ = emu.request("GET", "/api/v1/configmaps")
    assert {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in body["items"]} == {
        ("default", "a"),
        ("other", "b"),
    }


def test_lists_paginate_with_limit_and_continue(emu):
    for i in range(5):
        emu.create(configmap(f"c{i}"))
    _, page, _ = emu.request("GET", f"{CMS}?limit=2")
    names = [i["metadata"]["name"] for i in page["items"]]
    while page["metadata"].get("continue"):
        _, page, _ = emu.request("GET", f"{CMS}?limit=2&continue={page['metadata']['continue']}")
        names += [i["metadata"]["name"] for i in page["items"]]
    assert names == ["c0", "c1", "c2", "c3", "c4"]


def test_a_watch_without_resource_version_starts_with_the_current_objects(emu):
    emu.create(configmap("a"))
    events = emu.watch_events(f"{CMS}?watch=true&timeoutSeconds=5", count=1, timeout=3)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a")]


def test_a_watch_from_a_resource_version_replays_later_events(emu):
    listed = emu.request("GET", CMS)[1]["metadata"]["resourceVersion"]
    emu.create(configmap("a"))
    emu.patch("cm", "a", {"data": {"a": "2"}})
    emu.delete("cm", "a")
    events = emu.watch_events(f"{CMS}?watch=true&resourceVersion={listed}", count=3, timeout=3)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_a_watch_streams_live_events_cluster_wide(emu):
    emu.ensure_namespace("other")
    rv = emu.request("GET", "/api/v1/configmaps")[1]["metadata"]["resourceVersion"]

    def later():
        time.sleep(0.2)
        emu.create(configmap("x", namespace="other"))
        emu.create(configmap("y"))

    threading.Thread(target=later).start()
    events = emu.watch_events(
        f"/api/v1/configmaps?watch=true&resourceVersion={rv}", count=2, timeout=5
    )
    assert [(e["type"], e["object"]["metadata"]["namespace"]) for e in events] == [
        ("ADDED", "other"),
        ("ADDED", "default"),
    ]


def test_a_label_selected_watch_sees_objects_enter_and_leave_the_selection(emu):
    emu.create(configmap("a"))
    rv = emu.get("cm", "a")["metadata"]["resourceVersion"]
    emu.patch("cm", "a", {"metadata": {"labels": {"app": "x"}}})
    emu.patch("cm", "a", {"data": {"b": "1"}})
    emu.patch("cm", "a", {"metadata": {"labels": None}})
    events = emu.watch_events(
        f"{CMS}?watch=true&labelSelector=app%3Dx&resourceVersion={rv}", count=3, timeout=3
    )
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]


def test_watch_ends_after_timeout_seconds(emu):
    started = time.monotonic()
    events = emu.watch_events(f"{CMS}?watch=true&timeoutSeconds=1&resourceVersion=1", timeout=5)
    assert events == [] and 0.9 < time.monotonic() - started < 3


def test_bookmarks_are_sent_when_allowed(emu):
    emu.handler.bookmark_interval = 0.1
    events = emu.watch_events(
        f"{CMS}?watch=true&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=1",
        count=1,
        timeout=3,
    )
    assert (
        events[0]["type"] == "BOOKMARK"
        and int(events[0]["object"]["metadata"]["resourceVersion"]) > 0
    )


def test_send_initial_events_ends_with_an_annotated_bookmark(emu):
    emu.create(configmap("a"))
    events = emu.watch_events(
        f"{CMS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
        count=2,
        timeout=3,
    )
    assert events[0]["type"] == "ADDED"
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_dropped_watches_end_their_streams(emu):
    results = []
    reader = threading.Thread(
        target=lambda: results.append(
            emu.watch_events(f"{CMS}?watch=true&resourceVersion=1", timeout=10)
        )
    )
    started = time.monotonic()
    reader.start()
    emu.wait_for(lambda: emu.watch_count("cm") == 1)
    assert emu.drop_watches("cm") == 1
    reader.join(5)
    assert results == [[]] and time.monotonic() - started < 5
    emu.wait_for(lambda: emu.watch_count("cm") == 0)


def test_a_too_old_resource_version_is_410_gone(emu_small_history):
    emu = emu_small_history
    for i in range(20):
        emu.create(configmap(f"c{i}"))
    events = emu.watch_events(f"{CMS}?watch=true&resourceVersion=1", timeout=3)
    assert [e["type"] for e in events] == ["ERROR"]
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"


@pytest.fixture
def emu_small_history(emulator_factory):
    emulator = emulator_factory(crds=[])
    emulator.call(
        lambda: setattr(emulator.cluster, "history", type(emulator.cluster.history)(maxlen=5))
    )
    return emulator


def test_watching_a_custom_resource_with_the_watch_path_prefix(emu):
    emu.create(widget("w"))
    events = emu.watch_events(
        "/apis/test.konfiguru.io/v1/watch/namespaces/default/widgets", count=1, timeout=3
    )
    assert [e["object"]["kind"] for e in events] == ["Widget"]


def test_table_watches_send_one_row_per_event_and_the_columns_once(emu):
    emu.create(configmap("a"))
    emu.create(configmap("b"))
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    events = emu.watch_events(f"{CMS}?watch=true", count=2, timeout=3, headers=accept)
    assert [e["object"]["kind"] for e in events] == ["Table", "Table"]
    assert [e["object"]["rows"][0]["cells"][0] for e in events] == ["a", "b"]
    assert events[0]["object"]["columnDefinitions"] and not events[1]["object"]["columnDefinitions"]


def test_an_abrupt_drop_cuts_the_connection_mid_stream(emu):
    results = []
    reader = threading.Thread(
        target=lambda: results.append(
            emu.watch_events(f"{CMS}?watch=true&resourceVersion=1", timeout=10)
        )
    )
    reader.start()
    emu.wait_for(lambda: emu.watch_count("cm") == 1)
    emu.create(configmap("a"))
    emu.wait_for(
        lambda: emu.call(
            lambda: all(w.queue.empty() for ws in emu.cluster.watchers.values() for w in ws)
        )
    )
    assert emu.drop_watches(abrupt=True) == 1
    reader.join(5)
    assert [e["type"] for e in results[0]] == ["ADDED"]
    emu.wait_for(lambda: emu.watch_count("cm") == 0)
