"""Spark on Kubernetes in client mode: the spark-submit command line, executor sizing, RBAC.

The pipeline's Job pod *is* the Spark driver (``--deploy-mode client``): its exit status is the
application's, its security context and resources are ours, and Kubernetes' Job deadline and
retries apply to the whole application. The driver starts the executor pods through the API,
with the ServiceAccount and Role rendered here, and gives them an owner reference to itself
(``spark.kubernetes.driver.pod.name``) so they are deleted with it.

Called by ``render.py`` and ``checks.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...quantity import parse_quantity

Fragment = dict[str, Any]

# In-cluster API server; spark-submit needs the port even for 443.
MASTER = "k8s://https://kubernetes.default.svc:443"
DRIVER_PORT = 7078
BLOCK_MANAGER_PORT = 7079
UI_PORT = 4040
EXECUTOR_TEMPLATE_FILE = "executor-pod.yaml"
CONFIG_DIR = "/etc/konfiguru"
_MIB = Decimal(2**20)
# Spark's own rule for the non-heap part of a JVM pod: 10% of the heap, at least 384MiB.
_OVERHEAD_FACTOR = Decimal("0.1")
_MIN_OVERHEAD_MIB = 384
# Below this a Spark JVM has almost no heap left once the overhead is taken out.
MIN_POD_MEMORY_MIB = 1024

# What the driver does through the API: create, watch and delete executor pods (and patch
# them for decommissioning), the ConfigMap carrying the executors' Spark configuration, and
# on-demand PVCs for executor scratch space; services for cluster-mode drivers it may submit.
DRIVER_RULES: list[Fragment] = [
    {
        "apiGroups": [""],
        "resources": ["pods"],
        "verbs": ["create", "get", "list", "watch", "patch", "delete", "deletecollection"],
    },
    {
        "apiGroups": [""],
        "resources": ["services", "configmaps", "persistentvolumeclaims"],
        "verbs": ["create", "get", "list", "watch", "delete", "deletecollection"],
    },
]


def memory_split(pod_memory: str | int) -> tuple[int, int]:
    """(heap MiB, overhead MiB) whose sum is the pod memory, by Spark's overhead rule."""
    total = int(parse_quantity(pod_memory) / _MIB)
    heap_if_proportional = int(total / (1 + _OVERHEAD_FACTOR))
    if heap_if_proportional * _OVERHEAD_FACTOR >= _MIN_OVERHEAD_MIB:
        heap = heap_if_proportional
    else:
        heap = total - _MIN_OVERHEAD_MIB
    return heap, total - heap


def pod_memory_mib(pod_memory: str | int) -> int:
    return int(parse_quantity(pod_memory) / _MIB)


def executor_cores(cpu: str | int) -> int:
    """Task slots per executor: the CPU request rounded up (Spark wants a whole number)."""
    return max(1, math.ceil(parse_quantity(cpu)))


def submit_command(
    spec: Mapping[str, Any],
    *,
    name: str,
    driver_service_account: str,
    executor_service_account: str,
) -> list[str]:
    """The driver container's command: spark-submit with everything Kubernetes mode needs.

    ``$(POD_NAME)``, ``$(POD_NAMESPACE)`` and ``$(POD_IP)`` are expanded by Kubernetes from the
    driver's downward-API environment.
    """
    spark = spec["spark"]
    executors = spark["executors"]
    resources = executors["resources"]
    heap, overhead = memory_split(resources["memory"])
    ours: dict[str, str] = {
        "spark.kubernetes.namespace": "$(POD_NAMESPACE)",
        "spark.kubernetes.driver.pod.name": "$(POD_NAME)",
        # Client mode: executors connect back to the driver pod by its IP.
        "spark.driver.host": "$(POD_IP)",
        "spark.driver.bindAddress": "0.0.0.0",  # noqa: S104 - the pod's own network namespace
        "spark.driver.port": str(DRIVER_PORT),
        "spark.blockManager.port": str(BLOCK_MANAGER_PORT),
        "spark.kubernetes.container.image": spec["image"],
        # The driver pod's own ServiceAccount is what authenticates in client mode; the same
        # name is set here so a switch to cluster mode keeps the same identity.
        "spark.kubernetes.authenticate.driver.serviceAccountName": driver_service_account,
        # Executors never call the API: their own account, no Role, no token.
        "spark.kubernetes.authenticate.executor.serviceAccountName": executor_service_account,
        "spark.kubernetes.executor.podTemplateFile": f"{CONFIG_DIR}/{EXECUTOR_TEMPLATE_FILE}",
        "spark.executor.instances": str(executors["instances"]),
        "spark.executor.cores": str(executor_cores(resources["cpu"])),
        "spark.kubernetes.executor.request.cores": str(resources["cpu"]),
        "spark.executor.memory": f"{heap}m",
        "spark.executor.memoryOverhead": f"{overhead}m",
    }
    if resources.get("cpuLimit") is not None:
        ours["spark.kubernetes.executor.limit.cores"] = str(resources["cpuLimit"])
    conf = {**dict(spark.get("conf", {})), **ours}

    command = [
        spark["submit"],
        "--master",
        MASTER,
        "--deploy-mode",
        "client",
        "--name",
        name,
    ]
    if spark.get("mainClass"):
        command += ["--class", spark["mainClass"]]
    driver_memory = _driver_memory(spec.get("resources"))
    if driver_memory:
        command += ["--driver-memory", driver_memory]
    for key in sorted(conf):
        command += ["--conf", f"{key}={conf[key]}"]
    command.append(spark["application"])
    return command


def _driver_memory(resources: Mapping[str, Any] | None) -> str | None:
    """The driver JVM heap: the pod's memory limit (or request) less Spark's overhead, so the
    JVM fits in the pod instead of being OOM-killed by it."""
    if not resources:
        return None
    memory = resources.get("memoryLimit") or resources.get("memory")
    if memory is None:
        return None
    heap, _ = memory_split(memory)
    return f"{heap}m"
