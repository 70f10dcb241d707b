"""The database pod's containers: the engine (env, args, probes, mounts) and the exporter.

Engine-correct details that are easy to get wrong, each for a reason given in
``shared/reference/workloads.md``:

- probes are exec checks against 127.0.0.1: during first initialisation the images run a
  temporary server on a local socket only, so the startupProbe fails until setup has ended;
- postgres: ``pg_isready``; liveness fails only on "no response" (exit 2), not while the server
  is starting or recovering (exit 1);
- mysql: readiness runs a real query (``SELECT 1`` as root): ``mysqladmin ping`` exits 0 even on
  "Access denied", so it serves for liveness only. ``MYSQL_PWD`` is set in the probe command
  only: set on the container it would leak into the entrypoint's own clients during initdb;
- mongodb: ``mongosh`` (the old ``mongo`` shell is gone) running ``ping``;
- redis: the output of ``redis-cli ping`` is compared with ``PONG`` (redis-cli exits 0 on an
  error reply); liveness and start-up also accept ``LOADING``. The password reaches redis-cli
  through ``REDISCLI_AUTH``, never the command line.

Called by ``render.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ... import podspec
from ...quantity import parse_quantity
from .credentials import headless_name, keyfile_secret_name, secret_name
from .engines import (
    KEYFILE_DIR,
    MONGO_REPLICA_SET,
    MONGO_ROOT_USER,
    PASSWORD_KEY,
    ROOT_PASSWORD_KEY,
    SHM,
    TMP,
    Engine,
    postgres_pgdata,
)
from .replicaset import APP_USER_SCRIPT
from .shapes import container_security, resources

Fragment = dict[str, Any]
DATA_VOLUME = "data"
CONFIG_VOLUME = "config"
METRICS_PORT_NAME = "metrics"
_KEYFILE_SECRET_DIR = "/var/run/konfiguru/keyfile-secret"  # noqa: S105 - a path
_GIB = Decimal(2**30)

_READY: dict[str, str] = {
    "postgres": 'exec pg_isready -q -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
    "mysql": 'export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"; exec mysql --protocol=TCP -h 127.0.0.1'
    " -P 3306 -u root -N -e 'SELECT 1'",
    "mongodb": "exec mongosh --quiet --norc --host 127.0.0.1 --port 27017"
    " --eval 'db.adminCommand(\"ping\").ok'",
    "redis": 'test "$(redis-cli --no-auth-warning -h 127.0.0.1 -p 6379 ping)" = PONG',
}
_LIVE: dict[str, str] = {
    "postgres": "pg_isready -q -h 127.0.0.1 -p 5432; test $? -ne 2",
    "mysql": "exec mysqladmin --protocol=TCP -h 127.0.0.1 -P 3306 ping",
    "mongodb": _READY["mongodb"],
    "redis": 'reply="$(redis-cli --no-auth-warning -h 127.0.0.1 -p 6379 ping)";'
    ' case "$reply" in PONG|LOADING*) exit 0;; esac; echo "$reply"; exit 1',
}
# mongosh is a Node.js program: a check takes a second or more of CPU.
_TIMEOUT = {"postgres": 5, "mysql": 5, "mongodb": 10, "redis": 5}


def _exec(script: str) -> Fragment:
    return {"exec": {"command": ["sh", "-c", script]}}


def probes(engine: Engine) -> Fragment:
    """startupProbe (up to 10 minutes of initdb and recovery), readinessProbe, livenessProbe."""
    timeout = _TIMEOUT[engine.name]
    startup_check = _LIVE if engine.name == "redis" else _READY
    return {
        "startupProbe": {
            **_exec(startup_check[engine.name]),
            "periodSeconds": 10,
            "timeoutSeconds": timeout,
            "failureThreshold": 60,
        },
        "readinessProbe": {
            **_exec(_READY[engine.name]),
            "periodSeconds": 10,
            "timeoutSeconds": timeout,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            **_exec(_LIVE[engine.name]),
            "periodSeconds": 20,
            "timeoutSeconds": timeout,
            "failureThreshold": 6,
        },
    }


def _secret_env(name: str, secret: str, key: str) -> Fragment:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def engine_env(engine: Engine, name: str, spec: dict[str, Any], major: int) -> list[Fragment]:
    """The image's credential and setup variables (all passwords from the credentials Secret)."""
    secret = secret_name(name)
    if engine.name == "postgres":
        return [
            {"name": "POSTGRES_USER", "value": spec["username"]},
            _secret_env("POSTGRES_PASSWORD", secret, PASSWORD_KEY),
            {"name": "POSTGRES_DB", "value": spec["databaseName"]},
            {"name": "PGDATA", "value": postgres_pgdata(major)},
        ]
    if engine.name == "mysql":
        return [
            _secret_env("MYSQL_ROOT_PASSWORD", secret, ROOT_PASSWORD_KEY),
            {"name": "MYSQL_DATABASE", "value": spec["databaseName"]},
            {"name": "MYSQL_USER", "value": spec["username"]},
            _secret_env("MYSQL_PASSWORD", secret, PASSWORD_KEY),
        ]
    if engine.name == "mongodb":
        return [
            {"name": "MONGO_INITDB_ROOT_USERNAME", "value": MONGO_ROOT_USER},
            _secret_env("MONGO_INITDB_ROOT_PASSWORD", secret, ROOT_PASSWORD_KEY),
            {"name": "MONGO_INITDB_DATABASE", "value": spec["databaseName"]},
            # Read by create-app-user.js.
            {"name": "KONFIGURU_APP_DATABASE", "value": spec["databaseName"]},
            {"name": "KONFIGURU_APP_USER", "value": spec["username"]},
            _secret_env("KONFIGURU_APP_PASSWORD", secret, PASSWORD_KEY),
            # mongosh (the probes) writes its logs under $HOME: keep them off the data volume.
            {"name": "HOME", "value": TMP},
        ]
    # The redis image has no password variable: it is passed to --requirepass below.
    return [
        _secret_env("REDIS_PASSWORD", secret, PASSWORD_KEY),
        _secret_env("REDISCLI_AUTH", secret, PASSWORD_KEY),
    ]


