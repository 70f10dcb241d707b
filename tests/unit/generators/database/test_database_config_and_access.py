"""Engine configuration files, the exporter sidecar and the NetworkPolicy of a Database."""

from __future__ import annotations

import pytest
import yaml
from dbspec import render_db

from konfiguru_generators import render


def _config(engine: str, version: str, **parameters: object) -> str:
    rendered = render_db(engine=engine, version=version, parameters=parameters)
    (text,) = [
        value
        for key, value in rendered["ConfigMap", "db-config"]["data"].items()
        if not key.endswith(".js")
    ]
    return text


def test_postgres_parameters_are_quoted_postgresql_conf_lines_after_initdbs_file() -> None:
    text = _config("postgres", "17", max_connections=200, shared_buffers="256MB", jit=False)
    lines = text.splitlines()
    include = lines.index("include_if_exists = '/var/lib/postgresql/data/pgdata/postgresql.conf'")
    # A later line wins, so initdb's file comes first.
    assert include < lines.index("max_connections = 200")
    assert "shared_buffers = '256MB'" in lines and "jit = off" in lines
    assert "listen_addresses = '*'" in lines


def test_postgres_reads_the_generated_file_as_its_config_file() -> None:
    args = render_db(engine="postgres", version="17").container("postgres")["args"]
    assert args == ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]


def test_a_quote_in_a_postgres_value_is_escaped() -> None:
    text = _config("postgres", "17", application_name="it's")
    assert "application_name = 'it''s'" in text


def test_mysql_parameters_go_to_a_mysqld_section_in_conf_d() -> None:
    rendered = render_db(engine="mysql", version="8.4", parameters={"max_connections": 300})
    text = rendered["ConfigMap", "db-config"]["data"]["konfiguru.cnf"]
    assert "[mysqld]\nmax_connections = 300\n" in text
    mounts = {m["mountPath"] for m in rendered.container("mysql")["volumeMounts"]}
    assert "/etc/mysql/conf.d/konfiguru.cnf" in mounts


def test_mongodb_dotted_parameters_become_nested_yaml() -> None:
    text = _config(
        "mongodb", "8.0", **{"operationProfiling.mode": "slowOp", "net.maxIncomingConnections": 500}
    )
    assert yaml.safe_load(text) == {
        "storage": {"dbPath": "/data/db"},
        "operationProfiling": {"mode": "slowOp"},
        "net": {"maxIncomingConnections": 500},
    }


def test_redis_parameters_are_directives_and_booleans_are_yes_or_no() -> None:
    text = _config(
        "redis", "7.4", **{"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-eviction": True}
    )
    assert "maxmemory-policy allkeys-lru\n" in text and "lazyfree-lazy-eviction yes\n" in text


def test_changing_a_parameter_rolls_the_pods_through_the_config_hash() -> None:
    def digest(**parameters: object) -> str:
        sts = render_db(engine="redis", version="7.4", parameters=parameters)["StatefulSet", "db"]
        return str(sts["spec"]["template"]["metadata"]["annotations"]["konfiguru.io/config-hash"])

    assert digest(maxmemory="100mb") != digest(maxmemory="200mb")
    assert digest(maxmemory="100mb") == digest(maxmemory="100mb")


