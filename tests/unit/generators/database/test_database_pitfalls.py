"""One test per pitfall of ``shared/reference/workloads.md`` that applies to the Database kind."""

from __future__ import annotations

import base64

import pytest
from dbspec import SEEDED, VARIANTS, render_db

from konfiguru_generators import Existing

ENGINE_CONTAINERS = {"postgres", "mysql", "mongodb", "redis"}


def _data_mount(rendered, engine: str) -> dict:
    (mount,) = [m for m in rendered.container(engine)["volumeMounts"] if m["name"] == "data"]
    return mount


def _probe_script(probe: dict) -> str:
    command = probe["exec"]["command"]
    assert command[:2] == ["sh", "-c"]
    return command[2]


# --- data directories -----------------------------------------------------------------------


def test_postgres_pgdata_is_a_subdirectory_of_the_volume_not_its_root() -> None:
    rendered = render_db(engine="postgres", version="16")
    mount = _data_mount(rendered, "postgres")
    pgdata = rendered.env("postgres")["PGDATA"]
    assert mount["mountPath"] == "/var/lib/postgresql/data"
    # initdb refuses the volume root: it holds lost+found.
    assert pgdata == "/var/lib/postgresql/data/pgdata"
    assert pgdata != mount["mountPath"] and pgdata.startswith(mount["mountPath"] + "/")


def test_postgres_18_mounts_the_volume_at_the_new_layout_root() -> None:
    rendered = render_db(engine="postgres", version="18")
    assert _data_mount(rendered, "postgres")["mountPath"] == "/var/lib/postgresql"
    assert rendered.env("postgres")["PGDATA"] == "/var/lib/postgresql/18/docker"
    conf = rendered["ConfigMap", "db-config"]["data"]["postgresql.conf"]
    assert "include_if_exists = '/var/lib/postgresql/18/docker/postgresql.conf'" in conf


def test_mysql_data_lives_in_a_subpath_and_its_socket_directory_is_writable() -> None:
    rendered = render_db(engine="mysql", version="8.4")
    mount = _data_mount(rendered, "mysql")
    assert mount == {"name": "data", "mountPath": "/var/lib/mysql", "subPath": "mysql"}
    paths = {m["mountPath"] for m in rendered.container("mysql")["volumeMounts"]}
    assert {"/var/run/mysqld", "/tmp"} <= paths


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_read_only_root_gets_writable_empty_dirs_where_the_image_writes(variant: str) -> None:
    spec = VARIANTS[variant]
    rendered = render_db(**spec)
    container = rendered.container(spec["engine"])
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in rendered.pod["volumes"]}
    scratch = {
        m["mountPath"]
        for m in container["volumeMounts"]
        if "emptyDir" in volumes.get(m["name"], {})
    }
    assert "/tmp" in scratch
    expected = {
        "postgres": {"/var/run/postgresql", "/dev/shm"},
        "mysql": {"/var/run/mysqld"},
        "mongodb": {"/data/configdb"},
        "redis": set(),
    }[spec["engine"]]
    assert expected <= scratch


# --- security -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_pods_run_as_the_image_user_999_with_fs_group_and_on_root_mismatch(variant: str) -> None:
    rendered = render_db(**VARIANTS[variant])
    pod_security = rendered.pod["securityContext"]
    assert pod_security["runAsUser"] == 999
    assert pod_security["runAsGroup"] == 999
    assert pod_security["fsGroup"] == 999
    assert pod_security["fsGroupChangePolicy"] == "OnRootMismatch"
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in rendered.pod["containers"] + rendered.pod.get("initContainers", []):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_database_pods_mount_no_service_account_token(variant: str) -> None:
    rendered = render_db(**VARIANTS[variant])
    assert rendered["ServiceAccount", "db"]["automountServiceAccountToken"] is False
    assert rendered.pod["automountServiceAccountToken"] is False
    assert rendered.pod["serviceAccountName"] == "db"


