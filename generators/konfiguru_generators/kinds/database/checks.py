"""Database checks the CRD schema cannot express: quantities, cron, versions, names, parameters.

Runs after the CRD defaults are applied and the schema checks (including the CEL rules for
replicas) passed. Each problem is one :class:`FieldError` naming the field. Called by
``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

from typing import Any

from ...checks_common import resource_amounts
from ...cron import HINT as CRON_HINT
from ...cron import schedule_problem
from ...errors import FieldError
from ...quantity import check_quantity
from .config import check_parameters
from .engines import ENGINES, major_version

# Children are named "<name>-<suffix>"; the longest name limit among them decides.
_CRONJOB_NAME_LIMIT = 52
_BACKUP_SUFFIX = "-backup"


def check(spec: dict[str, Any], name: str) -> list[FieldError]:
    engine = ENGINES[spec["engine"]]
    errors: list[FieldError] = []

    major = major_version(spec["version"])
    if major < engine.min_major:
        errors.append(
            FieldError(
                "spec.version",
                spec["version"],
                f"is too old for {engine.name}",
                f"use {engine.min_major} or later ({engine.min_major_reason})",
            )
        )

    check_quantity(spec["storage"]["size"], "spec.storage.size", errors)
    _check_resources(spec["resources"], "spec.resources", errors)

    errors.extend(check_parameters(engine, spec.get("parameters") or {}))

    backup = spec.get("backup")
    if backup is not None:
        _check_backup(backup, name, errors)
    if "monitoring" in spec:
        _check_resources(spec["monitoring"]["resources"], "spec.monitoring.resources", errors)

    seen: set[tuple[str, str | None]] = set()
    for index, source in enumerate(spec.get("connectFrom") or []):
        key = (source["app"], source.get("namespace"))
        if key in seen:
            errors.append(
                FieldError(f"spec.connectFrom[{index}]", source, "is listed twice", "remove one")
            )
        seen.add(key)
    return errors


def _check_backup(backup: dict[str, Any], name: str, errors: list[FieldError]) -> None:
    problem = schedule_problem(backup["schedule"])
    if problem:
        errors.append(
            FieldError(
                "spec.backup.schedule",
                backup["schedule"],
                f"is not a cron schedule: {problem}",
                CRON_HINT,
            )
        )
    if len(name) + len(_BACKUP_SUFFIX) > _CRONJOB_NAME_LIMIT:
        errors.append(
            FieldError(
                "metadata.name",
                name,
                "is too long for a backup CronJob",
                f'the CronJob "<name>{_BACKUP_SUFFIX}" may have at most {_CRONJOB_NAME_LIMIT}'
                f" characters: use at most {_CRONJOB_NAME_LIMIT - len(_BACKUP_SUFFIX)}",
            )
        )
    pvc = backup["destination"].get("pvc")
    if pvc is not None:
        check_quantity(pvc["size"], "spec.backup.destination.pvc.size", errors)
    _check_resources(backup["resources"], "spec.backup.resources", errors)


def _check_resources(resources: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    resource_amounts(resources, path, errors)
