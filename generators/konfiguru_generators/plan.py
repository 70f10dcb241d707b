"""What a change of Konfiguru resources will do to their children, before anything is applied.

Pure: two states in, a :class:`Plan` out. A state is the children of each resource, keyed by the
resource (``App shop/web``), as ``konfiguru render`` produces them offline or as the API server
holds (before) and would hold after a server-side dry-run apply (after). Called by the
``konfiguru diff`` command, both for ``--offline OLD NEW`` (two sources rendered here) and for
the live diff against a cluster (``konfiguru_operator.livediff``), so the two modes list changes
and breaking changes with the same rules and print them the same way.

Secret values never appear: every value of a Secret's ``data``/``stringData`` is shown as
``***`` (``*** (before)`` / ``*** (after)`` where it changes), as ``kubectl diff`` does.

Breaking changes are the ones a reviewer must see before they happen (:func:`breaking_changes`):
immutable fields that force a re-create or stall, a volume that would shrink, a workload whose
kind changes, a one-off Job that will run (again), generated Secret values that would rotate or
be lost, a Service that frees its load balancer address or changes its immutable load balancer
class, and children that hold data going away.
"""

from __future__ import annotations

import base64
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import yamltext
from .labels import GROUP
from .quantity import parse_quantity

JSON = dict[str, Any]
Action = Literal["create", "update", "delete"]

GENERATED_KEYS = f"{GROUP}/generated-keys"
DELETION_POLICY = f"{GROUP}/deletion-policy"
ROTATE_ANNOTATION = f"{GROUP}/rotate-secrets"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# Fields the API server (or a controller) owns: never part of what a change does.
_SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
_SERVER_ANNOTATIONS = (
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
)
# StatefulSet spec fields the API server lets an update change; any other change is refused.
_STATEFULSET_MUTABLE = frozenset(
    {
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
        "revisionHistoryLimit",
    }
)


@dataclass(frozen=True, order=True)
class ChildKey:
    """One child object: the identity the API server knows it by."""

    kind: str
    namespace: str
    name: str
    api_version: str = field(compare=False, default="")

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ChildKey:
        meta = obj.get("metadata") or {}
        return cls(
            kind=str(obj.get("kind", "")),
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name", "")),
            api_version=str(obj.get("apiVersion", "")),
        )

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True)
class Owned:
    """A Konfiguru resource and its children in one state (before or after the change).

    ``resource`` is the resource document (``None`` where only its children are known) and
    ``error`` the reason its children could not be computed (an invalid spec), if any.
    """

    owner: str
    children: Sequence[JSON]
    resource: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Change:
    """One child that would be created, changed or deleted, with a unified diff (Secrets masked)."""

    owner: str
    action: Action
    key: ChildKey
    diff: str


@dataclass(frozen=True)
class Breaking:
    """A change a reviewer must see before it happens: what, to which child, and why."""

    owner: str
    key: ChildKey | None
    reason: str
    message: str


@dataclass(frozen=True)
class Plan:
    """Everything a change would do, resource by resource."""

    changes: list[Change]
    breaking: list[Breaking]
    errors: list[str]
    owners: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)


def owner_name(resource: Mapping[str, Any]) -> str:
    """``App shop/web``: how a plan names a Konfiguru resource."""
    meta = resource.get("metadata") or {}
    name = meta.get("name", "?")
    where = f"{meta['namespace']}/{name}" if meta.get("namespace") else str(name)
    return f"{resource.get('kind', '?')} {where}"


# ---- normalising what is compared ---------------------------------------------------------------


def comparable(obj: Mapping[str, Any] | None) -> JSON | None:
    """An object without what the server owns (status, bookkeeping metadata), for comparing."""
    if obj is None:
        return None
    result = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_METADATA}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SERVER_ANNOTATIONS
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    result["metadata"] = meta
    if result.get("kind") == "Secret" and result.get("stringData"):
        # What the server stores: stringData folds into data, base64-encoded.
        data = dict(result.get("data") or {})
        for key, value in result.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        result["data"] = data
    return result


