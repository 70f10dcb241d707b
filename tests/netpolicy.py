"""A NetworkPolicy evaluator: may pod A open a connection to pod B on port P?

What a cluster that enforces ``networking.k8s.io/v1`` NetworkPolicy decides, following the
documented semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/):

- A policy applies to the pods of its own namespace that its ``spec.podSelector`` selects (an
  empty selector selects them all).
- ``policyTypes`` defaults to ``["Ingress"]``, plus ``"Egress"`` when the policy has an
  ``egress`` section.
- A pod is isolated for ingress (egress) when at least one policy with that type selects it;
  then only what some such policy's rules allow gets through (policies add up, none subtracts).
  A pod no policy selects for a direction allows everything in that direction.
- A rule allows a connection when one of its peers matches (no ``from``/``to``: any peer) and
  one of its ports matches (no ``ports``: any port).
- A peer is ``podSelector`` alone (pods of the policy's namespace), ``namespaceSelector`` alone
  (every pod of the selected namespaces), both in one element (pods matching the pod selector in
  the selected namespaces: AND), or ``ipBlock`` (an address in ``cidr`` and in no ``except``;
  here pod addresses too, as most network plugins do).
- A port is a protocol (default TCP) with a number, a range (``endPort``), a name (resolved
  against the destination pod's container ports, the same name and protocol) or no port at all
  (every port of that protocol).
- A connection succeeds when the source's egress and the destination's ingress both allow it.
- Label selectors: ``matchLabels`` and ``matchExpressions`` (``In``, ``NotIn``, ``Exists``,
  ``DoesNotExist``), ANDed; an empty selector matches everything.

Namespaces carry ``kubernetes.io/metadata.name`` (set by the API server on every namespace).
Anything the evaluator does not model (an unknown field, an ipBlock mixed with a selector, which
the API server refuses) raises rather than guessing. Not modelled: host-network pods, traffic a
node sends to its own pods, Services (callers translate a Service port to the pod's port first).

Used by ``tests/unit/test_network_policy_evaluator.py`` and
``tests/unit/test_example_network_policies.py``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
_POLICY_SPEC_FIELDS = {"podSelector", "policyTypes", "ingress", "egress"}
_PEER_FIELDS = {"podSelector", "namespaceSelector", "ipBlock"}
_PORT_FIELDS = {"protocol", "port", "endPort"}
_SELECTOR_FIELDS = {"matchLabels", "matchExpressions"}


class Unmodelled(ValueError):
    """A policy uses something the evaluator does not decide (or the API server refuses)."""


@dataclass(frozen=True)
class ContainerPort:
    number: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class Pod:
    """A running pod as NetworkPolicy sees it: where it is, its labels, its ports, its address."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    ip: str
    ports: tuple[ContainerPort, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The decision and, when denied, which side denied it."""

    allowed: bool
    egress: bool
    ingress: bool

    def __bool__(self) -> bool:
        return self.allowed

    def reason(self) -> str:
        sides = [
            side for side, ok in (("egress", self.egress), ("ingress", self.ingress)) if not ok
        ]
        return "allowed" if self.allowed else f"denied by {' and '.join(sides)}"


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A ``metav1.LabelSelector`` against a label set (``None`` here means the empty selector)."""
    selector = selector or {}
    unknown = set(selector) - _SELECTOR_FIELDS
    if unknown:
        raise Unmodelled(f"label selector fields {sorted(unknown)}")
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise Unmodelled(f"selector operator {operator!r}")
        if not ok:
            return False
    return True


@dataclass
class Cluster:
    """The pods, namespaces and NetworkPolicies of one cluster."""

    policies: list[Mapping[str, Any]]
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for policy in self.policies:
            _check_policy(policy)

    def labels_of_namespace(self, namespace: str) -> dict[str, str]:
        return {**self.namespace_labels.get(namespace, {}), NAMESPACE_NAME_LABEL: namespace}

    def _policies_for(self, pod: Pod, direction: str) -> list[Mapping[str, Any]]:
        return [
            policy
            for policy in self.policies
            if policy["metadata"].get("namespace", "default") == pod.namespace
            and direction in policy_types(policy)
            and selector_matches(policy["spec"].get("podSelector"), pod.labels)
        ]

    def _peer_matches(self, peer: Mapping[str, Any], policy_ns: str, other: Pod) -> bool:
        if "ipBlock" in peer:
            return ip_in_block(other.ip, peer["ipBlock"])
        pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
        if namespaces is None:
            in_namespace = other.namespace == policy_ns
        else:
            in_namespace = selector_matches(namespaces, self.labels_of_namespace(other.namespace))
        return in_namespace and selector_matches(pods, other.labels)

    def _allows(
        self, direction: str, local: Pod, remote: Pod, destination: Pod, port: int, protocol: str
    ) -> bool:
        """Whether ``local``'s policies let traffic to (egress) or from (ingress) ``remote``."""
        policies = self._policies_for(local, direction)
        if not policies:
            return True  # not isolated in this direction
        rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in policies:
            namespace = policy["metadata"].get("namespace", "default")
            for rule in policy["spec"].get(rules_key) or []:
                peers = rule.get(peers_key)
                if peers and not any(self._peer_matches(p, namespace, remote) for p in peers):
                    continue
                ports = rule.get("ports")
                if ports and not any(port_matches(p, destination, port, protocol) for p in ports):
                    continue
                return True
        return False

    def verdict(self, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> Verdict:
        egress = self._allows("Egress", source, destination, destination, port, protocol)
        ingress = self._allows("Ingress", destination, source, destination, port, protocol)
        return Verdict(egress and ingress, egress, ingress)

    def isolated(self, pod: Pod, direction: str) -> bool:
        return bool(self._policies_for(pod, direction))


def policy_types(policy: Mapping[str, Any]) -> list[str]:
    spec = policy["spec"]
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if "egress" in spec else ["Ingress"]


def ip_in_block(ip: str, block: Mapping[str, Any]) -> bool:
    address = ipaddress.ip_address(ip)
    network = ipaddress.ip_network(block["cidr"], strict=False)
    if address.version != network.version or address not in network:
        return False
    return not any(
        address in ipaddress.ip_network(item, strict=False)
        for item in block.get("except") or []
        if ipaddress.ip_network(item, strict=False).version == address.version
    )


def port_matches(rule_port: Mapping[str, Any], destination: Pod, port: int, protocol: str) -> bool:
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        # A named port: the destination pod's container port of that name and protocol.
        return any(
            p.name == wanted and p.protocol == protocol and p.number == port
            for p in destination.ports
        )
    end = rule_port.get("endPort")
    return wanted == port if end is None else wanted <= port <= end


def _check_policy(policy: Mapping[str, Any]) -> None:
    """Refuse what the API server refuses, or what this evaluator does not decide."""
    if policy.get("apiVersion") != "networking.k8s.io/v1" or policy.get("kind") != "NetworkPolicy":
        raise Unmodelled(f"not a NetworkPolicy: {policy.get('apiVersion')} {policy.get('kind')}")
    spec = policy["spec"]
    unknown = set(spec) - _POLICY_SPEC_FIELDS
    if unknown:
        raise Unmodelled(f"policy fields {sorted(unknown)}")
    if "podSelector" not in spec:
        raise Unmodelled("spec.podSelector is required")
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(direction) or []:
            if set(rule) - {peers_key, "ports"}:
                raise Unmodelled(f"{direction} rule fields {sorted(rule)}")
            for peer in rule.get(peers_key) or []:
                if not peer or set(peer) - _PEER_FIELDS:
                    raise Unmodelled(f"peer {peer!r}")
                if "ipBlock" in peer and len(peer) > 1:
                    raise Unmodelled("an ipBlock peer may not have selectors")
            for port in rule.get("ports") or []:
                if set(port) - _PORT_FIELDS:
                    raise Unmodelled(f"port fields {sorted(port)}")
                if "endPort" in port and not isinstance(port.get("port"), int):
                    raise Unmodelled("endPort needs a numeric port")


# --- pods from rendered workloads ---------------------------------------------------------

# What the controllers add to the template's labels on each pod they create.
_CONTROLLER_LABELS = {
    "Deployment": {"pod-template-hash": "5d8f7c9b6"},
    "StatefulSet": {"controller-revision-hash": "rev-1"},
    "DaemonSet": {"controller-revision-hash": "rev-1", "pod-template-generation": "1"},
}


def _template_ports(template: Mapping[str, Any]) -> tuple[ContainerPort, ...]:
    spec = template.get("spec") or {}
    # Init containers too: a native sidecar (restartPolicy Always) serves like a container.
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    return tuple(
        ContainerPort(int(p["containerPort"]), p.get("name"), p.get("protocol", "TCP"))
        for container in containers
        for p in container.get("ports") or []
    )


@dataclass(frozen=True)
class WorkloadPod:
    """A pod built from a rendered workload, with the object it came from."""

    pod: Pod
    workload: Mapping[str, Any]


def pods_of(objects: Iterable[Mapping[str, Any]], addresses: Iterable[str]) -> list[WorkloadPod]:
    """One pod per pod template in ``objects`` (Deployments, StatefulSets, DaemonSets, Jobs,
    CronJobs and pod templates kept in ConfigMaps, such as Spark's executor template), with the
    labels its controller adds, taking addresses from ``addresses``."""
    ips = iter(addresses)
    found: list[WorkloadPod] = []
    for obj in objects:
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        templates: list[tuple[str, Mapping[str, Any], dict[str, str]]] = []
        if kind in _CONTROLLER_LABELS:
            extra = dict(_CONTROLLER_LABELS[str(kind)])
            if kind == "StatefulSet":
                extra["statefulset.kubernetes.io/pod-name"] = f"{meta['name']}-0"
                extra["apps.kubernetes.io/pod-index"] = "0"
            templates.append((f"{meta['name']}-0", obj["spec"]["template"], extra))
        elif kind == "Job":
            job = {"batch.kubernetes.io/job-name": meta["name"], "job-name": meta["name"]}
            templates.append((f"{meta['name']}-0", obj["spec"]["template"], job))
        elif kind == "CronJob":
            run = f"{meta['name']}-29000000"
            job = {"batch.kubernetes.io/job-name": run, "job-name": run}
            templates.append((run, obj["spec"]["jobTemplate"]["spec"]["template"], job))
        elif kind == "ConfigMap":
            for key, text in (obj.get("data") or {}).items():
                pod = _embedded_pod(text)
                if pod is not None:
                    templates.append((f"{meta['name']}/{key}", pod, {}))
        for name, template, extra in templates:
            labels = {**((template.get("metadata") or {}).get("labels") or {}), **extra}
            pod = Pod(name, namespace, labels, next(ips), _template_ports(template))
            found.append(WorkloadPod(pod, obj))
    return found


def _embedded_pod(text: str) -> Mapping[str, Any] | None:
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if isinstance(value, dict) and value.get("kind") == "Pod":
        return value
    return None


def network_policies(objects: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [obj for obj in objects if obj.get("kind") == "NetworkPolicy"]


def addresses(network: str = "10.244.0.0/16") -> Iterable[str]:
    return (str(host) for host in ipaddress.ip_network(network).hosts())
