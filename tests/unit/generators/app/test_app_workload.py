"""Workload rules: replicas vs autoscale, PDB and spread, DaemonSet, selectors, probes, GPUs."""

from __future__ import annotations

import pytest
from appspec import container, errors, kinds, one, pod_spec, render

import kfgtest

SELECTOR = {"app.kubernetes.io/name": "web", "app.kubernetes.io/component": "app"}


def test_autoscale_on_leaves_replicas_out_of_the_deployment() -> None:
    objects = render({"port": 8080, "autoscale": {"max": 5}})
    assert "replicas" not in one(objects, "Deployment")["spec"]


def test_autoscale_renders_an_autoscaling_v2_hpa_for_the_deployment() -> None:
    hpa = one(
        render({"port": 8080, "autoscale": {"min": 3, "max": 9, "targetMemory": 75}}),
        "HorizontalPodAutoscaler",
    )
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 9)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["spec"]["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 80},
        "memory": {"type": "Utilization", "averageUtilization": 75},
    }


def test_without_autoscale_the_deployment_sets_replicas_and_there_is_no_hpa() -> None:
    objects = render({"port": 8080, "replicas": 4})
    assert one(objects, "Deployment")["spec"]["replicas"] == 4
    assert "HorizontalPodAutoscaler" not in kinds(objects)


def test_one_replica_gets_neither_a_pdb_nor_topology_spread() -> None:
    objects = render({"port": 8080})
    assert "PodDisruptionBudget" not in kinds(objects)
    assert "topologySpreadConstraints" not in pod_spec(objects)


def test_more_than_one_replica_gets_a_pdb_and_topology_spread_on_the_selector() -> None:
    objects = render({"port": 8080, "replicas": 2})
    pdb = one(objects, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == SELECTOR
    spread = pod_spec(objects)["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    }
    assert all(c["labelSelector"]["matchLabels"] == SELECTOR for c in spread)


def test_autoscale_gets_a_pdb_and_topology_spread() -> None:
    objects = render({"port": 8080, "autoscale": {"max": 3}})
    assert "PodDisruptionBudget" in kinds(objects)
    assert "topologySpreadConstraints" in pod_spec(objects)


def test_pdb_min_available_replaces_max_unavailable_and_pdb_can_be_turned_off() -> None:
    pdb = one(
        render({"replicas": 3, "podDisruptionBudget": {"minAvailable": "50%"}}),
        "PodDisruptionBudget",
    )
    assert pdb["spec"]["minAvailable"] == "50%" and "maxUnavailable" not in pdb["spec"]
    assert "PodDisruptionBudget" not in kinds(
        render({"replicas": 3, "podDisruptionBudget": {"enabled": False}})
    )


def test_daemonset_runs_on_selected_nodes_with_tolerations_and_has_no_pdb_or_replicas() -> None:
    objects = render(
        {
            "workload": "DaemonSet",
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [
                {"operator": "Exists"},
                {"key": "dedicated", "value": "agents", "effect": "NoSchedule"},
            ],
            "replicas": 3,
        }
    )
    daemonset = one(objects, "DaemonSet")
    assert "replicas" not in daemonset["spec"]
    assert "Deployment" not in kinds(objects) and "PodDisruptionBudget" not in kinds(objects)
    pod = pod_spec(objects, "DaemonSet")
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"] == [
        {"operator": "Exists"},
        {"key": "dedicated", "operator": "Equal", "value": "agents", "effect": "NoSchedule"},
    ]
    assert "topologySpreadConstraints" not in pod


def test_selectors_use_the_fixed_labels_and_never_user_labels() -> None:
    objects = render(
        {"port": 8080, "replicas": 2, "labels": {"team": "checkout", "app.kubernetes.io/name": "x"}}
    )
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["selector"]["matchLabels"] == SELECTOR
    assert one(objects, "Service")["spec"]["selector"] == SELECTOR
    # User labels go on the objects and pods, but ours win on our keys.
    assert deployment["metadata"]["labels"]["team"] == "checkout"
    assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "web"


def test_the_image_tag_becomes_the_version_label() -> None:
    deployment = one(render({}), "Deployment")
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "1.0.0"


def test_a_web_app_gets_tcp_probes_on_its_port_and_a_worker_gets_none() -> None:
    web = container(render({"port": 8080}))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert web[probe]["tcpSocket"] == {"port": "http"}
    assert web["startupProbe"]["failureThreshold"] == 60
    worker = container(render({}))
    assert not {"livenessProbe", "readinessProbe", "startupProbe"} & set(worker)


def test_probes_take_http_exec_and_can_be_disabled() -> None:
    main = container(
        render(
            {
                "port": 8080,
                "health": {
                    "readiness": {"http": {"path": "/ready"}, "periodSeconds": 2},
                    "liveness": {"exec": {"command": ["/bin/check"]}},
                    "startup": {"enabled": False},
                },
            }
        )
    )
    assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http", "scheme": "HTTP"}
    assert main["readinessProbe"]["periodSeconds"] == 2
    assert main["livenessProbe"]["exec"] == {"command": ["/bin/check"]}
    assert "startupProbe" not in main


def test_resources_become_requests_and_limits_and_gpus_get_a_toleration() -> None:
    objects = render({"resources": {"cpu": "1", "memory": "1Gi", "cpuLimit": "2", "gpu": 1}})
    assert container(objects)["resources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": 1},
    }
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod_spec(
        objects
    )["tolerations"]


