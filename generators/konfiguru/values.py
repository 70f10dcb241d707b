"""Value objects attached to an App: ``Secret`` (spec.secrets[]), ``ConfigMap`` (spec.config),
``Ingress`` (spec.ingress).

They are not resources of their own: the App CRD holds them, and the App's generator writes the
Kubernetes Secret, ConfigMap and Ingress from them. ``App.add_secrets``, ``App.add_config`` and
``App.ingress`` take them. Each method writes one field of the CRD's object and says its default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from ._base import Part, plain

Provider = Literal["vault", "aws-secrets-manager", "aws-parameter-store"]


class Secret(Part):
    """A Secret the App reads (``spec.secrets[]``): generated once, synced from a store by the
    External Secrets Operator, or one that already exists (name only)."""

    def __init__(self, name: str) -> None:
        """``name``: the Kubernetes Secret's name (``spec.secrets[].name``)."""
        super().__init__()
        self._data["name"] = name

    def _generate(self, key: str, kind: str, length: int | None) -> Self:
        entry: dict[str, Any] = {"key": key, "type": kind}
        if length is not None:
            entry["length"] = length
        self._data.setdefault("generate", []).append(entry)
        return self

    def generate_password(self, key: str, length: int = 32) -> Self:
        """A generated password under ``key`` (``generate[].type: password``); length default 32."""
        return self._generate(key, "password", length)

    def generate_random(self, key: str, length: int = 64) -> Self:
        """Generated random bytes under ``key`` (``generate[].type: random``); default 64."""
        return self._generate(key, "random", length)

    def generate_rsa_key(self, key: str) -> Self:
        """A generated RSA private key (PEM) under ``key`` (``generate[].type: rsa``)."""
        return self._generate(key, "rsa", None)

    def from_store(
        self,
        provider: Provider,
        store: str,
        data: Mapping[str, str] | None = None,
        *,
        extract: str | None = None,
        store_kind: Literal["ClusterSecretStore", "SecretStore"] | None = None,
        refresh_interval: str | None = None,
    ) -> Self:
        """Synced by the External Secrets Operator (``external``) from ``store``: ``data`` maps
        each key to ``"remote/key"`` or ``"remote/key#property"``; ``extract`` takes every key
        of one remote secret. ``store_kind`` default ClusterSecretStore, ``refresh_interval``
        default 1h."""
        external: dict[str, Any] = {"provider": provider, "store": store}
        if data:
            external["data"] = [_remote(key, ref) for key, ref in data.items()]
        for name, value in (
            ("extract", extract),
            ("storeKind", store_kind),
            ("refreshInterval", refresh_interval),
        ):
            if value is not None:
                external[name] = value
        self._data["external"] = external
        return self

    def from_vault(self, store: str, data: Mapping[str, str]) -> Self:
        """:meth:`from_store` with provider ``vault``."""
        return self.from_store("vault", store, data)

    def from_aws_secrets_manager(self, store: str, data: Mapping[str, str]) -> Self:
        """:meth:`from_store` with provider ``aws-secrets-manager``."""
        return self.from_store("aws-secrets-manager", store, data)

    def from_aws_parameter_store(self, store: str, data: Mapping[str, str]) -> Self:
        """:meth:`from_store` with provider ``aws-parameter-store``."""
        return self.from_store("aws-parameter-store", store, data)

    def mount_as_env_vars(self, prefix: str = "") -> Self:
        """Every key as an environment variable (``mount: env``, the default), names prefixed
        with ``prefix`` (default none)."""
        self._data["mount"] = "env"
        if prefix:
            self._data["prefix"] = prefix
        return self

    def mount_path(self, path: str, also_env: bool = False) -> Self:
        """Every key as a file under ``path`` (``mount: files``, or ``both`` with ``also_env``).
        Default: not mounted as files."""
        self._data["mount"] = "both" if also_env else "files"
        self._data["mountPath"] = path
        return self


def _remote(key: str, reference: str) -> dict[str, Any]:
    remote, _, prop = reference.partition("#")
    entry = {"key": key, "remoteKey": remote}
    if prop:
        entry["property"] = prop
    return entry