def _masked(before: JSON | None, after: JSON | None) -> tuple[JSON | None, JSON | None]:
    """Secret values replaced by ``***``, marking the keys whose value changes."""
    if (before or after or {}).get("kind") != "Secret":
        return before, after
    old = dict((before or {}).get("data") or {})
    new = dict((after or {}).get("data") or {})

    def mask(data: Mapping[str, Any], other: Mapping[str, Any], side: str) -> dict[str, str]:
        return {
            key: "***" if key in other and other[key] == value else f"*** ({side})"
            for key, value in data.items()
        }

    if before is not None:
        before = {**before, "data": mask(old, new, "before")} if old else before
    if after is not None:
        after = {**after, "data": mask(new, old, "after")} if new else after
    return before, after


def _text(obj: JSON | None) -> list[str]:
    if obj is None:
        return []
    # The one emitter: a value a YAML reader would retype shows quoted, as it is applied.
    return yamltext.dump(obj, sort_keys=True).splitlines(keepends=True)


def unified_diff(
    key: ChildKey,
    before: JSON | None,
    after: JSON | None,
    sides: tuple[str, str] = ("before", "after"),
) -> str:
    """A unified diff of one child (YAML, keys sorted, Secret values masked)."""
    old, new = _masked(before, after)
    name = f"{key.kind.lower()}/{key.namespace + '/' if key.namespace else ''}{key.name}"
    lines = difflib.unified_diff(
        _text(old),
        _text(new),
        fromfile=f"{sides[0]}/{name}" if before is not None else "/dev/null",
        tofile=f"{sides[1]}/{name}" if after is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# ---- the plan -----------------------------------------------------------------------------------


def plan(
    before: Iterable[Owned], after: Iterable[Owned], sides: tuple[str, str] = ("before", "after")
) -> Plan:
    """Compare two states, resource by resource; a resource only in ``before`` is deleted.

    ``sides`` name the two states in the diffs' file headers (``live``/``desired`` for a diff
    against a cluster, the two sources offline)."""
    old = {owned.owner: owned for owned in before}
    new = {owned.owner: owned for owned in after}
    owners = sorted(set(old) | set(new))
    changes: list[Change] = []
    breaking: list[Breaking] = []
    errors: list[str] = []
    for owner in owners:
        was, will = old.get(owner), new.get(owner)
        if will is not None and will.error is not None:
            errors.append(f"{owner}: {will.error}")
            continue
        was_children = _by_key(was.children if was else ())
        will_children = _by_key(will.children if will else ())
        for key in sorted(set(was_children) | set(will_children)):
            b = comparable(was_children.get(key))
            a = comparable(will_children.get(key))
            if b is not None and a is not None and b == a:
                continue
            action: Action = "create" if b is None else "delete" if a is None else "update"
            changes.append(Change(owner, action, key, unified_diff(key, b, a, sides)))
        breaking.extend(
            breaking_changes(owner, was, will, was_children, will_children),
        )
    return Plan(changes=changes, breaking=breaking, errors=errors, owners=owners)


def _by_key(children: Iterable[JSON]) -> dict[ChildKey, JSON]:
    return {ChildKey.of(child): child for child in children}


def _get(obj: Mapping[str, Any] | None, *path: str) -> Any:
    value: Any = obj
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _storage(obj: Mapping[str, Any] | None) -> Any:
    return _get(obj, "spec", "resources", "requests", "storage")


def _smaller(new: Any, old: Any) -> bool:
    try:
        return bool(
            new is not None and old is not None and parse_quantity(new) < parse_quantity(old)
        )
    except (ValueError, TypeError, ArithmeticError):
        return False


_Add = Callable[["ChildKey | None", str, str], None]


def breaking_changes(
    owner: str,
    was: Owned | None,
    will: Owned | None,
    before: Mapping[ChildKey, JSON],
    after: Mapping[ChildKey, JSON],
) -> list[Breaking]:
    """Every breaking change of one resource's children (see the module docstring)."""
    found: list[Breaking] = []

    def add(key: ChildKey | None, reason: str, message: str) -> None:
        found.append(Breaking(owner, key, reason, message))

    existed = was is not None
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None:
            _changed(key, b, a, add)
        elif b is not None:
            _removed(key, b, will is None, add)
        elif a is not None and existed and key.kind == "Job":
            add(key, "JobRunsAgain", f"{key} is new: this one-off Job will run (again)")
    _workload_kind_changes(before, after, add)
    _rotations(was, will, before, after, add)
    return found


def _changed(key: ChildKey, b: JSON, a: JSON, add: _Add) -> None:
    if key.kind in WORKLOAD_KINDS and _get(b, "spec", "selector") != _get(a, "spec", "selector"):
        add(
            key,
            "ImmutableSelector",
            f"{key}: spec.selector cannot change; the operator stops (Stalled) until the old"
            f" {key.kind} is deleted, and its pods are replaced all at once",
        )
    if key.kind == "Job" and _get(b, "spec", "template") != _get(a, "spec", "template"):
        add(
            key,
            "JobRunsAgain",
            f"{key}: its pod template changed, so it is re-created and runs again",
        )
    if key.kind == "StatefulSet":
        fixed = sorted(
            k
            for k in set(_get(b, "spec") or {}) | set(_get(a, "spec") or {})
            if k not in _STATEFULSET_MUTABLE and _get(b, "spec", k) != _get(a, "spec", k)
        )
        if fixed:
            add(
                key,
                "Recreate",
                f"{key}: {', '.join('spec.' + k for k in fixed)} cannot change in place; the"
                " operator deletes it (orphaning its pods and volumes) and creates it again",
            )
        old_claims = {
            c.get("metadata", {}).get("name"): c
            for c in _get(b, "spec", "volumeClaimTemplates") or []
        }
        for claim in _get(a, "spec", "volumeClaimTemplates") or []:
            name = claim.get("metadata", {}).get("name")
            old_size, new_size = _storage(old_claims.get(name)), _storage(claim)
            if _smaller(new_size, old_size):
                add(
                    key,
                    "StorageShrink",
                    f"{key}: volume {name} would shrink from {old_size} to {new_size}; volumes"
                    " only grow (the operator refuses it: Stalled InvalidSpec)",
                )
    if key.kind == "PersistentVolumeClaim" and _smaller(_storage(a), _storage(b)):
        add(
            key,
            "StorageShrink",
            f"{key} would shrink from {_storage(b)} to {_storage(a)}; volumes only grow",
        )
    if key.kind == "Service":
        old_type, new_type = _get(b, "spec", "type"), _get(a, "spec", "type")
        if old_type == "LoadBalancer" and new_type != "LoadBalancer":
            add(
                key,
                "FreesLoadBalancer",
                f"{key}: type LoadBalancer → {new_type or 'ClusterIP'} frees its load balancer"
                " address; a new one later gets a different address",
            )
        old_class = _get(b, "spec", "loadBalancerClass")
        new_class = _get(a, "spec", "loadBalancerClass")
        if old_type == "LoadBalancer" and new_type == "LoadBalancer" and old_class != new_class:
            add(
                key,
                "ImmutableLoadBalancerClass",
                f"{key}: spec.loadBalancerClass {old_class or '(none)'} → {new_class or '(none)'}"
                " cannot change in place; the operator reports ImmutableField until the Service"
                " is deleted, and the new one gets a different load balancer address",
            )


def _removed(key: ChildKey, b: JSON, owner_gone: bool, add: _Add) -> None:
    annotations = _get(b, "metadata", "annotations") or {}
    if annotations.get(DELETION_POLICY) == "Retain":
        return  # outlives its owner by design: nothing is lost
    if key.kind == "Service" and _get(b, "spec", "type") == "LoadBalancer":
        add(key, "FreesLoadBalancer", f"{key} is deleted and frees its load balancer address")
    if key.kind == "PersistentVolumeClaim":
        add(key, "DataLoss", f"{key} is deleted with the data on its volume")
    elif key.kind == "StatefulSet" and _get(b, "spec", "volumeClaimTemplates"):
        add(
            key,
            "DataLoss",
            f"{key} is deleted; its volumes stay but nothing uses them"
            + (" any more (the resource is gone)" if owner_gone else ""),
        )
    elif key.kind == "Secret" and annotations.get(GENERATED_KEYS):
        add(
            key,
            "SecretLost",
            f"{key} is deleted with its generated values ({annotations[GENERATED_KEYS]}); new"
            " ones would differ",
        )


def _workload_kind_changes(
    before: Mapping[ChildKey, JSON], after: Mapping[ChildKey, JSON], add: _Add
) -> None:
    def workloads(state: Mapping[ChildKey, JSON]) -> dict[tuple[str, str], str]:
        return {(k.namespace, k.name): k.kind for k in state if k.kind in WORKLOAD_KINDS}

    old, new = workloads(before), workloads(after)
    for where, kind in sorted(new.items()):
        if where in old and old[where] != kind:
            add(
                ChildKey(kind, *where),
                "WorkloadKindChange",
                f"{where[1]}: the workload changes from {old[where]} to {kind}; every pod is"
                " replaced (the old workload is deleted first)",
            )


def _rotations(
    was: Owned | None,
    will: Owned | None,
    before: Mapping[ChildKey, JSON],
    after: Mapping[ChildKey, JSON],
    add: _Add,
) -> None:
    if was is None or will is None or was.resource is None or will.resource is None:
        return
    old = (_get(was.resource, "metadata", "annotations") or {}).get(ROTATE_ANNOTATION)
    new = (_get(will.resource, "metadata", "annotations") or {}).get(ROTATE_ANNOTATION)
    if not new or old == new:
        return
    for key, obj in sorted(after.items()):
        generated = (_get(obj, "metadata", "annotations") or {}).get(GENERATED_KEYS)
        if key.kind == "Secret" and generated and key in before:
            add(
                key,
                "SecretRotates",
                f"{key}: {ROTATE_ANNOTATION} changes to {new!r}, so its generated values"
                f" ({generated}) are replaced; everything using them must pick up the new ones",
            )


# ---- output -------------------------------------------------------------------------------------


def summary(result: Plan) -> str:
    parts = [
        f"{result.count('create')} to create",
        f"{result.count('update')} to change",
        f"{result.count('delete')} to delete",
    ]
    return ", ".join(parts) + (f"; {len(result.breaking)} breaking" if result.breaking else "")


def text(result: Plan) -> str:
    """For a terminal: the breaking changes first, then each change with its diff."""
    lines: list[str] = []
    for error in result.errors:
        lines.append(f"error: {error}\n")
    for item in result.breaking:
        lines.append(f"BREAKING {item.reason}: {item.owner}: {item.message}\n")
    for change in result.changes:
        lines.append(f"{change.owner}: {change.action} {change.key}\n")
        lines.append(change.diff)
    lines.append(f"Plan: {summary(result)}.\n")
    return "".join(lines)


def markdown(result: Plan) -> str:
    """For a pull-request comment: a summary, the breaking changes, a table and folded diffs."""
    out = [f"## Konfiguru plan: {summary(result)}\n"]
    if result.errors:
        out.append("\n### Errors\n\n")
        out.extend(f"- {_md(error)}\n" for error in result.errors)
    if result.breaking:
        out.append(f"\n### ⚠️ Breaking changes ({len(result.breaking)})\n\n")
        out.extend(
            f"- **{_md(item.owner)}** — `{item.reason}`: {_md(item.message)}\n"
            for item in result.breaking
        )
    if not result.changes:
        out.append("\nNo changes.\n")
        return "".join(out)
    for owner in result.owners:
        changes = [change for change in result.changes if change.owner == owner]
        if not changes:
            continue
        out.append(f"\n### {_md(owner)}\n\n| action | object |\n|---|---|\n")
        out.extend(f"| {change.action} | {_md(str(change.key))} |\n" for change in changes)
        for change in changes:
            fence = "````" if "```" in change.diff else "```"
            out.append(
                f"\n<details><summary>{change.action} {_md(str(change.key))}</summary>\n\n"
                f"{fence}diff\n{change.diff}{fence}\n\n</details>\n"
            )
    return "".join(out)


def _md(value: str) -> str:
    """Text safe inside a Markdown table cell or list item (no HTML, no column breaks)."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )
