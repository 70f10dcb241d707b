"""When a resource counts Ready, and what its Progressing message says while it does not.

Against the emulator's simulated controllers, which do what the real ones do first: the
HorizontalPodAutoscaler raises a workload to ``minReplicas`` only after it exists (the server
defaulted ``spec.replicas`` to 1); the External Secrets Operator reports an ExternalSecret
``Ready`` once it wrote the target Secret; a claim of a missing StorageClass stays Pending, with
the reason only in a Warning Event, and its pod cannot start (issue 8 item 5, issue 15 item 6).
"""

from __future__ import annotations

import time
from typing import Any

from helpers import API, app, conditions, wait_ready

from emulator import Emulator

APPS = "apps.konfiguru.io"
DATABASES = "databases.konfiguru.io"


def _progressing_with(text: str) -> Any:
    def check(obj: dict[str, Any]) -> bool:
        ready = conditions(obj).get("Ready") or {}
        return (
            (obj.get("status") or {}).get("phase") == "Progressing"
            and ready.get("status") == "False"
            and text in str(ready.get("message"))
        )

    return check


def _still_progressing(
    emulator: Emulator, name: str, text: str, seconds: float = 1.5, kind: str = APPS
) -> None:
    """Progressing with ``text`` now, and still after a few resyncs (never Ready in between)."""
    check = _progressing_with(text)
    emulator.wait_for_object(kind, name, "default", check, timeout=15)
    time.sleep(seconds)  # the operator's resync runs every 0.5 s here
    obj = emulator.get(kind, name, "default")
    assert check(obj), obj.get("status")


def test_an_app_is_not_ready_below_its_autoscaler_minimum_until_the_autoscaler_raises_it(
    emulator, operator
):
    emulator.controllers.pause("horizontalpodautoscalers")
    emulator.create(app(autoscale={"min": 2, "max": 5}, resources={"cpu": "100m"}))
    emulator.wait_for_object(
        "deployments", "shop", "default", lambda d: d.get("status", {}).get("readyReplicas") == 1
    )
    _still_progressing(emulator, "shop", "Deployment shop: 1 of 2 pods ready (autoscale.min 2")

    emulator.controllers.resume("horizontalpodautoscalers")
    obj = wait_ready(emulator)
    assert emulator.get("deployments", "shop", "default")["spec"]["replicas"] == 2
    assert obj["status"]["replicas"] == 2


def _with_payments(**spec: Any) -> dict[str, Any]:
    """An App with a secret from Vault: an ExternalSecret ``shop-payments`` child."""
    external = {
        "provider": "vault",
        "store": "vault-shop",
        "data": [{"key": "STRIPE_API_KEY", "remoteKey": "shop/payments", "property": "key"}],
    }
    return app(secrets=[{"name": "payments", "external": external}], **spec)


def test_an_external_secret_counts_ready_only_once_eso_synced_it(emulator, operator):
    emulator.controllers.pause("externalsecrets")  # ESO has not synced it yet
    emulator.create(_with_payments())
    _still_progressing(
        emulator, "shop", "ExternalSecret shop-payments has no status from the External Secrets"
    )
    emulator.controllers.set_unready("externalsecrets", "shop-payments")
    _still_progressing(
        emulator, "shop", "ExternalSecret shop-payments is not synced: could not get secret data"
    )
    emulator.controllers.resume("externalsecrets")
    emulator.controllers.set_ready("externalsecrets", "shop-payments")
    wait_ready(emulator)
    assert emulator.get("secrets", "shop-payments", "default")["data"]["STRIPE_API_KEY"]


def test_an_external_secret_reported_ready_without_its_secret_is_not_ready(emulator, operator):
    emulator.controllers.pause("externalsecrets")
    emulator.create(_with_payments())
    es = emulator.wait_for_object("externalsecrets", "shop-payments", "default", lambda e: True)
    ready = {"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "synced"}
    emulator.patch_status("externalsecrets", "shop-payments", {"conditions": [ready]}, "default")
    _still_progressing(
        emulator, "shop", "ExternalSecret shop-payments is Ready, but its target Secret"
    )
    assert es["spec"]["target"]["name"] == "shop-payments"
    emulator.controllers.resume("externalsecrets")
    emulator.controllers.set_ready("externalsecrets", "shop-payments")
    wait_ready(emulator)


FAST = 'claim {claim} Pending: storageclass.storage.k8s.io "fast" not found'


def _fast_class(emulator: Emulator) -> None:
    emulator.create(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast"},
            "provisioner": "rancher.io/local-path",
            "allowVolumeExpansion": True,
        }
    )


def test_a_database_whose_storage_class_is_missing_names_the_pending_pod_and_why(
    emulator, operator
):
    emulator.controllers.sim.statefulset_pvcs = True  # the StatefulSet controller makes claims
    emulator.create(
        {
            "apiVersion": API,
            "kind": "Database",
            "metadata": {"name": "orders-db", "namespace": "default"},
            "spec": {
                "engine": "postgres",
                "version": "17",
                "storage": {"size": "10Gi", "storageClass": "fast"},
            },
        }
    )
    _still_progressing(
        emulator,
        "orders-db",
        "StatefulSet orders-db: 0 of 1 pods ready: pod orders-db-0 Pending: "
        + FAST.format(claim="data-orders-db-0"),
        kind=DATABASES,
    )
    _fast_class(emulator)  # the admin adds the class: the claim binds, the pod starts
    wait_ready(emulator, "orders-db", DATABASES)


def test_a_stateful_app_names_its_pending_pod_and_claim(emulator, operator):
    emulator.controllers.sim.statefulset_pvcs = True
    volume = {"name": "data", "mountPath": "/data", "size": "1Gi", "storageClass": "fast"}
    emulator.create(app(workload="StatefulSet", replicas=2, volumes=[volume]))
    _still_progressing(
        emulator,
        "shop",
        "StatefulSet shop: 0 of 2 pods ready: pod shop-0 Pending: "
        + FAST.format(claim="data-shop-0"),
    )
    _fast_class(emulator)
    obj = wait_ready(emulator)
    assert obj["status"]["replicas"] == 2
