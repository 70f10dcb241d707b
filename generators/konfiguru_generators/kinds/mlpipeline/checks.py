"""MLPipeline checks the CRD schema cannot express.

Quantities (``"16 GB"`` gets a hint), cron ranges, durations, a model volume that the pods
reading it could never share, and pod host names too long for DNS. sklearn's limits (one worker,
no GPUs) are CEL rules in the CRD, so the API server rejects them too.

Runs after CRD defaults and schema checks. Called by ``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

from typing import Any

from ...checks_common import check_env, check_schedule, resource_amounts
from ...errors import FieldError
from ...quantity import check_quantity
from .names import longest_worker_hostname

_MAX_HOSTNAME = 63


def check(spec: dict[str, Any], name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    training = spec["training"]
    model = spec["model"]
    inference = spec["inference"]
    resource_amounts(training.get("resources"), "spec.training.resources", errors)
    resource_amounts(inference.get("resources"), "spec.inference.resources", errors)
    check_quantity(model["storage"], "spec.model.storage", errors)
    if "shmSize" in training:
        check_quantity(training["shmSize"], "spec.training.shmSize", errors)
    check_schedule(training.get("schedule"), "spec.training.schedule", errors)
    check_env(spec.get("env"), "spec.env", errors)
    check_env(inference.get("env"), "spec.inference.env", errors)

    if training["workers"] > 1:
        hostname = longest_worker_hostname(name, training["workers"], "schedule" in training)
        if len(hostname) > _MAX_HOSTNAME:
            errors.append(
                FieldError(
                    "metadata.name",
                    name,
                    f"is too long for distributed training: worker host names such as "
                    f"{hostname!r} exceed {_MAX_HOSTNAME} characters",
                    f"use at most {len(name) - (len(hostname) - _MAX_HOSTNAME)} characters",
                )
            )
    return errors
