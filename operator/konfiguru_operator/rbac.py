"""What the operator touches in the API: the child kinds it manages and every permission it uses.

Two facts in one place, so the chart's RBAC can be checked against the code (the shipping tests
compare :func:`permissions` with the ClusterRole) and nothing is granted "just in case":

- :data:`CHILD_KINDS`: every kind the generators emit, where it lives in the API. The operator
  watches these (filtered server-side by the owner-uid label), applies, prunes and reads them. A
  unit test renders every golden input and example and checks the generators emit exactly these
  kinds, so a generator that starts emitting a new kind fails the build until it is added here.
- :func:`permissions`: ``(group, resource, verb)`` triples: the children's, plus the
  operator's own needs (its custom resources, their status and finalizers, Events, peering).

Read by ``handlers`` (what to watch), ``apply.py`` (where to write) and the shipping tests.
"""

from __future__ import annotations

from konfiguru_generators import API
from konfiguru_generators.kinds import REGISTRY

from .kube import ResourceRef

GROUP = API.split("/")[0]

CHILD_KINDS: dict[str, ResourceRef] = {
    "ServiceAccount": ResourceRef("v1", "serviceaccounts"),
    "Secret": ResourceRef("v1", "secrets"),
    "ConfigMap": ResourceRef("v1", "configmaps"),
    "PersistentVolumeClaim": ResourceRef("v1", "persistentvolumeclaims"),
    "Service": ResourceRef("v1", "services"),
    "Role": ResourceRef("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ResourceRef("rbac.authorization.k8s.io/v1", "rolebindings"),
    "NetworkPolicy": ResourceRef("networking.k8s.io/v1", "networkpolicies"),
    "Ingress": ResourceRef("networking.k8s.io/v1", "ingresses"),
    "Deployment": ResourceRef("apps/v1", "deployments"),
    "StatefulSet": ResourceRef("apps/v1", "statefulsets"),
    "DaemonSet": ResourceRef("apps/v1", "daemonsets"),
    "PodDisruptionBudget": ResourceRef("policy/v1", "poddisruptionbudgets"),
    "HorizontalPodAutoscaler": ResourceRef("autoscaling/v2", "horizontalpodautoscalers"),
    "Job": ResourceRef("batch/v1", "jobs"),
    "CronJob": ResourceRef("batch/v1", "cronjobs"),
    # External Secrets Operator's kind: watched only where its CRD is installed.
    "ExternalSecret": ResourceRef("external-secrets.io/v1", "externalsecrets"),
    # Gateway API's route (an App's ingress with controller gateway): likewise only where the
    # Gateway API CRDs are installed.
    "HTTPRoute": ResourceRef("gateway.networking.k8s.io/v1", "httproutes"),
}

# Children: watched (list, watch), read back (get), created and updated by server-side apply
# (patch; create because an apply of a missing object creates it), pruned (delete).
CHILD_VERBS = ("create", "delete", "get", "list", "patch", "watch")
# Parents: Kopf lists and watches them; the operator writes their status subresource and, for
# owners of children that outlive them (deletion-policy Retain), one finalizer (patch). It never
# creates or deletes them.
PARENT_VERBS = ("list", "watch", "patch")


def group_of(api_version: str) -> str:
    """``apps/v1`` → ``apps``; ``v1`` → ``""`` (the core group)."""
    return api_version.split("/")[0] if "/" in api_version else ""


def parent_refs() -> dict[str, ResourceRef]:
    """Every Konfiguru kind by name, where it lives in the API."""
    return {kind: ResourceRef(API, d.plural) for kind, d in REGISTRY.items()}


def permissions() -> set[tuple[str, str, str]]:
    """Every ``(group, resource, verb)`` the operator uses, and nothing else."""
    used: set[tuple[str, str, str]] = set()
    for ref in CHILD_KINDS.values():
        used.update((group_of(ref.api_version), ref.plural, verb) for verb in CHILD_VERBS)
    for definition in REGISTRY.values():
        used.update((GROUP, definition.plural, verb) for verb in PARENT_VERBS)
        # Conditions and observedGeneration go through the status subresource only.
        used.add((GROUP, f"{definition.plural}/status", "patch"))
        # Children's ownerReferences set blockOwnerDeletion, which needs this where the
        # OwnerReferencesPermissionEnforcement admission plugin is on (OpenShift).
        used.add((GROUP, f"{definition.plural}/finalizers", "update"))
    # An App's `rbac` rules become a Role and RoleBinding. The API server lets nobody grant
    # permissions they do not hold themselves, unless they may `escalate` (Roles) and `bind`
    # (RoleBindings referencing a Role): without these, a Role with rules the operator lacks fails.
    used.add(("rbac.authorization.k8s.io", "roles", "escalate"))
    used.add(("rbac.authorization.k8s.io", "roles", "bind"))
    # Kopf posts our user-facing Events as core v1 Events.
    used.add(("", "events", "create"))
    # Peering (several replicas): Kopf reads and patches the KopfPeering object. Both scopes,
    # since the operator runs cluster-wide (-A, ClusterKopfPeering) or namespaced (KopfPeering).
    for resource in ("kopfpeerings", "clusterkopfpeerings"):
        used.update(("kopf.dev", resource, verb) for verb in ("get", "list", "watch", "patch"))
    return used


def rules() -> list[dict[str, list[str]]]:
    """:func:`permissions` as RBAC ``rules`` (one rule per group and resource), sorted."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for group, resource, verb in permissions():
        grouped.setdefault((group, resource), set()).add(verb)
    return [
        {"apiGroups": [group], "resources": [resource], "verbs": sorted(verbs)}
        for (group, resource), verbs in sorted(grouped.items())
    ]
