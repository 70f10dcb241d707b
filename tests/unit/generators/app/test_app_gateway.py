"""Ingress with controller gateway: HTTPRoutes attached to the platform's Gateway, TLS at the
Gateway with a redirect route, header filters, timeouts, and every field Gateway API's standard
channel cannot express refused, never dropped."""

from __future__ import annotations

from typing import Any

import pytest
from appspec import app, errors, kinds, render

import kfgtest
from konfiguru_generators import Existing, SpecError, render_with_notes

NETWORK = {"ingressControllerNamespace": "envoy-gateway-system"}


def routes(ingress: dict[str, Any], **spec: Any) -> dict[str, dict[str, Any]]:
    objects = render(
        {
            "port": 8080,
            "networkPolicy": NETWORK,
            "ingress": {"controller": "gateway", "host": "shop.example.com", **ingress},
            **spec,
        }
    )
    assert "Ingress" not in kinds(objects)
    found = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "HTTPRoute"}
    for route in found.values():
        for version in kfgtest.KUBE_VERSIONS:
            assert kfgtest.strict_errors(route, version) == []
    return found


def test_a_gateway_ingress_is_an_httproute_on_the_gateways_http_listener() -> None:
    (route,) = routes({}).values()
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["metadata"]["name"] == "web" and route["metadata"]["namespace"] == "shop"
    assert route["spec"] == {
        "parentRefs": [{"name": "gateway", "namespace": "gateway-system", "sectionName": "http"}],
        "hostnames": ["shop.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"name": "web", "port": 80}],
            }
        ],
    }


def test_tls_attaches_to_the_https_listener_and_redirects_plain_http_with_a_second_route() -> None:
    found = routes(
        {
            "tls": {},
            "gateway": {"name": "edge", "namespace": "infra", "httpsListener": "websecure"},
        }
    )
    assert sorted(found) == ["web", "web-https-redirect"]
    assert found["web"]["spec"]["parentRefs"] == [
        {"name": "edge", "namespace": "infra", "sectionName": "websecure"}
    ]
    redirect = found["web-https-redirect"]["spec"]
    assert redirect["parentRefs"] == [{"name": "edge", "namespace": "infra", "sectionName": "http"}]
    (rule,) = redirect["rules"]
    assert "backendRefs" not in rule  # a redirect answers; it must not also forward
    assert rule["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
    ]
    assert sorted(routes({"tls": {}, "httpsRedirect": False})) == ["web"]


def test_paths_are_matches_grouped_by_service_port_number() -> None:
    found = routes(
        {
            "paths": [
                {"path": "/", "pathType": "Prefix"},
                {"path": "/admin", "pathType": "Exact", "port": "admin"},
                {"path": "/api", "pathType": "Prefix", "port": 80},
            ]
        },
        ports=[{"name": "admin", "port": 9000, "servicePort": 9090}],
    )
    assert found["web"]["spec"]["rules"] == [
        {
            "matches": [
                {"path": {"type": "PathPrefix", "value": "/"}},
                {"path": {"type": "PathPrefix", "value": "/api"}},
            ],
            "backendRefs": [{"name": "web", "port": 80}],
        },
        {
            "matches": [{"path": {"type": "Exact", "value": "/admin"}}],
            "backendRefs": [{"name": "web", "port": 9090}],
        },
    ]


