"""Server-side defaulting of the built-in kinds Konfiguru writes, and the stored (encoded) form.

Called by :func:`emulator.kinds.default_and_validate` on every create and update of a built-in
object, in the order the real API server works: the body is decoded into its Go type (zero values
of ``omitempty`` value fields are gone: ``konfiguru_operator.stored``), defaulted (the
``SetDefaults_*`` functions of ``k8s.io/kubernetes/pkg/apis/*/v1``, reproduced here for the fields
below), validated, stored and encoded back, with every map's keys sorted.

Defaults reproduced (Kubernetes 1.30-1.37):

* Pod templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod):
  ``restartPolicy: Always``, ``terminationGracePeriodSeconds: 30``, ``dnsPolicy: ClusterFirst``,
  ``schedulerName: default-scheduler``, ``securityContext: {}``, ``serviceAccount`` copied from
  ``serviceAccountName``; per container ``terminationMessagePath: /dev/termination-log``,
  ``terminationMessagePolicy: File``, ``imagePullPolicy`` (``Always`` for ``:latest`` or no tag,
  else ``IfNotPresent``), ``resources: {}``, ``ports[].protocol: TCP``, probes
  ``timeoutSeconds: 1``, ``periodSeconds: 10``, ``successThreshold: 1``, ``failureThreshold: 3``,
  ``httpGet.scheme: HTTP``; env ``fieldRef.apiVersion: v1``; Secret, ConfigMap and projected
  volumes ``defaultMode: 420``; template ``metadata.creationTimestamp: null``.
* Deployment: ``replicas: 1``, ``strategy`` RollingUpdate 25%/25%, ``revisionHistoryLimit: 10``,
  ``progressDeadlineSeconds: 600``.
* StatefulSet: ``replicas: 1``, ``podManagementPolicy: OrderedReady``, ``updateStrategy``
  RollingUpdate ``partition: 0``, ``revisionHistoryLimit: 10``,
  ``persistentVolumeClaimRetentionPolicy`` Retain/Retain; claim templates get ``apiVersion``,
  ``kind`` and ``volumeMode: Filesystem``.
* DaemonSet: ``updateStrategy`` RollingUpdate ``maxUnavailable: 1``, ``maxSurge: 0``,
  ``revisionHistoryLimit: 10``.
* Job: ``completions``/``parallelism: 1`` (``completions`` only when both are unset),
  ``backoffLimit: 6``, ``completionMode: NonIndexed``, ``suspend: false``,
  ``podReplacementPolicy`` (``Failed`` with a ``podFailurePolicy``); the controller-uid selector
  and labels are in ``kinds.py``. CronJob: ``concurrencyPolicy: Allow``, ``suspend: false``,
  ``successfulJobsHistoryLimit: 3``, ``failedJobsHistoryLimit: 1``.
* Service: ``type: ClusterIP``, ``sessionAffinity: None``, ``ipFamilies: [IPv4]``,
  ``ipFamilyPolicy: SingleStack``, ``internalTrafficPolicy: Cluster``, ``ports[].protocol: TCP``,
  ``ports[].targetPort`` = ``port`` (``clusterIP`` allocation is in ``kinds.py``).
* NetworkPolicy: ``policyTypes`` (Ingress, plus Egress when egress rules exist),
  ``ports[].protocol: TCP``. HPA (v2): ``minReplicas: 1``, CPU at 80 % when no metric is set,
  and a ``behavior`` that is set filled in both directions.

Not reproduced: defaults of fields Konfiguru never sends (ephemeral containers, host aliases,
lifecycle handlers' schemes, Service ``loadBalancer`` fields, PVC ``dataSource``...), and
feature-gated defaults that differ between versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from konfiguru_operator.stored import drop_zeros

Obj = dict[str, Any]
_PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1}


def storage_form(obj: Obj) -> None:
    """``obj``, in place, as the server decodes and stores it: the zero values it drops gone."""
    drop_zeros(obj)


def sort_keys(value: Any) -> Any:
    """Every map's keys sorted, in place, as Go's ``encoding/json`` writes maps (custom
    resources are ``map[string]interface{}`` throughout; built-in structs are written in field
    order, modelled as sorted too: no client may depend on either order)."""
    if isinstance(value, dict):
        items = sorted(value.items())
        value.clear()
        for key, item in items:
            value[key] = sort_keys(item)
    elif isinstance(value, list):
        for item in value:
            sort_keys(item)
    return value


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.split(":", 1)[1] if ":" in name else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(probe: Obj) -> None:
    for key, value in _PROBE_DEFAULTS.items():
        probe.setdefault(key, value)
    probe.setdefault("failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("scheme", "HTTP")


def _container(container: Obj) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if container.get("image"):
        container.setdefault("imagePullPolicy", _image_pull_policy(str(container["image"])))
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(name), dict):
            _probe(container[name])
    for env in container.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")


def pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            _container(container)
    for volume in spec.get("volumes") or []:
        for source in ("secret", "configMap", "projected"):
            if isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)


def pod_template(template: Obj) -> None:
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_spec(template.setdefault("spec", {}))


def _deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    pod_template(spec.setdefault("template", {}))


def _statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    policy.setdefault("whenDeleted", "Retain")
    policy.setdefault("whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or []:
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    pod_template(spec.setdefault("template", {}))


def _daemonset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    pod_template(spec.setdefault("template", {}))


def _job(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1  # a non-parallel Job: both unset means one pod, once
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    # JobPodReplacementPolicy (on by default since 1.29): Failed when a podFailurePolicy is set.
    spec.setdefault(
        "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )
    pod_template(spec.setdefault("template", {}))


def _cronjob(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = spec.setdefault("jobTemplate", {})
    job_template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_template(job_template.setdefault("spec", {}).setdefault("template", {}))


def _pod(obj: Obj) -> None:
    pod_spec(obj.setdefault("spec", {}))


def _service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if spec["type"] != "ExternalName":
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        if "port" in port:
            port.setdefault("targetPort", port["port"])


def _network_policy(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if "policyTypes" not in spec:
        spec["policyTypes"] = ["Ingress", *(["Egress"] if spec.get("egress") else [])]
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in rule.get("ports") or []:
                port.setdefault("protocol", "TCP")


def _scaling_rules(rules: Obj | None, window: int | None, policies: list[Obj]) -> Obj:
    rules = dict(rules or {})
    if window is not None:
        rules.setdefault("stabilizationWindowSeconds", window)
    rules.setdefault("selectPolicy", "Max")
    rules.setdefault("policies", policies)
    return rules


def _hpa(obj: Obj) -> None:
    """``SetDefaults_HorizontalPodAutoscaler`` of autoscaling/v2: a ``behavior`` that is set gets
    both directions filled (scale-down without a stabilization window: the controller's flag
    decides it)."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _scaling_rules(
            behavior.get("scaleUp"),
            0,
            [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        )
        behavior["scaleDown"] = _scaling_rules(
            behavior.get("scaleDown"),
            None,
            [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        )


def _replicaset(obj: Obj) -> None:
    pod_template(obj.setdefault("spec", {}).setdefault("template", {}))


DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("apps", "deployments"): _deployment,
    ("apps", "statefulsets"): _statefulset,
    ("apps", "daemonsets"): _daemonset,
    ("apps", "replicasets"): _replicaset,
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("", "pods"): _pod,
    ("", "services"): _service,
    ("networking.k8s.io", "networkpolicies"): _network_policy,
    ("autoscaling", "horizontalpodautoscalers"): _hpa,
}