# --- probes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_engine_has_a_startup_probe_against_the_tcp_listener(variant: str) -> None:
    # During initdb the images serve a local socket only: a check over 127.0.0.1 fails until
    # setup has finished, so the startupProbe holds liveness back exactly that long.
    spec = VARIANTS[variant]
    container = render_db(**spec).container(spec["engine"])
    startup = container["startupProbe"]
    assert "127.0.0.1" in _probe_script(startup)
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600
    assert {"readinessProbe", "livenessProbe"} <= set(container)


def test_mysql_readiness_runs_a_real_query_not_mysqladmin_ping() -> None:
    rendered = render_db(engine="mysql", version="8.4")
    container = rendered.container("mysql")
    ready = _probe_script(container["readinessProbe"])
    assert "SELECT 1" in ready and "mysqladmin" not in ready
    assert 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD"' in ready
    # mysqladmin ping exits 0 even on "Access denied": fine for liveness only.
    assert "mysqladmin" in _probe_script(container["livenessProbe"])
    # Set on the container, MYSQL_PWD would leak into the entrypoint's own clients during initdb.
    assert "MYSQL_PWD" not in rendered.env("mysql")


def test_postgres_readiness_is_pg_isready_and_liveness_fails_only_without_an_answer() -> None:
    container = render_db(engine="postgres", version="17").container("postgres")
    ready = _probe_script(container["readinessProbe"])
    assert ready.startswith("exec pg_isready") and '-U "$POSTGRES_USER"' in ready
    assert "test $? -ne 2" in _probe_script(container["livenessProbe"])


def test_mongodb_probes_use_mongosh_not_the_removed_mongo_shell() -> None:
    container = render_db(engine="mongodb", version="8.0").container("mongodb")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        script = _probe_script(container[probe])
        assert "mongosh" in script and "ping" in script
        assert not script.startswith("mongo ")


def test_redis_readiness_compares_the_reply_to_pong_with_rediscli_auth() -> None:
    rendered = render_db(engine="redis", version="7.4")
    container = rendered.container("redis")
    ready = _probe_script(container["readinessProbe"])
    assert "= PONG" in ready and "redis-cli" in ready
    assert "-a " not in ready  # the password never goes on a command line
    live = _probe_script(container["livenessProbe"])
    assert "PONG|LOADING*" in live
    env = rendered.env("redis")
    assert env["REDISCLI_AUTH"] == {"secretKeyRef": {"name": "db-credentials", "key": "password"}}


def test_redis_requires_a_password_from_the_secret() -> None:
    rendered = render_db(engine="redis", version="7.4")
    container = rendered.container("redis")
    args = container["args"]
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    assert rendered.env("redis")["REDIS_PASSWORD"] == {
        "secretKeyRef": {"name": "db-credentials", "key": "password"}
    }
    password = base64.b64decode(rendered["Secret", "db-credentials"]["data"]["password"]).decode()
    assert password not in str(rendered["StatefulSet", "db"])


def test_mongodb_cache_is_sized_from_the_memory_limit_not_the_node() -> None:
    args = render_db(engine="mongodb", version="8.0", resources={"memory": "4Gi"}).container(
        "mongodb"
    )["args"]
    assert args[args.index("--wiredTigerCacheSizeGB") + 1] == "1.5"
    small = render_db(engine="mongodb", version="8.0", resources={"memory": "512Mi"})
    args = small.container("mongodb")["args"]
    assert args[args.index("--wiredTigerCacheSizeGB") + 1] == "0.25"


