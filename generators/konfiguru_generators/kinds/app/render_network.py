"""App traffic → Service, Ingress (ingress-nginx or Traefik, with cert-manager annotations) or
Gateway API HTTPRoutes (``render_gateway.py``), NetworkPolicy.

Called by ``render.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...apichecks import as_cidr
from ...errors import FieldError, SpecError
from ...netpeers import connect_to_peer, namespace_peer, owned_by, resource_peer
from ...podspec import Fragment
from ..base import Manifest, Resource
from . import ingress as ingress_mod
from . import names
from .render_gateway import render_httproutes

NGINX = "nginx.ingress.kubernetes.io/"
DNS_PORTS: list[Fragment] = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def has_service(spec: Mapping[str, Any]) -> bool:
    return bool(spec["expose"]["enabled"]) and names.main_port(spec) is not None


def service_ports(spec: Mapping[str, Any]) -> list[Fragment]:
    """The Service ports: the main port on ``expose.port``, then each declared port."""
    ports: list[Fragment] = []
    if spec.get("port") is not None:
        ports.append(
            {
                "name": names.MAIN_PORT_NAME,
                "port": spec["expose"]["port"],
                "targetPort": names.MAIN_PORT_NAME,
                "protocol": "TCP",
            }
        )
    for port in spec.get("ports") or []:
        entry: Fragment = {
            "name": port["name"],
            "port": port.get("servicePort", port["port"]),
            "targetPort": port["name"],
            "protocol": port["protocol"],
        }
        if port.get("appProtocol"):
            entry["appProtocol"] = port["appProtocol"]
        ports.append(entry)
    return ports


def render_service(resource: Resource) -> list[Manifest]:
    spec = resource.spec
    if not has_service(spec):
        return []
    expose = spec["expose"]
    ports = service_ports(spec)
    service_type = expose.get("type") or ("LoadBalancer" if expose["external"] else "ClusterIP")
    return [
        resource.template(
            "app/service.yaml.j2",
            labels=resource.labels(names.COMPONENT),
            annotations=expose.get("annotations") or {},
            selector=resource.selector(names.COMPONENT),
            type=service_type,
            ports=ports,
            # The API server parses each range as a CIDR: a bare address becomes /32 (or /128).
            source_ranges=[as_cidr(item) for item in expose.get("loadBalancerSourceRanges") or []]
            if service_type == "LoadBalancer"
            else [],
            # The CRD admits it only for a LoadBalancer Service.
            load_balancer_class=expose.get("loadBalancerClass"),
        )
    ]


def ingress_annotations(ingress: Mapping[str, Any]) -> dict[str, str]:
    """The ingress-nginx and cert-manager annotations for the ingress features; the user's own
    annotations are applied over these. Fields ingress-nginx alone reads are refused for other
    controllers (``ingress.py``), so for them this holds cert-manager's and the user's only."""
    result: dict[str, str] = {}
    tls = ingress.get("tls")
    if tls is not None:
        if tls.get("issuer"):
            key = "cluster-issuer" if tls["issuerKind"] == "ClusterIssuer" else "issuer"
            result[f"cert-manager.io/{key}"] = tls["issuer"]
        if ingress_mod.controller_of(ingress) == ingress_mod.NGINX:
            result[NGINX + "ssl-redirect"] = _bool(ingress["httpsRedirect"])
    limit = ingress.get("rateLimit") or {}
    for field, annotation in (
        ("rps", "limit-rps"),
        ("rpm", "limit-rpm"),
        ("connections", "limit-connections"),
        ("burstMultiplier", "limit-burst-multiplier"),
    ):
        if field in limit:
            result[NGINX + annotation] = str(limit[field])
    cors = ingress.get("cors")
    if cors is not None:
        result[NGINX + "enable-cors"] = "true"
        result[NGINX + "cors-allow-origin"] = ", ".join(cors["allowOrigins"])
        result[NGINX + "cors-allow-methods"] = ", ".join(cors["allowMethods"])
        if cors.get("allowHeaders"):
            result[NGINX + "cors-allow-headers"] = ", ".join(cors["allowHeaders"])
        if cors.get("exposeHeaders"):
            result[NGINX + "cors-expose-headers"] = ", ".join(cors["exposeHeaders"])
        result[NGINX + "cors-allow-credentials"] = _bool(cors["allowCredentials"])
        if "maxAgeSeconds" in cors:
            result[NGINX + "cors-max-age"] = str(cors["maxAgeSeconds"])
    if ingress.get("ipAllowList"):
        # "whitelist-source-range" is read by every ingress-nginx release (newer ones also
        # accept the alias "allowlist-source-range").
        result[NGINX + "whitelist-source-range"] = ",".join(ingress["ipAllowList"])
    for field, annotation in (
        ("connect", "proxy-connect-timeout"),
        ("read", "proxy-read-timeout"),
        ("send", "proxy-send-timeout"),
    ):
        if field in (ingress.get("timeouts") or {}):
            result[NGINX + annotation] = str(ingress["timeouts"][field])
    if ingress.get("maxBodySize"):
        result[NGINX + "proxy-body-size"] = ingress["maxBodySize"]
    result.update(ingress.get("annotations") or {})
    return result


def _bool(value: bool) -> str:
    return "true" if value else "false"


def render_ingress(resource: Resource) -> list[Manifest]:
    ingress = resource.spec.get("ingress")
    if ingress is None:
        return []
    controller = ingress_mod.controller_of(ingress)
    if controller == ingress_mod.GATEWAY:
        return render_httproutes(resource, ingress.get("annotations") or {})
    annotations = ingress_annotations(ingress)
    if controller == ingress_mod.TRAEFIK:
        errors: list[FieldError] = []
        # The user's own annotations still win.
        annotations = {
            **ingress_mod.traefik_annotations(ingress, resource.namespace, errors),
            **annotations,
        }
        if errors:
            raise SpecError(errors)
    main = names.main_port(resource.spec)
    paths = []
    for item in ingress["paths"]:
        # The CRD requires a port with an ingress, so there is a main port.
        port = item.get("port") or (main.name if main else names.MAIN_PORT_NAME)
        backend_port = {"number": port} if isinstance(port, int) else {"name": port}
        paths.append(
            {
                "path": item["path"],
                "pathType": item["pathType"],
                "backend": {"service": {"name": resource.name, "port": backend_port}},
            }
        )
    tls = ingress.get("tls")
    tls_entries = (
        [
            {
                "hosts": [ingress["host"]],
                "secretName": tls.get("secretName") or f"{resource.name}-tls",
            }
        ]
        if tls is not None
        else []
    )
    return [
        resource.template(
            "app/ingress.yaml.j2",
            labels=resource.labels(names.COMPONENT),
            annotations=annotations,
            class_name=ingress.get("className"),
            tls=tls_entries,
            host=ingress["host"],
            paths=paths,
        )
    ]


def render_network_policy(resource: Resource) -> list[Manifest]:
    """Ingress only from declared callers (apps of this namespace that list it in connectTo, and
    those in allowFrom), the ingress controller and Prometheus (to the metrics port); egress only
    to DNS, connectTo targets and egressTo CIDRs (unless unrestricted).

    The policy selects every pod of the app by its owner labels (workload, jobs and schedules
    alike), so a migration Job may reach the database its app connects to. Peers are selected
    the same way, which is how the Database kind admits the Apps listed in its connectFrom.
    """
    spec = resource.spec
    policy = spec["networkPolicy"]
    if not policy["enabled"]:
        return []
    ports = names.container_ports(spec)
    app_ports = [{"protocol": p.protocol, "port": p.number} for p in ports]
    ingress_rules: list[Fragment] = []
    # Callers that list this app in connectTo (same namespace), then those it lists in allowFrom.
    callers = [connect_to_peer(resource.kind, resource.name)]
    callers += [resource_peer(c["name"], c.get("namespace")) for c in spec.get("allowFrom") or []]
    members = spec["workload"] == "StatefulSet" and bool(app_ports)
    if members:
        # The members of a StatefulSet talk to each other (replication, gossip, quorum).
        callers.insert(0, resource_peer(resource.name, None, resource.kind))
    if app_ports:
        ingress_rules.append({"from": callers, "ports": app_ports})
    main = names.main_port(spec)
    if spec.get("ingress") and main is not None:
        ingress_rules.append(
            {
                "from": [namespace_peer(policy["ingressControllerNamespace"])],
                "ports": [{"protocol": "TCP", "port": main.number}],
            }
        )
    if has_service(spec) and _service_is_external(spec) and app_ports:
        # A LoadBalancer or NodePort Service admits clients from anywhere.
        ingress_rules.append({"ports": app_ports})
    metrics = names.metrics_port(spec)
    if metrics is not None:
        ingress_rules.append(
            {
                "from": [namespace_peer(policy["monitoringNamespace"])],
                "ports": [{"protocol": "TCP", "port": metrics}],
            }
        )
    policy_types = ["Ingress"]
    egress: list[Fragment] | None = None
    if policy["restrictEgress"]:
        policy_types.append("Egress")
        # DNS anywhere on port 53: cluster DNS, or a node-local cache on a link-local address.
        egress = [{"ports": DNS_PORTS}]
        for target in spec.get("connectTo") or []:
            rule: Fragment = {
                "to": [resource_peer(target["name"], target.get("namespace"), target["kind"])]
            }
            if target["kind"] == "Database" and names.connect_port(target) is not None:
                # A Database serves on its Service port; an App's container port is unknown here.
                rule["ports"] = [{"protocol": "TCP", "port": names.connect_port(target)}]
            egress.append(rule)
        if members:
            egress.append(
                {"to": [resource_peer(resource.name, None, resource.kind)], "ports": app_ports}
            )
        cidrs = policy.get("egressTo") or []
        if cidrs:
            # ipBlock.cidr must be a CIDR: a bare address is written as a one-address network.
            egress.append({"to": [{"ipBlock": {"cidr": as_cidr(cidr)}} for cidr in cidrs]})
    return [
        resource.template(
            "app/networkpolicy.yaml.j2",
            labels=resource.labels("network-policy"),
            pod_selector=owned_by(resource.kind, resource.name),
            policy_types=policy_types,
            ingress=ingress_rules,
            egress=egress,
        )
    ]


def _service_is_external(spec: Mapping[str, Any]) -> bool:
    expose = spec["expose"]
    return bool(expose["external"]) or expose.get("type") in ("LoadBalancer", "NodePort")
