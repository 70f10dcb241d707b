"""Two things of one name: a SpecError naming both, never an object the API server refuses.

Within one resource (issue 9, item 4): an extra port named ``metrics`` beside the metrics port,
writable paths whose volume names agree, a Secret that the TLS issuer writes too. Between
resources rendered together (item 7): an App and a Database both named ``shared`` each make a
Service ``shared``; ``render -o DIR`` used to print "wrote 11 objects" and leave 8 files.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators import API, SpecError, render
from konfiguru_generators.cli import main
from konfiguru_generators.collisions import file_names, within


def app(name: str = "web", namespace: str | None = None, **spec: Any) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": API,
        "kind": "App",
        "metadata": metadata,
        "spec": {"image": "nginx:1.27", "port": 8080, **spec},
    }


def database(name: str, namespace: str | None = None) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": API,
        "kind": "Database",
        "metadata": metadata,
        "spec": {"engine": "postgres", "version": "17", "storage": {"size": "1Gi"}},
    }


def spec_error(doc: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as raised:
        render(doc)
    return raised.value


def pod_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


# --- within one resource -------------------------------------------------------------------------


def test_an_extra_port_named_metrics_beside_the_metrics_port_names_both_fields() -> None:
    error = spec_error(
        app(ports=[{"name": "metrics", "port": 9100}], observability={"metrics": {"port": 9090}})
    )
    (problem,) = error.errors
    assert problem.path == "spec.ports[0].name"
    assert "metrics port 9090 (spec.observability.metrics.port)" in problem.message


def test_a_port_named_metrics_that_is_the_metrics_port_is_one_port() -> None:
    spec = {
        "ports": [{"name": "metrics", "port": 9090}],
        "observability": {"metrics": {"port": 9090}},
    }
    ports = pod_of(render(app(**spec)))["containers"][0]["ports"]
    assert [p["name"] for p in ports] == ["http", "metrics"]


@pytest.mark.parametrize(
    "paths",
    [
        ["/var/cache", "/var-cache"],
        ["/data/" + "a" * 70 + "/one", "/data/" + "a" * 70 + "/two"],
        ["/home/app/.cache", "/home/app/-cache", "/home/app/cache"],
    ],
    ids=["slash-and-dash", "long-common-start", "dot-dash-plain"],
)
def test_writable_paths_whose_names_would_agree_get_a_volume_each(paths: list[str]) -> None:
    objects = render(app(security={"writablePaths": paths}))
    pod = pod_of(objects)
    volumes = [v["name"] for v in pod["volumes"]]
    assert len(set(volumes)) == len(volumes) and all(len(v) <= 63 for v in volumes)
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    assert len({mounts[path] for path in paths}) == len(paths)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert kfgtest.strict_errors(deployment, "1.30") == []


def test_plain_paths_keep_their_readable_volume_names() -> None:
    pod = pod_of(render(app(security={"writablePaths": ["/tmp", "/var/cache/nginx"]})))
    assert [v["name"] for v in pod["volumes"]] == ["tmp", "var-cache-nginx"]


def test_a_generated_secret_named_tls_beside_a_tls_issuer_names_both_writers() -> None:
    error = spec_error(
        app(
            ingress={"host": "web.example.com", "tls": {"issuer": "letsencrypt"}},
            secrets=[{"name": "tls", "generate": [{"key": "password", "type": "password"}]}],
        )
    )
    (problem,) = error.errors
    assert problem.path == "spec.secrets[0].name"
    assert problem.message == (
        'becomes the Secret "web-tls", which cert-manager writes for spec.ingress.tls.issuer'
    )


def test_mounting_the_certificate_the_issuer_writes_is_only_a_read() -> None:
    objects = render(
        app(
            ingress={"host": "web.example.com", "tls": {"issuer": "letsencrypt"}},
            secrets=[{"name": "web-tls", "mount": "files", "mountPath": "/etc/tls"}],
        )
    )
    assert any(
        v.get("secret", {}).get("secretName") == "web-tls" for v in pod_of(objects)["volumes"]
    )


def deployment(containers: list[dict[str, Any]], volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": containers, "volumes": volumes}}},
    }


def test_the_net_under_every_kind_finds_repeated_names_in_children() -> None:
    # What no kind's check foresaw: found on the rendered children, naming both places.
    container = {
        "name": "app",
        "ports": [{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}],
        "volumeMounts": [{"name": "a", "mountPath": "/x"}, {"name": "b", "mountPath": "/x"}],
    }
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "shop"},
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [], "volumes": [{"name": "v"}] * 2}}}
            }
        },
    }
    children = [
        deployment([container, {"name": "app"}], [{"name": "a"}, {"name": "b"}]),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
        cronjob,
    ]
    shown = [str(error) for error in within(children)]
    base = "spec.template.spec.containers"
    assert shown == [
        f'Deployment web: {base}[1].name: "app" is also the container name at {base}[0].name;'
        " two parts of the spec derive the same name; rename one of them",
        f'Deployment web: {base}[0].ports[1].name: "http" is also the port name at'
        f" {base}[0].ports[0].name; two parts of the spec derive the same name; rename one of them",
        f'Deployment web: {base}[0].volumeMounts[1].mountPath: "/x" is also the mount path at'
        f" {base}[0].volumeMounts[0].mountPath; two parts of the spec derive the same name;"
        " rename one of them",
        'Service web (child 3): "web" is also the name of child 2, of the same kind; two parts of'
        " the spec derive the same object; rename one of them",
        'CronJob shop/nightly: spec.jobTemplate.spec.template.spec.volumes[1].name: "v" is also'
        " the volume name at spec.jobTemplate.spec.template.spec.volumes[0].name; two parts of"
        " the spec derive the same name; rename one of them",
    ]


def test_every_example_renders_children_with_distinct_names() -> None:
    for path, doc in kfgtest.all_resources():
        assert within(render(doc, kfgtest.seeded())) == [], path


# --- between resources rendered together ---------------------------------------------------------


def run(argv: list[str], stdin: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, stdin=io.StringIO(stdin))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_an_app_and_a_database_of_one_name_are_refused_naming_both(tmp_path: Path) -> None:
    stream = yaml.safe_dump_all([app("shared", "shop"), database("shared", "shop")])
    code, out, err = run(["render", "-f", "-", "-o", str(tmp_path)], stream)
    assert code == 1 and out == ""
    assert (
        "<stdin>#2: Service shop/shared is rendered by both App shop/shared (<stdin>) and"
        " Database shop/shared (<stdin>#2); rename one of them" in err
    )
    assert list(tmp_path.iterdir()) == []  # nothing written when anything failed
    assert run(["validate", "-f", "-"], stream)[0] == 1


def test_render_to_a_directory_writes_one_file_per_object_and_says_how_many(tmp_path: Path) -> None:
    stream = yaml.safe_dump_all([app("shared", "shop"), database("shared", "data")])
    code, _, err = run(["render", "-f", "-", "-o", str(tmp_path)], stream)
    assert code == 0, err
    files = sorted(p for p in tmp_path.rglob("*.yaml"))
    count = int(err.split("wrote ")[1].split(" objects")[0])
    assert (
        count
        == len(files)
        == len(render(app("shared", "shop"))) + len(render(database("shared", "data")))
    )
    written = [kfgtest.load_all(p.read_text("utf-8"))[0] for p in files]
    assert (
        len({(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in written})
        == count
    )


def test_one_kind_name_in_two_api_groups_gets_two_file_names() -> None:
    objects = [
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "web"}},
        {"apiVersion": "example.com/v1", "kind": "Certificate", "metadata": {"name": "web"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}},
    ]
    assert file_names(objects) == [
        "certificate-web.yaml",
        "certificate.example.com-web.yaml",
        "shop/service-web.yaml",
    ]
