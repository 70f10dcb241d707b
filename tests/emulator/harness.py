"""Run the emulator on a local port in a background thread and drive it from synchronous tests.

:class:`Emulator` is what tests, the ``emulator`` fixture and ``bench/`` use: it starts the
aiohttp server on ``127.0.0.1:<free port>`` with its own event loop thread, writes a kubeconfig,
preloads the CRDs from ``crds/*.yaml`` and offers thread-safe helpers that run on the emulator's
loop (so objects made by a test produce the same watch events as objects posted over HTTP).
See the package docstring (``emulator/__init__.py``) for the API.
"""

from __future__ import annotations

import asyncio
import builtins
import http.client
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp.web
import yaml

from .cluster import ApiError, Cluster, Obj
from .controllers import SimulatedControllers
from .patching import clone
from .resources import ResourceType
from .server import FaultInjector, KubeEmulator

ROOT = Path(__file__).resolve().parents[2]
CRDS_DIR = ROOT / "crds"
KUBECTL = "/usr/bin/kubectl"
T = TypeVar("T")

Ref = str | ResourceType


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_crd_cache: dict[tuple[Path, float], builtins.list[Obj]] = {}


def _crd_documents(path: Path) -> builtins.list[Obj]:
    """The CRDs in a YAML file, parsed once per file version (tests start many emulators)."""
    key = (path.resolve(), path.stat().st_mtime)
    if key not in _crd_cache:
        docs = yaml.load_all(path.read_text(), Loader=_Loader)
        _crd_cache[key] = [
            d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"
        ]
    return clone(_crd_cache[key])


