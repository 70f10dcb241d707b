"""The only module that writes to the cluster: server-side apply, prune, recreate, resize, status.

Called by the reconciler with the desired children (the generators' output) and the live ones
(from ``cache.LiveState``). Rules it keeps:

- Every child write is a server-side apply with one field manager (``KONFIGURU_FIELD_MANAGER``)
  and ``force``: we own exactly the fields the generator emits. A field the generator leaves out
  (``spec.replicas`` with autoscaling on) is never sent, so the HPA owns it.
- A child whose live copy already holds every desired value is not written at all: an unchanged
  resource costs no API write on a resync. The desired object is compared as the server stores
  it: quantities in canonical form, Secret ``stringData`` as ``data``, and without the zero values
  of ``omitempty`` fields the server drops (``stored.py``); fields the server defaults are extra
  live fields, which never count as a difference.
- Only objects whose controller ownerReference is this owner are pruned or replaced; an object
  that merely carries our label, or whose name is taken by another owner, is left alone (the
  latter stalls the owner with a message).
- Volume growth: the generator plans it (``konfiguru_generators.kinds.database.storage.
  resize_plan``, called by the reconciler, which also refuses a shrink as an invalid spec); this
  module only patches the planned PVC sizes, before the workloads are written. A PVC whose
  StorageClass cannot expand stalls the owner with what to do.
- Immutable fields: a Job is deleted and recreated (its template cannot change); a StatefulSet
  whose ``volumeClaimTemplates`` or other fixed fields changed is deleted with ``orphan``
  propagation and recreated around its running pods (once its PVCs were grown); any other
  immutable change (a selector, a Service's clusterIP) stalls with what to do.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from konfiguru_generators.labels import OWNER_KIND as OWNER_KIND_LABEL
from konfiguru_generators.labels import OWNER_NAME as OWNER_NAME_LABEL
from konfiguru_generators.labels import OWNER_UID as OWNER_UID_LABEL
from konfiguru_generators.quantity import parse_quantity

from .cache import OWNS_REPLICAS, Key, LiveState, controller_uid, slim
from .discovery import ADD_ONS, Discovery, install_hint
from .errors import Retry
from .kube import ApiError, Client, ResourceRef
from .rbac import CHILD_KINDS
from .settings import Settings
from .status import Problem
from .stored import DROP, KINDS, is_zero

JSON = dict[str, Any]
Resizes = list[tuple[str, str]]  # (PVC name, size to grow it to), from the generator's plan
logger = logging.getLogger(__name__)
_MISSING: Any = object()
EVENTS = ResourceRef("v1", "events")
# Keys whose values the API server stores in canonical quantity form ("0.5" → "500m").
_QUANTITY_PARENTS = frozenset({"requests", "limits", "capacity", "hard", "sizeLimit"})
_QUANTITY_KEYS = frozenset({"storage", "cpu", "memory", "ephemeral-storage", "sizeLimit"})


def _same_quantity(desired: Any, live: Any) -> bool:
    try:
        return parse_quantity(desired) == parse_quantity(live)
    except (ValueError, TypeError, ArithmeticError):
        return False


def covers(live: Any, desired: Any, key: str = "", parent: str = "", node: Any = None) -> bool:
    """Whether ``live`` already holds every value of ``desired`` (extra live fields are fine).

    ``node`` is the part of ``stored.KINDS`` describing ``desired``: a zero value of a field the
    server drops (``omitempty``) is held by a live copy that lacks the field.
    """
    if desired == [] or desired == {}:
        # Go's omitempty: the server stores an empty list or map as an absent field.
        return live is _MISSING or live is None or live == desired
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        fields: Mapping[str, Any] = node if isinstance(node, Mapping) else {}
        return all(
            covers(live.get(k, _MISSING), v, str(k), key, fields.get(k))
            for k, v in desired.items()
            if v is not None
        )
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(live) == len(desired)
            and all(covers(lv, dv, key, parent, node) for lv, dv in zip(live, desired, strict=True))
        )
    if live is _MISSING:
        return node == DROP and is_zero(desired)
    if type(desired) is bool or type(live) is bool:
        return desired is live
    if desired == live:
        return True
    if key in _QUANTITY_KEYS or parent in _QUANTITY_PARENTS:
        return _same_quantity(desired, live)
    return False


def comparable(desired: Mapping[str, Any]) -> JSON:
    """The desired object as the API server stores it: Secret ``stringData`` folded into
    ``data``. (The zero values the server drops are left in: :func:`covers` knows them.)"""
    if desired.get("kind") != "Secret" or not desired.get("stringData"):
        return dict(desired)
    result = {k: v for k, v in desired.items() if k != "stringData"}
    data = dict(result.get("data") or {})
    for key, value in desired["stringData"].items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    result["data"] = data
    return result


def releases_replicas(desired: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether applying ``desired`` stops us sending ``spec.replicas`` that we may still own."""
    return (
        desired.get("kind") in ("Deployment", "StatefulSet")
        and "replicas" not in (desired.get("spec") or {})
        and isinstance((live.get("spec") or {}).get("replicas"), int)
        and live.get(OWNS_REPLICAS, True) is not False
    )


