"""DataPipeline checks the CRD schema cannot express.

Quantities (with a hint for ``"4 GB"``), cron ranges, durations, and Spark memory sizes too
small to leave the JVM a heap once Spark's overhead is taken out. Runs after CRD defaults and
schema checks. Called by ``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

from typing import Any

from ...checks_common import check_env, check_schedule, resource_amounts
from ...errors import FieldError
from .spark import MIN_POD_MEMORY_MIB, pod_memory_mib


def _spark_memory(value: Any, path: str, errors: list[FieldError]) -> None:
    if pod_memory_mib(value) < MIN_POD_MEMORY_MIB:
        errors.append(
            FieldError(
                path,
                value,
                "is too small for a Spark JVM: Spark keeps at least 384Mi of it for overhead",
                "use at least 1Gi",
            )
        )


def check(spec: dict[str, Any], name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    resources = spec.get("resources", {})
    valid = resource_amounts(resources, "spec.resources", errors)
    if "spark" in spec:
        for key in ("memory", "memoryLimit"):
            if valid.get(key) is not None:
                _spark_memory(resources[key], f"spec.resources.{key}", errors)
        # Executors, like the driver: a cpuLimit below cpu renders limit.cores under
        # request.cores, and Spark's executor pods are then refused at run time.
        executor = spec["spark"]["executors"]["resources"]
        path = "spec.spark.executors.resources"
        amounts = resource_amounts(executor, path, errors, ("cpu", "memory", "cpuLimit"))
        if amounts["memory"] is not None:
            _spark_memory(executor["memory"], f"{path}.memory", errors)
    check_schedule(spec.get("schedule"), "spec.schedule", errors)
    check_env(spec.get("env"), "spec.env", errors)
    return errors