def wired_tiger_cache_gb(resources: dict[str, Any]) -> str | None:
    """mongod sizes its cache from the node's memory, not the container's: 50% of (limit - 1 GiB),
    at least 0.25 GB, as mongod itself would compute it for that much memory."""
    limit = resources.get("memoryLimit") or resources.get("memory")
    if limit is None:
        return None
    gib = parse_quantity(limit) / _GIB
    cache = max(Decimal("0.25"), (gib - 1) * Decimal("0.5"))
    return f"{cache.quantize(Decimal('0.01')).normalize():f}"


def engine_command(
    engine: Engine, name: str, spec: dict[str, Any]
) -> tuple[list[str] | None, list[str]]:
    """(command, args) of the engine container; command ``None`` keeps the image entrypoint."""
    replicas = spec["replicas"]
    config = f"{engine.config_path}/{engine.config_file}"
    if engine.name == "postgres":
        return None, ["postgres", "-c", f"config_file={config}"]
    if engine.name == "mysql":
        return None, ["mysqld"]
    if engine.name == "mongodb":
        args = ["mongod", "--config", config, "--bind_ip_all", "--port", str(engine.port)]
        cache = wired_tiger_cache_gb(spec["resources"])
        if cache:
            args += ["--wiredTigerCacheSizeGB", cache]
        if replicas == 1:
            return None, args
        args += ["--replSet", MONGO_REPLICA_SET, "--keyFile", f"{KEYFILE_DIR}/keyfile"]
        # Only member 0 creates the root user on first start: rs.initiate refuses members that
        # already hold data, and the others receive the users by initial sync from the primary.
        script = (
            'if [ "${HOSTNAME##*-}" != "0" ]; then'
            " unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD; fi\n"
            'exec docker-entrypoint.sh "$@"'
        )
        return ["bash", "-c", script, "mongod-member"], args
    # redis: the password from the Secret through Kubernetes' $(VAR) expansion, never in a file.
    args = [
        "redis-server",
        config,
        "--port",
        str(engine.port),
        "--dir",
        "/data",
        "--appendonly",
        "yes",
        "--requirepass",
        "$(REDIS_PASSWORD)",
        "--masterauth",
        "$(REDIS_PASSWORD)",
    ]
    if replicas == 1:
        return None, args
    primary = f"{name}-0.{headless_name(name)}"
    script = (
        # Pod 0 is the primary; every other pod replicates from it (asynchronously).
        'if [ "${HOSTNAME##*-}" != "0" ]; then'
        f' set -- "$@" --replicaof {primary} {engine.port}; fi\n'
        'exec docker-entrypoint.sh "$@"'
    )
    return ["bash", "-c", script, "redis-member"], args


