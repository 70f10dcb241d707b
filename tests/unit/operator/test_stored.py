"""The table of zero values the API server drops (``konfiguru_operator.stored``) is true to the
Kubernetes API, covers every zero our generators emit, and drives the "already applied" check."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

import kfgtest
from konfiguru_operator.apply import up_to_date
from konfiguru_operator.stored import DROP, KEEP, KINDS, MAP, drop_zeros, is_zero, rule

_DEFINITIONS = {
    "Deployment": "io.k8s.api.apps.v1.Deployment",
    "StatefulSet": "io.k8s.api.apps.v1.StatefulSet",
    "DaemonSet": "io.k8s.api.apps.v1.DaemonSet",
    "Job": "io.k8s.api.batch.v1.Job",
    "CronJob": "io.k8s.api.batch.v1.CronJob",
    "Service": "io.k8s.api.core.v1.Service",
    "Ingress": "io.k8s.api.networking.v1.Ingress",
    "NetworkPolicy": "io.k8s.api.networking.v1.NetworkPolicy",
    "HorizontalPodAutoscaler": "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
    "PodDisruptionBudget": "io.k8s.api.policy.v1.PodDisruptionBudget",
    "ServiceAccount": "io.k8s.api.core.v1.ServiceAccount",
    "Role": "io.k8s.api.rbac.v1.Role",
    "RoleBinding": "io.k8s.api.rbac.v1.RoleBinding",
    "ConfigMap": "io.k8s.api.core.v1.ConfigMap",
    "Secret": "io.k8s.api.core.v1.Secret",
    "PersistentVolumeClaim": "io.k8s.api.core.v1.PersistentVolumeClaim",
}


@functools.cache
def _definitions(version: str) -> dict[str, Any]:
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    text = (root / f"v{version}.0-local" / "_definitions.json").read_text()
    return json.loads(text)["$defs"]  # type: ignore[no-any-return]


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _resolve(version: str, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = _definitions(version)[schema["$ref"].rsplit("/", 1)[-1]]
    if "array" in _types(schema) and "items" in schema:
        return _resolve(version, schema["items"])
    return schema


def _leaves(
    node: Mapping[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str]]:
    for name, sub in node.items():
        if isinstance(sub, Mapping):
            yield from _leaves(sub, (*path, name))
        else:
            yield (*path, name), sub


@pytest.mark.parametrize("version", kfgtest.KUBE_VERSIONS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_field_of_the_table_is_a_field_of_the_kubernetes_api(kind: str, version: str) -> None:
    for path, how in _leaves(KINDS[kind]):
        parent: Mapping[str, Any] = _definitions(version)[_DEFINITIONS[kind]]
        for name in path[:-1]:
            parent = _resolve(version, parent["properties"][name])
        field = parent.get("properties", {}).get(path[-1])
        assert field is not None, f"{kind} {'.'.join(path)} is not in the {version} API"
        field = _resolve(version, field)
        if how == DROP:
            # omitempty value fields are optional scalars.
            assert path[-1] not in parent.get("required", []), (kind, path)
            assert _types(field) & {"integer", "boolean", "string"}, (kind, path, field)
        elif how == MAP:
            assert "additionalProperties" in field, (kind, path)


@pytest.mark.parametrize("case", kfgtest.corpus(), ids=lambda c: c.id)
def test_every_zero_value_a_generator_emits_for_a_built_in_kind_is_classified(
    case: kfgtest.Case,
) -> None:
    """A new zero in the generators' output must be looked up in the Go types (is the field a
    pointer, or ``omitempty`` with a value type?) and added to the table."""

    def zeros(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from zeros(item, (*path, key))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    yield from zeros(item, path)
        elif is_zero(value):
            yield path

    for obj in kfgtest.rendered(case.path):
        if obj["kind"] not in KINDS:
            continue
        unclassified = [
            ".".join(path)
            for path in zeros({k: v for k, v in obj.items() if k != "metadata"}, ())
            if rule(obj["kind"], path) not in (DROP, KEEP)
        ]
        assert unclassified == [], f"{kfgtest.describe(obj)}: {unclassified}"


def _deployment(**pod: Any) -> dict[str, Any]:
    container = {
        "name": "app",
        "image": "nginx:1.27",
        "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 0},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp", "readOnly": False}],
        "env": [{"name": "EMPTY", "value": ""}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                    **pod,
                },
            },
        },
    }


def test_the_server_form_drops_omitempty_zeros_and_keeps_pointer_zeros_and_empty_structs() -> None:
    obj = _deployment(automountServiceAccountToken=False, hostNetwork=False, nodeSelector={})
    drop_zeros(obj)
    pod = obj["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert "initialDelaySeconds" not in container["readinessProbe"]
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert container["env"] == [{"name": "EMPTY"}]
    assert obj["spec"]["replicas"] == 0  # *int32
    assert pod["automountServiceAccountToken"] is False  # *bool
    assert "hostNetwork" not in pod and "nodeSelector" not in pod
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]  # a struct pointer stays


def test_a_live_copy_without_the_dropped_zeros_needs_no_write() -> None:
    desired = _deployment()
    live = _deployment()
    drop_zeros(live)
    assert up_to_date(desired, live)


def test_a_pointer_field_removed_from_the_live_copy_is_drift_that_needs_a_write() -> None:
    desired = _deployment(automountServiceAccountToken=False)
    live = _deployment(automountServiceAccountToken=False)
    drop_zeros(live)
    del live["spec"]["template"]["spec"]["automountServiceAccountToken"]
    assert not up_to_date(desired, live)


def test_a_dropped_field_set_to_another_value_in_the_live_copy_needs_a_write() -> None:
    desired = _deployment()
    live = _deployment()
    live["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["initialDelaySeconds"] = 5
    assert not up_to_date(desired, live)
