"""One level-based, idempotent reconcile of a Konfiguru resource: generate → apply → report.

Called by the handlers for create, update and resume (``handlers/parents.py``), for a changed
child (``handlers/children.py``) and by the periodic resync (``Scheduler``). Every call does the
same thing, whatever triggered it: read what exists, render what should exist with the same
generators as ``konfiguru render``, write only the difference, and report. Calls for one resource
never overlap (a lock per uid); a call with nothing to change writes nothing, status included.

One-off Jobs run once: a finished Job deleted since (``ttlSecondsAfterFinished``) is not created
again while its spec is unchanged (``jobs.py``, remembered in ``status.finishedJobs``). A Job that
runs before the rollout (a migration) holds the workload as it is until it completed
(``jobs.gate``): status Progressing (reason WaitingForJob) meanwhile, Stalled (JobFailed) if it
fails, while the previous pods keep running.

Generated Secrets: their stored values are read back (from the watch cache, or from the API when
the cache has not seen a Secret yet) and passed to the generator, which reuses them verbatim; a
fresh random seed is only used for keys that are not stored anywhere. Rotation happens only when
the ``konfiguru.io/rotate-secrets`` annotation of the resource takes a new value: each generated
Secret remembers the value it was generated for (``konfiguru.io/rotation``), and a Secret whose
remembered value differs gets new values once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import hashlib
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import kopf

from konfiguru_generators import (
    Existing,
    SpecError,
    TemplateError,
    check_bounds,
    policy,
    render,
    validate,
)
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.kinds.app import render_stateful as app_stateful
from konfiguru_generators.kinds.database import storage as database_storage
from konfiguru_generators.labels import GROUP

from . import jobs as jobs_mod
from . import status as status_mod
from .apply import Applier, Resizes, SyncResult
from .cache import Key, LiveState, controller_uid
from .errors import Stalled, classify, describe
from .kube import ResourceRef
from .peering import PeeringGate
from .policies import load_policy
from .rbac import CHILD_KINDS, parent_refs
from .settings import Settings
from .templates import templates_fingerprint

JSON = dict[str, Any]
logger = logging.getLogger(__name__)
# Renders kept (see Reconciler._render): enough for every resource of a large namespace, as the
# two or three reconciles of one resource's creation come far apart when thousands are created at
# once. Kept as compact JSON text: a few kilobytes each, decoded in microseconds on a hit.
RENDER_CACHE_SIZE = 2048
# Children annotated with this (value "Retain") outlive their owner: a Database's credentials and
# backup volume, an MLPipeline's model volume. While an owner has such children it carries
# RETAIN_FINALIZER, so that on its deletion they are released before the garbage collector runs.
DELETION_POLICY = f"{GROUP}/deletion-policy"
RETAIN_FINALIZER = f"{GROUP}/retain-children"
ROTATE_ANNOTATION = f"{GROUP}/rotate-secrets"
ROTATION_STAMP = f"{GROUP}/rotation"
# The generators' plans of in-place volume growth, by kind: the operator only carries them out
# (apply.Applier.sync). A shrink is refused by render() itself, as a SpecError.
_RESIZE_PLANNERS: dict[str, Callable[[Mapping[str, Any], Existing], Resizes]] = {
    "Database": database_storage.resize_plan,
    "App": app_stateful.resize_plan,
}
# The kinds that run an App's pods: when one replaces another of the same name (workload
# Deployment → StatefulSet), the reconcile says so in one Event.
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
# Annotations that say nothing about what to render (and can be large).
_IGNORED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def _decode(data: Mapping[str, Any] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in (data or {}).items():
        try:
            values[key] = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue  # binary data is never a generated value
    return values


def renderable(body: Mapping[str, Any]) -> JSON:
    """The parts of a resource that decide its children (no status, no bookkeeping)."""
    meta = body.get("metadata") or {}
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k not in _IGNORED_ANNOTATIONS
        and not k.startswith(f"{GROUP}/last-handled")
        and not k.startswith(f"{GROUP}/reconcile")
    }
    metadata: JSON = {"name": meta.get("name"), "uid": meta.get("uid")}
    for key in ("namespace", "labels", "generation"):
        if meta.get(key) is not None:
            metadata[key] = meta[key]
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": metadata,
        "spec": body.get("spec") or {},
    }


def _status_fields(kind: str) -> frozenset[str]:
    """The status fields this kind's CRD declares: we never write one it would prune."""
    try:
        schema = REGISTRY[kind].schema()
    except (KeyError, OSError):
        return frozenset()
    status = (schema.get("properties") or {}).get("status") or {}
    return frozenset((status.get("properties") or {}).keys())


