"""The chart's optional admission webhook and policy file, rendered by the real Helm engine.

``webhook.enabled`` adds a ValidatingWebhookConfiguration, its Service and, per
``webhook.certificates``, a cert-manager Certificate and Issuer or the ClusterRole the operator
needs to write its self-signed CA; nothing of it without the value. Every object validates
strictly (``admissionregistration.k8s.io/v1`` on each supported Kubernetes version), the
operator's settings read from the rendered pod match the objects, the operator's own namespace
is never selected, and ``policy.document`` reaches the operator as ``KONFIGURU_POLICY_FILE``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

import kfgtest
import shipping
from konfiguru_generators import policy
from konfiguru_generators.kinds import BUILTIN, REGISTRY
from konfiguru_operator.settings import Settings

SELF_SIGNED: dict[str, Any] = {"webhook": {"enabled": True}}
CERT_MANAGER: dict[str, Any] = {"webhook": {"enabled": True, "certificates": "cert-manager"}}
WEBHOOK_KINDS = {"ValidatingWebhookConfiguration", "Certificate", "Issuer"}
POLICY = yaml.safe_load((shipping.ROOT / "policies" / "platform.yaml").read_text("utf-8"))


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (workload,) = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    (operator,) = workload["spec"]["template"]["spec"]["containers"]
    return dict(operator)


def operator_settings(objects: list[dict[str, Any]]) -> Settings:
    """The operator's settings as the rendered pod gives them (plain values only)."""
    env = {e["name"]: e["value"] for e in container(objects)["env"] if "value" in e}
    return Settings.from_env(env)


def webhook_names(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (o["kind"], o["metadata"]["name"])
        for o in objects
        if "webhook" in o["metadata"]["name"] or o["kind"] in WEBHOOK_KINDS
    }


@pytest.mark.parametrize("case_id", ["default", "deploy"])
def test_without_the_value_nothing_of_the_webhook_is_rendered(case_id: str) -> None:
    values = dict(shipping.values_cases())[case_id]
    objects = shipping.chart_objects(values)
    assert webhook_names(objects) == set()
    assert operator_settings(objects).webhook_port == 0
    assert "webhook" not in {p["name"] for p in container(objects)["ports"]}


def test_the_self_signed_webhook_renders_its_configuration_service_and_rbac_only() -> None:
    objects = shipping.chart_objects(SELF_SIGNED)
    assert webhook_names(objects) == {
        ("ValidatingWebhookConfiguration", "konfiguru"),
        ("Service", "konfiguru-webhook"),
        ("ClusterRole", "konfiguru-webhook"),
        ("ClusterRoleBinding", "konfiguru-webhook"),
    }
    (configuration,) = by_kind(objects, "ValidatingWebhookConfiguration")
    settings = operator_settings(objects)
    # The operator serves where the Service points and writes its CA into this configuration.
    assert settings.webhook_configuration == configuration["metadata"]["name"]
    (hook,) = configuration["webhooks"]
    service = hook["clientConfig"]["service"]
    assert f"{service['name']}.{service['namespace']}.svc" in settings.webhook_hosts
    assert "caBundle" not in hook["clientConfig"]  # the operator's to set, never Helm's
    assert settings.webhook_cert_dir == ""


