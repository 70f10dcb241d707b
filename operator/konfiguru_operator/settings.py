"""Every setting of the operator, in one documented place, read from ``KONFIGURU_*`` variables.

Read once at import by ``handlers`` (the resync interval and the watched kinds must be known
when handlers are registered) and by ``__main__`` (the ``kopf run`` options). Each field says its
environment variable and its default. A bad value stops the operator at start with a message
naming the variable, never later in a handler.

| Variable | Default | Meaning |
| --- | --- | --- |
| ``KONFIGURU_NAMESPACES`` | (empty) | comma-separated namespaces to watch; empty = cluster-wide |
| ``KONFIGURU_RESYNC_SECONDS`` | ``300`` | period of the drift-healing resync of every resource |
| ``KONFIGURU_FIELD_MANAGER`` | ``konfiguru`` | server-side-apply field manager of every write |
| ``KONFIGURU_KUBE_VERSION`` | (detect) | Kubernetes minor the children are rendered for |
| ``KONFIGURU_LIVENESS`` | ``http://0.0.0.0:8080/healthz`` | liveness endpoint; empty = off |
| ``KONFIGURU_METRICS_PORT`` | ``0`` | port of the Prometheus ``/metrics`` endpoint; 0 = off |
| ``KONFIGURU_LOG_FORMAT`` | ``plain`` | ``plain``, ``full`` or ``json`` |
| ``KONFIGURU_LOG_LEVEL`` | ``info`` | ``debug``, ``info``, ``warning`` or ``error`` |
| ``KONFIGURU_STANDALONE`` | ``false`` | ``true`` disables peering (exactly one replica) |
| ``KONFIGURU_PEERING_NAME`` | ``konfiguru`` | the KopfPeering object replicas coordinate through |
| ``KONFIGURU_PRIORITY`` | ``0`` | this replica's peering priority; the highest one works |
| ``KONFIGURU_RETRY_BASE_SECONDS`` | ``1`` | first delay after a transient API error |
| ``KONFIGURU_RETRY_MAX_SECONDS`` | ``60`` | cap of the doubling retry delay |
| ``KONFIGURU_API_TIMEOUT_SECONDS`` | ``30`` | timeout of one API request |
| ``KONFIGURU_WORKERS`` | ``0`` | cap of resources reconciled at once; 0 = 256 |
| ``KONFIGURU_POLICY_FILE`` | (empty) | a ``Policy`` file; a violating resource is Stalled |
| ``KONFIGURU_INGRESS_CONTROLLER`` | (empty) | controller of an ingress naming none; empty = nginx |
| ``KONFIGURU_WEBHOOK_PORT`` | ``0`` | HTTPS port of the validating admission webhook; 0 = off |
| ``KONFIGURU_WEBHOOK_ADDRESS`` | ``0.0.0.0`` | address the webhook listens on |
| ``KONFIGURU_WEBHOOK_CERT_DIR`` | (empty) | ``tls.crt``/``tls.key`` there; empty = self-signed |
| ``KONFIGURU_WEBHOOK_HOSTS`` | ``localhost`` | DNS names of the self-signed certificate |
| ``KONFIGURU_WEBHOOK_CONFIGURATION`` | (empty) | webhook configuration given the self-signed CA |
| ``KONFIGURU_TEMPLATES_DIR`` | (empty) | template overrides and added templates (``--templates``) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from konfiguru_generators import SpecError
from konfiguru_generators.pipeline import check_ingress_controller

PREFIX = "KONFIGURU_"
LOG_FORMATS = ("plain", "full", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


class SettingsError(ValueError):
    """A ``KONFIGURU_*`` variable with a value the operator cannot use."""


@dataclass(frozen=True)
class Settings:
    """The operator's settings. Build with :meth:`from_env`; each field names its variable."""

    namespaces: tuple[str, ...] = field(default=(), metadata={"env": "NAMESPACES"})
    """Namespaces to watch (``KONFIGURU_NAMESPACES``, comma-separated). Default: none, meaning
    cluster-wide. ``-n``/``-A`` on the command line override it."""

    resync_seconds: float = field(default=300.0, metadata={"env": "RESYNC_SECONDS"})
    """Drift-healing period (``KONFIGURU_RESYNC_SECONDS``). Default: 300. A child edited or
    deleted by hand is restored at once when its watch event arrives; the resync catches what
    a missed event would leave behind. A resync that finds nothing to change writes nothing."""

    field_manager: str = field(default="konfiguru", metadata={"env": "FIELD_MANAGER"})
    """Server-side-apply field manager (``KONFIGURU_FIELD_MANAGER``). Default: konfiguru."""

    kube_version: str = field(default="", metadata={"env": "KUBE_VERSION"})
    """Kubernetes version children are rendered for (``KONFIGURU_KUBE_VERSION``, "1.33").
    Default: empty, meaning the API server's own version, clamped to the supported range."""

    liveness: str = field(
        default="http://0.0.0.0:8080/healthz", metadata={"env": "LIVENESS", "empty": ""}
    )
    """Liveness endpoint URL (``KONFIGURU_LIVENESS``). Default: http://0.0.0.0:8080/healthz.
    Set but empty (``KONFIGURU_LIVENESS=``) disables it."""

    metrics_port: int = field(default=0, metadata={"env": "METRICS_PORT"})
    """Port of the Prometheus text endpoint ``/metrics`` (``KONFIGURU_METRICS_PORT``), served on
    all addresses. Default: 0, off. Reconciles, failures, API reads and writes, resources."""

    log_format: str = field(default="plain", metadata={"env": "LOG_FORMAT"})
    """Log format (``KONFIGURU_LOG_FORMAT``): plain, full or json. Default: plain."""

    log_level: str = field(default="info", metadata={"env": "LOG_LEVEL"})
    """Log level (``KONFIGURU_LOG_LEVEL``): debug, info, warning or error. Default: info."""

    standalone: bool = field(default=False, metadata={"env": "STANDALONE"})
    """Disable peering (``KONFIGURU_STANDALONE``). Default: false. Only for a single replica."""

    peering_name: str = field(default="konfiguru", metadata={"env": "PEERING_NAME"})
    """Name of the (Cluster)KopfPeering object (``KONFIGURU_PEERING_NAME``). Default: konfiguru.
    Used when the peering CRDs are installed; without them the operator runs standalone."""

    priority: int = field(default=0, metadata={"env": "PRIORITY"})
    """Peering priority (``KONFIGURU_PRIORITY``). Default: 0. Replicas need distinct values:
    the highest one reconciles, the others pause until it is gone."""

    retry_base_seconds: float = field(default=1.0, metadata={"env": "RETRY_BASE_SECONDS"})
    """First retry delay after a transient API error (``KONFIGURU_RETRY_BASE_SECONDS``).
    Default: 1. Doubles on each retry up to ``retry_max_seconds``."""

    retry_max_seconds: float = field(default=60.0, metadata={"env": "RETRY_MAX_SECONDS"})
    """Longest retry delay (``KONFIGURU_RETRY_MAX_SECONDS``). Default: 60."""

    api_timeout_seconds: float = field(default=30.0, metadata={"env": "API_TIMEOUT_SECONDS"})
    """Timeout of one API request (``KONFIGURU_API_TIMEOUT_SECONDS``). Default: 30."""

    workers: int = field(default=0, metadata={"env": "WORKERS"})
    """Cap of resources reconciled at once (``KONFIGURU_WORKERS``). Default: 0, meaning 256.
    Also caps Kopf's per-object event workers when set."""

    policy_file: str = field(default="", metadata={"env": "POLICY_FILE"})
    """A Konfiguru ``Policy`` file (``KONFIGURU_POLICY_FILE``; in the chart, a mounted
    ConfigMap). Default: empty, no policy. A resource that breaks it is ``Stalled`` with reason
    ``PolicyViolation`` and its running children are left as they are; the same CEL checks as
    ``konfiguru validate --policy`` and ``konfiguru policy export``."""

    ingress_controller: str = field(default="", metadata={"env": "INGRESS_CONTROLLER"})
    """Controller of every App ingress that names none (``KONFIGURU_INGRESS_CONTROLLER``):
    nginx, traefik or gateway, as ``konfiguru render --ingress-controller``. Default: empty,
    meaning nginx. Changing it re-renders such Apps: their Ingress gives way to HTTPRoutes (the
    old child is pruned) or back."""

    webhook_port: int = field(default=0, metadata={"env": "WEBHOOK_PORT"})
    """HTTPS port of the validating admission webhook (``KONFIGURU_WEBHOOK_PORT``; Helm value
    ``webhook.enabled``). Default: 0, off. The API server then asks the operator about every
    create and update of a Konfiguru resource, and the operator answers with the checks of
    ``konfiguru validate`` and the policy file (``webhook.py``)."""

    webhook_address: str = field(default="0.0.0.0", metadata={"env": "WEBHOOK_ADDRESS"})  # noqa: S104
    """Address the webhook listens on (``KONFIGURU_WEBHOOK_ADDRESS``). Default: 0.0.0.0, every
    interface of the pod (the API server connects through the webhook Service)."""

    webhook_cert_dir: str = field(default="", metadata={"env": "WEBHOOK_CERT_DIR"})
    """Directory holding the webhook's ``tls.crt`` and ``tls.key`` (``KONFIGURU_WEBHOOK_CERT_DIR``;
    in the chart, cert-manager's Secret), re-read when they change. Default: empty, meaning a
    self-signed certificate made and renewed by the operator (``certs.py``)."""

    webhook_hosts: tuple[str, ...] = field(
        default=("localhost",), metadata={"env": "WEBHOOK_HOSTS"}
    )
    """DNS names (or IP addresses) of the self-signed certificate (``KONFIGURU_WEBHOOK_HOSTS``,
    comma-separated; in the chart, the webhook Service's names). Default: localhost."""

    webhook_configuration: str = field(default="", metadata={"env": "WEBHOOK_CONFIGURATION"})
    """The ValidatingWebhookConfiguration whose ``caBundle`` the operator sets to its
    self-signed CA, and updates on renewal (``KONFIGURU_WEBHOOK_CONFIGURATION``). Default:
    empty, none (cert-manager's CA injector, or whoever created it, sets the bundle)."""

    templates_dir: str = field(default="", metadata={"env": "TEMPLATES_DIR"})
    """A directory of templates (``KONFIGURU_TEMPLATES_DIR``; in the chart, the ConfigMap of the
    ``templates`` value): ``<kind>/<file>.yaml.j2`` overrides the kind's template of that name,
    any other file is rendered as one more child of every resource of the kind, exactly as
    ``konfiguru render --templates DIR``. Default: empty, the built-in templates only. A file
    no kind reads stops the operator at start."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``KONFIGURU_*`` variables.

        An unset variable keeps its default. So does an empty one, except where the field's
        ``empty`` metadata gives the empty value a meaning of its own (``KONFIGURU_LIVENESS=``
        turns the endpoint off): for every other setting, empty already means the default
        (cluster-wide, the server's version, off) or nothing usable.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name = PREFIX + spec.metadata["env"]
            raw = env.get(name, "").strip()
            if not raw:
                if name in env and "empty" in spec.metadata:
                    values[spec.name] = spec.metadata["empty"]
                continue
            values[spec.name] = _convert(name, raw, spec.default)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`SettingsError` naming the variable of the first unusable value."""
        problems = [
            ("RESYNC_SECONDS", self.resync_seconds > 0, "a number of seconds above 0"),
            ("RETRY_BASE_SECONDS", self.retry_base_seconds > 0, "a number of seconds above 0"),
            (
                "RETRY_MAX_SECONDS",
                self.retry_max_seconds >= self.retry_base_seconds,
                "at least KONFIGURU_RETRY_BASE_SECONDS",
            ),
            ("API_TIMEOUT_SECONDS", self.api_timeout_seconds > 0, "a number of seconds above 0"),
            ("WORKERS", self.workers >= 0, "0 (the default cap, 256) or more"),
            ("METRICS_PORT", 0 <= self.metrics_port < 65536, "0 (off) or a port number"),
            ("WEBHOOK_PORT", 0 <= self.webhook_port < 65536, "0 (off) or a port number"),
            ("LOG_FORMAT", self.log_format in LOG_FORMATS, "one of " + ", ".join(LOG_FORMATS)),
            ("LOG_LEVEL", self.log_level in LOG_LEVELS, "one of " + ", ".join(LOG_LEVELS)),
            ("FIELD_MANAGER", bool(self.field_manager), "a non-empty name"),
        ]
        if self.ingress_controller:
            try:
                check_ingress_controller(self.ingress_controller)
            except SpecError as error:
                problems.append(("INGRESS_CONTROLLER", False, error.errors[0].hint))
        for variable, ok, accepted in problems:
            if not ok:
                raise SettingsError(f"{PREFIX}{variable}: unusable value; expected {accepted}")

    def retry_delay(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (0-based): doubling, capped."""
        return float(min(self.retry_max_seconds, self.retry_base_seconds * 2 ** min(attempt, 30)))


def given(variable: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``KONFIGURU_<variable>`` holds a value, so that it overrides what Kopf's own
    command line set. Empty counts as not given, as in :meth:`Settings.from_env`."""
    env = os.environ if environ is None else environ
    return bool(env.get(PREFIX + variable, "").strip())


def _convert(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            lowered = raw.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError:
        kind = "true or false" if isinstance(default, bool) else type(default).__name__
        raise SettingsError(f"{name}={raw!r}: expected {kind}") from None
    return raw
