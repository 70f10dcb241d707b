"""DataPipeline spec (defaulted, checked) → manifests. Pure; one template per object.

Children: a ServiceAccount (no token unless the pod is a Spark driver), a ConfigMap with the
input/output descriptors (and, for Spark, the executor pod template), a Role and RoleBinding
letting the Spark driver manage its executors, an executors' ServiceAccount without any
rights, and the Job or CronJob. Called by ``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

import json
from typing import Any

from ... import batch, labels, podspec
from ..base import Manifest, Resource
from . import spark as sparkmod

Fragment = dict[str, Any]
DRIVER = "driver"
EXECUTOR = "executor"
CONTAINER = "pipeline"
CONFIG_FILE = "pipeline.json"


def _config_name(name: str) -> str:
    return f"{name}-pipeline"


def _executor_account(name: str) -> str:
    return f"{name}-executor"


def _descriptor_env(spec: dict[str, Any], name: str) -> tuple[list[Fragment], list[Fragment]]:
    """(env, envFrom) describing the input and output, for the driver and the executors."""
    env: list[Fragment] = [
        {"name": "PIPELINE_NAME", "value": name},
        {"name": "PIPELINE_CONFIG", "value": f"{sparkmod.CONFIG_DIR}/{CONFIG_FILE}"},
    ]
    env_from: list[Fragment] = []
    for role in ("input", "output"):
        descriptor = spec.get(role)
        if not descriptor:
            continue
        prefix = f"PIPELINE_{role.upper()}"
        env.append({"name": f"{prefix}_URI", "value": descriptor["uri"]})
        if descriptor.get("format"):
            env.append({"name": f"{prefix}_FORMAT", "value": descriptor["format"]})
        secret = descriptor.get("credentialsSecret")
        if secret and {"secretRef": {"name": secret}} not in env_from:
            env_from.append({"secretRef": {"name": secret}})
    return env, env_from


def _pipeline_json(spec: dict[str, Any]) -> str:
    document = {role: spec[role] for role in ("input", "output") if spec.get(role)}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _executor_template(resource: Resource, env: list[Fragment], env_from: list[Fragment]) -> str:
    """The pod template Spark starts each executor from: what Spark's own settings cannot say
    (security, writable directories, env). Spark fills in image, resources and command."""
    spec = resource.spec
    security = spec["security"]
    work_volume, work_mount = podspec.scratch_volume("work-dir", spec["spark"]["workDir"])
    pod_security, container_security, volumes, mounts = batch.hardened_pod(
        security, extra_volumes=[work_volume], extra_mounts=[work_mount]
    )
    container: Fragment = {
        "name": "executor",
        "env": env,
        "securityContext": container_security,
        "volumeMounts": mounts,
    }
    if env_from:
        container["envFrom"] = env_from
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": resource.labels(EXECUTOR)},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": pod_security,
            **batch.placement(spec),
            "containers": [container],
            "volumes": volumes,
        },
    }
    # JSON is YAML to Spark's loader; sorted keys keep the ConfigMap identical across renders.
    return json.dumps(pod, indent=2, sort_keys=True) + "\n"


def render(resource: Resource) -> list[Manifest]:
    spec = resource.spec
    is_spark = spec["engine"] == "spark"
    name = resource.name
    component = DRIVER if is_spark else CONTAINER
    security = spec["security"]
    descriptor_env, env_from = _descriptor_env(spec, name)
    user_env = podspec.env_list(spec.get("env"))
    config_data = {CONFIG_FILE: _pipeline_json(spec)}
    if is_spark:
        config_data[sparkmod.EXECUTOR_TEMPLATE_FILE] = _executor_template(
            resource, [*batch.home_env(security), *descriptor_env, *user_env], env_from
        )

    objects: list[Manifest] = [
        resource.template(
            "datapipeline/serviceaccount.yaml.j2",
            name=name,
            labels=resource.labels(component),
            # Only a Spark driver talks to the API server.
            automount=is_spark,
        ),
        resource.template(
            "datapipeline/configmap.yaml.j2",
            name=_config_name(name),
            labels=resource.labels(component),
            data=config_data,
        ),
    ]
    if is_spark:
        objects += [
            resource.template(
                "datapipeline/serviceaccount.yaml.j2",
                name=_executor_account(name),
                labels=resource.labels(EXECUTOR),
                automount=False,
            ),
            resource.template(
                "datapipeline/role.yaml.j2",
                name=name,
                labels=resource.labels(DRIVER),
                rules=sparkmod.DRIVER_RULES,
            ),
            resource.template(
                "datapipeline/rolebinding.yaml.j2",
                name=name,
                labels=resource.labels(DRIVER),
                service_account=name,
            ),
        ]

    # The driver and its executors talk to each other (RPC, shuffle blocks); a container
    # pipeline serves nothing. Executors carry the same owner labels as the driver.
    pipeline_pods = {labels.NAME: name, labels.OWNER_KIND: resource.kind}
    objects.append(
        resource.template(
            "datapipeline/networkpolicy.yaml.j2",
            name=name,
            labels=resource.labels(component),
            pod_selector=pipeline_pods,
            ingress=[{"from": [{"podSelector": {"matchLabels": pipeline_pods}}]}]
            if is_spark
            else [],
        )
    )

    config_volume = {"name": "pipeline", "configMap": {"name": _config_name(name)}}
    config_mount = {"name": "pipeline", "mountPath": sparkmod.CONFIG_DIR, "readOnly": True}
    pod_security, container_security, volumes, mounts = batch.hardened_pod(
        security, extra_volumes=[config_volume], extra_mounts=[config_mount]
    )
    env: list[Fragment] = []
    container: Fragment = {"name": CONTAINER, "image": spec["image"]}
    if is_spark:
        env += [
            _field_env("POD_NAME", "metadata.name"),
            _field_env("POD_NAMESPACE", "metadata.namespace"),
            _field_env("POD_IP", "status.podIP"),
        ]
        container["command"] = sparkmod.submit_command(
            spec,
            name=name,
            driver_service_account=name,
            executor_service_account=_executor_account(name),
        )
        container["ports"] = [
            {"name": "driver-rpc", "containerPort": sparkmod.DRIVER_PORT, "protocol": "TCP"},
            {
                "name": "blockmanager",
                "containerPort": sparkmod.BLOCK_MANAGER_PORT,
                "protocol": "TCP",
            },
            {"name": "spark-ui", "containerPort": sparkmod.UI_PORT, "protocol": "TCP"},
        ]
    elif spec.get("command"):
        container["command"] = list(spec["command"])
    if spec.get("args"):
        container["args"] = list(spec["args"])
    container["env"] = [*env, *batch.home_env(security), *descriptor_env, *user_env]
    if env_from:
        container["envFrom"] = env_from
    requirements = podspec.resource_requirements(spec.get("resources"))
    if requirements:
        container["resources"] = requirements
    container["securityContext"] = container_security
    container["volumeMounts"] = mounts

    pod_labels = resource.labels(component, labels.image_version(spec["image"]))
    pod_spec: Fragment = {
        "restartPolicy": "Never",
        "serviceAccountName": name,
        "automountServiceAccountToken": is_spark,
        "securityContext": pod_security,
        **batch.placement(spec),
        "containers": [container],
        "volumes": volumes,
    }
    job_spec = batch.run_once_job_spec(
        timeout=spec["timeout"],
        ttl=spec["ttlAfterFinished"],
        backoff=spec["backoff"],
        template={"metadata": {"labels": pod_labels}, "spec": pod_spec},
    )
    objects.append(
        batch.job_or_cronjob(
            resource,
            templates="datapipeline",
            component=component,
            job_spec=job_spec,
            schedule=spec.get("schedule"),
            time_zone=spec.get("timeZone"),
            suspend=spec["suspend"],
        )
    )
    return objects


def _field_env(name: str, path: str) -> Fragment:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}