def test_the_cert_manager_webhook_mounts_the_certificate_whose_ca_is_injected() -> None:
    objects = shipping.chart_objects(CERT_MANAGER)
    (configuration,) = by_kind(objects, "ValidatingWebhookConfiguration")
    (certificate,) = by_kind(objects, "Certificate")
    (issuer,) = by_kind(objects, "Issuer")
    assert not [o for o in by_kind(objects, "ClusterRole") if "webhook" in o["metadata"]["name"]]
    namespace = certificate["metadata"]["namespace"]
    assert configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == (
        f"{namespace}/{certificate['metadata']['name']}"
    )
    assert certificate["spec"]["issuerRef"]["name"] == issuer["metadata"]["name"]
    service = configuration["webhooks"][0]["clientConfig"]["service"]
    assert f"{service['name']}.{service['namespace']}.svc" in certificate["spec"]["dnsNames"]
    settings = operator_settings(objects)
    operator = container(objects)
    mount = next(m for m in operator["volumeMounts"] if m["mountPath"] == settings.webhook_cert_dir)
    (workload,) = [o for o in objects if o["kind"] == "Deployment"]
    volume = next(
        v for v in workload["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]
    )
    assert volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    assert settings.webhook_configuration == ""  # cert-manager's CA injector sets the bundle


def test_an_existing_issuer_replaces_the_charts_own() -> None:
    values = {"webhook": {**CERT_MANAGER["webhook"],
                          "issuerRef": {"name": "corp-ca", "kind": "ClusterIssuer"}}}  # fmt: skip
    objects = shipping.chart_objects(values)
    assert by_kind(objects, "Issuer") == []
    (certificate,) = by_kind(objects, "Certificate")
    assert certificate["spec"]["issuerRef"] == {"name": "corp-ca", "kind": "ClusterIssuer"}


@pytest.mark.parametrize("kube_version", shipping.KUBE_VERSIONS)
@pytest.mark.parametrize("values", [SELF_SIGNED, CERT_MANAGER], ids=["self-signed", "cert-manager"])
def test_every_webhook_object_validates_strictly(values: dict[str, Any], kube_version: str) -> None:
    objects = [o for o in shipping.chart_objects(values) if o["kind"] != "CustomResourceDefinition"]
    (configuration,) = by_kind(objects, "ValidatingWebhookConfiguration")
    assert configuration["apiVersion"] == "admissionregistration.k8s.io/v1"
    errors = [e for obj in objects for e in kfgtest.strict_errors(obj, kube_version)]
    assert not errors


def test_the_webhook_sees_every_konfiguru_kind_but_not_status_nor_deletes() -> None:
    (configuration,) = by_kind(
        shipping.chart_objects(SELF_SIGNED), "ValidatingWebhookConfiguration"
    )
    (hook,) = configuration["webhooks"]
    (rule,) = hook["rules"]
    assert rule["apiGroups"] == ["konfiguru.io"]
    # Every kind of the group, built-in and plugin kinds alike (the chart cannot list plugin
    # kinds), and "*" never matches a subresource: the operator's status writes pass unchecked.
    assert rule["resources"] == ["*"]
    groups = {yaml.safe_load(d.crd_text())["spec"]["group"] for d in REGISTRY.values()}
    assert groups == {"konfiguru.io"} and BUILTIN.keys() <= REGISTRY.keys()
    assert rule["operations"] == ["CREATE", "UPDATE"]
    assert hook["sideEffects"] == "None" and hook["admissionReviewVersions"] == ["v1"]


def test_the_operators_namespace_is_never_selected_and_failure_policy_is_a_value() -> None:
    (configuration,) = by_kind(
        shipping.chart_objects(SELF_SIGNED), "ValidatingWebhookConfiguration"
    )
    (hook,) = configuration["webhooks"]
    assert hook["failurePolicy"] == "Fail"
    own = {
        "key": "kubernetes.io/metadata.name",
        "operator": "NotIn",
        "values": [shipping.NAMESPACE],
    }
    assert own in hook["namespaceSelector"]["matchExpressions"]
    values = {
        "webhook": {"enabled": True, "failurePolicy": "Ignore",
                    "objectSelector": {"matchLabels": {"team": "web"}}},
        "watch": {"scope": "namespaces", "namespaces": ["shop"]},
    }  # fmt: skip
    (configuration,) = by_kind(shipping.chart_objects(values), "ValidatingWebhookConfiguration")
    (hook,) = configuration["webhooks"]
    assert hook["failurePolicy"] == "Ignore"
    assert hook["objectSelector"] == {"matchLabels": {"team": "web"}}
    # Only the watched namespaces: elsewhere nobody reconciles, so nobody should refuse.
    assert {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["shop"]} in hook[
        "namespaceSelector"
    ]["matchExpressions"]


def test_the_network_policy_lets_the_api_server_reach_the_webhook_port() -> None:
    objects = shipping.chart_objects(SELF_SIGNED)
    (network_policy,) = by_kind(objects, "NetworkPolicy")
    assert {"ports": [{"port": "webhook", "protocol": "TCP"}]} in network_policy["spec"]["ingress"]
    (service,) = [
        o for o in by_kind(objects, "Service") if o["metadata"]["name"].endswith("webhook")
    ]
    port = next(p for p in container(objects)["ports"] if p["name"] == "webhook")
    assert service["spec"]["ports"][0]["targetPort"] == "webhook"
    assert operator_settings(objects).webhook_port == port["containerPort"]


def test_self_signed_certificates_with_several_replicas_are_refused_with_the_fix() -> None:
    values = {**SELF_SIGNED, "highAvailability": {"enabled": True}}
    with helm_python.Chart.load(shipping.CHART) as chart:
        with pytest.raises(helm_python.HelmError, match="cert-manager"):
            chart.validate_schema(values)
        chart.validate_schema({**CERT_MANAGER, "highAvailability": {"enabled": True}})


def test_a_policy_document_reaches_the_operator_as_its_policy_file() -> None:
    objects = shipping.chart_objects({"policy": {"document": POLICY}})
    (config_map,) = by_kind(objects, "ConfigMap")
    checks = policy.compile_policy(yaml.safe_load(config_map["data"]["policy.yaml"]))
    assert checks == policy.compile_policy(POLICY)
    settings = operator_settings(objects)
    directory, _, key = settings.policy_file.rpartition("/")
    operator = container(objects)
    mount = next(m for m in operator["volumeMounts"] if m["mountPath"] == directory)
    (workload,) = by_kind(objects, "Deployment")
    template = workload["spec"]["template"]
    volume = next(v for v in template["spec"]["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == config_map["metadata"]["name"] and key == "policy.yaml"
    assert template["metadata"]["annotations"]["checksum/policy"]
    changed = {**POLICY, "spec": {**POLICY["spec"], "forbidLatestTag": False}}
    other = by_kind(shipping.chart_objects({"policy": {"document": changed}}), "Deployment")[0]
    assert (
        other["spec"]["template"]["metadata"]["annotations"]["checksum/policy"]
        != (template["metadata"]["annotations"]["checksum/policy"])
    )


def test_an_existing_policy_config_map_is_mounted_and_none_is_created() -> None:
    objects = shipping.chart_objects({"policy": {"existingConfigMap": "platform-policy"}})
    assert by_kind(objects, "ConfigMap") == []
    (workload,) = by_kind(objects, "Deployment")
    volumes = workload["spec"]["template"]["spec"]["volumes"]
    assert {"name": "policy", "configMap": {"name": "platform-policy"}} in volumes
    assert operator_settings(objects).policy_file == "/etc/konfiguru/policy/policy.yaml"


def unordered_ports(value: Any) -> Any:
    """``value`` with container port lists sorted by name (a strategic merge patch puts the
    ports it adds first; their order means nothing to Kubernetes)."""
    if isinstance(value, dict):
        return {key: unordered_ports(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [unordered_ports(item) for item in value]
        if items and all(isinstance(i, dict) and "containerPort" in i for i in items):
            items.sort(key=lambda port: port["name"])
        return items
    return value


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [shipping.KUBECTL, "kustomize", str(directory)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return shipping.load_all(result.stdout)


def test_deploy_with_the_webhook_component_installs_what_the_chart_value_does(
    tmp_path: Path,
) -> None:
    overlay = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(shipping.DEPLOY, tmp_path)],
        "components": [os.path.relpath(shipping.WEBHOOK, tmp_path)],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    installed = [
        obj
        for obj in _kustomize(tmp_path)
        if obj["kind"] not in ("CustomResourceDefinition", "Namespace")
    ]
    chart = shipping._deploy_objects(shipping.WEBHOOK_DEPLOY_VALUES)

    def keyed(objects: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
        return {(o["kind"], o["metadata"]["name"]): unordered_ports(o) for o in objects}

    assert keyed(installed) == keyed(chart)
    assert ("ValidatingWebhookConfiguration", "konfiguru") in keyed(installed)
    for kube_version in shipping.KUBE_VERSIONS:
        errors = [e for obj in installed for e in kfgtest.strict_errors(obj, kube_version)]
        assert not errors