class Emulator:
    """A running emulated API server plus synchronous helpers for tests."""

    def __init__(
        self,
        *,
        crds: Iterable[Path | str] | None = None,
        workdir: Path | str | None = None,
        controllers: bool = True,
        controller_delay: float = 0.02,
        strict_namespaces: bool = True,
        gc_delay: float = 0.0,
        schema_validation: bool = True,
        namespaces: Iterable[str] = (),
        default_storage_class: bool = True,
        port: int = 0,
        statefulset_pvcs: bool = False,
        without: Iterable[str] = (),
    ) -> None:
        self.cluster = Cluster(
            strict_namespaces=strict_namespaces,
            gc_delay=gc_delay,
            schema_validation=schema_validation,
        )
        for group in without:  # add-ons not installed (yet): their CRD makes them served
            self.cluster.catalogue.remove_group(group)
        self.faults = FaultInjector()
        self.handler = KubeEmulator(cluster=self.cluster, faults=self.faults)
        self.controllers = Controls(
            self,
            SimulatedControllers(
                self.cluster, delay=controller_delay, statefulset_pvcs=statefulset_pvcs
            ),
        )
        self.controllers.sim.enabled = controllers
        self.controllers.sim.attach()
        self._crds = (
            [Path(p) for p in crds] if crds is not None else sorted(CRDS_DIR.glob("*.yaml"))
        )
        self._workdir = Path(workdir) if workdir is not None else None
        self._namespaces = list(namespaces)
        self._default_storage_class = default_storage_class
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._runner: aiohttp.web.ServerRunner | None = None
        self.port = port
        self.kubeconfig = Path()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a subprocess (operator, kubectl) that should talk to the emulator."""
        return {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "KUBECACHEDIR": str(self.cache_dir),
        }

    @property
    def cache_dir(self) -> Path:
        """kubectl's discovery/OpenAPI cache for this emulator (ports get reused across tests)."""
        return self.kubeconfig.parent / "kube-cache"

    def start(self) -> Emulator:
        ready = threading.Event()
        errors: builtins.list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(ready))
            except BaseException as e:  # noqa: BLE001 - surfaced to start() below
                errors.append(e)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="k8s-emulator", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        self.handler.address = f"127.0.0.1:{self.port}"
        self.kubeconfig = self._write_kubeconfig()
        for path in self._crds:
            self.load_crds(path)
        for ns in self._namespaces:
            self.ensure_namespace(ns)
        if self._default_storage_class:
            self.create(
                {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "StorageClass",
                    "metadata": {
                        "name": "standard",
                        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                    },
                    "provisioner": "rancher.io/local-path",
                    "allowVolumeExpansion": True,
                    "reclaimPolicy": "Delete",
                    "volumeBindingMode": "WaitForFirstConsumer",
                }
            )
        return self

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        self.cluster.loop = asyncio.get_running_loop()
        async with self.handler:
            server = aiohttp.web.Server(self.handler, access_log=None)
            self._runner = aiohttp.web.ServerRunner(server, access_log=None, shutdown_timeout=0.5)
            await self._runner.setup()
            site = aiohttp.web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=512)
            await site.start()
            self.port = int(self._runner.addresses[0][1])
            ready.set()
            await self._stop.wait()
            self.cluster.drop_watches()
            await asyncio.sleep(0.05)
            await self._runner.cleanup()
            # Requests still in flight (a delayed fault, a slow client) end with the loop.
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_kubeconfig(self) -> Path:
        if self._workdir is None:
            import tempfile

            self._workdir = Path(tempfile.mkdtemp(prefix="k8s-emulator-"))
        path = self._workdir / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "emulator", "user": {"token": "emulator-token"}}],
            "contexts": [
                {
                    "name": "emulator",
                    "context": {"cluster": "emulator", "user": "emulator", "namespace": "default"},
                }
            ],
            "current-context": "emulator",
            "preferences": {},
        }
        path.write_text(yaml.safe_dump(config))
        return path

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the emulator's loop thread (where the cluster state lives)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the emulator is not running")
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)  # already on the loop (a listener): waiting would deadlock

        async def invoke() -> T:
            return fn(*args, **kwargs)

        result: T = asyncio.run_coroutine_threadsafe(invoke(), loop).result(10)
        return result

    # ------------------------------------------------------------------ resolution

    def resource(self, ref: Ref) -> ResourceType:
        """Resolve ``"deploy"``, ``"Deployment"``, ``"apps.konfiguru.io"``, ``"apps/v1/jobs"``."""
        return self.call(self.cluster.catalogue.resolve, ref)

    def _of(self, obj: Mapping[str, Any]) -> ResourceType:
        return self.call(self.cluster.catalogue.for_object, obj)

    # ------------------------------------------------------------------ object helpers

    def load_crds(self, path: Path | str) -> builtins.list[Obj]:
        """Create (or replace) every CRD in a YAML file (several documents allowed)."""
        created = []
        for doc in _crd_documents(Path(path)):
            if self.find("crd", doc["metadata"]["name"], None) is None:
                created.append(self.create(doc, manager="emulator-crds"))
            else:
                created.append(self.apply(doc, manager="emulator-crds"))
        return created

    def ensure_namespace(self, name: str) -> Obj:
        found = self.find("v1/namespaces", name)
        return found or self.create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )

    def create(self, obj: Mapping[str, Any], *, manager: str = "emulator-test") -> Obj:
        rt = self._of(obj)
        ns = obj.get("metadata", {}).get("namespace") or ("default" if rt.namespaced else None)
        status = obj.get("status")
        created = self.call(self.cluster.create, rt, ns, clone(dict(obj)), manager=manager)
        if status is not None and rt.has_status:
            created = self.call(
                self.cluster.update,
                rt,
                ns,
                created["metadata"]["name"],
                {**created, "status": clone(status)},
                manager=manager,
                subresource="status",
            )
        return clone(created)

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        manager: str = "emulator-test",
        force: bool = True,
        subresource: str | None = None,
    ) -> Obj:
        """Server-side apply ``obj`` as ``manager`` (create-or-update with field ownership)."""
        rt = self._of(obj)
        ns = obj.get("metadata", {}).get("namespace") or ("default" if rt.namespaced else None)
        name = obj["metadata"]["name"]
        result, _ = self.call(
            self.cluster.apply,
            rt,
            ns,
            name,
            clone(dict(obj)),
            manager=manager,
            force=force,
            subresource=subresource,
        )
        return clone(result)

    def get(self, ref: Ref, name: str, namespace: str | None = "default") -> Obj:
        """The object, or :class:`ApiError` 404."""
        rt = self.resource(ref)
        return clone(self.call(self.cluster.get, rt, namespace, name))

    def find(self, ref: Ref, name: str, namespace: str | None = "default") -> Obj | None:
        """The object or ``None``."""
        rt = self.resource(ref)
        found = self.call(self.cluster.find, rt, namespace, name)
        return clone(found) if found is not None else None

    def list(
        self,
        ref: Ref,
        namespace: str | None = None,
        *,
        labels: str | None = None,
        fields: str | None = None,
    ) -> builtins.list[Obj]:
        """Objects of one kind (all namespaces if ``namespace`` is None); kubectl selectors."""
        rt = self.resource(ref)
        items, _, _, _ = self.call(
            self.cluster.list, rt, namespace, label_selector=labels, field_selector=fields
        )
        return clone(items)

    def patch(
        self,
        ref: Ref,
        name: str,
        patch: Any,
        namespace: str | None = "default",
        *,
        type: str = "merge",
        subresource: str | None = None,
        manager: str = "emulator-test",
    ) -> Obj:
        """Patch: ``type`` is ``merge``, ``json``, ``strategic`` or ``apply``."""
        rt = self.resource(ref)
        result, _ = self.call(
            self.cluster.patch,
            rt,
            namespace,
            name,
            clone(patch),
            type,
            manager=manager,
            subresource=subresource,
            force=True,
        )
        return clone(result)

    def patch_status(
        self,
        ref: Ref,
        name: str,
        status: Mapping[str, Any],
        namespace: str | None = "default",
        *,
        manager: str = "emulator-test",
    ) -> Obj:
        """Merge-patch the status through the ``/status`` subresource."""
        return self.patch(
            ref,
            name,
            {"status": dict(status)},
            namespace,
            subresource="status" if self.resource(ref).has_status else None,
            manager=manager,
        )

    def set_condition(
        self,
        ref: Ref,
        name: str,
        type: str,
        status: str = "True",
        namespace: str | None = "default",
        *,
        reason: str = "Test",
        message: str = "",
        observed: bool = True,
    ) -> Obj:
        """Set (replace) one status condition; ``observedGeneration`` = the current generation."""
        obj = self.get(ref, name, namespace)
        conditions = [
            c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") != type
        ]
        condition: dict[str, Any] = {
            "type": type,
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if observed:
            condition["observedGeneration"] = obj["metadata"].get("generation", 1)
        conditions.append(condition)
        return self.patch_status(ref, name, {"conditions": conditions}, namespace)

    def delete(
        self,
        ref: Ref,
        name: str,
        namespace: str | None = "default",
        *,
        propagation: str | None = None,
    ) -> Obj | None:
        """Delete (sets deletionTimestamp while finalizers remain); ``None`` if already absent."""
        rt = self.resource(ref)
        try:
            return clone(
                self.call(self.cluster.delete, rt, namespace, name, propagation=propagation)
            )
        except ApiError as e:
            if e.code == 404:
                return None
            raise

    def children(self, owner: Mapping[str, Any]) -> builtins.list[tuple[str, Obj]]:
        """(kind, object) of every object with an ownerReference to ``owner``'s uid."""
        uid = owner["metadata"]["uid"]

        def collect() -> builtins.list[tuple[str, Obj]]:
            return [
                (rt.kind, clone(obj))
                for rt, obj in self.cluster.all_objects()
                if any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])
            ]

        return self.call(collect)

    def managers(
        self, ref: Ref, name: str, namespace: str | None = "default"
    ) -> dict[str, set[tuple[str, ...]]]:
        """Field manager → owned leaf paths (the emulator's stand-in for ``managedFields``)."""
        rt = self.resource(ref)
        return self.call(
            lambda: {
                m: set(p)
                for m, p in self.cluster.managers_of(self.cluster.get(rt, namespace, name)).items()
            }
        )

    # ------------------------------------------------------------------ waiting

    def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,
        interval: float = 0.02,
        message: str = "",
    ) -> T:
        """Poll ``predicate`` until it returns a truthy value; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                last = predicate()
            except ApiError as e:
                last = e
                if e.code != 404:
                    raise
            else:
                if last:
                    return last  # type: ignore[no-any-return]  # a truthy T
            if time.monotonic() > deadline:
                raise AssertionError(
                    message or f"condition not met within {timeout}s (last: {last!r})"
                )
            time.sleep(interval)

    def wait_for_object(
        self,
        ref: Ref,
        name: str,
        namespace: str | None = "default",
        predicate: Callable[[Obj], Any] = bool,
        timeout: float = 5.0,
    ) -> Obj:
        def check() -> Obj | None:
            obj = self.find(ref, name, namespace)
            return obj if obj is not None and predicate(obj) else None

        return self.wait_for(
            check, timeout, message=f"{ref} {namespace}/{name} not as expected within {timeout}s"
        )

    def wait_for_absence(
        self, ref: Ref, name: str, namespace: str | None = "default", timeout: float = 5.0
    ) -> None:
        self.wait_for(
            lambda: self.find(ref, name, namespace) is None,
            timeout,
            message=f"{ref} {namespace}/{name} still exists after {timeout}s",
        )

    # ------------------------------------------------------------------ faults & stats

    def drop_watches(self, ref: Ref | None = None, *, abrupt: bool = False) -> int:
        """Close open watch streams (of one resource or all); returns how many were closed."""
        rt = self.resource(ref) if ref is not None else None
        return self.call(self.cluster.drop_watches, rt, abrupt=abrupt)

    def watch_count(self, ref: Ref | None = None) -> int:
        rt = self.resource(ref) if ref is not None else None
        return self.call(
            lambda: sum(
                len(w)
                for k, w in self.cluster.watchers.items()
                if rt is None or k == rt.storage_key
            )
        )

    @property
    def writes(self) -> dict[str, int]:
        """Effective writes so far by type (create/update/delete); no-op writes are not counted."""
        return self.call(
            lambda: {k: self.cluster.writes.get(k, 0) for k in ("create", "update", "delete")}
        )

    def tally(self) -> dict[tuple[str, str, int], int]:
        """Requests other than GET so far: (METHOD, resource[/subresource], HTTP status) →
        count, e.g. ``("PATCH", "deployments", 200)``, ``("PATCH", "databases/status", 200)``,
        ``("POST", "events", 201)``, ``("PATCH", "databases", 409)``."""
        return self.call(lambda: dict(self.handler.tally))

    @property
    def request_count(self) -> int:
        return self.handler.request_count

    def requests(self) -> builtins.list[tuple[str, str]]:
        """(METHOD, path?query) of the recently recorded requests (the last ~1000 at least)."""
        return self.call(
            lambda: [
                (r.method.value.upper(), r.url.raw_path_qs) for r in list(self.handler._requests)
            ]
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, Any, dict[str, str]]:
        """One raw HTTP request: (status, decoded JSON body or text, response headers)."""
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method.upper())
        request.add_header("Content-Type", content_type)
        request.add_header("User-Agent", "emulator-test/1.0")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as e:
            status, raw, got = e.code, e.read(), dict(e.headers)
        try:
            return status, json.loads(raw), got
        except ValueError:
            return status, raw.decode(errors="replace"), got

    def watch_events(
        self,
        path: str,
        *,
        count: int | None = None,
        timeout: float = 5,
        headers: Mapping[str, str] | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Open a watch (``path`` must include ``watch=true``) and collect events until ``count``
        arrived, the server ends the stream, or ``timeout`` passes."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        events: builtins.list[dict[str, Any]] = []
        try:
            connection.request(
                "GET", path, headers={"User-Agent": "emulator-test/1.0", **(headers or {})}
            )
            response = connection.getresponse()
            if response.status != 200:
                raise ApiError(
                    response.status, "WatchFailed", response.read().decode(errors="replace")
                )
            deadline = time.monotonic() + timeout
            while (count is None or len(events) < count) and time.monotonic() < deadline:
                try:
                    line = response.readline()
                except (TimeoutError, OSError, http.client.HTTPException):
                    break
                if not line:
                    break
                if line.strip():
                    events.append(json.loads(line))
        finally:
            connection.close()
        return events

    def kubectl(
        self, *args: str, check: bool = True, timeout: float = 30, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against the emulator."""
        result = subprocess.run(
            [
                KUBECTL,
                "--kubeconfig",
                str(self.kubeconfig),
                "--cache-dir",
                str(self.cache_dir),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}"
            )
        return result


