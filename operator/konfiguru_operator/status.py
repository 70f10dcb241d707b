"""The status a Konfiguru resource reports: kstatus conditions and the children's aggregated health.

Pure functions, no I/O: the reconciler (``reconciler.py``) hands in the desired children, what the
cluster holds and the outcome of the apply; this module says what the status should be. Tools
read it: ``kubectl wait --for=condition=Ready``, Argo CD health checks and Flux's kstatus.

The contract (kstatus, sigs.k8s.io/cli-utils):

- ``status.observedGeneration``: the ``metadata.generation`` this status describes. Until it
  equals the current generation, the status is about an older spec and tools treat the resource
  as in progress.
- Three conditions, always all present, each with ``reason``, ``message``, ``observedGeneration``
  and a ``lastTransitionTime`` that changes only when its ``status`` flips:

  * ``Ready``: every child exists and is healthy (Deployment rolled out, StatefulSet and DaemonSet
    ready, at least the autoscaler's minimum of pods ready, Job succeeded, PersistentVolumeClaim
    bound, ExternalSecret ``Ready`` by the External Secrets Operator with its target Secret; other
    kinds are ready once they exist).
  * ``Reconciling``: work is under way (children being created or rolled out).
  * ``Stalled``: it cannot progress without a person: an invalid spec, an immutable field, a name
    taken by another owner, a failed Job, a rollout past its deadline.

  A workload held for a migration (``jobs.gate``) is not ready: reasons ``WaitingForJob`` while
  the Job runs (the message names it), ``JobFailed`` (Stalled) once it failed.

  A reconcile of a new generation first writes ``Reconciling=True`` (reason ``NewGeneration``)
  with the new ``observedGeneration`` (:func:`starting`), then the outcome when it ends.

- ``phase``: one word for humans: ``Ready``, ``Progressing`` or ``Stalled``.
- ``children``: ``{kind, name, ready}`` for every desired child.
- ``url`` for an App exposed by an Ingress or an HTTPRoute; ``connectionSecret`` for a Database.
- ``secretsRotation``: the last honoured value of the ``konfiguru.io/rotate-secrets`` annotation.
- ``finishedJobs``: ``{name, specHash, succeeded}`` of each one-off Job seen finished, so that
  one deleted afterwards is not run again (``jobs.py``).
- ``replicas``: ready pods of the workloads, for ``kubectl get``'s column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
CONDITION_TYPES = ("Ready", "Reconciling", "Stalled")


@dataclass(frozen=True)
class Health:
    """One child's own health."""

    ready: bool
    failed: bool = False
    message: str = ""
    reason: str = ""  # why it waits, when more telling than "Progressing" (e.g. WaitingForJob)


@dataclass(frozen=True)
class Problem:
    """Why a resource is stalled: a CamelCase reason and a message that says what to do."""

    reason: str
    message: str