def existing_inputs(
    uid: str, body: Mapping[str, Any], live: Mapping[Key, JSON]
) -> tuple[Existing, str | None]:
    """What the generators may know of the cluster for one resource (stored generated Secret
    values, volume sizes), and the rotation asked for: the reconcile's and ``konfiguru diff``'s
    inputs alike."""
    rotate = ((body.get("metadata") or {}).get("annotations") or {}).get(ROTATE_ANNOTATION)
    secrets: dict[str, dict[str, str]] = {}
    sizes: dict[str, str] = {}
    for (kind, name), obj in live.items():
        if kind == "PersistentVolumeClaim":
            # Also the StatefulSet's data PVCs, not owned: labelled by Applier.claim_volumes.
            storage = ((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}
            if storage.get("storage"):
                sizes[name] = str(storage["storage"])
            continue
        if controller_uid(obj) != uid:
            continue
        if kind == "Secret":
            stamp = ((obj.get("metadata") or {}).get("annotations") or {}).get(ROTATION_STAMP)
            if rotate and stamp != rotate:
                continue  # asked to rotate: forget the stored values once
            secrets[name] = _decode(obj.get("data"))
    existing = Existing(secrets=secrets, secret_seed=os.urandom(32), pvc_sizes=sizes)
    return existing, rotate


class Reconciler:
    """Reconciles resources. One per operator process; safe to call concurrently."""

    def __init__(
        self, settings: Settings, applier: Applier, state: LiveState, kube_version: str
    ) -> None:
        self.settings = settings
        self.applier = applier
        self.state = state
        self.kube_version = kube_version
        self._locks: dict[str, asyncio.Lock] = {}
        # The last render per resource (its key, as JSON text, and the resizes), most recently
        # used last; bounded, since a render of a large resource is tens of kilobytes.
        self._renders: OrderedDict[str, tuple[str, str, Resizes]] = OrderedDict()
        self._statuses: dict[str, JSON] = {}
        # uid → ExternalSecret name → its resourceVersion when its target Secret was seen.
        self._synced_targets: dict[str, dict[str, str]] = {}
        self._status_fields = {kind: _status_fields(kind) for kind in REGISTRY}
        self._refs: dict[str, ResourceRef] = parent_refs()
        self._policy = load_policy(settings.policy_file)
        self.reconciles = 0
        self.failures = 0

    def forget(self, uid: str) -> None:
        """Drop what we remember of a deleted resource."""
        self._renders.pop(uid, None)
        self._statuses.pop(uid, None)
        self._synced_targets.pop(uid, None)
        self._locks.pop(uid, None)
        self.state.forget(uid)

    async def reconcile(self, body: Mapping[str, Any]) -> None:
        """Bring one resource's children and status in line with its spec.

        Raises :class:`Stalled` (after reporting it) when a person must act, :class:`Retry` or
        an API/network error when trying again later will do.
        """
        uid = str(body["metadata"]["uid"])
        lock = self._locks.setdefault(uid, asyncio.Lock())
        async with lock:
            self.reconciles += 1
            started = time.perf_counter()
            try:
                await self._reconcile(body, uid)
            except Exception:
                self.failures += 1
                raise
            finally:
                if logger.isEnabledFor(logging.DEBUG):
                    meta = body["metadata"]
                    logger.debug(
                        "reconciled %s %s/%s in %.1f ms",
                        body.get("kind"),
                        meta.get("namespace"),
                        meta.get("name"),
                        (time.perf_counter() - started) * 1000,
                    )

    # ---- generate ----------------------------------------------------------------------------

    def _render(self, uid: str, resource: JSON, existing: Existing) -> tuple[list[JSON], Resizes]:
        """The desired children, and the volumes to grow in place (the generator's plan)."""
        # First, before the cache key's json.dumps walks it: a spec nested past the limit is an
        # invalid spec (Stalled), not a RecursionError retried forever.
        check_bounds(resource)
        # Same inputs, same output: skip the render (and its cost) when nothing changed. The seed
        # is left out of the key on purpose: a cached render keeps the values it first drew.
        key = hashlib.blake2b(
            json.dumps(
                [
                    resource,
                    existing.secrets,
                    existing.pvc_sizes,
                    self.kube_version,
                    templates_fingerprint(self.settings.templates_dir),
                ],
                sort_keys=True,
                default=str,
            ).encode(),
            digest_size=16,
        ).hexdigest()  # a digest: the key would hold secret values and a copy of the spec
        cached = self._renders.get(uid)
        if cached and cached[0] == key:
            self._renders.move_to_end(uid)
            desired: list[JSON] = json.loads(cached[1])  # fresh objects: callers may change them
            return desired, cached[2]
        # render() raises the SpecError of an impossible change (a volume that would shrink).
        desired = render(
            resource,
            existing,
            kube_version=self.kube_version,
            ingress_controller=self.settings.ingress_controller or None,
            templates_dir=self.settings.templates_dir or None,
        )
        resizes = resize_plan(resource, existing)
        self._renders[uid] = (key, json.dumps(desired, separators=(",", ":")), resizes)
        self._renders.move_to_end(uid)
        while len(self._renders) > RENDER_CACHE_SIZE:
            self._renders.popitem(last=False)
        return desired, resizes

    async def _generate(
        self, uid: str, body: Mapping[str, Any], live: dict[Key, JSON]
    ) -> tuple[list[JSON], list[Key], Resizes]:
        """The desired children, which Secrets get freshly generated values, and the volumes
        to grow. Volumes made from the desired StatefulSets' claim templates that ``live``
        lacks are found and labelled (``Applier.claim_volumes``) and added to ``live``."""
        resource = renderable(body)
        if self._policy:
            # Before anything is rendered or written: a violating spec leaves the children as
            # they are (Stalled), exactly what admission would have refused.
            broken = policy.violations(
                self._policy,
                validate(resource, ingress_controller=self.settings.ingress_controller or None),
            )
            if broken:
                raise Stalled(
                    "PolicyViolation", "; ".join(f"{v.rule}: {v.message}" for v in broken)
                )
        existing, rotate = existing_inputs(uid, body, live)
        desired, resizes = self._render(uid, resource, existing)
        claimed = await self.applier.claim_volumes(uid, desired, live)
        if claimed:
            # Their sizes decide the render: growth to plan, or a shrink to refuse.
            live.update(claimed)
            existing, rotate = existing_inputs(uid, body, live)
            desired, resizes = self._render(uid, resource, existing)
        namespace = resource["metadata"].get("namespace")
        # A Secret the watch has not delivered yet may exist: read it before trusting new values.
        unseen = [
            obj["metadata"]["name"]
            for obj in desired
            if obj["kind"] == "Secret" and ("Secret", obj["metadata"]["name"]) not in live
        ]
        found = dict(existing.secrets)
        for name in unseen:
            stored = await self.applier.read_secret(namespace, name)
            # Ours, or released by a deleted owner of the same name (deletion-policy Retain):
            # the data it protects only accepts these values.
            if stored is None or controller_uid(stored) not in (None, uid):
                continue
            stamp = ((stored.get("metadata") or {}).get("annotations") or {}).get(ROTATION_STAMP)
            if rotate and stamp != rotate:
                continue
            found[name] = _decode(stored.get("data"))
        if len(found) != len(existing.secrets):
            existing = Existing(found, existing.secret_seed, existing.pvc_sizes)
            desired, resizes = self._render(uid, resource, existing)
        fresh = [("Secret", name) for name in unseen if name not in found]
        if rotate:
            desired = [_stamped(obj, rotate) for obj in desired]
        unknown = sorted({obj["kind"] for obj in desired} - set(CHILD_KINDS))
        if unknown:
            raise Stalled(
                "UnknownKind",
                f"the generator produced kinds this operator does not manage: {unknown}",
            )
        return desired, fresh, resizes

    # ---- apply and report -------------------------------------------------------------------

    async def _reconcile(self, body: Mapping[str, Any], uid: str) -> None:
        kind = str(body["kind"])
        meta = body["metadata"]
        generation = int(meta.get("generation") or 0)
        previous = self._statuses.get(uid) or dict(body.get("status") or {})
        if self._statuses.get(uid, {}).get("observedGeneration", -1) > generation:
            previous = dict(body.get("status") or {})
        live = self.state.children(uid)
        if meta.get("deletionTimestamp"):
            await self._finalize(body, uid, live)
            return
        if status_mod.new_generation(previous, generation):
            # kstatus: a new spec is "in progress" from the start, not once its reconcile ends.
            started = self._declared(kind, status_mod.starting(previous, generation))
            written = await self._publish(body, uid, previous, started)
            previous = started
            if written is not None:
                # The status write gave the resource a new resourceVersion: the finalizer patch
                # below must carry that one (with the body's, every first reconcile got a 409).
                body = {**body, "metadata": _fresher(meta, written)}
        try:
            desired, fresh, resizes = await self._generate(uid, body, live)
        except (SpecError, TemplateError) as error:
            message = error.message if isinstance(error, SpecError) else f"template: {error}"
            await self._stall(body, uid, previous, generation, "InvalidSpec", message)
            raise Stalled("InvalidSpec", message) from None
        except Stalled as stalled:
            await self._stall(body, uid, previous, generation, stalled.reason, stalled.message)
            raise
        retained = any(_retained(obj) for obj in desired)
        await self.applier.set_finalizer(self._refs[kind], body, RETAIN_FINALIZER, retained)
        # One-off Jobs that finished and were deleted since (a TTL) are not run again.
        deleted_jobs = self.state.deleted_jobs(uid)
        jobs = jobs_mod.settle(uid, desired, live, previous.get(jobs_mod.FIELD), deleted_jobs)
        # Migrations first: the workload waits, as it is, until the Job of this spec completed.
        gate = jobs_mod.gate(desired, live, jobs)
        try:
            result = await self.applier.sync(
                uid, jobs.apply, live, resizes, held=_kept_while_held(gate.held, live)
            )
        except Exception as error:
            outcome = classify(error, 0, self.settings)
            if outcome is None or outcome.stalled is None:
                raise
            problem: Stalled | None = outcome.stalled
        else:
            problem = None
        if problem is not None:
            await self._stall(body, uid, previous, generation, problem.reason, problem.message)
            raise problem
        if result.retry is not None:
            # Part done (volumes grown, an object deleted to be recreated): its Events now, as
            # the sync that finishes the work will not do these actions again.
            self._events(body, result, fresh, previous, previous)
            raise result.retry
        floors = status_mod.autoscaler_floors(desired)
        unsynced = await self._unsynced_targets(uid, desired, result.live)
        children = [
            (
                obj["kind"],
                obj["metadata"]["name"],
                _health(obj, result, jobs, gate, floors, unsynced),
            )
            for obj in desired
        ]
        children = await self._explain_pending(children, desired, result.live)
        extra = {
            **self._extra(kind, desired, result, _serves_tls(body)),
            jobs_mod.FIELD: jobs.records or None,
        }
        report = status_mod.Report(
            generation=generation,
            children=children,
            problems=result.problems + gate.problems(),
            extra=extra,
        )
        new = self._declared(kind, status_mod.compute(report, previous))
        await self._publish(body, uid, previous, new)
        self.state.looked_at_jobs(uid, deleted_jobs)
        self._events(body, result, fresh, previous, new)

    async def _unsynced_targets(
        self, uid: str, desired: list[JSON], live: Mapping[Key, JSON]
    ) -> dict[Key, status_mod.Health]:
        """ExternalSecrets the External Secrets Operator reports Ready whose target Secret does
        not exist (ESO's Secret carries no label of ours, so it is read: once per version of the
        ExternalSecret, then remembered)."""
        found: dict[Key, status_mod.Health] = {}
        seen = self._synced_targets.setdefault(uid, {})
        for obj in desired:
            name = obj["metadata"]["name"]
            current = live.get(("ExternalSecret", name))
            if obj["kind"] != "ExternalSecret" or current is None:
                continue
            if not status_mod.child_health("ExternalSecret", current, name).ready:
                continue
            version = str((current.get("metadata") or {}).get("resourceVersion"))
            if seen.get(name) == version:
                continue
            target = str(((obj.get("spec") or {}).get("target") or {}).get("name") or name)
            if await self.applier.read_secret(obj["metadata"].get("namespace"), target) is None:
                found[("ExternalSecret", name)] = status_mod.Health(
                    False,
                    message=f"ExternalSecret {name} is Ready, but its target Secret {target}"
                    " does not exist yet",
                )
            else:
                seen[name] = version
        return found

    async def _explain_pending(
        self,
        children: list[tuple[str, str, status_mod.Health]],
        desired: list[JSON],
        live: Mapping[Key, JSON],
    ) -> list[tuple[str, str, status_mod.Health]]:
        """A StatefulSet whose pods cannot start and a claim that stays Pending say why: the
        pending pod, its claim and the controller's reason (``storageclass.storage.k8s.io "fast"
        not found``), read from the claim's Warning Events only while it is Pending."""
        objects = {(obj["kind"], obj["metadata"]["name"]): obj for obj in desired}
        explained = []
        for kind, name, health in children:
            cause = None
            if not health.ready and not health.failed:
                namespace = objects[(kind, name)]["metadata"].get("namespace")
                if kind == "StatefulSet":
                    cause = await self._pending_pod(objects[(kind, name)], live)
                elif (
                    kind == "PersistentVolumeClaim" and _phase(live.get((kind, name))) == "Pending"
                ):
                    cause = await self.applier.last_warning(kind, namespace, name)
            if cause:
                health = status_mod.Health(False, message=f"{health.message}: {cause}")
            explained.append((kind, name, health))
        return explained

    async def _pending_pod(self, sts: JSON, live: Mapping[Key, JSON]) -> str | None:
        """``pod <sts>-<n> Pending: claim <claim> Pending[: why]`` for the first pod whose claim
        is not bound (pods of a StatefulSet and their claims have deterministic names)."""
        name, namespace = sts["metadata"]["name"], sts["metadata"].get("namespace")
        current = live.get(("StatefulSet", name)) or sts
        replicas = (current.get("spec") or {}).get("replicas", 1)
        templates = (sts.get("spec") or {}).get("volumeClaimTemplates") or []
        for ordinal in range(replicas if isinstance(replicas, int) else 1):
            for template in templates:
                claim = f"{template['metadata']['name']}-{name}-{ordinal}"
                pvc = live.get(("PersistentVolumeClaim", claim))
                if pvc is None or _phase(pvc) != "Pending":
                    continue
                why = await self.applier.last_warning("PersistentVolumeClaim", namespace, claim)
                pending = f"pod {name}-{ordinal} Pending: claim {claim} Pending"
                return f"{pending}: {why}" if why else pending
        return None

    async def _finalize(self, body: Mapping[str, Any], uid: str, live: Mapping[Key, JSON]) -> None:
        """The resource is being deleted: release the children that must outlive it, then let
        it go. Everything else is left to the garbage collector."""
        finalizers = body["metadata"].get("finalizers") or []
        if RETAIN_FINALIZER not in finalizers:
            return
        released = []
        for (kind, name), child in live.items():
            if controller_uid(child) == uid and _retained(child):
                await self.applier.release(uid, child)
                released.append(f"{kind} {name}")
        if released:
            _post(
                _event_target(body),
                "Normal",
                "Retained",
                f"Kept {', '.join(released)} after deletion ({DELETION_POLICY}: Retain)",
            )
        await self.applier.set_finalizer(
            self._refs[str(body["kind"])], body, RETAIN_FINALIZER, False
        )

    def _declared(self, kind: str, status: JSON) -> JSON:
        """Only the status fields the kind's CRD declares: the API server would prune the rest
        silently, and the next comparison would see a difference that is not there."""
        allowed = self._status_fields.get(kind)
        if not allowed:
            return status
        return {key: value for key, value in status.items() if key in allowed}

    def _extra(self, kind: str, desired: list[JSON], result: SyncResult, tls: bool) -> JSON:
        allowed = self._status_fields.get(kind, frozenset())
        ingresses = [obj for obj in desired if obj["kind"] == "Ingress"]
        routes = [obj for obj in desired if obj["kind"] == "HTTPRoute"]
        services = [obj for obj in desired if obj["kind"] == "Service"]
        extra: JSON = {
            "url": status_mod.url_of(ingresses)
            or status_mod.route_url(routes, https=tls)
            or status_mod.service_url(services),
            "lastRun": status_mod.last_run(desired, result.live),
            "replicas": status_mod.ready_replicas(
                [result.live[k] for k in result.live if k[0] in ("Deployment", "StatefulSet")]
            ),
            "connectionSecret": _connection_secret(desired),
        }
        return {key: value for key, value in extra.items() if key in allowed}

    async def _publish(
        self, body: Mapping[str, Any], uid: str, previous: Mapping[str, Any], new: JSON
    ) -> JSON | None:
        """Write the status if it changed; returns the server's answer (None: no write)."""
        if status_mod.same(previous, new):
            self._statuses[uid] = new
            return None
        meta = body["metadata"]
        answer = await self.applier.write_status(
            self._refs[str(body["kind"])],
            meta.get("namespace"),
            meta["name"],
            status_mod.merge_patch(previous, new),
        )
        self._statuses[uid] = new
        return answer

    async def _stall(
        self,
        body: Mapping[str, Any],
        uid: str,
        previous: Mapping[str, Any],
        generation: int,
        reason: str,
        message: str,
    ) -> None:
        report = status_mod.Report(
            generation=generation,
            problems=[status_mod.Problem(reason, message)],
            keep_children=True,
        )
        new = self._declared(str(body["kind"]), status_mod.compute(report, previous))
        if _stall_message(previous) != message:
            _post(_event_target(body), "Warning", reason=reason, message=message[:1000])
        await self._publish(body, uid, previous, new)

    def _events(
        self,
        body: Mapping[str, Any],
        result: SyncResult,
        fresh: list[Key],
        previous: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> None:
        target = _event_target(body)

        def names(keys: list[Key]) -> str:
            shown = ", ".join(f"{kind} {name}" for kind, name in keys[:10])
            return shown + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")

        for before, after in replaced_workloads(result):
            _post(
                target,
                "Normal",
                reason="WorkloadReplaced",
                message=f"Replaced {before[0]} {before[1]} with {after[0]} {after[1]}"
                " (spec.workload changed); volumes of the old workload are not moved",
            )
        applied = result.created + result.updated
        if applied:
            _post(target, "Normal", reason="Applied", message=f"Applied {names(applied)}")
        if result.pruned:
            _post(
                target,
                "Normal",
                reason="Pruned",
                message=f"Deleted {names(result.pruned)}, no longer in the spec",
            )
        if result.recreated:
            _post(
                target,
                "Normal",
                reason="Recreated",
                message=f"Recreating {names(result.recreated)} (immutable fields changed)",
            )
        if result.resized:
            _post(
                target, "Normal", reason="Resized", message=f"Growing {', '.join(result.resized)}"
            )
        created = [key for key in fresh if key in result.created or key in result.updated]
        if created:
            _post(
                target,
                "Normal",
                reason="SecretGenerated",
                message=f"Generated values for {names(created)}; they are kept until the"
                f" {ROTATE_ANNOTATION} annotation changes",
            )
        message = _stall_message(new)
        if message and message != _stall_message(previous):
            reason = next(
                (
                    c.get("reason", "Stalled")
                    for c in new.get("conditions", [])
                    if c.get("type") == "Stalled"
                ),
                "Stalled",
            )
            _post(target, "Warning", reason=reason, message=message[:1000])


def _health(
    obj: JSON,
    result: SyncResult,
    settled: jobs_mod.Settled,
    gate: jobs_mod.Gate,
    floors: Mapping[Key, int],
    unsynced: Mapping[Key, status_mod.Health],
) -> status_mod.Health:
    """One desired child's health: held for a Job, a finished Job deleted since by its TTL as it
    was last seen, a workload against its autoscaler's minimum (``floors``), an ExternalSecret
    without its target Secret (``unsynced``)."""
    key = (str(obj["kind"]), str(obj["metadata"]["name"]))
    if key in unsynced:
        return unsynced[key]
    if key in gate.held:
        return gate.health(key)
    if key[0] == "Job" and key[1] in settled.gone:
        return settled.health(key[1])
    return status_mod.child_health(key[0], result.live.get(key), key[1], floors.get(key, 0))


def _kept_while_held(held: Mapping[Key, str], live: Mapping[Key, JSON]) -> set[Key]:
    """The held objects, and a live workload of the same name and another kind (workload
    Deployment → StatefulSet with a migration): it keeps running until the migration completed."""
    names = {name for kind, name in held if kind in _WORKLOAD_KINDS}
    return set(held) | {
        (kind, name)
        for kind, name in live
        if kind in _WORKLOAD_KINDS and kind != "Job" and name in names
    }


def replaced_workloads(result: SyncResult) -> list[tuple[Key, Key]]:
    """``(pruned, created)`` pairs of workloads of one name whose kind changed in this sync."""
    created = {name: (kind, name) for kind, name in result.created if kind in _WORKLOAD_KINDS}
    return [
        ((kind, name), created[name])
        for kind, name in result.pruned
        if kind in _WORKLOAD_KINDS and name in created and created[name][0] != kind
    ]


def _post(target: JSON, type_: str, reason: str, message: str) -> None:
    """Post one Event on the resource (Kopf sends it in the background; never a secret value).

    An Event is a courtesy: failing to queue one never fails a reconcile.
    """
    try:
        kopf.event(kopf.Body(target), type=type_, reason=reason, message=message)  # type: ignore[arg-type]
    except LookupError:  # outside Kopf's context (unit tests, or before the poster runs)
        logger.debug("event not posted (no Kopf context): %s %s", reason, message)


def _serves_tls(body: Mapping[str, Any]) -> bool:
    """Whether the resource's ingress serves HTTPS (``spec.ingress.tls`` has no default, so the
    stored spec tells). An HTTPRoute does not say it: the Gateway's listener terminates TLS."""
    ingress = (body.get("spec") or {}).get("ingress")
    return isinstance(ingress, Mapping) and ingress.get("tls") is not None


def resize_plan(resource: JSON, existing: Existing) -> Resizes:
    """``[(pvc, size)]``: the existing volumes of ``resource`` to grow in place, as its kind's
    generator plans it (a Database's data, an App's per-pod volumes)."""
    planner = _RESIZE_PLANNERS.get(str(resource.get("kind")))
    if planner is None or not existing.pvc_sizes:
        return []
    return planner(validate(resource), existing)


def _fresher(meta: Mapping[str, Any], written: Mapping[str, Any]) -> JSON:
    """``meta`` with the resourceVersion and finalizers of our own write's answer (the same
    object, as it is now), so that a later precondition is not stale."""
    answer = written.get("metadata") or {}
    if not answer.get("resourceVersion") or answer.get("uid") not in (None, meta.get("uid")):
        return dict(meta)
    fresh = {**meta, "resourceVersion": answer["resourceVersion"]}
    fresh["finalizers"] = list(answer.get("finalizers") or [])
    return fresh


def _phase(obj: Mapping[str, Any] | None) -> str | None:
    phase = ((obj or {}).get("status") or {}).get("phase")
    return str(phase) if phase else None


def _retained(obj: Mapping[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return annotations.get(DELETION_POLICY) == "Retain"


def _stamped(obj: JSON, rotate: str) -> JSON:
    if obj["kind"] != "Secret":
        return obj
    copy = dict(obj)
    meta = copy["metadata"] = dict(obj["metadata"])
    meta["annotations"] = {**(meta.get("annotations") or {}), ROTATION_STAMP: rotate}
    return copy


def _connection_secret(desired: list[JSON]) -> str | None:
    for obj in desired:
        if obj["kind"] != "Secret":
            continue
        # The Database generator's "<name>-credentials" (credentials and the "uri" key).
        if obj["metadata"]["name"].endswith(("-credentials", "-connection")):
            return str(obj["metadata"]["name"])
    return None


def _stall_message(status: Mapping[str, Any]) -> str | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Stalled" and condition.get("status") == "True":
            return str(condition.get("message") or "")
    return None


def _event_target(body: Mapping[str, Any]) -> JSON:
    meta = body.get("metadata") or {}
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": {k: meta.get(k) for k in ("name", "namespace", "uid")},
    }


class Scheduler:
    """Runs reconciles that no Kopf handler waits for: child events and the periodic resync.

    Requests for one resource coalesce (a burst of child events causes one or two reconciles,
    never a queue), and a failed reconcile is tried again after the outcome's delay.
    """

    def __init__(
        self,
        settings: Settings,
        reconciler: Reconciler,
        state: LiveState,
    ) -> None:
        self.settings = settings
        self.reconciler = reconciler
        self.state = state
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Kopf's context (its Event poster lives in context variables), captured from a handler:
        # reconciles started here post Events like those started by Kopf.
        self.context: contextvars.Context | None = None
        self._again: set[str] = set()
        self._attempts: dict[str, int] = {}
        self._limit = asyncio.Semaphore(settings.workers or 256)
        self.gate: PeeringGate | None = None  # set at startup when peering is on

    def poke(self, uid: str) -> None:
        """Reconcile this resource soon (now, or right after the running reconcile)."""
        if uid in self._tasks:
            self._again.add(uid)
            return
        self._tasks[uid] = asyncio.create_task(
            self._run(uid), name=f"reconcile {uid}", context=self.context
        )

    def adopt_context(self) -> None:
        """Called from Kopf handlers: remember Kopf's context for the reconciles started here."""
        if self.context is None:
            self.context = contextvars.copy_context()

    async def _run(self, uid: str) -> None:
        try:
            while True:
                self._again.discard(uid)
                delay = await self._once(uid)
                if delay is not None:
                    await asyncio.sleep(delay)
                    continue
                if uid not in self._again:
                    return
        finally:
            self._tasks.pop(uid, None)

    async def _once(self, uid: str) -> float | None:
        body = self.state.parent(uid)
        if body is None:
            return None
        if self.gate is not None and not await self.gate.active():
            return None  # a peer with a higher priority works; Kopf is paused here too
        async with self._limit:
            try:
                await self.reconciler.reconcile(body)
            except Stalled:
                self._attempts.pop(uid, None)
                return None
            except Exception as error:
                attempt = self._attempts.get(uid, 0)
                outcome = classify(error, attempt, self.settings)
                if outcome is None:
                    logger.exception("reconcile of %s failed unexpectedly", uid)
                    delay = self.settings.retry_max_seconds
                elif outcome.retry is not None:
                    logger.info("reconcile of %s will be retried: %s", uid, describe(error))
                    delay = outcome.retry.delay
                else:
                    return None
                self._attempts[uid] = attempt + 1
                return delay
        self._attempts.pop(uid, None)
        return None

    async def resync_forever(self, ready: Callable[[], bool] | None = None) -> None:
        """Every ``resync_seconds``, reconcile every resource we know (drift healing)."""
        while True:
            await asyncio.sleep(self.settings.resync_seconds)
            if ready is not None and not ready():
                continue
            for uid in self.state.parent_uids():
                self.poke(uid)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def busy(self) -> int:
        return len(self._tasks)
