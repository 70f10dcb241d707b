"""MLPipeline spec (defaulted, checked) → manifests. Pure; one template per object.

Children: a ServiceAccount without token, the model PVC, the training Job (an Indexed Job plus a
headless Service when there are several workers) or a retraining CronJob, and the inference
Deployment, Service and HorizontalPodAutoscaler. Called by ``pipeline.py`` via the registry.
"""

from __future__ import annotations

import math
from typing import Any

from ... import batch, labels, podspec
from ..base import Manifest, Resource
from . import names
from .data import data_source
from .frameworks import FRAMEWORKS, Group

Fragment = dict[str, Any]
TRAINING = "training"
INFERENCE = "inference"
TRAINER_CONTAINER = "trainer"
# Probe cadence of the inference server; the startup budget (spec.inference.startupTimeout) is
# divided into checks of this period.
_PROBE_PERIOD = 10
_SHM = "/dev/shm"  # noqa: S108 - where an in-memory emptyDir is mounted, not a temporary file
_PROBE_TIMEOUT = 5


def render(resource: Resource) -> list[Manifest]:
    spec = resource.spec
    objects = [
        resource.template(
            "mlpipeline/serviceaccount.yaml.j2",
            name=resource.name,
            labels=resource.labels(TRAINING),
        ),
        _model_claim(resource),
        *_training(resource),
    ]
    if spec["inference"]["enabled"]:
        objects.extend(_inference(resource))
    return objects


def _model_claim(resource: Resource) -> Manifest:
    model = resource.spec["model"]
    return resource.template(
        "mlpipeline/persistentvolumeclaim.yaml.j2",
        name=names.model_claim(resource.name),
        labels=resource.labels(TRAINING),
        access_mode=model["accessMode"],
        storage_class=model.get("storageClass"),
        size=str(model["storage"]),
        deletion_policy=model["deletionPolicy"],
    )


def _model_name(resource: Resource) -> str:
    return str(resource.spec["model"].get("name") or resource.name)


def _trainer_pod(resource: Resource, group: Group) -> Fragment:
    """The pod spec every training worker runs."""
    spec = resource.spec
    training = spec["training"]
    framework = FRAMEWORKS[spec["framework"]]
    distributed = group.workers > 1
    security = spec["security"]
    model = spec["model"]
    data = data_source(spec.get("data"))
    shm_volume, shm_mount = podspec.scratch_volume(
        "dshm", _SHM, memory=True, size=training.get("shmSize")
    )
    model_volume = {
        "name": "model",
        "persistentVolumeClaim": {"claimName": names.model_claim(resource.name)},
    }
    model_mount = {"name": "model", "mountPath": model["mountPath"]}
    pod_security, container_security, volumes, mounts = batch.hardened_pod(
        security,
        extra_volumes=[shm_volume, model_volume, *data.volumes],
        extra_mounts=[shm_mount, model_mount, *data.mounts],
    )
    # The framework's rank variable must be the very first entry (see frameworks.py).
    env = [
        *framework.env(group),
        *batch.home_env(security),
        {"name": "MODEL_DIR", "value": model["mountPath"]},
        *data.env,
    ]
    if model.get("registry"):
        env.append({"name": "MODEL_REGISTRY_URL", "value": model["registry"]})
    env.extend(podspec.env_list(spec.get("env")))

    container: Fragment = {"name": TRAINER_CONTAINER, "image": spec["image"]}
    if spec.get("command"):
        container["command"] = list(spec["command"])
    if spec.get("args"):
        container["args"] = list(spec["args"])
    container["env"] = env
    if distributed and framework.port:
        container["ports"] = [
            {"name": framework.port_name, "containerPort": framework.port, "protocol": "TCP"}
        ]
    requirements = podspec.resource_requirements(training.get("resources"), gpu=group.gpus)
    if requirements:
        container["resources"] = requirements
    container["securityContext"] = container_security
    container["volumeMounts"] = mounts

    pod: Fragment = {
        "restartPolicy": "Never",
        "serviceAccountName": resource.name,
        "automountServiceAccountToken": False,
        "securityContext": pod_security,
        "containers": [container],
        "volumes": volumes,
        **batch.placement(spec),
    }
    if distributed:
        pod["subdomain"] = group.service
    if group.gpus:
        pod["tolerations"] = [dict(podspec.GPU_TOLERATION)]
    return pod