def test_ports_become_container_ports_and_service_ports() -> None:
    objects = render(
        {
            "port": 8080,
            "ports": [{"name": "grpc", "port": 9000, "servicePort": 90, "appProtocol": "grpc"}],
        }
    )
    assert [(p["name"], p["containerPort"]) for p in container(objects)["ports"]] == [
        ("http", 8080),
        ("grpc", 9000),
    ]
    service = one(objects, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [
        ("http", 80, "http"),
        ("grpc", 90, "grpc"),
    ]


def test_external_expose_gives_a_load_balancer() -> None:
    service = one(
        render(
            {
                "port": 8080,
                "expose": {"external": True, "loadBalancerSourceRanges": ["203.0.113.0/24"]},
            }
        ),
        "Service",
    )
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["loadBalancerSourceRanges"] == ["203.0.113.0/24"]


def test_a_load_balancer_class_picks_the_load_balancer_implementation() -> None:
    service = one(
        render(
            {"port": 8080, "expose": {"external": True, "loadBalancerClass": "service.k8s.aws/nlb"}}
        ),
        "Service",
    )
    assert service["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"
    for version in kfgtest.KUBE_VERSIONS:
        assert kfgtest.strict_errors(service, version) == []
    assert "loadBalancerClass" not in one(render({"port": 8080}), "Service")["spec"]


@pytest.mark.parametrize(
    ("expose", "said"),
    [
        ({"loadBalancerClass": "example.com/lb"}, "is only for a LoadBalancer Service"),
        ({"type": "NodePort", "loadBalancerClass": "example.com/lb"}, "is only for a LoadBalancer"),
        ({"external": True, "loadBalancerClass": "not a class"}, "label-style name"),
    ],
)
def test_a_load_balancer_class_is_refused_where_the_api_server_refuses_it(
    expose: dict[str, object], said: str
) -> None:
    (message,) = errors({"port": 8080, "expose": expose})
    assert message.startswith("spec.expose.loadBalancerClass") and said in message


def test_a_worker_without_ports_has_no_service() -> None:
    assert "Service" not in kinds(render({"command": ["worker"]}))


def test_lifecycle_hooks_and_grace_period() -> None:
    objects = render(
        {
            "port": 8080,
            "lifecycle": {
                "preStop": {"sleepSeconds": 10},
                "postStart": {"http": {"path": "/warm"}},
                "terminationGracePeriodSeconds": 60,
            },
        }
    )
    assert container(objects)["lifecycle"] == {
        "preStop": {"sleep": {"seconds": 10}},
        "postStart": {"httpGet": {"path": "/warm", "port": "http"}},
    }
    assert pod_spec(objects)["terminationGracePeriodSeconds"] == 60


def test_metrics_add_scrape_annotations_and_a_metrics_port() -> None:
    objects = render({"port": 8080, "observability": {"metrics": {"port": 9090}}})
    annotations = one(objects, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9090"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert {"name": "metrics", "containerPort": 9090, "protocol": "TCP"} in container(objects)[
        "ports"
    ]


def test_metrics_on_the_main_port_add_no_extra_port() -> None:
    objects = render({"port": 8080, "observability": {"metrics": {"path": "/stats"}}})
    assert [p["name"] for p in container(objects)["ports"]] == ["http"]


def test_a_udp_only_app_gets_no_tcp_probes() -> None:
    main = container(render({"ports": [{"name": "dns", "port": 5353, "protocol": "UDP"}]}))
    assert not {"livenessProbe", "readinessProbe", "startupProbe"} & set(main)