class ConfigMap(Part):
    """The App's configuration (``spec.config``): plain keys and whole files (JSON, YAML, INI,
    TOML, properties or text), mounted at ``/etc/config`` and as environment variables."""

    def add(self, key: str, value: str) -> Self:
        """One key (``config.data``), an environment variable when ``as_env`` (default)."""
        self._data.setdefault("data", {})[key] = value
        return self

    def add_file(
        self,
        name: str,
        content: Any,
        file_format: Literal["json", "yaml", "ini", "toml", "properties", "text"] | None = None,
    ) -> Self:
        """A file (``config.files[]``); ``content`` a mapping written in ``file_format``, or text.
        Default format: from the file name's extension (the generator's rule)."""
        entry: dict[str, Any] = {"name": name, "content": plain(content)}
        if file_format is not None:
            entry["format"] = file_format
        self._data.setdefault("files", []).append(entry)
        return self

    def add_json(self, name: str, data: Mapping[str, Any]) -> Self:
        """A JSON file ``name`` written from ``data``."""
        return self.add_file(name, data, "json")

    def add_yaml(self, name: str, data: Mapping[str, Any]) -> Self:
        """A YAML file ``name`` written from ``data``."""
        return self.add_file(name, data, "yaml")

    def add_ini(self, name: str, data: Mapping[str, Mapping[str, Any]]) -> Self:
        """An INI file ``name``: sections of keys."""
        return self.add_file(name, data, "ini")

    def add_toml(self, name: str, data: Mapping[str, Any]) -> Self:
        """A TOML file ``name`` written from ``data``."""
        return self.add_file(name, data, "toml")

    def add_properties(self, name: str, data: Mapping[str, Any]) -> Self:
        """A Java properties file ``name`` written from ``data``."""
        return self.add_file(name, data, "properties")

    def mount_path(self, path: str) -> Self:
        """Where the files are mounted (``config.mountPath``). Default ``/etc/config``."""
        self._data["mountPath"] = path
        return self

    def mount_as_env_vars(self, enabled: bool = True) -> Self:
        """Whether ``data`` keys become environment variables (``config.asEnv``). Default true."""
        self._data["asEnv"] = enabled
        return self

    def on_change(self, restart_pods: bool = True) -> Self:
        """Roll the pods when the config changes (``config.restartOnChange``). Default true."""
        self._data["restartOnChange"] = restart_pods
        return self

    def enable_hot_reload(
        self,
        process: str | None = None,
        signal: Literal["SIGHUP", "SIGUSR1", "SIGUSR2"] | None = None,
        interval_seconds: int | None = None,
    ) -> Self:
        """Reload without a restart: the pods stay and the kubelet updates the mounted files in
        place (``config.restartOnChange: false``); with ``process``, a sidecar signals that
        process when they change (``config.hotReload``: signal default SIGHUP, checked every
        ``interval_seconds``, default 10; needs files and ``security.runAsUser``). Default: the
        pods roll on every change."""
        self._data["restartOnChange"] = False
        if process is not None:
            reload = {"process": process, "signal": signal, "intervalSeconds": interval_seconds}
            self._data["hotReload"] = {k: v for k, v in reload.items() if v is not None}
        return self


