"""The other kinds: ``Database``, ``MLPipeline``, ``DataPipeline``.

Every field of each CRD has a generated method (``_fields``); the methods here are the design
document's shortcuts, each mapped to the CRD fields it writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from ._common import Env, Resources
from ._fields import DatabaseFields, DataPipelineFields, MLPipelineFields


class Database(Resources, DatabaseFields):
    """A managed database: postgres, mysql, mongodb or redis (``kind: Database``)."""

    def storage(
        self, value: Mapping[str, Any] | str | None = None, storage_class: str | None = None
    ) -> Self:
        """The data volume (``spec.storage``): its size (``"20Gi"``; default 10Gi) and
        ``storage_class`` (default the cluster's)."""
        if isinstance(value, str):
            return self._merge("storage", {"size": value, "storageClass": storage_class})
        return self._merge("storage", {"storageClass": storage_class}, value)

    def backup_schedule(
        self,
        cron_expression: str,
        keep_count: int | None = None,
        keep_days: int | None = None,
        time_zone: str | None = None,
    ) -> Self:
        """Scheduled backups (``spec.backup``) in cron syntax, in ``time_zone`` (default UTC),
        keeping the newest ``keep_count`` dumps (default 7) or those younger than ``keep_days``
        (``backup.retention``). Default: no backups."""
        retention = {"count": keep_count, "days": keep_days}
        kept = {key: value for key, value in retention.items() if value is not None}
        return self._merge(
            "backup",
            {"schedule": cron_expression, "retention": kept or None, "timeZone": time_zone},
        )


class MLPipeline(Env, MLPipelineFields):
    """Model training, and optionally serving (``kind: MLPipeline``)."""

    def training(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.training`` by keyword (``workers``, ``gpus``, ``schedule``, ``resources``...).
        Defaults: the CRD's (one worker, no GPU)."""
        return self._object("training", value, fields)

    def inference(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.inference`` by keyword (``enabled``, ``port``, ``replicas``...). Default off."""
        return self._object("inference", value, fields)

    def model(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.model`` by keyword (``name``, ``storage``, ``registry``...). Defaults: the
        CRD's (a volume for the model)."""
        return self._object("model", value, fields)

    def data(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.data`` by keyword (``source``, ``bucket``, ``path``...). Default: none."""
        return self._object("data", value, fields)


class DataPipeline(Env, Resources, DataPipelineFields):
    """A Spark application or a container run once or on a schedule (``kind: DataPipeline``)."""

    def spark(self, value: Mapping[str, Any] | None = None, **fields: Any) -> Self:
        """``spec.spark`` by keyword (``application``, ``main_class``, ``executors``...).
        Default: not set (required for engine spark)."""
        return self._object("spark", value, fields)


__all__ = ["DataPipeline", "Database", "MLPipeline"]
