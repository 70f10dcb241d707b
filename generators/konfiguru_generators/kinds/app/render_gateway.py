"""App ingress with controller ``gateway`` → Gateway API HTTPRoutes (gateway.networking.k8s.io/v1).

The route attaches to the platform's Gateway (``spec.ingress.gateway``, parentRefs), which owns
the listeners and terminates TLS: without ``tls`` the route attaches to the HTTP listener; with
``tls`` to the HTTPS listener, and ``httpsRedirect`` adds a second route on the HTTP listener
whose only rule answers 301 to https (a RequestRedirect filter), the pattern of the Gateway API
guide "HTTP redirects and rewrites" (one route on both listeners would redirect HTTPS to itself).

Paths become path matches, grouped into one rule per backend port; ``headers`` become
RequestHeaderModifier/ResponseHeaderModifier filters and ``timeouts`` the rules' timeouts.
What Gateway API's standard channel cannot express is refused in ``ingress.py``. Called by
``render_network.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...podspec import Fragment
from ..base import Manifest, Resource
from . import names
from .ingress import gateway_path_type

DEFAULT_GATEWAY = {
    "name": "gateway",
    "namespace": "gateway-system",
    "httpListener": "http",
    "httpsListener": "https",
}
REDIRECT_SUFFIX = "-https-redirect"


def parent_ref(ingress: Mapping[str, Any], *, https: bool) -> Fragment:
    gateway = {**DEFAULT_GATEWAY, **(ingress.get("gateway") or {})}
    return {
        "name": gateway["name"],
        "namespace": gateway["namespace"],
        "sectionName": gateway["httpsListener" if https else "httpListener"],
    }


def _backend_port(spec: Mapping[str, Any], port: str | int | None) -> int:
    """The Service port number a path sends to (an HTTPRoute names Service ports by number)."""
    if isinstance(port, int):
        return port
    wanted = port or names.MAIN_PORT_NAME
    if wanted == names.MAIN_PORT_NAME and spec.get("port") is not None:
        return int(spec["expose"]["port"])
    for entry in spec.get("ports") or []:
        if entry["name"] == wanted:
            return int(entry.get("servicePort", entry["port"]))
    raise AssertionError(f"checks.py admits only declared Service ports, not {wanted!r}")


def _matches(paths: list[Mapping[str, Any]]) -> list[Fragment]:
    return [
        {"path": {"type": gateway_path_type(item["pathType"]), "value": item["path"]}}
        for item in paths
    ]


def _header_filters(headers: Mapping[str, Any]) -> list[Fragment]:
    filters: list[Fragment] = []
    for direction, kind in (
        ("request", "RequestHeaderModifier"),
        ("response", "ResponseHeaderModifier"),
    ):
        change = headers.get(direction) or {}
        modifier: Fragment = {}
        for action in ("set", "add"):
            if change.get(action):
                modifier[action] = [{"name": k, "value": v} for k, v in change[action].items()]
        if change.get("remove"):
            modifier["remove"] = list(dict.fromkeys(change["remove"]))
        if modifier:
            field = kind[0].lower() + kind[1:]
            filters.append({"type": kind, field: modifier})
    return filters


def _timeouts(timeouts: Mapping[str, Any]) -> Fragment:
    # Gateway API durations (GEP-2257): whole seconds are written as "<n>s".
    return {
        field: f"{timeouts[field]}s" for field in ("request", "backendRequest") if field in timeouts
    }


def render_httproutes(resource: Resource, annotations: Mapping[str, str]) -> list[Manifest]:
    spec = resource.spec
    ingress = spec["ingress"]
    by_port: dict[int, list[Mapping[str, Any]]] = {}
    for item in ingress["paths"]:
        by_port.setdefault(_backend_port(spec, item.get("port")), []).append(item)
    filters = _header_filters(ingress.get("headers") or {})
    timeouts = _timeouts(ingress.get("timeouts") or {})
    rules: list[Fragment] = []
    for port, paths in by_port.items():
        rule: Fragment = {"matches": _matches(paths)}
        if filters:
            rule["filters"] = filters
        rule["backendRefs"] = [{"name": resource.name, "port": port}]
        if timeouts:
            rule["timeouts"] = timeouts
        rules.append(rule)
    tls = ingress.get("tls") is not None
    common = {
        "labels": resource.labels(names.COMPONENT),
        "annotations": annotations,
        "hostnames": [ingress["host"]],
    }
    objects = [
        resource.template(
            "app/httproute.yaml.j2",
            name=resource.name,
            parent_refs=[parent_ref(ingress, https=tls)],
            rules=rules,
            **common,
        )
    ]
    if tls and ingress["httpsRedirect"]:
        redirect: Fragment = {
            "type": "RequestRedirect",
            "requestRedirect": {"scheme": "https", "statusCode": 301},
        }
        objects.append(
            resource.template(
                "app/httproute.yaml.j2",
                name=resource.name + REDIRECT_SUFFIX,
                parent_refs=[parent_ref(ingress, https=False)],
                rules=[{"matches": _matches(ingress["paths"]), "filters": [redirect]}],
                **common,
            )
        )
    return objects
