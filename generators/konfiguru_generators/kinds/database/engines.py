"""What Konfiguru knows about each database engine's official image: one small table per engine.

Image, port, data path, credential variables, configuration file, probes, backup dump command
and exporter: the facts every other module of the Database kind reads, kept here so that a fact
about an image is written once. Sources: the official images' documentation and entrypoints
(postgres, mysql, mongo, redis), see ``shared/reference/workloads.md``.

Called by ``checks.py``, ``config.py``, ``credentials.py``, ``backup.py`` and ``render.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Fragment = dict[str, Any]

# Keys of the generated credentials Secret "<name>-credentials".
PASSWORD_KEY = "password"  # noqa: S105 - a Secret key name, not a password
ROOT_PASSWORD_KEY = "root-password"  # noqa: S105 - a Secret key name
MONGO_ROOT_USER = "root"
MONGO_REPLICA_SET = "rs0"
# Where the engine ConfigMap, the mongodb keyfile and the backup volume are mounted.
CONFIG_DIR = "/etc/konfiguru"
KEYFILE_DIR = "/var/run/konfiguru/keyfile"
BACKUP_DIR = "/backup"
TMP = "/tmp"  # noqa: S108 - a mount path for an emptyDir, not a temporary file
SHM = "/dev/shm"  # noqa: S108 - where an in-memory emptyDir is mounted


@dataclass(frozen=True)
class Exporter:
    """A Prometheus exporter sidecar for one engine."""

    image: str
    port: int
    args: tuple[str, ...]
    # Env entries; "{secret}" in a secretKeyRef name stands for the credentials Secret.
    env: tuple[tuple[str, str | tuple[str, str]], ...]


@dataclass(frozen=True)
class Engine:
    """The facts about one engine's official image that the generator depends on."""

    name: str
    repository: str
    port: int
    # Oldest supported major version (tools the probes and backups use must exist in the image).
    min_major: int
    min_major_reason: str
    # File name of the engine configuration in the ConfigMap, and where the engine reads it.
    config_file: str
    config_path: str
    # Parameters Konfiguru sets itself (a user value would break the generated wiring).
    reserved: frozenset[str]
    # Writable emptyDirs (path → volume name) the image needs with a read-only root filesystem.
    scratch: tuple[tuple[str, str], ...]
    exporter: Exporter
    # Generated Secret keys besides PASSWORD_KEY.
    extra_passwords: tuple[str, ...] = ()
    dump_extension: str = "dump"

    def image(self, version: str) -> str:
        return f"{self.repository}:{version}"

    def data_mount(self, major: int) -> tuple[str, str | None]:
        """(mountPath, subPath) of the data volume."""
        return _DATA_MOUNTS[self.name](major)

    def data_directory(self, major: int) -> str:
        """The directory the server keeps its files in (postgres: PGDATA)."""
        if self.name == "postgres":
            return postgres_pgdata(major)
        return self.data_mount(major)[0]


def postgres_pgdata(major: int) -> str:
    """PGDATA: a subdirectory of the volume up to 17 (a volume root holds lost+found and initdb
    refuses a non-empty directory); from 18 the image's own layout under /var/lib/postgresql."""
    if major >= 18:
        return f"/var/lib/postgresql/{major}/docker"
    return "/var/lib/postgresql/data/pgdata"


_DATA_MOUNTS: dict[str, Callable[[int], tuple[str, str | None]]] = {
    "postgres": lambda major: (
        ("/var/lib/postgresql", None) if major >= 18 else ("/var/lib/postgresql/data", None)
    ),
    # mysqld --initialize refuses a data directory holding lost+found: use a subdirectory.
    "mysql": lambda major: ("/var/lib/mysql", "mysql"),
    "mongodb": lambda major: ("/data/db", None),
    "redis": lambda major: ("/data", None),
}

POSTGRES = Engine(
    name="postgres",
    repository="docker.io/library/postgres",
    port=5432,
    min_major=13,
    min_major_reason="postgres 12 and older are past end of life",
    config_file="postgresql.conf",
    config_path="/etc/postgresql",
    reserved=frozenset(
        {
            "port",
            "listen_addresses",
            "data_directory",
            "config_file",
            "hba_file",
            "ident_file",
            "unix_socket_directories",
            "external_pid_file",
        }
    ),
    scratch=((TMP, "tmp"), ("/var/run/postgresql", "run")),
    exporter=Exporter(
        image="quay.io/prometheuscommunity/postgres-exporter:v0.17.1",
        port=9187,
        args=(),
        env=(
            ("DATA_SOURCE_URI", "127.0.0.1:5432/{database}?sslmode=disable"),
            ("DATA_SOURCE_USER", "{username}"),
            ("DATA_SOURCE_PASS", ("{secret}", PASSWORD_KEY)),
        ),
    ),
)

