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

Pure functions, no I/O; called by ``reconciler.py`` before ``apply.Applier.sync``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .apply import up_to_date
from .cache import Key, controller_uid
from .status import Health

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
