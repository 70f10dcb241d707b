"""Which controller serves an App's ingress, and what each one can express.

``spec.ingress.controller`` picks it: ``nginx`` (an Ingress with ingress-nginx annotations),
``traefik`` (an Ingress with Traefik router annotations) or ``gateway`` (Gateway API HTTPRoutes,
``render_gateway.py``). Unset, the pipeline fills in the caller's default (``konfiguru
--ingress-controller``, the operator's ``KONFIGURU_INGRESS_CONTROLLER``), else ``nginx``.

A field the chosen controller cannot express is refused here with the reason and what to do
instead, never dropped from the output: an ingress that silently loses its IP allow-list is open
to everyone. Called by ``checks.py`` (the refusals) and ``render_network.py`` (the controller).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...errors import MISSING, FieldError

NGINX = "nginx"
TRAEFIK = "traefik"
GATEWAY = "gateway"
DEFAULT_CONTROLLER = NGINX

TRAEFIK_MIDDLEWARES = "traefik.ingress.kubernetes.io/router.middlewares"

# Gateway API's standard channel has no rate limit, CORS, client IP or body size control: each
# implementation has its own policy kinds (Envoy Gateway BackendTrafficPolicy/SecurityPolicy,
# Istio AuthorizationPolicy, ...), which Konfiguru does not render.
_GATEWAY_POLICY = (
    "Gateway API (standard channel) cannot express it; remove it and attach your Gateway"
    " implementation's policy to the HTTPRoute (e.g. Envoy Gateway {policy}), or use"
    " controller nginx"
)
_TRAEFIK_MIDDLEWARE = (
    "Traefik configures it in a Middleware; create a {middleware} Middleware and list it in"
    " spec.ingress.middlewares"
)


def _gateway_policy(policy: str) -> tuple[str, str]:
    """A field Gateway API has no place for: an implementation's ``policy`` does it."""
    return "has no Gateway API field", _GATEWAY_POLICY.format(policy=policy)


def _traefik_middleware(
    middleware: str, why: str = "is an ingress-nginx annotation"
) -> tuple[str, str]:
    """A field Traefik does in a ``middleware`` Middleware."""
    return why, _TRAEFIK_MIDDLEWARE.format(middleware=middleware)


# field under spec.ingress → {controller that cannot express it: (why, what to do instead)}
_UNSUPPORTED: dict[str, dict[str, tuple[str, str]]] = {
    "className": {
        GATEWAY: (
            "a Gateway, not an IngressClass, serves an HTTPRoute",
            "remove className and name the Gateway in spec.ingress.gateway",
        ),
    },
    "rateLimit": {
        GATEWAY: _gateway_policy("BackendTrafficPolicy"),
        TRAEFIK: _traefik_middleware("rateLimit"),
    },
    "cors": {
        GATEWAY: _gateway_policy("SecurityPolicy cors"),
        TRAEFIK: _traefik_middleware("headers"),
    },
    "ipAllowList": {
        GATEWAY: _gateway_policy("SecurityPolicy authorization"),
        TRAEFIK: _traefik_middleware("ipAllowList"),
    },
    "maxBodySize": {
        GATEWAY: _gateway_policy("ClientTrafficPolicy connection.bufferLimit"),
        TRAEFIK: _traefik_middleware("buffering"),
    },
    "headers": {
        NGINX: (
            "needs a configuration-snippet, which ingress-nginx disables by default"
            " (allow-snippet-annotations: false) because a snippet can read every Secret the"
            " controller can",
            "use controller gateway (header filters) or traefik with a headers Middleware",
        ),
        TRAEFIK: _traefik_middleware("headers", why="is a Traefik Middleware"),
    },
    "middlewares": {
        NGINX: ("are Traefik Middlewares", "remove middlewares, or use controller traefik"),
        GATEWAY: (
            "are Traefik Middlewares",
            "remove middlewares; an HTTPRoute takes Gateway API filters (spec.ingress.headers)",
        ),
    },
    "gateway": dict.fromkeys(
        (NGINX, TRAEFIK),
        ("names the Gateway of controller gateway", "remove it, or set controller gateway"),
    ),
}
_TIMEOUTS = {
    NGINX: ("connect", "read", "send"),
    TRAEFIK: (),
    GATEWAY: ("request", "backendRequest"),
}


def controller_of(ingress: Mapping[str, Any]) -> str:
    return str(ingress.get("controller") or DEFAULT_CONTROLLER)


def check_controller(ingress: Mapping[str, Any], errors: list[FieldError]) -> None:
    """Every field under ``spec.ingress`` that its controller cannot express, refused."""
    controller = controller_of(ingress)
    for field, refused in _UNSUPPORTED.items():
        if field in ingress and controller in refused:
            why, instead = refused[controller]
            errors.append(
                _refused(f"spec.ingress.{field}", ingress[field], controller, why, instead)
            )
    for field, value in (ingress.get("timeouts") or {}).items():
        if field not in _TIMEOUTS[controller]:
            served = [c for c, fields in _TIMEOUTS.items() if field in fields]
            accepted = (
                ", ".join(_TIMEOUTS[controller])
                or "no timeouts (set them on Traefik's serversTransport)"
            )
            errors.append(
                _refused(
                    f"spec.ingress.timeouts.{field}",
                    value,
                    controller,
                    f"is a timeout of controller {' and '.join(served)}",
                    f"accepted here: {accepted}",
                )
            )
    tls = ingress.get("tls")
    if tls is None:
        return
    if controller == GATEWAY:  # the Gateway terminates TLS: nothing of it is the route's
        for field in ("issuer", "secretName"):
            if field in tls:
                errors.append(
                    _refused(
                        f"spec.ingress.tls.{field}",
                        tls[field],
                        controller,
                        "the Gateway's HTTPS listener holds the certificate, not the route",
                        "remove it and put the certificate in the listener's certificateRefs"
                        " (cert-manager fills it when the Gateway carries a"
                        " cert-manager.io/cluster-issuer annotation)",
                    )
                )
    if controller == TRAEFIK and ingress["httpsRedirect"]:
        errors.append(
            _refused(
                "spec.ingress.httpsRedirect",
                True,
                controller,
                "Traefik redirects to HTTPS at its entry point, not per Ingress",
                "set httpsRedirect: false and redirect on Traefik's web entry point"
                " (entryPoints.web.http.redirections) or with a redirectScheme Middleware in"
                " spec.ingress.middlewares",
            )
        )


