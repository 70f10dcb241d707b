"""App spec (defaulted, checked) → manifests. Pure; one template per object.

The stages, each in its own module: config and secrets (``render_config``) first, because they
add env, volumes and a checksum to every pod; then the pod templates (``render_pod``), the
workload and its scaling objects (here), traffic (``render_network``) and jobs and schedules
(``render_jobs``). Called by ``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

from ... import labels
from ...errors import MISSING, FieldError, SpecError
from ..base import Manifest, Resource
from . import names
from . import render_stateful as stateful
from .render_config import PodParts, connect_env, render_config, render_secrets
from .render_jobs import render_jobs, render_run, render_schedules, rollout_order
from .render_network import render_ingress, render_network_policy, render_service, service_ports
from .render_pod import automount_token, is_replicated, pod_template, service_account_name

COMPONENT = names.COMPONENT


def render(resource: Resource) -> list[Manifest]:
    parts = PodParts()
    connect_env(resource, parts)
    objects = render_config(resource, parts)
    objects += render_secrets(resource, parts)
    objects += render_identity(resource)
    objects += render_workload(resource, parts)
    objects += render_service(resource)
    objects += render_ingress(resource)
    objects += render_network_policy(resource)
    objects += render_jobs(resource, parts)
    objects += render_schedules(resource, parts)
    return objects


def render_workload(resource: Resource, parts: PodParts) -> list[Manifest]:
    spec = resource.spec
    if spec["workload"] in ("Job", "CronJob"):
        return render_run(resource, parts)
    version = labels.image_version(spec["image"])
    if spec["workload"] == "StatefulSet":
        parts = stateful.pod_parts(resource, parts)
    template = pod_template(resource, parts, COMPONENT)
    if version:
        template["metadata"]["labels"][labels.VERSION] = version
    common = {
        "labels": resource.labels(COMPONENT, version),
        # After the migrations (jobs[].runBefore: rollout), when there are any.
        "annotations": {**(spec.get("annotations") or {}), **rollout_order(resource)},
        "selector": resource.selector(COMPONENT),
        "pod_template": template,
    }
    if spec["workload"] == "DaemonSet":
        return [resource.template("app/daemonset.yaml.j2", **common)]
    autoscale = spec.get("autoscale")
    if spec["workload"] == "StatefulSet":
        objects = stateful.render_statefulset(
            resource, {**common, "service_ports": service_ports(spec)}
        )
    else:
        objects = [
            resource.template(
                "app/deployment.yaml.j2",
                # With an autoscaler the HPA owns the replica count; setting it here would make
                # every apply reset the count the HPA chose.
                replicas=None if autoscale else spec["replicas"],
                **common,
            )
        ]
    if autoscale:
        objects.append(_autoscaler(resource, autoscale))
    pdb = spec["podDisruptionBudget"]
    if pdb["enabled"] and is_replicated(spec):
        objects.append(
            resource.template(
                "app/poddisruptionbudget.yaml.j2",
                labels=resource.labels(COMPONENT),
                selector=resource.selector(COMPONENT),
                min_available=pdb.get("minAvailable"),
                max_unavailable=pdb["maxUnavailable"],
            )
        )
    return objects


def _autoscaler(resource: Resource, autoscale: dict[str, object]) -> Manifest:
    metrics = []
    for key, resource_name in (("targetCPU", "cpu"), ("targetMemory", "memory")):
        if autoscale.get(key) is not None:
            metrics.append(
                {
                    "type": "Resource",
                    "resource": {
                        "name": resource_name,
                        "target": {"type": "Utilization", "averageUtilization": autoscale[key]},
                    },
                }
            )
    return resource.template(
        "app/horizontalpodautoscaler.yaml.j2",
        labels=resource.labels(COMPONENT),
        min_replicas=autoscale["min"],
        max_replicas=autoscale["max"],
        metrics=metrics,
        scale_down_window=autoscale["scaleDownStabilizationSeconds"],
    )


def render_identity(resource: Resource) -> list[Manifest]:
    """ServiceAccount (token not mounted unless the app has API permissions) and its RBAC."""
    spec = resource.spec
    account = service_account_name(spec, resource.name)
    objects: list[Manifest] = []
    if spec["serviceAccount"]["create"] and account:
        objects.append(
            resource.template(
                "app/serviceaccount.yaml.j2",
                name=account,
                labels=resource.labels("identity"),
                annotations=spec["serviceAccount"].get("annotations") or {},
                automount=automount_token(spec),
            )
        )
    rbac = spec.get("rbac")
    if rbac is None:
        return objects
    if not resource.namespace:
        # A RoleBinding's ServiceAccount subject must name its namespace; guessing would bind
        # the wrong account.
        raise SpecError(
            [
                FieldError(
                    "metadata.namespace",
                    MISSING,
                    "is required when spec.rbac is set",
                    "the RoleBinding must name the ServiceAccount's namespace",
                )
            ],
            f"App {resource.name}",
        )
    rules = [
        {
            key: list(rule[key])
            for key in ("apiGroups", "resources", "resourceNames", "verbs")
            if key in rule
        }
        for rule in rbac["rules"]
    ]
    objects.append(
        resource.template("app/role.yaml.j2", labels=resource.labels("identity"), rules=rules)
    )
    objects.append(
        resource.template(
            "app/rolebinding.yaml.j2",
            labels=resource.labels("identity"),
            service_account=account,
            namespace=resource.namespace,
        )
    )
    return objects
