"""Methods several kinds share: environment variables, resources, object fields by keyword.

Mixed into the builders before their generated field mixin, so these friendlier signatures
override the generated ``env(value)`` / ``resources(value)`` while still accepting the raw CRD
value as the first argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from konfiguru_generators import FieldError, SpecError
from konfiguru_generators.errors import did_you_mean

from ._base import Builder
from .codegen import snake


class Objects(Builder):
    """Object fields written by keyword."""

    def _object(
        self, field: str, value: Mapping[str, Any] | None, fields: Mapping[str, Any]
    ) -> Self:
        """An object field from a mapping and/or snake_case keywords of its CRD properties
        (``termination_grace_period_seconds`` for ``terminationGracePeriodSeconds``); an unknown
        keyword raises :class:`SpecError` naming the field, with a did-you-mean."""
        properties = self.schema()["properties"][field].get("properties") or {}
        names = {snake(name): name for name in properties}
        converted: dict[str, Any] = {}
        for keyword, item in fields.items():
            if keyword not in names:
                raise SpecError(
                    [
                        FieldError(
                            f"spec.{field}.{keyword}",
                            item,
                            f"is not a field of {field}",
                            did_you_mean(keyword, names),
                        )
                    ],
                    self._describe(),
                )
            converted[names[keyword]] = item
        return self._merge(field, converted, value)


class Env(Objects):
    """Kinds whose container takes environment variables (``spec.env``)."""

    def environment(self, variables: Mapping[str, Any] | None = None, **more: Any) -> Self:
        """Environment variables (``spec.env``), merged with those set before; a value is a
        string or a reference (``{"secretKeyRef": {...}}``). Default: none."""
        return self._merge("env", {**(variables or {}), **more})


class Resources(Objects):
    """Kinds with a top-level ``spec.resources`` of cpu, memory and their limits."""

    def resources(
        self,
        value: Mapping[str, Any] | None = None,
        *,
        cpu: str | None = None,
        memory: str | None = None,
        cpu_limit: str | None = None,
        memory_limit: str | None = None,
    ) -> Self:
        """CPU and memory (``spec.resources``): requests ``cpu``/``memory``, limits
        ``cpu_limit``/``memory_limit``, as Kubernetes quantities (``"500m"``, ``"512Mi"``).
        Default: the kind's (see the CRD); no CPU limit unless given."""
        return self._merge(
            "resources",
            {
                "cpu": cpu,
                "memory": memory,
                "cpuLimit": cpu_limit,
                "memoryLimit": memory_limit,
            },
            value,
        )


__all__ = ["Env", "Objects", "Resources"]