def _training_job_spec(training: dict[str, Any], template: Fragment) -> Fragment:
    workers = training["workers"]
    if workers == 1:
        return batch.run_once_job_spec(
            timeout=training["timeout"],
            ttl=training["ttlAfterFinished"],
            backoff=training["backoff"],
            template=template,
        )
    # A lone replacement pod cannot rejoin a running group, and the survivors would wait for it
    # until the deadline: fail the whole run at the first failed rank.
    return {
        "activeDeadlineSeconds": batch.duration_seconds(training["timeout"]),
        "ttlSecondsAfterFinished": batch.duration_seconds(training["ttlAfterFinished"]),
        "completionMode": "Indexed",
        "completions": workers,
        "parallelism": workers,
        "backoffLimit": 0,
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": TRAINER_CONTAINER,
                        "operator": "NotIn",
                        "values": [0],
                    },
                }
            ]
        },
        "template": template,
    }


def _training(resource: Resource) -> list[Manifest]:
    """The workers' Service (several workers), their NetworkPolicy and the Job or CronJob."""
    spec = resource.spec
    training = spec["training"]
    scheduled = "schedule" in training
    distributed = training["workers"] > 1
    name = names.training(resource.name)
    framework = FRAMEWORKS[spec["framework"]]
    group = Group(
        workers=training["workers"],
        gpus=training["gpus"],
        service=names.workers_service(resource.name),
        job_name=None if scheduled else name,
        restarts=training["backoff"],
    )
    template = {
        "metadata": {"labels": resource.labels(TRAINING, labels.image_version(spec["image"]))},
        "spec": _trainer_pod(resource, group),
    }

    objects: list[Manifest] = []
    if distributed:
        # A Job's pods carry its name in a label; a CronJob names each run, and never runs two
        # at once (Forbid), so its workers are selected by the pipeline's own labels.
        selector = (
            resource.selector(TRAINING) if scheduled else {"batch.kubernetes.io/job-name": name}
        )
        objects.append(
            resource.template(
                "mlpipeline/service-workers.yaml.j2",
                name=group.service,
                labels=resource.labels(TRAINING),
                selector=selector,
                ports=[
                    {
                        "name": framework.port_name,
                        "port": framework.port,
                        "targetPort": framework.port,
                        "protocol": "TCP",
                    }
                ],
            )
        )
    # Workers accept connections only from each other; a lone worker from no one.
    peers = [{"from": [{"podSelector": {"matchLabels": resource.selector(TRAINING)}}]}]
    objects.append(
        resource.template(
            "mlpipeline/networkpolicy.yaml.j2",
            name=names.training_policy(resource.name),
            labels=resource.labels(TRAINING),
            pod_selector=resource.selector(TRAINING),
            ingress=peers if distributed else [],
        )
    )
    objects.append(
        batch.job_or_cronjob(
            resource,
            templates="mlpipeline",
            component=TRAINING,
            job_spec=_training_job_spec(training, template),
            schedule=training.get("schedule"),
            time_zone=training.get("timeZone"),
        )
    )
    return objects


def _inference_probes(inference: dict[str, Any], model_name: str) -> dict[str, Fragment]:
    timing = {"periodSeconds": _PROBE_PERIOD, "timeoutSeconds": _PROBE_TIMEOUT}
    if inference["protocol"] == "v2":
        ready: Fragment = {"httpGet": {"path": f"/v2/models/{model_name}/ready", "port": "http"}}
        live: Fragment = {"httpGet": {"path": "/v2/health/live", "port": "http"}}
    else:
        ready = {"httpGet": {"path": f"/v1/models/{model_name}", "port": "http"}}
        live = {"tcpSocket": {"port": "http"}}
    budget = math.ceil(batch.duration_seconds(inference["startupTimeout"]) / _PROBE_PERIOD)
    return {
        # Until the model is downloaded and loaded the server may not answer at all.
        "startupProbe": {**live, **timing, "failureThreshold": max(budget, 1)},
        "livenessProbe": {**live, **timing, "failureThreshold": 3},
        "readinessProbe": {**ready, **timing, "failureThreshold": 3},
    }


