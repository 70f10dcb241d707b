"""The test NetworkPolicy evaluator (``tests/netpolicy.py``) decides as Kubernetes documents.

Each case is a behaviour stated in the Kubernetes documentation ("Network Policies"), most with
the documentation's own example policies, so the example-wide tests that rely on the evaluator
rest on semantics that are checked, not assumed.
"""

from __future__ import annotations

from typing import Any

import pytest

from netpolicy import Cluster, ContainerPort, Pod, Unmodelled, selector_matches

WEB = Pod("web", "prod", {"role": "web"}, "10.0.0.10", (ContainerPort(8080, "http"),))
DB = Pod("db", "prod", {"role": "db"}, "10.0.0.20", (ContainerPort(6379, "redis"),))
FRONTEND = Pod("frontend", "prod", {"role": "frontend"}, "172.17.1.5")
OTHER_NS_FRONTEND = Pod("frontend", "dev", {"role": "frontend"}, "10.0.1.5")
PROJECT_POD = Pod("tool", "myproject", {"x": "y"}, "10.0.2.5")
OUTSIDE = Pod("outside", "prod", {}, "192.168.1.1")


def policy(spec: dict[str, Any], namespace: str = "prod", name: str = "p") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def cluster(*specs: dict[str, Any], **namespaces: dict[str, str]) -> Cluster:
    return Cluster([policy(s) for s in specs], namespace_labels=dict(namespaces))


def test_a_pod_no_policy_selects_accepts_and_sends_everything() -> None:
    assert cluster().verdict(FRONTEND, DB, 6379)
    assert cluster({"podSelector": {"matchLabels": {"role": "web"}}}).verdict(FRONTEND, DB, 1)


def test_a_default_deny_ingress_policy_isolates_every_pod_of_its_namespace_only() -> None:
    deny = cluster({"podSelector": {}, "policyTypes": ["Ingress"]})
    verdict = deny.verdict(FRONTEND, DB, 6379)
    assert not verdict and verdict.egress and not verdict.ingress
    assert verdict.reason() == "denied by ingress"
    # The policy lives in "prod": a pod in "dev" is not isolated.
    assert deny.verdict(FRONTEND, OTHER_NS_FRONTEND, 80)


def test_policy_types_default_to_ingress_plus_egress_when_an_egress_section_exists() -> None:
    ingress_only = cluster({"podSelector": {}})
    assert ingress_only.verdict(FRONTEND, OTHER_NS_FRONTEND, 80)  # egress not isolated
    with_egress = cluster({"podSelector": {}, "egress": []})
    verdict = with_egress.verdict(FRONTEND, OTHER_NS_FRONTEND, 80)
    assert not verdict and not verdict.egress


def test_an_empty_rule_allows_all_and_policies_add_up() -> None:
    allow_all = cluster({"podSelector": {}, "ingress": [{}]})
    assert allow_all.verdict(OTHER_NS_FRONTEND, DB, 1234)
    deny_then_allow = cluster(
        {"podSelector": {}, "policyTypes": ["Ingress"]},
        {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{}]},
    )
    assert deny_then_allow.verdict(FRONTEND, DB, 6379)
    assert not deny_then_allow.verdict(DB, WEB, 8080)


# The documentation's "test-network-policy": role=db admits the 172.17.0.0/16 block except
# 172.17.1.0/24, namespace project=myproject and role=frontend pods, on TCP 6379; and sends to
# 10.0.0.0/24 on TCP 5978 only.
DOC_EXAMPLE = {
    "podSelector": {"matchLabels": {"role": "db"}},
    "policyTypes": ["Ingress", "Egress"],
    "ingress": [
        {
            "from": [
                {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                {"podSelector": {"matchLabels": {"role": "frontend"}}},
            ],
            "ports": [{"protocol": "TCP", "port": 6379}],
        }
    ],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"port": 5978}]}],
}


def test_the_documented_example_admits_each_listed_peer_on_the_listed_port_only() -> None:
    doc = cluster(DOC_EXAMPLE, myproject={"project": "myproject"})
    assert doc.verdict(FRONTEND, DB, 6379)  # podSelector: same namespace
    assert doc.verdict(PROJECT_POD, DB, 6379)  # namespaceSelector: any pod there
    assert doc.verdict(Pod("ext", "elsewhere", {}, "172.17.2.9"), DB, 6379)  # ipBlock
    assert not doc.verdict(Pod("ext", "elsewhere", {}, "172.17.1.9"), DB, 6379)  # except
    assert not doc.verdict(FRONTEND, DB, 6380)  # another port
    assert not doc.verdict(FRONTEND, DB, 6379, "UDP")  # another protocol
    assert not doc.verdict(OTHER_NS_FRONTEND, DB, 6379)  # podSelector alone: own namespace


