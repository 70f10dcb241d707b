"""The emulated cluster state: objects, resource versions, ownership, garbage collection, watches.

:class:`Cluster` is the in-memory "etcd + API machinery" of the emulator. Every method runs on the
emulator's event loop thread and never awaits, so each operation is atomic without locks. The HTTP
layer (:mod:`emulator.server`) and the thread-safe test facade (:mod:`emulator.harness`) call the
same methods, so objects a test creates produce the same watch events as objects a client posts.

Errors are :class:`ApiError` carrying a Kubernetes ``Status`` body (404/409/410/422/...).
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import collections
import contextlib
import datetime
import json
import random
import re
import string
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import defaults, patching
from .patching import Path
from .resources import Catalogue, ResourceType, types_from_crd
from .selectors import Matcher, SelectorError, equality_terms, object_matcher

Obj = dict[str, Any]
Listener = Callable[[str, ResourceType, Obj, "Obj | None"], None]

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_IDENTITY_META = (
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "generateName",
)


class ApiError(Exception):
    """A failed API call, rendered as a Kubernetes ``Status`` object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(rt: ResourceType, name: str | None) -> Obj:
    details: Obj = {"group": rt.group, "kind": rt.plural}
    if name:
        details["name"] = name
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{rt.qualified} "{name}" not found', details=_details(rt, name)
    )


def invalid(rt: ResourceType, name: str, causes: builtins.list[tuple[str, str]]) -> ApiError:
    """422 Invalid, with ``causes`` as (field, message) pairs like the real server."""
    text = "; ".join(f"{f}: {m}" if f else m for f, m in causes)
    details = _details(rt, name)
    details["kind"] = rt.kind
    details["causes"] = [
        {"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes
    ]
    qualified_kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    return ApiError(
        422, "Invalid", f'{qualified_kind} "{name}" is invalid: {text}', details=details
    )


def conflict(rt: ResourceType, name: str, message: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.qualified} "{name}": {message}',
        details=_details(rt, name),
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


MODIFIED = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(eq=False)
class Watcher:
    """One open watch stream: its filter and the queue the stream drains."""

    rt: ResourceType
    namespace: str | None
    matcher: Matcher
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)

    def translate(self, kind: str, obj: Obj, old: Obj | None) -> str | None:
        """The event type this watcher sees (selector transitions become ADDED/DELETED)."""
        if (
            self.namespace is not None
            and obj.get("metadata", {}).get("namespace") != self.namespace
        ):
            return None
        new_match = self.matcher(obj)
        if kind != "MODIFIED":
            return kind if new_match else None
        old_match = old is not None and self.matcher(old)
        if new_match and old_match:
            return "MODIFIED"
        if new_match:
            return "ADDED"
        if old_match:
            return "DELETED"
        return None


# Sentinel put on a watcher's queue to end its stream ("graceful" or "abrupt").
DROP_GRACEFUL = "drop-graceful"
DROP_ABRUPT = "drop-abrupt"


@dataclass
class HistoryEvent:
    rv: int
    key: tuple[str, str]
    kind: str
    obj: Obj
    old: Obj | None