class Controls:
    """Thread-safe steering of the simulated controllers (``emulator.controllers``)."""

    def __init__(self, emulator: Emulator, sim: SimulatedControllers) -> None:
        self._emulator = emulator
        self.sim = sim

    def set_ready(
        self, ref: Ref, name: str, namespace: str | None = "default", ready: bool = True
    ) -> None:
        """``ready=False`` pins the child unready (status says so) until set ready again."""
        rt = self._emulator.resource(ref)
        self._emulator.call(self.sim.set_ready, rt, namespace, name, ready)

    def set_unready(self, ref: Ref, name: str, namespace: str | None = "default") -> None:
        self.set_ready(ref, name, namespace, ready=False)

    def fail_job(self, name: str, namespace: str | None = "default") -> None:
        rt = self._emulator.resource("batch/v1/jobs")
        self._emulator.call(self.sim.fail_job, rt, namespace, name)

    def trigger_cronjob(self, name: str, namespace: str | None = "default") -> Obj:
        """Run a CronJob now (a Job from its jobTemplate, tracked in ``status.active``)."""
        rt = self._emulator.resource("batch/v1/cronjobs")
        return clone(self._emulator.call(self.sim.trigger_cronjob, rt, namespace, name))

    def hpa_scale(
        self, ref: Ref, name: str, replicas: int, namespace: str | None = "default"
    ) -> Obj:
        """Scale a workload the way the HorizontalPodAutoscaler does: an Update of the ``scale``
        subresource by ``kube-controller-manager`` (it then owns ``spec.replicas``)."""
        rt = self._emulator.resource(ref)
        result, _ = self._emulator.call(
            self._emulator.cluster.patch,
            rt,
            namespace,
            name,
            {"spec": {"replicas": replicas}},
            "merge",
            manager="kube-controller-manager",
            subresource="scale",
        )
        return clone(result)

    def pause(self, ref: Ref | None = None) -> None:
        """Stop writing statuses (for every kind, or one): children stay as they are."""
        rt = self._emulator.resource(ref) if ref is not None else None
        self._emulator.call(self.sim.pause, rt)

    def resume(self, ref: Ref | None = None) -> None:
        rt = self._emulator.resource(ref) if ref is not None else None
        self._emulator.call(self.sim.resume, rt)

    @property
    def delay(self) -> float:
        return self.sim.delay

    @delay.setter
    def delay(self, value: float) -> None:
        self.sim.delay = value
