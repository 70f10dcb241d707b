"""The operator's API writes against an emulator that stores objects as a real API server does.

The emulator drops zero values of ``omitempty`` fields (a probe's ``initialDelaySeconds: 0``),
defaults the built-in kinds (``imagePullPolicy``, ``protocol: TCP``, strategies...), returns
sorted keys, and bumps ``resourceVersion`` on every status write. Against it the operator must
write each child once when a resource is created, and nothing at all (no child write, no status
write, no Event) on a resync that finds nothing to change; the first reconcile of a resource
with a finalizer must not meet a 409 (issue 8 item 4; issue 15 items 1 and 4).
"""

from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Any

import yaml
from helpers import API, app, container, wait_ready

from emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
RESYNC_SECONDS = 0.5  # the operator fixture's KONFIGURU_RESYNC_SECONDS


def _writes(
    before: dict[tuple[str, str, int], int], after: dict[tuple[str, str, int], int]
) -> collections.Counter[tuple[str, str, int]]:
    """Write requests (method, resource, status) sent between two tallies."""
    return collections.Counter(
        {
            key: count - before.get(key, 0)
            for key, count in after.items()
            if key[0] in WRITES and count > before.get(key, 0)
        }
    )


def _child_writes(
    writes: collections.Counter[tuple[str, str, int]], owner: str
) -> collections.Counter[str]:
    """Writes per child resource (plural); the owner's own (status, finalizer) and Events left
    out."""
    counts: collections.Counter[str] = collections.Counter()
    for (_, resource, _), count in writes.items():
        plural = resource.split("/")[0]
        if "/" not in resource and plural not in ("events", "leases", owner):
            counts[plural] += count
    return counts


def _children_by_resource(emulator: Emulator, owner: dict[str, Any]) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for kind, _ in emulator.children(owner):
        counts[emulator.resource(kind).plural] += 1
    return counts


def _quiet_period(
    emulator: Emulator, resyncs: int = 4
) -> collections.Counter[tuple[str, str, int]]:
    """The writes sent while nothing changes, over several resync periods (after the children's
    simulated controllers have settled)."""
    time.sleep(RESYNC_SECONDS * 2)
    before = emulator.tally()
    time.sleep(RESYNC_SECONDS * resyncs + 0.2)
    return _writes(before, emulator.tally())


def _example(path: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "examples" / path).read_text())
    document["metadata"]["namespace"] = "default"
    return document


def _assert_one_write_per_child_then_none(
    emulator: Emulator, resource: dict[str, Any], plural: str
) -> None:
    before = emulator.tally()
    emulator.create(resource)
    name = resource["metadata"]["name"]
    owner = wait_ready(emulator, name, f"{plural}.konfiguru.io")
    time.sleep(RESYNC_SECONDS * 2)  # what the children's status changes still trigger
    created = _writes(before, emulator.tally())
    assert _child_writes(created, plural) == _children_by_resource(emulator, owner), created
    assert not [key for key in created if key[2] == 409], created
    quiet = _quiet_period(emulator)
    assert quiet == collections.Counter(), f"writes during no-op resyncs: {dict(quiet)}"


def test_an_app_with_probes_is_written_once_per_child_and_not_again_on_resync(emulator, operator):
    _assert_one_write_per_child_then_none(emulator, app("probed", replicas=2), "apps")
    probes = container(emulator.get("deployments", "probed", "default"))
    # The server dropped the zero the generator sent: the comparison must not see a difference.
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert "initialDelaySeconds" not in probes[name]
        assert probes[name]["timeoutSeconds"] >= 1  # defaulted by the server


def test_a_database_is_written_once_per_child_without_a_conflict(emulator, operator):
    database = {
        "apiVersion": API,
        "kind": "Database",
        "metadata": {"name": "orders-db", "namespace": "default"},
        "spec": {"engine": "postgres", "version": "17", "storage": {"size": "10Gi"}},
    }
    _assert_one_write_per_child_then_none(emulator, database, "databases")
    live = emulator.get("databases.konfiguru.io", "orders-db", "default")
    assert "konfiguru.io/retain-children" in live["metadata"]["finalizers"]


def test_the_finalizer_patch_after_the_first_status_write_carries_its_resource_version(
    emulator, operator
):
    before = emulator.tally()
    emulator.create(_example("databases/postgres.kfg.yaml"))
    name = _example("databases/postgres.kfg.yaml")["metadata"]["name"]
    wait_ready(emulator, name, "databases.konfiguru.io")
    writes = _writes(before, emulator.tally())
    assert writes[("PATCH", "databases", 200)] == 1  # the finalizer, once
    assert writes[("PATCH", "databases", 409)] == 0


def test_an_ml_pipeline_is_written_once_per_child_without_a_conflict(emulator, operator):
    _assert_one_write_per_child_then_none(
        emulator, _example("ml/pytorch-inference.kfg.yaml"), "mlpipelines"
    )


def test_the_emulator_returns_objects_with_sorted_keys_as_the_api_server_does(emulator):
    emulator.create(app("sorted", config={"data": {"b": "2", "a": "1"}}))
    status, body, _ = emulator.request(
        "GET", "/apis/konfiguru.io/v1alpha1/namespaces/default/apps/sorted"
    )
    assert status == 200

    def unsorted(value: Any, path: str = "") -> list[str]:
        if isinstance(value, dict):
            found = [path] if list(value) != sorted(value) else []
            return found + [p for k, v in value.items() for p in unsorted(v, f"{path}.{k}")]
        if isinstance(value, list):
            return [p for i, v in enumerate(value) for p in unsorted(v, f"{path}[{i}]")]
        return []

    assert unsorted(body) == []
