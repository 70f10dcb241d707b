"""API trouble: 500, 429, 409, slow answers, dropped connections and watch streams.

The operator must converge anyway, with nothing lost (every child exists, status is Ready) and
nothing duplicated (exactly one of each child, one generated password).
"""

from __future__ import annotations

import base64

from helpers import app, wait_ready

CHILDREN = {("Deployment", "shop"), ("Service", "shop"), ("Secret", "shop-db")}


def _children(emulator) -> list[tuple[str, str]]:
    parent = emulator.get("apps.konfiguru.io", "shop", "default")
    return [(child["kind"], child["metadata"]["name"]) for _, child in emulator.children(parent)]


def test_server_errors_throttling_and_conflicts_are_retried_until_ready(emulator, operator):
    faults = [
        emulator.faults.add("PATCH", r"/deployments/shop", status=500, times=3),
        emulator.faults.add("PATCH", r"/services/shop", status=429, retry_after=1, times=2),
        emulator.faults.add("PATCH", r"/secrets/shop-db", status=409, times=1),
        emulator.faults.add("PATCH", r"/apps/shop/status", status=503, times=2),
    ]
    emulator.create(app(secrets=[{"name": "db", "generate": [{"key": "password"}]}]))
    wait_ready(emulator)
    assert all(fault.hits >= 1 for fault in faults), [f.hits for f in faults]
    children = _children(emulator)
    assert set(children) >= CHILDREN and len(children) == len(set(children))


def test_a_slow_answer_times_out_and_is_retried(emulator, operator_factory):
    operator_factory(KONFIGURU_API_TIMEOUT_SECONDS="1")
    fault = emulator.faults.add("PATCH", r"/deployments/shop", status=None, delay=3, times=1)
    emulator.create(app())
    wait_ready(emulator)
    assert fault.hits == 1


def test_dropped_connections_are_retried(emulator, operator):
    fault = emulator.faults.add("PATCH", r"/services/shop", close=True, times=2)
    emulator.create(app())
    wait_ready(emulator)
    assert fault.hits >= 1


def test_dropped_watch_streams_are_resumed_and_nothing_is_missed(emulator, operator):
    emulator.create(app(secrets=[{"name": "db", "generate": [{"key": "password"}]}]))
    wait_ready(emulator)
    secret = emulator.get("secrets", "shop-db", "default")
    password = base64.b64decode(secret["data"]["password"])
    emulator.drop_watches(abrupt=True)
    emulator.delete("services", "shop", "default")
    emulator.wait_for_object("services", "shop", "default", lambda s: True, timeout=15)
    emulator.drop_watches()
    emulator.patch("apps.konfiguru.io", "shop", {"spec": {"replicas": 2}}, "default")
    emulator.wait_for_object(
        "deployments", "shop", "default", lambda d: d["spec"]["replicas"] == 2, timeout=15
    )
    wait_ready(emulator)
    secret = emulator.get("secrets", "shop-db", "default")
    assert base64.b64decode(secret["data"]["password"]) == password
    children = _children(emulator)
    assert len(children) == len(set(children))
