"""The HTTP face of the emulator: a ``kmock.KubernetesScaffold`` that serves a :class:`Cluster`.

kmock contributes request parsing, request recording (``emulator.handler.requests``-style views),
Kubernetes-shaped error rendering and its DSL for ad-hoc reactions (``handler['get /x'] << 500``);
this module adds routing to the stateful :class:`emulator.cluster.Cluster`, discovery that both
Kopf and kubectl accept, watch streams, ``Table`` responses for ``kubectl get`` and the
:class:`FaultInjector`. The test facade (:mod:`emulator.harness`) runs it on a local port.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import math
import re
import threading
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp.web
import attrs
import kmock
import yaml
from kmock._internal.rendering import ReactionMismatchError  # not in kmock's __all__
from typing_extensions import override

from .cluster import DROP_ABRUPT, DROP_GRACEFUL, MODIFIED, ApiError, Cluster, Obj, bad_request
from .resources import ResourceType
from .tables import render_table

log = logging.getLogger("emulator")
JSON = "application/json"
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+json": "apply",
}
SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0+konfiguru-emulator",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(eq=False)
class Fault:
    """One injected misbehaviour; see :meth:`FaultInjector.add`."""

    method: str | None
    pattern: re.Pattern[str] | None
    status: int | None
    times: int | None
    retry_after: int | None = None
    delay: float = 0.0
    close: bool = False
    message: str = ""
    hits: int = 0

    def matches(self, method: str, target: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.pattern is None or self.pattern.search(target) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


@dataclass
class FaultInjector:
    """Make the next N matching requests fail, stall or lose their connection.

    Thread-safe: tests add faults from their own thread while the server consumes them.
    """

    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | None = 500,
        times: int | None = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        close: bool = False,
        message: str = "",
    ) -> Fault:
        """Inject a fault for requests whose method is ``method`` (any if None) and whose
        ``path?query`` matches the regex ``path`` (searched, any if None).

        ``status``: answer with this code and a Status body (500, 429, 409, 503...); ``None``
        serves the request normally after ``delay``. ``times``: how many requests (None: all).
        ``retry_after``: seconds for the ``Retry-After`` header (429/503). ``close``: drop the
        connection without answering. Returns the :class:`Fault`; ``fault.hits`` counts uses.
        """
        fault = Fault(
            method=method.upper() if method else None,
            pattern=re.compile(path) if path else None,
            status=status,
            times=times,
            retry_after=retry_after,
            delay=delay,
            close=close,
            message=message,
        )
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, method: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not fault.exhausted and fault.matches(method, target):
                    fault.hits += 1
                    return fault
        return None


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def fault_error(fault: Fault) -> ApiError:
    code = fault.status or 500
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    details = {"retryAfterSeconds": fault.retry_after} if fault.retry_after is not None else {}
    message = fault.message or {
        409: f"Operation cannot be fulfilled: {MODIFIED}",
        429: "Too many requests, please try again later.",
    }.get(code, f"injected fault: HTTP {code}")
    return ApiError(
        code, _REASONS.get(code, "InternalError"), message, details=details, headers=headers
    )


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> aiohttp.web.Response:
    return aiohttp.web.Response(
        body=json.dumps(payload, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON,
        headers=headers,
    )


@dataclass
class Route:
    group: str
    version: str
    namespace: str | None
    plural: str | None
    name: str | None
    subresource: str | None
    watch_prefix: bool


def parse_route(path: str) -> Route | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch_prefix = bool(rest) and rest[0] == "watch"
    if watch_prefix:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    plural = rest[0] if rest else None
    name = rest[1] if len(rest) > 1 else None
    subresource = "/".join(rest[2:]) or None
    return Route(group, version, namespace, plural, name, subresource, watch_prefix)


@attrs.define(kw_only=True)
class KubeEmulator(kmock.KubernetesScaffold):
    """The emulated API server handler (an aiohttp low-level handler)."""

    cluster: Cluster = attrs.field(factory=Cluster)
    faults: FaultInjector = attrs.field(factory=FaultInjector)
    # kmock records every request for assertions; keep memory flat during long benchmarks.
    max_recorded: int = 2000
    bookmark_interval: float = 5.0
    address: str = "127.0.0.1:0"
    _builtin: set[int] = attrs.field(factory=set, init=False)
    request_count: int = attrs.field(default=0, init=False)
    # (METHOD, resource[/subresource], HTTP status) → count, for every request but GETs: what a
    # client wrote (or tried to), as an API server's request metrics count it.
    tally: collections.Counter[tuple[str, str, int]] = attrs.field(
        factory=collections.Counter, init=False
    )
    # Distinguishes this server's OpenAPI URLs from an earlier emulator's on a reused port.
    _instance: str = attrs.field(factory=lambda: uuid.uuid4().hex[:8].upper(), init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._builtin = {id(p) for p in self._payloads}

    # ------------------------------------------------------------------ entry point

    @override
    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        # kmock's parser cannot split some valid paths (``/api/v1/namespaces``): parse with it
        # when it can (its DSL filters need the parsed fields), fall back to plain HTTP fields.
        body = await raw_request.read()
        try:
            if len(self._payloads) == len(self._builtin):
                raise ValueError("no kmock reactions declared: skip kmock's (slower) parsing")
            request = await kmock.Request._parse(raw_request, id=len(self._requests))
        except ValueError:
            try:
                data = json.loads(body) if body[:1] in (b"{", b"[") else None
            except ValueError:
                data = None
            request = kmock.Request(
                id=len(self._requests),
                raw_request=raw_request,
                url=raw_request.url,
                method=raw_request.method,
                params=dict(raw_request.query),
                headers=dict(raw_request.headers),
                body=body,
                text=body.decode(errors="replace"),
                data=data,
            )
        self._requests.append(request)
        try:
            response = await self._handle(request)
            if raw_request.method != "GET":
                route = parse_route(raw_request.path)
                if route is not None and route.plural:
                    resource = "/".join(filter(None, (route.plural, route.subresource)))
                    self.tally[(raw_request.method, resource, response.status)] += 1
            return response
        except Exception as e:  # a bug in the emulator: answer 500 with the traceback, keep serving
            log.exception("emulator failed on %s %s", raw_request.method, raw_request.path_qs)
            error = ApiError(
                500,
                "InternalError",
                f"emulator bug: {e!r}",
                details={"traceback": traceback.format_exc()},
            )
            return json_response(error.status(), 500)

    @override
    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        self.request_count += 1
        if len(self._requests) > self.max_recorded:
            del self._requests[: len(self._requests) - self.max_recorded // 2]
        method = request.method.value.upper()
        target = request.url.raw_path_qs
        fault = self.faults.take(method, target)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.close:
                raw = request._raw_request
                if raw is not None and raw.transport is not None:
                    raw.transport.close()
                return aiohttp.web.Response(status=500)
            if fault.status is not None:
                error = fault_error(fault)
                return json_response(error.status(), error.code, error.headers)
        if len(self._payloads) > len(self._builtin):
            response = await self._user_reaction(request)
            if response is not None:
                return response
        try:
            # Only writes honour it; they never await, so the flag cannot leak to another request.
            mode = (
                request.params.get("fieldValidation")
                if method in ("POST", "PUT", "PATCH")
                else None
            )
            with self.cluster.field_validation(mode):
                return await self._dispatch(request, method)
        except ApiError as e:
            return json_response(e.status(), e.code, e.headers)

    async def _user_reaction(self, request: kmock.Request) -> aiohttp.web.StreamResponse | None:
        """Serve reactions a test declared with kmock's DSL (they win over the emulation)."""
        payloads = [p for p in self._payloads if id(p) not in self._builtin]
        payloads.sort(key=lambda p: tuple(-x for x in p.priorities) or (0,))
        for payload in payloads:
            if request in payload._source and not payload._disabled.is_set():
                try:
                    return await payload(request)
                except ReactionMismatchError:
                    payload._disabled.set()
                except NotImplementedError:
                    pass
        return None

    # ------------------------------------------------------------------ routing

    async def _dispatch(self, request: kmock.Request, method: str) -> aiohttp.web.StreamResponse:
        path = request.url.path.rstrip("/") or "/"
        if method == "GET":
            simple = self._simple_get(path)
            if simple is not None:
                return simple
        route = parse_route(path)
        if route is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if route.plural is None:
            if method != "GET":
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
            return json_response(self._discovery(route))
        rt = self.cluster.catalogue.get(route.group, route.version, route.plural)
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if route.subresource and route.subresource not in rt.subresources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        params = request.params
        watch = route.watch_prefix or params.get("watch") in ("true", "1")
        namespace = route.namespace if rt.namespaced else None
        if method == "GET" and watch:
            field_selector = params.get("fieldSelector")
            if route.name:
                name_term = f"metadata.name={route.name}"
                field_selector = f"{field_selector},{name_term}" if field_selector else name_term
            return await self._watch(request, rt, namespace, field_selector)
        if method == "GET" and route.name is None:
            return self._list(request, rt, namespace)
        if method == "GET" and route.name is not None:
            obj = self.cluster.get(rt, namespace, route.name)
            if route.subresource == "scale":
                return json_response(self._scale(rt, obj))
            return self._object_response(request, rt, obj)
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if "protobuf" in content_type:
            # kubectl's typed clients try protobuf first and fall back to JSON on a 415.
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                f"include: {JSON}, application/yaml",
            )
        manager = self._manager(request)
        dry_run = params.get("dryRun") == "All"
        if method == "POST" and route.name is None:
            body = self._body(request)
            obj = self.cluster.create(rt, namespace, body, manager=manager, dry_run=dry_run)
            return json_response(Cluster.render(rt, obj), 201)
        if method == "PUT" and route.name:
            body = self._body(request)
            if route.subresource == "scale":
                replicas = (body.get("spec") or {}).get("replicas")
                return self._set_scale(rt, namespace, route.name, replicas, manager, dry_run)
            obj = self.cluster.update(
                rt,
                namespace,
                route.name,
                body,
                manager=manager,
                subresource=route.subresource,
                dry_run=dry_run,
            )
            return json_response(Cluster.render(rt, obj))
        if method == "PATCH" and route.name:
            content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
            patch_type = PATCH_TYPES.get(content_type)
            if patch_type is None:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    f"include: {', '.join(PATCH_TYPES)}",
                )
            body = self._body(request)
            if route.subresource == "scale":
                replicas = ((body or {}).get("spec") or {}).get("replicas")
                return self._set_scale(rt, namespace, route.name, replicas, manager, dry_run)
            obj, created = self.cluster.patch(
                rt,
                namespace,
                route.name,
                body,
                patch_type,
                manager=params.get("fieldManager", "" if patch_type == "apply" else manager),
                subresource=route.subresource,
                force=params.get("force") in ("true", "1"),
                dry_run=dry_run,
            )
            return json_response(Cluster.render(rt, obj), 201 if created else 200)
        if method == "DELETE":
            options = self._body(request, required=False) or {}
            propagation = params.get("propagationPolicy") or options.get("propagationPolicy")
            if options.get("orphanDependents") is True:
                propagation = "Orphan"
            if route.name is None:
                deleted = self.cluster.delete_collection(
                    rt,
                    namespace,
                    label_selector=params.get("labelSelector"),
                    field_selector=params.get("fieldSelector"),
                    propagation=propagation,
                )
                return json_response(
                    self._list_body(rt, deleted, str(self.cluster.resource_version), None, 0)
                )
            obj = self.cluster.delete(
                rt,
                namespace,
                route.name,
                propagation=propagation,
                preconditions=options.get("preconditions"),
                dry_run=dry_run or options.get("dryRun") == ["All"],
            )
            return json_response(Cluster.render(rt, obj))
        raise ApiError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )

    # ------------------------------------------------------------------ request helpers

    @staticmethod
    def _manager(request: kmock.Request) -> str:
        explicit = request.params.get("fieldManager")
        if explicit:
            return explicit
        agent = request.headers.get("User-Agent") or "unknown"
        return agent.split("/")[0].strip() or "unknown"

    @staticmethod
    def _body(request: kmock.Request, *, required: bool = True) -> Any:
        if isinstance(request.data, (dict, list)):
            return request.data
        text = request.text
        if not text.strip():
            if required:
                raise bad_request("the request body is empty")
            return None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise bad_request(f"the request body is neither JSON nor YAML: {e}") from e

    def _object_response(
        self, request: kmock.Request, rt: ResourceType, obj: Obj
    ) -> aiohttp.web.Response:
        if "as=Table" in (request.headers.get("Accept") or ""):
            return json_response(render_table(rt, [obj], str(self.cluster.resource_version)))
        return json_response(Cluster.render(rt, obj))

    # ------------------------------------------------------------------ list & watch

    @staticmethod
    def _list_body(
        rt: ResourceType, items: list[Obj], rv: str, token: str | None, remaining: int
    ) -> Obj:
        meta: Obj = {"resourceVersion": rv}
        if token:
            meta["continue"] = token
            meta["remainingItemCount"] = remaining
        return {
            "apiVersion": rt.api_version,
            "kind": f"{rt.kind}List",
            "metadata": meta,
            "items": [Cluster.render(rt, obj) for obj in items],
        }

    def _list(
        self, request: kmock.Request, rt: ResourceType, namespace: str | None
    ) -> aiohttp.web.Response:
        params = request.params
        limit = int(params["limit"]) if params.get("limit", "").isdigit() else None
        items, rv, token, remaining = self.cluster.list(
            rt,
            namespace,
            label_selector=params.get("labelSelector"),
            field_selector=params.get("fieldSelector"),
            limit=limit,
            continue_token=params.get("continue"),
        )
        if "as=Table" in (request.headers.get("Accept") or ""):
            table = render_table(rt, items, rv)
            if token:
                table["metadata"]["continue"] = token
            return json_response(table)
        return json_response(self._list_body(rt, items, rv, token, remaining))

    async def _watch(
        self,
        request: kmock.Request,
        rt: ResourceType,
        namespace: str | None,
        field_selector: str | None,
    ) -> aiohttp.web.StreamResponse:
        params = request.params
        send_initial = params.get("sendInitialEvents") == "true"
        try:
            watcher, initial = self.cluster.subscribe(
                rt,
                namespace,
                label_selector=params.get("labelSelector"),
                field_selector=field_selector,
                resource_version=params.get("resourceVersion"),
                send_initial_events=send_initial,
            )
        except ApiError as e:
            if e.code != 410:
                raise
            # Like the real server: an expired resourceVersion is an ERROR event in a 200 stream.
            expired = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": JSON})
            assert request._raw_request is not None
            await expired.prepare(request._raw_request)
            await expired.write(
                json.dumps({"type": "ERROR", "object": e.status()}).encode() + b"\n"
            )
            await expired.write_eof()
            return expired
        raw = request._raw_request
        assert raw is not None
        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": JSON})
        bookmarks = params.get("allowWatchBookmarks") == "true"
        timeout = (
            float(params["timeoutSeconds"]) if params.get("timeoutSeconds", "").isdigit() else None
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout else math.inf
        last_bookmark = loop.time()

        tables = "as=Table" in (request.headers.get("Accept") or "")
        columns_sent = False

        async def send(kind: str, obj: Obj) -> None:
            nonlocal columns_sent
            rendered = Cluster.render(rt, obj)
            if tables and kind != "BOOKMARK":
                # kubectl get -w: each event carries a one-row Table, the columns only once.
                rendered = render_table(rt, [obj], obj["metadata"].get("resourceVersion", ""))
                if columns_sent:
                    rendered["columnDefinitions"] = []
                columns_sent = True
            line = json.dumps({"type": kind, "object": rendered}, separators=(",", ":"))
            await response.write(line.encode() + b"\n")

        def bookmark(annotations: Mapping[str, str] | None = None) -> Obj:
            meta: Obj = {"resourceVersion": str(self.cluster.resource_version)}
            if annotations:
                meta["annotations"] = dict(annotations)
            return {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": meta}

        try:
            await response.prepare(raw)
            for kind, obj in initial:
                await send(kind, obj)
            if send_initial:
                await send("BOOKMARK", bookmark({"k8s.io/initial-events-end": "true"}))
            while True:
                now = loop.time()
                if now >= deadline:
                    break
                try:
                    wake = min(1.0, self.bookmark_interval) if bookmarks else 1.0
                    item = await asyncio.wait_for(watcher.queue.get(), min(wake, deadline - now))
                except TimeoutError:
                    if raw.transport is None or raw.transport.is_closing():
                        break
                    if bookmarks and loop.time() - last_bookmark >= self.bookmark_interval:
                        last_bookmark = loop.time()
                        await send("BOOKMARK", bookmark())
                    continue
                if item == DROP_GRACEFUL:
                    break
                if item == DROP_ABRUPT:
                    if raw.transport is not None:
                        raw.transport.close()
                    break
                await send(*item)
        except (ConnectionError, RuntimeError):
            pass  # the client went away
        finally:
            self.cluster.unsubscribe(watcher)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write_eof()
        return response

    # ------------------------------------------------------------------ subresources

    def _set_scale(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        replicas: Any,
        manager: str,
        dry_run: bool,
    ) -> aiohttp.web.Response:
        """PUT or PATCH of the scale subresource: a merge patch of spec.replicas."""
        obj, _ = self.cluster.patch(
            rt,
            namespace,
            name,
            {"spec": {"replicas": replicas}},
            "merge",
            manager=manager,
            dry_run=dry_run,
            subresource="scale",
        )
        return json_response(self._scale(rt, obj))

    @staticmethod
    def _scale(rt: ResourceType, obj: Obj) -> Obj:
        meta = obj["metadata"]
        selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
            },
        }

    # ------------------------------------------------------------------ discovery

    def _simple_get(self, path: str) -> aiohttp.web.Response | None:
        if path == "/version":
            return json_response(SERVER_VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return aiohttp.web.Response(text="ok")
        if path == "/api":
            return json_response(
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": self.address}
                    ],
                }
            )
        if path == "/apis":
            groups = self.cluster.catalogue.groups()
            return json_response(
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        self._group(name, versions) for name, versions in groups.items() if name
                    ],
                }
            )
        if path == "/":
            return json_response(
                {"paths": ["/api", "/api/v1", "/apis", "/version", "/healthz", "/openapi/v3"]}
            )
        if path == "/openapi/v3":
            return json_response(self._openapi_root())
        if path.startswith("/openapi/v3/"):
            return json_response(self._openapi_group_version(path[len("/openapi/v3/") :]))
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "apis":
            groups = self.cluster.catalogue.groups()
            if parts[1] not in groups:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return json_response(
                {"kind": "APIGroup", "apiVersion": "v1", **self._group(parts[1], groups[parts[1]])}
            )
        return None

    def _openapi_root(self) -> Obj:
        paths = {}
        revision = self.cluster.catalogue.revision
        for group, versions in self.cluster.catalogue.groups().items():
            for version in versions:
                gv_path = f"apis/{group}/{version}" if group else f"api/{version}"
                url = f"/openapi/v3/{gv_path}?hash={self._instance}{revision:08X}"
                paths[gv_path] = {"serverRelativeURL": url}
        return {"paths": paths}

    def _openapi_group_version(self, gv_path: str) -> Obj:
        """A skeleton OpenAPI v3 document: PATCH operations that accept ``fieldValidation``, so
        kubectl validates on the server side (``kubectl apply`` works without --validate=false)."""
        parts = gv_path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[0] == "apis" and len(parts) == 3:
            group, version = parts[1], parts[2]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        types = self.cluster.catalogue.in_version(group, version)
        if not types:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        paths: Obj = {}
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        for rt in types:
            scope = (
                f"{prefix}/namespaces/{{namespace}}/{rt.plural}"
                if rt.namespaced
                else f"{prefix}/{rt.plural}"
            )
            gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
            operation = {
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [
                    {"name": name, "in": "query", "schema": {"type": "string"}}
                    for name in ("dryRun", "fieldManager", "fieldValidation", "force")
                ],
                "responses": {"200": {"description": "OK"}},
            }
            paths[f"{scope}/{{name}}"] = {"patch": operation}
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
            "paths": paths,
            "components": {"schemas": {}},
        }

    @staticmethod
    def _group(name: str, versions: list[str]) -> Obj:
        listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": listed, "preferredVersion": listed[0]}

    def _discovery(self, route: Route) -> Obj:
        catalogue = self.cluster.catalogue
        if route.group and route.version is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        types = catalogue.in_version(route.group, route.version)
        if not types:
            groups = catalogue.groups()
            if route.group in groups and route.version not in groups[route.group]:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if route.group not in groups:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
        resources: list[Obj] = []
        for rt in sorted(types, key=lambda t: t.plural):
            entry: Obj = {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            resources.append(entry)
            for sub in sorted(rt.subresources):
                sub_entry: Obj = {
                    "name": f"{rt.plural}/{sub}",
                    "singularName": "",
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": ["get", "patch", "update"],
                }
                if sub == "scale":
                    sub_entry.update(kind="Scale", group="autoscaling", version="v1")
                if sub == "finalize":
                    sub_entry["verbs"] = ["update"]
                resources.append(sub_entry)
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{route.group}/{route.version}" if route.group else route.version,
            "resources": resources,
        }
