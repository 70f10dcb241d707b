"""Gateway API through the operator: an App's ingress with controller gateway becomes owned
HTTPRoutes (applied, healed, pruned), switching nginx → gateway prunes the Ingress, and the
operator's KONFIGURU_INGRESS_CONTROLLER picks the controller of an ingress that names none."""

from __future__ import annotations

from helpers import app, edit_spec, wait_ready

ROUTES = "httproutes.gateway.networking.k8s.io"
OWNER_UID = "konfiguru.io/owner-uid"
GATEWAY_NETWORK = {"ingressControllerNamespace": "envoy-gateway-system"}


def _owned_by_app(emulator, obj) -> bool:
    parent = emulator.get("apps.konfiguru.io", "shop", "default")
    (ref,) = obj["metadata"]["ownerReferences"]
    return ref["uid"] == parent["metadata"]["uid"] and ref["kind"] == "App"


def test_switching_nginx_to_gateway_replaces_the_ingress_with_owned_httproutes(emulator, operator):
    emulator.create(app(ingress={"host": "shop.example.com", "tls": {}}))
    wait_ready(emulator)
    assert emulator.find("ingresses", "shop", "default")

    def to_gateway(spec):
        spec["ingress"]["controller"] = "gateway"
        spec["networkPolicy"] = GATEWAY_NETWORK

    edit_spec(emulator, "shop", to_gateway)
    route = emulator.wait_for(lambda: emulator.find(ROUTES, "shop", "default"), timeout=15)
    redirect = emulator.wait_for(
        lambda: emulator.find(ROUTES, "shop-https-redirect", "default"), timeout=15
    )
    emulator.wait_for(lambda: emulator.find("ingresses", "shop", "default") is None, timeout=15)
    ready = wait_ready(emulator)
    assert _owned_by_app(emulator, route) and _owned_by_app(emulator, redirect)
    assert route["spec"]["parentRefs"][0]["sectionName"] == "https"
    assert ready["status"]["url"] == "https://shop.example.com"
    kinds = {(c["kind"], c["name"]) for c in ready["status"]["children"]}
    assert {("HTTPRoute", "shop"), ("HTTPRoute", "shop-https-redirect")} <= kinds
    assert ("Ingress", "shop") not in kinds


def test_an_httproute_deleted_or_edited_by_hand_is_restored(emulator, operator):
    emulator.create(
        app(
            networkPolicy=GATEWAY_NETWORK,
            ingress={"controller": "gateway", "host": "shop.example.com"},
        )
    )
    wait_ready(emulator)
    first = emulator.get(ROUTES, "shop", "default")
    emulator.delete(ROUTES, "shop", "default")
    again = emulator.wait_for(lambda: emulator.find(ROUTES, "shop", "default"), timeout=15)
    assert again["metadata"]["uid"] != first["metadata"]["uid"]
    emulator.patch(
        ROUTES, "shop", {"spec": {"hostnames": ["evil.example.com"]}}, "default", manager="kubectl"
    )
    emulator.wait_for_object(
        ROUTES, "shop", "default", lambda r: r["spec"]["hostnames"] == ["shop.example.com"]
    )


def test_removing_the_ingress_prunes_the_httproutes(emulator, operator):
    emulator.create(
        app(
            networkPolicy=GATEWAY_NETWORK,
            ingress={"controller": "gateway", "host": "shop.example.com", "tls": {}},
        )
    )
    wait_ready(emulator)
    edit_spec(emulator, "shop", lambda spec: spec.pop("ingress"))
    for name in ("shop", "shop-https-redirect"):
        emulator.wait_for(lambda n=name: emulator.find(ROUTES, n, "default") is None, timeout=15)
    wait_ready(emulator)


def test_the_operators_default_controller_serves_an_ingress_naming_none(emulator, operator_factory):
    operator_factory(KONFIGURU_INGRESS_CONTROLLER="gateway")
    emulator.create(app(networkPolicy=GATEWAY_NETWORK, ingress={"host": "shop.example.com"}))
    ready = wait_ready(emulator)
    route = emulator.get(ROUTES, "shop", "default")
    assert route["spec"]["hostnames"] == ["shop.example.com"]
    assert route["metadata"]["labels"][OWNER_UID] == ready["metadata"]["uid"]
    assert emulator.find("ingresses", "shop", "default") is None
    assert ready["status"]["url"] == "http://shop.example.com"
