"""connectTo, allowFrom and the NetworkPolicy: discovery env, egress to targets, ingress callers."""

from __future__ import annotations

from typing import Any

from appspec import env, errors, kinds, one, render

OWNER = "konfiguru.io/owner-name"


def policy(spec: dict[str, Any], name: str = "web") -> dict[str, Any]:
    return one(render(spec, name=name), "NetworkPolicy")["spec"]


def test_connect_to_an_app_gives_host_port_and_url_variables() -> None:
    values = env(
        render(
            {
                "connectTo": [
                    {"name": "api"},
                    {"name": "search", "namespace": "infra", "port": 9200, "envPrefix": "ES"},
                ]
            }
        )
    )
    assert (
        values["API_HOST"] == "api"
        and values["API_PORT"] == "80"
        and values["API_URL"] == "http://api:80"
    )
    assert (
        values["ES_HOST"] == "search.infra.svc"
        and values["ES_URL"] == "http://search.infra.svc:9200"
    )


def test_connect_to_a_database_adds_its_credentials_from_its_secret() -> None:
    values = env(
        render({"connectTo": [{"name": "orders-db", "kind": "Database", "engine": "postgres"}]})
    )
    assert values["ORDERS_DB_HOST"] == "orders-db" and values["ORDERS_DB_PORT"] == "5432"
    assert values["ORDERS_DB_PASSWORD"] == {
        "secretKeyRef": {"name": "orders-db-credentials", "key": "password"}
    }
    assert values["ORDERS_DB_URL"] == {
        "secretKeyRef": {"name": "orders-db-credentials", "key": "uri"}
    }


def test_a_database_in_another_namespace_gives_host_port_and_a_credential_free_url() -> None:
    values = env(
        render(
            {
                "connectTo": [
                    {"name": "cache", "namespace": "infra", "kind": "Database", "engine": "redis"}
                ]
            }
        )
    )
    assert values["CACHE_URL"] == "redis://cache.infra.svc:6379"
    assert "CACHE_PASSWORD" not in values


def test_user_env_can_override_and_reference_discovery_variables() -> None:
    objects = render(
        {
            "connectTo": [{"name": "api"}],
            "env": {"API_HOST": "api.example.com", "BASE": "$(API_URL)/v1"},
        }
    )
    names = (
        [e["name"] for e in objects[-1]["spec"]["template"]["spec"]["containers"][0]["env"]]
        if objects[-1]["kind"] == "Deployment"
        else None
    )
    values = env(objects)
    assert values["API_HOST"] == "api.example.com"
    order = list(values)
    assert order.index("API_URL") < order.index("BASE")
    assert names is None or names == order


def test_the_policy_admits_only_declared_callers_and_the_ingress_controller() -> None:
    spec = policy(
        {
            "port": 8080,
            "allowFrom": [{"name": "web"}, {"name": "gateway", "namespace": "edge"}],
            "ingress": {"host": "a.example.com"},
        }
    )
    assert spec["podSelector"] == {"matchLabels": {"konfiguru.io/owner-kind": "App", OWNER: "web"}}
    callers, controller = spec["ingress"]
    assert callers["from"] == [
        {"podSelector": {"matchLabels": {"connect-to.konfiguru.io/app.web": "true"}}},
        {"podSelector": {"matchLabels": {"konfiguru.io/owner-kind": "App", OWNER: "web"}}},
        {
            "podSelector": {"matchLabels": {"konfiguru.io/owner-kind": "App", OWNER: "gateway"}},
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}},
        },
    ]
    assert callers["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert controller == {
        "from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
        ],
        "ports": [{"protocol": "TCP", "port": 8080}],
    }


def test_the_ingress_controller_namespace_is_configurable() -> None:
    spec = policy(
        {
            "port": 8080,
            "ingress": {"host": "a.example.com"},
            "networkPolicy": {"ingressControllerNamespace": "traefik"},
        }
    )
    assert (
        spec["ingress"][1]["from"][0]["namespaceSelector"]["matchLabels"][
            "kubernetes.io/metadata.name"
        ]
        == "traefik"
    )


def test_an_app_that_declares_no_callers_admits_only_those_that_connect_to_it() -> None:
    spec = policy({"port": 8080})
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"connect-to.konfiguru.io/app.web": "true"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]


