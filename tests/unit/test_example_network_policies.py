"""Every example works on a cluster that enforces NetworkPolicy, and admits nothing undeclared.

All examples are rendered into one cluster (as ``kubectl apply`` of every rendered file would
create it; an example without a namespace lands in ``default``), one pod is built from each
rendered pod template (``tests/netpolicy.py``), and the rendered NetworkPolicies decide:

- every ``connectTo`` edge opens, from every pod of the caller (workload, jobs, schedules) to
  every pod behind the callee's Service, on the port the Service forwards the connectTo port
  to: the caller's egress and the callee's ingress both allow it, with nothing declared on the
  callee's side;
- every connection that is allowed is declared somewhere: within one resource, a connectTo, an
  allowFrom or connectFrom, a port meant for everyone (a model server), Prometheus to a metrics
  port, the ingress controller to an app with an ingress. A pod of no example ("stranger") in
  every namespace, Prometheus and the ingress controller try every port of every pod.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

import kfgtest
import netpolicy
from konfiguru_generators.kinds.app import names as app_names
from netpolicy import Cluster, Pod, WorkloadPod

OWNER_KIND = "konfiguru.io/owner-kind"
OWNER_NAME = "konfiguru.io/owner-name"
MONITORING = "monitoring"
INGRESS_CONTROLLER = "ingress-nginx"
Owner = tuple[str, str, str]  # (namespace, kind, name)


@dataclass(frozen=True)
class Examples:
    cluster: Cluster
    pods: list[WorkloadPod]
    objects: list[Mapping[str, Any]]
    specs: dict[Owner, Mapping[str, Any]]  # every example resource, by namespace, kind, name


def _ingress_controller_namespace(spec: Mapping[str, Any]) -> str:
    return str(
        (spec.get("networkPolicy") or {}).get("ingressControllerNamespace", INGRESS_CONTROLLER)
    )


@functools.cache
def examples() -> Examples:
    objects: list[Mapping[str, Any]] = []
    specs: dict[Owner, Mapping[str, Any]] = {}
    for case in kfgtest.corpus():
        if not case.id.startswith("examples/"):
            continue
        objects += kfgtest.rendered(case.path)
        for doc in kfgtest.documents(case.path):
            meta = doc["metadata"]
            key = (meta.get("namespace") or "default", doc["kind"], meta["name"])
            # The examples are applied together: two with one name would overwrite each other.
            assert key not in specs, f"{case.path}: {key} is defined by another example too"
            specs[key] = doc["spec"]
    ips = netpolicy.addresses()
    pods = netpolicy.pods_of(objects, ips)
    namespaces = {p.pod.namespace for p in pods} | {MONITORING, INGRESS_CONTROLLER}
    namespaces |= {_ingress_controller_namespace(spec) for spec in specs.values()}
    # Pods of no example: a stranger in every namespace, Prometheus, the ingress controllers.
    for namespace in sorted(namespaces):
        pods.append(WorkloadPod(Pod(f"stranger.{namespace}", namespace, {}, next(ips)), {}))
    return Examples(Cluster(netpolicy.network_policies(objects)), pods, objects, specs)


def owner(pod: Pod) -> Owner | None:
    if OWNER_KIND not in pod.labels:
        return None
    return (pod.namespace, pod.labels[OWNER_KIND], pod.labels[OWNER_NAME])


def connect_edges() -> list[tuple[Owner, Owner, int]]:
    """(caller, callee, Service port) for every connectTo of every example App."""
    edges = []
    for (namespace, kind, name), spec in examples().specs.items():
        for target in spec.get("connectTo") or [] if kind == "App" else []:
            callee = (
                target.get("namespace") or namespace,
                target.get("kind", "App"),
                target["name"],
            )
            port = app_names.connect_port(target)
            assert port is not None, f"{name}: connectTo {target} has no port"
            edges.append(((namespace, kind, name), callee, port))
    return edges


EDGES = connect_edges()


def test_the_examples_declare_connections_to_check() -> None:
    callers = {caller[2] for caller, _, _ in EDGES}
    assert {"web", "api", "worker", "backfill", "nightly-report", "storefront"} <= callers


def _service_targets(callee: Owner, service_port: int) -> list[tuple[Pod, int]]:
    """The pods behind the callee's Service ``<name>`` and the pod port ``service_port`` reaches."""
    namespace, _, name = callee
    services = [
        o
        for o in examples().objects
        if o["kind"] == "Service"
        and o["metadata"]["name"] == name
        and (o["metadata"].get("namespace") or "default") == namespace
    ]
    assert services, f"connectTo {callee}: no example renders its Service {namespace}/{name}"
    service = services[0]["spec"]
    entry = next((p for p in service["ports"] if p["port"] == service_port), None)
    assert entry is not None, f"Service {namespace}/{name} has no port {service_port}"
    targets = []
    for item in examples().pods:
        pod = item.pod
        if pod.namespace != namespace or not netpolicy.selector_matches(
            {"matchLabels": service["selector"]}, pod.labels
        ):
            continue
        target = entry.get("targetPort", entry["port"])
        if isinstance(target, str):
            numbers = [p.number for p in pod.ports if p.name == target]
            assert numbers, f"{pod.name} has no container port named {target}"
            target = numbers[0]
        targets.append((pod, int(target)))
    assert targets, f"Service {namespace}/{name} selects no pod of the examples"
    return targets