class Ingress(Part):
    """HTTP routing to the App from outside (``spec.ingress``)."""

    def __init__(self, host: str | None = None) -> None:
        """``host``: the host name routed to the App (``ingress.host``, required by the CRD)."""
        super().__init__()
        if host is not None:
            self._data["host"] = host

    def host(self, hostname: str) -> Self:
        """``ingress.host``. Required."""
        self._data["host"] = hostname
        return self

    def path(
        self,
        path: str = "/",
        port: int | str | None = None,
        path_type: Literal["Prefix", "Exact", "ImplementationSpecific"] | None = None,
    ) -> Self:
        """A routed path (``ingress.paths[]``): default ``/``, type Prefix, the App's port."""
        entry: dict[str, Any] = {"path": path}
        if port is not None:
            entry["port"] = port
        if path_type is not None:
            entry["pathType"] = path_type
        self._data.setdefault("paths", []).append(entry)
        return self

    def ssl_certificate(
        self,
        issuer: str | None = None,
        secret_name: str | None = None,
        issuer_kind: Literal["ClusterIssuer", "Issuer"] | None = None,
    ) -> Self:
        """TLS (``ingress.tls``): a certificate from cert-manager's ``issuer`` (kind default
        ClusterIssuer) into ``secret_name``. Default: no TLS."""
        tls = {"issuer": issuer, "secretName": secret_name, "issuerKind": issuer_kind}
        self._data["tls"] = {key: value for key, value in tls.items() if value is not None}
        return self

    def rate_limiting(
        self,
        requests_per_minute: int | None = None,
        requests_per_second: int | None = None,
        burst_multiplier: int | None = None,
        connections: int | None = None,
    ) -> Self:
        """Requests allowed per client (``ingress.rateLimit``). Default: no limit."""
        limit = {
            "rpm": requests_per_minute,
            "rps": requests_per_second,
            "burstMultiplier": burst_multiplier,
            "connections": connections,
        }
        self._data["rateLimit"] = {key: value for key, value in limit.items() if value is not None}
        return self

    def cors(
        self,
        origins: Sequence[str] | None = None,
        methods: Sequence[str] | None = None,
        headers: Sequence[str] | None = None,
        allow_credentials: bool | None = None,
    ) -> Self:
        """CORS (``ingress.cors``). Defaults: every origin, the usual methods, no credentials."""
        cors = {
            "allowOrigins": origins,
            "allowMethods": methods,
            "allowHeaders": headers,
            "allowCredentials": allow_credentials,
        }
        self._data["cors"] = {key: plain(v) for key, v in cors.items() if v is not None}
        return self

    def ip_allow_list(self, ip_ranges: Sequence[str]) -> Self:
        """Only these CIDR ranges may connect (``ingress.ipAllowList``). Default: anyone."""
        self._data["ipAllowList"] = list(ip_ranges)
        return self

    def redirect_http_to_https(self, enabled: bool = True) -> Self:
        """``ingress.httpsRedirect``. Default true (with TLS)."""
        self._data["httpsRedirect"] = enabled
        return self

    def timeout(
        self, connect: int | None = None, read: int | None = None, send: int | None = None
    ) -> Self:
        """Proxy timeouts in seconds (``ingress.timeouts``). Default: the controller's."""
        timeouts = {"connect": connect, "read": read, "send": send}
        self._data["timeouts"] = {key: v for key, v in timeouts.items() if v is not None}
        return self

    def annotations(self, annotations: Mapping[str, str]) -> Self:
        """Extra annotations on the Ingress (``ingress.annotations``). Default none."""
        self._data["annotations"] = dict(annotations)
        return self

    def class_name(self, name: str) -> Self:
        """The IngressClass (``ingress.className``). Default: the cluster's default class."""
        self._data["className"] = name
        return self

    def controller(self, name: Literal["nginx", "traefik", "gateway"]) -> Self:
        """What serves the traffic (``ingress.controller``): an ingress-nginx Ingress, a Traefik
        Ingress or a Gateway API HTTPRoute. Default the CLI's ``--ingress-controller`` (or the
        operator's setting), else nginx."""
        self._data["controller"] = name
        return self

    def gateway(
        self,
        name: str | None = None,
        namespace: str | None = None,
        http_listener: str | None = None,
        https_listener: str | None = None,
    ) -> Self:
        """The Gateway the HTTPRoute attaches to (``ingress.gateway``; sets the controller to
        gateway). Default the Gateway "gateway" in "gateway-system", listeners http and https."""
        gateway = {
            "name": name,
            "namespace": namespace,
            "httpListener": http_listener,
            "httpsListener": https_listener,
        }
        self._data["controller"] = "gateway"
        self._data["gateway"] = {key: v for key, v in gateway.items() if v is not None}
        return self

    def custom_headers(
        self,
        request: Mapping[str, str] | None = None,
        response: Mapping[str, str] | None = None,
    ) -> Self:
        """Headers set on the way to the App and back to the client (``ingress.headers``:
        ``request.set``/``response.set``). Gateway only: nginx and Traefik refuse it (a Traefik
        headers Middleware instead). Default none."""
        headers = {"request": request, "response": response}
        self._data["headers"] = {k: {"set": dict(v)} for k, v in headers.items() if v is not None}
        return self

    def middleware(self, middlewares: Sequence[str]) -> Self:
        """Traefik Middlewares applied to the route, each ``name`` or ``namespace/name``
        (``ingress.middlewares``; sets the controller to traefik). Default none."""
        entries: list[dict[str, str]] = []
        for middleware in middlewares:
            namespace, _, name = middleware.rpartition("/")
            entries.append({"name": name, **({"namespace": namespace} if namespace else {})})
        self._data["controller"] = "traefik"
        self._data["middlewares"] = entries
        return self

    def max_body_size(self, size: str) -> Self:
        """Largest request body (``ingress.maxBodySize``, e.g. ``"10m"``). Default: the
        controller's."""
        self._data["maxBodySize"] = size
        return self


__all__ = ["ConfigMap", "Ingress", "Secret"]