@dataclass
class Report:
    """Everything the status is computed from, gathered by the reconciler."""

    generation: int
    children: Sequence[tuple[str, str, Health]] = ()
    problems: Sequence[Problem] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    keep_children: bool = False  # an invalid spec leaves the last reported children in place


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _generation_seen(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation")
    observed = status.get("observedGeneration")
    return generation is None or (isinstance(observed, int) and observed >= generation)


def _condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    for item in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(item, dict) and item.get("type") == kind:
            return item
    return {}


def _replicas(obj: Mapping[str, Any]) -> int:
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    return replicas if isinstance(replicas, int) else 1


def _below_floor(kind: str, name: str, ready: int, floor: int) -> Health | None:
    """Not ready while fewer pods than the autoscaler's ``minReplicas`` are: the HPA raises
    ``spec.replicas`` (defaulted to 1 by the server) to it only after it exists."""
    if ready >= floor:
        return None
    return Health(
        False,
        message=f"{kind} {name}: {ready} of {floor} pods ready (autoscale.min {floor};"
        " the HorizontalPodAutoscaler has not scaled it up yet)",
    )


def _deployment(obj: Mapping[str, Any], floor: int = 0) -> Health:
    # The same test as `kubectl rollout status`, then the autoscaler's minimum.
    status = obj.get("status") or {}
    name = (obj.get("metadata") or {}).get("name", "")
    progressing = _condition(obj, "Progressing")
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(False, True, f"Deployment {name} exceeded its progress deadline")
    if not _generation_seen(obj):
        return Health(False, message=f"Deployment {name}: rollout not yet observed")
    want = _replicas(obj)
    updated, total = _int(status.get("updatedReplicas")), _int(status.get("replicas"))
    available = _int(status.get("availableReplicas"))
    if updated < want:
        return Health(False, message=f"Deployment {name}: {updated} of {want} pods updated")
    if total > updated:
        old = total - updated
        return Health(False, message=f"Deployment {name}: {old} old pods pending termination")
    if available < updated:
        return Health(False, message=f"Deployment {name}: {available} of {updated} available")
    return _below_floor("Deployment", name, available, floor) or Health(True)


def _statefulset(obj: Mapping[str, Any], floor: int = 0) -> Health:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    name = (obj.get("metadata") or {}).get("name", "")
    if not _generation_seen(obj):
        return Health(False, message=f"StatefulSet {name}: rollout not yet observed")
    want = _replicas(obj)
    ready = _int(status.get("readyReplicas"))
    if ready < want:
        return Health(False, message=f"StatefulSet {name}: {ready} of {want} pods ready")
    strategy = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate")
    update = status.get("updateRevision")
    if strategy == "RollingUpdate" and update and status.get("currentRevision") != update:
        return Health(False, message=f"StatefulSet {name}: rolling update in progress")
    return _below_floor("StatefulSet", name, ready, floor) or Health(True)


def _daemonset(obj: Mapping[str, Any], floor: int = 0) -> Health:
    status = obj.get("status") or {}
    name = (obj.get("metadata") or {}).get("name", "")
    if not _generation_seen(obj):
        return Health(False, message=f"DaemonSet {name}: rollout not yet observed")
    want = _int(status.get("desiredNumberScheduled"))
    updated, available = (
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
    )
    if updated < want or available < want:
        return Health(False, message=f"DaemonSet {name}: {available} of {want} pods available")
    return Health(True)


def _job(obj: Mapping[str, Any], floor: int = 0) -> Health:
    name = (obj.get("metadata") or {}).get("name", "")
    if _condition(obj, "Complete").get("status") == "True":
        return Health(True)
    failed = _condition(obj, "Failed")
    if failed.get("status") == "True":
        why = failed.get("message") or failed.get("reason") or "failed"
        return Health(False, True, f"Job {name} failed: {why}")
    return Health(False, message=f"Job {name} has not completed yet")


def _pvc(obj: Mapping[str, Any], floor: int = 0) -> Health:
    name = (obj.get("metadata") or {}).get("name", "")
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Bound":
        return Health(True)
    if phase == "Lost":
        return Health(False, True, f"PersistentVolumeClaim {name} lost its volume")
    return Health(False, message=f"PersistentVolumeClaim {name} is {phase or 'Pending'}")


def _external_secret(obj: Mapping[str, Any], floor: int = 0) -> Health:
    """Ready once the External Secrets Operator says so (condition ``Ready=True``): it has then
    written the target Secret (which the reconciler also checks exists)."""
    name = (obj.get("metadata") or {}).get("name", "")
    ready = _condition(obj, "Ready")
    if ready.get("status") == "True":
        return Health(True)
    if ready:
        why = ready.get("message") or ready.get("reason") or "not synced"
        return Health(False, message=f"ExternalSecret {name} is not synced: {why}")
    return Health(
        False,
        message=f"ExternalSecret {name} has no status from the External Secrets Operator yet"
        " (is it running, and does its SecretStore exist?)",
    )


_CHECKS: dict[str, Callable[[Mapping[str, Any], int], Health]] = {
    "ExternalSecret": _external_secret,
    "Deployment": _deployment,
    "StatefulSet": _statefulset,
    "DaemonSet": _daemonset,
    "Job": _job,
    "PersistentVolumeClaim": _pvc,
}


def child_health(
    kind: str, live: Mapping[str, Any] | None, name: str = "", floor: int = 0
) -> Health:
    """A child's health from its live object; ``None`` means it does not exist (yet).
    ``floor``: the fewest ready pods a workload counts ready with (its autoscaler's minimum)."""
    if live is None:
        return Health(False, message=f"{kind} {name} does not exist yet")
    check = _CHECKS.get(kind)
    return check(live, floor) if check else Health(True)


def autoscaler_floors(desired: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """``(kind, name)`` of each workload a desired HorizontalPodAutoscaler scales → its
    ``minReplicas`` (default 1): the workload is not ready with fewer pods, although its
    ``spec.replicas`` (defaulted to 1 by the server) says less until the autoscaler acts."""
    floors: dict[tuple[str, str], int] = {}
    for obj in desired:
        if obj.get("kind") != "HorizontalPodAutoscaler":
            continue
        spec = obj.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        minimum = spec.get("minReplicas", 1)
        if target.get("kind") and target.get("name") and isinstance(minimum, int):
            floors[(str(target["kind"]), str(target["name"]))] = minimum
    return floors


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conditions(
    previous: Sequence[Mapping[str, Any]] | None,
    wanted: Mapping[str, tuple[bool, str, str]],
    generation: int,
    now: str | None = None,
) -> list[JSON]:
    """The full conditions list: ``wanted`` is type → (status, reason, message).

    ``lastTransitionTime`` is carried over from ``previous`` unless the status flipped: tools
    (and people) read it as "since when".
    """
    old = {c.get("type"): c for c in previous or () if isinstance(c, Mapping)}
    stamp = now or _now()
    result: list[JSON] = []
    for kind in CONDITION_TYPES:
        value, reason, message = wanted[kind]
        text = "True" if value else "False"
        before = old.get(kind) or {}
        since = before.get("lastTransitionTime") if before.get("status") == text else None
        result.append(
            {
                "type": kind,
                "status": text,
                "reason": reason,
                "message": message,
                "observedGeneration": generation,
                "lastTransitionTime": since or stamp,
            }
        )
    return result


def new_generation(previous: Mapping[str, Any] | None, generation: int) -> bool:
    """Whether ``generation`` is newer than the one the status describes (a spec edit, or a
    resource never reconciled): its reconcile starts by saying so (:func:`starting`)."""
    observed = (previous or {}).get("observedGeneration")
    return generation > 0 and not (isinstance(observed, int) and observed >= generation)


def starting(previous: Mapping[str, Any] | None, generation: int, now: str | None = None) -> JSON:
    """The status written as soon as the reconcile of a new generation starts (kstatus: "set
    Reconciling first"): ``Reconciling=True``, not ``Ready``, about ``generation``.

    Without it, the status would go on describing the previous spec as Ready until the first
    reconcile of the new one ends, and a tool that reads it in between (``kubectl wait``, Argo
    CD) would count the new spec as done. Facts about the children are kept as they were.
    """
    previous = previous or {}
    message = f"Reconciling generation {generation}"
    wanted = {
        "Ready": (False, "NewGeneration", message),
        "Reconciling": (True, "NewGeneration", message),
        "Stalled": (False, "NewGeneration", message),
    }
    status: JSON = dict(previous)
    status["observedGeneration"] = generation
    status["phase"] = "Progressing"
    status["conditions"] = conditions(previous.get("conditions"), wanted, generation, now)
    return status


def compute(report: Report, previous: Mapping[str, Any] | None, now: str | None = None) -> JSON:
    """The whole ``status`` object for one resource."""
    previous = previous or {}
    healths = [health for _, _, health in report.children]
    failed = [h.message for h in healths if h.failed]
    unready = [h for h in healths if not h.ready and not h.failed]
    waiting = [h.message for h in unready]
    problems = list(report.problems) + [Problem("ChildFailed", message) for message in failed]
    if problems:
        stall_reason = problems[0].reason
        stall_message = "; ".join(p.message for p in problems)
        wanted = {
            "Ready": (False, stall_reason, stall_message),
            "Reconciling": (False, stall_reason, "Stalled: " + stall_message),
            "Stalled": (True, stall_reason, stall_message),
        }
        phase = "Stalled"
    elif waiting:
        message = "; ".join(waiting[:5]) + (
            f"; and {len(waiting) - 5} more" if len(waiting) > 5 else ""
        )
        reason = next((h.reason for h in unready if h.reason), "Progressing")
        wanted = {
            "Ready": (False, reason, message),
            "Reconciling": (True, reason, message),
            "Stalled": (False, reason, "Making progress"),
        }
        phase = "Progressing"
    else:
        message = f"All {len(healths)} children are ready"
        wanted = {
            "Ready": (True, "Ready", message),
            "Reconciling": (False, "Ready", message),
            "Stalled": (False, "Ready", message),
        }
        phase = "Ready"
    status: JSON = {
        "observedGeneration": report.generation,
        "phase": phase,
        "conditions": conditions(previous.get("conditions"), wanted, report.generation, now),
    }
    if report.keep_children:
        if "children" in previous:
            status["children"] = previous["children"]
    else:
        status["children"] = [
            {"kind": kind, "name": name, "ready": health.ready}
            for kind, name, health in report.children
        ]
    for key, value in report.extra.items():
        if value is not None:
            status[key] = value
    if report.keep_children:
        # Facts about children we did not touch stay as they were.
        for key in ("url", "connectionSecret", "replicas", "finishedJobs"):
            if key in previous and key not in status:
                status[key] = previous[key]
    return status


def same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Whether two statuses say the same thing (ignoring nothing: they are built by us)."""
    return (a or {}) == (b or {})


def merge_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> JSON:
    """A JSON merge patch turning ``old`` into ``new`` at the top level: gone keys become null.

    Lists (``conditions``, ``children``) are replaced whole, as merge patch does.
    """
    patch: JSON = dict(new)
    for key in old or {}:
        if key not in new:
            patch[key] = None
    return patch


def url_of(ingresses: Sequence[Mapping[str, Any]]) -> str | None:
    """The URL an App is reached at: its Ingress's first host and path, https when TLS covers it."""
    for ingress in ingresses:
        spec = ingress.get("spec") or {}
        for rule in spec.get("rules") or []:
            host = rule.get("host")
            if not host:
                continue
            tls_hosts = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
            scheme = "https" if host in tls_hosts else "http"
            paths = (rule.get("http") or {}).get("paths") or []
            path = paths[0].get("path", "/") if paths else "/"
            return f"{scheme}://{host}{'' if path == '/' else path}"
    return None


def route_url(routes: Sequence[Mapping[str, Any]], *, https: bool) -> str | None:
    """The URL of the first HTTPRoute that forwards (not the one that only redirects to HTTPS):
    its first hostname and path match."""
    for route in routes:
        spec = route.get("spec") or {}
        rules = [r for r in spec.get("rules") or [] if r.get("backendRefs")]
        hosts = spec.get("hostnames") or []
        if not rules or not hosts:
            continue
        matches = rules[0].get("matches") or []
        path = str(((matches[0] if matches else {}).get("path") or {}).get("value") or "/")
        return f"{'https' if https else 'http'}://{hosts[0]}{'' if path == '/' else path}"
    return None


def service_url(services: Sequence[Mapping[str, Any]]) -> str | None:
    """The in-cluster URL of the first non-headless Service: ``http://name.namespace.svc:port``."""
    for service in services:
        spec = service.get("spec") or {}
        ports = spec.get("ports") or []
        if spec.get("clusterIP") == "None" or not ports:
            continue
        meta = service.get("metadata") or {}
        where = (
            f"{meta.get('name')}.{meta['namespace']}.svc"
            if meta.get("namespace")
            else meta.get("name")
        )
        port = ports[0].get("port")
        return f"http://{where}" + ("" if port == 80 else f":{port}")
    return None


def last_run(
    desired: Sequence[Mapping[str, Any]], live: Mapping[Any, Mapping[str, Any]]
) -> str | None:
    """The most recent Job of a pipeline: a CronJob's newest active Job, else the last Job."""
    for obj in desired:
        if obj.get("kind") != "CronJob":
            continue
        current = live.get(("CronJob", obj["metadata"]["name"])) or {}
        active = (current.get("status") or {}).get("active") or []
        if active:
            return str(active[-1].get("name"))
    jobs = [obj["metadata"]["name"] for obj in desired if obj.get("kind") == "Job"]
    return str(jobs[-1]) if jobs else None


def ready_replicas(live: Sequence[Mapping[str, Any]]) -> int | None:
    """Ready pods across the Deployments and StatefulSets, for the ``Replicas`` column."""
    counts = [
        _int((obj.get("status") or {}).get("readyReplicas"))
        for obj in live
        if obj.get("kind") in ("Deployment", "StatefulSet")
    ]
    return sum(counts) if counts else None
