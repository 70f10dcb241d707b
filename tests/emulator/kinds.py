"""Per-kind rules of the emulated API server: defaulting, immutable fields, CRD schemas.

Called by :class:`emulator.cluster.Cluster` on every create and update (``old`` is ``None`` on
create), before the object is stored. Raises :class:`ApiError` (422 Invalid / 403 Forbidden) where
the real API server would. Only the rules Konfiguru's children run into are emulated:

* Built-in objects are first decoded (zero values of ``omitempty`` fields dropped) and defaulted
  by :mod:`emulator.defaults`.
* Deployment/StatefulSet/DaemonSet: the selector must match the template labels and is
  immutable; StatefulSet spec fields other than ``replicas``, ``ordinals``, ``template``,
  ``updateStrategy``, ``persistentVolumeClaimRetentionPolicy`` and ``minReadySeconds`` are
  immutable.
* Job: ``spec.template`` and ``spec.selector`` are immutable; the server adds the
  ``batch.kubernetes.io/controller-uid`` selector/labels.
* Service: a ``clusterIP`` is allocated and immutable; a LoadBalancer's ``loadBalancerClass``
  may not change once set.
* PersistentVolumeClaim: spec immutable except ``resources.requests``; storage cannot shrink; it
  can only grow when its StorageClass has ``allowVolumeExpansion: true`` (403 otherwise).
* Secret/ConfigMap: ``stringData`` folds into base64 ``data``; ``immutable: true`` freezes data.
* Namespace: ``status.phase`` Active.
* CustomResourceDefinition: refused (422, the server's field paths and wording) when the real
  server would refuse it at creation — see ``konfiguru_generators.crdcheck``: structural schema,
  ``x-kubernetes-*`` consistency, defaults checked against their own schema and every CEL rule
  (``no such key: … evaluating rule: …``), rule form and estimated cost; group, scope, plural and
  kind are immutable.
* Custom resources: unknown fields are pruned (unless preserved), schema defaults are applied and
  the schema is checked (types, enums, bounds, required, CEL rules) with Konfiguru's own schema
  engine (``konfiguru_generators.schema``), rejecting with 422 like the API server.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import defaults
from .cluster import ApiError, invalid

if TYPE_CHECKING:
    from .cluster import Cluster, Obj
    from .resources import ResourceType

STATEFULSET_MUTABLE = {
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
}
_service_ips = iter(ipaddress.ip_network("10.96.0.0/16").hosts())


def default_and_validate(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    causes = validate_metadata(rt, obj)
    if causes:
        raise invalid(rt, _name(obj), causes)
    if rt.schema is not None:
        _custom_resource(cluster, rt, obj)
        return
    # Decoded into the Go type (the zero values of omitempty fields are gone), then defaulted.
    defaults.storage_form(obj)
    defaulter = defaults.DEFAULTERS.get((rt.group, rt.plural))
    if defaulter is not None:
        defaulter(obj)
    rule = _RULES.get((rt.group, rt.plural))
    if rule is not None:
        rule(cluster, rt, obj, old)


_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ANNOTATIONS_MAX_BYTES = 256 * 1024
# Kinds whose names become DNS labels or get suffixes, with their real limits.
_NAME_RULES: dict[tuple[str, str], tuple[re.Pattern[str], int, str]] = {
    ("", "services"): (_DNS_1035_LABEL, 63, "a DNS-1035 label"),
    ("batch", "cronjobs"): (_DNS_SUBDOMAIN, 52, "a DNS-1123 subdomain of at most 52 characters"),
}


def _qualified_name_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label/annotation key or finalizer name (None when valid)."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return "a qualified name's prefix must be a lowercase DNS-1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', start and end "
            "with an alphanumeric character, and be at most 63 characters"
        )
    return None


def validate_metadata(rt: ResourceType, obj: Obj) -> list[tuple[str, str]]:
    """The API server's generic object-meta checks, plus name rules of a few kinds."""
    meta = obj.get("metadata") or {}
    causes: list[tuple[str, str]] = []
    for key, value in (meta.get("labels") or {}).items():
        problem = _qualified_name_problem(key)
        if problem:
            causes.append(("metadata.labels", f'Invalid value: "{key}": {problem}'))
        if (
            not isinstance(value, str)
            or len(value) > 63
            or (value and not _QUALIFIED_NAME.match(value))
        ):
            causes.append(
                (
                    "metadata.labels",
                    f'Invalid value: "{value}": a valid label must be an empty string or '
                    "consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                    "with an "
                    "alphanumeric character (at most 63 characters)",
                )
            )
    annotations = meta.get("annotations") or {}
    for key, value in annotations.items():
        problem = _qualified_name_problem(key)
        if problem:
            causes.append(("metadata.annotations", f'Invalid value: "{key}": {problem}'))
        if not isinstance(value, str):
            causes.append(("metadata.annotations", f"Invalid value: {key}: values must be strings"))
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > _ANNOTATIONS_MAX_BYTES:
        causes.append(
            ("metadata.annotations", f"Too long: must have at most {_ANNOTATIONS_MAX_BYTES} bytes")
        )
    for finalizer in meta.get("finalizers") or []:
        problem = _qualified_name_problem(str(finalizer))
        if problem:
            causes.append(("metadata.finalizers", f'Invalid value: "{finalizer}": {problem}'))
    controllers = 0
    for index, ref in enumerate(meta.get("ownerReferences") or []):
        for field in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(field):
                causes.append((f"metadata.ownerReferences[{index}].{field}", "Required value"))
        controllers += bool(ref.get("controller"))
    if controllers > 1:
        causes.append(
            (
                "metadata.ownerReferences",
                "Invalid value: only one reference can have Controller set to true",
            )
        )
    rule = _NAME_RULES.get((rt.group, rt.plural))
    name = str(meta.get("name", ""))
    if rule is not None and name and (len(name) > rule[1] or not rule[0].match(name)):
        causes.append(("metadata.name", f'Invalid value: "{name}": must be {rule[2]}'))
    if rt.storage_key in (("", "configmaps"), ("", "secrets")):
        for field in ("data", "binaryData", "stringData"):
            for key in obj.get(field) or {}:
                if len(key) > 253 or not _CONFIG_KEY.match(key):
                    causes.append(
                        (
                            f"{field}[{key}]",
                            f'Invalid value: "{key}": a valid config key '
                            "must consist of alphanumeric characters, '-', '_' or '.'",
                        )
                    )
    return causes


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _immutable(rt: ResourceType, obj: Obj, field: str, value: Any) -> ApiError:
    return invalid(rt, _name(obj), [(field, f"Invalid value: {_short(value)}: field is immutable")])


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, sort_keys=True)
    return text if len(text) < 120 else text[:117] + "..."


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (
            op == "NotIn" and labels.get(key) in values
        ):
            return False
        if (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def _workload(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    if rt.kind == "ReplicaSet" and "replicas" not in spec:
        spec["replicas"] = 1
    selector = spec.get("selector")
    labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
    if not selector:
        raise invalid(rt, _name(obj), [("spec.selector", "Required value")])
    if not _selector_matches(selector, labels):
        raise invalid(
            rt,
            _name(obj),
            [
                (
                    "spec.template.metadata.labels",
                    f"Invalid value: {_short(labels)}: `selector` does not match template `labels`",
                )
            ],
        )
    if old is None:
        return
    old_spec = old.get("spec", {})
    if selector != old_spec.get("selector"):
        raise _immutable(rt, obj, "spec.selector", selector)
    if rt.kind == "StatefulSet":
        changed = {k for k in set(spec) | set(old_spec) if spec.get(k) != old_spec.get(k)}
        if changed - STATEFULSET_MUTABLE:
            raise invalid(
                rt,
                _name(obj),
                [
                    (
                        "spec",
                        "Forbidden: updates to statefulset spec for fields other than "
                        "'replicas', 'ordinals', 'template', 'updateStrategy', "
                        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
                        "forbidden",
                    )
                ],
            )


def _job(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    if old is None:
        if not spec.get("manualSelector"):
            uid = obj["metadata"]["uid"]
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
            labels = template_meta.setdefault("labels", {})
            labels["batch.kubernetes.io/controller-uid"] = uid
            labels["batch.kubernetes.io/job-name"] = _name(obj)
            labels["controller-uid"] = uid
            labels["job-name"] = _name(obj)
        return
    old_spec = old.get("spec", {})
    for field in ("template", "selector", "completions", "completionMode"):
        if (
            field in ("completions",)
            and spec.get(field) != old_spec.get(field)
            and spec.get("completionMode") != "Indexed"
        ):
            raise _immutable(rt, obj, f"spec.{field}", spec.get(field))
        if field in ("template", "selector") and spec.get(field) != old_spec.get(field):
            raise _immutable(rt, obj, f"spec.{field}", spec.get(field))


def _cronjob(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    if not spec.get("schedule"):
        raise invalid(rt, _name(obj), [("spec.schedule", "Required value")])


def _service(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if spec["type"] == "ExternalName":
        return
    if old is None:
        if not spec.get("clusterIP"):
            ip = str(next(_service_ips))
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        elif spec["clusterIP"] == "None":
            spec["clusterIPs"] = ["None"]
        return
    old_ip = old.get("spec", {}).get("clusterIP")
    if not spec.get("clusterIP"):
        spec["clusterIP"] = old_ip
        spec["clusterIPs"] = old.get("spec", {}).get("clusterIPs", [old_ip])
    elif spec["clusterIP"] != old_ip:
        raise _immutable(rt, obj, "spec.clusterIPs[0]", spec["clusterIP"])
    old_spec = old.get("spec", {})
    if old_spec.get("type") == spec["type"] == "LoadBalancer" and old_spec.get(
        "loadBalancerClass"
    ) != spec.get("loadBalancerClass"):
        # Set at creation (or when the type becomes LoadBalancer), then fixed.
        value = _short(spec.get("loadBalancerClass"))
        raise invalid(
            rt,
            _name(obj),
            [("spec.loadBalancerClass", f"Invalid value: {value}: may not change once set")],
        )


def _storage_bytes(value: Any) -> float:
    from konfiguru_generators.quantity import parse_quantity

    try:
        return float(parse_quantity(str(value)))
    except ValueError:
        return 0.0


def _pvc(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    if old is None:
        if "storageClassName" not in spec:
            default = _default_storage_class(cluster)
            if default is not None:
                spec["storageClassName"] = default["metadata"]["name"]
        return
    old_spec = old.get("spec", {})
    comparable_new = {
        k: v for k, v in spec.items() if k not in ("resources", "volumeAttributesClassName")
    }
    comparable_old = {
        k: v for k, v in old_spec.items() if k not in ("resources", "volumeAttributesClassName")
    }
    if comparable_new != comparable_old:
        raise invalid(
            rt,
            _name(obj),
            [
                (
                    "spec",
                    "Forbidden: spec is immutable after creation except "
                    "resources.requests and volumeAttributesClassName for bound claims",
                )
            ],
        )
    new_size = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    old_size = ((old_spec.get("resources") or {}).get("requests") or {}).get("storage")
    if new_size == old_size or new_size is None or old_size is None:
        return
    if _storage_bytes(new_size) < _storage_bytes(old_size):
        raise invalid(
            rt,
            _name(obj),
            [
                (
                    "spec.resources.requests.storage",
                    "Forbidden: field can not be less than status.capacity",
                )
            ],
        )
    sc_rt = cluster.catalogue.resolve("storage.k8s.io/v1/storageclasses")
    sc = cluster.find(sc_rt, None, spec.get("storageClassName") or "")
    if sc is None or not sc.get("allowVolumeExpansion"):
        raise ApiError(
            403,
            "Forbidden",
            f'persistentvolumeclaims "{_name(obj)}" is forbidden: only dynamically provisioned '
            "pvc can be "
            "resized and the storageclass that provisions the pvc must support resize",
            details={"name": _name(obj), "kind": "persistentvolumeclaims"},
        )


def _default_storage_class(cluster: Cluster) -> Obj | None:
    sc_rt = cluster.catalogue.resolve("storage.k8s.io/v1/storageclasses")
    items, _, _, _ = cluster.list(sc_rt, None)
    for sc in items:
        annotations = sc["metadata"].get("annotations") or {}
        if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
            return sc
    return None


def _data_holder(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    if rt.kind == "Secret":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
        for key, value in (obj.get("data") or {}).items():
            try:
                base64.b64decode(value, validate=True)
            except (ValueError, TypeError) as e:
                raise invalid(
                    rt, _name(obj), [(f"data[{key}]", "Invalid value: not base64")]
                ) from e
    if old is not None and old.get("immutable"):
        for field in ("data", "binaryData", "immutable"):
            if obj.get(field) != old.get(field):
                raise invalid(
                    rt,
                    _name(obj),
                    [(field, "Forbidden: field is immutable when `immutable` is set")],
                )


def _namespace(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    status = obj.setdefault("status", {})
    status.setdefault(
        "phase", "Terminating" if obj["metadata"].get("deletionTimestamp") else "Active"
    )


def _hpa(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("minReplicas", 1)
    if "maxReplicas" not in spec:
        raise invalid(rt, _name(obj), [("spec.maxReplicas", "Required value")])


# ---------------------------------------------------------------- pod templates

_IANA_SVC_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _port_name_problem(name: str) -> str | None:
    if len(name) > 15 or "--" in name or not _IANA_SVC_NAME.match(name):
        return (
            f'Invalid value: "{name}": must be no more than 15 characters, contain only lowercase '
            "alphanumerics and '-', at least one letter, no '--', and not start or end with '-'"
        )
    return None


def validate_pod_spec(
    spec: Mapping[str, Any], path: str, claims: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """The pod-spec checks a schema cannot express and a real API server makes (422).
    ``claims``: a StatefulSet's volumeClaimTemplates, which pods may mount too."""
    causes: list[tuple[str, str]] = []
    volumes = [v.get("name", "") for v in spec.get("volumes") or []]
    for index, name in enumerate(volumes):
        if not _DNS_1123_LABEL.match(name) or len(name) > 63:
            causes.append(
                (f"{path}.volumes[{index}].name", f'Invalid value: "{name}": a DNS-1123 label')
            )
    if len(set(volumes)) != len(volumes):
        causes.append((f"{path}.volumes", "Duplicate value: volume names must be unique"))
    containers = spec.get("containers") or []
    if not containers:
        causes.append((f"{path}.containers", "Required value"))
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(group) or []):
            where = f"{path}.{group}[{index}]"
            name = container.get("name", "")
            if not name or len(name) > 63 or not _DNS_1123_LABEL.match(name):
                causes.append((f"{where}.name", f'Invalid value: "{name}": a DNS-1123 label'))
            if name in seen:
                causes.append((f"{where}.name", f'Duplicate value: "{name}"'))
            seen.add(name)
            if not container.get("image") and group == "containers":
                causes.append((f"{where}.image", "Required value"))
            port_names: set[str] = set()
            for p_index, port in enumerate(container.get("ports") or []):
                port_name = port.get("name")
                if port_name is not None:
                    problem = _port_name_problem(str(port_name))
                    if problem:
                        causes.append((f"{where}.ports[{p_index}].name", problem))
                    port_names.add(str(port_name))
            for e_index, env in enumerate(container.get("env") or []):
                if not _ENV_NAME.match(str(env.get("name", ""))):
                    causes.append(
                        (
                            f"{where}.env[{e_index}].name",
                            f'Invalid value: "{env.get("name")}": '
                            "a valid environment variable name",
                        )
                    )
            for m_index, mount in enumerate(container.get("volumeMounts") or []):
                if mount.get("name") not in volumes and mount.get("name") not in claims:
                    causes.append(
                        (
                            f"{where}.volumeMounts[{m_index}].name",
                            f'Not found: "{mount.get("name")}"',
                        )
                    )
            for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = container.get(probe_name) or {}
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    port = (probe.get(handler) or {}).get("port")
                    if isinstance(port, str) and port not in port_names:
                        problem = _port_name_problem(port)
                        if problem:
                            causes.append((f"{where}.{probe_name}.{handler}.port", problem))
    return causes


def _pod_template_spec(rt: ResourceType, obj: Obj) -> tuple[Mapping[str, Any] | None, str]:
    spec = obj.get("spec") or {}
    if rt.kind == "CronJob":
        job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
        return (job_spec.get("template") or {}).get("spec"), "spec.jobTemplate.spec.template.spec"
    if rt.kind == "Pod":
        return spec, "spec"
    return (spec.get("template") or {}).get("spec"), "spec.template.spec"


def _pods(rule: Any) -> Any:
    """Wrap a kind rule with the pod-template checks."""

    def checked(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        pod_spec, path = _pod_template_spec(rt, obj)
        if pod_spec is not None:
            templates = (obj.get("spec") or {}).get("volumeClaimTemplates") or []
            claims = tuple((t.get("metadata") or {}).get("name", "") for t in templates)
            causes = validate_pod_spec(pod_spec, path, claims)
            if causes:
                raise invalid(rt, _name(obj), causes)
        if rule is not None:
            rule(cluster, rt, obj, old)

    return checked


def _service_ports(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    ports = (obj.get("spec") or {}).get("ports") or []
    causes: list[tuple[str, str]] = []
    names = [p.get("name") for p in ports]
    for index, port in enumerate(ports):
        if len(ports) > 1 and not port.get("name"):
            causes.append((f"spec.ports[{index}].name", "Required value"))
        name = port.get("name")
        if name and (len(name) > 63 or not _DNS_1123_LABEL.match(name)):
            causes.append(
                (f"spec.ports[{index}].name", f'Invalid value: "{name}": a DNS-1123 label')
            )
        target = port.get("targetPort")
        if isinstance(target, str):
            problem = _port_name_problem(target)
            if problem:
                causes.append((f"spec.ports[{index}].targetPort", problem))
    if len({n for n in names if n}) != len([n for n in names if n]):
        causes.append(("spec.ports", "Duplicate value: port names must be unique"))
    if causes:
        raise invalid(rt, _name(obj), causes)
    _service(cluster, rt, obj, old)


def _pdb(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    if "minAvailable" in spec and "maxUnavailable" in spec:
        raise invalid(
            rt,
            _name(obj),
            [("spec", "Invalid value: minAvailable and maxUnavailable cannot be both set")],
        )


_WORKLOADS = (
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
)
_RULES = {
    **dict.fromkeys(_WORKLOADS, _workload),
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("", "services"): _service,
    ("", "persistentvolumeclaims"): _pvc,
    ("", "secrets"): _data_holder,
    ("", "configmaps"): _data_holder,
    ("", "namespaces"): _namespace,
    ("autoscaling", "horizontalpodautoscalers"): _hpa,
    ("policy", "poddisruptionbudgets"): _pdb,
}
_RULES[("", "services")] = _service_ports
for _kind in (*_WORKLOADS, ("batch", "jobs"), ("batch", "cronjobs"), ("", "pods")):
    _RULES[_kind] = _pods(_RULES.get(_kind))


# ---------------------------------------------------------------- custom resources


def _crd(cluster: Cluster, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    """A CRD the real server would refuse is refused (see ``konfiguru_generators.crdcheck``):
    a structural or ``x-kubernetes-*`` mistake, a default that fails its own schema or a CEL
    rule, a rule too costly; on update, group, plural, scope and kind stay."""
    from konfiguru_generators.crdcheck import check_crd

    causes = [(problem.field, problem.detail) for problem in check_crd(obj)]
    if old is not None:
        for field, new_value, old_value in (
            ("spec.group", obj["spec"].get("group"), old["spec"].get("group")),
            ("spec.scope", obj["spec"].get("scope"), old["spec"].get("scope")),
            (
                "spec.names.plural",
                obj["spec"]["names"].get("plural"),
                old["spec"]["names"].get("plural"),
            ),
            ("spec.names.kind", obj["spec"]["names"].get("kind"), old["spec"]["names"].get("kind")),
        ):
            if new_value != old_value:
                causes.append((field, f"Invalid value: {_short(new_value)}: field is immutable"))
    if causes:
        raise invalid(rt, _name(obj), causes)


_RULES[("apiextensions.k8s.io", "customresourcedefinitions")] = _crd


def _custom_resource(cluster: Cluster, rt: ResourceType, obj: Obj) -> None:
    from konfiguru_generators.crdcheck import prune
    from konfiguru_generators.schema import default_and_check

    assert rt.schema is not None
    properties = rt.schema.get("properties", {})
    causes: list[tuple[str, str]] = []
    removed: list[str] = []
    for top in list(obj):
        if top in ("apiVersion", "kind", "metadata"):
            continue
        sub = properties.get(top)
        if sub is None:
            if not rt.schema.get("x-kubernetes-preserve-unknown-fields"):
                del obj[top]
                removed.append(top)
            continue
        obj[top] = prune(sub, obj[top], top, removed)
    if removed and cluster.strict_fields:
        unknown = ", ".join(f'unknown field "{path}"' for path in removed)
        raise ApiError(
            400,
            "BadRequest",
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
            f"strict decoding error: {unknown}",
        )
    for top, sub in properties.items():
        if top in ("apiVersion", "kind", "metadata"):
            continue
        if top not in obj:
            if "default" not in sub:
                continue
            obj[top] = copy.deepcopy(sub["default"])
        if isinstance(obj[top], dict):
            for error in default_and_check(sub, obj[top], top):
                shown = (
                    ""
                    if repr(error.value) == "MISSING"
                    else f"Invalid value: {_short(error.value)}: "
                )
                causes.append((error.path, f"{shown}{error.message}"))
    for name in rt.schema.get("required", []):
        if name not in obj:
            causes.append((name, "Required value"))
    if causes and cluster.schema_validation:
        raise invalid(rt, _name(obj), causes)


def revision_hash(template: Any) -> str:
    """A stable short hash of a pod template (for StatefulSet revisions)."""
    import json

    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