class Cluster:
    """All objects of the emulated cluster and the operations on them."""

    def __init__(
        self,
        *,
        strict_namespaces: bool = True,
        gc_delay: float = 0.0,
        history_size: int = 20_000,
        schema_validation: bool = True,
    ) -> None:
        self.catalogue = Catalogue()
        self.strict_namespaces = strict_namespaces
        self.gc_delay = gc_delay
        # False: custom resources are still pruned and defaulted, but never rejected (422).
        self.schema_validation = schema_validation
        # Set per request from ?fieldValidation=Strict: unknown fields are a 400, not pruned.
        self.strict_fields = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.resource_version = 0
        self._objects: dict[tuple[str, str], dict[tuple[str, str], Obj]] = collections.defaultdict(
            dict
        )
        self._by_uid: dict[str, tuple[ResourceType, str, str]] = {}
        self._managers: dict[str, dict[str, set[Path]]] = {}
        # uid → manager → {operation, subresource, apiVersion, time}: for metadata.managedFields.
        self._manager_info: dict[str, dict[str, dict[str, str]]] = {}
        self._dependents: dict[str, set[str]] = collections.defaultdict(set)
        # (group, plural) → (label key, value) → {(namespace, name)}: fast label-selected lists.
        self._labels: dict[tuple[str, str], dict[tuple[str, str], set[tuple[str, str]]]] = (
            collections.defaultdict(lambda: collections.defaultdict(set))
        )
        self.history: collections.deque[HistoryEvent] = collections.deque(maxlen=history_size)
        self._history_floor = 0  # events with rv <= floor may be missing from history
        self.watchers: dict[tuple[str, str], set[Watcher]] = collections.defaultdict(set)
        self.listeners: builtins.list[Listener] = []
        self.writes: collections.Counter[str] = collections.Counter()
        for ns in ("default", "kube-system", "kube-public"):
            self._ensure_namespace(ns)

    # ------------------------------------------------------------------ helpers

    def _next_rv(self) -> str:
        self.resource_version += 1
        return str(self.resource_version)

    def _later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        if self.loop is None:
            fn(*args)
        elif delay <= 0:
            self.loop.call_soon(fn, *args)
        else:
            self.loop.call_later(delay, fn, *args)

    @staticmethod
    def render(rt: ResourceType, obj: Obj) -> Obj:
        """The object as served through ``rt``'s API version (no conversion beyond apiVersion)."""
        if obj.get("apiVersion") == rt.api_version:
            return obj
        return {**obj, "apiVersion": rt.api_version}

    def _store(self, rt: ResourceType) -> dict[tuple[str, str], Obj]:
        return self._objects[rt.storage_key]

    def _ns(self, rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _put(self, rt: ResourceType, key: tuple[str, str], obj: Obj, old: Obj | None) -> None:
        defaults.sort_keys(obj)  # stored and served as Go's encoding/json writes maps
        index = self._labels[rt.storage_key]
        old_labels = (old or {}).get("metadata", {}).get("labels") or {}
        new_labels = obj["metadata"].get("labels") or {}
        for item in old_labels.items() - new_labels.items():
            index[item].discard(key)
        for item in new_labels.items() - old_labels.items():
            index[item].add(key)
        self._store(rt)[key] = obj

    def _drop(self, rt: ResourceType, key: tuple[str, str], obj: Obj) -> None:
        index = self._labels[rt.storage_key]
        for item in (obj["metadata"].get("labels") or {}).items():
            index[item].discard(key)
        del self._store(rt)[key]

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self._store(rt).get((self._ns(rt, namespace), name))

    def by_uid(self, uid: str) -> tuple[ResourceType, Obj] | None:
        entry = self._by_uid.get(uid)
        if entry is None:
            return None
        rt, ns, name = entry
        obj = self._store(rt).get((ns, name))
        return (rt, obj) if obj is not None else None

    def managers_of(self, obj: Obj) -> dict[str, set[Path]]:
        """Field manager → owned leaf paths (the emulator's stand-in for managedFields)."""
        return self._managers.get(obj["metadata"]["uid"], {})

    def _emit(self, kind: str, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        event = HistoryEvent(self.resource_version, rt.storage_key, kind, obj, old)
        if len(self.history) == self.history.maxlen:
            self._history_floor = self.history[0].rv
        self.history.append(event)
        for watcher in self.watchers.get(rt.storage_key, ()):
            seen = watcher.translate(kind, obj, old)
            if seen is not None:
                watcher.queue.put_nowait((seen, obj))
        for listener in list(self.listeners):
            listener(kind, rt, obj, old)

    # ------------------------------------------------------------------ CRDs

    def register_crd(self, crd: Obj) -> builtins.list[ResourceType]:
        types = types_from_crd(crd)
        for rt in types:
            self.catalogue.add(rt)
        return types

    def _crd_established(self, crd: Obj) -> None:
        names = crd.get("spec", {}).get("names", {})
        status = {
            "acceptedNames": names,
            "storedVersions": [
                v["name"] for v in crd.get("spec", {}).get("versions", []) if v.get("storage")
            ],
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": now_iso(),
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": now_iso(),
                },
            ],
        }
        crd["status"] = status

    # ------------------------------------------------------------------ namespaces

    def _ensure_namespace(self, name: str) -> None:
        rt = self.catalogue.resolve("v1/namespaces")
        if self.find(rt, None, name) is None:
            self.create(rt, None, {"metadata": {"name": name}}, manager="emulator")

    def _check_namespace(self, rt: ResourceType, namespace: str) -> None:
        if not rt.namespaced:
            return
        ns_rt = self.catalogue.resolve("v1/namespaces")
        ns_obj = self.find(ns_rt, None, namespace)
        if ns_obj is None:
            if self.strict_namespaces:
                raise not_found(ns_rt, namespace)
            self._ensure_namespace(namespace)
        elif ns_obj["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f'{rt.qualified} "…" is forbidden: unable to create new content in namespace '
                f"{namespace} because it is being terminated",
                details=_details(rt, None),
            )

    # ------------------------------------------------------------------ reads

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self.find(rt, namespace, name)
        if obj is None:
            raise not_found(rt, name)
        return obj

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> tuple[builtins.list[Obj], str, str | None, int]:
        """(items, resourceVersion, continue token, remaining count)."""
        try:
            matcher = object_matcher(label_selector, field_selector)
        except SelectorError as e:
            raise bad_request(str(e)) from e
        store = self._store(rt)
        candidates: set[tuple[str, str]] | None = None
        for term in equality_terms(label_selector):
            found = self._labels[rt.storage_key].get(term, set())
            candidates = set(found) if candidates is None else candidates & found
        keys = sorted(store if candidates is None else candidates)
        if rt.namespaced and namespace:
            keys = [k for k in keys if k[0] == namespace]
        rv = str(self.resource_version)
        if continue_token:
            try:
                state = json.loads(base64.b64decode(continue_token))
                after = tuple(state["after"])
                rv = state["rv"]
            except (ValueError, KeyError, TypeError) as e:
                raise bad_request("invalid continue token") from e
            keys = [k for k in keys if k > after]
        items = [store[k] for k in keys if matcher(store[k])]
        if limit and len(items) > limit:
            page, rest = items[:limit], items[limit:]
            last = page[-1]["metadata"]
            after_key = [last.get("namespace", "") if rt.namespaced else "", last["name"]]
            token = base64.b64encode(json.dumps({"after": after_key, "rv": rv}).encode()).decode()
            return page, rv, token, len(rest)
        return items, rv, None, 0

    def all_objects(self) -> Iterable[tuple[ResourceType, Obj]]:
        for entry in list(self._by_uid.values()):
            rt, ns, name = entry
            obj = self._store(rt).get((ns, name))
            if obj is not None:
                yield rt, obj

    # ------------------------------------------------------------------ watches

    def subscribe(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        send_initial_events: bool = False,
    ) -> tuple[Watcher, builtins.list[tuple[str, Obj]]]:
        """Register a watcher and return the events it must see first."""
        try:
            matcher = object_matcher(label_selector, field_selector)
        except SelectorError as e:
            raise bad_request(str(e)) from e
        watcher = Watcher(rt, namespace if rt.namespaced else None, matcher)
        initial: builtins.list[tuple[str, Obj]] = []
        if send_initial_events or resource_version in (None, "", "0"):
            items, _, _, _ = self.list(
                rt, namespace, label_selector=label_selector, field_selector=field_selector
            )
            initial = [("ADDED", obj) for obj in items]
        else:
            try:
                since = int(resource_version)
            except ValueError as e:
                raise bad_request(f"invalid resourceVersion {resource_version!r}") from e
            if since < self._history_floor:
                raise ApiError(
                    410, "Expired", f"too old resource version: {since} ({self._history_floor})"
                )
            for event in self.history:
                if event.rv > since and event.key == rt.storage_key:
                    seen = watcher.translate(event.kind, event.obj, event.old)
                    if seen is not None:
                        initial.append((seen, event.obj))
        self.watchers[rt.storage_key].add(watcher)
        return watcher, initial

    def unsubscribe(self, watcher: Watcher) -> None:
        self.watchers[watcher.rt.storage_key].discard(watcher)

    def drop_watches(self, rt: ResourceType | None = None, *, abrupt: bool = False) -> int:
        """End open watch streams (all, or those of one resource); returns how many."""
        count = 0
        for key, watchers in self.watchers.items():
            if rt is not None and key != rt.storage_key:
                continue
            for watcher in list(watchers):
                watcher.queue.put_nowait(DROP_ABRUPT if abrupt else DROP_GRACEFUL)
                count += 1
        return count

    # ------------------------------------------------------------------ writes

    def create(
        self,
        rt: ResourceType,
        namespace: str | None,
        body: Obj,
        *,
        manager: str,
        dry_run: bool = False,
        managers: dict[str, set[Path]] | None = None,
    ) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be an object")
        obj: Obj = patching.clone(body)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        body_ns = meta.get("namespace")
        if rt.namespaced:
            if namespace and body_ns and body_ns != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            ns = namespace or body_ns
            if not ns:
                raise bad_request("a namespace is required for a namespaced resource")
            meta["namespace"] = ns
        else:
            ns = ""
            meta.pop("namespace", None)
        name = meta.get("name")
        if not name and meta.get("generateName"):
            suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
            name = meta["generateName"] + suffix
            meta["name"] = name
        if not name:
            raise invalid(
                rt, "", [("metadata.name", "Required value: name or generateName is required")]
            )
        if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
            raise invalid(
                rt,
                name,
                [
                    (
                        "metadata.name",
                        f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must '
                        "consist of lower case alphanumeric characters, '-' or '.', and must "
                        "start and "
                        "end with an alphanumeric character",
                    )
                ],
            )
        if rt.kind == "Namespace" and (len(name) > 63 or not _DNS_LABEL.match(name)):
            raise invalid(
                rt,
                name,
                [("metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123 label')],
            )
        if rt.namespaced:
            self._check_namespace(rt, ns)
        if (ns, name) in self._store(rt):
            raise ApiError(
                409,
                "AlreadyExists",
                f'{rt.qualified} "{name}" already exists',
                details=_details(rt, name),
            )
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        if rt.has_status:
            obj.pop("status", None)
        for key in (
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
            "managedFields",
            "selfLink",
        ):
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_iso()
        meta["generation"] = 1
        self._default_and_validate(rt, obj, None)
        if dry_run:
            meta["resourceVersion"] = str(self.resource_version)
            return obj
        self.writes["create"] += 1
        meta["resourceVersion"] = self._next_rv()
        uid = meta["uid"]
        operation = "Update" if managers is None else "Apply"
        if managers is None:
            managers = {}
            patching.record_update({}, obj, managers, manager)
        info = self._ownership_info(rt, {}, {}, managers, operation, None)
        self._set_managed_fields(rt, obj, managers, info)
        self._put(rt, (ns, name), obj, None)
        self._by_uid[uid] = (rt, ns, name)
        self._managers[uid] = managers
        self._manager_info[uid] = info
        self._index_owners(obj, None)
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            self.register_crd(obj)
            self._crd_established(obj)
        self._emit("ADDED", rt, obj, None)
        if obj["metadata"].get("ownerReferences"):
            self._later(self.gc_delay, self._collect_if_orphan, uid)
        return obj

    @staticmethod
    def _ownership_info(
        rt: ResourceType,
        old_managers: Mapping[str, set[Path]],
        old_info: Mapping[str, dict[str, str]],
        managers: Mapping[str, set[Path]],
        operation: str,
        subresource: str | None,
    ) -> dict[str, dict[str, str]]:
        """managedFields entry metadata: kept for unchanged managers, stamped for changed ones."""
        info: dict[str, dict[str, str]] = {}
        for name, paths in managers.items():
            if name in old_info and old_managers.get(name) == paths:
                info[name] = old_info[name]
            else:
                entry = {"operation": operation, "apiVersion": rt.api_version, "time": now_iso()}
                if subresource:
                    entry["subresource"] = subresource
                info[name] = entry
        return info

    @staticmethod
    def _set_managed_fields(
        rt: ResourceType,
        obj: Obj,
        managers: Mapping[str, set[Path]],
        info: Mapping[str, dict[str, str]],
        old: Obj | None = None,
        old_info: Mapping[str, dict[str, str]] | None = None,
    ) -> None:
        # Entries of managers whose fields did not change are reused (rendering is the cost).
        previous = {
            e["manager"]: e for e in (old or {}).get("metadata", {}).get("managedFields") or []
        }
        entries = []
        for name, paths in managers.items():
            if not paths:
                continue
            if name in previous and old_info is not None and info[name] is old_info.get(name):
                entries.append(previous[name])
                continue
            entry: Obj = {"manager": name, **info[name], "fieldsType": "FieldsV1"}
            entry["fieldsV1"] = patching.fields_v1(paths)
            entries.append(entry)
        if entries:
            obj["metadata"]["managedFields"] = entries
        else:
            obj["metadata"].pop("managedFields", None)

    @contextlib.contextmanager
    def field_validation(self, mode: str | None) -> Iterator[None]:
        """Within the block, writes honour ``?fieldValidation=`` (Strict rejects unknown fields)."""
        self.strict_fields = mode == "Strict"
        try:
            yield
        finally:
            self.strict_fields = False

    def _default_and_validate(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        from . import kinds  # kind-specific rules live apart from the generic machinery

        kinds.default_and_validate(self, rt, obj, old)

    def _compose(self, rt: ResourceType, old: Obj, candidate: Obj, subresource: str | None) -> Obj:
        """What a write through an endpoint may change: /status only status, main not status."""
        if subresource == "status":
            new: Obj = patching.clone(old)
            if "status" in candidate:
                new["status"] = patching.clone(candidate["status"])
            else:
                new.pop("status", None)
            return new
        new = patching.clone(candidate)
        if rt.has_status:
            if "status" in old:
                new["status"] = patching.clone(old["status"])
            else:
                new.pop("status", None)
        meta = new.setdefault("metadata", {})
        for key in _IDENTITY_META:
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
            else:
                meta.pop(key, None)
        new["apiVersion"] = old["apiVersion"]
        new["kind"] = old["kind"]
        return new

    def _system_commit(
        self, rt: ResourceType, old: Obj, new: Obj, manager: str = "emulator-apiserver"
    ) -> Obj:
        """A write of the cluster's own (deletion in progress, garbage collection): no
        precondition, no dry run, managedFields left as they are."""
        return self._commit(
            rt, old, new, manager=manager, resource_version=None, dry_run=False, track=False
        )

    def _commit(
        self,
        rt: ResourceType,
        old: Obj,
        new: Obj,
        *,
        manager: str,
        resource_version: str | None,
        dry_run: bool,
        apply_managers: dict[str, set[Path]] | None = None,
        subresource: str | None = None,
        track: bool = True,
    ) -> Obj:
        meta = new["metadata"]
        name = meta["name"]
        if resource_version and resource_version != old["metadata"]["resourceVersion"]:
            raise conflict(
                rt,
                name,
                MODIFIED,
            )
        if old["metadata"].get("deletionTimestamp"):
            added = set(meta.get("finalizers") or []) - set(old["metadata"].get("finalizers") or [])
            if added:
                raise invalid(
                    rt,
                    name,
                    [
                        (
                            "metadata.finalizers",
                            "Forbidden: no new finalizers can be added if the object is being "
                            "deleted",
                        )
                    ],
                )
        for key in ("managedFields", "selfLink"):
            meta.pop(key, None)
        meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        meta["generation"] = old["metadata"].get("generation", 1)
        self._default_and_validate(rt, new, old)
        if not meta.get("finalizers"):
            meta.pop("finalizers", None)
        uid = meta["uid"]
        old_managers = self._managers.get(uid, {})
        old_info = self._manager_info.get(uid, {})
        if not track:
            managers = old_managers
        elif apply_managers is not None:
            managers = apply_managers
        else:
            managers = {m: set(p) for m, p in old_managers.items()}
            patching.record_update(old, new, managers, manager)
        operation = "Apply" if apply_managers is not None else "Update"
        info = self._ownership_info(rt, old_managers, old_info, managers, operation, subresource)
        self._set_managed_fields(rt, new, managers, info, old, old_info)
        if new == old:
            return old  # a no-op write: no new resourceVersion, no event (like the real server)
        if self._spec_of(rt, new) != self._spec_of(rt, old):
            meta["generation"] = old["metadata"].get("generation", 1) + 1
        if dry_run:
            return new
        self.writes["update"] += 1
        meta["resourceVersion"] = self._next_rv()
        self._managers[uid] = managers
        self._manager_info[uid] = info
        ns = meta.get("namespace", "") if rt.namespaced else ""
        self._put(rt, (ns, name), new, old)
        self._index_owners(new, old)
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            self.register_crd(new)
        self._emit("MODIFIED", rt, new, old)
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and not self._is_namespace(rt)
        ):
            self._remove(rt, new)
        elif meta.get("ownerReferences") != old["metadata"].get("ownerReferences"):
            self._later(self.gc_delay, self._collect_if_orphan, uid)
        return new

    @staticmethod
    def _is_namespace(rt: ResourceType) -> bool:
        """Namespaces finish deletion when empty (spec.finalizers), not via metadata.finalizers."""
        return rt.kind == "Namespace" and not rt.group

    @staticmethod
    def _spec_of(rt: ResourceType, obj: Obj) -> Obj:
        """What bumps metadata.generation: all but metadata (and status, if a subresource)."""
        spec = {
            k: v
            for k, v in obj.items()
            if k != "metadata" and not (rt.has_status and k == "status")
        }
        spec["deleting"] = bool(obj["metadata"].get("deletionTimestamp"))
        return spec

    def update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        manager: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be an object")
        body_name = body.get("metadata", {}).get("name")
        if body_name and body_name != name:
            raise bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        old = self.get(rt, namespace, name)
        new = self._compose(rt, old, body, subresource)
        return self._commit(
            rt,
            old,
            new,
            manager=manager,
            dry_run=dry_run,
            resource_version=body.get("metadata", {}).get("resourceVersion"),
            subresource=subresource,
        )

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str,
        *,
        manager: str,
        subresource: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Apply a patch; returns (object, created) — only server-side apply creates."""
        if patch_type == "apply":
            return self.apply(
                rt,
                namespace,
                name,
                patch,
                manager=manager,
                subresource=subresource,
                force=force,
                dry_run=dry_run,
            )
        old = self.get(rt, namespace, name)
        resource_version: str | None = None
        if patch_type == "merge":
            if not isinstance(patch, dict):
                raise bad_request("a merge patch must be a JSON object")
            candidate = patching.merge_patch(old, patch)
            resource_version = (patch.get("metadata") or {}).get("resourceVersion")
        elif patch_type == "strategic":
            if not isinstance(patch, dict):
                raise bad_request("a strategic merge patch must be a JSON object")
            candidate = patching.strategic_merge_patch(old, patch)
            resource_version = (patch.get("metadata") or {}).get("resourceVersion")
        elif patch_type == "json":
            if not isinstance(patch, list):
                raise bad_request("a JSON patch must be a list of operations")
            try:
                candidate = patching.json_patch(old, patch)
            except ValueError as e:
                raise invalid(
                    rt,
                    name,
                    [("", f"the server rejected our request due to an error in our request: {e}")],
                ) from e
            for op in patch:
                if op.get("path") == "/metadata/resourceVersion" and op.get("op") == "test":
                    resource_version = None  # jsonpatch already verified it
        else:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml, application/strategic-merge-patch+json",
            )
        if not isinstance(candidate, dict):
            raise bad_request("the patch did not produce an object")
        candidate.setdefault("metadata", {})
        if candidate["metadata"].get("resourceVersion") != old["metadata"]["resourceVersion"]:
            resource_version = candidate["metadata"].get("resourceVersion")
        new = self._compose(rt, old, candidate, subresource)
        result = self._commit(
            rt,
            old,
            new,
            manager=manager,
            resource_version=resource_version,
            dry_run=dry_run,
            subresource=subresource,
        )
        return result, False

    def apply(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        applied: Any,
        *,
        manager: str,
        subresource: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """SSA: create-or-update with field ownership (see :mod:`emulator.patching`)."""
        if not manager:
            raise bad_request("PATCH /apply requires fieldManager to be set")
        if not isinstance(applied, dict):
            raise bad_request("an applied configuration must be an object")
        meta = applied.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL "
                f"({name})"
            )
        if applied.get("kind") and applied["kind"] != rt.kind:
            raise bad_request(f"the kind {applied['kind']!r} does not match {rt.kind!r}")
        old = self.find(rt, namespace, name)
        if subresource == "status":
            ignore: builtins.list[Path] = [(k,) for k in applied if k != "status"]
        elif rt.has_status:
            ignore = [("status",)]
        else:
            ignore = []
        if old is None:
            if subresource:
                raise not_found(rt, name)
            managers: dict[str, set[Path]] = {}
            merged = patching.server_side_apply(
                None, applied, managers, manager, force=True, ignore=ignore
            )
            merged.setdefault("metadata", {})["name"] = name
            return self.create(
                rt, namespace, merged, manager=manager, dry_run=dry_run, managers=managers
            ), True
        managers = {m: set(p) for m, p in self.managers_of(old).items()}
        try:
            merged = patching.server_side_apply(
                old, applied, managers, manager, force=force, ignore=ignore
            )
        except patching.ApplyConflict as e:
            raise ApiError(
                409,
                "Conflict",
                e.message(),
                details={
                    **_details(rt, name),
                    "causes": [
                        {
                            "reason": "FieldManagerConflict",
                            "message": f'conflict with "{m}"',
                            "field": "." + ".".join(p),
                        }
                        for m, p in e.conflicts
                    ],
                },
            ) from e
        new = self._compose(rt, old, merged, subresource)
        result = self._commit(
            rt,
            old,
            new,
            manager=manager,
            resource_version=meta.get("resourceVersion"),
            dry_run=dry_run,
            apply_managers=managers,
            subresource=subresource,
        )
        return result, False

    # ------------------------------------------------------------------ deletion

    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> Obj:
        obj = self.get(rt, namespace, name)
        meta = obj["metadata"]
        preconditions = preconditions or {}
        if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
            raise conflict(
                rt,
                name,
                f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                f"UID in object meta: {meta['uid']}",
            )
        if (
            preconditions.get("resourceVersion")
            and preconditions["resourceVersion"] != meta["resourceVersion"]
        ):
            raise conflict(
                rt, name, "Precondition failed: ResourceVersion in precondition does not match"
            )
        if dry_run:
            return obj
        self.writes["delete"] += 1
        if propagation == "Orphan":
            self._orphan_dependents(meta["uid"])
        if self._is_namespace(rt):
            return self._delete_namespace(rt, obj)
        finalizers = list(meta.get("finalizers") or [])
        foreground = propagation == "Foreground" and self._dependents.get(meta["uid"])
        if foreground and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if not finalizers:
            self._remove(rt, obj)
            return obj
        if meta.get("deletionTimestamp") and finalizers == list(meta.get("finalizers") or []):
            return obj  # already being deleted
        new = patching.clone(obj)
        new["metadata"]["finalizers"] = finalizers
        new["metadata"].setdefault("deletionTimestamp", now_iso())
        new["metadata"].setdefault("deletionGracePeriodSeconds", 0)
        result = self._system_commit(rt, obj, new)
        if "foregroundDeletion" in finalizers:
            for child_uid in list(self._dependents.get(meta["uid"], ())):
                found = self.by_uid(child_uid)
                if found is not None:
                    self._delete_quietly(found[0], found[1], "Foreground")
        return result

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        propagation: str | None = None,
    ) -> builtins.list[Obj]:
        items, _, _, _ = self.list(
            rt, namespace, label_selector=label_selector, field_selector=field_selector
        )
        deleted = []
        for obj in items:
            meta = obj["metadata"]
            deleted.append(
                self.delete(rt, meta.get("namespace"), meta["name"], propagation=propagation)
            )
        return deleted

    def _delete_quietly(self, rt: ResourceType, obj: Obj, propagation: str | None = None) -> None:
        meta = obj["metadata"]
        with contextlib.suppress(ApiError):
            self.delete(rt, meta.get("namespace"), meta["name"], propagation=propagation)

    def _remove(self, rt: ResourceType, obj: Obj) -> None:
        """Physically remove an object (no finalizers left) and let the GC see its dependents."""
        meta = obj["metadata"]
        ns = meta.get("namespace", "") if rt.namespaced else ""
        key = (ns, meta["name"])
        if self._store(rt).get(key) is not obj:
            return
        self._drop(rt, key, obj)
        uid = meta["uid"]
        self._by_uid.pop(uid, None)
        self._managers.pop(uid, None)
        self._manager_info.pop(uid, None)
        self._index_owners(None, obj)
        final = {**obj, "metadata": {**meta, "resourceVersion": self._next_rv()}}
        self._emit("DELETED", rt, final, None)
        if rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            self._drop_crd(obj)
        if self._dependents.get(uid):
            self._later(self.gc_delay, self._collect_dependents, uid)
        for ref in meta.get("ownerReferences") or []:
            self._later(0, self._release_foreground_owner, ref.get("uid"))
        if ns:
            self._later(0, self._finish_namespace, ns)

    def _drop_crd(self, crd: Obj) -> None:
        crd_name = crd["metadata"]["name"]
        gone = self.catalogue.remove_crd(crd_name)
        for rt in gone[:1]:
            for obj in list(self._store(rt).values()):
                self._remove(rt, obj)

    # ------------------------------------------------------------------ garbage collection

    def _index_owners(self, new: Obj | None, old: Obj | None) -> None:
        old_uids = {
            r.get("uid") for r in (old or {}).get("metadata", {}).get("ownerReferences") or []
        }
        new_uids = {
            r.get("uid") for r in (new or {}).get("metadata", {}).get("ownerReferences") or []
        }
        child = (new or old or {}).get("metadata", {}).get("uid")
        for uid in old_uids - new_uids:
            self._dependents.get(uid, set()).discard(child)
        for uid in new_uids - old_uids:
            self._dependents[uid].add(child)

    def _owner_present(self, child_rt: ResourceType, child: Obj, ref: Mapping[str, Any]) -> bool:
        found = self.by_uid(ref.get("uid", ""))
        if found is None:
            return False
        owner_rt, owner = found
        if owner_rt.namespaced:
            # A namespaced owner only counts from its own namespace; the real GC treats a
            # cross-namespace (or cluster-scoped-child) reference as pointing at nothing.
            return child_rt.namespaced and owner["metadata"].get("namespace") == child[
                "metadata"
            ].get("namespace")
        return True

    def _collect_if_orphan(self, uid: str) -> None:
        found = self.by_uid(uid)
        if found is None:
            return
        rt, obj = found
        refs = obj["metadata"].get("ownerReferences") or []
        if refs and not any(self._owner_present(rt, obj, ref) for ref in refs):
            self._delete_quietly(rt, obj)

    def _collect_dependents(self, owner_uid: str) -> None:
        for child_uid in list(self._dependents.pop(owner_uid, set())):
            self._collect_if_orphan(child_uid)

    def _release_foreground_owner(self, owner_uid: str | None) -> None:
        if not owner_uid:
            return
        found = self.by_uid(owner_uid)
        if found is None:
            return
        rt, owner = found
        finalizers = owner["metadata"].get("finalizers") or []
        if "foregroundDeletion" in finalizers and not any(
            self.by_uid(c) for c in self._dependents.get(owner_uid, ())
        ):
            new = patching.clone(owner)
            new["metadata"]["finalizers"] = [f for f in finalizers if f != "foregroundDeletion"]
            self._system_commit(rt, owner, new, manager="emulator-gc")

    def _orphan_dependents(self, owner_uid: str) -> None:
        for child_uid in list(self._dependents.pop(owner_uid, set())):
            found = self.by_uid(child_uid)
            if found is None:
                continue
            rt, child = found
            new = patching.clone(child)
            new["metadata"]["ownerReferences"] = [
                r for r in child["metadata"].get("ownerReferences", []) if r.get("uid") != owner_uid
            ]
            if not new["metadata"]["ownerReferences"]:
                del new["metadata"]["ownerReferences"]
            self._system_commit(rt, child, new, manager="emulator-gc")

    # ------------------------------------------------------------------ namespace lifecycle

    def _delete_namespace(self, rt: ResourceType, obj: Obj) -> Obj:
        name = obj["metadata"]["name"]
        if not obj["metadata"].get("deletionTimestamp"):
            new = patching.clone(obj)
            new["metadata"]["deletionTimestamp"] = now_iso()
            new.setdefault("status", {})["phase"] = "Terminating"
            obj = self._system_commit(rt, obj, new)
        for key in list(self._objects):
            for (ns, _), child in list(self._objects[key].items()):
                if ns == name and not child["metadata"].get("deletionTimestamp"):
                    entry = self._by_uid.get(child["metadata"]["uid"])
                    if entry is not None:
                        self._delete_quietly(entry[0], child)
        self._finish_namespace(name)
        return obj

    def _finish_namespace(self, name: str) -> None:
        ns_rt = self.catalogue.resolve("v1/namespaces")
        ns_obj = self.find(ns_rt, None, name)
        if ns_obj is None or not ns_obj["metadata"].get("deletionTimestamp"):
            return
        if any(ns == name for store in self._objects.values() for ns, _ in store):
            return
        self._remove(ns_rt, ns_obj)
