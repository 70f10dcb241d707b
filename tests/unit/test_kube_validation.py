"""Every generated object of every example is accepted by Kubernetes 1.30 and 1.37, strictly.

Strict means unknown fields are errors (a misspelt field would be dropped by the API server with
only a warning, and the feature would silently not work). Kinds from other projects are checked
against the minimal schemas in ``tests/schemas/`` and never skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import kfgtest

CASES = kfgtest.corpus()


@pytest.mark.parametrize("kube_version", kfgtest.KUBE_VERSIONS)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_rendered_object_validates_strictly(case: kfgtest.Case, kube_version: str) -> None:
    objects = kfgtest.rendered(case.path)
    assert objects, f"{case.path} rendered nothing"
    errors = [error for obj in objects for error in kfgtest.strict_errors(obj, kube_version)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_rendered_object_has_a_unique_kind_and_name(case: kfgtest.Case) -> None:
    # Two children with the same identity would overwrite each other on apply.
    seen: set[tuple[str, str, str | None, str]] = set()
    for obj in kfgtest.rendered(case.path):
        meta = obj["metadata"]
        key = (obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])
        assert key not in seen, f"{case.path}: {key} is rendered twice"
        seen.add(key)


def test_strict_validation_rejects_an_unknown_field() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "a", "image": "x", "imagePullPolice": "Never"}]},
            },
        },
    }
    for version in kfgtest.KUBE_VERSIONS:
        (error,) = kfgtest.strict_errors(deployment, version)
        assert "imagePullPolice" in error


def test_an_unknown_kind_is_an_error_not_a_skip() -> None:
    (error,) = kfgtest.strict_errors(
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}, "1.30"
    )
    assert "no schema vendored" in error and "tests/schemas/example.com/gadget_v1.yaml" in error


VENDORED = sorted(kfgtest.SCHEMAS.rglob("*.yaml"))


@pytest.mark.parametrize("path", VENDORED, ids=[p.stem for p in VENDORED])
def test_vendored_schemas_cite_their_source_and_reject_unknown_spec_fields(path: Path) -> None:
    text = path.read_text("utf-8")
    assert "# Source:" in text, f"{path} must say where its fields come from"
    schema = yaml.safe_load(text)
    group, version = path.parent.name, path.stem.rsplit("_", 1)[1]
    kind = schema["properties"]["kind"]["const"]
    obj = {
        "apiVersion": f"{group}/{version}",
        "kind": kind,
        "metadata": {"name": "x"},
        "spec": {"notAField": True},
    }
    assert any("notAField" in e for e in kfgtest.strict_errors(obj, "1.30")), path


VALID_NON_CORE = [
    {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "payments"},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "target": {"name": "payments", "creationPolicy": "Owner"},
            "data": [{"secretKey": "KEY", "remoteRef": {"key": "shop/payments", "property": "k"}}],
        },
    },
    {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "api"},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "api"}},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}],
        },
    },
    {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "shop-tls"},
        "spec": {
            "secretName": "shop-tls",
            "dnsNames": ["shop.example.com"],
            "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
        },
    },
]


@pytest.mark.parametrize("obj", VALID_NON_CORE, ids=[o["kind"] for o in VALID_NON_CORE])
def test_vendored_schemas_accept_a_correct_object(obj: dict[str, object]) -> None:
    # The schemas are hand-written: make sure they are not stricter than the real CRDs.
    assert kfgtest.strict_errors(obj, "1.37") == []


def test_an_httproute_breaking_a_cel_rule_of_the_gateway_api_crd_is_refused() -> None:
    # The rule JSON Schema cannot see: a redirect rule must not also forward to a backend.
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web"},
        "spec": {
            "parentRefs": [{"name": "gateway"}],
            "rules": [
                {
                    "filters": [
                        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}
                    ],
                    "backendRefs": [{"name": "web", "port": 80}],
                }
            ],
        },
    }
    for version in kfgtest.KUBE_VERSIONS:
        (error,) = kfgtest.strict_errors(route, version)
        assert "RequestRedirect filter must not be used together with backendRefs" in error
    del route["spec"]["rules"][0]["backendRefs"][0]["port"]  # a Service needs a port
    assert any(
        "Must have port for Service reference" in e for e in kfgtest.strict_errors(route, "1.30")
    )
    del route["spec"]["rules"][0]["backendRefs"]
    assert kfgtest.strict_errors(route, "1.30") == []
