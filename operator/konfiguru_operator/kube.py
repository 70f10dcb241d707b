"""A small asynchronous Kubernetes API client: the transport under ``apply.py``.

Kopf talks to the API server for its own needs (watching, progress annotations, events); the
operator's own reads and writes (server-side apply, deletes, the status subresource, a Secret
read) go through this client, on the same credentials Kopf logs in with (``handlers/lifecycle``
hands them over). It is asynchronous so that no handler blocks the event loop, and it knows
nothing about Konfiguru: it turns HTTP answers into dicts or an :class:`ApiError`.

Only ``apply.py`` calls the writing methods.
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

JSON = dict[str, Any]
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"


class ApiError(Exception):
    """A non-2xx answer from the API server, with its code and the server's message."""

    def __init__(
        self, status: int, reason: str, message: str, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"{status} {reason}: {message}")


@dataclass(frozen=True)
class ResourceRef:
    """Where objects of one kind live in the API: ``apps/v1`` + ``deployments``."""

    api_version: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        base = (
            f"/api/{self.api_version}"
            if "/" not in self.api_version
            else (f"/apis/{self.api_version}")
        )
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base


@dataclass(frozen=True)
class Credentials:
    """The connection facts the client needs; built from Kopf's ``ConnectionInfo``."""

    server: str
    token: str | None = None
    scheme: str | None = None
    username: str | None = None
    password: str | None = None
    ca_path: str | None = None
    ca_data: bytes | None = None
    certificate_path: str | None = None
    certificate_data: bytes | None = None
    private_key_path: str | None = None
    private_key_data: bytes | None = None
    insecure: bool = False

    @classmethod
    def from_connection_info(cls, info: Any) -> Credentials:
        def as_bytes(value: Any) -> bytes | None:
            if value is None:
                return None
            return value if isinstance(value, bytes) else str(value).encode()

        def as_path(value: Any) -> str | None:
            return None if value is None else str(value)

        return cls(
            server=str(info.server).rstrip("/"),
            token=info.token,
            scheme=info.scheme,
            username=info.username,
            password=info.password,
            ca_path=as_path(info.ca_path),
            ca_data=as_bytes(info.ca_data),
            certificate_path=as_path(info.certificate_path),
            certificate_data=as_bytes(info.certificate_data),
            private_key_path=as_path(info.private_key_path),
            private_key_data=as_bytes(info.private_key_data),
            insecure=bool(info.insecure),
        )


def _maybe_base64(data: bytes) -> bytes:
    # Kubeconfig "*-data" fields are base64 of PEM; Kopf passes them through as given.
    if data.lstrip().startswith(b"-----"):
        return data
    return base64.b64decode(data)


def _ssl_context(creds: Credentials) -> ssl.SSLContext | bool:
    if not creds.server.startswith("https"):
        return False
    if creds.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        cadata = _maybe_base64(creds.ca_data).decode() if creds.ca_data else None
        context = ssl.create_default_context(cafile=creds.ca_path, cadata=cadata)
    cert, key = creds.certificate_path, creds.private_key_path
    with tempfile.TemporaryDirectory() as tmp:
        # ssl loads client certificates only from files: write inline data to a private dir.
        if creds.certificate_data:
            cert = str(Path(tmp) / "cert.pem")
            Path(cert).write_bytes(_maybe_base64(creds.certificate_data))
        if creds.private_key_data:
            key = str(Path(tmp) / "key.pem")
            Path(key).write_bytes(_maybe_base64(creds.private_key_data))
        if cert:
            context.load_cert_chain(cert, key)
    return context


class Client:
    """One HTTP session to the API server. Create inside a running event loop; ``close()``."""

    def __init__(self, creds: Credentials, timeout: float = 30.0) -> None:
        self.creds = creds
        headers = {"Accept": "application/json", "User-Agent": "konfiguru-operator"}
        auth = None
        if creds.token:
            headers["Authorization"] = f"{creds.scheme or 'Bearer'} {creds.token}"
        elif creds.username and creds.password:
            auth = aiohttp.BasicAuth(creds.username, creds.password)
        self._session = aiohttp.ClientSession(
            base_url=None,
            headers=headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=timeout),
            connector=aiohttp.TCPConnector(ssl=_ssl_context(creds), limit=100),
        )
        # Counted for the benchmark's "API writes per no-op resync" and for tests.
        self.writes = 0
        self.reads = 0
        self.seconds = 0.0  # total time spent waiting for answers

    async def close(self) -> None:
        await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> JSON:
        if method == "GET":
            self.reads += 1
        else:
            self.writes += 1
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if data is not None else {}
        started = time.monotonic()
        try:
            async with self._session.request(
                method, self.creds.server + path, params=params, data=data, headers=headers
            ) as response:
                text = await response.text()
        finally:
            self.seconds += time.monotonic() - started
        if response.status >= 400:
            raise _error(response.status, text, response.headers.get("Retry-After"))
        if not text:
            return {}
        result = json.loads(text)
        return result if isinstance(result, dict) else {}

    async def get(self, ref: ResourceRef, namespace: str | None, name: str) -> JSON:
        return await self.request("GET", ref.path(namespace, name))

    async def list(
        self,
        ref: ResourceRef,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[JSON]:
        params = {"labelSelector": label_selector} if label_selector else {}
        if field_selector:
            params["fieldSelector"] = field_selector
        result = await self.request("GET", ref.path(namespace), params=params or None)
        items = result.get("items") or []
        return [item for item in items if isinstance(item, dict)]

    async def version(self) -> JSON:
        return await self.request("GET", "/version")

    async def apply(
        self, ref: ResourceRef, body: JSON, field_manager: str, *, dry_run: bool = False
    ) -> JSON:
        """Server-side apply with ``force``: we own the fields we send, nothing else. With
        ``dry_run``, the server answers what it would store and stores nothing."""
        meta = body["metadata"]
        params = {"fieldManager": field_manager, "force": "true"}
        if dry_run:
            params["dryRun"] = "All"
        return await self.request(
            "PATCH",
            ref.path(meta.get("namespace"), meta["name"]),
            params=params,
            body=body,
            content_type=APPLY_PATCH,
        )

    async def merge_patch(
        self, ref: ResourceRef, namespace: str | None, name: str, body: JSON, sub: str = ""
    ) -> JSON:
        return await self.request(
            "PATCH", ref.path(namespace, name, sub), body=body, content_type=MERGE_PATCH
        )

    async def delete(
        self,
        ref: ResourceRef,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        propagation: str = "Background",
    ) -> JSON:
        """Delete one object; with ``uid``, only that incarnation (never a recreated one)."""
        options: JSON = {"kind": "DeleteOptions", "apiVersion": "v1"}
        options["propagationPolicy"] = propagation
        if uid:
            options["preconditions"] = {"uid": uid}
        return await self.request("DELETE", ref.path(namespace, name), body=options)


def _error(status: int, text: str, retry_after: str | None) -> ApiError:
    reason, message = "", text.strip()[:500]
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        reason = str(payload.get("reason") or "")
        message = str(payload.get("message") or message)
    delay = None
    if retry_after:
        try:
            delay = float(retry_after)
        except ValueError:
            delay = None
    return ApiError(status, reason, message, delay)