@pytest.mark.parametrize(
    ("engine", "version", "image", "port"),
    [
        ("postgres", "17", "postgres-exporter", 9187),
        ("mysql", "8.4", "mysqld-exporter", 9104),
        ("mongodb", "8.0", "mongodb_exporter", 9216),
        ("redis", "7.4", "redis_exporter", 9121),
    ],
)
def test_monitoring_adds_the_engines_exporter_with_scrape_annotations(
    engine: str, version: str, image: str, port: int
) -> None:
    rendered = render_db(engine=engine, version=version, monitoring={})
    exporter = rendered.container("metrics")
    assert image in exporter["image"]
    assert exporter["ports"] == [{"name": "metrics", "containerPort": port, "protocol": "TCP"}]
    annotations = rendered["StatefulSet", "db"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    secrets = [e for e in exporter["env"] if "valueFrom" in e]
    assert secrets, "the exporter authenticates with the generated credentials"


def test_mysqld_exporter_is_configured_with_flags_not_the_removed_data_source_name() -> None:
    exporter = render_db(engine="mysql", version="8.4", monitoring={}).container("metrics")
    assert "--mysqld.username=root" in exporter["args"]
    names = {e["name"] for e in exporter["env"]}
    assert names == {"MYSQLD_EXPORTER_PASSWORD"}


def test_without_monitoring_there_is_no_exporter() -> None:
    rendered = render_db(engine="redis", version="7.4", monitoring={"enabled": False})
    assert [c["name"] for c in rendered.pod["containers"]] == ["redis"]


def _ingress(**spec: object) -> list[dict]:
    policy = render_db(engine="postgres", version="17", **spec)["NetworkPolicy", "db"]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    return list(policy["spec"]["ingress"])


CONNECTS_TO_DB = {"podSelector": {"matchLabels": {"connect-to.konfiguru.io/database.db": "true"}}}


def test_connect_from_admits_only_the_named_apps_callers_and_the_databases_own_pods() -> None:
    (rule,) = _ingress(connectFrom=[{"app": "web"}, {"app": "etl", "namespace": "data"}])
    assert rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
    own, callers, web, etl = rule["from"]
    assert callers == CONNECTS_TO_DB
    assert own["podSelector"]["matchLabels"] == {
        "konfiguru.io/owner-kind": "Database",
        "konfiguru.io/owner-name": "db",
    }
    assert web == {
        "podSelector": {
            "matchLabels": {"konfiguru.io/owner-kind": "App", "konfiguru.io/owner-name": "web"}
        }
    }
    assert etl["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "data"}}


def test_without_connect_from_every_pod_of_the_namespace_may_connect() -> None:
    (rule,) = _ingress()
    assert {"podSelector": {}} in rule["from"]


def test_an_empty_connect_from_admits_only_the_databases_own_pods_and_its_callers() -> None:
    (rule,) = _ingress(connectFrom=[])
    own, callers = rule["from"]
    assert "konfiguru.io/owner-kind" in str(own) and callers == CONNECTS_TO_DB


def test_the_database_admits_the_pods_of_an_app_that_lists_it_in_connect_to() -> None:
    app = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "image": "ghcr.io/acme/web:1.0",
            "connectTo": [{"name": "db", "kind": "Database", "engine": "postgres"}],
            "jobs": [{"name": "migrate", "command": ["migrate"]}],
        },
    }
    templates = [o["spec"]["template"] for o in render(app) if o["kind"] in ("Deployment", "Job")]
    assert len(templates) == 2
    (rule,) = _ingress(connectFrom=[])
    selector = rule["from"][1]["podSelector"]["matchLabels"]
    for template in templates:
        assert selector.items() <= template["metadata"]["labels"].items()


def test_the_exporter_port_admits_only_the_monitoring_namespace() -> None:
    _, exporter = _ingress(monitoring={})
    assert exporter == {
        "from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ],
        "ports": [{"port": 9187, "protocol": "TCP"}],
    }
    _, elsewhere = _ingress(monitoring={"namespace": "observability"})
    assert elsewhere["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}
    ]


def test_backup_and_replica_pods_carry_the_labels_the_policy_admits() -> None:
    rendered = render_db(
        engine="mongodb", version="7.0", replicas=3, connectFrom=[], backup={"schedule": "@daily"}
    )
    own = rendered["NetworkPolicy", "db"]["spec"]["ingress"][0]["from"][0]["podSelector"]
    for obj, template in (
        (rendered["CronJob", "db-backup"], lambda o: o["spec"]["jobTemplate"]["spec"]["template"]),
        (rendered["Job", "db-rsinit-3"], lambda o: o["spec"]["template"]),
        (rendered["StatefulSet", "db"], lambda o: o["spec"]["template"]),
    ):
        labels = template(obj)["metadata"]["labels"]
        assert own["matchLabels"].items() <= labels.items(), obj["kind"]


def test_backup_and_rsinit_pods_admit_no_ingress() -> None:
    rendered = render_db(engine="mongodb", version="7.0", replicas=3, backup={"schedule": "@daily"})
    policy = rendered["NetworkPolicy", "db-jobs"]["spec"]
    assert policy["ingress"] == [] and policy["policyTypes"] == ["Ingress"]
    selector = policy["podSelector"]
    (expression,) = selector["matchExpressions"]
    assert expression["values"] == ["backup", "rsinit"]
    for labels in (
        rendered["CronJob", "db-backup"]["spec"]["jobTemplate"]["spec"]["template"]["metadata"][
            "labels"
        ],
        rendered["Job", "db-rsinit-3"]["spec"]["template"]["metadata"]["labels"],
    ):
        assert selector["matchLabels"].items() <= labels.items()
        assert labels[expression["key"]] in expression["values"]
    assert ("NetworkPolicy", "db-jobs") not in render_db(engine="redis", version="7.4")


def test_connect_from_selects_the_pods_an_app_renders() -> None:
    app = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"image": "ghcr.io/acme/web:1.0", "port": 8080},
    }
    (deployment,) = [o for o in render(app) if o["kind"] == "Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (rule,) = _ingress(connectFrom=[{"app": "web"}])
    assert rule["from"][2]["podSelector"]["matchLabels"].items() <= pod_labels.items()
