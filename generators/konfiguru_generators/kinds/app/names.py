"""Names and derived facts of an App that checks and renderers must agree on.

Child object names, the main port, container port names, connectTo variables: computed here
once so that ``checks.py`` validates exactly what ``render*.py`` will produce. Pure functions of
the defaulted spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

COMPONENT = "app"
MAIN_PORT_NAME = "http"
METRICS_PORT_NAME = "metrics"
JOB_HASH_CHARS = 8
# Kubernetes limits: label values (a Job's pods carry their Job's name) and CronJob names.
MAX_JOB_NAME = 63
MAX_CRONJOB_NAME = 52
ENGINE_PORTS = {"postgres": 5432, "mysql": 3306, "mongodb": 27017, "redis": 6379}
ENGINE_SCHEMES = {
    "postgres": "postgresql",
    "mysql": "mysql",
    "mongodb": "mongodb",
    "redis": "redis",
}


class Port(NamedTuple):
    name: str
    number: int
    protocol: str = "TCP"


def main_port(spec: Mapping[str, Any]) -> Port | None:
    """The port the Service, ingress and default probes use: ``port``, else the first of ports."""
    if spec.get("port") is not None:
        return Port(MAIN_PORT_NAME, spec["port"])
    ports = spec.get("ports") or []
    if ports:
        return Port(ports[0]["name"], ports[0]["port"], ports[0].get("protocol", "TCP"))
    return None


def container_ports(spec: Mapping[str, Any]) -> list[Port]:
    """Every container port: main, declared, and ``metrics`` when metrics use their own port."""
    ports: list[Port] = []
    if spec.get("port") is not None:
        ports.append(Port(MAIN_PORT_NAME, spec["port"]))
    ports.extend(
        Port(p["name"], p["port"], p.get("protocol", "TCP")) for p in spec.get("ports") or []
    )
    metrics = metrics_port(spec)
    if metrics is not None and all(p.number != metrics for p in ports):
        ports.append(Port(METRICS_PORT_NAME, metrics))
    return ports


def metrics_port(spec: Mapping[str, Any]) -> int | None:
    metrics = (spec.get("observability") or {}).get("metrics")
    if metrics is None:
        return None
    if metrics.get("port") is not None:
        return int(metrics["port"])
    main = main_port(spec)
    return main.number if main else None


def headless_name(app: str) -> str:
    """The headless Service of a StatefulSet App: its pods' DNS names live under it."""
    return f"{app}-headless"


def config_map_name(app: str) -> str:
    return f"{app}-config"


def is_created_secret(entry: Mapping[str, Any]) -> bool:
    return "generate" in entry or "external" in entry


def secret_name(app: str, entry: Mapping[str, Any]) -> str:
    """An existing Secret keeps its name; generated and external ones are ``<app>-<name>``."""
    return f"{app}-{entry['name']}" if is_created_secret(entry) else str(entry["name"])


def job_name(app: str, job: str, digest: str) -> str:
    return f"{app}-{job}-{digest[:JOB_HASH_CHARS]}"


def run_name(app: str, job: str | None, digest: str) -> str:
    """A one-off Job: ``<app>-<job>-<hash>``, or ``<app>-<hash>`` for a Job app's own run."""
    return job_name(app, job, digest) if job else f"{app}-{digest[:JOB_HASH_CHARS]}"


def job_name_length(app: str, job: str) -> int:
    return len(app) + 1 + len(job) + 1 + JOB_HASH_CHARS


def schedule_name(app: str, schedule: str) -> str:
    return f"{app}-{schedule}"


def connect_prefix(target: Mapping[str, Any]) -> str:
    prefix = target.get("envPrefix")
    return str(prefix) if prefix else str(target["name"]).upper().replace("-", "_")


def connect_port(target: Mapping[str, Any]) -> int | None:
    if target.get("port") is not None:
        return int(target["port"])
    if target.get("kind", "App") == "App":
        # Every App serves its main port on Service port 80 (spec.expose.port's default).
        return 80
    engine = target.get("engine")
    return ENGINE_PORTS.get(engine) if engine else None


def database_credentials(database: str) -> str:
    """The Secret a Database kind creates for its clients (see kinds/database/credentials.py)."""
    return f"{database}-credentials"


def connect_host(target: Mapping[str, Any]) -> str:
    namespace = target.get("namespace")
    return f"{target['name']}.{namespace}.svc" if namespace else str(target["name"])


def connect_env(target: Mapping[str, Any]) -> dict[str, str]:
    """``<NAME>_HOST``, ``<NAME>_PORT`` and ``<NAME>_URL`` for one connectTo entry."""
    prefix = connect_prefix(target)
    host = connect_host(target)
    port = connect_port(target)
    env = {f"{prefix}_HOST": host}
    if port is not None:
        env[f"{prefix}_PORT"] = str(port)
        engine = target.get("engine")
        scheme = ENGINE_SCHEMES.get(engine) if engine else None
        if scheme is None and target.get("kind", "App") == "App":
            scheme = "http"
        if scheme:
            env[f"{prefix}_URL"] = f"{scheme}://{host}:{port}"
    return env
