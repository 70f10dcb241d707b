"""Settings, comparison before apply, the write-through cache, error classification, RBAC."""

from __future__ import annotations

import base64
import glob
from pathlib import Path

import pytest
import yaml

from konfiguru_generators import Existing, render
from konfiguru_operator import rbac
from konfiguru_operator.apply import covers, up_to_date
from konfiguru_operator.cache import LiveState, controller_uid, slim
from konfiguru_operator.errors import classify
from konfiguru_operator.handlers.lifecycle import clamp_version
from konfiguru_operator.kube import ApiError, ResourceRef
from konfiguru_operator.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]


# ---- settings ---------------------------------------------------------------------------------


def test_settings_come_from_konfiguru_variables():
    settings = Settings.from_env(
        {
            "KONFIGURU_RESYNC_SECONDS": "2.5",
            "KONFIGURU_NAMESPACES": "shop, blog",
            "KONFIGURU_STANDALONE": "true",
            "KONFIGURU_LOG_FORMAT": "json",
            "UNRELATED": "x",
        }
    )
    assert settings.resync_seconds == 2.5
    assert settings.namespaces == ("shop", "blog")
    assert settings.standalone is True and settings.log_format == "json"
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KONFIGURU_RESYNC_SECONDS", "soon"),
        ("KONFIGURU_RESYNC_SECONDS", "0"),
        ("KONFIGURU_STANDALONE", "maybe"),
        ("KONFIGURU_LOG_FORMAT", "xml"),
        ("KONFIGURU_WEBHOOK_PORT", "70000"),
        ("KONFIGURU_WEBHOOK_PORT", "https"),
        ("KONFIGURU_INGRESS_CONTROLLER", "haproxy"),
    ],
)
def test_a_bad_setting_names_its_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_an_unknown_ingress_controller_stops_the_operator_saying_what_is_accepted():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"KONFIGURU_INGRESS_CONTROLLER": "haproxy"})
    assert "accepted: gateway, nginx, traefik" in str(caught.value)
    assert (
        Settings.from_env({"KONFIGURU_INGRESS_CONTROLLER": "gateway"}).ingress_controller
        == "gateway"
    )