MYSQL = Engine(
    name="mysql",
    repository="docker.io/library/mysql",
    port=3306,
    min_major=8,
    min_major_reason="mysql 5.7 is past end of life",
    config_file="konfiguru.cnf",
    # The image's /etc/my.cnf ends with "!includedir /etc/mysql/conf.d/".
    config_path="/etc/mysql/conf.d",
    reserved=frozenset(
        {
            "port",
            "bind-address",
            "bind_address",
            "datadir",
            "socket",
            "pid-file",
            "pid_file",
            "user",
            "secure-file-priv",
            "secure_file_priv",
        }
    ),
    scratch=((TMP, "tmp"), ("/var/run/mysqld", "run")),
    exporter=Exporter(
        image="docker.io/prom/mysqld-exporter:v0.17.2",
        port=9104,
        # DATA_SOURCE_NAME is gone since mysqld_exporter 0.15: flags plus a password variable.
        args=("--mysqld.address=127.0.0.1:3306", "--mysqld.username=root"),
        env=(("MYSQLD_EXPORTER_PASSWORD", ("{secret}", ROOT_PASSWORD_KEY)),),
    ),
    extra_passwords=(ROOT_PASSWORD_KEY,),
    dump_extension="sql.gz",
)

MONGODB = Engine(
    name="mongodb",
    repository="docker.io/library/mongo",
    port=27017,
    min_major=6,
    min_major_reason="the probes and backups use mongosh, shipped in mongo images from 6.0",
    config_file="mongod.conf",
    config_path="/etc/mongod",
    reserved=frozenset(
        {
            "net.port",
            "net.bindIp",
            "net.bindIpAll",
            "storage.dbPath",
            "replication.replSetName",
            "security.keyFile",
            "security.authorization",
            "storage.wiredTiger.engineConfig.cacheSizeGB",
        }
    ),
    # The entrypoint writes its parsed config to /tmp; /data/configdb is a VOLUME of the image.
    scratch=((TMP, "tmp"), ("/data/configdb", "configdb")),
    exporter=Exporter(
        image="docker.io/percona/mongodb_exporter:0.44.0",
        port=9216,
        args=(
            "--mongodb.uri=mongodb://127.0.0.1:27017/admin?directConnection=true",
            "--collect-all",
            "--compatible-mode",
        ),
        env=(
            ("MONGODB_USER", MONGO_ROOT_USER),
            ("MONGODB_PASSWORD", ("{secret}", ROOT_PASSWORD_KEY)),
        ),
    ),
    extra_passwords=(ROOT_PASSWORD_KEY,),
    dump_extension="archive.gz",
)

REDIS = Engine(
    name="redis",
    repository="docker.io/library/redis",
    port=6379,
    min_major=6,
    min_major_reason="redis 5 and older have no ACLs and are past end of life",
    config_file="redis.conf",
    config_path="/etc/redis",
    reserved=frozenset(
        {
            "port",
            "bind",
            "dir",
            "requirepass",
            "masterauth",
            "replicaof",
            "slaveof",
            "appendonly",
            "protected-mode",
            "daemonize",
            "include",
        }
    ),
    scratch=((TMP, "tmp"),),
    exporter=Exporter(
        image="docker.io/oliver006/redis_exporter:v1.67.0",
        port=9121,
        args=(),
        env=(
            ("REDIS_ADDR", "redis://127.0.0.1:6379"),
            ("REDIS_PASSWORD", ("{secret}", PASSWORD_KEY)),
        ),
    ),
    dump_extension="rdb.gz",
)

ENGINES: dict[str, Engine] = {e.name: e for e in (POSTGRES, MYSQL, MONGODB, REDIS)}


def major_version(version: str) -> int:
    """``"16.4"`` → 16 (the CRD pattern guarantees a leading number)."""
    return int(version.split(".", 1)[0])
