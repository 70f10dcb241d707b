"""Checks every kind shares: resource quantities, environment variables and cron schedules.

Every kind takes the same ``resources`` fields; the App, MLPipeline and DataPipeline kinds accept
the same ``env`` map (plain values or one ``valueFrom`` reference) and the same CronJob
schedules. Their ``checks.py`` call these so the rules and messages are written once. The
Database kind uses the same cron parser (``cron.py``) with its own message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import cron
from .errors import MISSING, FieldError, did_you_mean
from .quantity import check_quantity

RESOURCE_KEYS = ("cpu", "memory", "cpuLimit", "memoryLimit")

# Environment variable names Kubernetes accepts on every supported version.
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
ENV_HINT = "letters, digits, '_', '-' and '.', not starting with a digit, e.g. LOG_LEVEL"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_ENV_REFS = ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")
_REF_REQUIRED = {
    "secretKeyRef": ("name", "key"),
    "configMapKeyRef": ("name", "key"),
    "fieldRef": ("fieldPath",),
    "resourceFieldRef": ("resource",),
}
_REF_FIELDS = {
    "secretKeyRef": {"name", "key", "optional"},
    "configMapKeyRef": {"name", "key", "optional"},
    "fieldRef": {"fieldPath", "apiVersion"},
    "resourceFieldRef": {"resource", "containerName", "divisor"},
}


def resource_amounts(
    resources: Mapping[str, Any] | None,
    path: str,
    errors: list[FieldError],
    keys: tuple[str, ...] = RESOURCE_KEYS,
) -> dict[str, Decimal | None]:
    """Every ``resources`` quantity checked, and each limit at least its request (the API server
    rejects a pod otherwise); the good ones parsed (``None``: absent or bad). ``keys``: the
    fields this ``resources`` block declares, when it has fewer than the usual four."""
    resources = resources or {}
    amounts = {key: check_quantity(resources.get(key), f"{path}.{key}", errors) for key in keys}
    for request, limit in (("cpu", "cpuLimit"), ("memory", "memoryLimit")):
        low, high = amounts.get(request), amounts.get(limit)
        if low is not None and high is not None and high < low:
            errors.append(
                FieldError(
                    f"{path}.{limit}",
                    resources[limit],
                    f"is less than {request} ({resources[request]})",
                    f"a limit must be at least the request; raise {limit} or lower {request}",
                )
            )
    return amounts


def check_env(env: Mapping[str, Any] | None, path: str, errors: list[FieldError]) -> None:
    """Every problem with an ``env`` map (names and valueFrom references) under ``path``."""
    for key, value in (env or {}).items():
        where = f"{path}.{key}" if _IDENTIFIER.match(key) else f'{path}["{key}"]'
        if not ENV_NAME.match(key):
            errors.append(
                FieldError(where, key, "is not a valid environment variable name", ENV_HINT)
            )
        if value is None or isinstance(value, (str, int, float, bool)):
            continue
        if not isinstance(value, Mapping):
            errors.append(
                FieldError(where, value, "is not an env value", "a string, a number or a reference")
            )
            continue
        refs = [ref for ref in _ENV_REFS if ref in value]
        extra = sorted(set(value) - set(_ENV_REFS))
        if len(refs) != 1 or extra:
            errors.append(
                FieldError(
                    where,
                    value,
                    "is not a valid reference",
                    "exactly one of " + ", ".join(_ENV_REFS) + ", e.g. {secretKeyRef: {name: db,"
                    " key: password}}",
                )
            )
            continue
        ref = value[refs[0]]
        if not isinstance(ref, Mapping):
            errors.append(FieldError(f"{where}.{refs[0]}", ref, "is not a mapping"))
            continue
        for field in _REF_REQUIRED[refs[0]]:
            if not isinstance(ref.get(field), str) or not ref.get(field):
                errors.append(
                    FieldError(f"{where}.{refs[0]}.{field}", ref.get(field, MISSING), "is required")
                )
        for field in sorted(set(ref) - _REF_FIELDS[refs[0]]):
            errors.append(
                FieldError(
                    f"{where}.{refs[0]}.{field}",
                    ref[field],
                    "is not a known field",
                    did_you_mean(field, _REF_FIELDS[refs[0]]),
                )
            )
        if "optional" in ref and not isinstance(ref["optional"], bool):
            errors.append(
                FieldError(f"{where}.{refs[0]}.optional", ref["optional"], "is not true or false")
            )


def check_schedule(schedule: str | None, path: str, errors: list[FieldError]) -> None:
    """Cron ranges and macros as the CronJob controller reads them (the CRDs check the shape)."""
    if schedule is None:
        return
    problem = cron.schedule_problem(schedule)
    if problem:
        errors.append(
            FieldError(path, schedule, f"is not a valid cron schedule: {problem}", cron.HINT)
        )
