"""Database through the operator: the connection Secret in status, storage grown in place."""

from __future__ import annotations

import base64

from helpers import API, wait_ready

DATABASES = "databases.konfiguru.io"


def database(size: str = "10Gi") -> dict:
    return {
        "apiVersion": API,
        "kind": "Database",
        "metadata": {"name": "orders-db", "namespace": "default"},
        "spec": {"engine": "postgres", "version": "17", "storage": {"size": size}},
    }


def _data_pvc(emulator, operator, size: str) -> None:
    """What the StatefulSet controller would create for ordinal 0 (the emulator's does so only
    when asked): labelled from the claim template, without the owner's uid, which the operator
    adds when it finds the claim by its name and owner labels. Returns once the operator
    reconciled twice since (it resyncs every 0.5 s here), so the next edit is planned knowing the
    volume, as it would be on a cluster where the PVC exists long before."""
    sts = emulator.get("statefulsets", "orders-db", "default")
    labels = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"]
    assert "konfiguru.io/owner-uid" not in labels
    emulator.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data-orders-db-0", "namespace": "default", "labels": labels},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "resources": {"requests": {"storage": size}},
            },
        }
    )
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=15)


def test_a_database_reports_its_connection_secret_and_keeps_its_password(emulator, operator):
    emulator.create(database())
    ready = wait_ready(emulator, "orders-db", DATABASES)
    assert ready["status"]["connectionSecret"] == "orders-db-credentials"
    secret = emulator.get("secrets", "orders-db-credentials", "default")
    before = secret["data"]
    operator.restart()
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 2, timeout=20)
    assert emulator.get("secrets", "orders-db-credentials", "default")["data"] == before
    uri = base64.b64decode(before["uri"]).decode()
    assert uri not in operator.log


def test_storage_growth_resizes_the_volumes_in_place_and_keeps_the_pods(emulator, operator):
    emulator.create(database("10Gi"))
    wait_ready(emulator, "orders-db", DATABASES)
    _data_pvc(emulator, operator, "10Gi")
    old = emulator.get("statefulsets", "orders-db", "default")
    emulator.patch(DATABASES, "orders-db", {"spec": {"storage": {"size": "20Gi"}}}, "default")
    emulator.wait_for_object(
        "persistentvolumeclaims",
        "data-orders-db-0",
        "default",
        lambda p: p["spec"]["resources"]["requests"]["storage"] == "20Gi",
    )
    new = emulator.wait_for_object(
        "statefulsets",
        "orders-db",
        "default",
        lambda s: s["metadata"]["uid"] != old["metadata"]["uid"],
    )
    template = new["spec"]["volumeClaimTemplates"][0]
    assert template["spec"]["resources"]["requests"]["storage"] == "20Gi"
    wait_ready(emulator, "orders-db", DATABASES)


def _events(emulator, reason: str) -> list[dict]:
    return [
        e
        for e in emulator.list("events", "default")
        if e.get("reason") == reason and e["involvedObject"]["name"] == "orders-db"
    ]


def test_growing_storage_posts_one_resized_and_one_recreated_event(emulator, operator):
    emulator.create(database("10Gi"))
    wait_ready(emulator, "orders-db", DATABASES)
    _data_pvc(emulator, operator, "10Gi")
    old = emulator.get("statefulsets", "orders-db", "default")
    emulator.patch(DATABASES, "orders-db", {"spec": {"storage": {"size": "20Gi"}}}, "default")
    uid = old["metadata"]["uid"]
    emulator.wait_for_object(
        "statefulsets", "orders-db", "default", lambda s: s["metadata"]["uid"] != uid
    )
    wait_ready(emulator, "orders-db", DATABASES)
    emulator.wait_for(lambda: _events(emulator, "Resized") and _events(emulator, "Recreated"))
    seen = operator.reconciles()
    emulator.wait_for(lambda: operator.reconciles() >= seen + 4, timeout=20)  # resyncs
    (resized,) = _events(emulator, "Resized")
    (recreated,) = _events(emulator, "Recreated")
    assert resized["message"] == "Growing data-orders-db-0"
    assert "StatefulSet orders-db" in recreated["message"]


