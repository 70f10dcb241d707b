"""The credentials Secret "<name>-credentials" (and mongodb's "<name>-keyfile"): created once.

Keys of "<name>-credentials", for applications to mount or reference:

============== ===========================================================================
``username``   the application user (redis: ``default``)
``password``   its password (generated: 32 letters and digits)
``root-password`` mysql root / mongodb ``root`` password (generated; mysql and mongodb only)
``database``   the database name (not redis)
``host``       the client Service name, resolvable from the Database's namespace
``port``       the engine port
``uri``        a ready connection string, e.g. ``postgresql://app:<pw>@orders:5432/app``
``jdbc-uri``   the JDBC form (postgres and mysql)
============== ===========================================================================

Passwords come from :mod:`konfiguru_generators.secretgen`: reused from the existing Secret,
else derived from the secret seed, else unknown. When unknown (``konfiguru render`` without a
seed) both Secrets are left out and a note says how to get them: the operator creates them once
in the cluster, and ``kubectl get secret <name>-credentials -o jsonpath='{.data.uri}' | base64
-d`` prints the uri. The images read the password only when the data directory is empty, so
editing ``password`` later does not change the database's password (change it in the database,
then in the Secret).

Called by ``render.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ...secretgen import Generated, secret_data
from ..base import Resource
from .engines import MONGO_REPLICA_SET, PASSWORD_KEY, Engine

KEYFILE_KEY = "keyfile"
# mongod accepts 6 to 1024 base64 characters; hex digits are base64 characters.
_KEYFILE_LENGTH = 756
# URI scheme of the SQL engines (the same in the plain and the JDBC connection string).
_SQL_SCHEMES = {"postgres": "postgresql", "mysql": "mysql"}


def secret_name(name: str) -> str:
    return f"{name}-credentials"


def keyfile_secret_name(name: str) -> str:
    return f"{name}-keyfile"


def headless_name(name: str) -> str:
    return f"{name}-headless"


def member_hosts(name: str, replicas: int, port: int) -> list[str]:
    """``<pod>.<headless service>:<port>`` of every member (stable DNS names)."""
    return [f"{name}-{index}.{headless_name(name)}:{port}" for index in range(replicas)]


def credentials_data(resource: Resource, engine: Engine) -> dict[str, str] | None:
    """Every key of "<name>-credentials", or ``None`` when the passwords are not known."""
    items = [Generated(PASSWORD_KEY)] + [Generated(key) for key in engine.extra_passwords]
    passwords = secret_data(
        resource.existing, resource.namespace or "", secret_name(resource.name), items
    )
    if passwords is None:
        return None
    spec = resource.spec
    data = dict(passwords)
    data["host"] = resource.name
    data["port"] = str(engine.port)
    if engine.name == "redis":
        data["username"] = "default"
    else:
        data["username"] = spec["username"]
        data["database"] = spec["databaseName"]
    data.update(_uris(engine, resource.name, spec, data))
    return dict(sorted(data.items()))


def keyfile_data(resource: Resource) -> dict[str, str] | None:
    """The mongodb replica set keyfile Secret's data, or ``None`` when unknown."""
    return secret_data(
        resource.existing,
        resource.namespace or "",
        keyfile_secret_name(resource.name),
        [Generated(KEYFILE_KEY, type="random", length=_KEYFILE_LENGTH)],
    )


def _uris(
    engine: Engine, name: str, spec: Mapping[str, Any], data: Mapping[str, str]
) -> dict[str, str]:
    user = quote(data["username"], safe="")
    password = quote(data[PASSWORD_KEY], safe="")
    host = f"{name}:{engine.port}"
    if engine.name in _SQL_SCHEMES:
        scheme = _SQL_SCHEMES[engine.name]
        database = quote(spec["databaseName"], safe="")
        return {
            "uri": f"{scheme}://{user}:{password}@{host}/{database}",
            "jdbc-uri": f"jdbc:{scheme}://{host}/{database}?user={user}&password={password}",
        }
    if engine.name == "mongodb":
        database = quote(spec["databaseName"], safe="")
        if spec["replicas"] > 1:
            hosts = ",".join(member_hosts(name, spec["replicas"], engine.port))
            options = f"replicaSet={MONGO_REPLICA_SET}&authSource={database}"
        else:
            hosts, options = host, f"authSource={database}"
        return {"uri": f"mongodb://{user}:{password}@{hosts}/{database}?{options}"}
    return {"uri": f"redis://:{password}@{host}/0"}


def missing_note(name: str, replica_set: bool) -> str:
    """What an offline user is told when the Secrets are left out."""
    secrets = secret_name(name) + (f" and {keyfile_secret_name(name)}" if replica_set else "")
    return (
        f"Secret {secrets} left out: generated passwords are never derived from the public spec."
        " The operator creates them once in the cluster (read the connection string with"
        f" `kubectl get secret {secret_name(name)} -o jsonpath='{{.data.uri}}' | base64 -d`);"
        " to render them here, pass a private seed with --secret-seed-file."
    )