def test_headers_become_header_modifier_filters_and_timeouts_the_rules_timeouts() -> None:
    (route,) = routes(
        {
            "headers": {
                "request": {
                    "set": {"X-Env": "prod"},
                    "add": {"X-Via": "gw"},
                    "remove": ["X-Debug"],
                },
                "response": {"set": {"X-Frame-Options": "DENY"}, "remove": ["Server"]},
            },
            "timeouts": {"request": 30, "backendRequest": 10},
            "annotations": {"team": "shop"},
        }
    ).values()
    (rule,) = route["spec"]["rules"]
    assert rule["filters"] == [
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {
                "set": [{"name": "X-Env", "value": "prod"}],
                "add": [{"name": "X-Via", "value": "gw"}],
                "remove": ["X-Debug"],
            },
        },
        {
            "type": "ResponseHeaderModifier",
            "responseHeaderModifier": {
                "set": [{"name": "X-Frame-Options", "value": "DENY"}],
                "remove": ["Server"],
            },
        },
    ]
    assert rule["timeouts"] == {"request": "30s", "backendRequest": "10s"}
    assert route["metadata"]["annotations"] == {"team": "shop"}


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("rateLimit", {"rps": 5}, "BackendTrafficPolicy"),
        ("cors", {"allowOrigins": ["https://a.example"]}, "SecurityPolicy cors"),
        ("ipAllowList", ["10.0.0.0/8"], "SecurityPolicy authorization"),
        ("maxBodySize", "8m", "ClientTrafficPolicy"),
        ("className", "nginx", "spec.ingress.gateway"),
        ("middlewares", [{"name": "auth"}], "Gateway API filters"),
        ("timeouts", {"read": 60}, "accepted here: request, backendRequest"),
        ("tls", {"issuer": "letsencrypt"}, "certificateRefs"),
        ("tls", {"secretName": "shop-cert"}, "certificateRefs"),
    ],
)
def test_what_gateway_api_cannot_express_is_refused_naming_the_field_and_the_way_out(
    field: str, value: Any, said: str
) -> None:
    (message,) = errors(
        {
            "port": 8080,
            "networkPolicy": NETWORK,
            "ingress": {"controller": "gateway", "host": "shop.example.com", field: value},
        }
    )
    assert message.startswith(f"spec.ingress.{field}")
    assert "is not supported by controller gateway" in message and said in message


def test_paths_an_httproute_cannot_hold_are_refused() -> None:
    found = errors(
        {
            "port": 8080,
            "networkPolicy": NETWORK,
            "ingress": {
                "controller": "gateway",
                "host": "shop.example.com",
                "paths": [
                    {"path": "/any", "pathType": "ImplementationSpecific"},
                    {"path": "/a//b", "pathType": "Prefix"},
                ],
            },
        }
    )
    assert any(
        m.startswith("spec.ingress.paths[0].pathType") and "Prefix, Exact" in m for m in found
    )
    assert any(m.startswith("spec.ingress.paths[1].path") and "'//'" in m for m in found)


def test_the_default_network_policy_namespace_is_refused_where_no_gateway_proxy_runs() -> None:
    (message,) = errors(
        {"port": 8080, "ingress": {"controller": "gateway", "host": "shop.example.com"}}
    )
    assert message.startswith('spec.networkPolicy.ingressControllerNamespace: "ingress-nginx"')
    assert "envoy-gateway-system" in message


def test_the_callers_default_controller_applies_to_an_ingress_naming_none() -> None:
    document = app(
        {
            "image": "ghcr.io/acme/web:1.0.0",
            "port": 8080,
            "networkPolicy": NETWORK,
            "ingress": {"host": "shop.example.com"},
        }
    )
    objects, _ = render_with_notes(document, Existing(), ingress_controller="gateway")
    assert "HTTPRoute" in kinds(objects) and "Ingress" not in kinds(objects)
    named = {
        **document,
        "spec": {
            **document["spec"],
            "ingress": {"host": "shop.example.com", "controller": "nginx"},
        },
    }
    objects, _ = render_with_notes(named, Existing(), ingress_controller="gateway")
    assert "Ingress" in kinds(objects) and "HTTPRoute" not in kinds(objects)
    with pytest.raises(SpecError) as caught:
        render_with_notes(document, Existing(), ingress_controller="haproxy")
    assert str(caught.value.errors[0]) == (
        '--ingress-controller: "haproxy" is not an ingress controller;'
        " accepted: gateway, nginx, traefik"
    )


def test_a_header_name_that_is_no_http_token_is_refused() -> None:
    (message,) = errors(
        {
            "port": 8080,
            "networkPolicy": NETWORK,
            "ingress": {
                "controller": "gateway",
                "host": "shop.example.com",
                "headers": {"response": {"set": {"X Frame": "DENY"}}},
            },
        }
    )
    assert message.startswith("spec.ingress.headers.response.set") and "HTTP tokens" in message
