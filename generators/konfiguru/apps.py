"""The App kind and its variants: ``App`` (a Deployment), ``StatefulApp``, ``Job``, ``CronJob``.

All four write an ``App`` resource; the variants fix ``spec.workload`` (StatefulSet, Job,
CronJob) and add the methods that workload has (``storage``, ``parallelism``, ``schedule``...).
Every field of the App CRD has a generated method (``_fields.AppFields``); the methods here are
the design document's, each mapped to the CRD fields it writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Self

from ._base import Builder
from ._common import Env, Resources
from ._fields import AppFields
from .values import ConfigMap, Ingress, Secret

Target = str | Builder | Mapping[str, Any]
Probe = str | Mapping[str, Any] | None


def _target(target: Target) -> dict[str, Any]:
    """A ``connectTo`` entry: a name, a builder (its name, kind and engine), or the entry."""
    if isinstance(target, str):
        return {"name": target}
    if isinstance(target, Builder):
        resource = target.to_resource()
        entry = {"name": resource["metadata"]["name"], "kind": resource["kind"]}
        for key in ("namespace",):
            if key in resource["metadata"]:
                entry[key] = resource["metadata"][key]
        if "engine" in resource["spec"] and resource["kind"] == "Database":
            entry["engine"] = resource["spec"]["engine"]
        return entry
    return dict(target)


def _flat(targets: Sequence[Target | Sequence[Target]]) -> list[Target]:
    """Arguments given one by one or as a list (the design document passes lists)."""
    flat: list[Target] = []
    for target in targets:
        if isinstance(target, (str, Builder, Mapping)):
            flat.append(target)
        else:
            flat.extend(target)
    return flat


def _probe(probe: str | Mapping[str, Any]) -> dict[str, Any]:
    # The .kfg sugar: a path is the HTTP GET probe of that path.
    return {"http": {"path": probe}} if isinstance(probe, str) else dict(probe)


class App(Env, Resources, AppFields):
    """An App: a container image run as a Deployment behind a Service (``kind: App``)."""

    def resources(
        self,
        value: Mapping[str, Any] | None = None,
        *,
        cpu: str | None = None,
        memory: str | None = None,
        cpu_limit: str | None = None,
        memory_limit: str | None = None,
        gpu: int | None = None,
    ) -> Self:
        """As :meth:`Resources.resources`, plus ``gpu``: NVIDIA GPUs (``resources.gpu``,
        default 0)."""
        super().resources(
            value, cpu=cpu, memory=memory, cpu_limit=cpu_limit, memory_limit=memory_limit
        )
        return self._merge("resources", {"gpu": gpu})

    def scale(
        self,
        replicas: int | None = None,
        auto_scale_on_cpu: int | None = None,
        max_replicas: int | None = None,
        auto_scale_on_memory: int | None = None,
    ) -> Self:
        """How many pods: ``replicas`` fixed (``spec.replicas``, default 1), or with
        ``auto_scale_on_cpu`` (percent) a HorizontalPodAutoscaler between ``replicas`` (as
        ``autoscale.min``, default 2) and ``max_replicas`` (``autoscale.max``, default three times
        the minimum)."""
        if auto_scale_on_cpu is None and auto_scale_on_memory is None:
            return self._put("replicas", replicas) if replicas is not None else self
        low = replicas if replicas is not None else 2
        return self._merge(
            "autoscale",
            {
                "min": low,
                "max": max_replicas if max_replicas is not None else low * 3,
                "targetCPU": auto_scale_on_cpu,
                "targetMemory": auto_scale_on_memory,
            },
        )

    def expose(
        self,
        value: Mapping[str, Any] | None = None,
        *,
        external_access: bool | None = None,
        domain: str | None = None,
        port: int | None = None,
        service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] | None = None,
    ) -> Self:
        """The Service (``spec.expose``): ``external_access`` a LoadBalancer (default false, a
        ClusterIP), ``port`` the Service port (default 80); ``domain`` also routes that host to
        the App through an Ingress (``spec.ingress.host``; default: no Ingress)."""
        self._merge(
            "expose", {"external": external_access, "port": port, "type": service_type}, value
        )
        if domain is not None:
            self._merge("ingress", {"host": domain})
        return self

    def ingress(self, value: Mapping[str, Any] | Ingress) -> Self:
        """HTTP routing from outside (``spec.ingress``), an :class:`Ingress`. Default: none."""
        return self._put("ingress", value)

    def connect_to(self, *targets: Target | Sequence[Target]) -> Self:
        """Services and databases the App talks to (``spec.connectTo``): names, builders
        (``Database("orders")`` adds its kind and engine, so connection variables are set) or
        entries. Opens the network policy to them. Default: none."""
        return self._append("connectTo", [_target(target) for target in _flat(targets)])

    def allow_from(
        self, *apps: str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
    ) -> Self:
        """Apps allowed to call this one (``spec.allowFrom``): names or entries. Default: none
        (only the ingress controller and monitoring reach it)."""
        return self._append("allowFrom", [_target(app) for app in _flat(apps)])

    def add_secrets(self, *secrets: Secret | Mapping[str, Any]) -> Self:
        """Secrets the App reads (``spec.secrets[]``), each a :class:`Secret`. Default none."""
        return self._append("secrets", list(secrets))

    def add_config(self, config: ConfigMap | Mapping[str, Any]) -> Self:
        """The App's configuration (``spec.config``), a :class:`ConfigMap`. Default none."""
        return self._put("config", config)

    def add_jobs(self, *jobs: Job | Mapping[str, Any]) -> Self:
        """Jobs run on every release (``spec.jobs[]``, migrations say): a :class:`Job` (its
        image defaults to the App's) or an entry. Default none."""
        return self._append(
            "jobs", [job.as_job_entry() if isinstance(job, Job) else job for job in jobs]
        )

    def lifecycle(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.lifecycle`` by keyword: ``pre_stop``, ``post_start``,
        ``termination_grace_period_seconds`` (default 30)."""
        return self._object("lifecycle", value, fields)

    def health(
        self,
        value: Mapping[str, Any] | None = None,
        *,
        readiness: Probe = None,
        liveness: Probe = None,
        startup: Probe = None,
    ) -> Self:
        """Probes (``spec.health``): each a path (an HTTP GET of it, as in ``.kfg``) or the
        probe's fields. Default: TCP probes on the port."""
        probes = {"readiness": readiness, "liveness": liveness, "startup": startup}
        return self._merge(
            "health", {k: _probe(v) for k, v in probes.items() if v is not None}, value
        )

    def security(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.security`` by keyword (``run_as_user``, ``read_only_root_filesystem``,
        ``writable_paths``...). Default: the restricted Pod Security Standard."""
        return self._object("security", value, fields)

    def rbac(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.rbac``: ``rules`` of a Role bound to the App's ServiceAccount. Default none."""
        return self._object("rbac", value, fields)

    def observability(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.observability``: ``metrics`` (a ServiceMonitor). Default: off."""
        return self._object("observability", value, fields)

    def service_account(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.serviceAccount`` by keyword (``create``, ``name``, ``automount_token``...).
        Default: one created for the App, token not mounted."""
        return self._object("serviceAccount", value, fields)

    def network_policy(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.networkPolicy`` by keyword (``enabled`` default true, ``restrict_egress``...)."""
        return self._object("networkPolicy", value, fields)


class StatefulApp(App):
    """An App run as a StatefulSet (``workload: StatefulSet``): stable names, a volume each."""

    IMPLIES: ClassVar[Mapping[str, Any]] = {"workload": "StatefulSet"}

    def storage(
        self,
        size: str,
        mount_path: str = "/data",
        name: str = "data",
        storage_class: str | None = None,
    ) -> Self:
        """A persistent volume per pod (``spec.volumes[]``) of ``size`` at ``mount_path``
        (default ``/data``), named ``name`` (default ``data``); storage class default the
        cluster's."""
        volume = {"name": name, "mountPath": mount_path, "size": size}
        if storage_class is not None:
            volume["storageClass"] = storage_class
        return self._append("volumes", [volume])


class Job(App):
    """A container run to completion (``workload: Job``)."""

    IMPLIES: ClassVar[Mapping[str, Any]] = {"workload": "Job"}

    def _run(self, **fields: Any) -> Self:
        return self._merge("run", fields)

    def parallelism(self, count: int) -> Self:
        """Pods at once (``run.parallelism``). Default 1."""
        return self._run(parallelism=count)

    def completions(self, count: int) -> Self:
        """Successful pods needed (``run.completions``). Default 1."""
        return self._run(completions=count)

    def run_once(self) -> Self:
        """One pod, once: completions 1, parallelism 1 (the defaults, made explicit)."""
        return self._run(completions=1, parallelism=1)

    def timeout(self, seconds: int) -> Self:
        """Longest run before the Job fails (``run.timeoutSeconds``). Default 3600."""
        return self._run(timeoutSeconds=seconds)

    def backoff_limit(self, limit: int) -> Self:
        """Retries before the Job fails (``run.backoffLimit``). Default 2."""
        return self._run(backoffLimit=limit)

    def ttl_after_finished(self, seconds: int) -> Self:
        """Delete the finished Job after this long (``run.ttlSecondsAfterFinished``). Default:
        kept."""
        return self._run(ttlSecondsAfterFinished=seconds)

    def as_job_entry(self) -> dict[str, Any]:
        """This Job as an entry of an App's ``spec.jobs[]`` (run on every release)."""
        resource = self.to_resource()
        spec, run = resource["spec"], resource["spec"].get("run", {})
        entry: dict[str, Any] = {"name": resource["metadata"]["name"]}
        for field in ("image", "command", "args", "env", "resources"):
            if field in spec:
                entry[field] = spec[field]
        for field in ("timeoutSeconds", "backoffLimit", "parallelism", "completions"):
            if field in run:
                entry[field] = run[field]
        return entry


class CronJob(Job):
    """A container run on a schedule (``workload: CronJob``)."""

    IMPLIES: ClassVar[Mapping[str, Any]] = {"workload": "CronJob"}

    def schedule(self, cron_expression: str) -> Self:
        """When to run, in cron syntax (``run.schedule``). Required."""
        return self._run(schedule=cron_expression)

    def timezone(self, tz: str) -> Self:
        """The IANA time zone of the schedule (``run.timeZone``). Default: the controller's
        (UTC)."""
        return self._run(timeZone=tz)

    def suspend(self, suspended: bool = True) -> Self:
        """Pause the schedule (``run.suspend``). Default false."""
        return self._run(suspend=suspended)

    def concurrent_policy(self, policy: Literal["Forbid", "Allow", "Replace"]) -> Self:
        """A run still going when the next is due (``run.concurrencyPolicy``). Default Forbid."""
        return self._run(concurrencyPolicy=policy)

    def retention_limit(self, successful: int = 3, failed: int = 1) -> Self:
        """Finished Jobs kept (``run.successfulJobsHistoryLimit``/``failedJobsHistoryLimit``).
        Defaults 3 and 1."""
        return self._run(successfulJobsHistoryLimit=successful, failedJobsHistoryLimit=failed)


__all__ = ["App", "CronJob", "Job", "StatefulApp"]
