"""Simulated built-in controllers: workloads become ready, Jobs succeed, PVCs bind.

The emulator has no kubelet, scheduler or controller-manager. :class:`SimulatedControllers`
listens to the cluster's writes and, ``delay`` seconds after a workload is created or its
generation changes, writes the status the real controllers would write once everything is up:

* Deployment: ``observedGeneration``, ``replicas``/``updatedReplicas``/``readyReplicas``/
  ``availableReplicas`` = ``spec.replicas``, conditions ``Available`` and ``Progressing``
  (reason ``NewReplicaSetAvailable``).
* StatefulSet: the same counts plus ``currentReplicas``, ``currentRevision``/``updateRevision``.
* DaemonSet: ``nodes`` nodes scheduled, ready, updated and available.
* Job: ``succeeded`` = completions, conditions ``SuccessCriteriaMet`` and ``Complete``.
* PersistentVolumeClaim: ``phase: Bound`` with ``capacity`` = the requested storage (also after a
  resize), when its StorageClass exists. Otherwise ``phase: Pending`` and a Warning Event on the
  claim from ``persistentvolume-controller``, as the real one posts: ``ProvisioningFailed``,
  ``storageclass.storage.k8s.io "fast" not found``, or ``FailedBinding`` when no class is set
  and none is the default. A StorageClass created later binds the claims that waited for it.
* StatefulSet with ``statefulset_pvcs``: a pod counts ready only once every claim of its ordinal
  is Bound (``OrderedReady``: the pods after the first unbound one are not even created;
  ``Parallel``: the others are), re-evaluated when one of its claims changes phase. No Pod
  objects exist: a pod stuck Pending is only seen as fewer ``readyReplicas``.
* ExternalSecret (the External Secrets Operator): the target Secret (``spec.target.name``, else
  the ExternalSecret's name; owned by it with ``creationPolicy: Owner``) with each
  ``spec.data[].secretKey``, then ``status.conditions`` ``Ready=True`` (reason ``SecretSynced``),
  ``refreshTime``, ``syncedResourceVersion`` and ``binding.name``. Unready (``set_ready(...,
  False)``): ``Ready=False``, reason ``SecretSyncedError``, and no Secret; paused: no status at
  all, as before ESO ever synced it.
* HorizontalPodAutoscaler: when one is created, its spec changes or the controllers resume, its
  target's ``spec.replicas`` is brought within ``minReplicas``..``maxReplicas`` through the
  ``scale`` subresource, as the real HPA does first on each sync (with no metrics it does nothing
  more; a target at 0 replicas is left alone: autoscaling is off). Its status is not written.

Tests steer it: :meth:`set_ready` (``False`` pins a child unready until set ``True`` again),
:meth:`fail_job`, :meth:`pause`/:meth:`resume` (all kinds or one). Writes go through the
``/status`` path as manager ``kube-controller-manager``, so they bump ``resourceVersion`` and
produce MODIFIED watch events like the real thing; a status already correct is not rewritten.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import time
from collections.abc import Callable
from typing import Any, ClassVar

from .cluster import ApiError, Cluster, Obj, now_iso
from .kinds import revision_hash
from .resources import ResourceType

MANAGER = "kube-controller-manager"
Key = tuple[tuple[str, str], str, str]


def _key(rt: ResourceType, obj: Obj) -> Key:
    meta = obj["metadata"]
    return (rt.storage_key, meta.get("namespace", ""), meta["name"])


def _condition(old_status: Obj, type_: str, status: str, reason: str, message: str) -> Obj:
    """A condition that keeps its transition time while its status does not flip."""
    previous = next((c for c in old_status.get("conditions") or [] if c.get("type") == type_), None)
    stamp = now_iso()
    if previous is not None and previous.get("status") == status:
        since = previous.get("lastTransitionTime", stamp)
        updated = (
            previous.get("lastUpdateTime", stamp) if previous.get("reason") == reason else stamp
        )
    else:
        since = updated = stamp
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
        "lastUpdateTime": updated,
    }


def _finished_job_conditions(
    old_status: Obj, types: tuple[str, str], reason: str, message: str
) -> list[Obj]:
    """A finished Job's two conditions (the interim one, then Complete or Failed): both true,
    for the same reason."""
    return [_condition(old_status, type_, "True", reason, message) for type_ in types]


def _replica_set(obj: Obj) -> str:
    return f"{obj['metadata']['name']}-{revision_hash(obj['spec'].get('template'))}"


def _prune_zero(status: Obj) -> Obj:
    """Real controllers omit zero counters (``omitempty``)."""
    return {k: v for k, v in status.items() if v != 0 or k == "observedGeneration"}


class SimulatedControllers:
    """Status writers for built-in kinds; attach with :meth:`attach` (done by the harness)."""

    KINDS: ClassVar[set[tuple[str, str]]] = {
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("", "persistentvolumeclaims"),
        ("external-secrets.io", "externalsecrets"),
    }
    HPA: ClassVar[tuple[str, str]] = ("autoscaling", "horizontalpodautoscalers")

    def __init__(
        self,
        cluster: Cluster,
        *,
        delay: float = 0.02,
        nodes: int = 1,
        statefulset_pvcs: bool = False,
    ) -> None:
        self.cluster = cluster
        self.delay = delay
        self.nodes = nodes
        # Opt-in: create each StatefulSet's PVCs from its volumeClaimTemplates, like the real
        # controller (tests that create those PVCs themselves would otherwise collide).
        self.statefulset_pvcs = statefulset_pvcs
        self.enabled = True
        self.paused: set[tuple[str, str]] = set()
        self.unready: set[Key] = set()
        self.failed_jobs: set[Key] = set()
        self._runs = 0

    def attach(self) -> None:
        self.cluster.listeners.append(self._on_event)

    # ------------------------------------------------------------------ steering (loop thread)

    def set_ready(self, rt: ResourceType, namespace: str | None, name: str, ready: bool) -> None:
        obj = self.cluster.get(rt, namespace, name)
        key = _key(rt, obj)
        if ready:
            self.unready.discard(key)
            self.failed_jobs.discard(key)
        else:
            self.unready.add(key)
        self._reconcile(rt, key, force=True)

    def fail_job(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        obj = self.cluster.get(rt, namespace, name)
        key = _key(rt, obj)
        self.failed_jobs.add(key)
        self._reconcile(rt, key, force=True)

    def pause(self, rt: ResourceType | None = None) -> None:
        if rt is None:
            self.enabled = False
        else:
            self.paused.add(rt.storage_key)

    def resume(self, rt: ResourceType | None = None) -> None:
        if rt is None:
            self.enabled = True
            self.paused.clear()
        else:
            self.paused.discard(rt.storage_key)
        for rt_, obj in list(self.cluster.all_objects()):
            if rt_.storage_key in self.KINDS or rt_.storage_key == self.HPA:
                self._schedule(rt_, obj)

    def trigger_cronjob(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        """Run a CronJob now, as its schedule would: a Job from ``spec.jobTemplate``, controlled
        by the CronJob, listed in ``status.active`` until it finishes (then
        ``lastSuccessfulTime``). Returns the Job."""
        cronjob = self.cluster.get(rt, namespace, name)
        template = cronjob["spec"].get("jobTemplate") or {}
        self._runs += 1
        job_meta = copy.deepcopy(template.get("metadata") or {})
        job_meta.update(
            name=f"{name}-{int(time.time()) // 60 % 100_000_000}{self._runs:02d}"[:63],
            namespace=cronjob["metadata"].get("namespace"),
            ownerReferences=[
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        )
        job_meta.setdefault("annotations", {})[
            "batch.kubernetes.io/cronjob-scheduled-timestamp"
        ] = now_iso()
        jobs = self.cluster.catalogue.resolve("batch/v1/jobs")
        job = self._create_from_template(jobs, namespace, job_meta, template)
        status = copy.deepcopy(cronjob.get("status") or {})
        status["active"] = [*status.get("active", []), self._job_ref(job)]
        status["lastScheduleTime"] = now_iso()
        self._write_status(rt, namespace, name, cronjob, status)
        return job

    @staticmethod
    def _job_ref(job: Obj) -> Obj:
        meta = job["metadata"]
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
        }

    def _job_finished(self, job: Obj, *, deleted: bool) -> None:
        """Keep the owning CronJob's ``status.active`` and ``lastSuccessfulTime`` true."""
        conditions = {
            c.get("type"): c.get("status")
            for c in (job.get("status") or {}).get("conditions") or []
        }
        succeeded = conditions.get("Complete") == "True"
        if not (deleted or succeeded or conditions.get("Failed") == "True"):
            return
        owner = next(
            (r for r in job["metadata"].get("ownerReferences") or [] if r.get("kind") == "CronJob"),
            None,
        )
        found = self.cluster.by_uid(owner["uid"]) if owner else None
        if found is None:
            return
        rt, cronjob = found
        status = copy.deepcopy(cronjob.get("status") or {})
        active = [a for a in status.get("active") or [] if a.get("uid") != job["metadata"]["uid"]]
        if active == (status.get("active") or []) and not succeeded:
            return
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        if succeeded:
            status["lastSuccessfulTime"] = job["status"].get("completionTime") or now_iso()
        meta = cronjob["metadata"]
        with contextlib.suppress(ApiError):
            self._write_status(rt, meta.get("namespace"), meta["name"], cronjob, status)

    # ------------------------------------------------------------------ machinery

    def _create_from_template(
        self, rt: ResourceType, namespace: str | None, meta: Obj, template: Obj
    ) -> Obj:
        """A ``rt`` object with ``meta`` and a copy of the template's spec (a CronJob's Job, a
        StatefulSet's claim), created as a controller."""
        return self.cluster.create(
            rt,
            namespace,
            {
                "apiVersion": rt.api_version,
                "kind": rt.kind,
                "metadata": meta,
                "spec": copy.deepcopy(template.get("spec") or {}),
            },
            manager=MANAGER,
        )

    def _write_status(
        self, rt: ResourceType, namespace: str | None, name: str, obj: Obj, status: Obj
    ) -> None:
        """``obj`` with ``status`` written through the status subresource, as a controller."""
        self.cluster.update(
            rt, namespace, name, {**obj, "status": status}, manager=MANAGER, subresource="status"
        )

    def _on_event(self, kind: str, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        if rt.storage_key == ("batch", "jobs") and kind != "ADDED":
            self._job_finished(obj, deleted=kind == "DELETED")
        phase = obj.get("status", {}).get("phase")
        if (
            rt.storage_key == ("", "persistentvolumeclaims")
            and kind == "MODIFIED"
            and ((old or {}).get("status", {}).get("phase") != phase)
        ):
            self._claim_changed(obj)
        if rt.storage_key == ("storage.k8s.io", "storageclasses") and kind == "ADDED":
            for rt_, pvc in list(self.cluster.all_objects()):
                if rt_.storage_key == ("", "persistentvolumeclaims"):
                    self._schedule(rt_, pvc)
        if kind == "DELETED" or (rt.storage_key not in self.KINDS and rt.storage_key != self.HPA):
            return
        if (
            old is not None
            and old.get("spec") == obj.get("spec")
            and old["metadata"].get("generation") == obj["metadata"].get("generation")
        ):
            return  # a status or metadata change: nothing for the controller to react to
        self._schedule(rt, obj)

    def _schedule(self, rt: ResourceType, obj: Obj) -> None:
        key = _key(rt, obj)
        loop = self.cluster.loop
        if loop is None:
            self._reconcile(rt, key)
        else:
            loop.call_later(self.delay, self._reconcile, rt, key)

    def _reconcile(self, rt: ResourceType, key: Key, force: bool = False) -> None:
        if not force and (not self.enabled or rt.storage_key in self.paused):
            return
        _, namespace, name = key
        obj = self.cluster.find(rt, namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return
        if rt.storage_key == self.HPA:
            self._autoscale(obj)
            return
        if rt.kind == "StatefulSet" and self.statefulset_pvcs:
            self._claim_volumes(obj)
        if rt.kind == "ExternalSecret" and key not in self.unready:
            self._sync_external_secret(obj)
        compute: Callable[[Obj, Obj, bool], Obj] = getattr(self, f"_status_{rt.kind.lower()}")
        old_status = obj.get("status") or {}
        status = compute(obj, old_status, key not in self.unready)
        if key in self.failed_jobs and rt.kind == "Job":
            status = self._job_failed(obj, old_status)
        if status == old_status:
            return
        with contextlib.suppress(ApiError):
            self._write_status(rt, namespace, name, obj, status)

    def _autoscale(self, hpa: Obj) -> None:
        """The HPA's first step on each sync: a target outside min..max is scaled into it."""
        spec = hpa.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        namespace = hpa["metadata"].get("namespace")
        try:
            rt = self.cluster.catalogue.resolve(str(target.get("kind")))
        except LookupError:
            return
        workload = self.cluster.find(rt, namespace, str(target.get("name")))
        if workload is None:
            return  # the real HPA reports FailedGetScale and tries again on its next sync
        current = int((workload.get("spec") or {}).get("replicas", 1))
        low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", current))
        wanted = min(max(current, low), high)
        if current == 0 or wanted == current:
            return
        with contextlib.suppress(ApiError):
            self.cluster.patch(
                rt,
                namespace,
                workload["metadata"]["name"],
                {"spec": {"replicas": wanted}},
                "merge",
                manager=MANAGER,
                subresource="scale",
            )

    def _sync_external_secret(self, es: Obj) -> None:
        """What ESO does once the provider answered: the target Secret, created or updated."""
        spec, meta = es.get("spec") or {}, es["metadata"]
        target = spec.get("target") or {}
        name = str(target.get("name") or meta["name"])
        namespace = meta.get("namespace")
        secrets = self.cluster.catalogue.resolve("v1/secrets")
        data = {
            str(item["secretKey"]): base64.b64encode(b"emulated").decode()
            for item in spec.get("data") or []
            if item.get("secretKey")
        }
        secret_meta: Obj = {"name": name, "namespace": namespace}
        if target.get("creationPolicy", "Owner") == "Owner":
            secret_meta["ownerReferences"] = [
                {
                    "apiVersion": es["apiVersion"],
                    "kind": "ExternalSecret",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        body = {"apiVersion": "v1", "kind": "Secret", "metadata": secret_meta, "data": data}
        with contextlib.suppress(ApiError):
            self.cluster.apply(secrets, namespace, name, body, manager="external-secrets")

    def _status_externalsecret(self, obj: Obj, old: Obj, ready: bool) -> Obj:
        spec, meta = obj.get("spec") or {}, obj["metadata"]
        synced = f"{meta.get('generation', 1)}-{revision_hash(spec)}"
        previous = next((c for c in old.get("conditions") or [] if c.get("type") == "Ready"), {})
        status = "True" if ready else "False"
        since = previous.get("lastTransitionTime") if previous.get("status") == status else None
        condition = {
            "type": "Ready",
            "status": status,
            "reason": "SecretSynced" if ready else "SecretSyncedError",
            "message": "secret synced" if ready else "could not get secret data from provider",
            "lastTransitionTime": since or now_iso(),
        }
        if not ready:
            return {**old, "conditions": [condition]}
        same = old.get("syncedResourceVersion") == synced
        return {
            "conditions": [condition],
            "refreshTime": old.get("refreshTime") if same else now_iso(),
            "syncedResourceVersion": synced,
            "binding": {"name": str((spec.get("target") or {}).get("name") or meta["name"])},
        }

    def _claim_volumes(self, sts: Obj) -> None:
        """PVCs ``<template>-<statefulset>-<ordinal>`` for every replica, never deleted on scale
        down; owned by the StatefulSet only with ``whenDeleted: Delete`` (as the real one)."""
        spec = sts.get("spec") or {}
        meta = sts["metadata"]
        namespace = meta.get("namespace")
        pvcs = self.cluster.catalogue.resolve("v1/persistentvolumeclaims")
        policy = (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenDeleted")
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        for ordinal in range(int(spec.get("replicas", 1))):
            for template in spec.get("volumeClaimTemplates") or []:
                name = f"{template['metadata']['name']}-{meta['name']}-{ordinal}"
                if self.cluster.find(pvcs, namespace, name) is not None:
                    continue
                claim_meta: Obj = {
                    "name": name,
                    "namespace": namespace,
                    "labels": {**(template["metadata"].get("labels") or {}), **selector},
                }
                if policy == "Delete":
                    claim_meta["ownerReferences"] = [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "StatefulSet",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ]
                with contextlib.suppress(ApiError):
                    self._create_from_template(pvcs, namespace, claim_meta, template)

    # ------------------------------------------------------------------ per kind

    @staticmethod
    def _replicas(obj: Obj) -> int:
        return int((obj.get("spec") or {}).get("replicas", 1))

    def _status_deployment(self, obj: Obj, old: Obj, ready: bool) -> Obj:
        n = self._replicas(obj)
        generation = obj["metadata"].get("generation", 1)
        if ready:
            status = _prune_zero(
                {
                    "observedGeneration": generation,
                    "replicas": n,
                    "updatedReplicas": n,
                    "readyReplicas": n,
                    "availableReplicas": n,
                }
            )
            status["conditions"] = [
                _condition(
                    old,
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
                _condition(
                    old,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{_replica_set(obj)}" has successfully progressed.',
                ),
            ]
        else:
            status = _prune_zero(
                {
                    "observedGeneration": generation,
                    "replicas": n,
                    "updatedReplicas": n,
                    "unavailableReplicas": n,
                }
            )
            status["conditions"] = [
                _condition(
                    old,
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                ),
                _condition(
                    old,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    f'ReplicaSet "{_replica_set(obj)}" is progressing.',
                ),
            ]
        return status

    def _status_statefulset(self, obj: Obj, old: Obj, ready: bool) -> Obj:
        n = self._replicas(obj)
        revision = f"{obj['metadata']['name']}-{revision_hash(obj['spec'].get('template'))}"
        up = n if ready else 0
        if ready and self.statefulset_pvcs and obj["spec"].get("volumeClaimTemplates"):
            up = self._claims_bound(obj)
        status = _prune_zero(
            {
                "observedGeneration": obj["metadata"].get("generation", 1),
                "replicas": n,
                "readyReplicas": up,
                "currentReplicas": n,
                "updatedReplicas": n,
                "availableReplicas": up,
            }
        )
        status.update(currentRevision=revision, updateRevision=revision, collisionCount=0)
        return status

    def _status_daemonset(self, obj: Obj, old: Obj, ready: bool) -> Obj:
        n = self.nodes
        up = n if ready else 0
        status = _prune_zero(
            {
                "observedGeneration": obj["metadata"].get("generation", 1),
                "currentNumberScheduled": n,
                "desiredNumberScheduled": n,
                "numberMisscheduled": 0,
                "numberReady": up,
                "updatedNumberScheduled": n,
                "numberAvailable": up,
                "numberUnavailable": n - up,
            }
        )
        status.setdefault("numberMisscheduled", 0)
        status.setdefault("currentNumberScheduled", 0)
        status.setdefault("desiredNumberScheduled", 0)
        status.setdefault("numberReady", 0)
        return status

    def _status_job(self, obj: Obj, old: Obj, ready: bool) -> Obj:
        start = old.get("startTime") or now_iso()
        if not ready:
            return {
                "startTime": start,
                "active": 1,
                "ready": 0,
                "terminating": 0,
                "uncountedTerminatedPods": {},
            }
        completions = int((obj.get("spec") or {}).get("completions", 1) or 1)
        return {
            "startTime": start,
            "completionTime": old.get("completionTime") or now_iso(),
            "succeeded": completions,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": _finished_job_conditions(
                old,
                ("SuccessCriteriaMet", "Complete"),
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            ),
        }

    def _job_failed(self, obj: Obj, old: Obj) -> Obj:
        backoff = int((obj.get("spec") or {}).get("backoffLimit", 6))
        return {
            "startTime": old.get("startTime") or now_iso(),
            "failed": backoff + 1,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": _finished_job_conditions(
                old,
                ("FailureTarget", "Failed"),
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
            ),
        }

    def _claim_changed(self, pvc: Obj) -> None:
        """A claim was bound (or lost): the StatefulSet whose ordinal it serves re-counts."""
        namespace, name = pvc["metadata"].get("namespace"), pvc["metadata"]["name"]
        for rt, sts in list(self.cluster.all_objects()):
            if rt.kind != "StatefulSet" or sts["metadata"].get("namespace") != namespace:
                continue
            for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
                prefix = f"{template['metadata']['name']}-{sts['metadata']['name']}-"
                if name.startswith(prefix) and name[len(prefix) :].isdigit():
                    self._schedule(rt, sts)

    def _claims_bound(self, sts: Obj) -> int:
        """The pods of ``sts`` that can start: those whose claims are all Bound."""
        spec, meta = sts.get("spec") or {}, sts["metadata"]
        pvcs = self.cluster.catalogue.resolve("v1/persistentvolumeclaims")
        templates = spec.get("volumeClaimTemplates") or []
        bound = []
        for ordinal in range(self._replicas(sts)):
            claims = [
                self.cluster.find(
                    pvcs, meta.get("namespace"), f"{t['metadata']['name']}-{meta['name']}-{ordinal}"
                )
                for t in templates
            ]
            bound.append(all((c or {}).get("status", {}).get("phase") == "Bound" for c in claims))
        if spec.get("podManagementPolicy") == "Parallel":
            return sum(bound)
        return next((i for i, ok in enumerate(bound) if not ok), len(bound))

    def _unprovisionable(self, pvc: Obj) -> tuple[str, str] | None:
        """Why the PV controller cannot bind ``pvc``: (Event reason, message), or None."""
        name = (pvc.get("spec") or {}).get("storageClassName")
        if not name:
            return (
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        classes = self.cluster.catalogue.resolve("storage.k8s.io/v1/storageclasses")
        if self.cluster.find(classes, None, str(name)) is None:
            return "ProvisioningFailed", f'storageclass.storage.k8s.io "{name}" not found'
        return None

    def _post_event(self, obj: Obj, reason: str, message: str, component: str) -> None:
        """A Warning Event about ``obj``, as a controller posts it (core v1)."""
        meta = obj["metadata"]
        events = self.cluster.catalogue.resolve("v1/events")
        stamp = now_iso()
        self._runs += 1
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta['name']}.{int(time.time() * 1e6):x}{self._runs:02d}",
                "namespace": meta.get("namespace"),
            },
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "name": meta["name"],
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "type": "Warning",
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "reportingComponent": component,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        with contextlib.suppress(ApiError):
            self.cluster.create(events, meta.get("namespace"), event, manager=component)

    def _status_persistentvolumeclaim(self, obj: Obj, old: Obj, ready: bool) -> Obj:
        if not ready:
            return {"phase": "Pending"}
        problem = self._unprovisionable(obj)
        if problem is not None:
            if old.get("phase") != "Pending":  # posted once, as the claim turns Pending
                self._post_event(obj, *problem, component="persistentvolume-controller")
            return {"phase": "Pending"}
        spec = obj.get("spec") or {}
        status: dict[str, Any] = {
            "phase": "Bound",
            "accessModes": copy.deepcopy(spec.get("accessModes", ["ReadWriteOnce"])),
        }
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage:
            status["capacity"] = {"storage": storage}
        return status