# --- services and disruption ----------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_headless_service_publishes_not_ready_addresses_and_is_the_service_name(
    variant: str,
) -> None:
    rendered = render_db(**VARIANTS[variant])
    sts = rendered["StatefulSet", "db"]
    headless = rendered["Service", sts["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    client = rendered["Service", "db"]
    assert client["spec"]["type"] == "ClusterIP" and "clusterIP" not in client["spec"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_pdb_allows_one_pod_down_instead_of_requiring_one_up(variant: str) -> None:
    pdb = render_db(**VARIANTS[variant])["PodDisruptionBudget", "db"]
    # minAvailable 1 on a single pod would block every node drain.
    assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"]


# --- credentials ----------------------------------------------------------------------------


def test_credentials_are_created_once_and_never_rotated_by_a_render() -> None:
    stored = {"password": "kept-password", "root-password": "kept-root"}
    existing = Existing(secrets={"db-credentials": stored}, secret_seed=b"another seed")
    rendered = render_db(existing=existing, engine="mysql", version="8.4")
    data = {
        key: base64.b64decode(value).decode()
        for key, value in rendered["Secret", "db-credentials"]["data"].items()
    }
    assert data["password"] == "kept-password" and data["root-password"] == "kept-root"
    assert data["uri"] == "mysql://app:kept-password@db:3306/app"


def test_credentials_secret_documents_every_key_and_a_working_uri_per_engine() -> None:
    uris = {}
    for engine, version in (
        ("postgres", "17"),
        ("mysql", "8.4"),
        ("mongodb", "8.0"),
        ("redis", "7.4"),
    ):
        secret = render_db(engine=engine, version=version)["Secret", "db-credentials"]
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        assert {"username", "password", "host", "port", "uri"} <= set(data)
        assert data["password"] in data["uri"] and data["host"] == "db"
        uris[engine] = data["uri"].replace(data["password"], "PW")
    assert uris == {
        "postgres": "postgresql://app:PW@db:5432/app",
        "mysql": "mysql://app:PW@db:3306/app",
        "mongodb": "mongodb://app:PW@db:27017/app?authSource=app",
        "redis": "redis://:PW@db:6379/0",
    }


def test_without_a_seed_the_secret_is_left_out_with_a_note_saying_how_to_get_the_uri() -> None:
    rendered = render_db(existing=Existing(), engine="postgres", version="17")
    assert not rendered.kinds("Secret")
    (note,) = rendered.notes
    assert "db-credentials" in note and "--secret-seed-file" in note and ".data.uri" in note
    # The StatefulSet still references the Secret the operator will create.
    assert rendered.env("postgres")["POSTGRES_PASSWORD"]["secretKeyRef"]["name"] == "db-credentials"


# --- backups --------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_backup_cronjob_forbids_overlap_uses_pipefail_and_prunes_itself(variant: str) -> None:
    spec = VARIANTS[variant]
    rendered = render_db(**spec, backup={"schedule": "0 3 * * *", "retention": {"count": 5}})
    cronjob = rendered["CronJob", "db-backup"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    script = container["command"][2]
    assert container["command"][:2] == ["bash", "-c"]
    assert script.startswith("set -euo pipefail\n")
    assert 'head -n -"$KEEP"' in script
    assert {"name": "KEEP", "value": "5"} in container["env"]
    # Over the network: the backup pod mounts its own PVC, never the database's data volume.
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {"db-backup"}
    assert ("PersistentVolumeClaim", "db-backup") in rendered


def test_backup_commands_are_the_engines_own_dump_tools() -> None:
    scripts = {}
    for engine, version, replicas in (
        ("postgres", "17", 1),
        ("mysql", "8.4", 1),
        ("mongodb", "7.0", 3),
        ("redis", "7.4", 1),
    ):
        cronjob = render_db(
            engine=engine, version=version, replicas=replicas, backup={"schedule": "@daily"}
        )["CronJob", "db-backup"]
        (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        scripts[engine] = (
            container["command"][2],
            {e["name"]: e.get("value") for e in container["env"]},
        )
    assert "pg_dump " in scripts["postgres"][0] and "-Fc" in scripts["postgres"][0]
    assert "pg_dumpall" in scripts["postgres"][0] and "--globals-only" in scripts["postgres"][0]
    mysql = scripts["mysql"][0]
    for flag in ("--single-transaction", "--routines", "--triggers", "--events", "--all-databases"):
        assert flag in mysql
    assert "| gzip" in mysql
    assert "mongodump" in scripts["mongodb"][0] and "--archive" in scripts["mongodb"][0]
    assert scripts["mongodb"][1]["DUMP_OPTIONS"] == "--oplog"
    assert scripts["mongodb"][1]["DB_HOST"].startswith("rs0/db-0.db-headless:27017,")
    assert "redis-cli" in scripts["redis"][0] and "--rdb" in scripts["redis"][0]


def test_backup_to_s3_dumps_in_an_init_container_and_uploads_with_the_credentials_secret() -> None:
    rendered = render_db(
        engine="postgres",
        version="17",
        backup={
            "schedule": "@daily",
            "retention": {"days": 30},
            "destination": {"s3": {"bucket": "backups", "credentialsSecret": "s3-creds"}},
        },
    )
    assert ("PersistentVolumeClaim", "db-backup") not in rendered
    pod = rendered["CronJob", "db-backup"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (dump,) = pod["initContainers"]
    (upload,) = pod["containers"]
    assert "pg_dump" in dump["command"][2]
    script = upload["command"][2]
    assert script.startswith("set -euo pipefail\n")
    assert "aws s3 cp --recursive" in script and "aws s3 rm --recursive" in script
    assert 'date -u -d "-$KEEP days"' in script
    env = {e["name"]: e for e in upload["env"]}
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "s3-creds"
    assert env["PREFIX"]["value"] == "db" and env["BUCKET"]["value"] == "backups"


# --- replication ----------------------------------------------------------------------------


def test_mongodb_replica_set_uses_a_keyfile_copied_with_mode_0400() -> None:
    rendered = render_db(engine="mongodb", version="7.0", replicas=3)
    args = rendered.container("mongodb")["args"]
    assert args[args.index("--replSet") + 1] == "rs0"
    keyfile = args[args.index("--keyFile") + 1]
    (init,) = rendered.pod["initContainers"]
    assert f"chmod 0400 {keyfile}" in init["command"][2]
    volumes = {v["name"]: v for v in rendered.pod["volumes"]}
    assert volumes["keyfile-secret"]["secret"]["secretName"] == "db-keyfile"
    keyfile_secret = rendered["Secret", "db-keyfile"]
    key = base64.b64decode(keyfile_secret["data"]["keyfile"]).decode()
    assert 6 <= len(key) <= 1024


def test_mongodb_replica_set_is_initiated_by_a_job_listing_every_member() -> None:
    rendered = render_db(engine="mongodb", version="7.0", replicas=5)
    job = rendered["Job", "db-rsinit-5"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["MEMBERS"] == ",".join(f"db-{i}.db-headless:27017" for i in range(5))
    script = rendered["ConfigMap", "db-config"]["data"]["rs-init.js"]
    assert "rs.initiate" in script and "replSetReconfig" in script
    # Only member 0 creates users on first start: rs.initiate refuses members holding data.
    wrapper = rendered.container("mongodb")["command"][2]
    assert "unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD" in wrapper


def test_a_single_mongodb_creates_its_app_user_through_the_image_init_scripts() -> None:
    rendered = render_db(engine="mongodb", version="8.0")
    mounts = {m["mountPath"] for m in rendered.container("mongodb")["volumeMounts"]}
    assert "/docker-entrypoint-initdb.d/create-app-user.js" in mounts
    assert not rendered.kinds("Job") and "--replSet" not in rendered.container("mongodb")["args"]


def test_redis_replicas_follow_pod_0_and_the_client_service_selects_only_the_primary() -> None:
    rendered = render_db(engine="redis", version="7.4", replicas=3)
    container = rendered.container("redis")
    wrapper = container["command"][2]
    assert "--replicaof db-0.db-headless 6379" in wrapper
    args = container["args"]
    assert args[args.index("--masterauth") + 1] == "$(REDIS_PASSWORD)"
    client = rendered["Service", "db"]["spec"]["selector"]
    assert client["statefulset.kubernetes.io/pod-name"] == "db-0"
    read = rendered["Service", "db-read"]["spec"]["selector"]
    assert "statefulset.kubernetes.io/pod-name" not in read


# --- storage --------------------------------------------------------------------------------


def test_deletion_policy_becomes_the_statefulset_pvc_retention_policy() -> None:
    kept = render_db(engine="redis", version="7.4")["StatefulSet", "db"]
    assert kept["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    deleted = render_db(engine="redis", version="7.4", deletionPolicy="Delete")
    policy = deleted["StatefulSet", "db"]["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy["whenDeleted"] == "Delete"


def test_storage_size_is_the_claim_template_request() -> None:
    sts = render_db(
        engine="postgres", version="17", storage={"size": "30Gi", "storageClass": "ssd"}
    )["StatefulSet", "db"]
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "30Gi"
    assert claim["spec"]["storageClassName"] == "ssd"


def test_seeded_renders_are_identical() -> None:
    spec = {"engine": "mongodb", "version": "7.0", "replicas": 3, "backup": {"schedule": "@daily"}}
    assert render_db(**spec).objects == render_db(**spec).objects


def test_a_seeded_render_differs_per_namespace_and_secret() -> None:
    first = render_db(engine="redis", version="7.4", existing=SEEDED)
    second = render_db("other", engine="redis", version="7.4", existing=SEEDED)
    assert (
        first["Secret", "db-credentials"]["data"]["password"]
        != second["Secret", "other-credentials"]["data"]["password"]
    )


@pytest.mark.parametrize(
    ("engine", "version", "expected"),
    [
        ("postgres", "17", {"POSTGRES_PASSWORD": "password", "POSTGRES_USER": None}),
        (
            "mysql",
            "8.4",
            # MYSQL_USER and MYSQL_PASSWORD come together or not at all.
            {
                "MYSQL_ROOT_PASSWORD": "root-password",
                "MYSQL_USER": None,
                "MYSQL_PASSWORD": "password",
            },
        ),
        (
            "mongodb",
            "8.0",
            {"MONGO_INITDB_ROOT_USERNAME": None, "MONGO_INITDB_ROOT_PASSWORD": "root-password"},
        ),
        ("redis", "7.4", {"REDIS_PASSWORD": "password", "REDISCLI_AUTH": "password"}),
    ],
)
def test_each_image_gets_its_own_credential_variables_from_the_secret(
    engine: str, version: str, expected: dict[str, str | None]
) -> None:
    env = render_db(engine=engine, version=version).env(engine)
    for name, key in expected.items():
        assert name in env, name
        if key is None:
            assert isinstance(env[name], str) and env[name]
        else:
            assert env[name] == {"secretKeyRef": {"name": "db-credentials", "key": key}}


@pytest.mark.parametrize("policy", ["Retain", "Delete"])
def test_generated_secrets_and_backups_follow_the_deletion_policy_of_the_volumes(
    policy: str,
) -> None:
    # Volumes kept without their Secret would hold data no generated password opens.
    rendered = render_db(
        engine="mongodb",
        version="7.0",
        replicas=3,
        deletionPolicy=policy,
        backup={"schedule": "@daily"},
    )
    for kind, name in (
        ("Secret", "db-credentials"),
        ("Secret", "db-keyfile"),
        ("PersistentVolumeClaim", "db-backup"),
    ):
        annotations = rendered[kind, name]["metadata"]["annotations"]
        assert annotations["konfiguru.io/deletion-policy"] == policy
    # The StatefulSet itself goes with the Database; its PVCs follow the retention policy.
    assert "annotations" not in rendered["StatefulSet", "db"]["metadata"]
