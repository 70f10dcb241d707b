"""One-off Jobs run once: a finished Job that was deleted is not created again for the same spec.

An MLPipeline's or DataPipeline's training Job (named ``<name>``) carries
``ttlSecondsAfterFinished`` (a week, a day by default): the TTL controller deletes it once it has
finished. A level-based reconcile that only compared "desired" with "live" would then create it
again, and a one-off training would silently run again every week. App one-off Jobs
(``<app>-<job>-<hash>``) and a Database's replica-set Job have the same problem when a TTL or a
person deletes them.

So the reconciler remembers, in the parent's status (``status.finishedJobs``, declared in every
CRD), each desired Job it saw finish (``Complete`` or ``Failed``), with a hash of the Job spec
that ran (:func:`spec_hash`) and whether it succeeded. A desired Job that no longer exists and
whose name and spec hash are recorded is not applied: it ran. A changed spec (another hash) runs
again, as a new Job replaces the old one. The record survives operator restarts, since it is in
the status. Jobs started by a CronJob are not desired children and never recorded.

A Job deleted as soon as it finished (``ttlSecondsAfterFinished: 0``) may be gone before a
reconcile saw it finished: the child handler keeps the last state of each deleted Job
(``cache.LiveState.job_deleted``) until the next reconcile, which records it from there. Only
a Job that finished and was deleted while the operator was not running is run again.

Ordering (:func:`gate`): a Job marked to run first (an App's ``jobs[].runBefore: rollout``, an
Argo CD sync wave on the rendered objects, ``konfiguru_generators.order``) holds every object of
a later wave (the App's workload) until it completed: a held object is neither written nor
pruned, so the previous pods keep running while the migration of the new spec runs, and for
good when it fails. The Job's name carries its spec's hash, so a new spec is a new Job that
holds the rollout again; the same Job that already completed (or completed and was deleted,
see above) holds nothing.

Pure functions, no I/O; called by ``reconciler.py`` before ``apply.Applier.sync``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from konfiguru_generators.order import sync_wave

from .apply import up_to_date
from .cache import Key, controller_uid
from .status import Health, Problem

JSON = dict[str, Any]
FIELD = "finishedJobs"


def spec_hash(job: Mapping[str, Any]) -> str:
    """A short hash of a desired Job's ``spec``: labels or annotations changing alone do not
    make a finished Job run again; any change of what runs does."""
    text = json.dumps(job.get("spec") or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def outcome(live: Mapping[str, Any]) -> bool | None:
    """``True`` for a completed Job, ``False`` for a failed one, ``None`` while it runs."""
    for condition in (live.get("status") or {}).get("conditions") or []:
        if not isinstance(condition, Mapping) or condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return True
        if condition.get("type") == "Failed":
            return False
    return None


@dataclass
class Settled:
    """What to apply, what to record, and the Jobs that ran and are gone (name → succeeded)."""

    apply: list[JSON] = field(default_factory=list)
    records: list[JSON] = field(default_factory=list)
    gone: dict[str, bool] = field(default_factory=dict)

    def health(self, name: str) -> Health:
        """The health a Job that ran and is gone keeps reporting (as when it still existed)."""
        if self.gone[name]:
            return Health(True)
        return Health(False, True, f"Job {name} failed (the Job has since been deleted)")


def _records(previous: Sequence[Any] | None) -> dict[str, JSON]:
    found: dict[str, JSON] = {}
    for item in previous or ():
        if (
            isinstance(item, Mapping)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("specHash"), str)
            and isinstance(item.get("succeeded"), bool)
        ):
            found[item["name"]] = dict(item)
    return found


def settle(
    owner_uid: str,
    desired: Sequence[JSON],
    live: Mapping[Key, JSON],
    previous: Sequence[Any] | None,
    deleted: Mapping[str, JSON] | None = None,
) -> Settled:
    """Split ``desired`` into what to apply and the Jobs that already ran for this spec.

    ``previous`` is the last ``status.finishedJobs``; ``deleted`` the last state of Jobs deleted
    since the last reconcile, by name. Records of Jobs no longer desired, or desired with another
    spec, are dropped. A Job is recorded once it is seen finished (live, or in its last state),
    controlled by this owner and holding the desired spec: a finished run of an older spec is
    never taken for a run of the new one.
    """
    recorded = _records(previous)
    result = Settled()
    for obj in desired:
        if obj.get("kind") != "Job":
            result.apply.append(obj)
            continue
        name = str(obj["metadata"]["name"])
        digest = spec_hash(obj)
        record = recorded.get(name)
        if record is not None and record["specHash"] != digest:
            record = None  # another spec: it has not run yet
        current = live.get(("Job", name))
        seen = current if current is not None else (deleted or {}).get(name)
        done = outcome(seen) if seen is not None else None
        if done is not None and controller_uid(seen or {}) == owner_uid and up_to_date(obj, seen):
            record = {"name": name, "specHash": digest, "succeeded": done}
        if record is not None:
            result.records.append(record)
        if current is None and record is not None:
            result.gone[name] = bool(record["succeeded"])
        else:
            result.apply.append(obj)
    result.records.sort(key=lambda r: str(r["name"]))
    return result


@dataclass
class Gate:
    """The desired objects held back by a Job that runs before them: key → that Job's name, and
    whether it failed (name → True), so the reconciler reports why they wait."""

    held: dict[Key, str] = field(default_factory=dict)
    failed: dict[str, bool] = field(default_factory=dict)

    def health(self, key: Key) -> Health:
        """The held object's health: waiting for the Job (not failed itself: the Job is)."""
        job = self.held[key]
        if self.failed[job]:
            return Health(False, message=f"{key[0]} {key[1]} keeps its previous version")
        return Health(
            False,
            message=f"{key[0]} {key[1]}: rollout held until Job {job} completes",
            reason="WaitingForJob",
        )

    def problems(self) -> list[Problem]:
        """One problem per failed Job that holds a rollout (the resource is Stalled)."""
        return [
            Problem(
                "JobFailed",
                f"Job {job} failed, so the rollout of "
                + ", ".join(f"{k[0]} {k[1]}" for k, j in sorted(self.held.items()) if j == job)
                + " is held and the previous version keeps running; fix the job (a new spec"
                " runs a new Job) or remove its runBefore",
            )
            for job in sorted(name for name, failed in self.failed.items() if failed)
        ]


def gate(desired: Sequence[JSON], live: Mapping[Key, JSON], settled: Settled) -> Gate:
    """Which desired objects wait for a Job of an earlier sync wave that has not completed.

    A Job is done when its live copy holds the desired spec and has completed, or when it ran
    for this spec and is gone (``settled.gone``). Objects in the Job's own wave or an earlier
    one are never held; objects without a wave are wave 0.
    """
    result = Gate()
    pending: list[tuple[int, str]] = []
    for obj in desired:
        wave = sync_wave(obj)
        if obj.get("kind") != "Job" or wave == 0:
            continue
        name = str(obj["metadata"]["name"])
        if name in settled.gone:
            done: bool | None = settled.gone[name]
        else:
            current = live.get(("Job", name))
            fresh = current is not None and up_to_date(obj, current)
            done = outcome(current) if current is not None and fresh else None
        if done is not True:
            pending.append((wave, name))
            result.failed[name] = done is False
    for obj in desired:
        wave = sync_wave(obj)
        waits = [name for job_wave, name in sorted(pending) if job_wave < wave]
        if waits:
            result.held[(str(obj["kind"]), str(obj["metadata"]["name"]))] = waits[0]
    return result
