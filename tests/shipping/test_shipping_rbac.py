"""RBAC is provably enough and no more, for every way the operator is installed.

What the operator uses is derived, never restated:

- from the operator's code: ``konfiguru_operator.rbac.permissions()`` (its custom resources,
  their status and finalizers, Events, peering, and every child kind it applies and prunes);
- from the generators: every kind rendered from every example and fixture must be a child kind
  the operator knows, with the verbs it needs (list/watch to observe, get to read back,
  create/patch to apply, delete to prune);
- from Kopf's own machinery (read in kopf/_core/reactor/observation.py and engines/peering.py),
  under the operator's own Kopf settings (``shipping.kopf_cluster_needs``): CRD and Namespace
  reads only while Kopf's scanning is on; the ClusterKopfPeering (cluster scope) or KopfPeering
  (per namespace) objects only when peering is on (highAvailability).

Each rendered (Cluster)Role must grant exactly that: a missing permission breaks the operator at
run time, an extra one is privilege nobody needs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

import kfgtest
import shipping
from konfiguru_operator.webhook import PERMISSIONS

Triple = tuple[str, str, str]

CHILD_VERBS = ("create", "delete", "get", "list", "patch", "watch")

CASES = [
    *shipping.values_cases(),
    ("ha-cluster", {"highAvailability": {"enabled": True}}),
    (
        "webhook-namespaces",
        {
            "webhook": {"enabled": True},
            "watch": {"scope": "namespaces", "namespaces": ["x"]},
        },
    ),
    (
        "ha-namespaces",
        {
            "highAvailability": {"enabled": True},
            "watch": {"scope": "namespaces", "namespaces": ["x", "y", "z"]},
        },
    ),
]


def _merged(values: dict[str, Any]) -> dict[str, Any]:
    import helm_python

    with helm_python.Chart.load(shipping.CHART) as chart:
        return chart.merge_values(values)


def namespaced_needs() -> set[Triple]:
    return {t for t in shipping.operator_permissions() if t[0] != shipping.PEERING_GROUP}


def peering_needs(resource: str) -> set[Triple]:
    return {
        t for t in shipping.operator_permissions() if t[:2] == (shipping.PEERING_GROUP, resource)
    }


def expected_grants(values: dict[str, Any]) -> dict[tuple[str, str | None], set[Triple]]:
    """(kind, namespace) of each (Cluster)Role → exactly the permissions it must grant."""
    merged = _merged(values)
    ha = merged["highAvailability"]["enabled"]
    # A self-signed webhook: the operator writes its CA into its own webhook configuration.
    webhook: set[Triple] = set()
    if merged["webhook"]["enabled"] and merged["webhook"]["certificates"] == "self-signed":
        name = f"{shipping.RELEASE}"
        webhook = {(g, f"{r}[{name}]", v) for g, r, v in PERMISSIONS}
    if merged["watch"]["scope"] == "cluster":
        cluster = shipping.kopf_cluster_needs(clusterwide=True) | namespaced_needs() | webhook
        if ha:
            cluster |= peering_needs("clusterkopfpeerings")
        return {("ClusterRole", None): cluster}
    expected: dict[tuple[str, str | None], set[Triple]] = {}
    if cluster_needs := shipping.kopf_cluster_needs(clusterwide=False) | webhook:
        expected[("ClusterRole", None)] = cluster_needs
    for namespace in merged["watch"]["namespaces"]:
        role = namespaced_needs() | (peering_needs("kopfpeerings") if ha else set())
        expected[("Role", namespace)] = role
    return expected


def actual_grants(objects: list[dict[str, Any]]) -> dict[tuple[str, str | None], set[Triple]]:
    grants: dict[tuple[str, str | None], set[Triple]] = defaultdict(set)
    for kind, namespace, triple in shipping.granted(objects):
        grants[(kind, namespace)].add(triple)
    return dict(grants)


def differences(
    expected: dict[tuple[str, str | None], set[Triple]],
    actual: dict[tuple[str, str | None], set[Triple]],
) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(actual), key=str):
        want, have = expected.get(key, set()), actual.get(key, set())
        for triple in sorted(want - have):
            problems.append(f"{key}: missing {triple}")
        for triple in sorted(have - want):
            problems.append(f"{key}: grants unused {triple}")
    return problems


def test_the_operator_needs_every_verb_on_every_kind_the_generators_emit() -> None:
    from konfiguru_operator import rbac

    emitted = {
        (obj["apiVersion"], obj["kind"])
        for case in kfgtest.corpus()
        for obj in kfgtest.rendered(case.path)
    }
    assert emitted, "no example or fixture rendered anything"
    needs = namespaced_needs()
    for api_version, kind in sorted(emitted):
        ref = rbac.CHILD_KINDS.get(kind)
        assert ref is not None, f"{kind} is generated but not a child kind of the operator"
        group = rbac.group_of(ref.api_version)
        assert group == rbac.group_of(api_version), (kind, api_version, ref)
        missing = [verb for verb in CHILD_VERBS if (group, ref.plural, verb) not in needs]
        assert not missing, f"{kind}: the operator does not declare {missing}"


def test_every_konfiguru_kind_its_status_and_finalizers_are_declared() -> None:
    needs = namespaced_needs()
    for group, kind in shipping.konfiguru_kinds():
        from konfiguru_generators.kinds import REGISTRY

        if kind not in REGISTRY:  # a CRD whose generator has not landed: nothing to reconcile
            continue
        plural = REGISTRY[kind].plural
        # Parents are only listed and watched (Kopf's informers), never fetched one by one.
        assert {(group, plural, v) for v in ("list", "watch", "patch")} <= needs
        assert (group, f"{plural}/status", "patch") in needs
        assert (group, f"{plural}/finalizers", "update") in needs


@pytest.mark.parametrize(("case_id", "values"), CASES, ids=[c for c, _ in CASES])
def test_the_chart_grants_exactly_what_the_operator_uses(
    case_id: str, values: dict[str, Any]
) -> None:
    objects = shipping.chart_objects(values)
    problems = differences(expected_grants(values), actual_grants(objects))
    assert not problems, "\n".join(problems)


def test_deploy_grants_exactly_what_the_operator_uses() -> None:
    objects = shipping.kustomize()
    problems = differences(expected_grants(shipping.DEPLOY_VALUES), actual_grants(objects))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("case_id", "values"), CASES, ids=[c for c, _ in CASES])
def test_no_rule_uses_a_wildcard_and_every_binding_names_the_operator_account(
    case_id: str, values: dict[str, Any]
) -> None:
    objects = shipping.chart_objects(values)
    for _, _, triple in shipping.granted(objects):
        assert "*" not in triple, triple
    (workload,) = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    account = workload["spec"]["template"]["spec"]["serviceAccountName"]
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}
    bindings = [o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert bindings
    for binding in bindings:
        namespace = binding["metadata"].get("namespace")
        ref = binding["roleRef"]
        role_namespace = namespace if ref["kind"] == "Role" else None
        assert (ref["kind"], role_namespace, ref["name"]) in roles, binding["metadata"]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": shipping.NAMESPACE}
        ]


def test_kopf_needs_crd_and_namespace_reads_only_while_its_scanning_is_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kopf

    real = kopf.OperatorSettings

    def scanning_on() -> kopf.OperatorSettings:
        settings = real()
        settings.scanning = type(settings.scanning)()
        object.__setattr__(settings.scanning, "disabled", False)
        return settings

    from konfiguru_operator.handlers import lifecycle

    monkeypatch.setattr(lifecycle, "configure", lambda settings: None)
    monkeypatch.setattr(kopf, "OperatorSettings", scanning_on)
    crds = ("apiextensions.k8s.io", "customresourcedefinitions", "watch")
    assert crds in shipping.kopf_cluster_needs(clusterwide=True)
    assert ("", "namespaces", "list") not in shipping.kopf_cluster_needs(clusterwide=True)
    assert ("", "namespaces", "list") in shipping.kopf_cluster_needs(clusterwide=False)


def test_the_comparison_catches_a_missing_and_an_extra_permission() -> None:
    values: dict[str, Any] = {}
    expected = expected_grants(values)
    actual = actual_grants(shipping.chart_objects(values))
    key = ("ClusterRole", None)
    dropped = sorted(actual[key])[0]
    mutated = {key: (actual[key] - {dropped}) | {("", "pods", "exec")}}
    problems = differences(expected, mutated)
    assert f"{key}: missing {dropped}" in problems
    assert f"{key}: grants unused ('', 'pods', 'exec')" in problems


def _rule_triples(rules: list[dict[str, Any]]) -> set[Triple]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule.get("apiGroups", [""])
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_the_operator_may_create_every_role_and_binding_the_generators_emit() -> None:
    # The API server refuses a Role granting what its creator does not hold itself (privilege
    # escalation prevention) unless the creator may `escalate` on roles, and a RoleBinding to
    # such a Role unless it may `bind` roles.
    needs = namespaced_needs()
    group = "rbac.authorization.k8s.io"
    problems = []
    for case in kfgtest.corpus():
        objects = kfgtest.rendered(case.path)
        roles = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Role"}
        for obj in objects:
            where = f"{case.id}: {kfgtest.describe(obj)}"
            if obj["kind"] == "Role" and (group, "roles", "escalate") not in needs:
                missing = _rule_triples(obj.get("rules") or []) - needs
                if missing:
                    problems.append(f"{where} grants {sorted(missing)} the operator lacks")
            if obj["kind"] == "RoleBinding":
                ref = obj["roleRef"]
                plural = "roles" if ref["kind"] == "Role" else "clusterroles"
                role = roles.get(ref["name"]) if ref["kind"] == "Role" else None
                held = role is not None and _rule_triples(role.get("rules") or []) <= needs
                if not held and (group, plural, "bind") not in needs:
                    problems.append(f"{where}: binding {ref['kind']} {ref['name']} needs `bind`")
    assert not problems, "\n".join(problems)
