"""An App with ``workload: StatefulSet``: stable pod identities, a volume per pod, a headless
Service. Called by ``render.py``.

What Kubernetes gives a StatefulSet and Konfiguru wires up: pods named ``<app>-<ordinal>`` that
keep their name, DNS entry (``<pod>.<app>-headless.<namespace>.svc``) and volumes
(``<volume>-<app>-<ordinal>``) across restarts and rescheduling. Each pod learns who it is from
its environment (``POD_NAME``, ``POD_NAMESPACE``, ``POD_ORDINAL`` from the pod-index label,
``POD_DNS``) and who its peers are (``PEERS``, every member's DNS name, for seed lists such as
Elasticsearch's ``discovery.seed_hosts`` or a Kafka quorum). The headless Service publishes
not-ready pods, so members find each other before they are ready.

What it does not do: replicate or rebalance data. A new ordinal starts with an empty volume and
a removed one leaves its volume behind (``whenScaled: Retain``); the application's own
clustering moves data between members.

Volume sizes grow like a Database's (``konfiguru_generators.volumes``): :func:`resize_plan` is
what the operator calls, and rendering refuses a shrink the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ... import labels, volumes
from ...model import Existing
from ...podspec import Fragment
from ..base import Manifest, Resource
from . import names
from .render_config import PodParts

POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
"""Set by the StatefulSet controller on every pod (Kubernetes 1.28+, on by default)."""
IDENTITY_ENV = ("POD_NAME", "POD_NAMESPACE", "POD_ORDINAL", "POD_DNS", "PEERS")


def claims(app: str, spec: Mapping[str, Any]) -> list[volumes.Claim]:
    """The App's claim templates with the spec path of each size."""
    return [
        volumes.Claim(volume["name"], app, str(volume["size"]), f"spec.volumes[{index}].size")
        for index, volume in enumerate(spec.get("volumes") or [])
    ]


def resize_plan(resource: Mapping[str, Any], existing: Existing) -> list[tuple[str, str]]:
    """``[(pvc_name, new_size)]``: the existing per-pod volumes of this App to grow in place.

    ``resource`` is the App as defaulted by ``konfiguru_generators.validate``. Raises a
    :class:`SpecError` naming ``spec.volumes[i].size`` when a volume would shrink.
    """
    name = str(resource["metadata"]["name"])
    return volumes.growth_plan(claims(name, resource["spec"]), existing)


def identity_env(resource: Resource) -> dict[str, Fragment]:
    """Who this pod is and who its peers are; later entries may use earlier ones as $(VAR)."""
    headless = names.headless_name(resource.name)
    members = ",".join(
        f"{resource.name}-{ordinal}.{headless}.$(POD_NAMESPACE).svc"
        for ordinal in range(resource.spec["replicas"])
    )
    return {
        "POD_NAME": _field("POD_NAME", "metadata.name"),
        "POD_NAMESPACE": _field("POD_NAMESPACE", "metadata.namespace"),
        "POD_ORDINAL": _field("POD_ORDINAL", f"metadata.labels['{POD_INDEX_LABEL}']"),
        "POD_DNS": {"name": "POD_DNS", "value": f"$(POD_NAME).{headless}.$(POD_NAMESPACE).svc"},
        "PEERS": {"name": "PEERS", "value": members},
    }


def _field(name: str, path: str) -> Fragment:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def volume_mounts(spec: Mapping[str, Any]) -> list[Fragment]:
    return [
        {"name": volume["name"], "mountPath": volume["mountPath"]}
        for volume in spec.get("volumes") or []
    ]


def claim_templates(resource: Resource, component: str) -> list[Fragment]:
    """One claim template per volume. The StatefulSet controller, not the operator, creates the
    PVCs, so they carry no ownerReference: the owner labels are how the operator finds them (for
    ``Existing.pvc_sizes``). Nothing that may change goes here (no user labels, no version): the
    templates are immutable."""
    claim_labels = labels.object_labels(resource.name, component, resource.kind)
    uid = resource.metadata.get("uid")
    if uid:
        claim_labels[labels.OWNER_UID] = str(uid)
    templates = []
    for volume in resource.spec.get("volumes") or []:
        claim: Fragment = {
            "accessModes": [volume["accessMode"]],
            "resources": {"requests": {"storage": str(volume["size"])}},
        }
        if volume.get("storageClass"):
            claim["storageClassName"] = volume["storageClass"]
        templates.append(
            {"metadata": {"name": volume["name"], "labels": claim_labels}, "spec": claim}
        )
    return templates


def pod_parts(resource: Resource, parts: PodParts) -> PodParts:
    """What the StatefulSet's own pods get besides the app's config: the identity variables
    first (user env of the same name replaces them in place) and the volume mounts."""
    return replace(
        parts,
        env={**identity_env(resource), **parts.env},
        mounts=[*parts.mounts, *volume_mounts(resource.spec)],
    )


def render_statefulset(resource: Resource, common: Mapping[str, Any]) -> list[Manifest]:
    """The StatefulSet and its headless Service; ``common`` is what every workload shares."""
    spec = resource.spec
    note = volumes.growth_note(
        resize_plan({"metadata": {"name": resource.name}, "spec": spec}, resource.existing)
    )
    if note:
        resource.notes.append(note)
    if spec.get("volumes") and spec["security"].get("fsGroup") is None:
        resource.notes.append(
            "spec.volumes: no security.fsGroup is set, so the volumes stay owned by root; set"
            " it to the image's group if the app runs as non-root and writes to them"
        )
    headless = names.headless_name(resource.name)
    return [
        resource.template(
            "app/service-headless.yaml.j2",
            name=headless,
            labels=resource.labels(names.COMPONENT),
            selector=resource.selector(names.COMPONENT),
            ports=common["service_ports"],
        ),
        resource.template(
            "app/statefulset.yaml.j2",
            labels=common["labels"],
            annotations=common["annotations"],
            selector=common["selector"],
            pod_template=common["pod_template"],
            service_name=headless,
            replicas=spec["replicas"],
            pod_management_policy=(spec.get("statefulSet") or {}).get("podManagementPolicy"),
            claim_templates=claim_templates(resource, names.COMPONENT),
        ),
    ]
