"""The chart and deploy/ install what a cluster accepts, securely, with the real Helm engine.

Helm runs through ``helm_python`` (Helm's Go SDK, no binary); kustomize through the real
``kubectl kustomize``. Every object is validated strictly (unknown fields are errors) for both ends
of the supported Kubernetes range; kinds defined by a CRD shipped alongside (Kopf's peering
objects) are validated against that CRD's schema.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import pytest
import yaml

import kfgtest
import shipping

VALUES = shipping.values_cases()
VALUE_IDS = [case_id for case_id, _ in VALUES]


def _strict_errors(objects: list[dict[str, Any]], kube_version: str) -> list[str]:
    crd_schemas = {
        (obj["spec"]["group"], obj["spec"]["names"]["kind"]): version["schema"]["openAPIV3Schema"]
        for obj in objects
        if obj["kind"] == "CustomResourceDefinition"
        for version in obj["spec"]["versions"]
        if version.get("storage")
    }
    errors = []
    for obj in objects:
        group = obj["apiVersion"].rpartition("/")[0]
        schema = crd_schemas.get((group, obj["kind"]))
        if schema is None:
            errors += kfgtest.strict_errors(obj, kube_version)
            continue
        envelope = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        validator = jsonschema.Draft202012Validator(kfgtest.to_json_schema(schema))
        errors += [f"{kfgtest.describe(obj)}: {e.message}" for e in validator.iter_errors(envelope)]
    return errors


@pytest.fixture(scope="module")
def kustomized() -> list[dict[str, Any]]:
    return shipping.kustomize()


@pytest.mark.parametrize("kube_version", shipping.KUBE_VERSIONS)
def test_kubectl_kustomize_deploy_renders_objects_a_cluster_accepts_strictly(
    kustomized: list[dict[str, Any]], kube_version: str
) -> None:
    kinds = {obj["kind"] for obj in kustomized}
    assert {"Namespace", "CustomResourceDefinition", "ServiceAccount", "Deployment"} <= kinds
    assert {"ClusterRole", "ClusterRoleBinding"} <= kinds
    errors = _strict_errors(kustomized, kube_version)
    assert not errors, "\n".join(errors)


def test_plain_kubectl_apply_works_every_object_fits_the_last_applied_annotation(
    kustomized: list[dict[str, Any]],
) -> None:
    # Client-side `kubectl apply` stores each object as JSON in an annotation; all annotations
    # of an object together may not exceed 256 KiB. Past that, only --server-side works.
    for obj in kustomized:
        size = len(json.dumps(obj, separators=(",", ":")))
        assert size < 256 * 1024 - 4096, f"{kfgtest.describe(obj)} is {size} bytes"


def test_kustomize_puts_every_namespaced_object_in_the_operator_namespace(
    kustomized: list[dict[str, Any]],
) -> None:
    cluster_kinds = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
    for obj in kustomized:
        expected = None if obj["kind"] in cluster_kinds else shipping.NAMESPACE
        assert obj["metadata"].get("namespace") == expected, kfgtest.describe(obj)


def test_an_overlay_moves_the_operator_to_another_namespace(tmp_path: Path) -> None:
    base = os.path.relpath(shipping.DEPLOY, tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [{base}]\nnamespace: platform\n", "utf-8"
    )
    result = subprocess.run(
        [shipping.KUBECTL, "kustomize", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    objects = {(o["kind"], o["metadata"]["name"]): o for o in shipping.load_all(result.stdout)}
    assert ("Namespace", "platform") in objects
    assert objects[("Deployment", "konfiguru")]["metadata"]["namespace"] == "platform"
    (subject,) = objects[("ClusterRoleBinding", "konfiguru")]["subjects"]
    assert subject["namespace"] == "platform"


@pytest.mark.parametrize(("case_id", "values"), VALUES, ids=VALUE_IDS)
def test_helm_lint_is_clean_in_strict_mode(case_id: str, values: dict[str, Any]) -> None:
    for kube_version in shipping.KUBE_VERSIONS:
        report = helm_python.lint(
            shipping.CHART, values, strict=True, kube_version=f"v{kube_version}.0"
        )
        assert report["errors"] == [], report
        assert report["messages"] == [], report


@pytest.mark.parametrize("kube_version", shipping.KUBE_VERSIONS)
@pytest.mark.parametrize(("case_id", "values"), VALUES, ids=VALUE_IDS)
def test_every_object_the_chart_renders_validates_strictly(
    case_id: str, values: dict[str, Any], kube_version: str
) -> None:
    objects = shipping.chart_objects(values)
    assert objects
    errors = _strict_errors(objects, kube_version)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(("case_id", "values"), VALUES, ids=VALUE_IDS)
def test_every_value_file_passes_the_values_schema(case_id: str, values: dict[str, Any]) -> None:
    with helm_python.Chart.load(shipping.CHART) as chart:
        chart.validate_schema(values)


@pytest.mark.parametrize(
    "values",
    [
        {"watch": {"scope": "namespace"}},
        {"watch": {"scope": "namespaces"}},
        {"highAvailability": {"enabled": True, "replicas": 1}},
        {"replicaCount": 2},
        {"logLevel": "verbose"},
        {"image": {"digest": "latest"}},
    ],
    ids=["bad-scope", "namespaces-without-list", "ha-of-one", "unknown-key", "bad-level", "digest"],
)
def test_the_values_schema_rejects_a_mistake(values: dict[str, Any]) -> None:
    with helm_python.Chart.load(shipping.CHART) as chart, pytest.raises(helm_python.HelmError):
        chart.validate_schema(values)


def test_the_values_schema_accepts_globals_from_an_umbrella_chart() -> None:
    with helm_python.Chart.load(shipping.CHART) as chart:
        chart.validate_schema({"global": {"imageRegistry": "registry.example"}})


def test_every_value_is_documented_in_place_and_in_the_schema() -> None:
    values_text = (shipping.CHART / "values.yaml").read_text("utf-8")
    values = yaml.safe_load(values_text)
    schema = json.loads((shipping.CHART / "values.schema.json").read_text("utf-8"))

    def walk(node: dict[str, Any], schema_node: dict[str, Any], path: str) -> None:
        for key, value in node.items():
            where = f"{path}{key}"
            assert key in schema_node["properties"], f"{where} is missing from values.schema.json"
            sub = schema_node["properties"][key]
            assert sub.get("description") or isinstance(value, dict), f"{where}: no description"
            if isinstance(value, dict) and sub.get("properties"):
                walk(value, sub, where + ".")

    walk(values, schema, "")
    # Every leaf of a documented structure has its own "# --" comment (README's table rows).
    documented = {key for key, _, _ in shipping.documented_values()}

    def leaves(node: dict[str, Any], schema_node: dict[str, Any], path: str) -> list[str]:
        found = []
        for key, value in node.items():
            sub = schema_node["properties"][key]
            if isinstance(value, dict) and sub.get("properties"):
                found += leaves(value, sub, f"{path}{key}.")
            else:
                found.append(f"{path}{key}")
        return found

    undocumented = set(leaves(values, schema, "")) - documented
    assert not undocumented, f"values.yaml: no '# --' comment above {sorted(undocumented)}"


def _workload(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (workload,) = [obj for obj in objects if obj["kind"] in ("Deployment", "StatefulSet")]
    return workload


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item for item in container.get("env", [])}


@pytest.mark.parametrize(("case_id", "values"), VALUES, ids=VALUE_IDS)
def test_the_operator_pod_meets_the_restricted_pod_security_standard(
    case_id: str, values: dict[str, Any]
) -> None:
    pod = _workload(shipping.chart_objects(values))["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        liveness = _env(container)["KONFIGURU_LIVENESS"]["value"]
        port = next(p["containerPort"] for p in container["ports"] if p["name"] == "probes")
        assert liveness == f"http://0.0.0.0:{port}/healthz"
    assert not pod.get("hostNetwork") and not pod.get("hostPID")


def test_a_single_operator_is_recreated_never_doubled_and_runs_standalone() -> None:
    workload = _workload(shipping.chart_objects({}))
    assert workload["kind"] == "Deployment"
    assert workload["spec"]["replicas"] == 1
    assert workload["spec"]["strategy"] == {"type": "Recreate"}
    env = _env(workload["spec"]["template"]["spec"]["containers"][0])
    assert env["KONFIGURU_STANDALONE"]["value"] == "true"
    assert "KONFIGURU_PRIORITY" not in env


@pytest.mark.parametrize("scope", ["cluster", "namespaces"])
def test_high_availability_replicas_get_distinct_peering_priorities_from_their_pod_index(
    scope: str,
) -> None:
    values = {
        "highAvailability": {"enabled": True, "replicas": 3},
        "watch": {"scope": scope, "namespaces": ["a", "b"] if scope == "namespaces" else []},
    }
    objects = shipping.chart_objects(values)
    workload = _workload(objects)
    assert workload["kind"] == "StatefulSet" and workload["spec"]["replicas"] == 3
    env = _env(workload["spec"]["template"]["spec"]["containers"][0])
    assert "KONFIGURU_STANDALONE" not in env
    # The StatefulSet controller labels each pod with its ordinal: 0, 1, 2 are distinct.
    priority = env["KONFIGURU_PRIORITY"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert priority == "metadata.labels['apps.kubernetes.io/pod-index']"
    peering_name = env["KONFIGURU_PEERING_NAME"]["value"]
    peerings = [obj for obj in objects if obj["apiVersion"] == "kopf.dev/v1"]
    if scope == "cluster":
        assert [(p["kind"], p["metadata"]["name"]) for p in peerings] == [
            ("ClusterKopfPeering", peering_name)
        ]
    else:
        assert sorted((p["kind"], p["metadata"]["namespace"]) for p in peerings) == [
            ("KopfPeering", "a"),
            ("KopfPeering", "b"),
        ]
    # Its CRDs ship in the chart's crds/ directory, which Helm installs before any template.
    crds = {obj["metadata"]["name"] for obj in objects if obj["kind"] == "CustomResourceDefinition"}
    assert {"clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"} <= crds


def test_namespaced_watch_configures_the_operator_with_exactly_those_namespaces() -> None:
    values = {"watch": {"scope": "namespaces", "namespaces": ["team-a", "team-b"]}}
    workload = _workload(shipping.chart_objects(values))
    env = _env(workload["spec"]["template"]["spec"]["containers"][0])
    assert env["KONFIGURU_NAMESPACES"]["value"] == "team-a,team-b"
    cluster = _workload(shipping.chart_objects({}))
    # Cluster-wide: the variable is unset (an empty value is dropped by the API server, so a
    # manifest carrying one would differ from the live Deployment on every apply).
    assert "KONFIGURU_NAMESPACES" not in _env(cluster["spec"]["template"]["spec"]["containers"][0])


def test_scheduling_and_image_values_reach_the_pod() -> None:
    values = {
        "image": {"repository": "registry.example/k", "tag": "9.9.9"},
        "nodeSelector": {"pool": "system"},
        "tolerations": [{"key": "x", "operator": "Exists"}],
        "priorityClassName": "system-cluster-critical",
        "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}},
    }
    pod = _workload(shipping.chart_objects(values))["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "registry.example/k:9.9.9"
    assert pod["nodeSelector"] == {"pool": "system"}
    assert pod["tolerations"] == [{"key": "x", "operator": "Exists"}]
    assert pod["priorityClassName"] == "system-cluster-critical"
    # Helm merges maps: the default memory request stays unless overridden.
    resources = pod["containers"][0]["resources"]
    assert resources["requests"]["cpu"] == "1" and resources["limits"] == {"memory": "1Gi"}
    digest = "sha256:" + "a" * 64
    pinned = shipping.chart_objects({"image": {"repository": "r/k", "digest": digest}})
    assert (
        _workload(pinned)["spec"]["template"]["spec"]["containers"][0]["image"] == "r/k@" + digest
    )


def test_optional_pdb_and_service_monitor_select_the_operator_pods() -> None:
    objects = shipping.chart_objects(
        {
            "highAvailability": {"enabled": True},
            "podDisruptionBudget": {"enabled": True},
            "serviceMonitor": {"enabled": True},
        }
    )
    selector = _workload(objects)["spec"]["selector"]["matchLabels"]
    by_kind = {obj["kind"]: obj for obj in objects}
    assert by_kind["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    assert by_kind["Service"]["spec"]["selector"] == selector
    monitor = by_kind["ServiceMonitor"]
    assert monitor["spec"]["selector"]["matchLabels"] == selector
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert {"PodDisruptionBudget", "ServiceMonitor"}.isdisjoint(
        obj["kind"] for obj in shipping.chart_objects({})
    )


def test_templated_crds_are_the_repository_crds_kept_on_uninstall() -> None:
    objects = shipping.chart_objects({})
    rendered = {
        obj["metadata"]["name"]: obj
        for obj in objects
        if obj["kind"] == "CustomResourceDefinition" and obj["spec"]["group"] == "konfiguru.io"
    }
    for path in kfgtest.crd_files():
        source = kfgtest.load_crd(path)
        crd = rendered.pop(source["metadata"]["name"])
        assert crd["spec"] == source["spec"], f"{path.name}: the chart changed the CRD's spec"
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert not rendered, f"CRDs rendered without a file in crds/: {sorted(rendered)}"
    without = shipping.chart_objects({"crds": {"install": False}})
    assert not [o for o in without if o.get("spec", {}).get("group") == "konfiguru.io"]
    unkept = shipping.chart_objects({"crds": {"keep": False}})
    for obj in unkept:
        if obj["kind"] == "CustomResourceDefinition" and obj["spec"]["group"] == "konfiguru.io":
            assert "helm.sh/resource-policy" not in obj["metadata"].get("annotations", {})


def test_notes_tell_how_to_check_the_operator() -> None:
    notes = shipping.chart_manifests({})["konfiguru/templates/NOTES.txt"]
    assert "kubectl -n konfiguru-system get pods" in notes
    assert "kubectl wait --for=condition=Ready" in notes
