"""Per-field builder methods, generated from the CRD schemas by ``codegen.py``.

Do not edit: ``pytest tests/unit/test_dsl.py --update-golden`` rewrites this file from the CRDs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from ._base import Builder


class AppFields(Builder):
    """Every field of the App spec, one method each (``App`` in the CRDs)."""

    KIND = "App"

    def image(self, value: str) -> Self:
        """``spec.image``: Container image, e.g. "ghcr.io/acme/shop:1.4.2". Required."""
        return self._put("image", value)

    def image_pull_policy(self, value: Literal["Always", "IfNotPresent", "Never"]) -> Self:
        """``spec.imagePullPolicy``: When the kubelet pulls the image. Default: Kubernetes' own
        (Always for ":latest" or no tag, else IfNotPresent)."""
        return self._put("imagePullPolicy", value)

    def image_pull_secrets(self, value: Sequence[str]) -> Self:
        """``spec.imagePullSecrets``: Names of existing Secrets holding registry credentials.
        Default none."""
        return self._put("imagePullSecrets", value)

    def command(self, value: Sequence[str]) -> Self:
        """``spec.command``: Replaces the image's ENTRYPOINT. Default the image's."""
        return self._put("command", value)

    def args(self, value: Sequence[str]) -> Self:
        """``spec.args``: Replaces the image's CMD. Default the image's."""
        return self._put("args", value)

    def working_dir(self, value: str) -> Self:
        """``spec.workingDir``: Working directory of the container. Default the image's."""
        return self._put("workingDir", value)

    def workload(
        self, value: Literal["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]
    ) -> Self:
        """``spec.workload``: Deployment (a replicated service or worker), StatefulSet (pods with
        stable names, a volume each from spec.volumes and a headless Service: kafka,
        elasticsearch, minio, a service with a disk), DaemonSet (one pod per node: a
        node agent; combine with nodeSelector and tolerations), Job (the app runs to
        completion once per spec, "<name>-<hash>") or CronJob (the app runs on
        run.schedule, "<name>"). A Job or CronJob has no Service, ingress,
        PodDisruptionBudget or autoscaler; its settings are in run. Default Deployment.
        Default: ``"Deployment"``."""
        return self._put("workload", value)

    def run(self, value: Mapping[str, Any]) -> Self:
        """``spec.run``: How a Job or CronJob app runs (workload Job or CronJob only; without it a
        Job takes every default below). Default none."""
        return self._put("run", value)

    def stateful_set(self, value: Mapping[str, Any]) -> Self:
        """``spec.statefulSet``: Settings of workload StatefulSet. Konfiguru gives every pod stable
        identity variables (POD_NAME, POD_NAMESPACE, POD_ORDINAL, POD_DNS, PEERS) and a
        headless Service "<name>-headless"; it does not replicate data: the application
        does (or does not). Default none (Kubernetes' defaults)."""
        return self._put("statefulSet", value)

    def volumes(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.volumes``: Persistent volumes, one per pod (workload StatefulSet only): the PVCs
        "<volume>-<app>-<ordinal>" from the StatefulSet's volumeClaimTemplates. A size
        may grow (the PVCs are resized in place when the StorageClass allows expansion),
        never shrink. The PVCs are kept when the App is deleted or scaled down. Default
        none."""
        return self._put("volumes", value)

    def replicas(self, value: int) -> Self:
        """``spec.replicas``: Pods to run (Deployment with autoscale off, or StatefulSet). More
        than one also adds a PodDisruptionBudget and spreads pods over nodes and zones.
        Default 1. Default: ``1``."""
        return self._put("replicas", value)

    def port(self, value: int) -> Self:
        """``spec.port``: The main container port, named "http": served by the Service on port
        expose.port, the ingress and the default probes. Default none (a worker)."""
        return self._put("port", value)

    def ports(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.ports``: More container ports, each exposed by the Service under its name.
        Default none."""
        return self._put("ports", value)

    def env(self, value: Mapping[str, Any]) -> Self:
        """``spec.env``: Environment variables by name. A value is a string (numbers and booleans
        are turned into strings) or exactly one reference: {secretKeyRef: {name, key,
        optional}}, {configMapKeyRef: {name, key, optional}}, {fieldRef: {fieldPath}} or
        {resourceFieldRef: {resource, divisor}}. Default none."""
        return self._put("env", value)

    def autoscale(self, value: Mapping[str, Any]) -> Self:
        """``spec.autoscale``: Scale the Deployment between min and max pods with a
        HorizontalPodAutoscaler (autoscaling/v2). When set, the Deployment leaves
        replicas to the autoscaler. Needs resources.cpu (targetCPU) or resources.memory
        (targetMemory). Default off."""
        return self._put("autoscale", value)

    def resources(self, value: Mapping[str, Any]) -> Self:
        """``spec.resources``: CPU and memory the container asks for (requests) and may not exceed
        (limits). Quantities use Kubernetes units: "250m" or "2" CPUs, "512Mi" or "2Gi"
        memory. Default: ``{}``."""
        return self._put("resources", value)

    def health(self, value: Mapping[str, Any]) -> Self:
        """``spec.health``: Liveness, readiness and startup probes. Each is an http, tcp, exec or
        grpc check with timing; without a check it is a TCP check on the main port (when
        there is one and it is TCP), so a web app gets all three by writing nothing.
        Default: ``{}``."""
        return self._put("health", value)

    def expose(self, value: Mapping[str, Any]) -> Self:
        """``spec.expose``: The Service in front of the pods (created when the app has a port).
        Default: ``{}``."""
        return self._put("expose", value)

    def ingress(self, value: Mapping[str, Any]) -> Self:
        """``spec.ingress``: HTTP(S) traffic from outside: an Ingress for ingress-nginx
        (annotations for rate limits, CORS, IP allow-lists, HTTPS redirect and timeouts)
        or Traefik, or a Gateway API HTTPRoute attached to a Gateway (controller).
        Default none."""
        return self._put("ingress", value)

    def config(self, value: Mapping[str, Any]) -> Self:
        """``spec.config``: Configuration in one ConfigMap "<name>-config": key/values (as
        environment variables) and files written from structured data (mounted under
        mountPath). Default none."""
        return self._put("config", value)

    def secrets(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.secrets``: Secrets the app reads: existing ones by name, generated ones
        ("generate", created once and never rotated), or synced from a secret manager
        ("external", through External Secrets Operator). Each is mounted as environment
        variables or files. Default none."""
        return self._put("secrets", value)

    def connect_to(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.connectTo``: Apps and Databases this app calls. Each gives environment variables
        <NAME>_HOST, <NAME>_PORT and <NAME>_URL (NAME is the name upper-cased, "-" as
        "_") and a NetworkPolicy egress rule. A target in the same namespace admits this
        app with no further declaration: the app's pods carry the label connect-
        to.konfiguru.io/<kind>.<name> that the target's NetworkPolicy selects (a target
        in another namespace must list this app in its allowFrom or connectFrom). A
        Database in the same namespace also gives <NAME>_USERNAME, <NAME>_PASSWORD and a
        <NAME>_URL with credentials, from its "<name>-credentials" Secret. At most 64.
        Default none."""
        return self._put("connectTo", value)

    def allow_from(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.allowFrom``: Apps allowed to call this one besides those that list it in their
        connectTo, which the NetworkPolicy always admits (same namespace); an App in
        another namespace must be listed here. Default none."""
        return self._put("allowFrom", value)

    def network_policy(self, value: Mapping[str, Any]) -> Self:
        """``spec.networkPolicy``: The app's NetworkPolicy (applies to its pods, jobs and
        schedules). Default: ``{}``."""
        return self._put("networkPolicy", value)

    def jobs(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.jobs``: One-off Jobs such as database migrations, named "<app>-<name>-<hash>": a
        new Job runs once whenever its image, command, env or config change (a Job's pod
        template cannot be edited), and the previous one is pruned. Default none."""
        return self._put("jobs", value)

    def schedules(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.schedules``: CronJobs named "<app>-<name>" sharing the app's image and env.
        Default none."""
        return self._put("schedules", value)

    def lifecycle(self, value: Mapping[str, Any]) -> Self:
        """``spec.lifecycle``: Container lifecycle hooks and shutdown. Default: ``{}``."""
        return self._put("lifecycle", value)

    def service_account(self, value: Mapping[str, Any]) -> Self:
        """``spec.serviceAccount``: The pods' identity. Its API token is mounted only when rbac
        rules are given (or automountToken is true). Default: ``{}``."""
        return self._put("serviceAccount", value)

    def rbac(self, value: Mapping[str, Any]) -> Self:
        """``spec.rbac``: Kubernetes API permissions in the app's namespace (a Role bound to its
        ServiceAccount). Default none."""
        return self._put("rbac", value)

    def observability(self, value: Mapping[str, Any]) -> Self:
        """``spec.observability``: Metrics scraping. Default: ``{}``."""
        return self._put("observability", value)

    def pod_disruption_budget(self, value: Mapping[str, Any]) -> Self:
        """``spec.podDisruptionBudget``: Limits voluntary evictions (node drains). Created when the
        Deployment or StatefulSet runs more than one pod (replicas > 1 or autoscale).
        Default: ``{}``."""
        return self._put("podDisruptionBudget", value)

    def topology_spread(self, value: bool) -> Self:
        """``spec.topologySpread``: Spread pods over nodes and zones (preferred, not required) when
        there is more than one. Default true. Default: ``true``."""
        return self._put("topologySpread", value)

    def labels(self, value: Mapping[str, Any]) -> Self:
        """``spec.labels``: Labels on every generated object and pod (never used in selectors).
        Default none."""
        return self._put("labels", value)

    def annotations(self, value: Mapping[str, Any]) -> Self:
        """``spec.annotations``: Annotations on the workload and its pods. Default none."""
        return self._put("annotations", value)

    def node_selector(self, value: Mapping[str, Any]) -> Self:
        """``spec.nodeSelector``: Run only on nodes with these labels. Default any node."""
        return self._put("nodeSelector", value)

    def tolerations(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.tolerations``: Taints the pods tolerate, e.g. to run a node agent on every node.
        At most 32. Default none."""
        return self._put("tolerations", value)

    def affinity(self, value: Mapping[str, Any]) -> Self:
        """``spec.affinity``: A Kubernetes pod affinity (nodeAffinity, podAffinity,
        podAntiAffinity), passed through unchanged. Default none."""
        return self._put("affinity", value)

    def host_paths(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.hostPaths``: Directories of the node mounted into the pod, for node agents (log
        shippers, monitoring). Not allowed by the restricted or baseline Pod Security
        Standard. Default none."""
        return self._put("hostPaths", value)

    def priority_class_name(self, value: str) -> Self:
        """``spec.priorityClassName``: PriorityClass of the pods. Default the cluster's default."""
        return self._put("priorityClassName", value)

    def security(self, value: Mapping[str, Any]) -> Self:
        """``spec.security``: Pod and container security. The defaults meet the restricted Pod
        Security Standard; each field is an explicit opt-out. Default: ``{}``."""
        return self._put("security", value)


class MLPipelineFields(Builder):
    """Every field of the MLPipeline spec, one method each (``MLPipeline`` in the CRDs)."""

    KIND = "MLPipeline"

    def framework(self, value: Literal["pytorch", "tensorflow", "sklearn"]) -> Self:
        """``spec.framework``: The training framework; decides the distributed environment.
        pytorch: the torchrun PET_* variables (run your script with torchrun).
        tensorflow: TF_CONFIG for MultiWorkerMirroredStrategy. sklearn: one process, no
        GPUs. Required."""
        return self._put("framework", value)

    def image(self, value: str) -> Self:
        """``spec.image``: Training image, e.g. "ghcr.io/acme/trainer:1.0". Required."""
        return self._put("image", value)

    def command(self, value: Sequence[str]) -> Self:
        """``spec.command``: Entrypoint of the training container, e.g. ["torchrun", "train.py"].
        Default: the image's entrypoint."""
        return self._put("command", value)

    def args(self, value: Sequence[str]) -> Self:
        """``spec.args``: Arguments of the training container. Default none."""
        return self._put("args", value)

    def env(self, value: Mapping[str, Any]) -> Self:
        """``spec.env``: Extra environment variables of training pods, by name. A value is a string
        or one reference ({secretKeyRef: {name, key}}, {configMapKeyRef: {name, key}},
        {fieldRef: {fieldPath}}). Default none."""
        return self._put("env", value)

    def labels(self, value: Mapping[str, Any]) -> Self:
        """``spec.labels``: Labels added to every generated object (never to selectors). Default
        none."""
        return self._put("labels", value)

    def image_pull_secrets(self, value: Sequence[str]) -> Self:
        """``spec.imagePullSecrets``: Names of existing Secrets holding registry credentials.
        Default none."""
        return self._put("imagePullSecrets", value)

    def node_selector(self, value: Mapping[str, Any]) -> Self:
        """``spec.nodeSelector``: Run only on nodes with these labels, e.g.
        {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}. Default: any node."""
        return self._put("nodeSelector", value)

    def training(self, value: Mapping[str, Any]) -> Self:
        """``spec.training``: How the training run is shaped and bounded. Default: ``{}``."""
        return self._put("training", value)

    def data(self, value: Mapping[str, Any]) -> Self:
        """``spec.data``: The training data. s3 and gcs give the pod the bucket URI and
        credentials; nfs and pvc mount the data read-only at mountPath (nfs only with
        security.allowNfsVolume). The pod sees DATA_URI (and DATA_DIR for mounted data).
        Default: none."""
        return self._put("data", value)

    def model(self, value: Mapping[str, Any]) -> Self:
        """``spec.model``: Where the trained model goes: a PersistentVolumeClaim mounted at
        mountPath (MODEL_DIR) in training pods, and a registry URL (MODEL_REGISTRY_URL)
        that rank 0 uploads to. Default: ``{}``."""
        return self._put("model", value)

    def inference(self, value: Mapping[str, Any]) -> Self:
        """``spec.inference``: Serve the model: a Deployment, a Service on port 8080 and an
        autoscaler, probing the model-ready endpoint of the Open Inference Protocol (v2)
        or of TF Serving (v1). Default: ``{}``."""
        return self._put("inference", value)

    def security(self, value: Mapping[str, Any]) -> Self:
        """``spec.security``: Pod and container security: the restricted Pod Security Standard
        unless a field opts out. Official ML images run as root, so a non-root user is
        set. Default: ``{}``."""
        return self._put("security", value)


class DatabaseFields(Builder):
    """Every field of the Database spec, one method each (``Database`` in the CRDs)."""

    KIND = "Database"

    def engine(self, value: Literal["postgres", "mysql", "mongodb", "redis"]) -> Self:
        """``spec.engine``: The database engine, run from its official image. Required."""
        return self._put("engine", value)

    def version(self, value: str) -> Self:
        """``spec.version``: The engine version: the official image tag, e.g. "17" for postgres:17.
        Required, and never defaulted: the major version is part of the on-disk format,
        so a changed default would break existing data. Postgres 18 and later use the
        image's new data layout (/var/lib/postgresql/<major>/docker)."""
        return self._put("version", value)

    def image(self, value: str) -> Self:
        """``spec.image``: A mirror of the official image, e.g.
        "registry.example.com/library/postgres:17". It must be the official image (same
        entrypoint, user 999, tools). Default docker.io/library/<engine>:<version>
        (mongodb: mongo)."""
        return self._put("image", value)

    def replicas(self, value: int) -> Self:
        """``spec.replicas``: Servers to run. postgres and mysql: 1 (the plain image has no
        replication). mongodb: an odd number forming a replica set "rs0". redis: one
        primary plus replicas-1 asynchronous read replicas (no automatic failover).
        Default 1. Default: ``1``."""
        return self._put("replicas", value)

    def storage(self, value: Mapping[str, Any]) -> Self:
        """``spec.storage``: The data volume of each server (a PersistentVolumeClaim per pod).
        Default: ``{}``."""
        return self._put("storage", value)

    def resources(self, value: Mapping[str, Any]) -> Self:
        """``spec.resources``: CPU and memory of the database container. Quantities use Kubernetes
        units: "250m" or "2" CPUs, "512Mi" or "2Gi" memory. The memory limit sizes
        engine caches (mongodb's WiredTiger cache). Default: ``{}``."""
        return self._put("resources", value)

    def security(self, value: Mapping[str, Any]) -> Self:
        """``spec.security``: Pod and container security. The defaults meet the restricted Pod
        Security Standard and match the official images (user and group 999). Default:
        ``{}``."""
        return self._put("security", value)

    def database_name(self, value: str) -> Self:
        """``spec.databaseName``: The database created on first start (postgres, mysql, mongodb;
        redis has numbered databases and ignores it). Default "app". Default: ``"app"``."""
        return self._put("databaseName", value)

    def username(self, value: str) -> Self:
        """``spec.username``: The application user created on first start, owner of databaseName
        (postgres: POSTGRES_USER, a superuser; mysql: MYSQL_USER; mongodb: a readWrite
        user in databaseName; redis: the "default" user, this field is ignored). Default
        "app". Default: ``"app"``."""
        return self._put("username", value)

    def backup(self, value: Mapping[str, Any]) -> Self:
        """``spec.backup``: Scheduled logical backups: a CronJob dumps the database over the
        network (pg_dump, mysqldump, mongodump, redis-cli --rdb), never two at once,
        fails when a dump fails, and deletes old dumps itself. Default off."""
        return self._put("backup", value)

    def parameters(self, value: Mapping[str, Any]) -> Self:
        """``spec.parameters``: Engine settings written to the engine's own configuration file in a
        ConfigMap: postgresql.conf (e.g. max_connections: 200), my.cnf [mysqld] (e.g.
        max_connections: 200), mongod.conf with dotted keys (e.g.
        "operationProfiling.mode": slowOp) or redis.conf (e.g. maxmemory-policy:
        allkeys-lru). Values are strings, numbers or booleans. Settings Konfiguru
        controls (ports, paths, passwords, replication) are refused. A change restarts
        the pods. Default none."""
        return self._put("parameters", value)

    def monitoring(self, value: Mapping[str, Any]) -> Self:
        """``spec.monitoring``: A Prometheus exporter sidecar (postgres_exporter, mysqld_exporter,
        mongodb_exporter or redis_exporter) on a port named "metrics", with
        prometheus.io/scrape annotations on the pods. Default off."""
        return self._put("monitoring", value)

    def connect_from(self, value: Sequence[Mapping[str, Any]]) -> Self:
        """``spec.connectFrom``: Apps allowed to connect besides those that list this Database in
        their connectTo, which the NetworkPolicy always admits (same namespace). Absent:
        every pod in the namespace may connect. An empty list: only the database's own
        pods (replicas, backups) and the Apps that connectTo it. Default absent."""
        return self._put("connectFrom", value)

    def deletion_policy(self, value: Literal["Retain", "Delete"]) -> Self:
        """``spec.deletionPolicy``: What happens to the data volumes, the backup volume and the
        generated Secrets (whose passwords the data needs) when the Database is deleted:
        Retain keeps them (delete them by hand when sure; a Database re-created with the
        same name reuses them), Delete removes them with the Database. Default Retain.
        Default: ``"Retain"``."""
        return self._put("deletionPolicy", value)


class DataPipelineFields(Builder):
    """Every field of the DataPipeline spec, one method each (``DataPipeline`` in the CRDs)."""

    KIND = "DataPipeline"

    def engine(self, value: Literal["spark", "container"]) -> Self:
        """``spec.engine``: spark: the pod runs spark-submit in Kubernetes client mode, as the
        driver, and Spark starts the executors as pods. container: the pod runs the
        image's command. Required."""
        return self._put("engine", value)

    def image(self, value: str) -> Self:
        """``spec.image``: Container image; with spark, also the executors' image
        (spark.kubernetes.container.image), e.g. "apache/spark:3.5.3". Required."""
        return self._put("image", value)

    def command(self, value: Sequence[str]) -> Self:
        """``spec.command``: Entrypoint of the container engine. Default: the image's."""
        return self._put("command", value)

    def args(self, value: Sequence[str]) -> Self:
        """``spec.args``: Arguments: of the container (container engine) or of the Spark
        application, after its file (spark engine). Default none."""
        return self._put("args", value)

    def env(self, value: Mapping[str, Any]) -> Self:
        """``spec.env``: Extra environment variables of the pipeline pod (and of Spark executors),
        by name. A value is a string or one reference ({secretKeyRef: {name, key}},
        {configMapKeyRef: {name, key}}). Default none."""
        return self._put("env", value)

    def labels(self, value: Mapping[str, Any]) -> Self:
        """``spec.labels``: Labels added to every generated object (never to selectors). Default
        none."""
        return self._put("labels", value)

    def image_pull_secrets(self, value: Sequence[str]) -> Self:
        """``spec.imagePullSecrets``: Names of existing Secrets holding registry credentials.
        Default none."""
        return self._put("imagePullSecrets", value)

    def node_selector(self, value: Mapping[str, Any]) -> Self:
        """``spec.nodeSelector``: Run only on nodes with these labels, e.g.
        {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}. Default: any node."""
        return self._put("nodeSelector", value)

    def resources(self, value: Mapping[str, Any]) -> Self:
        """``spec.resources``: CPU and memory of the pipeline pod: the container, or the Spark
        driver (whose JVM heap, --driver-memory, is the memory less Spark's overhead of
        10%, at least 384Mi). Default: ``{}``."""
        return self._put("resources", value)

    def spark(self, value: Mapping[str, Any]) -> Self:
        """``spec.spark``: The Spark application and its executors (spark engine only). Default:
        not set."""
        return self._put("spark", value)

    def schedule(self, value: str) -> Self:
        """``spec.schedule``: Run on a cron schedule (a CronJob; a run never overlaps the previous
        one). Default: none (run once, as a Job)."""
        return self._put("schedule", value)

    def time_zone(self, value: str) -> Self:
        """``spec.timeZone``: IANA time zone of the schedule, e.g. "Europe/Paris". Default: the
        controller manager's (usually UTC)."""
        return self._put("timeZone", value)

    def suspend(self, value: bool) -> Self:
        """``spec.suspend``: Pause the schedule (scheduled pipelines only). Default: false.
        Default: ``false``."""
        return self._put("suspend", value)

    def timeout(self, value: str) -> Self:
        """``spec.timeout``: Longest a run may take (the Job's activeDeadlineSeconds). Default: 6h.
        Default: ``"6h"``."""
        return self._put("timeout", value)

    def backoff(self, value: int) -> Self:
        """``spec.backoff``: Retries of a failed run (the Job's backoffLimit). Default: 1. Default:
        ``1``."""
        return self._put("backoff", value)

    def ttl_after_finished(self, value: str) -> Self:
        """``spec.ttlAfterFinished``: How long a finished run's Job and pods (and logs) are kept
        (ttlSecondsAfterFinished). Default: 1d. Default: ``"1d"``."""
        return self._put("ttlAfterFinished", value)

    def input(self, value: Mapping[str, Any]) -> Self:
        """``spec.input``: Where the pipeline reads: PIPELINE_INPUT_URI and PIPELINE_INPUT_FORMAT
        in the environment, and the whole descriptor in /etc/konfiguru/pipeline.json.
        Default none."""
        return self._put("input", value)

    def output(self, value: Mapping[str, Any]) -> Self:
        """``spec.output``: Where the pipeline writes: PIPELINE_OUTPUT_URI and
        PIPELINE_OUTPUT_FORMAT in the environment, and in /etc/konfiguru/pipeline.json.
        Default none."""
        return self._put("output", value)

    def security(self, value: Mapping[str, Any]) -> Self:
        """``spec.security``: Pod and container security of the pipeline pod and the Spark
        executors: the restricted Pod Security Standard unless a field opts out.
        Default: ``{}``."""
        return self._put("security", value)
