"""Every object an App renders is valid for Kubernetes 1.30 and 1.37 (strict: no unknown fields).

Covers every feature at once (a kitchen-sink App), a node agent and a worker. ExternalSecret is
not a Kubernetes kind: it is checked against the vendored External Secrets Operator schema.
"""

from __future__ import annotations

from typing import Any

import pytest
from appspec import kinds, render

import kfgtest
from konfiguru_generators import Existing

KITCHEN_SINK: dict[str, Any] = {
    "image": "ghcr.io/acme/shop:2.0.0",
    "imagePullPolicy": "IfNotPresent",
    "imagePullSecrets": ["registry"],
    "command": ["/app/server"],
    "args": ["--listen", ":8080"],
    "workingDir": "/app",
    "port": 8080,
    "ports": [
        {"name": "grpc", "port": 9000, "appProtocol": "grpc"},
        {"name": "dns", "port": 5353, "protocol": "UDP"},
    ],
    "env": {
        "A": "yes",
        "N": 1,
        "POD": {"fieldRef": {"fieldPath": "metadata.name"}},
        "MEM": {"resourceFieldRef": {"resource": "limits.memory"}},
    },
    "autoscale": {"min": 2, "max": 6, "targetMemory": 70},
    "resources": {
        "cpu": "250m",
        "memory": "256Mi",
        "cpuLimit": "1",
        "memoryLimit": "512Mi",
        "gpu": 1,
    },
    "health": {
        "liveness": {"http": {"path": "/live", "scheme": "HTTPS"}},
        "readiness": {"grpc": {"port": 9000, "service": "ready"}},
        "startup": {"exec": {"command": ["cat", "/tmp/started"]}},
    },
    "expose": {
        "external": True,
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
        "loadBalancerSourceRanges": ["203.0.113.0/24"],
    },
    "ingress": {
        "host": "shop.example.com",
        "className": "nginx",
        "paths": [
            {"path": "/"},
            {"path": "/grpc", "port": "grpc", "pathType": "ImplementationSpecific"},
        ],
        "tls": {"issuer": "letsencrypt"},
        "rateLimit": {"rps": 5},
        "cors": {},
        "ipAllowList": ["10.0.0.0/8"],
        "timeouts": {"read": 30},
        "maxBodySize": "10m",
    },
    "config": {
        "data": {"MODE": "on"},
        "files": [
            {"name": "a.json", "content": {"x": [1, 2]}},
            {"name": "a.yaml", "content": {"x": "no"}},
            {"name": "a.ini", "content": {"s": {"k": "v"}}},
            {"name": "a.toml", "content": {"t": {"k": 1}}},
            {"name": "a.properties", "content": {"k": "v"}},
            {"name": "a.txt", "content": "plain"},
        ],
    },
    "secrets": [
        {"name": "existing", "prefix": "EX_"},
        {
            "name": "generated",
            "generate": [{"key": "PASSWORD"}, {"key": "TOKEN", "type": "random"}],
            "mount": "both",
        },
        {
            "name": "vault",
            "external": {
                "provider": "vault",
                "store": "vault",
                "data": [{"key": "K", "remoteKey": "a/b"}],
            },
            "mount": "files",
            "mountPath": "/vault",
        },
    ],
    "connectTo": [
        {"name": "api"},
        {"name": "db", "kind": "Database", "engine": "postgres"},
        {"name": "cache", "namespace": "infra", "kind": "Database", "engine": "redis"},
    ],
    "allowFrom": [{"name": "gateway"}, {"name": "admin", "namespace": "ops"}],
    "networkPolicy": {"egressTo": ["0.0.0.0/0"]},
    "jobs": [{"name": "migrate", "command": ["migrate"], "ttlSecondsAfterFinished": 600}],
    "schedules": [
        {
            "name": "report",
            "schedule": "0 3 * * *",
            "timeZone": "Europe/Berlin",
            "startingDeadlineSeconds": 60,
        }
    ],
    "lifecycle": {
        "preStop": {"sleepSeconds": 5},
        "postStart": {"command": ["touch", "/tmp/started"]},
        "terminationGracePeriodSeconds": 45,
    },
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/shop"}},
    "rbac": {
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["flags"],
                "verbs": ["get", "watch"],
            }
        ]
    },
    "observability": {"metrics": {"port": 9090}},
    "podDisruptionBudget": {"maxUnavailable": "25%"},
    "labels": {"team": "shop"},
    "annotations": {"example.com/owner": "shop-team"},
    "nodeSelector": {"kubernetes.io/arch": "amd64"},
    "tolerations": [
        {"key": "spot", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}
    ],
    "affinity": {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 1,
                    "preference": {
                        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]
                    },
                }
            ]
        }
    },
    "priorityClassName": "high",
    "security": {
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "capabilities": {"add": ["NET_BIND_SERVICE"]},
        "writablePaths": ["/tmp", "/var/cache/app"],
    },
}
NODE_AGENT: dict[str, Any] = {
    "workload": "DaemonSet",
    "port": 2020,
    "hostPaths": [{"path": "/var/log"}, {"path": "/proc", "mountPath": "/host/proc"}],
    "tolerations": [{"operator": "Exists"}],
    "security": {"runAsNonRoot": False, "runAsUser": 0, "hostNetwork": True, "privileged": True},
}
WORKER: dict[str, Any] = {
    "command": ["worker"],
    "replicas": 3,
    "networkPolicy": {"restrictEgress": False},
}
CASES = {"kitchen-sink": KITCHEN_SINK, "node-agent": NODE_AGENT, "worker": WORKER}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    seeded = Existing(secret_seed=b"test-seed")
    return {name: render(spec, seeded) for name, spec in CASES.items()}


def test_the_kitchen_sink_renders_every_kind_of_child(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    assert sorted(set(kinds(rendered["kitchen-sink"]))) == [
        "ConfigMap",
        "CronJob",
        "Deployment",
        "ExternalSecret",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Role",
        "RoleBinding",
        "Secret",
        "Service",
        "ServiceAccount",
    ]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kube_version", kfgtest.KUBE_VERSIONS)
def test_every_rendered_object_validates_strictly(
    rendered: dict[str, list[dict[str, Any]]], case: str, kube_version: str
) -> None:
    problems = [
        problem for obj in rendered[case] for problem in kfgtest.strict_errors(obj, kube_version)
    ]
    assert problems == []