def test_shrinking_storage_stalls_with_what_to_do(emulator, operator):
    emulator.create(database("20Gi"))
    wait_ready(emulator, "orders-db", DATABASES)
    _data_pvc(emulator, operator, "20Gi")
    sts = emulator.get("statefulsets", "orders-db", "default")
    emulator.patch(DATABASES, "orders-db", {"spec": {"storage": {"size": "5Gi"}}}, "default")

    def stalled(obj):
        for condition in (obj.get("status") or {}).get("conditions") or []:
            if condition["type"] == "Stalled" and condition["status"] == "True":
                return obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
        return False

    obj = emulator.wait_for_object(DATABASES, "orders-db", "default", stalled)
    message = next(c for c in obj["status"]["conditions"] if c["type"] == "Stalled")["message"]
    assert "shrink" in message
    assert (
        emulator.get("statefulsets", "orders-db", "default")["metadata"]["uid"]
        == sts["metadata"]["uid"]
    )
    pvc = emulator.get("persistentvolumeclaims", "data-orders-db-0", "default")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "20Gi"


def test_deleting_a_database_keeps_its_retained_credentials_for_the_next_one(emulator, operator):
    created = emulator.create(database())
    ready = wait_ready(emulator, "orders-db", DATABASES)
    assert "konfiguru.io/retain-children" in ready["metadata"]["finalizers"]
    before = emulator.get("secrets", "orders-db-credentials", "default")["data"]
    emulator.delete(DATABASES, "orders-db", "default")
    emulator.wait_for_absence(DATABASES, "orders-db", "default", timeout=15)
    emulator.wait_for_absence("statefulsets", "orders-db", "default", timeout=15)
    kept = emulator.get("secrets", "orders-db-credentials", "default")
    assert not kept["metadata"].get("ownerReferences")
    assert kept["metadata"]["labels"].get("konfiguru.io/owner-uid") is None
    # A new Database of the same name finds its data directory's password again.
    emulator.create(database())
    again = wait_ready(emulator, "orders-db", DATABASES)
    assert again["metadata"]["uid"] != created["metadata"]["uid"]
    secret = emulator.get("secrets", "orders-db-credentials", "default")
    assert secret["data"] == before
    assert secret["metadata"]["ownerReferences"][0]["uid"] == again["metadata"]["uid"]


def _storage(pvc) -> str:
    return pvc["spec"]["resources"]["requests"]["storage"]


def _owned_by(uid):
    return lambda pvc: pvc["metadata"]["labels"].get("konfiguru.io/owner-uid") == uid


def test_a_database_recreated_over_retained_volumes_grows_them_and_refuses_to_shrink_them(
    emulator, operator
):
    """Issue 15.2: the new owner finds the data volumes a Retain delete left behind."""
    emulator.controllers.sim.statefulset_pvcs = True
    first = emulator.create(database("30Gi"))
    wait_ready(emulator, "orders-db", DATABASES)
    pvc = "persistentvolumeclaims", "data-orders-db-0", "default"
    emulator.wait_for_object(*pvc, _owned_by(first["metadata"]["uid"]))
    emulator.delete(DATABASES, "orders-db", "default")
    emulator.wait_for_absence(DATABASES, "orders-db", "default", timeout=15)
    emulator.wait_for_absence("statefulsets", "orders-db", "default", timeout=15)
    assert _storage(emulator.get(*pvc)) == "30Gi"  # retained

    again = emulator.create(database("30Gi"))
    wait_ready(emulator, "orders-db", DATABASES)
    emulator.wait_for_object(*pvc, _owned_by(again["metadata"]["uid"]))
    emulator.patch(DATABASES, "orders-db", {"spec": {"storage": {"size": "40Gi"}}}, "default")
    emulator.wait_for_object(*pvc, lambda p: _storage(p) == "40Gi", timeout=15)
    wait_ready(emulator, "orders-db", DATABASES)

    emulator.patch(DATABASES, "orders-db", {"spec": {"storage": {"size": "10Gi"}}}, "default")

    def stalled(obj):
        return obj["status"].get("observedGeneration") == obj["metadata"]["generation"] and any(
            c["type"] == "Stalled" and c["status"] == "True" for c in obj["status"]["conditions"]
        )

    obj = emulator.wait_for_object(DATABASES, "orders-db", "default", stalled, timeout=15)
    message = next(c for c in obj["status"]["conditions"] if c["type"] == "Stalled")["message"]
    assert "data-orders-db-0 (40Gi)" in message
    assert _storage(emulator.get(*pvc)) == "40Gi"
