"""What the EdgeDevice CRD schema cannot say: quantities, environment names, device resources.

Called by Konfiguru's pipeline (``KindDefinition.check``) with the defaulted spec.
"""

from __future__ import annotations

from typing import Any

from konfiguru_generators.checks_common import check_env
from konfiguru_generators.errors import FieldError
from konfiguru_generators.quantity import check_quantity

from .render import GPU_RESOURCE, RESERVED_ENV, interval_seconds

# Longest sync period a CronJob-free sidecar sleeps: a day.
_MAX_INTERVAL = 24 * 3600


def check(spec: dict[str, Any], name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    resources = spec.get("resources") or {}
    for key in ("cpu", "memory"):
        check_quantity(resources.get(key), f"spec.resources.{key}", errors)
    sync = spec.get("sync")
    if sync is not None:
        check_quantity(sync.get("bufferSize"), "spec.sync.bufferSize", errors)
        interval = sync.get("interval", "5m")
        if interval_seconds(interval) > _MAX_INTERVAL:
            errors.append(
                FieldError("spec.sync.interval", interval, "is longer than a day", "at most 24h")
            )
    env = spec.get("env") or {}
    check_env(env, "spec.env", errors)
    for key in sorted(set(env) & RESERVED_ENV):
        errors.append(
            FieldError(
                f"spec.env.{key}",
                env[key],
                "is set by Konfiguru",
                "remove it; it comes from processingMode and sync",
            )
        )
    for index, device in enumerate(spec.get("devices") or []):
        if device == GPU_RESOURCE:
            errors.append(
                FieldError(f"spec.devices[{index}]", device, "is the GPU", "use gpu: true")
            )
        elif "/" not in device:
            errors.append(
                FieldError(
                    f"spec.devices[{index}]",
                    device,
                    "is not an extended resource name",
                    'a device plugin resource with a prefix, e.g. "smarter-devices/gpiomem"',
                )
            )
    return errors
