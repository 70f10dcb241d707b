"""Ingress: routing, TLS with cert-manager, and the ingress-nginx annotations for each feature."""

from __future__ import annotations

import pytest
from appspec import errors, kinds, one, render

NGINX = "nginx.ingress.kubernetes.io/"


def ingress(spec: dict[str, object]) -> dict[str, object]:
    return one(render({"port": 8080, "ingress": {"host": "shop.example.com", **spec}}), "Ingress")


def test_an_ingress_routes_the_host_to_the_apps_http_port() -> None:
    obj = ingress({"className": "nginx"})
    assert obj["spec"]["ingressClassName"] == "nginx"
    assert obj["spec"]["rules"] == [
        {
            "host": "shop.example.com",
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "web", "port": {"name": "http"}}},
                    }
                ]
            },
        }
    ]
    assert "tls" not in obj["spec"]
    assert not obj["metadata"].get("annotations")


def test_tls_with_an_issuer_asks_cert_manager_and_redirects_to_https() -> None:
    obj = ingress({"tls": {"issuer": "letsencrypt"}})
    assert obj["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "web-tls"}]
    assert obj["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt",
        NGINX + "ssl-redirect": "true",
    }
    namespaced = ingress(
        {
            "tls": {"issuer": "ca", "issuerKind": "Issuer", "secretName": "cert"},
            "httpsRedirect": False,
        }
    )
    assert namespaced["metadata"]["annotations"] == {
        "cert-manager.io/issuer": "ca",
        NGINX + "ssl-redirect": "false",
    }
    assert namespaced["spec"]["tls"][0]["secretName"] == "cert"


def test_ingress_features_map_to_ingress_nginx_annotations() -> None:
    obj = ingress(
        {
            "rateLimit": {"rps": 10, "rpm": 300, "connections": 5, "burstMultiplier": 3},
            "cors": {
                "allowOrigins": ["https://a.example", "https://b.example"],
                "allowHeaders": ["Authorization"],
                "exposeHeaders": ["X-Trace"],
                "allowCredentials": True,
                "maxAgeSeconds": 600,
            },
            "ipAllowList": ["10.0.0.0/8", "203.0.113.7"],
            "timeouts": {"connect": 5, "read": 120, "send": 30},
            "maxBodySize": "16m",
        }
    )
    assert obj["metadata"]["annotations"] == {
        NGINX + "limit-rps": "10",
        NGINX + "limit-rpm": "300",
        NGINX + "limit-connections": "5",
        NGINX + "limit-burst-multiplier": "3",
        NGINX + "enable-cors": "true",
        NGINX + "cors-allow-origin": "https://a.example, https://b.example",
        NGINX + "cors-allow-methods": "GET, PUT, POST, DELETE, PATCH, OPTIONS",
        NGINX + "cors-allow-headers": "Authorization",
        NGINX + "cors-expose-headers": "X-Trace",
        NGINX + "cors-allow-credentials": "true",
        NGINX + "cors-max-age": "600",
        NGINX + "whitelist-source-range": "10.0.0.0/8,203.0.113.7",
        NGINX + "proxy-connect-timeout": "5",
        NGINX + "proxy-read-timeout": "120",
        NGINX + "proxy-send-timeout": "30",
        NGINX + "proxy-body-size": "16m",
    }


def test_user_annotations_win_over_generated_ones() -> None:
    obj = ingress(
        {"rateLimit": {"rps": 10}, "annotations": {NGINX + "limit-rps": "99", "x/y": "z"}}
    )
    assert obj["metadata"]["annotations"] == {NGINX + "limit-rps": "99", "x/y": "z"}


def test_paths_can_target_other_service_ports() -> None:
    objects = render(
        {
            "port": 8080,
            "ports": [{"name": "admin", "port": 9000}],
            "ingress": {
                "host": "a.example.com",
                "paths": [
                    {"path": "/admin", "port": "admin"},
                    {"path": "/api", "pathType": "Exact"},
                ],
            },
        }
    )
    paths = one(objects, "Ingress")["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["pathType"], p["backend"]["service"]["port"]) for p in paths] == [
        ("/admin", "Prefix", {"name": "admin"}),
        ("/api", "Exact", {"name": "http"}),
    ]


def test_no_ingress_without_the_field() -> None:
    assert "Ingress" not in kinds(render({"port": 8080}))


def test_bad_ingress_settings_are_reported_together() -> None:
    messages = errors(
        {
            "port": 8080,
            "ingress": {
                "host": "https://shop.example.com/",
                "ipAllowList": ["10.0.0.0/33"],
                "paths": [{"path": "/", "port": "admn"}],
            },
        }
    )
    assert any(
        m.startswith('spec.ingress.host: "https://shop.example.com/" must be a DNS name')
        for m in messages
    )
    # Schema errors stop the semantic checks (they read well-typed data); with a valid host:
    messages = errors(
        {
            "port": 8080,
            "ports": [{"name": "admin", "port": 9000}],
            "ingress": {
                "host": "a.example.com",
                "ipAllowList": ["10.0.0.0/33"],
                "paths": [{"path": "/", "port": "admn"}],
            },
        }
    )
    assert (
        'spec.ingress.paths[0].port: "admn" is not a Service port; did you mean "admin"?'
        in messages
    )
    assert (
        'spec.ingress.ipAllowList[0]: "10.0.0.0/33" is not an IP address or CIDR; e.g. "10.0.0.0/8", "203.0.113.7"'  # noqa: E501
        in messages
    )


def test_an_ingress_needs_a_port() -> None:
    assert errors({"ingress": {"host": "a.example.com"}})[0].startswith("spec.ingress: ")


TRAEFIK_NETWORK = {"ingressControllerNamespace": "traefik"}


def test_traefik_middlewares_become_the_router_annotation_in_order() -> None:
    obj = one(
        render(
            {
                "port": 8080,
                "networkPolicy": TRAEFIK_NETWORK,
                "ingress": {
                    "controller": "traefik",
                    "host": "shop.example.com",
                    "className": "traefik",
                    "tls": {"issuer": "letsencrypt"},
                    "httpsRedirect": False,
                    "middlewares": [{"name": "auth"}, {"name": "ratelimit", "namespace": "edge"}],
                },
            }
        ),
        "Ingress",
    )
    assert obj["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt",
        "traefik.ingress.kubernetes.io/router.middlewares": (
            "shop-auth@kubernetescrd,edge-ratelimit@kubernetescrd"
        ),
    }
    assert obj["spec"]["ingressClassName"] == "traefik"


def test_a_traefik_middleware_without_any_namespace_is_an_error() -> None:
    (message,) = errors(
        {
            "port": 8080,
            "networkPolicy": TRAEFIK_NETWORK,
            "ingress": {
                "controller": "traefik",
                "host": "shop.example.com",
                "middlewares": [{"name": "auth"}],
            },
        },
        namespace=None,
    )
    assert message.startswith("spec.ingress.middlewares[0].namespace: is needed")


@pytest.mark.parametrize(
    ("controller", "field", "value", "said"),
    [
        ("traefik", "rateLimit", {"rps": 5}, "rateLimit Middleware"),
        ("traefik", "ipAllowList", ["10.0.0.0/8"], "ipAllowList Middleware"),
        ("traefik", "headers", {"request": {"set": {"X-A": "b"}}}, "headers Middleware"),
        ("traefik", "httpsRedirect", True, "redirectScheme Middleware"),
        ("nginx", "headers", {"response": {"set": {"X-A": "b"}}}, "allow-snippet-annotations"),
        ("nginx", "middlewares", [{"name": "auth"}], "controller traefik"),
        ("nginx", "gateway", {"name": "edge"}, "controller gateway"),
        ("nginx", "timeouts", {"request": 30}, "accepted here: connect, read, send"),
    ],
)
def test_what_a_controller_cannot_express_is_refused_never_dropped(
    controller: str, field: str, value: object, said: str
) -> None:
    ingress: dict[str, object] = {"controller": controller, "host": "shop.example.com"}
    if field == "httpsRedirect":
        ingress["tls"] = {}
    ingress[field] = value
    (message,) = errors({"port": 8080, "networkPolicy": TRAEFIK_NETWORK, "ingress": ingress})
    assert message.startswith(f"spec.ingress.{field}")
    assert f"is not supported by controller {controller}" in message and said in message