def _inference(resource: Resource) -> list[Manifest]:
    spec = resource.spec
    inference = spec["inference"]
    model = spec["model"]
    name = names.inference(resource.name)
    image = inference.get("image") or spec["image"]
    security = spec["security"]
    model_name = _model_name(resource)
    extra_volumes: list[Fragment] = []
    extra_mounts: list[Fragment] = []
    env: list[Fragment] = [*batch.home_env(security), {"name": "MODEL_NAME", "value": model_name}]
    if model.get("registry"):
        env.append({"name": "MODEL_URI", "value": model["registry"]})
    else:
        extra_volumes.append(
            {
                "name": "model",
                "persistentVolumeClaim": {
                    "claimName": names.model_claim(resource.name),
                    "readOnly": True,
                },
            }
        )
        extra_mounts.append({"name": "model", "mountPath": model["mountPath"], "readOnly": True})
        env.append({"name": "MODEL_DIR", "value": model["mountPath"]})
    if inference["gpu"]:
        # Triton and other servers pass tensors between processes through shared memory.
        shm_volume, shm_mount = podspec.scratch_volume("dshm", _SHM, memory=True)
        extra_volumes.append(shm_volume)
        extra_mounts.append(shm_mount)
    env.extend(podspec.env_list(inference.get("env")))
    pod_security, container_security, volumes, mounts = batch.hardened_pod(
        security, extra_volumes=extra_volumes, extra_mounts=extra_mounts
    )
    container: Fragment = {"name": "server", "image": image}
    if inference.get("command"):
        container["command"] = list(inference["command"])
    if inference.get("args"):
        container["args"] = list(inference["args"])
    container["ports"] = [{"name": "http", "containerPort": inference["port"], "protocol": "TCP"}]
    container["env"] = env
    requirements = podspec.resource_requirements(inference.get("resources"), gpu=inference["gpu"])
    if requirements:
        container["resources"] = requirements
    container.update(_inference_probes(inference, model_name))
    container["securityContext"] = container_security
    container["volumeMounts"] = mounts
    pod_spec: Fragment = {
        "serviceAccountName": resource.name,
        "automountServiceAccountToken": False,
        "securityContext": pod_security,
        "containers": [container],
        "volumes": volumes,
    }
    pod_spec.update(batch.placement(spec))
    if inference["gpu"]:
        pod_spec["tolerations"] = [dict(podspec.GPU_TOLERATION)]
    pod_spec["topologySpreadConstraints"] = podspec.topology_spread(resource.selector(INFERENCE))
    autoscale = inference.get("autoscale")
    object_labels = resource.labels(INFERENCE, labels.image_version(image))
    selector = resource.selector(INFERENCE)
    objects = [
        resource.template(
            "mlpipeline/deployment.yaml.j2",
            name=name,
            labels=object_labels,
            selector=selector,
            # With an autoscaler the HPA owns the replica count; a fixed one would fight it.
            replicas=None if autoscale else inference["replicas"],
            pod_spec=pod_spec,
        ),
        resource.template(
            "mlpipeline/service.yaml.j2",
            name=name,
            labels=resource.labels(INFERENCE),
            selector=selector,
            port=inference["port"],
        ),
    ]
    objects.append(
        resource.template(
            "mlpipeline/networkpolicy.yaml.j2",
            name=name,
            labels=resource.labels(INFERENCE),
            pod_selector=selector,
            # Callers are not known here: anyone may call the model, on its serving port only.
            ingress=[{"ports": [{"port": inference["port"], "protocol": "TCP"}]}],
        )
    )
    if autoscale:
        objects.append(
            resource.template(
                "mlpipeline/horizontalpodautoscaler.yaml.j2",
                name=name,
                labels=resource.labels(INFERENCE),
                min_replicas=autoscale["min"],
                max_replicas=autoscale["max"],
                target_cpu=autoscale["targetCPU"],
            )
        )
    return objects