def test_the_documented_example_limits_egress_to_the_block_and_port() -> None:
    doc = cluster(DOC_EXAMPLE)
    target = Pod("t", "x", {}, "10.0.0.7")
    assert doc.verdict(DB, target, 5978)
    assert not doc.verdict(DB, target, 5979).egress
    assert not doc.verdict(DB, Pod("t", "x", {}, "10.0.1.7"), 5978).egress


def test_selectors_in_one_peer_are_anded_and_in_two_peers_ored() -> None:
    both = {"namespaceSelector": {"matchLabels": {"user": "alice"}}}
    anded = cluster(
        {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": [{**both, "podSelector": {"matchLabels": {"role": "client"}}}]}],
        },
        alice={"user": "alice"},
    )
    ored = cluster(
        {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": [both, {"podSelector": {"matchLabels": {"role": "client"}}}]}],
        },
        alice={"user": "alice"},
    )
    alice_client = Pod("c", "alice", {"role": "client"}, "10.1.0.1")
    alice_other = Pod("o", "alice", {"role": "other"}, "10.1.0.2")
    local_client = Pod("c", "prod", {"role": "client"}, "10.1.0.3")
    assert anded.verdict(alice_client, DB, 1)
    assert not anded.verdict(alice_other, DB, 1)
    assert not anded.verdict(local_client, DB, 1)  # not in a namespace of alice
    assert ored.verdict(alice_other, DB, 1) and ored.verdict(local_client, DB, 1)


def test_an_empty_namespace_selector_selects_every_namespace() -> None:
    everywhere = cluster(
        {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [
                {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"role": "x"}}}]}
            ],
        }
    )
    assert everywhere.verdict(Pod("x", "anywhere", {"role": "x"}, "10.3.0.1"), DB, 1)
    assert not everywhere.verdict(Pod("y", "anywhere", {"role": "y"}, "10.3.0.2"), DB, 1)


def test_namespaces_are_selected_by_their_automatic_name_label() -> None:
    by_name = cluster(
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "dev"}
                            }
                        }
                    ]
                }
            ],
        }
    )
    assert by_name.verdict(OTHER_NS_FRONTEND, DB, 1)
    assert not by_name.verdict(PROJECT_POD, DB, 1)


def test_named_ports_and_port_ranges_match_the_destination_pods_ports() -> None:
    named = cluster({"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    assert named.verdict(FRONTEND, WEB, 8080)
    assert not named.verdict(FRONTEND, WEB, 8081)
    assert not named.verdict(FRONTEND, DB, 6379)  # DB has no port named http
    ranged = cluster(
        {"podSelector": {}, "ingress": [{"ports": [{"port": 32000, "endPort": 32768}]}]}
    )
    assert ranged.verdict(FRONTEND, DB, 32768) and not ranged.verdict(FRONTEND, DB, 32769)
    any_udp = cluster({"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]})
    assert any_udp.verdict(FRONTEND, DB, 53, "UDP") and not any_udp.verdict(FRONTEND, DB, 53)


def test_egress_and_ingress_must_both_allow() -> None:
    both = cluster(
        {"podSelector": {"matchLabels": {"role": "frontend"}}, "policyTypes": ["Egress"]},
        {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{}]},
    )
    verdict = both.verdict(FRONTEND, DB, 6379)
    assert not verdict and not verdict.egress and verdict.ingress
    assert verdict.reason() == "denied by egress"


@pytest.mark.parametrize(
    ("expression", "labels", "expected"),
    [
        ({"key": "tier", "operator": "In", "values": ["a", "b"]}, {"tier": "b"}, True),
        ({"key": "tier", "operator": "In", "values": ["a"]}, {}, False),
        ({"key": "tier", "operator": "NotIn", "values": ["a"]}, {}, True),
        ({"key": "tier", "operator": "NotIn", "values": ["a"]}, {"tier": "a"}, False),
        ({"key": "tier", "operator": "Exists"}, {"tier": ""}, True),
        ({"key": "tier", "operator": "DoesNotExist"}, {"tier": "a"}, False),
    ],
)
def test_match_expressions_follow_the_label_selector_operators(
    expression: dict[str, Any], labels: dict[str, str], expected: bool
) -> None:
    assert selector_matches({"matchExpressions": [expression]}, labels) is expected


def test_what_the_api_server_refuses_or_the_evaluator_does_not_model_raises() -> None:
    with pytest.raises(Unmodelled, match="ipBlock peer may not have selectors"):
        cluster(
            {
                "podSelector": {},
                "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}],
            }
        )
    with pytest.raises(Unmodelled, match="policy fields"):
        cluster({"podSelector": {}, "ingres": []})
    with pytest.raises(Unmodelled, match="selector operator"):
        selector_matches({"matchExpressions": [{"key": "a", "operator": "Gt"}]}, {})
