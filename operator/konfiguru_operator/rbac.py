"""What the operator touches in the API: the child kinds it manages and every permission it uses.

Two facts in one place, so the chart's RBAC can be checked against the code (the shipping tests
compare :func:`permissions` with the ClusterRole) and nothing is granted "just in case":

- :data:`CHILD_KINDS`: every kind the generators emit, where it lives in the API. The operator
  watches these (filtered server-side by the owner-uid label), applies, prunes and reads them. A
  unit test renders every golden input and example and checks the generators emit exactly these
  kinds, so a generator that starts emitting a new kind fails the build until it is added here.
  Plugins add theirs (``KindDefinition.child_kinds``); built-in entries cannot be redefined.
- :func:`permissions`: ``(group, resource, verb)`` triples: the children's, plus the
  operator's own needs (its custom resources, their status and finalizers, Events, peering),
  for the built-in kinds and every usable plugin's kinds alike. The chart's RBAC is generated
  from ``permissions(BUILTIN)``; :func:`plugin_rules` are the rules installed plugins need
  beyond it (``konfiguru operator rbac``, for the chart's ``rbac.extraRules``).

Read by ``handlers`` (what to watch), ``apply.py`` (where to write) and the shipping tests.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import yaml

from konfiguru_generators import API
from konfiguru_generators.kinds import BUILTIN, REGISTRY, KindDefinition

from .kube import ResourceRef

GROUP = API.split("/")[0]

BUILTIN_CHILD_KINDS: dict[str, ResourceRef] = {
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


def child_kinds(definitions: Mapping[str, KindDefinition]) -> dict[str, ResourceRef]:
    """The built-in child kinds, then those the ``definitions`` declare (first one wins)."""
    kinds = dict(BUILTIN_CHILD_KINDS)
    for definition in definitions.values():
        for kind, ref in definition.child_kinds.items():
            kinds.setdefault(kind, ResourceRef(ref.api_version, ref.plural))
    return kinds


CHILD_KINDS: dict[str, ResourceRef] = child_kinds(REGISTRY)

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


def permissions(
    definitions: Mapping[str, KindDefinition] = REGISTRY,
) -> set[tuple[str, str, str]]:
    """Every ``(group, resource, verb)`` the operator uses for ``definitions`` (default: every
    registered kind, plugins' included), and nothing else."""
    used: set[tuple[str, str, str]] = set()
    for ref in child_kinds(definitions).values():
        used.update((group_of(ref.api_version), ref.plural, verb) for verb in CHILD_VERBS)
    for definition in definitions.values():
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
    # Kopf posts our user-facing Events as core v1 Events. The reconciler lists the Warning
    # Events of a claim that stays Pending: the controller's reason is only there.
    used.add(("", "events", "create"))
    used.add(("", "events", "list"))
    # Peering (several replicas): Kopf reads and patches the KopfPeering object. Both scopes,
    # since the operator runs cluster-wide (-A, ClusterKopfPeering) or namespaced (KopfPeering).
    for resource in ("kopfpeerings", "clusterkopfpeerings"):
        used.update(("kopf.dev", resource, verb) for verb in ("get", "list", "watch", "patch"))
    return used


def rules(
    triples: set[tuple[str, str, str]] | None = None,
) -> list[dict[str, list[str]]]:
    """``triples`` (default :func:`permissions`) as RBAC ``rules`` (one rule per group and
    resource), sorted."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for group, resource, verb in permissions() if triples is None else triples:
        grouped.setdefault((group, resource), set()).add(verb)
    return [
        {"apiGroups": [group], "resources": [resource], "verbs": sorted(verbs)}
        for (group, resource), verbs in sorted(grouped.items())
    ]


def plugin_rules() -> list[dict[str, list[str]]]:
    """The RBAC rules installed plugins' kinds need beyond the built-in kinds' (the chart's)."""
    return rules(permissions(REGISTRY) - permissions(BUILTIN))


def main() -> int:
    """``python -m konfiguru_operator.rbac`` (``konfiguru operator rbac``): the rules plugins
    need, as Helm values for the chart's ``rbac.extraRules``, and unusable plugins on stderr."""
    from konfiguru_generators.plugins import warnings

    for warning in warnings(REGISTRY.plugin_statuses()):
        sys.stderr.write(f"warning: {warning}\n")
    sys.stdout.write(
        "# Helm values: RBAC rules for the installed plugins' kinds (konfiguru operator rbac)\n"
    )
    sys.stdout.write(yaml.safe_dump({"rbac": {"extraRules": plugin_rules()}}, sort_keys=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
