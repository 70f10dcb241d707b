"""CRDs installed after the operator started are served without a restart (issue 8 item 1,
issue 15 item 6).

The emulator starts without the External Secrets Operator (``without=("external-secrets.io",)``)
or without a Konfiguru CRD, as a cluster where they are installed later. Meanwhile a child of the
missing kind is not sent at all (no write per reconcile), and the status says what to install.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from helpers import API, app, conditions, is_stalled, storage_classes_for, wait_ready

from emulator import CRDS_DIR, Emulator
from emulator.samples import EXTERNAL_SECRET_CRD

WRITES = ("POST", "PUT", "PATCH", "DELETE")
HINT = (
    "ExternalSecret shop-payments needs the External Secrets Operator: install its CRD"
    " externalsecrets.external-secrets.io (https://external-secrets.io)"
)


def _with_payments() -> dict[str, Any]:
    external = {
        "provider": "vault",
        "store": "vault-shop",
        "data": [{"key": "STRIPE_API_KEY", "remoteKey": "shop/payments", "property": "key"}],
    }
    return app(secrets=[{"name": "payments", "external": external}])


def _writes(emulator: Emulator) -> dict[tuple[str, str, int], int]:
    return {key: n for key, n in emulator.tally().items() if key[0] in WRITES}


def test_an_external_secret_waits_for_eso_without_a_write_loop_then_is_served(
    emulator_factory, operator_factory
):
    emulator = emulator_factory(without=("external-secrets.io",))
    operator = operator_factory(on=emulator)
    emulator.create(_with_payments())

    def settled(obj: dict[str, Any]) -> bool:
        """Stalled, every other child ready: no status change is to come."""
        children = (obj.get("status") or {}).get("children") or []
        return is_stalled(obj) and all(
            c["ready"] for c in children if c["kind"] != "ExternalSecret"
        )

    app_ = emulator.wait_for_object("apps.konfiguru.io", "shop", "default", settled, timeout=15)
    stalled = conditions(app_)["Stalled"]
    assert stalled["reason"] == "CRDNotInstalled" and HINT in stalled["message"]
    assert "404" not in stalled["message"]
    assert emulator.get("deployments", "shop", "default")  # the rest is applied

    # Kopf posts Events in the background: the two of the creation may come after the status.
    def reasons() -> set[str]:
        events = emulator.list("v1/events", "default", fields="involvedObject.name=shop")
        return {str(event.get("reason")) for event in events}

    emulator.wait_for(lambda: {"Applied", "CRDNotInstalled"} <= reasons(), timeout=15)
    # Several resyncs (0.5 s each) later: nothing was written, nothing was sent for it.
    seen = operator.reconciles()
    before = _writes(emulator)
    emulator.wait_for(lambda: operator.reconciles() >= seen + 4, timeout=15)
    assert _writes(emulator) == before
    assert not [p for _, p in emulator.requests() if "externalsecrets" in p]

    emulator.create(EXTERNAL_SECRET_CRD)  # ESO installed; the operator is not restarted
    wait_ready(emulator)
    es = emulator.get("externalsecrets", "shop-payments", "default")
    assert es["metadata"]["labels"]["konfiguru.io/owner-uid"] == app_["metadata"]["uid"]
    assert operator.starts == 1

    # Watched like any child: a deleted ExternalSecret is restored at once.
    emulator.delete("externalsecrets", "shop-payments", "default")
    emulator.wait_for_object("externalsecrets", "shop-payments", "default", lambda e: True)


@pytest.mark.parametrize("kind", ["MLPipeline"])
def test_a_konfiguru_crd_installed_after_the_operator_is_served_without_a_restart(
    emulator_factory, operator_factory, kind
):
    crd = CRDS_DIR / "mlpipeline.yaml"
    others = [path for path in sorted(CRDS_DIR.glob("*.yaml")) if path != crd]
    emulator = emulator_factory(crds=others)
    operator = operator_factory(on=emulator)
    time.sleep(1)  # the operator is up and serving the kinds it found
    emulator.load_crds(crd)
    example = Path(__file__).resolve().parents[2] / "examples" / "ml"
    body = _first_of_kind(example, kind)
    storage_classes_for(emulator, body)
    emulator.create(body)
    wait_ready(emulator, body["metadata"]["name"], "mlpipelines.konfiguru.io")
    assert operator.starts == 1
    assert body["apiVersion"] == API


def _first_of_kind(directory: Path, kind: str) -> dict[str, Any]:
    import yaml

    for path in sorted(directory.glob("*.kfg.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == kind:
                doc["metadata"]["namespace"] = "default"
                return doc
    raise AssertionError(f"no {kind} example in {directory}")
