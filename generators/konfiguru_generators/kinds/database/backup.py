"""The backup CronJob's pod: dump over the network, keep complete dumps only, prune old ones.

Why it looks like this:

- The backup pod cannot mount the database's ReadWriteOnce volume, so it dumps over the network
  with the engine's own client (pg_dump + pg_dumpall --globals-only, mysqldump, mongodump,
  redis-cli --rdb) from the engine image, which has the same major version as the server.
- Every script runs under ``set -euo pipefail``: a failed dump in a pipeline (``mysqldump | gzip``)
  fails the Job instead of leaving a small, valid-looking gzip file.
- A run writes into ``<timestamp>.partial`` and renames it to ``<timestamp>`` (e.g.
  ``20260121T030000Z``) only when every command succeeded; retention only ever counts and deletes
  complete dumps, so a failing database never pushes good dumps out.
- Retention is done by the job itself (CronJob history limits prune Jobs, not files): keep the
  newest N, or those younger than N days (timestamps sort as text, so "older" is a string compare).
- Destination "pvc": one container dumps into the "<name>-backup" PVC and prunes it.
  Destination "s3": an init container dumps into an emptyDir, then the aws CLI uploads the
  directory to ``s3://<bucket>/<prefix>/<timestamp>/`` and prunes old prefixes.

Called by ``render.py``.
"""

from __future__ import annotations

from typing import Any

from .credentials import member_hosts, secret_name
from .engines import BACKUP_DIR, MONGO_REPLICA_SET, PASSWORD_KEY, ROOT_PASSWORD_KEY, TMP, Engine

Fragment = dict[str, Any]
_STAMP_GLOB = "[0-9]*T[0-9]*Z"

_DUMPS: dict[str, str] = {
    "postgres": """\
export PGPASSWORD="$DB_PASSWORD"
pg_dump -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" -Fc -f "$out/$DB_NAME.dump"
pg_dumpall -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" --globals-only | gzip > "$out/globals.sql.gz"
""",
    "mysql": """\
export MYSQL_PWD="$DB_PASSWORD"
mysqldump -h "$DB_HOST" -P "$DB_PORT" -u root --single-transaction --routines --triggers \\
  --events --all-databases | gzip > "$out/all-databases.sql.gz"
""",
    "mongodb": """\
# The password goes in a file, not on the command line where ps would show it.
printf "password: '%s'\\n" "${DB_PASSWORD//\\'/\\'\\'}" > /tmp/mongodump.yaml
mongodump --host "$DB_HOST" --username root --authenticationDatabase admin \\
  --config /tmp/mongodump.yaml --gzip --archive="$out/dump.archive.gz" $DUMP_OPTIONS
""",
    "redis": """\
redis-cli --no-auth-warning -h "$DB_HOST" -p "$DB_PORT" --rdb "$out/dump.rdb"
gzip "$out/dump.rdb"
""",
}

_PRUNE_LOCAL = {
    "count": f"""\
find "$dir" -mindepth 1 -maxdepth 1 -type d -name '{_STAMP_GLOB}' | sort | head -n -"$KEEP" \\
  | xargs -r rm -rf --
""",
    "days": f"""\
cutoff="$(date -u -d "-$KEEP days" +%Y%m%dT%H%M%SZ)"
find "$dir" -mindepth 1 -maxdepth 1 -type d -name '{_STAMP_GLOB}' | sort | while read -r old; do
  if [[ "$(basename "$old")" < "$cutoff" ]]; then rm -rf -- "$old"; fi
done
""",
}

_PRUNE_S3 = {
    "count": """\
aws s3 ls "$target/" | awk '$1 == "PRE" {print $2}' | tr -d / \\
  | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort | head -n -"$KEEP" | while read -r old; do
  aws s3 rm --recursive --only-show-errors "$target/$old/"
done
""",
    "days": """\
cutoff="$(date -u -d "-$KEEP days" +%Y%m%dT%H%M%SZ)"
aws s3 ls "$target/" | awk '$1 == "PRE" {print $2}' | tr -d / \\
  | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort | while read -r old; do
  if [[ "$old" < "$cutoff" ]]; then aws s3 rm --recursive --only-show-errors "$target/$old/"; fi
done
""",
}

_HEAD = "set -euo pipefail\n"


def dump_script(engine: Engine) -> str:
    """The dump script run by bash in the engine image: a complete dump or a failed Job."""
    return (
        _HEAD
        + f'dir="{BACKUP_DIR}"\n'
        + 'stamp="$(date -u +%Y%m%dT%H%M%SZ)"\n'
        + "# Leftovers of a failed run are never complete dumps.\n"
        + 'rm -rf -- "$dir"/*.partial\n'
        + 'out="$dir/$stamp.partial"\n'
        + 'mkdir -p "$out"\n'
        + _DUMPS[engine.name]
        + 'mv -- "$out" "$dir/$stamp"\n'
        + 'echo "backup $stamp complete"\n'
    )


def local_script(engine: Engine, mode: str) -> str:
    """Dump into the backup PVC, then keep only the newest/youngest complete dumps."""
    return dump_script(engine) + _PRUNE_LOCAL[mode]


def upload_script(mode: str) -> str:
    """Upload the one complete dump in the emptyDir to S3, then prune old ones there."""
    return (
        _HEAD
        + f'cd "{BACKUP_DIR}"\n'
        + f"stamp=\"$(find . -mindepth 1 -maxdepth 1 -type d -name '{_STAMP_GLOB}'"
        + " -printf '%f')\"\n"
        + 'target="s3://$BUCKET${PREFIX:+/$PREFIX}"\n'
        + 'aws s3 cp --recursive --only-show-errors "$stamp" "$target/$stamp/"\n'
        + 'echo "uploaded $stamp to $target/$stamp/"\n'
        + _PRUNE_S3[mode]
    )


def dump_env(engine: Engine, name: str, spec: dict[str, Any]) -> list[Fragment]:
    """The environment of the dump container: where to connect and with which credentials."""
    secret = secret_name(name)
    replica_set = engine.name == "mongodb" and spec["replicas"] > 1
    if replica_set:
        host = f"{MONGO_REPLICA_SET}/" + ",".join(member_hosts(name, spec["replicas"], engine.port))
    elif engine.name == "mongodb":
        host = f"{name}:{engine.port}"
    else:
        host = name
    password_key = ROOT_PASSWORD_KEY if engine.extra_passwords else PASSWORD_KEY
    env: list[Fragment] = [
        {"name": "DB_HOST", "value": host},
        {"name": "DB_PORT", "value": str(engine.port)},
        {"name": "DB_USER", "value": spec["username"]},
        {"name": "DB_NAME", "value": spec["databaseName"]},
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": secret, "key": password_key}},
        },
    ]
    if engine.name == "redis":
        env.append(
            {
                "name": "REDISCLI_AUTH",
                "valueFrom": {"secretKeyRef": {"name": secret, "key": PASSWORD_KEY}},
            }
        )
    if engine.name == "mongodb":
        # A point-in-time dump needs the oplog, which only replica set members have.
        env.append({"name": "DUMP_OPTIONS", "value": "--oplog" if replica_set else ""})
    env.append({"name": "HOME", "value": TMP})
    return env


def retention(backup: dict[str, Any]) -> tuple[str, int]:
    """("count" | "days", N) from ``spec.backup.retention``."""
    kept = backup["retention"]
    return ("count", kept["count"]) if "count" in kept else ("days", kept["days"])