def up_to_date(desired: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """Whether ``live`` needs no write: it holds every desired value, and we hold no field we
    must let go of (``spec.replicas`` once autoscaling is on)."""
    if live is None or not covers(
        live, comparable(desired), node=KINDS.get(str(desired.get("kind")))
    ):
        return False
    return not (releases_replicas(desired, live) and live.get(OWNS_REPLICAS) is True)


def immutable(error: ApiError) -> bool:
    """Whether the server refused a write because it would change an immutable field."""
    text = error.message.lower()
    return error.status == 422 and (
        "immutable" in text
        or "updates to statefulset spec for fields other than" in text
        # A LoadBalancer Service's spec.loadBalancerClass (ValidateServiceUpdate's wording).
        or "may not change once set" in text
    )


@dataclass
class SyncResult:
    """What one sync did, for events and status."""

    created: list[Key] = field(default_factory=list)
    updated: list[Key] = field(default_factory=list)
    pruned: list[Key] = field(default_factory=list)
    recreated: list[Key] = field(default_factory=list)
    resized: list[str] = field(default_factory=list)
    resize_refused: bool = False
    problems: list[Problem] = field(default_factory=list)
    live: dict[Key, JSON] = field(default_factory=dict)
    # Set when a write had to delete an object first (a Job or StatefulSet recreated): the
    # later waves and pruning wait for the next sync, which the caller runs after this delay.
    # What was done until then is in the other fields, so its Events are posted once, now.
    retry: Retry | None = None


class Applier:
    """Writes children and statuses for the reconciler. One per operator process."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        state: LiveState,
        discovery: Discovery | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.state = state
        self.discovery = discovery

    # ---- reads that writing depends on -------------------------------------------------------

    async def claim_volumes(
        self, owner_uid: str, desired: Sequence[JSON], live: Mapping[Key, JSON]
    ) -> dict[Key, JSON]:
        """The PVCs the desired StatefulSets' controller made from their claim templates that
        ``live`` (what the watch shows labelled with ``owner_uid``) lacks, labelled now with
        ``owner_uid`` so the watch delivers them from here on.

        Such a PVC has no ownerReference to us, and the claim template cannot carry our uid: it
        is immutable, must equal the offline render, and outlives us when volumes are retained.
        So it is found by name (``<template>-<statefulset>-<ordinal>``, any ordinal, also those
        left by a scale-down) among the PVCs with the template's owner-kind and owner-name
        labels; one that still carries a deleted owner's uid (deletion-policy Retain) is taken
        over. Nothing is read while every replica's volume is known.
        """
        pvcs = CHILD_KINDS["PersistentVolumeClaim"]
        found: dict[Key, JSON] = {}
        for obj in desired:
            if obj["kind"] != "StatefulSet":
                continue
            meta, spec = obj["metadata"], obj.get("spec") or {}
            for template in spec.get("volumeClaimTemplates") or []:
                prefix = f"{template['metadata']['name']}-{meta['name']}-"
                replicas = range(int(spec.get("replicas", 1)))
                if all(("PersistentVolumeClaim", f"{prefix}{i}") in live for i in replicas):
                    continue
                labels = template["metadata"].get("labels") or {}
                stable = [key for key in (OWNER_KIND_LABEL, OWNER_NAME_LABEL) if key in labels]
                selector = ",".join(f"{key}={labels[key]}" for key in stable)
                for pvc in await self.client.list(pvcs, meta.get("namespace"), selector):
                    name = str(pvc["metadata"]["name"])
                    key = ("PersistentVolumeClaim", name)
                    ordinal = name[len(prefix) :]
                    if not name.startswith(prefix) or not ordinal.isdigit() or key in live:
                        continue
                    found[key] = await self._label_volume(owner_uid, pvc)
        return found

    async def _label_volume(self, owner_uid: str, pvc: JSON) -> JSON:
        meta = pvc["metadata"]
        body = pvc
        if (meta.get("labels") or {}).get(OWNER_UID_LABEL) != owner_uid:
            patch = {"metadata": {"labels": {OWNER_UID_LABEL: owner_uid}}}
            pvcs = CHILD_KINDS["PersistentVolumeClaim"]
            body = await self.client.merge_patch(pvcs, meta.get("namespace"), meta["name"], patch)
            logger.info("labelled PersistentVolumeClaim %s with its owner's uid", meta["name"])
        kept = slim(body, self.settings.field_manager)
        self.state.wrote(owner_uid, "PersistentVolumeClaim", str(meta["name"]), kept)
        return kept

    async def read_secret(self, namespace: str, name: str) -> JSON | None:
        """A Secret straight from the API (the watch may not have delivered it yet)."""
        try:
            return await self.client.get(CHILD_KINDS["Secret"], namespace, name)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def last_warning(self, kind: str, namespace: str | None, name: str) -> str | None:
        """The message of the newest Warning Event about an object (a controller's reason why a
        claim stays Pending lives only there: ``storageclass.storage.k8s.io "fast" not found``)."""
        selector = f"involvedObject.kind={kind},involvedObject.name={name},type=Warning"
        events = await self.client.list(EVENTS, namespace, field_selector=selector)

        def when(event: JSON) -> str:
            meta = event.get("metadata") or {}
            return str(
                event.get("lastTimestamp")
                or event.get("eventTime")
                or meta.get("creationTimestamp")
                or ""
            )

        newest = max(events, key=when, default=None)
        return str(newest.get("message") or "") or None if newest else None

    # ---- children -------------------------------------------------------------------------------

    async def sync(
        self,
        owner_uid: str,
        desired: Sequence[JSON],
        live: Mapping[Key, JSON],
        resizes: Sequence[tuple[str, str]] = (),
        held: Collection[Key] = (),
    ) -> SyncResult:
        """Grow the planned volumes, apply what differs, prune what is no longer desired;
        return what happened.

        Writes go in waves (:func:`wave`): the volumes to grow and what pods need first, then
        the workloads, then what points at them; the objects of one wave are written
        concurrently. ``held`` objects (waiting for a Job, ``jobs.gate``) are desired but left
        as they are: not written, not pruned.
        """
        result = SyncResult(live=dict(live))
        await self._grow(owner_uid, resizes, result)
        wanted: set[Key] = set(held)
        waves: dict[int, list[tuple[JSON, JSON | None]]] = {}
        for obj in desired:
            key = (obj["kind"], obj["metadata"]["name"])
            wanted.add(key)
            current = live.get(key)
            if current is not None and controller_uid(current) not in (None, owner_uid):
                result.problems.append(
                    Problem(
                        "NameTaken",
                        f"{key[0]} {key[1]} already exists and is controlled by another owner;"
                        " rename this resource or delete that object",
                    )
                )
                continue
            if self.discovery is not None and not self.discovery.served(key[0]):
                # Not sent: the server would answer 404 on every reconcile, forever.
                self.discovery.waits(key[0], owner_uid)
                result.problems.append(Problem("CRDNotInstalled", install_hint(*key)))
                continue
            if key not in held and not up_to_date(obj, current):
                waves.setdefault(wave(obj["kind"]), []).append((obj, current))
        for number in sorted(waves):
            await _all(
                self._write(owner_uid, obj, current, result) for obj, current in waves[number]
            )
            if result.retry is not None:
                return result  # an object is being recreated: the rest follows once it is gone
        stale = [
            (key, current)
            for key, current in live.items()
            # Not desired, and ours: a foreign object with our label survives.
            if key not in wanted and controller_uid(current) == owner_uid
        ]
        await _all(self._delete(owner_uid, key, current) for key, current in stale)
        for key, _ in stale:
            result.pruned.append(key)
            result.live.pop(key, None)
        return result

    async def _write(
        self, owner_uid: str, obj: JSON, current: JSON | None, result: SyncResult
    ) -> None:
        kind, name = key = (obj["kind"], obj["metadata"]["name"])
        ref = CHILD_KINDS[kind]
        if current is not None:
            await self._handover_replicas(ref, obj, current)
        try:
            answer = await self.client.apply(ref, obj, self.settings.field_manager)
        except ApiError as error:
            if immutable(error) and current is not None:
                await self._replace(owner_uid, obj, current, error, result)
                return
            if error.status == 404 and kind in ADD_ONS and current is None:
                # Its CRD is gone (or was never there): say what to install, and stop sending.
                if self.discovery is not None:
                    self.discovery.lost(kind)
                    self.discovery.waits(kind, owner_uid)
                result.problems.append(Problem("CRDNotInstalled", install_hint(kind, name)))
                return
            if error.status in (400, 404, 422):
                what = "is not served by this cluster" if error.status == 404 else "was refused"
                result.problems.append(
                    Problem("Rejected", f"{kind} {name} {what}: {error.message}")
                )
                return
            raise
        body = slim(answer, self.settings.field_manager) if answer else obj
        self.state.wrote(owner_uid, kind, name, body)
        result.live[key] = body
        (result.updated if current is not None else result.created).append(key)

    async def _handover_replicas(self, ref: ResourceRef, obj: JSON, current: JSON) -> None:
        """Before we stop sending ``spec.replicas``, hand it to another manager.

        Dropping a field that only our manager owns would delete it, and the workload would fall
        back to one replica until the HPA reacts. A second manager keeps the current value alive
        (the Kubernetes documentation's "transferring ownership" recipe). Where the server does
        not say who owns what (no managedFields), it is done anyway: one extra write, only when
        the workload is written at all.
        """
        if not releases_replicas(obj, current):
            return  # we send replicas, or provably never owned them
        replicas = (current.get("spec") or {})["replicas"]
        meta = obj["metadata"]
        await self.client.apply(
            ref,
            {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "metadata": {"name": meta["name"], "namespace": meta.get("namespace")},
                "spec": {"replicas": replicas},
            },
            f"{self.settings.field_manager}-handover",
        )

    async def _replace(
        self, owner_uid: str, obj: JSON, current: JSON, error: ApiError, result: SyncResult
    ) -> None:
        kind, name = key = (obj["kind"], obj["metadata"]["name"])
        namespace = obj["metadata"].get("namespace")
        if controller_uid(current) != owner_uid:
            result.problems.append(_immutable_problem(kind, name, namespace, error))
            return
        if kind == "Job":
            # A Job's pod template is fixed once created: a new spec means a new Job.
            await self._recreate(owner_uid, key, current, "Background", result)
            result.retry = Retry(f"recreating Job {name} with its new template", 0.5)
            return
        if kind == "StatefulSet" and covers(
            (current.get("spec") or {}).get("selector"), (obj.get("spec") or {}).get("selector")
        ):
            if result.resize_refused:
                return  # recreated with bigger claims, its pods would not match their volumes
            # Orphan: the pods and their volumes stay; the new StatefulSet adopts them.
            await self._recreate(owner_uid, key, current, "Orphan", result)
            result.retry = Retry(f"recreating StatefulSet {name} around its running pods", 0.5)
            return
        result.problems.append(_immutable_problem(kind, name, namespace, error))
        logger.info("%s %s: immutable change refused: %s", kind, name, error.message)

    async def _recreate(
        self, owner_uid: str, key: Key, current: JSON, propagation: str, result: SyncResult
    ) -> None:
        """Delete ``current`` so that the next sync creates it anew; counted as recreated once,
        however long the deletion takes (an object already terminating is waited for)."""
        if (current.get("metadata") or {}).get("deletionTimestamp"):
            return
        await self._delete(owner_uid, key, current, propagation=propagation)
        result.recreated.append(key)

    async def _grow(
        self, owner_uid: str, resizes: Sequence[tuple[str, str]], result: SyncResult
    ) -> None:
        """Patch each planned PVC to its new size; Kubernetes expands the volume in place."""
        pvcs = CHILD_KINDS["PersistentVolumeClaim"]
        for name, size in resizes:
            current = result.live.get(("PersistentVolumeClaim", name)) or {}
            namespace = (current.get("metadata") or {}).get("namespace")
            patch = {"spec": {"resources": {"requests": {"storage": size}}}}
            try:
                answer = await self.client.merge_patch(pvcs, namespace, name, patch)
            except ApiError as error:
                if error.status == 404:
                    continue  # gone since: a new one gets the new size from the template
                if error.status in (403, 422):
                    result.resize_refused = True
                    result.problems.append(
                        Problem(
                            "ResizeRefused",
                            f"PersistentVolumeClaim {name} cannot grow to {size}: {error.message};"
                            " use a StorageClass with allowVolumeExpansion: true",
                        )
                    )
                    continue
                raise
            body = slim(answer, self.settings.field_manager) if answer else current
            self.state.wrote(owner_uid, "PersistentVolumeClaim", name, body)
            result.live[("PersistentVolumeClaim", name)] = body
            result.resized.append(name)

    async def _delete(
        self, owner_uid: str, key: Key, current: JSON, propagation: str = "Background"
    ) -> None:
        meta = current.get("metadata") or {}
        try:
            await self.client.delete(
                CHILD_KINDS[key[0]],
                meta.get("namespace"),
                key[1],
                uid=meta.get("uid"),
                propagation=propagation,
            )
        except ApiError as error:
            # 404: already gone; 409: the uid precondition failed, it is another object now.
            if error.status not in (404, 409):
                raise
        rv = str(meta.get("resourceVersion"))
        self.state.wrote(owner_uid, key[0], key[1], None, int(rv) if rv.isdigit() else None)

    # ---- deletion of the owner: children that outlive it ---------------------------------------

    async def set_finalizer(
        self, ref: ResourceRef, body: Mapping[str, Any], finalizer: str, present: bool
    ) -> None:
        """Add or remove one finalizer; the resourceVersion precondition keeps others' intact
        (a concurrent change answers 409, and the reconcile is retried)."""
        meta = body["metadata"]
        current = list(meta.get("finalizers") or [])
        if (finalizer in current) == present:
            return
        wanted = [*current, finalizer] if present else [f for f in current if f != finalizer]
        patch = {
            "metadata": {
                "finalizers": wanted or None,
                "resourceVersion": meta.get("resourceVersion"),
            }
        }
        await self.client.merge_patch(ref, meta.get("namespace"), meta["name"], patch)

    async def release(self, owner_uid: str, child: Mapping[str, Any]) -> None:
        """Let a child outlive its owner: drop our ownerReference and our owner-uid label, so
        the garbage collector keeps it and a later owner of the same name can adopt it."""
        meta = child.get("metadata") or {}
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != owner_uid]
        patch = {
            "metadata": {
                "ownerReferences": refs or None,
                "labels": {OWNER_UID_LABEL: None},
            }
        }
        try:
            await self.client.merge_patch(
                CHILD_KINDS[str(child.get("kind"))], meta.get("namespace"), str(meta["name"]), patch
            )
        except ApiError as error:
            if error.status != 404:
                raise
        self.state.wrote(owner_uid, str(child.get("kind")), str(meta["name"]), None)

    # ---- the owner's status -------------------------------------------------------------------

    async def write_status(
        self, ref: ResourceRef, namespace: str | None, name: str, patch: JSON
    ) -> JSON:
        """Merge-patch the status subresource (never the main resource: no generation bump)."""
        return await self.client.merge_patch(ref, namespace, name, {"status": patch}, "status")


_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"})
_BEFORE_WORKLOADS = frozenset(
    {
        "NetworkPolicy",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "PersistentVolumeClaim",
        "Role",
        "RoleBinding",
        "Service",
        "ExternalSecret",
    }
)


def wave(kind: str) -> int:
    """0: what pods use (identity, config, storage, Services); 1: workloads; 2: the rest
    (autoscalers, disruption budgets, Ingresses), which point at workloads or Services."""
    if kind in _BEFORE_WORKLOADS:
        return 0
    return 1 if kind in _WORKLOADS else 2


async def _all(calls: Iterable[Awaitable[None]]) -> None:
    """Run the calls concurrently; every one finishes, then the first failure is raised."""
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def _immutable_problem(kind: str, name: str, namespace: str | None, error: ApiError) -> Problem:
    plural = CHILD_KINDS[kind].plural
    where = f" -n {namespace}" if namespace else ""
    return Problem(
        "ImmutableField",
        f"{kind} {name} cannot be changed in place ({error.message}); to apply the new spec,"
        f" delete it with `kubectl delete {plural} {name}{where}` and Konfiguru recreates it",
    )
