"""An in-memory stand-in for the API client and Kopf's indexes, for fast reconciler tests.

The fake store behaves like a tiny API server for the calls the operator makes: server-side apply
(create or merge, with an immutable-selector and Job-template check), delete with a uid
precondition, get, status merge patch. The "watch" is perfect and instant: the indexes read the
store directly. The emulator integration tests cover real HTTP, watches and lag.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

from emulator.patching import merge_patch
from konfiguru_generators.labels import OWNER_UID
from konfiguru_operator.apply import Applier
from konfiguru_operator.cache import CHILD_INDEX_PREFIX, PARENT_INDEX_PREFIX, LiveState
from konfiguru_operator.kube import ApiError, ResourceRef
from konfiguru_operator.reconciler import Reconciler
from konfiguru_operator.settings import Settings

JSON = dict[str, Any]


class FakeClient:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], JSON] = {}
        self.writes: list[tuple[str, str, str]] = []
        self.faults: list[ApiError] = []
        self._rv = itertools.count(1)

    def _fault(self) -> None:
        if self.faults:
            raise self.faults.pop(0)

    def _stamp(self, obj: JSON) -> JSON:
        obj["metadata"]["resourceVersion"] = str(next(self._rv))
        return obj

    async def get(self, ref: ResourceRef, namespace: str | None, name: str) -> JSON:
        self._fault()
        obj = self.objects.get((ref.plural, namespace, name))
        if obj is None:
            raise ApiError(404, "NotFound", f"{name} not found")
        return copy.deepcopy(obj)

    async def list(
        self,
        ref: ResourceRef,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[JSON]:
        self._fault()
        wanted = dict(term.split("=", 1) for term in label_selector.split(",") if term)
        fields = dict(term.split("=", 1) for term in field_selector.split(",") if term)

        def field(obj: JSON, path: str) -> Any:
            for part in path.split("."):
                obj = obj.get(part) or {} if isinstance(obj, dict) else {}
            return obj

        return [
            copy.deepcopy(obj)
            for (plural, ns, _), obj in self.objects.items()
            if plural == ref.plural
            and ns == namespace
            and wanted.items() <= (obj["metadata"].get("labels") or {}).items()
            and all(field(obj, path) == value for path, value in fields.items())
        ]

    async def apply(self, ref: ResourceRef, body: JSON, field_manager: str) -> JSON:
        self._fault()
        meta = body["metadata"]
        key = (ref.plural, meta.get("namespace"), meta["name"])
        self.writes.append(("apply", body["kind"], meta["name"]))
        current = self.objects.get(key)
        if current is None:
            obj = copy.deepcopy(body)
            obj["metadata"]["uid"] = str(uuid.uuid4())
            obj["metadata"]["generation"] = 1
        else:
            spec_old = current.get("spec") or {}
            spec_new = body.get("spec") or {}
            if "selector" in spec_old and spec_new.get("selector") != spec_old.get("selector"):
                raise ApiError(422, "Invalid", "spec.selector: Invalid value: field is immutable")
            if body["kind"] == "Job" and spec_new.get("template") != spec_old.get("template"):
                raise ApiError(422, "Invalid", "spec.template: Invalid value: field is immutable")
            obj = merge_patch(current, body)
            if body["kind"] in ("Deployment", "StatefulSet") and "replicas" not in spec_new:
                obj["spec"]["replicas"] = spec_old.get("replicas", 1)
            if obj.get("spec") != current.get("spec"):
                obj["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        self.objects[key] = self._stamp(obj)
        return copy.deepcopy(obj)

    async def merge_patch(
        self, ref: ResourceRef, namespace: str | None, name: str, body: JSON, sub: str = ""
    ) -> JSON:
        self._fault()
        key = (ref.plural, namespace, name)
        self.writes.append(("patch" + (f"/{sub}" if sub else ""), ref.plural, name))
        if key not in self.objects:
            raise ApiError(404, "NotFound", f"{name} not found")
        self.objects[key] = self._stamp(merge_patch(self.objects[key], body))
        return copy.deepcopy(self.objects[key])

    async def delete(
        self,
        ref: ResourceRef,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        propagation: str = "Background",
    ) -> JSON:
        self._fault()
        key = (ref.plural, namespace, name)
        self.writes.append(("delete", ref.plural, name))
        obj = self.objects.get(key)
        if obj is None:
            raise ApiError(404, "NotFound", f"{name} not found")
        if uid and obj["metadata"].get("uid") != uid:
            raise ApiError(409, "Conflict", "uid precondition failed")
        del self.objects[key]
        return {}

    # -- test helpers --------------------------------------------------------------------------

    def put(self, plural: str, obj: JSON) -> JSON:
        obj = copy.deepcopy(obj)
        obj["metadata"].setdefault("uid", str(uuid.uuid4()))
        obj["metadata"].setdefault("generation", 1)
        self.objects[(plural, obj["metadata"].get("namespace"), obj["metadata"]["name"])] = (
            self._stamp(obj)
        )
        return obj

    def find(self, kind: str, name: str) -> JSON | None:
        for obj in self.objects.values():
            if obj.get("kind") == kind and obj["metadata"]["name"] == name:
                return obj
        return None

    def kinds(self) -> set[tuple[str, str]]:
        return {(o["kind"], o["metadata"]["name"]) for o in self.objects.values()}

    def labelled(self) -> Iterator[JSON]:
        for obj in self.objects.values():
            if OWNER_UID in (obj["metadata"].get("labels") or {}):
                yield obj


class StoreIndex:
    """Kopf's index protocol (``index[key]`` → values) over the fake store."""

    def __init__(self, client: FakeClient, parents: bool) -> None:
        self.client = client
        self.parents = parents

    def _groups(self) -> dict[str, list[JSON]]:
        groups: dict[str, list[JSON]] = {}
        for obj in self.client.objects.values():
            if self.parents:
                if obj.get("apiVersion", "").startswith("konfiguru.io/"):
                    groups.setdefault(obj["metadata"]["uid"], []).append(copy.deepcopy(obj))
            elif OWNER_UID in (obj["metadata"].get("labels") or {}):
                uid = obj["metadata"]["labels"][OWNER_UID]
                groups.setdefault(uid, []).append(copy.deepcopy(obj))
        return groups

    def get(self, key: str, default: Any = ()) -> Any:
        return self._groups().get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups())