def _documented_rows() -> dict[str, tuple[str, str]]:
    """The settings module's table: variable → (default, meaning)."""
    text = (ROOT / "operator/konfiguru_operator/settings.py").read_text().split('"""')[1]
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("``KONFIGURU_"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


def test_an_empty_variable_means_what_the_settings_table_says():
    rows = _documented_rows()
    assert len(rows) == len(Settings.__dataclass_fields__)
    for spec in Settings.__dataclass_fields__.values():
        variable = f"KONFIGURU_{spec.metadata['env']}"
        _, meaning = rows[variable]
        value = getattr(Settings.from_env({variable: ""}), spec.name)
        if "empty = off" in meaning:
            assert value == "", variable  # off, whatever the default
        else:
            assert value == spec.default, variable


def test_an_empty_liveness_variable_turns_the_endpoint_off_and_unset_keeps_it():
    assert Settings.from_env({"KONFIGURU_LIVENESS": ""}).liveness == ""
    assert Settings.from_env({"KONFIGURU_LIVENESS": "  "}).liveness == ""
    assert Settings.from_env({}).liveness == "http://0.0.0.0:8080/healthz"


def test_the_command_line_hands_kopf_no_liveness_endpoint_when_the_variable_is_empty(monkeypatch):
    import kopf

    from konfiguru_operator import __main__ as entry

    calls = []
    monkeypatch.setattr(kopf, "run", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(kopf, "configure", lambda **kwargs: None)
    monkeypatch.setenv("KONFIGURU_LIVENESS", "")
    assert entry.main(["-n", "shop"]) == 0
    monkeypatch.delenv("KONFIGURU_LIVENESS")
    assert entry.main(["-n", "shop"]) == 0
    assert [call["liveness_endpoint"] for call in calls] == [None, "http://0.0.0.0:8080/healthz"]


def test_an_empty_peering_variable_does_not_override_kopfs_command_line(monkeypatch):
    import kopf

    from konfiguru_operator.handlers.lifecycle import configure

    monkeypatch.setenv("KONFIGURU_STANDALONE", "")
    monkeypatch.setenv("KONFIGURU_PRIORITY", "")
    settings = kopf.OperatorSettings()
    settings.peering.standalone = True  # as `kopf run --standalone` sets it
    settings.peering.priority = 7  # as `kopf run --priority 7` sets it
    configure(settings)
    assert settings.peering.standalone is True and settings.peering.priority == 7
    monkeypatch.setenv("KONFIGURU_STANDALONE", "false")
    configure(settings)
    assert settings.peering.standalone is False


def test_every_setting_is_documented_in_the_module_table():
    text = (ROOT / "operator/konfiguru_operator/settings.py").read_text()
    for spec in Settings.__dataclass_fields__.values():
        assert f"KONFIGURU_{spec.metadata['env']}" in text.split('"""')[1]


def test_retry_delay_doubles_up_to_the_cap():
    settings = Settings(retry_base_seconds=1, retry_max_seconds=10)
    assert [settings.retry_delay(i) for i in range(6)] == [1, 2, 4, 8, 10, 10]


def test_the_server_version_is_clamped_to_what_the_generators_support():
    assert clamp_version("v1.34.2-eks-123") == "1.34"
    assert clamp_version("v1.20.0") == "1.30"
    assert clamp_version("v1.99.0") == "1.37"


# ---- comparison before apply ------------------------------------------------------------------


def test_live_fields_added_by_the_server_do_not_count_as_a_difference():
    desired = {"spec": {"ports": [{"port": 80}]}}
    live = {"spec": {"ports": [{"port": 80, "protocol": "TCP"}], "clusterIP": "10.0.0.1"}}
    assert covers(live, desired)


def test_quantities_compare_as_the_server_normalises_them():
    desired = {"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}}}
    live = {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}
    assert covers(live, desired)
    assert not covers({"resources": {"requests": {"cpu": "1"}}}, desired)


def test_a_changed_value_or_list_length_is_a_difference():
    assert not covers({"a": [1, 2]}, {"a": [1]})
    assert not covers({"a": {"b": "x"}}, {"a": {"b": "y"}})
    assert not covers({"a": 1}, {"a": True})


def test_secret_string_data_compares_with_stored_base64_data():
    desired = {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    live = {
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": base64.b64encode(b"v").decode()},
    }
    assert up_to_date(desired, live)
    assert not up_to_date(desired, None)


def test_slim_drops_managed_fields_but_remembers_we_own_replicas():
    body = {
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "managedFields": [{"manager": "konfiguru", "fieldsV1": {"f:spec": {"f:replicas": {}}}}],
        },
        "spec": {"replicas": 2},
    }
    small = slim(body, "konfiguru")
    assert "managedFields" not in small["metadata"] and small["_konfiguruOwnsReplicas"] is True
    assert slim(body, "someone-else")["_konfiguruOwnsReplicas"] is False
    del body["metadata"]["managedFields"]
    assert "_konfiguruOwnsReplicas" not in slim(body, "konfiguru")  # unknown


def test_controller_uid_reads_the_controller_reference_only():
    meta = {"ownerReferences": [{"uid": "a"}, {"uid": "b", "controller": True}]}
    assert controller_uid({"metadata": meta}) == "b"
    assert controller_uid({"metadata": {}}) is None


# ---- the write-through cache ------------------------------------------------------------------


class _Index(dict):
    pass


def test_our_write_is_seen_until_the_watch_catches_up():
    index = _Index()
    state = LiveState()
    state.bind({"konfiguru_children_x": index, "konfiguru_parents_x": _Index()})
    written = {
        "kind": "Secret",
        "metadata": {"name": "s", "resourceVersion": "5"},
        "data": {"k": "new"},
    }
    state.wrote("u", "Secret", "s", written)
    index["u"] = [
        {"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "4"}, "data": {"k": "old"}}
    ]
    assert state.children("u")[("Secret", "s")]["data"] == {"k": "new"}
    index["u"] = [
        {
            "kind": "Secret",
            "metadata": {"name": "s", "resourceVersion": "6"},
            "data": {"k": "later"},
        }
    ]
    assert state.children("u")[("Secret", "s")]["data"] == {"k": "later"}


def test_our_delete_hides_the_object_until_the_watch_drops_it():
    index = _Index({"u": [{"kind": "Job", "metadata": {"name": "j", "resourceVersion": "3"}}]})
    state = LiveState()
    state.bind({"konfiguru_children_x": index})
    state.wrote("u", "Job", "j", None, 3)
    assert ("Job", "j") not in state.children("u")
    index["u"] = [{"kind": "Job", "metadata": {"name": "j", "resourceVersion": "9"}}]
    assert ("Job", "j") in state.children("u")  # a new incarnation


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [409, 429, 500, 502, 503, 504])
def test_conflicts_throttling_and_server_errors_are_retried(code):
    outcome = classify(ApiError(code, "X", "y"), 0, Settings())
    assert outcome is not None and outcome.retry is not None and outcome.stalled is None


def test_retry_after_from_the_server_is_honoured():
    outcome = classify(ApiError(429, "TooMany", "slow down", retry_after=7), 0, Settings())
    assert outcome is not None and outcome.retry is not None and outcome.retry.delay == 7


def test_timeouts_and_dropped_connections_are_retried():
    import aiohttp

    for error in (TimeoutError(), aiohttp.ServerDisconnectedError()):
        outcome = classify(error, 3, Settings())
        assert outcome is not None and outcome.retry is not None


def test_a_refusal_for_good_is_stalled_and_a_bug_is_neither():
    outcome = classify(ApiError(422, "Invalid", "bad"), 0, Settings())
    assert outcome is not None and outcome.stalled is not None
    assert classify(KeyError("bug"), 0, Settings()) is None


# ---- RBAC and the child kinds ----------------------------------------------------------------


def _rendered_kinds() -> set[tuple[str, str]]:
    kinds: set[tuple[str, str]] = set()
    sources = glob.glob(str(ROOT / "examples/**/*.yaml"), recursive=True) + glob.glob(
        str(ROOT / "tests/golden/**/*.yaml"), recursive=True
    )
    for path in sources:
        for document in yaml.safe_load_all(Path(path).read_text()):
            if (
                not isinstance(document, dict)
                or document.get("apiVersion") != "konfiguru.io/v1alpha1"
            ):
                continue
            document.setdefault("metadata", {})["uid"] = "u"
            try:
                children = render(document, Existing(secret_seed=b"s" * 32))
            except Exception:  # noqa: BLE001 - invalid examples are the generators' tests' job
                continue
            kinds.update((c["apiVersion"], c["kind"]) for c in children)
    return kinds


def test_the_managed_child_kinds_are_exactly_what_the_generators_emit():
    rendered = _rendered_kinds()
    for api_version, kind in rendered:
        assert kind in rbac.CHILD_KINDS, f"add {kind} to rbac.CHILD_KINDS"
        assert rbac.CHILD_KINDS[kind].api_version == api_version
    # And nothing more: RBAC grants no kind that no example or golden case produces.
    assert set(rbac.CHILD_KINDS) == {kind for _, kind in rendered}


def test_permissions_cover_children_parents_status_events_and_peering():
    used = rbac.permissions()
    assert ("apps", "deployments", "patch") in used and ("", "secrets", "watch") in used
    assert ("konfiguru.io", "apps/status", "patch") in used
    assert ("konfiguru.io", "apps", "delete") not in used
    assert ("konfiguru.io", "apps", "patch") in used  # the retain finalizer
    assert ("rbac.authorization.k8s.io", "roles", "escalate") in used
    assert ("", "events", "create") in used
    assert ("kopf.dev", "clusterkopfpeerings", "patch") in used
    rules = rbac.rules()
    assert all(len(rule["resources"]) == 1 for rule in rules)


def test_resource_paths_follow_the_api_layout():
    assert ResourceRef("v1", "secrets").path("ns", "s") == "/api/v1/namespaces/ns/secrets/s"
    assert (
        ResourceRef("apps/v1", "deployments").path("ns")
        == "/apis/apps/v1/namespaces/ns/deployments"
    )
    assert (
        ResourceRef("konfiguru.io/v1alpha1", "apps")
        .path("ns", "a", "status")
        .endswith("/apps/a/status")
    )


def test_packed_index_values_read_back_as_the_slim_object():
    from konfiguru_operator.cache import pack

    body = {
        "kind": "Service",
        "metadata": {"name": "web", "resourceVersion": "3", "managedFields": [{"manager": "x"}]},
        "spec": {"ports": [{"port": 80}]},
    }
    state = LiveState()
    state.bind({"konfiguru_children_x": _Index({"u": [pack(body, "konfiguru")]})})
    live = state.children("u")[("Service", "web")]
    assert live["spec"] == body["spec"] and "managedFields" not in live["metadata"]


# ---- peering ---------------------------------------------------------------------------------


def test_a_replica_pauses_for_a_live_peer_with_a_higher_priority_only():
    from datetime import UTC, datetime, timedelta

    from konfiguru_operator.peering import must_pause

    now = datetime(2030, 1, 1, tzinfo=UTC)
    fresh = (now - timedelta(seconds=5)).isoformat()
    stale = (now - timedelta(seconds=500)).isoformat()
    me = {"priority": 100, "lifetime": 60, "lastseen": fresh}
    assert not must_pause({"me": me}, 100, now)
    assert must_pause(
        {"me": me, "boss": {"priority": 200, "lifetime": 60, "lastseen": fresh}}, 100, now
    )
    assert not must_pause(
        {"me": me, "gone": {"priority": 200, "lifetime": 60, "lastseen": stale}}, 100, now
    )
    assert not must_pause(
        {"me": me, "junior": {"priority": 50, "lifetime": 60, "lastseen": fresh}}, 100, now
    )
    # Two with the same priority: Kopf pauses both, so must we.
    assert must_pause(
        {"me": me, "twin": {"priority": 100, "lifetime": 60, "lastseen": fresh}}, 100, now
    )