def check_network_policy(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    """The NetworkPolicy admits the ingress controller's namespace; its default is
    ingress-nginx's, where no Gateway proxy or Traefik runs: traffic would be silently cut."""
    ingress = spec.get("ingress")
    policy = spec["networkPolicy"]
    if ingress is None or not policy["enabled"] or controller_of(ingress) == NGINX:
        return
    if policy["ingressControllerNamespace"] == "ingress-nginx":
        proxies = (
            "the Gateway's proxy pods (e.g. envoy-gateway-system)"
            if controller_of(ingress) == GATEWAY
            else "Traefik (e.g. traefik)"
        )
        errors.append(
            FieldError(
                "spec.networkPolicy.ingressControllerNamespace",
                policy["ingressControllerNamespace"],
                f"admits traffic only from ingress-nginx, but controller"
                f" {controller_of(ingress)} serves this ingress",
                f"set it to the namespace of {proxies}",
            )
        )


# HTTPRoute limits (the CRD's maxItems and CEL rules): rules per route, matches per rule.
MAX_RULES = 16
MAX_MATCHES = 64
_PATH_CHARACTERS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+\Z")
_PATH_TYPES = {"Prefix": "PathPrefix", "Exact": "Exact"}


def gateway_path_type(path_type: str) -> str:
    return _PATH_TYPES[path_type]


def gateway_path_problem(value: str) -> str:
    """Why the HTTPRoute CRD refuses ``value`` as an Exact or PathPrefix match, or ``""``."""
    for part in ("//", "/./", "/../", "%2f", "%2F", "#"):
        if part in value:
            return f"contains {part!r}, which an HTTPRoute path must not"
    for end in ("/..", "/."):
        if value.endswith(end):
            return f"ends with {end!r}, which an HTTPRoute path must not"
    if not _PATH_CHARACTERS.match(value):
        return "has characters an HTTPRoute path must percent-encode (spaces, quotes, ?, ...)"
    return ""


def check_gateway_paths(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    """Paths an HTTPRoute can hold: Prefix or Exact, valid characters, within its limits."""
    ingress = spec["ingress"]
    paths = ingress["paths"]
    for index, item in enumerate(paths):
        where = f"spec.ingress.paths[{index}]"
        if item["pathType"] not in _PATH_TYPES:
            errors.append(
                _refused(
                    f"{where}.pathType",
                    item["pathType"],
                    GATEWAY,
                    "an HTTPRoute matches paths by prefix or exactly",
                    "accepted: Prefix, Exact",
                )
            )
        problem = gateway_path_problem(item["path"])
        if problem:
            errors.append(FieldError(f"{where}.path", item["path"], problem, 'e.g. "/api/v1"'))
    if len(paths) > MAX_MATCHES:
        errors.append(
            FieldError(
                "spec.ingress.paths",
                f"{len(paths)} paths",
                f"is more than an HTTPRoute rule holds ({MAX_MATCHES} matches)",
                f"at most {MAX_MATCHES} paths with controller gateway",
            )
        )
    ports = {str(item.get("port")) for item in paths}
    if len(ports) > MAX_RULES:
        errors.append(
            FieldError(
                "spec.ingress.paths",
                f"{len(ports)} ports",
                f"is more than an HTTPRoute holds ({MAX_RULES} rules, one per backend port)",
                f"send the paths to at most {MAX_RULES} Service ports",
            )
        )


def _refused(path: str, value: Any, controller: str, why: str, instead: str) -> FieldError:
    return FieldError(path, value, f"is not supported by controller {controller}: {why}", instead)


def traefik_annotations(
    ingress: Mapping[str, Any], namespace: str | None, errors: list[FieldError]
) -> dict[str, str]:
    """``router.middlewares``: ``<namespace>-<name>@kubernetescrd``, in order (Traefik's
    reference to a Middleware custom resource)."""
    refs = []
    for index, middleware in enumerate(ingress.get("middlewares") or []):
        where = middleware.get("namespace") or namespace
        if not where:
            errors.append(
                FieldError(
                    f"spec.ingress.middlewares[{index}].namespace",
                    MISSING,
                    "is needed: Traefik names a Middleware by namespace and name, and this App"
                    " has no metadata.namespace",
                    "set namespace here, or metadata.namespace",
                )
            )
            continue
        refs.append(f"{where}-{middleware['name']}@kubernetescrd")
    return {TRAEFIK_MIDDLEWARES: ",".join(refs)} if refs else {}
