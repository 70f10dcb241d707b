"""The shop example (``examples/shop/``) is self-contained: what its pods need, its files create.

Every Secret and ConfigMap a shop pod references (env, envFrom, volumes; optional references
aside) is rendered by one of the shop's files: a ConfigMap or Secret, a generated Secret (in the
seeded render) or the target of an ExternalSecret. Only the infrastructure the README names
(ingress controller, cert-manager issuer, the External Secrets store) comes from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kfgtest

SHOP = kfgtest.EXAMPLES / "shop"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def references(node: Any) -> Iterator[tuple[str, str]]:
    """(kind, name) of every required Secret and ConfigMap reference below ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if not isinstance(value, dict) or value.get("optional"):
            yield from references(value)
        elif key in ("secretKeyRef", "secretRef"):
            yield "Secret", value["name"]
        elif key == "secret" and "secretName" in value:
            yield "Secret", value["secretName"]
        elif key in ("configMapKeyRef", "configMapRef", "configMap"):
            yield "ConfigMap", value["name"]
        else:
            yield from references(value)


def test_references_finds_required_secrets_and_config_maps_only() -> None:
    env = [
        {"valueFrom": {"secretKeyRef": {"name": "a", "key": "k"}}},
        {"valueFrom": {"configMapKeyRef": {"name": "b", "key": "k", "optional": True}}},
    ]
    volumes = [{"secret": {"secretName": "c"}}, {"configMap": {"name": "d"}}]
    assert sorted(references({"env": env, "volumes": volumes})) == [
        ("ConfigMap", "d"),
        ("Secret", "a"),
        ("Secret", "c"),
    ]


def test_every_secret_and_config_map_a_shop_pod_needs_is_created_by_the_shop() -> None:
    objects = [o for path in sorted(SHOP.glob("*.kfg.yaml")) for o in kfgtest.rendered(path)]
    created = {
        (o["kind"], o["metadata"]["name"]) for o in objects if o["kind"] in ("Secret", "ConfigMap")
    }
    created |= {
        ("Secret", (o["spec"].get("target") or {}).get("name") or o["metadata"]["name"])
        for o in objects
        if o["kind"] == "ExternalSecret"
    }
    missing = sorted(
        f"{o['kind']} {o['metadata']['name']} needs {kind} {name}"
        for o in objects
        if o["kind"] in WORKLOADS
        for kind, name in references(o["spec"])
        if (kind, name) not in created
    )
    assert not missing, "the shop needs objects no shop file creates:\n" + "\n".join(missing)
    assert ("Secret", "orders-db-credentials") in created  # api and worker read it