@pytest.mark.parametrize(
    ("caller", "callee", "port"), EDGES, ids=[f"{a[2]}->{b[2]}:{p}" for a, b, p in EDGES]
)
def test_every_connect_to_edge_is_allowed_by_both_sides(
    caller: Owner, callee: Owner, port: int
) -> None:
    sources = [p.pod for p in examples().pods if owner(p.pod) == caller]
    assert sources, f"{caller} has no pods"
    denied = [
        f"{src.name} -> {dst.name}:{dst_port} {verdict.reason()}"
        for src in sources
        for dst, dst_port in _service_targets(callee, port)
        if not (verdict := examples().cluster.verdict(src, dst, dst_port))
    ]
    assert not denied, f"{caller} connectTo {callee} is blocked:\n" + "\n".join(denied)


def _declared(source: Pod, destination: Pod, port: int) -> bool:
    """Whether some declaration (or a port meant for everyone) explains this connection."""
    specs = examples().specs
    src, dst = owner(source), owner(destination)
    if dst is None:
        return True  # not a Konfiguru pod: not ours to police
    if src == dst:
        return True  # within one resource: members, driver and executors, backups
    dst_namespace, dst_kind, _ = dst
    dst_spec = specs[dst]
    component = destination.labels.get("app.kubernetes.io/component")
    port_name = next((p.name for p in destination.ports if p.number == port), None)
    if source.namespace == MONITORING and port_name == "metrics":
        return True
    if dst_kind == "MLPipeline" and component == "inference":
        return True  # a model server takes calls from anyone, on its serving port
    if dst_kind == "App":
        expose = dst_spec.get("expose") or {}
        if expose.get("external") or expose.get("type") in ("LoadBalancer", "NodePort"):
            return True  # a load balancer or node port admits clients from anywhere
        controller = _ingress_controller_namespace(dst_spec)
        if source.namespace == controller and dst_spec.get("ingress"):
            return port == dst_spec.get("port")
    if src is None:
        return (
            dst_kind == "Database"
            and "connectFrom" not in dst_spec
            and source.namespace == dst_namespace
        )
    src_namespace, src_kind, src_name = src
    for target in specs[src].get("connectTo") or [] if src_kind == "App" else []:
        if (
            target.get("namespace") or src_namespace,
            target.get("kind", "App"),
            target["name"],
        ) == dst:
            return True
    if dst_kind == "App" and src_kind == "App":
        return any(
            (c.get("namespace") or dst_namespace, c["name"]) == (src_namespace, src_name)
            for c in dst_spec.get("allowFrom") or []
        )
    if dst_kind == "Database":
        connect_from = dst_spec.get("connectFrom")
        if connect_from is None:
            return src_namespace == dst_namespace
        return src_kind == "App" and any(
            (c.get("namespace") or dst_namespace, c["app"]) == (src_namespace, src_name)
            for c in connect_from
        )
    return False


def test_no_connection_is_allowed_that_no_example_declares() -> None:
    found = examples()
    undeclared = [
        f"{src.pod.namespace}/{src.pod.name} -> {dst.pod.namespace}/{dst.pod.name}:{port.number}"
        for src in found.pods
        for dst in found.pods
        if owner(dst.pod) is not None
        for port in dst.pod.ports
        if found.cluster.verdict(src.pod, dst.pod, port.number, port.protocol)
        and not _declared(src.pod, dst.pod, port.number)
    ]
    assert not undeclared, "allowed but declared nowhere:\n" + "\n".join(undeclared)


def _pod(name: str) -> Pod:
    return next(p.pod for p in examples().pods if p.pod.name == name)


def test_the_database_exporter_is_open_to_prometheus_only() -> None:
    cluster = examples().cluster
    database = _pod("orders-db-0")
    exporter = next(p.number for p in database.ports if p.name == "metrics")
    assert cluster.verdict(_pod(f"stranger.{MONITORING}"), database, exporter)
    for stranger in ("stranger.shop", "stranger.default", f"stranger.{INGRESS_CONTROLLER}"):
        verdict = cluster.verdict(_pod(stranger), database, exporter)
        assert not verdict and not verdict.ingress, stranger
    # api may use the database, not its exporter.
    assert not cluster.verdict(_pod("api-0"), database, exporter)
    assert cluster.verdict(_pod("api-0"), database, 5432)


def test_a_pod_that_declares_nothing_reaches_no_locked_down_database() -> None:
    verdict = examples().cluster.verdict(_pod("stranger.shop"), _pod("orders-db-0"), 5432)
    assert not verdict and verdict.reason() == "denied by ingress"


def test_every_pod_of_every_example_can_resolve_names_through_cluster_dns() -> None:
    found = examples()
    dns = Pod(
        "coredns",
        "kube-system",
        {"k8s-app": "kube-dns"},
        "10.96.0.10",
        (netpolicy.ContainerPort(53, "dns", "UDP"), netpolicy.ContainerPort(53, "dns-tcp")),
    )
    blocked = [
        f"{p.pod.namespace}/{p.pod.name} ({protocol})"
        for p in found.pods
        if owner(p.pod) is not None
        for protocol in ("UDP", "TCP")
        if not found.cluster.verdict(p.pod, dns, 53, protocol)
    ]
    assert not blocked, "cannot reach cluster DNS:\n" + "\n".join(blocked)
