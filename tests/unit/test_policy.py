"""Policies: the same CEL checks in `konfiguru validate --policy` and, exported as a
ValidatingAdmissionPolicy, at admission. The exported expressions are evaluated offline against
the same cases as the CLI, so the two cannot disagree."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml

import kfgtest
from konfiguru_generators import cli, policy, validate
from konfiguru_generators.celk8s import functions_for

POLICY = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "Policy",
    "metadata": {"name": "platform"},
    "spec": {
        "allowedRegistries": ["ghcr.io/acme/"],
        "forbidLatestTag": True,
        "requiredLabels": ["team"],
        "maxCPU": "2",
        "maxMemory": "4Gi",
        "requireReadinessProbe": True,
        "forbidExternalLoadBalancer": True,
        "allowedIngressHosts": ["*.example.com", "example.org"],
        "rules": [
            {
                "name": "no-host-paths",
                "kinds": ["App"],
                "message": "no hostPaths",
                "expression": "!has(object.spec.hostPaths)",
            }
        ],
    },
}
GOOD: dict[str, Any] = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "App",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"team": "checkout"}},
    "spec": {
        "image": "ghcr.io/acme/web:1.4.2",
        "port": 8080,
        "resources": {"cpu": "500m", "memory": "1Gi"},
        "health": {"readiness": {"http": {"path": "/ready"}}},
        "ingress": {"host": "shop.example.com"},
        "jobs": [{"name": "migrate", "image": "ghcr.io/acme/migrate:1.4.2"}],
    },
}


def changed(path: str, value: Any) -> dict[str, Any]:
    resource = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = resource
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return resource


CASES = [
    ("compliant", GOOD, []),
    ("foreign registry", changed("spec.image", "docker.io/evil/web:1"), ["allowedRegistries"]),
    (
        "job image from elsewhere",
        changed("spec.jobs.0.image", "quay.io/x/m:1"),
        ["allowedRegistries"],
    ),
    ("latest tag", changed("spec.image", "ghcr.io/acme/web:latest"), ["forbidLatestTag"]),
    ("no tag at all", changed("spec.image", "ghcr.io/acme/web"), ["forbidLatestTag"]),
    ("a registry port is no tag", changed("spec.image", "ghcr.io/acme/web@sha256:" + "a" * 64), []),
    ("missing team label", changed("metadata.labels", {"tier": "web"}), ["requiredLabels"]),
    ("too much cpu", changed("spec.resources.cpu", "2500m"), ["maxCPU"]),
    ("too much memory", changed("spec.resources.memory", "8Gi"), ["maxMemory"]),
    ("no readiness probe", changed("spec.health", None), ["requireReadinessProbe"]),
    (
        "external load balancer",
        changed("spec.expose", {"external": True}),
        ["forbidExternalLoadBalancer"],
    ),
    ("foreign host", changed("spec.ingress.host", "shop.evil.com"), ["allowedIngressHosts"]),
    ("allowed exact host", changed("spec.ingress.host", "example.org"), []),
    (
        "host paths",
        changed("spec.hostPaths", [{"path": "/var/log", "mountPath": "/logs"}]),
        ["no-host-paths"],
    ),
]


@pytest.fixture(scope="module")
def checks() -> list[policy.Check]:
    return policy.compile_policy(POLICY)


@pytest.mark.parametrize(("case", "resource", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_cli_and_the_exported_admission_policy_refuse_the_same_resources(
    case: str, resource: dict, expected: list[str], checks, tmp_path: Path
) -> None:
    # The CLI, as a user runs it.
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(POLICY))
    source = tmp_path / "app.kfg.yaml"
    source.write_text(yaml.safe_dump(resource))
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["validate", "-f", str(source), "--policy", str(policy_file)], out, err, io.StringIO()
    )
    reported = sorted(
        {
            line.split("policy ", 1)[1].split(":")[0]
            for line in err.getvalue().splitlines()
            if ": policy " in line
        }
    )
    assert reported == sorted(expected), err.getvalue()
    assert code == (1 if expected else 0)
    # The API server's view: the exported objects' CEL, over the defaulted resource.
    out = io.StringIO()
    assert (
        cli.main(["policy", "export", "-f", str(policy_file)], out, io.StringIO(), io.StringIO())
        == 0
    )
    admitted = validate(resource)
    refused = []
    for doc in yaml.safe_load_all(out.getvalue()):
        if (
            doc
            and doc["kind"] == "ValidatingAdmissionPolicy"
            and doc["metadata"]["name"] == ("konfiguru-apps")
        ):
            for rule in doc["spec"]["validations"]:
                expression = rule["expression"]
                result = cel.compile(expression).execute(
                    {"object": admitted, **functions_for(expression)}
                )
                if result is not True:
                    refused.append(rule["message"].split(":")[0])
    assert sorted(set(refused)) == sorted(expected)


@pytest.mark.parametrize("kube_version", ["1.30", "1.37"])
def test_the_exported_objects_are_strictly_valid_admission_objects(checks, kube_version) -> None:
    objects = policy.admission_objects(checks, "platform")
    assert {o["kind"] for o in objects} == {
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
    for obj in objects:
        assert kfgtest.strict_errors(obj, kube_version) == []


def test_every_image_field_the_crds_declare_is_checked() -> None:
    for path in kfgtest.crd_files():
        crd = kfgtest.load_crd(path)
        kind = crd["spec"]["names"]["kind"]
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        declared = {
            where
            for where, node in kfgtest.walk_schema(schema, "spec")
            if where.endswith(".image") and node.get("type") == "string"
        }
        covered = {".".join(p).replace(".[]", "[]") for p in policy.image_paths(kind)}
        assert declared == covered, kind


def test_a_malformed_policy_is_an_error_with_the_field_path(tmp_path) -> None:
    bad = copy.deepcopy(POLICY)
    bad["spec"]["allowedRegistrys"] = ["x"]
    bad["spec"]["rules"] = [{"name": "r", "expression": "object.spec.(", "message": "m"}]
    with pytest.raises(Exception, match=r"spec\.allowedRegistrys"):
        policy.compile_policy(bad)
    del bad["spec"]["allowedRegistrys"]
    with pytest.raises(Exception, match="is not valid CEL"):
        policy.compile_policy(bad)


def test_the_example_policy_flags_the_examples_that_break_it() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        [
            "validate",
            "-f",
            str(kfgtest.ROOT / "examples" / "shop"),
            "--policy",
            str(kfgtest.ROOT / "policies" / "platform.yaml"),
        ],
        out,
        err,
        io.StringIO(),
    )
    assert code == 1
    assert "log-agent.kfg.yaml: policy no-host-paths: hostPaths need a platform exception" in (
        err.getvalue()
    )
