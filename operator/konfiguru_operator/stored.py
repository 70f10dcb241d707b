"""What the Kubernetes API server stores for a built-in object it is sent: zero values it drops.

A built-in object is decoded into its Go type, defaulted, stored (protobuf) and encoded back with
``encoding/json``. A field declared ``json:",omitempty"`` with a *value* type (``int32``,
``bool``, ``string`` and named string types) is then missing whenever it holds its zero value:
``initialDelaySeconds: 0`` in a probe, ``readOnly: false`` in a volume mount, ``value: ""`` in an
env var come back absent. A *pointer* field (``*int32``, ``*bool``) keeps its zero
(``replicas: 0``, ``automountServiceAccountToken: false``, ``runAsUser: 0``), and so does a field
without ``omitempty`` (``containerPort``). Empty lists and maps come back absent too (protobuf does
not tell an empty list from none); an empty *struct* (``emptyDir: {}``, ``resources: {}``) stays.

Who uses it: ``apply.py`` compares the desired child *as the server stores it* with the live copy
(a dropped zero is not a difference, so a no-op resync writes nothing), and the API emulator
(``tests/emulator``) stores built-in objects the same way. Custom resources are stored as sent
(JSON, no Go types): nothing here applies to them.

The table is written from the Go types of ``k8s.io/api`` (``core/v1``, ``apps/v1``, ``batch/v1``,
``networking/v1``, ``autoscaling/v2``, ``policy/v1``, ``rbac/v1``), for the types Konfiguru's
children use: :data:`DROP` marks an ``omitempty`` value field (zero dropped), :data:`KEEP` a
pointer or non-``omitempty`` field whose zero is stored. A field not listed is treated as
:data:`KEEP`: for the comparison that costs at most a write, never a missed drift. Tests check every
listed field against the API's OpenAPI schemas (kubernetes-validate, 1.30 and 1.37), and that every
zero value a generator emits for a built-in kind is classified here
(``tests/unit/test_stored.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

JSON = dict[str, Any]
DROP: Final = "drop"  # omitempty value field: the zero value is not stored
KEEP: Final = "keep"  # pointer or required field: the zero value is stored
MAP: Final = "map"  # a map (not a struct): empty means absent

Node = Mapping[str, Any]  # field name → DROP, KEEP, MAP or a nested Node (struct or list of them)

_META: Node = {"name": DROP, "namespace": DROP, "generateName": DROP}
_LABEL_SELECTOR: Node = {}  # matchLabels (map) and matchExpressions (list): empties only
_OBJECT_REF: Node = {"name": DROP, "optional": KEEP}
_KEY_REF: Node = {"name": DROP, "key": KEEP, "optional": KEEP}
_KEY_TO_PATH: Node = {"mode": KEEP}
_PROBE: Node = {
    "initialDelaySeconds": DROP,
    "timeoutSeconds": DROP,
    "periodSeconds": DROP,
    "successThreshold": DROP,
    "failureThreshold": DROP,
    "terminationGracePeriodSeconds": KEEP,
    "httpGet": {"path": DROP, "host": DROP, "scheme": DROP},
    "tcpSocket": {"host": DROP},
    "grpc": {"port": KEEP, "service": KEEP},
}
_SECURITY_CONTEXT: Node = {
    "privileged": KEEP,
    "runAsUser": KEEP,
    "runAsGroup": KEEP,
    "runAsNonRoot": KEEP,
    "readOnlyRootFilesystem": KEEP,
    "allowPrivilegeEscalation": KEEP,
    "seccompProfile": {"localhostProfile": KEEP},
}
_CONTAINER: Node = {
    "image": DROP,
    "workingDir": DROP,
    "ports": {
        "containerPort": KEEP,
        "hostPort": DROP,
        "protocol": DROP,
        "hostIP": DROP,
        "name": DROP,
    },
    "env": {
        "value": DROP,
        "valueFrom": {
            "secretKeyRef": _KEY_REF,
            "configMapKeyRef": _KEY_REF,
            "fieldRef": {"apiVersion": DROP},
            "resourceFieldRef": {"containerName": DROP},
        },
    },
    "envFrom": {"prefix": DROP, "configMapRef": _OBJECT_REF, "secretRef": _OBJECT_REF},
    "volumeMounts": {"readOnly": DROP, "subPath": DROP, "subPathExpr": DROP},
    "livenessProbe": _PROBE,
    "readinessProbe": _PROBE,
    "startupProbe": _PROBE,
    "terminationMessagePath": DROP,
    "terminationMessagePolicy": DROP,
    "imagePullPolicy": DROP,
    "securityContext": _SECURITY_CONTEXT,
    "stdin": DROP,
    "stdinOnce": DROP,
    "tty": DROP,
    "restartPolicy": KEEP,
}
_POD_SPEC: Node = {
    "volumes": {
        "emptyDir": {"medium": DROP, "sizeLimit": KEEP},
        "secret": {
            "secretName": DROP,
            "defaultMode": KEEP,
            "optional": KEEP,
            "items": _KEY_TO_PATH,
        },
        "configMap": {"name": DROP, "defaultMode": KEEP, "optional": KEEP, "items": _KEY_TO_PATH},
        "persistentVolumeClaim": {"readOnly": DROP},
        "nfs": {"readOnly": DROP},
        "projected": {"defaultMode": KEEP},
    },
    "initContainers": _CONTAINER,
    "containers": _CONTAINER,
    "restartPolicy": DROP,
    "terminationGracePeriodSeconds": KEEP,
    "activeDeadlineSeconds": KEEP,
    "dnsPolicy": DROP,
    "nodeSelector": MAP,
    "serviceAccountName": DROP,
    "serviceAccount": DROP,
    "automountServiceAccountToken": KEEP,
    "nodeName": DROP,
    "hostNetwork": DROP,
    "hostPID": DROP,
    "hostIPC": DROP,
    "shareProcessNamespace": KEEP,
    "securityContext": {
        "runAsUser": KEEP,
        "runAsGroup": KEEP,
        "runAsNonRoot": KEEP,
        "fsGroup": KEEP,
        "supplementalGroups": KEEP,
        "seccompProfile": {"localhostProfile": KEEP},
    },
    "hostname": DROP,
    "subdomain": DROP,
    "schedulerName": DROP,
    "tolerations": {
        "key": DROP,
        "operator": DROP,
        "value": DROP,
        "effect": DROP,
        "tolerationSeconds": KEEP,
    },
    "priorityClassName": DROP,
    "priority": KEEP,
    "enableServiceLinks": KEEP,
    "setHostnameAsFQDN": KEEP,
    "hostUsers": KEEP,
    "topologySpreadConstraints": {"maxSkew": KEEP, "minDomains": KEEP},
}
_POD_TEMPLATE: Node = {"metadata": _META, "spec": _POD_SPEC}
_JOB_SPEC: Node = {
    "parallelism": KEEP,
    "completions": KEEP,
    "activeDeadlineSeconds": KEEP,
    "backoffLimit": KEEP,
    "backoffLimitPerIndex": KEEP,
    "maxFailedIndexes": KEEP,
    "ttlSecondsAfterFinished": KEEP,
    "suspend": KEEP,
    "manualSelector": KEEP,
    "podFailurePolicy": {"rules": {"onExitCodes": {"containerName": KEEP, "values": KEEP}}},
    "selector": _LABEL_SELECTOR,
    "template": _POD_TEMPLATE,
}
_PVC_SPEC: Node = {"volumeName": DROP, "storageClassName": KEEP, "volumeMode": KEEP}
_HPA_RULES: Node = {"stabilizationWindowSeconds": KEEP, "policies": {"value": KEEP}}

# Kind → the fields of its Go type (top level).
KINDS: Final[Mapping[str, Node]] = {
    "Deployment": {
        "spec": {
            "replicas": KEEP,
            "minReadySeconds": DROP,
            "paused": DROP,
            "revisionHistoryLimit": KEEP,
            "progressDeadlineSeconds": KEEP,
            "selector": _LABEL_SELECTOR,
            "strategy": {"type": DROP},
            "template": _POD_TEMPLATE,
        }
    },
    "StatefulSet": {
        "spec": {
            "replicas": KEEP,
            "podManagementPolicy": DROP,
            "minReadySeconds": DROP,
            "revisionHistoryLimit": KEEP,
            "selector": _LABEL_SELECTOR,
            "template": _POD_TEMPLATE,
            "updateStrategy": {"type": DROP, "rollingUpdate": {"partition": KEEP}},
            "volumeClaimTemplates": {"metadata": _META, "spec": _PVC_SPEC},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": DROP, "whenScaled": DROP},
        }
    },
    "DaemonSet": {
        "spec": {
            "minReadySeconds": DROP,
            "revisionHistoryLimit": KEEP,
            "selector": _LABEL_SELECTOR,
            "template": _POD_TEMPLATE,
            "updateStrategy": {"type": DROP},
        }
    },
    "Job": {"spec": _JOB_SPEC},
    "CronJob": {
        "spec": {
            "timeZone": KEEP,
            "startingDeadlineSeconds": KEEP,
            "concurrencyPolicy": DROP,
            "suspend": KEEP,
            "successfulJobsHistoryLimit": KEEP,
            "failedJobsHistoryLimit": KEEP,
            "jobTemplate": {"metadata": _META, "spec": _JOB_SPEC},
        }
    },
    "Service": {
        "spec": {
            "ports": {
                "name": DROP,
                "protocol": DROP,
                "appProtocol": KEEP,
                "port": KEEP,
                "nodePort": DROP,
            },
            "selector": MAP,
            "clusterIP": DROP,
            "type": DROP,
            "sessionAffinity": DROP,
            "publishNotReadyAddresses": DROP,
            "externalTrafficPolicy": DROP,
            "externalName": DROP,
            "allocateLoadBalancerNodePorts": KEEP,
        }
    },
    "Ingress": {
        "spec": {
            "ingressClassName": KEEP,
            "tls": {"secretName": DROP},
            "rules": {
                "host": DROP,
                "http": {
                    "paths": {
                        "path": DROP,
                        "backend": {"service": {"port": {"name": DROP, "number": DROP}}},
                    }
                },
            },
        }
    },
    "NetworkPolicy": {
        "spec": {
            "podSelector": _LABEL_SELECTOR,
            "ingress": {
                "ports": {"protocol": KEEP, "port": KEEP, "endPort": KEEP},
                "from": {"podSelector": _LABEL_SELECTOR, "namespaceSelector": _LABEL_SELECTOR},
            },
            "egress": {
                "ports": {"protocol": KEEP, "port": KEEP, "endPort": KEEP},
                "to": {"podSelector": _LABEL_SELECTOR, "namespaceSelector": _LABEL_SELECTOR},
            },
        }
    },
    "HorizontalPodAutoscaler": {
        "spec": {
            "scaleTargetRef": {"apiVersion": DROP},
            "minReplicas": KEEP,
            "maxReplicas": KEEP,
            "metrics": {"resource": {"target": {"averageUtilization": KEEP}}},
            "behavior": {"scaleUp": _HPA_RULES, "scaleDown": _HPA_RULES},
        }
    },
    "PodDisruptionBudget": {
        "spec": {"minAvailable": KEEP, "maxUnavailable": KEEP, "selector": _LABEL_SELECTOR}
    },
    "ServiceAccount": {"automountServiceAccountToken": KEEP},
    "Role": {"rules": {"apiGroups": KEEP}},
    "RoleBinding": {"subjects": {"apiGroup": DROP, "namespace": DROP}},
    "ConfigMap": {"data": MAP, "binaryData": MAP, "immutable": KEEP},
    "Secret": {"data": MAP, "stringData": MAP, "type": DROP, "immutable": KEEP},
    "PersistentVolumeClaim": {"spec": _PVC_SPEC},
}
# Maps wherever they appear (a struct field of one of these names does not exist in these kinds).
_MAPS = frozenset(
    {"labels", "annotations", "matchLabels", "nodeSelector", "limits", "requests", "capacity"}
)


def is_zero(value: Any) -> bool:
    """Go's zero value of a scalar: ``0``, ``false`` or an empty string."""
    return value is False or value == "" or (type(value) is int and value == 0)