def engine_container(
    engine: Engine,
    name: str,
    spec: dict[str, Any],
    major: int,
    image: str,
    scratch_mounts: list[Fragment],
) -> Fragment:
    mount_path, sub_path = engine.data_mount(major)
    data_mount: Fragment = {"name": DATA_VOLUME, "mountPath": mount_path}
    if sub_path:
        data_mount["subPath"] = sub_path
    mounts = [
        data_mount,
        {
            "name": CONFIG_VOLUME,
            "mountPath": f"{engine.config_path}/{engine.config_file}",
            "subPath": engine.config_file,
            "readOnly": True,
        },
        *scratch_mounts,
    ]
    if engine.name == "mongodb" and spec["replicas"] == 1:
        mounts.append(
            {
                "name": CONFIG_VOLUME,
                "mountPath": f"/docker-entrypoint-initdb.d/{APP_USER_SCRIPT}",
                "subPath": APP_USER_SCRIPT,
                "readOnly": True,
            }
        )
    if engine.name == "mongodb" and spec["replicas"] > 1:
        mounts.append({"name": "keyfile", "mountPath": KEYFILE_DIR, "readOnly": True})
    command, args = engine_command(engine, name, spec)
    container: Fragment = {"name": engine.name, "image": image}
    if command:
        container["command"] = command
    container["args"] = args
    container["ports"] = [{"name": engine.name, "containerPort": engine.port, "protocol": "TCP"}]
    container["env"] = engine_env(engine, name, spec, major)
    container["resources"] = resources(spec["resources"])
    container["securityContext"] = container_security(spec["security"])
    container.update(probes(engine))
    container["volumeMounts"] = mounts
    return container


def keyfile_init_container(image: str, security: dict[str, Any]) -> Fragment:
    """Copy the replica set keyfile out of its Secret with mode 0400: mongod refuses a keyfile
    readable by others, and fsGroup makes Secret files group-readable whatever defaultMode."""
    return {
        "name": "keyfile",
        "image": image,
        "command": [
            "sh",
            "-c",
            f"cp {_KEYFILE_SECRET_DIR}/keyfile {KEYFILE_DIR}/keyfile"
            f" && chmod 0400 {KEYFILE_DIR}/keyfile",
        ],
        "securityContext": container_security(security),
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "16Mi"}},
        "volumeMounts": [
            {"name": "keyfile-secret", "mountPath": _KEYFILE_SECRET_DIR, "readOnly": True},
            {"name": "keyfile", "mountPath": KEYFILE_DIR},
        ],
    }


def keyfile_volumes(name: str) -> list[Fragment]:
    return [
        {
            "name": "keyfile-secret",
            "secret": {"secretName": keyfile_secret_name(name), "defaultMode": 0o400},
        },
        {"name": "keyfile", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
    ]


def exporter_container(
    engine: Engine, name: str, spec: dict[str, Any], security: dict[str, Any]
) -> Fragment:
    monitoring = spec["monitoring"]
    exporter = engine.exporter
    env: list[Fragment] = []
    for var, value in exporter.env:
        if isinstance(value, tuple):
            env.append(_secret_env(var, secret_name(name), value[1]))
        else:
            shown = value.format(database=spec["databaseName"], username=spec["username"])
            env.append({"name": var, "value": shown})
    container: Fragment = {
        "name": "metrics",
        "image": monitoring.get("image") or exporter.image,
    }
    if exporter.args:
        container["args"] = list(exporter.args)
    container["ports"] = [
        {"name": METRICS_PORT_NAME, "containerPort": exporter.port, "protocol": "TCP"}
    ]
    container["env"] = env
    container["resources"] = resources(monitoring["resources"])
    container["securityContext"] = container_security(security)
    # TCP checks only: the exporters' /metrics queries the database, which has its own probes.
    for probe, period in (("readinessProbe", 10), ("livenessProbe", 20)):
        container[probe] = {
            "tcpSocket": {"port": METRICS_PORT_NAME},
            "periodSeconds": period,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        }
    return container


def scratch(engine: Engine, extra_paths: list[str]) -> tuple[list[Fragment], list[Fragment]]:
    """(volumes, mounts): the engine's writable directories, /dev/shm for postgres, and the
    user's ``security.writablePaths``."""
    volumes: list[Fragment] = []
    mounts: list[Fragment] = []
    seen: set[str] = set()
    for path, volume in engine.scratch:
        vol, mount = podspec.scratch_volume(volume, path)
        volumes.append(vol)
        mounts.append(mount)
        seen.add(path)
    if engine.name == "postgres":
        # Parallel queries use POSIX shared memory; a container's /dev/shm is 64 MiB by default.
        vol, mount = podspec.scratch_volume("shm", SHM, memory=True)
        volumes.append(vol)
        mounts.append(mount)
        seen.add(SHM)
    for path in extra_paths:
        if path in seen:
            continue
        seen.add(path)
        vol, mount = podspec.scratch_volume(podspec.volume_name(path, "scratch-"), path)
        volumes.append(vol)
        mounts.append(mount)
    return volumes, mounts


def config_volume(name: str) -> Fragment:
    return {"name": CONFIG_VOLUME, "configMap": {"name": f"{name}-config"}}
