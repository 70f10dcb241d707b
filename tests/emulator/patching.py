"""Patch semantics of the emulated API server: merge, JSON, strategic-merge (approximate), apply.

Called by :mod:`emulator.server` for every PATCH and for server-side apply. Everything here is
pure: functions take plain JSON-like values and return new ones.

Server-side apply is approximated by *field ownership*: every object keeps, per field manager, the
set of leaf field paths that manager last wrote (:func:`leaf_paths`). An apply by manager M

* conflicts (409) with another manager's field whose value it would change, unless ``force``
  (then ownership moves to M);
* merges the applied configuration into the object (maps merge, keyed lists merge by key,
  other lists are replaced whole: "atomic");
* removes the fields M owned last time but no longer applies, unless another manager owns them.

A non-apply write (PUT, merge/JSON/strategic patch) by manager U makes U the owner of every field
whose value it changed and takes those fields away from everybody else, as the real server does.
What is *not* modelled: per-field ``x-kubernetes-list-type``/``x-kubernetes-map-type`` from
schemas (a fixed table of merge keys decides which lists are keyed), ``managedFields`` in
responses, and the exact conflict message format.
"""

from __future__ import annotations

import functools
import json
import pickle
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import jsonpatch

Path = tuple[str, ...]
T = TypeVar("T")

# List fields merged by key (strategic merge patch and apply); every other list is atomic.
# The real server reads this from Go struct tags / OpenAPI extensions; this table covers the
# fields Konfiguru's children use.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "resourceClaims": ("name",),
    "ports": ("containerPort", "port"),
}

# Fields that identify or are computed by the server: never owned, never pruned by apply.
SERVER_FIELDS: frozenset[Path] = frozenset(
    {
        ("apiVersion",),
        ("kind",),
        ("metadata", "name"),
        ("metadata", "namespace"),
        ("metadata", "uid"),
        ("metadata", "resourceVersion"),
        ("metadata", "generation"),
        ("metadata", "creationTimestamp"),
        ("metadata", "deletionTimestamp"),
        ("metadata", "deletionGracePeriodSeconds"),
        ("metadata", "managedFields"),
        ("metadata", "selfLink"),
        ("metadata", "generateName"),
    }
)


def clone(value: T) -> T:
    """A deep copy of JSON-like data (pickle round trip: several times faster than deepcopy)."""
    copied: T = pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    return copied


# ---------------------------------------------------------------- merge patch (RFC 7386)


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON merge patch: maps merge recursively, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ---------------------------------------------------------------- strategic merge (approximate)


def _list_key(field: str, items: Iterable[Any]) -> str | None:
    items = list(items)
    for key in MERGE_KEYS.get(field, ()):
        if items and all(isinstance(item, dict) and key in item for item in items):
            return key
    return None


