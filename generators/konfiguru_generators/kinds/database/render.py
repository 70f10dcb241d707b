"""Database spec (defaulted, checked) → manifests. Pure; one template per object.

Children of Database "<name>":

- ServiceAccount "<name>" (no token), NetworkPolicy "<name>", PodDisruptionBudget "<name>"
  (maxUnavailable 1);
- Secret "<name>-credentials" (see ``credentials.py``) and, for a mongodb replica set, Secret
  "<name>-keyfile": both left out, with a note, when their values are unknown;
- ConfigMap "<name>-config": the engine's configuration file (``config.py``) and mongodb scripts;
- Service "<name>-headless" (clusterIP None, publishNotReadyAddresses) named in the
  StatefulSet's serviceName, Service "<name>" for clients (for redis with replicas: the primary
  only) and, for redis with replicas, Service "<name>-read" (every pod);
- StatefulSet "<name>" with volumeClaimTemplate "data" (PVCs ``data-<name>-<i>``);
- with ``backup``: CronJob "<name>-backup" and, for a PVC destination, PVC "<name>-backup";
- with ``backup`` or a replica set: NetworkPolicy "<name>-jobs" admitting nothing into the
  backup and rs-init pods (they only connect out);
- for a mongodb replica set: Job "<name>-rsinit-<N>" (``replicaset.py``).

``deletionPolicy`` is expressed as the StatefulSet's ``persistentVolumeClaimRetentionPolicy``
(``whenDeleted: Retain|Delete``; the PVCs are owned by the StatefulSet, so Kubernetes deletes
them or not) and as the annotation ``konfiguru.io/deletion-policy`` on the backup PVC and the
generated Secrets. Those are direct children of the Database: with
``Retain`` the operator must not let garbage collection take them (remove their
ownerReference when the Database is being deleted) and says which objects were kept. The
Secrets matter as much as the volumes: the data directory only knows the passwords it was
initialised with, so a Database re-created over retained volumes must find and reuse the old
"<name>-credentials" (``Existing.secrets``), not generate new passwords.

Called by ``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ... import podspec
from ...labels import COMPONENT as COMPONENT_LABEL
from ...labels import object_labels
from ...netpeers import connect_to_peer, namespace_peer, owned_by, resource_peer
from ...volumes import growth_note
from ..base import Manifest, Resource
from . import backup, containers, credentials, replicaset, shapes, storage
from .config import config_data
from .engines import BACKUP_DIR, ENGINES, PASSWORD_KEY, TMP, Engine, major_version

COMPONENT = "database"
BACKUP_COMPONENT = "backup"
RSINIT_COMPONENT = "rsinit"
_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"


def render(resource: Resource) -> list[Manifest]:
    spec = resource.spec
    name = resource.name
    engine = ENGINES[spec["engine"]]
    major = major_version(spec["version"])
    image = spec.get("image") or engine.image(spec["version"])
    labels = _labels(resource, COMPONENT, spec["version"])
    selector = resource.selector(COMPONENT)
    replica_set = engine.name == "mongodb" and spec["replicas"] > 1
    monitoring = bool(spec.get("monitoring", {}).get("enabled"))

    note = growth_note(
        storage.resize_plan({"metadata": {"name": name}, "spec": spec}, resource.existing)
    )
    if note:
        resource.notes.append(note)

    objects: list[Manifest] = [
        resource.template("database/serviceaccount.yaml.j2", labels=labels),
        _network_policy(resource, engine, labels, selector, monitoring),
        resource.template("database/poddisruptionbudget.yaml.j2", labels=labels, selector=selector),
    ]
    objects += _secrets(resource, engine, labels, replica_set)

    config = config_data(engine, spec.get("parameters") or {}, major)
    scripts = replicaset.scripts() if engine.name == "mongodb" else {}
    objects.append(
        resource.template(
            "database/configmap.yaml.j2",
            name=f"{name}-config",
            labels=labels,
            data={**config, **scripts},
        )
    )
    objects += _services(resource, engine, labels, selector, monitoring)

    pod_security = shapes.pod_security(spec["security"])
    objects.append(
        resource.template(
            "database/statefulset.yaml.j2",
            labels=labels,
            selector=selector,
            service_name=credentials.headless_name(name),
            replicas=spec["replicas"],
            deletion_policy=spec["deletionPolicy"],
            pod_annotations=_pod_annotations(engine, config, monitoring),
            pod_spec=_pod_spec(resource, engine, major, image, pod_security, monitoring),
            claim_templates=[_claim_template(resource)],
        )
    )
    if spec.get("backup") is not None or replica_set:
        objects.append(_jobs_network_policy(resource, labels))
    if spec.get("backup") is not None:
        objects += _backup(resource, engine, image, pod_security)
    if replica_set:
        job_labels = _labels(resource, RSINIT_COMPONENT, spec["version"])
        objects.append(
            resource.template(
                "database/job.yaml.j2",
                name=replicaset.job_name(name, spec["replicas"]),
                labels=job_labels,
                pod_spec=replicaset.job_pod_spec(engine, name, spec, image, pod_security),
            )
        )
    return objects


def _labels(resource: Resource, component: str, version: str | None = None) -> dict[str, str]:
    # The Database has no user labels: the data PVCs copy these, and a claim template is
    # immutable, so only labels Konfiguru keeps stable belong here.
    return object_labels(resource.name, component, resource.kind, None, version)


def _secrets(
    resource: Resource, engine: Engine, labels: dict[str, str], replica_set: bool
) -> list[Manifest]:
    name = resource.name
    data = credentials.credentials_data(resource, engine)
    keyfile = credentials.keyfile_data(resource) if replica_set else {}
    if data is None or keyfile is None:
        resource.notes.append(credentials.missing_note(name, replica_set))
        return []
    objects = [
        resource.template(
            "database/secret.yaml.j2",
            name=credentials.secret_name(name),
            labels=labels,
            generated_keys=",".join((PASSWORD_KEY, *engine.extra_passwords)),
            deletion_policy=resource.spec["deletionPolicy"],
            data=_encode(data),
        )
    ]
    if replica_set:
        objects.append(
            resource.template(
                "database/secret.yaml.j2",
                name=credentials.keyfile_secret_name(name),
                labels=labels,
                generated_keys=credentials.KEYFILE_KEY,
                deletion_policy=resource.spec["deletionPolicy"],
                data=_encode(keyfile),
            )
        )
    return objects


def _encode(data: dict[str, str]) -> dict[str, str]:
    return {key: base64.b64encode(value.encode()).decode() for key, value in sorted(data.items())}


def _service_port(engine: Engine) -> dict[str, Any]:
    return {"name": engine.name, "port": engine.port, "targetPort": engine.name, "protocol": "TCP"}


def _services(
    resource: Resource,
    engine: Engine,
    labels: dict[str, str],
    selector: dict[str, str],
    monitoring: bool,
) -> list[Manifest]:
    name = resource.name
    headless_ports = [_service_port(engine)]
    if monitoring:
        headless_ports.append(
            {
                "name": containers.METRICS_PORT_NAME,
                "port": engine.exporter.port,
                "targetPort": containers.METRICS_PORT_NAME,
                "protocol": "TCP",
            }
        )
    primary_only = engine.name == "redis" and resource.spec["replicas"] > 1
    client_selector = dict(selector)
    if primary_only:
        # Writes must reach the primary, pod 0; the StatefulSet controller labels each pod.
        client_selector[_POD_NAME_LABEL] = f"{name}-0"
    objects = [
        resource.template(
            "database/service.yaml.j2",
            name=credentials.headless_name(name),
            labels=labels,
            headless=True,
            selector=selector,
            ports=headless_ports,
        ),
        resource.template(
            "database/service.yaml.j2",
            name=name,
            labels=labels,
            headless=False,
            selector=client_selector,
            ports=[_service_port(engine)],
        ),
    ]
    if primary_only:
        # Reads may go to any pod (the primary too): a Service selector cannot exclude pod 0.
        objects.append(
            resource.template(
                "database/service.yaml.j2",
                name=f"{name}-read",
                labels=labels,
                headless=False,
                selector=selector,
                ports=[_service_port(engine)],
            )
        )
    return objects


def _pod_annotations(engine: Engine, config: dict[str, str], monitoring: bool) -> dict[str, str]:
    # Settings are read at start: a changed configuration rolls the pods.
    digest = hashlib.sha256(config[engine.config_file].encode()).hexdigest()[:16]
    annotations = {"konfiguru.io/config-hash": digest}
    if monitoring:
        annotations.update(
            {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(engine.exporter.port),
                "prometheus.io/path": "/metrics",
            }
        )
    return annotations


def _pod_spec(
    resource: Resource,
    engine: Engine,
    major: int,
    image: str,
    pod_security: dict[str, Any],
    monitoring: bool,
) -> dict[str, Any]:
    spec = resource.spec
    name = resource.name
    scratch_volumes, scratch_mounts = containers.scratch(
        engine, list(spec["security"].get("writablePaths") or [])
    )
    pod: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        # Service environment variables (REDIS_PORT=tcp://...) can clash with the image's own.
        "enableServiceLinks": False,
        "securityContext": pod_security,
        # Time for a clean shutdown (a checkpoint, an AOF flush) before SIGKILL.
        "terminationGracePeriodSeconds": 60,
    }
    volumes = [containers.config_volume(name), *scratch_volumes]
    if engine.name == "mongodb" and spec["replicas"] > 1:
        pod["initContainers"] = [containers.keyfile_init_container(image, spec["security"])]
        volumes += containers.keyfile_volumes(name)
    pod_containers = [containers.engine_container(engine, name, spec, major, image, scratch_mounts)]
    if monitoring:
        pod_containers.append(containers.exporter_container(engine, name, spec, spec["security"]))
    pod["containers"] = pod_containers
    pod["volumes"] = volumes
    if spec["replicas"] > 1:
        pod["topologySpreadConstraints"] = podspec.topology_spread(resource.selector(COMPONENT))
    return pod


def _claim_template(resource: Resource) -> dict[str, Any]:
    spec = resource.spec
    claim: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": str(spec["storage"]["size"])}},
    }
    if spec["storage"].get("storageClass"):
        claim["storageClassName"] = spec["storage"]["storageClass"]
    # The StatefulSet controller, not the operator, creates these PVCs, so they carry no
    # ownerReference to the Database: their names (data-<name>-<ordinal>) and owner-kind and
    # owner-name labels are how the operator finds them (for Existing.pvc_sizes). Nothing that
    # may change goes here (no version, no owner uid: a Database re-created over retained volumes
    # has a new one): the template is immutable and must equal the offline render.
    claim_labels = _labels(resource, COMPONENT)
    return {"metadata": {"name": storage.CLAIM_TEMPLATE, "labels": claim_labels}, "spec": claim}


def _network_policy(
    resource: Resource,
    engine: Engine,
    labels: dict[str, str],
    selector: dict[str, str],
    monitoring: bool,
) -> Manifest:
    """The database port for its own pods, the Apps that list it in ``connectTo`` (same
    namespace) and those in ``connectFrom`` (everyone in the namespace without a
    ``connectFrom``); the exporter port for Prometheus' namespace only."""
    spec = resource.spec
    port = [{"port": engine.port, "protocol": "TCP"}]
    # The Database's own pods: replicas, replica set members, backups, the rs-init Job.
    own = {"podSelector": {"matchLabels": owned_by(resource.kind, resource.name)}}
    peers: list[dict[str, Any]] = [own, connect_to_peer(resource.kind, resource.name)]
    connect_from = spec.get("connectFrom")
    if connect_from is None:
        peers.append({"podSelector": {}})
    else:
        for source in connect_from:
            peers.append(resource_peer(source["app"], source.get("namespace")))
    ingress: list[dict[str, Any]] = [{"from": peers, "ports": port}]
    if monitoring:
        ingress.append(
            {
                "from": [namespace_peer(spec["monitoring"]["namespace"])],
                "ports": [{"port": engine.exporter.port, "protocol": "TCP"}],
            }
        )
    return resource.template(
        "database/networkpolicy.yaml.j2",
        name=resource.name,
        labels=labels,
        pod_selector={"matchLabels": selector},
        ingress=ingress,
    )


