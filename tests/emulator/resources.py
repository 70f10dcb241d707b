"""The resource catalogue of the emulated API server: which kinds exist and how they behave.

Used by :mod:`emulator.server` for discovery (``/api/v1``, ``/apis/<group>/<version>``), URL
resolution and per-kind rules (status/scale subresources, namespaced or cluster-scoped), and by the
test facade to turn ``"deployments"``, ``"Deployment"``, ``"deploy"``, ``"apps.konfiguru.io"`` or
an object's ``apiVersion``/``kind`` into one :class:`ResourceType`. CRDs posted to the emulator (or
loaded from ``crds/*.yaml``) become resource types here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import vendored

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class ResourceType:
    """One served resource of one API version (``apps/v1 deployments``)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    verbs: tuple[str, ...] = ALL_VERBS
    # The CRD's openAPIV3Schema (CRDs only): used for defaulting, validation and kubectl columns.
    schema: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    # The CRD's additionalPrinterColumns (CRDs only), served in Table responses for kubectl get.
    printer_columns: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, hash=False)
    # Set for types that came from a CustomResourceDefinition (so deleting the CRD removes them).
    crd_name: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Objects are stored once per group+plural, whatever version they are read through."""
        return (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """``deployments.apps``, ``apps.konfiguru.io``, ``configmaps`` (kubectl's spelling)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def names(self) -> set[str]:
        """Every lower-case name kubectl would accept for this type."""
        names = {self.plural, self.kind.lower(), self.singular or self.kind.lower()}
        names.update(self.short_names)
        return names


def _rt(
    api_version: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: Iterable[str] = (),
    sub: Iterable[str] = (),
    categories: Iterable[str] = (),
) -> ResourceType:
    group, _, version = api_version.rpartition("/")
    return ResourceType(
        group=group,
        version=version,
        plural=plural,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=tuple(short),
        categories=tuple(categories),
        subresources=frozenset(sub),
    )


# The built-in kinds the operator and its tests touch, plus a few neighbours kubectl users expect.
BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _rt(
        "v1", "namespaces", "Namespace", namespaced=False, short=["ns"], sub=["status", "finalize"]
    ),
    _rt("v1", "services", "Service", short=["svc"], sub=["status"], categories=["all"]),
    _rt("v1", "configmaps", "ConfigMap", short=["cm"]),
    _rt("v1", "secrets", "Secret"),
    _rt("v1", "serviceaccounts", "ServiceAccount", short=["sa"]),
    _rt("v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=["pvc"], sub=["status"]),
    _rt(
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        namespaced=False,
        short=["pv"],
        sub=["status"],
    ),
    _rt("v1", "events", "Event", short=["ev"]),
    _rt("v1", "pods", "Pod", short=["po"], sub=["status"], categories=["all"]),
    _rt("v1", "endpoints", "Endpoints", short=["ep"]),
    _rt("v1", "nodes", "Node", namespaced=False, short=["no"], sub=["status"]),
    _rt(
        "apps/v1",
        "deployments",
        "Deployment",
        short=["deploy"],
        sub=["status", "scale"],
        categories=["all"],
    ),
    _rt(
        "apps/v1",
        "statefulsets",
        "StatefulSet",
        short=["sts"],
        sub=["status", "scale"],
        categories=["all"],
    ),
    _rt("apps/v1", "daemonsets", "DaemonSet", short=["ds"], sub=["status"], categories=["all"]),
    _rt(
        "apps/v1",
        "replicasets",
        "ReplicaSet",
        short=["rs"],
        sub=["status", "scale"],
        categories=["all"],
    ),
    _rt("batch/v1", "jobs", "Job", sub=["status"], categories=["all"]),
    _rt("batch/v1", "cronjobs", "CronJob", short=["cj"], sub=["status"], categories=["all"]),
    _rt(
        "autoscaling/v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=["hpa"],
        sub=["status"],
        categories=["all"],
    ),
    _rt("networking.k8s.io/v1", "ingresses", "Ingress", short=["ing"], sub=["status"]),
    _rt("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", short=["netpol"]),
    _rt("networking.k8s.io/v1", "ingressclasses", "IngressClass", namespaced=False),
    _rt("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", short=["pdb"], sub=["status"]),
    _rt("rbac.authorization.k8s.io/v1", "roles", "Role"),
    _rt("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding"),
    _rt("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", namespaced=False),
    _rt(
        "rbac.authorization.k8s.io/v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        namespaced=False,
    ),
    _rt("coordination.k8s.io/v1", "leases", "Lease"),
    _rt("storage.k8s.io/v1", "storageclasses", "StorageClass", namespaced=False, short=["sc"]),
    _rt(
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=["crd", "crds"],
        sub=["status"],
    ),
    _rt("events.k8s.io/v1", "events", "Event", short=["ev"]),
    _rt(
        "external-secrets.io/v1", "externalsecrets", "ExternalSecret", short=["es"], sub=["status"]
    ),
    _rt("external-secrets.io/v1", "secretstores", "SecretStore", short=["ss"], sub=["status"]),
    _rt(
        "external-secrets.io/v1",
        "clustersecretstores",
        "ClusterSecretStore",
        namespaced=False,
        short=["css"],
        sub=["status"],
    ),
    _rt("monitoring.coreos.com/v1", "servicemonitors", "ServiceMonitor", short=["smon"]),
    # Served with its vendored schema: defaulted and checked (CEL rules too) as by the real CRD.
    dataclasses.replace(
        _rt("gateway.networking.k8s.io/v1", "httproutes", "HTTPRoute", sub=["status"]),
        schema=vendored.crd_schema("gateway.networking.k8s.io", "HTTPRoute", "v1"),
    ),
    _rt("monitoring.coreos.com/v1", "podmonitors", "PodMonitor", short=["pmon"]),
    _rt("kopf.dev/v1", "kopfpeerings", "KopfPeering"),
    _rt("kopf.dev/v1", "clusterkopfpeerings", "ClusterKopfPeering", namespaced=False),
)


def types_from_crd(crd: Mapping[str, Any]) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition declares (one per served version)."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    group = spec["group"]
    plural = names["plural"]
    kind = names["kind"]
    result = []
    versions = list(spec.get("versions", []))
    # The storage version first: clients pick the first listed version as the preferred one.
    versions.sort(key=lambda v: not v.get("storage", False))
    for version in versions:
        if not version.get("served", True):
            continue
        subresources = set(version.get("subresources", {}) or {})
        result.append(
            ResourceType(
                group=group,
                version=version["name"],
                plural=plural,
                kind=kind,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular", kind.lower()),
                short_names=tuple(names.get("shortNames", [])),
                categories=tuple(names.get("categories", [])),
                subresources=frozenset(subresources),
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                printer_columns=tuple(version.get("additionalPrinterColumns", [])),
                crd_name=crd.get("metadata", {}).get("name") or f"{plural}.{group}",
            )
        )
    return result


class Catalogue:
    """All resource types the emulator serves, with kubectl-like name resolution."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN_TYPES) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self.revision = 0  # bumped on every change, for OpenAPI/discovery cache keys
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        self._types[(rt.group, rt.version, rt.plural)] = rt
        self.revision += 1

    def remove_crd(self, crd_name: str) -> list[ResourceType]:
        gone = [rt for rt in self._types.values() if rt.crd_name == crd_name]
        for rt in gone:
            del self._types[(rt.group, rt.version, rt.plural)]
        self.revision += 1
        return gone

    def remove_group(self, group: str) -> list[ResourceType]:
        """Stop serving an API group (a cluster where that add-on is not installed)."""
        gone = [rt for rt in self._types.values() if rt.group == group]
        for rt in gone:
            del self._types[(rt.group, rt.version, rt.plural)]
        self.revision += 1
        return gone

    def __iter__(self) -> Any:
        return iter(list(self._types.values()))

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def groups(self) -> dict[str, list[str]]:
        """Group name → served versions, the preferred (first registered) one first."""
        result: dict[str, list[str]] = {}
        for rt in self._types.values():
            versions = result.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return result

    def in_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._types.values() if rt.group == group and rt.version == version]

    def for_object(self, obj: Mapping[str, Any]) -> ResourceType:
        api_version = obj.get("apiVersion", "")
        kind = obj.get("kind", "")
        group, _, version = api_version.rpartition("/")
        for rt in self._types.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        raise LookupError(f"no resource type serves {api_version} {kind}")

    def resolve(self, ref: str | ResourceType) -> ResourceType:
        """Find a type the way kubectl does: ``deploy``, ``Deployment``, ``deployments.apps``,
        ``apps/v1/deployments``, ``apps.konfiguru.io``, ``app``."""
        if isinstance(ref, ResourceType):
            return ref
        if ref.count("/") == 2 or (ref.count("/") == 1 and ref.startswith("v1/")):
            gv, _, plural = ref.rpartition("/")
            group, _, version = gv.rpartition("/")
            found = self.get(group, version, plural)
            if found is None:
                raise LookupError(f"no resource type {ref!r}")
            return found
        name, _, group = ref.partition(".")
        lowered = name.lower()
        candidates = [
            rt
            for rt in self._types.values()
            if (lowered in rt.names() or name == rt.kind) and (not group or rt.group == group)
        ]
        if not candidates:
            raise LookupError(f"no resource type {ref!r}")
        # Prefer the core/apps spelling over same-named CRDs, then the preferred version.
        candidates.sort(key=lambda rt: (rt.crd_name is not None, rt.group != "", rt.group))
        return candidates[0]