def strategic_merge_patch(target: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge patch, approximated: a merge patch whose keyed lists (containers by name,
    env by name, ports by port...) merge by key, honouring ``$patch: delete|replace`` and dropping
    the other ``$`` directives (``$setElementOrder``, ``$retainKeys``...)."""
    if isinstance(patch, list):
        if not isinstance(target, list):
            return [_strip_directives(item) for item in patch]
        key = _list_key(field, [*target, *[p for p in patch if isinstance(p, dict)]])
        if key is None:
            if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
                return [_strip_directives(p) for p in patch if not _is_directive_item(p)]
            return [_strip_directives(item) for item in patch]
        result = [clone(item) for item in target]
        for item in patch:
            if not isinstance(item, dict):
                continue
            if item.get("$patch") == "replace":
                return [_strip_directives(p) for p in patch if not _is_directive_item(p)]
            index = next((i for i, old in enumerate(result) if old.get(key) == item.get(key)), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    del result[index]
            elif index is None:
                result.append(_strip_directives(item))
            else:
                result[index] = strategic_merge_patch(result[index], item)
        return result
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    if patch.get("$patch") == "delete":
        return None
    merged_map: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            merged_map.pop(key, None)
        else:
            merged = strategic_merge_patch(merged_map.get(key), value, key)
            if merged is None:
                merged_map.pop(key, None)
            else:
                merged_map[key] = merged
    return merged_map


def _is_directive_item(item: Any) -> bool:
    return isinstance(item, dict) and set(item) == {"$patch"}


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


# ---------------------------------------------------------------- JSON patch (RFC 6902)


def json_patch(target: Any, operations: list[dict[str, Any]]) -> Any:
    """RFC 6902; raises ValueError on a failed ``test`` or a bad path (the server answers 422)."""
    try:
        return jsonpatch.apply_patch(target, operations, in_place=False)
    except (
        jsonpatch.JsonPatchException,
        jsonpatch.JsonPointerException,
        KeyError,
        IndexError,
    ) as e:
        raise ValueError(str(e)) from e


# ---------------------------------------------------------------- field paths and ownership


def _item_segment(key: str, item: Mapping[str, Any]) -> str:
    return f"[{key}={item.get(key)}]"


def leaf_paths(value: Any, prefix: Path = (), field: str = "") -> set[Path]:
    """Every leaf field path of ``value``: maps recurse, keyed lists recurse per item
    (``containers``, ``[name=app]``, ``image``), scalars, atomic lists and empty maps are leaves."""
    if isinstance(value, dict) and value:
        result: set[Path] = set()
        for key, sub in value.items():
            path = (*prefix, key)
            if path in SERVER_FIELDS:
                continue
            result |= leaf_paths(sub, path, key)
        return result
    if isinstance(value, list) and value:
        key = _list_key(field, value)
        if key is not None:
            result = set()
            for item in value:
                result |= leaf_paths(item, (*prefix, _item_segment(key, item)), "")
            return result
    return {prefix} if prefix else set()


_MISSING = object()


def value_at(obj: Any, path: Path) -> Any:
    """The value at ``path`` or the ``_MISSING`` sentinel."""
    current = obj
    for segment in path:
        current = _step(current, segment)
        if current is _MISSING:
            return _MISSING
    return current


def _step(current: Any, segment: str) -> Any:
    if isinstance(current, list) and segment.startswith("[") and "=" in segment:
        key, _, wanted = segment[1:-1].partition("=")
        return next(
            (i for i in current if isinstance(i, dict) and str(i.get(key)) == wanted), _MISSING
        )
    if isinstance(current, dict):
        return current.get(segment, _MISSING)
    return _MISSING


def remove_path(obj: Any, path: Path) -> None:
    """Delete the field at ``path`` in place; maps and list items left empty by it go too."""
    if not path:
        return
    chain = [obj]
    for segment in path[:-1]:
        current = _step(chain[-1], segment)
        if current is _MISSING:
            return
        chain.append(current)
    target = _step(chain[-1], path[-1])
    if target is _MISSING:
        return
    chain.append(target)
    holder = chain[-2]
    if isinstance(holder, dict):
        del holder[path[-1]]
    else:
        holder[:] = [item for item in holder if item is not target]
    # Containers (maps, keyed list items) emptied by the removal go too; found by identity.
    for index in range(len(chain) - 2, 0, -1):
        child, holder = chain[index], chain[index - 1]
        if child:
            break
        if isinstance(holder, dict):
            for key in [k for k, v in holder.items() if v is child]:
                del holder[key]
        elif isinstance(holder, list):
            holder[:] = [item for item in holder if item is not child]


def _removal_order(path: Path) -> tuple[int, bool]:
    """Deepest first; a keyed item's key field last, so the item stays findable until then."""
    in_keyed_item = len(path) >= 2 and path[-2].startswith("[")
    is_key = in_keyed_item and path[-2][1:].split("=", 1)[0] == path[-1]
    return (-len(path), is_key)


def changed_paths(old: Any, new: Any, prefix: Path = (), field: str = "") -> set[Path]:
    """Leaf paths whose value differs between two versions (added, changed or removed).

    Walks both trees at once and skips equal subtrees (a C-speed comparison), so a small change
    to a big object costs little.
    """
    if old == new:
        return set()
    if isinstance(old, dict) and isinstance(new, dict) and old and new:
        result: set[Path] = set()
        for key in old.keys() | new.keys():
            path = (*prefix, key)
            if path in SERVER_FIELDS:
                continue
            result |= changed_paths(old.get(key, _MISSING), new.get(key, _MISSING), path, key)
        return result
    if isinstance(old, list) and isinstance(new, list) and old and new:
        key = _list_key(field, [*old, *new])
        if key is not None:
            old_items = {str(i.get(key)): i for i in old}
            new_items = {str(i.get(key)): i for i in new}
            result = set()
            for value in old_items.keys() | new_items.keys():
                segment = f"[{key}={value}]"
                result |= changed_paths(
                    old_items.get(value, _MISSING),
                    new_items.get(value, _MISSING),
                    (*prefix, segment),
                )
            return result
    paths = set()
    for side in (old, new):
        if side is not _MISSING:
            paths |= leaf_paths(side, prefix, field)
    return paths or ({prefix} if prefix else set())


def apply_merge(target: Any, applied: Any, field: str = "") -> Any:
    """Merge an applied configuration: maps merge, keyed lists merge by key, others replace."""
    if isinstance(applied, dict):
        result = dict(target) if isinstance(target, dict) else {}
        for key, value in applied.items():
            result[key] = apply_merge(result.get(key), value, key)
        return result
    if isinstance(applied, list) and isinstance(target, list):
        key = _list_key(field, [*target, *applied])
        if key is not None:
            result_list = [clone(item) for item in target]
            for item in applied:
                index = next(
                    (i for i, old in enumerate(result_list) if old.get(key) == item.get(key)), None
                )
                if index is None:
                    result_list.append(clone(item))
                else:
                    result_list[index] = apply_merge(result_list[index], item)
            return result_list
    return clone(applied)


class ApplyConflict(Exception):
    def __init__(self, conflicts: list[tuple[str, Path]]) -> None:
        super().__init__(conflicts)
        self.conflicts = conflicts

    def message(self) -> str:
        lines = [
            f'conflict with "{manager}": .{".".join(path)}' for manager, path in self.conflicts
        ]
        return f"Apply failed with {len(self.conflicts)} conflict(s): " + "; ".join(lines)


def server_side_apply(
    current: dict[str, Any] | None,
    applied: dict[str, Any],
    managers: dict[str, set[Path]],
    manager: str,
    *,
    force: bool,
    ignore: Iterable[Path] = (),
) -> dict[str, Any]:
    """The object after ``manager`` applies ``applied``; updates ``managers`` in place.

    ``ignore`` lists path prefixes the endpoint does not accept (``status`` on the main endpoint
    of a kind with the status subresource, everything but ``status`` on ``/status``).
    """
    ignored = tuple(ignore)
    wanted = {p for p in leaf_paths(applied) if not any(p[: len(i)] == i for i in ignored)}
    base = current or {}
    conflicts: list[tuple[str, Path]] = []
    for other, owned in managers.items():
        if other == manager:
            continue
        for path in owned & wanted:
            if value_at(base, path) != value_at(applied, path):
                conflicts.append((other, path))
    if conflicts and not force:
        raise ApplyConflict(sorted(conflicts))
    for other, path in conflicts:
        managers[other].discard(path)

    trimmed = clone(applied)
    for prefix in ignored:
        remove_path(trimmed, prefix)
    result: dict[str, Any] = apply_merge(base, trimmed)

    previously = managers.get(manager, set())
    others = set().union(*(owned for m, owned in managers.items() if m != manager))
    dropped = previously - wanted
    under_wanted = {w[:i] for w in wanted for i in range(1, len(w))} if dropped else set()
    for path in sorted(dropped, key=_removal_order):
        if path in others or path in under_wanted:
            continue
        item = path[:-1]
        if _removal_order(path)[1] and not any(o[: len(item)] == item for o in others):
            # The manager owned the item itself (its key): the whole item goes, with the fields
            # the server defaulted in it (``protocol: TCP``), which nobody owns.
            remove_path(result, item)
        else:
            remove_path(result, path)
    managers[manager] = wanted
    return result


def record_update(old: Any, new: Any, managers: dict[str, set[Path]], manager: str) -> None:
    """Ownership after a non-apply write: the writer owns what it changed, others lose it."""
    changed = changed_paths(old, new)
    if not changed:
        return
    above = {c[:i] for c in changed for i in range(1, len(c))}
    for other, owned in managers.items():
        if other != manager:
            owned.difference_update(
                {
                    p
                    for p in owned
                    if p in above or any(p[:i] in changed for i in range(1, len(p) + 1))
                }
            )
    present = {c for c in changed if value_at(new, c) is not _MISSING}
    managers.setdefault(manager, set()).update(present)
    for name in [m for m, owned in managers.items() if not owned]:
        del managers[name]


_NUMERIC_KEYS = {"containerPort", "port"}


def fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """Owned paths in the API server's ``FieldsV1`` shape (``f:spec``/``f:replicas``,
    ``k:{"name":"app"}`` for keyed list items), as found in ``metadata.managedFields``."""
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for segment in path:
            if segment[:1] == "[" and "=" in segment:
                node = node.setdefault(_item_key(segment), {})
                node.setdefault(".", {})
            else:
                node = node.setdefault("f:" + segment, {})
    return root


@functools.lru_cache(maxsize=4096)
def _item_key(segment: str) -> str:
    key, _, raw = segment[1:-1].partition("=")
    value: Any = int(raw) if key in _NUMERIC_KEYS and raw.lstrip("-").isdigit() else raw
    return "k:" + json.dumps({key: value}, separators=(",", ":"))
