"""What the API server and the runtime refuse is refused offline, in every field of every kind.

The shared checks (``apichecks.py``) find their fields by walking the CRD schemas; these tests
prove the walk finds every field of a checked name in every kind, that a field added to a CRD
under such a name is checked too, and that each format accepts and refuses what Kubernetes does.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import kfgtest
from konfiguru_generators import SpecError, render
from konfiguru_generators import apichecks as ac
from konfiguru_generators.kinds import BUILTIN, REGISTRY

EXAMPLE = {
    "App": "shop/web",
    "Database": "databases/postgres",
    "MLPipeline": "ml/pytorch-single",
    "DataPipeline": "data/container-export",
}


def spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


def example(kind: str) -> dict[str, Any]:
    (document,) = kfgtest.documents(kfgtest.EXAMPLES / f"{EXAMPLE[kind]}{kfgtest.SUFFIX}")
    return copy.deepcopy(document)


def messages(document: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        render(document)
    return [str(error) for error in caught.value.errors]


def schema_paths(schema: dict[str, Any], path: str = "spec") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, schema)]
    for name, sub in (schema.get("properties") or {}).items():
        found += schema_paths(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        found += schema_paths(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        found += schema_paths(schema["additionalProperties"], f"{path}.*")
    return found


def spec_with(path: str, value: Any) -> tuple[dict[str, Any], str]:
    """A spec holding only ``value`` at a schema path, and the field path an error names."""
    parts = path.removeprefix("spec.").replace("[]", ".[]").split(".")
    root: dict[str, Any] = {}
    node: Any = root
    where = "spec"
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        child: Any = value if last else ([] if parts[index + 1] == "[]" else {})
        if part == "[]":
            node.append(child)
            where += "[0]"
        elif part == "*":
            node["k"] = child
            where += '["k"]'
        else:
            node[part] = child
            where += f".{part}"
        node = child
    return root, where


# --- the walk covers every field of a checked name, in every kind, and new ones -------------


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_image_field_of_every_kind_refuses_an_image_with_a_space(kind: str) -> None:
    image_paths = [p for p, s in schema_paths(spec_schema(kind)) if p.endswith(".image")]
    assert image_paths, f"{kind} declares no image field"
    for path in image_paths:
        spec, where = spec_with(path, "ghcr.io/acme/web: 1.0")
        errors = ac.check_spec(spec_schema(kind), spec)
        assert [(e.path, e.value) for e in errors] == [(where, "ghcr.io/acme/web: 1.0")], path


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_command_args_and_env_value_of_every_kind_refuses_nul(kind: str) -> None:
    paths = [
        p
        for p, s in schema_paths(spec_schema(kind))
        if p.endswith((".command", ".args")) and s.get("type") == "array"
    ]
    env_paths = [p for p, s in schema_paths(spec_schema(kind)) if p.endswith(".env")]
    for path in paths:
        spec, where = spec_with(path, ["ok", "a\x00b"])
        (error,) = ac.check_spec(spec_schema(kind), spec)
        assert (error.path, "NUL" in error.message) == (f"{where}[1]", True)
    for path in env_paths:
        spec, where = spec_with(path, {"A": "a\x00b"})
        (error,) = ac.check_spec(spec_schema(kind), spec)
        assert error.path == f'{where}["A"]'
    if kind != "Database":
        assert env_paths, f"{kind} has env"
    if kind in BUILTIN and kind != "Database":  # an EdgeDevice runs its image's command
        assert paths, f"{kind} has commands"


def test_a_field_added_to_a_crd_under_a_checked_name_is_checked_without_new_code() -> None:
    schema = copy.deepcopy(spec_schema("App"))
    schema["properties"]["sidecars"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "image": {"type": "string"},
                "args": {"type": "array", "items": {"type": "string"}},
                "timeZone": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    }
    checked = ac.checked_fields(schema)
    assert checked["spec.sidecars[].image"] == ["an image reference"]
    assert checked["spec.sidecars[].timeZone"] == ["an IANA time zone"]
    sidecar = {"image": "Acme/Web", "args": ["\x00"], "timeZone": "utc", "labels": {"a": "-x"}}
    errors = ac.check_spec(schema, {"sidecars": [sidecar]})
    assert sorted(e.path for e in errors) == [
        "spec.sidecars[0].args[0]",
        "spec.sidecars[0].image",
        'spec.sidecars[0].labels["a"]',
        "spec.sidecars[0].timeZone",
    ]


def test_the_checked_fields_of_each_kind_are_the_ones_the_api_server_validates() -> None:
    checked = {kind: ac.checked_fields(spec_schema(kind)) for kind in REGISTRY}
    app = checked["App"]
    for path in (
        "spec.priorityClassName",
        "spec.ingress.className",
        "spec.ingress.host",
        "spec.ingress.paths[]",
        "spec.ports[].name",
        "spec.ports[].appProtocol",
        "spec.tolerations[].key",
        "spec.config.files[].name",
        "spec.config.data",
        "spec.networkPolicy.egressTo[]",
        "spec.schedules[].timeZone",
        "spec.jobs[].image",
        "spec.annotations",
    ):
        assert path in app, path
    assert "spec.storage.storageClass" in checked["Database"]
    assert "spec.backup.timeZone" in checked["Database"]
    for kind in ("MLPipeline", "DataPipeline"):
        assert {"spec.labels", "spec.nodeSelector", "spec.timeZone"} & set(checked[kind])
        assert checked[kind]["spec.labels"] == ["a label map"]
        assert checked[kind]["spec.nodeSelector"] == ["a label map"]
    assert "spec.model.storageClass" in checked["MLPipeline"]
    assert "spec.training.timeZone" in checked["MLPipeline"]


# --- the formats ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "ghcr.io/acme/web:1.0.0",
        "localhost:5000/a/b_c__d-e:tag",
        "[::1]:5000/app",
        "registry.example.com/team/app@sha256:" + "a" * 64,
        "app:1.0_",
        "app:_1",
    ],
)
def test_valid_image_references_pass(image: str) -> None:
    assert ac.image_problem(image) == ""


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        (" nginx", "has leading or trailing whitespace"),
        ("nginx\n", "has leading or trailing whitespace"),
        ("ghcr.io/acme/web: 1.0", "contains whitespace or control characters"),
        ("acme/web\t:1", "contains whitespace or control characters"),
        ("acme/we\x00b", "contains whitespace or control characters"),
        ("Acme/Web:1", "is not a valid image reference"),
        ("acme/web:", "is not a valid image reference"),
        ("acme//web", "is not a valid image reference"),
        ("acme/web:-1", "is not a valid image reference"),
        ("acme/web@sha256:abc", "is not a valid image reference"),
        ("acme/web:" + "1" * 129, "is not a valid image reference"),
    ],
)
def test_invalid_image_references_are_refused(image: str, problem: str) -> None:
    assert ac.image_problem(image) == problem


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"])
def test_iana_time_zones_pass(zone: str) -> None:
    assert ac.time_zone_problem(zone) == ""


@pytest.mark.parametrize(
    ("zone", "problem"),
    [
        ("Local", "is not an explicit time zone (the controller's local zone is refused)"),
        ("local", "is not an explicit time zone (the controller's local zone is refused)"),
        ("utc", "is not a time zone of the IANA database (names are case-sensitive)"),
        ("Mars/Olympus", "is not a time zone of the IANA database (names are case-sensitive)"),
        ("europe/berlin", "is not a time zone of the IANA database (names are case-sensitive)"),
        ("../etc/passwd", "is not a time zone of the IANA database (names are case-sensitive)"),
    ],
)
def test_time_zones_the_api_server_refuses_are_refused(zone: str, problem: str) -> None:
    assert ac.time_zone_problem(zone) == problem


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("shop.example.com", True),
        ("*.example.com", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("::1", False),
        ("*.*.example.com", False),
        ("a.*.example.com", False),
        ("*", False),
        ("Shop.example.com", False),
        ("shop_1.example.com", False),
    ],
)
def test_ingress_hosts_follow_the_api_server(host: str, ok: bool) -> None:
    assert (ac.ingress_host_problem(host) == "") is ok


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/", ""),
        ("/api/v1.0/", ""),
        ("/a-b_c~d", ""),
        ("//x", "contains '//'"),
        ("/a/../b", "contains '/../'"),
        ("/a/./b", "contains '/./'"),
        ("/x/.", "ends with '/.'"),
        ("/x/..", "ends with '/..'"),
        ("/a%2fb", "contains '%2f'"),
        ("/a%2Fb", "contains '%2F'"),
        ("/a b", "contains characters a URL path cannot hold unescaped"),
        ("/a{b}", "contains characters a URL path cannot hold unescaped"),
        ("/a%zz", "contains characters a URL path cannot hold unescaped"),
    ],
)
def test_exact_and_prefix_paths_follow_the_api_server(path: str, problem: str) -> None:
    assert ac.http_path_problem(path) == problem


@pytest.mark.parametrize(
    ("value", "check", "ok"),
    [
        ("web", ac.dns_label_problem, True),
        ("a" * 63, ac.dns_label_problem, True),
        ("a" * 64, ac.dns_label_problem, False),
        ("Web", ac.dns_label_problem, False),
        ("web.shop", ac.dns_label_problem, False),
        ("fast.ssd", ac.dns_subdomain_problem, True),
        ("fast_ssd", ac.dns_subdomain_problem, False),
        ("-fast", ac.dns_subdomain_problem, False),
        ("kubernetes.io/h2c", ac.qualified_name_problem, True),
        ("http", ac.qualified_name_problem, True),
        ("/http", ac.qualified_name_problem, False),
        ("Example.com/x", ac.qualified_name_problem, False),
        ("a b", ac.qualified_name_problem, False),
        ("1.0", ac.label_value_problem, True),
        ("", ac.label_value_problem, True),
        ("1.0_", ac.label_value_problem, False),
        ("_1", ac.label_value_problem, False),
        ("metrics", ac.service_port_name_problem, True),
        ("h2c-1", ac.service_port_name_problem, True),
        ("8080", ac.service_port_name_problem, False),
        ("my--port", ac.service_port_name_problem, False),
        ("Metrics", ac.service_port_name_problem, False),
        ("a-very-long-port-name", ac.service_port_name_problem, False),
        ("settings.yaml", ac.config_key_problem, True),
        (".env", ac.config_key_problem, True),
        (".", ac.config_key_problem, False),
        ("..", ac.config_key_problem, False),
        ("..data", ac.config_key_problem, False),
        ("a/b", ac.config_key_problem, False),
    ],
)
def test_kubernetes_name_formats(value: str, check: Any, ok: bool) -> None:
    assert (check(value) == "") is ok, check(value)


def test_a_bare_address_becomes_a_one_address_cidr_and_a_cidr_is_kept() -> None:
    assert ac.as_cidr("10.0.0.1") == "10.0.0.1/32"
    assert ac.as_cidr("fd00::1") == "fd00::1/128"
    assert ac.as_cidr("10.0.0.0/8") == "10.0.0.0/8"


def test_process_strings_are_capped_at_linux_max_arg_strlen() -> None:
    assert ac.process_string_problem("x" * ac.MAX_ARG_BYTES) == ""
    assert "bytes; Linux refuses" in ac.process_string_problem("x" * (ac.MAX_ARG_BYTES + 1))
    # An environment string is NAME=value: the name counts too.
    assert ac.process_string_problem("x" * (ac.MAX_ARG_BYTES - 5), extra=6) != ""


# --- through render, per kind ----------------------------------------------------------------


def test_an_app_with_what_the_api_server_refuses_gets_every_error_with_its_path() -> None:
    document = example("App")
    spec = document["spec"]
    document["metadata"]["namespace"] = "Shop"
    spec["priorityClassName"] = "High Priority"
    spec["ingress"]["host"] = "10.0.0.1"
    spec["ingress"]["className"] = "nginx_internal"
    spec["ingress"]["paths"] = [{"path": "/a/../b", "pathType": "Prefix"}]
    spec["ports"] = [{"name": "my--port", "port": 9000, "appProtocol": "kubernetes.io/h2c "}]
    spec["tolerations"] = [{"key": "gpu only", "operator": "Exists"}]
    spec["config"]["files"].append({"name": "..data", "content": "x"})
    spec["env"] = {"FLAG": "a\x00b"}
    spec["annotations"] = {"big": "x" * (256 * 1024)}
    spec["security"] = {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}
    with pytest.raises(SpecError) as caught:
        render(document)
    assert [error.path for error in caught.value.errors] == ["metadata.namespace"]
    document["metadata"]["namespace"] = "shop"
    paths = [line.split(":")[0] for line in messages(document)]
    assert sorted(paths) == sorted(
        [
            "spec.ports[0].name",
            "spec.ports[0].appProtocol",
            'spec.env["FLAG"]',
            "spec.ingress.host",
            "spec.ingress.paths[0].path",
            "spec.ingress.className",
            "spec.config.files[1].name",
            "spec.priorityClassName",
            "spec.annotations",
            "spec.tolerations[0].key",
            "spec.security.capabilities.add[0]",
        ]
    )


def test_sys_admin_with_privilege_escalation_allowed_or_privileged_renders() -> None:
    document = example("App")
    document["spec"]["security"] = {
        "capabilities": {"add": ["SYS_ADMIN"]},
        "allowPrivilegeEscalation": True,
    }
    assert render(document)


@pytest.mark.parametrize("kind", ["MLPipeline", "DataPipeline"])
def test_pipeline_labels_node_selector_time_zone_and_capabilities_are_checked(kind: str) -> None:
    document = example(kind)
    spec = document["spec"]
    spec["labels"] = {"team": "data science"}
    spec["nodeSelector"] = {"pool/": "gpu"}
    spec["security"] = {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}
    zone_owner = spec["training"] if kind == "MLPipeline" else spec
    zone_owner["schedule"] = "0 3 * * 7"
    zone_owner["timeZone"] = "Mars/Olympus"
    where = "spec.training" if kind == "MLPipeline" else "spec"
    assert sorted(line.split(": ")[0] for line in messages(document)) == sorted(
        [
            'spec.labels["team"]',
            'spec.nodeSelector["pool/"]',
            "spec.security.capabilities.add[0]",
            f"{where}.schedule",
            f"{where}.timeZone",
        ]
    )


def test_database_storage_class_and_backup_time_zone_are_checked() -> None:
    document = example("Database")
    document["spec"]["storage"]["storageClass"] = "Fast SSD"
    document["spec"]["backup"]["timeZone"] = "Local"
    assert sorted(line.split(": ")[0] for line in messages(document)) == [
        "spec.backup.timeZone",
        "spec.storage.storageClass",
    ]


def test_a_bare_egress_address_is_written_as_a_slash_32_cidr() -> None:
    document = example("App")
    document["spec"]["networkPolicy"] = {"egressTo": ["10.0.0.1", "192.168.0.0/16"]}
    (policy,) = [o for o in render(document) if o["kind"] == "NetworkPolicy"]
    blocks = [peer for rule in policy["spec"]["egress"] for peer in rule.get("to", [])]
    cidrs = [peer["ipBlock"]["cidr"] for peer in blocks if "ipBlock" in peer]
    assert cidrs == ["10.0.0.1/32", "192.168.0.0/16"]
    assert not kfgtest.strict_errors(policy, "1.37")


def test_a_bare_load_balancer_source_address_is_written_as_a_cidr() -> None:
    document = example("App")
    document["spec"]["expose"] = {"type": "LoadBalancer", "loadBalancerSourceRanges": ["1.2.3.4"]}
    (service,) = [o for o in render(document) if o["kind"] == "Service"]
    assert service["spec"]["loadBalancerSourceRanges"] == ["1.2.3.4/32"]


def version_labels(value: Any) -> list[str]:
    """Every app.kubernetes.io/version label in an object, pod templates included."""
    if isinstance(value, list):
        return [found for item in value for found in version_labels(item)]
    if not isinstance(value, dict):
        return []
    found = [found for item in value.values() for found in version_labels(item)]
    labels = value.get("labels")
    if isinstance(labels, dict) and "app.kubernetes.io/version" in labels:
        found.append(labels["app.kubernetes.io/version"])
    return found


@pytest.mark.parametrize(
    ("tag", "label"), [("1.4.2", "1.4.2"), ("1.0_", None), ("_1", None), ("v" * 100, None)]
)
def test_an_image_tag_becomes_the_version_label_only_when_it_is_a_valid_label_value(
    tag: str, label: str | None
) -> None:
    for kind in ("App", "MLPipeline", "DataPipeline"):
        document = example(kind)
        document["spec"]["image"] = f"ghcr.io/acme/app:{tag}"
        objects = render(document)
        versions = {version for obj in objects for version in version_labels(obj)}
        assert versions == ({label} if label else set()), kind
        for obj in objects:
            assert not kfgtest.strict_errors(obj, "1.37")