class Harness:
    """A reconciler wired to a fake client; ``events`` collects what it posts."""

    def __init__(self, client: FakeClient | None = None, **settings: Any) -> None:
        self.client = client or FakeClient()
        self.settings = Settings(**{"retry_base_seconds": 0.01, **settings})
        self.state = LiveState()
        self.state.bind(
            {
                f"{CHILD_INDEX_PREFIX}all": StoreIndex(self.client, parents=False),
                f"{PARENT_INDEX_PREFIX}all": StoreIndex(self.client, parents=True),
            }
        )
        self.applier = Applier(self.client, self.settings, self.state)  # type: ignore[arg-type]
        self.reconciler = Reconciler(self.settings, self.applier, self.state, "1.33")
        self.events: list[tuple[str, str, str]] = []

    def parent(self, name: str) -> JSON:
        obj = self.client.find("App", name) or self.client.find("Database", name)
        assert obj is not None
        return copy.deepcopy(obj)


APP: dict[str, Any] = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "App",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "image": "ghcr.io/acme/web:1.0.0",
        "port": 8080,
        "replicas": 2,
        "ingress": {"host": "web.example.com"},
        "secrets": [{"name": "db", "generate": [{"key": "password"}]}],
        "schedules": [{"name": "nightly", "schedule": "0 3 * * *"}],
    },
}


def reconcile(h: Harness, name: str = "web") -> None:
    asyncio.run(h.reconciler.reconcile(h.parent(name)))


def edit(h: Harness, name: str, change: Any) -> None:
    """Change a parent's spec like a user would (generation goes up)."""
    obj = h.client.find("App", name)
    assert obj is not None
    change(obj["spec"])
    obj["metadata"]["generation"] += 1


def make_ready(h: Harness) -> None:
    """Play the built-in controllers: every workload rolled out, every Job complete."""
    for obj in h.client.objects.values():
        spec, gen = obj.get("spec") or {}, obj["metadata"].get("generation", 1)
        if obj["kind"] == "Deployment":
            n = spec.get("replicas", 1)
            obj["status"] = {
                "observedGeneration": gen,
                "replicas": n,
                "updatedReplicas": n,
                "readyReplicas": n,
                "availableReplicas": n,
            }
        elif obj["kind"] == "Job":
            obj["status"] = {"conditions": [{"type": "Complete", "status": "True"}]}