def test_egress_goes_only_to_dns_connect_targets_and_declared_cidrs() -> None:
    spec = policy(
        {
            "connectTo": [{"name": "api"}, {"name": "db", "kind": "Database", "engine": "mysql"}],
            "networkPolicy": {"egressTo": ["0.0.0.0/0"]},
        }
    )
    dns, api, database, internet = spec["egress"]
    assert dns == {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    assert api == {
        "to": [{"podSelector": {"matchLabels": {"konfiguru.io/owner-kind": "App", OWNER: "api"}}}]
    }
    assert database == {
        "to": [
            {"podSelector": {"matchLabels": {"konfiguru.io/owner-kind": "Database", OWNER: "db"}}}
        ],
        "ports": [{"protocol": "TCP", "port": 3306}],
    }
    assert internet == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}


def test_unrestricted_egress_and_a_disabled_policy() -> None:
    spec = policy({"networkPolicy": {"restrictEgress": False}})
    assert spec["policyTypes"] == ["Ingress"] and "egress" not in spec
    assert "NetworkPolicy" not in kinds(render({"networkPolicy": {"enabled": False}}))


def test_a_load_balancer_is_open_to_everyone_on_its_ports() -> None:
    spec = policy({"port": 8080, "expose": {"external": True}})
    assert {"ports": [{"protocol": "TCP", "port": 8080}]} in spec["ingress"]


def test_prometheus_may_scrape_the_metrics_port() -> None:
    spec = policy({"port": 8080, "observability": {"metrics": {"port": 9090}}})
    assert {
        "from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ],
        "ports": [{"protocol": "TCP", "port": 9090}],
    } in spec["ingress"]


def test_connect_to_mistakes_are_reported() -> None:
    messages = errors(
        {
            "connectTo": [
                {"name": "db", "kind": "Database"},
                {"name": "db", "kind": "Database", "port": 5432},
                {"name": "api", "engine": "redis"},
            ]
        }
    )
    assert messages == [
        # The CRD's rules (also checked at admission) come first, then the Python checks.
        "spec.connectTo[0].engine: is needed for a Database without port; set engine (postgres, mysql, mongodb, redis) or port",  # noqa: E501
        'spec.connectTo[2].engine: "redis" applies to kind Database only',
        'spec.connectTo[1].name: "db" is already listed at [0]',
    ]


def _pod_labels(objects: list[dict[str, Any]]) -> list[dict[str, str]]:
    templates = [o["spec"]["template"] for o in objects if o["kind"] in ("Deployment", "Job")]
    templates += [
        o["spec"]["jobTemplate"]["spec"]["template"] for o in objects if o["kind"] == "CronJob"
    ]
    return [t["metadata"]["labels"] for t in templates]


def test_every_pod_of_a_caller_carries_a_label_per_target_in_its_namespace() -> None:
    objects = render(
        {
            "connectTo": [
                {"name": "api"},
                {"name": "orders-db", "kind": "Database", "engine": "postgres"},
                {"name": "cache", "kind": "Database", "engine": "redis", "namespace": "shop"},
                {"name": "search", "namespace": "infra", "port": 9200},
            ],
            "jobs": [{"name": "migrate", "command": ["migrate"]}],
            "schedules": [{"name": "nightly", "schedule": "@daily", "command": ["report"]}],
        }
    )
    all_labels = _pod_labels(objects)
    assert len(all_labels) == 3  # the Deployment's pods, the Job's and the CronJob's
    for labels in all_labels:
        connect = {k: v for k, v in labels.items() if k.startswith("connect-to.")}
        # "search" lives in another namespace: only its own allowFrom may admit this app there.
        assert connect == {
            "connect-to.konfiguru.io/app.api": "true",
            "connect-to.konfiguru.io/database.orders-db": "true",
            "connect-to.konfiguru.io/database.cache": "true",
        }


def test_a_callee_admits_the_pods_that_carry_its_label_on_its_ports() -> None:
    callee = policy({"port": 8080, "ports": [{"name": "grpc", "port": 9090}]}, name="api")
    (callers,) = callee["ingress"]
    assert callers["from"] == [
        {"podSelector": {"matchLabels": {"connect-to.konfiguru.io/app.api": "true"}}}
    ]
    assert callers["ports"] == [
        {"protocol": "TCP", "port": 8080},
        {"protocol": "TCP", "port": 9090},
    ]
    caller = _pod_labels(render({"connectTo": [{"name": "api"}]}, name="web"))[0]
    assert callers["from"][0]["podSelector"]["matchLabels"].items() <= caller.items()


def test_a_callee_without_ports_admits_no_one() -> None:
    assert policy({"workload": "Job"}, name="api")["ingress"] == []