def _jobs_network_policy(resource: Resource, labels: dict[str, str]) -> Manifest:
    """Backup and rs-init pods only connect out: no ingress at all."""
    return resource.template(
        "database/networkpolicy.yaml.j2",
        name=f"{resource.name}-jobs",
        labels=labels,
        pod_selector={
            "matchLabels": owned_by(resource.kind, resource.name),
            "matchExpressions": [
                {
                    "key": COMPONENT_LABEL,
                    "operator": "In",
                    "values": [BACKUP_COMPONENT, RSINIT_COMPONENT],
                }
            ],
        },
        ingress=[],
    )


def _backup(
    resource: Resource, engine: Engine, image: str, pod_security: dict[str, Any]
) -> list[Manifest]:
    spec = resource.spec
    name = resource.name
    settings = spec["backup"]
    mode, keep = backup.retention(settings)
    labels = _labels(resource, BACKUP_COMPONENT, spec["version"])
    security = spec["security"]
    container_security = shapes.container_security(security)
    resources = shapes.resources(settings["resources"])
    tmp_volume, tmp_mount = podspec.scratch_volume("tmp", TMP)
    env = [*backup.dump_env(engine, name, spec), {"name": "KEEP", "value": str(keep)}]
    destination = settings["destination"]
    objects: list[Manifest] = []
    pod: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": pod_security,
    }
    backup_mount = {"name": "backup", "mountPath": BACKUP_DIR}

    def container(
        container_name: str,
        container_image: str,
        script: str,
        container_env: list[dict[str, Any]],
        mount: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "name": container_name,
            "image": container_image,
            "command": ["bash", "-c", script],
            "env": container_env,
            "resources": resources,
            "securityContext": container_security,
            "volumeMounts": [mount, tmp_mount],
        }

    if "pvc" in destination:
        pvc = destination["pvc"]
        objects.append(
            resource.template(
                "database/persistentvolumeclaim.yaml.j2",
                name=f"{name}-backup",
                labels=labels,
                deletion_policy=spec["deletionPolicy"],
                storage_class=pvc.get("storageClass"),
                size=str(pvc["size"]),
            )
        )
        pod["containers"] = [
            container("backup", image, backup.local_script(engine, mode), env, backup_mount)
        ]
        pod["volumes"] = [
            {"name": "backup", "persistentVolumeClaim": {"claimName": f"{name}-backup"}},
            tmp_volume,
        ]
    else:
        s3 = destination["s3"]
        upload_env: list[dict[str, Any]] = [
            {"name": "BUCKET", "value": s3["bucket"]},
            {"name": "PREFIX", "value": s3.get("prefix", name).strip("/")},
            {"name": "AWS_DEFAULT_REGION", "value": s3["region"]},
        ]
        if s3.get("endpoint"):
            upload_env.append({"name": "AWS_ENDPOINT_URL", "value": s3["endpoint"]})
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            upload_env.append(
                {
                    "name": key,
                    "valueFrom": {"secretKeyRef": {"name": s3["credentialsSecret"], "key": key}},
                }
            )
        upload_env += [{"name": "HOME", "value": TMP}, {"name": "KEEP", "value": str(keep)}]
        pod["initContainers"] = [
            container("dump", image, backup.dump_script(engine), env, backup_mount)
        ]
        read_only_backup = {**backup_mount, "readOnly": True}
        pod["containers"] = [
            container(
                "upload", s3["image"], backup.upload_script(mode), upload_env, read_only_backup
            )
        ]
        pod["volumes"] = [{"name": "backup", "emptyDir": {}}, tmp_volume]
    objects.append(
        resource.template(
            "database/cronjob.yaml.j2",
            name=f"{name}-backup",
            labels=labels,
            schedule=settings["schedule"],
            time_zone=settings.get("timeZone"),
            pod_spec=pod,
        )
    )
    return objects
