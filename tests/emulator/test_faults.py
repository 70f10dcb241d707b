"""Fault injection: error answers, Retry-After, delays, dropped connections, kmock reactions."""

from __future__ import annotations

import http.client
import time

import pytest

from .samples import configmap

CMS = "/api/v1/namespaces/default/configmaps"


def test_the_next_n_matching_requests_fail_then_the_emulation_resumes(emu):
    fault = emu.faults.add("POST", r"/configmaps", status=500, times=2)
    assert emu.request("POST", CMS, configmap("a"))[0] == 500
    status, body, _ = emu.request("POST", CMS, configmap("a"))
    assert status == 500 and body["kind"] == "Status" and body["reason"] == "InternalError"
    assert emu.request("POST", CMS, configmap("a"))[0] == 201
    assert fault.hits == 2 and fault.exhausted


def test_a_failed_request_changes_nothing(emu):
    emu.faults.add("POST", status=503)
    emu.request("POST", CMS, configmap("a"))
    assert emu.find("cm", "a") is None


def test_429_carries_retry_after(emu):
    emu.faults.add(None, r"/configmaps\?", status=429, retry_after=2)
    status, body, headers = emu.request("GET", f"{CMS}?limit=1")
    assert status == 429 and headers["Retry-After"] == "2"
    assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 2
    assert emu.request("GET", CMS)[0] == 200  # the query did not match: no "?"


def test_an_injected_conflict_looks_like_a_real_one(emu):
    emu.create(configmap("a"))
    emu.faults.add("PATCH", status=409)
    status, body, _ = emu.request(
        "PATCH", f"{CMS}/a", {"data": {"a": "2"}}, content_type="application/merge-patch+json"
    )
    assert status == 409 and body["reason"] == "Conflict" and "modified" in body["message"]


def test_delays_slow_down_matching_requests_without_failing_them(emu):
    emu.faults.add("GET", r"/configmaps", status=None, delay=0.3)
    started = time.monotonic()
    assert emu.request("GET", CMS)[0] == 200
    assert time.monotonic() - started >= 0.3


def test_a_closed_connection_gets_no_answer(emu):
    emu.faults.add("GET", r"/configmaps", close=True)
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=3)
    connection.request("GET", CMS)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    assert emu.request("GET", CMS)[0] == 200


def test_unlimited_faults_last_until_cleared(emu):
    emu.faults.add("GET", r"/configmaps", status=500, times=None)
    assert [emu.request("GET", CMS)[0] for _ in range(3)] == [500, 500, 500]
    emu.faults.clear()
    assert emu.request("GET", CMS)[0] == 200


def test_kmock_reactions_declared_on_the_handler_take_precedence(emu):
    emu.handler["get /version"] << {"major": "9"}
    assert emu.request("GET", "/version")[1] == {"major": "9"}
    assert emu.request("GET", "/api/v1")[0] == 200