def rule(kind: str, path: tuple[str, ...]) -> str | None:
    """How the server stores ``path`` (field names; list indexes left out) of a ``kind``:
    :data:`DROP`, :data:`KEEP`, :data:`MAP`, ``"struct"``, or None when the table does not say."""
    node: Any = KINDS.get(kind)
    for name in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
    if node is None and path and path[-1] in _MAPS:
        return MAP
    return "struct" if isinstance(node, Mapping) else node


def drop_zeros(obj: JSON) -> None:
    """Turn ``obj`` (in place) into what the API server stores: for a built-in kind in
    :data:`KINDS`, without the zero values of ``omitempty`` value fields and without empty lists
    and maps. Other kinds are left as they are."""
    node = KINDS.get(str(obj.get("kind")))
    if node is not None:
        _strip(obj, node)


def _strip(value: Any, node: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _strip(item, node)
        return
    if not isinstance(value, dict):
        return
    fields: Mapping[str, Any] = node if isinstance(node, Mapping) else {}
    for key in list(value):
        item = value[key]
        sub = fields.get(key)
        if (sub == DROP and is_zero(item)) or (
            item == [] or (item == {} and (sub == MAP or key in _MAPS))
        ):
            del value[key]  # omitempty: the zero value, an empty list or map is stored as absent
        else:
            _strip(item, sub)
