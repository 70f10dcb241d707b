"""Secure by default: the restricted Pod Security Standard, each explicit opt-out, API tokens."""

from __future__ import annotations

import pytest
from appspec import container, errors, kinds, one, pod_spec, render


def test_pods_meet_the_restricted_pod_security_standard_by_default() -> None:
    objects = render({"port": 8080})
    pod = pod_spec(objects)
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container(objects)["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
    }
    assert {"name": "tmp", "emptyDir": {}} in pod["volumes"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container(objects)["volumeMounts"]
    assert "hostNetwork" not in pod


@pytest.mark.parametrize(
    ("security", "where", "key", "expected"),
    [
        ({"runAsNonRoot": False}, "pod", "runAsNonRoot", None),
        ({"seccompProfile": "Unconfined"}, "pod", "seccompProfile", {"type": "Unconfined"}),
        ({"runAsUser": 1000, "fsGroup": 2000}, "pod", "fsGroup", 2000),
        ({"readOnlyRootFilesystem": False}, "container", "readOnlyRootFilesystem", False),
        ({"allowPrivilegeEscalation": True}, "container", "allowPrivilegeEscalation", True),
        ({"privileged": True}, "container", "privileged", True),
        (
            {"capabilities": {"add": ["NET_BIND_SERVICE"]}},
            "container",
            "capabilities",
            {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        ),
    ],
)
def test_each_security_opt_out_changes_only_what_it_names(
    security: dict[str, object], where: str, key: str, expected: object
) -> None:
    objects = render({"security": security})
    context = (
        pod_spec(objects)["securityContext"]
        if where == "pod"
        else container(objects)["securityContext"]
    )
    assert context.get(key) == expected


def test_writable_paths_replace_tmp_and_can_be_emptied() -> None:
    pod = pod_spec(render({"security": {"writablePaths": ["/tmp", "/var/cache/nginx"]}}))
    assert [v["name"] for v in pod["volumes"]] == ["tmp", "var-cache-nginx"]
    assert "volumes" not in pod_spec(render({"security": {"writablePaths": []}}))


def test_host_network_for_node_agents_uses_cluster_dns() -> None:
    pod = pod_spec(
        render({"workload": "DaemonSet", "security": {"hostNetwork": True}}), "DaemonSet"
    )
    assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet"


def test_run_as_root_needs_run_as_non_root_false() -> None:
    assert any("runAsUser 0 is root" in e for e in errors({"security": {"runAsUser": 0}}))
    pod = pod_spec(render({"security": {"runAsUser": 0, "runAsNonRoot": False}}))
    assert pod["securityContext"]["runAsUser"] == 0


def test_the_api_token_is_not_mounted_without_rbac_rules() -> None:
    objects = render({})
    assert pod_spec(objects)["automountServiceAccountToken"] is False
    assert one(objects, "ServiceAccount")["automountServiceAccountToken"] is False
    assert "Role" not in kinds(objects)


def test_rbac_rules_give_a_role_bound_to_the_apps_service_account_and_mount_the_token() -> None:
    objects = render(
        {"rbac": {"rules": [{"resources": ["configmaps"], "verbs": ["get", "watch"]}]}}
    )
    assert pod_spec(objects)["automountServiceAccountToken"] is True
    assert pod_spec(objects)["serviceAccountName"] == "web"
    assert one(objects, "Role")["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "watch"]}
    ]
    binding = one(objects, "RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "web",
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}]


def test_rbac_without_a_namespace_is_an_error_not_a_guess() -> None:
    messages = errors(
        {"rbac": {"rules": [{"resources": ["pods"], "verbs": ["get"]}]}}, namespace=None
    )
    assert messages == [
        "metadata.namespace: is required when spec.rbac is set; the RoleBinding must name the"
        " ServiceAccount's namespace"
    ]


def test_an_existing_service_account_is_used_and_not_created() -> None:
    objects = render({"serviceAccount": {"create": False, "name": "shared"}})
    assert "ServiceAccount" not in kinds(objects)
    assert pod_spec(objects)["serviceAccountName"] == "shared"
