"""The builder every DSL class extends: a resource being written, and the one pipeline's calls.

A builder holds one Konfiguru resource (the dict ``kubectl apply`` takes). Each method writes
one spec field and returns the builder, so calls chain. Nothing is checked while writing except
that a :meth:`Builder.set` path names a field the CRD declares; :meth:`validate`, :meth:`render`
and :meth:`to_yaml` hand the resource to ``konfiguru_generators``, the same pipeline the CLI
and the operator call, and a mistake raises its :class:`~konfiguru_generators.SpecError` naming
the field path. Each builder also remembers the line of the user's file that wrote each field,
so ``konfiguru render -f app.py`` reports errors at ``app.py:LINE``.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from konfiguru_generators import API, EMPTY, Existing, FieldError, SpecError, render, validate
from konfiguru_generators.errors import did_you_mean
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.yamltext import dump_all

_PACKAGE = str(Path(__file__).resolve().parent)
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _caller() -> tuple[str, int]:
    """The file and line of the user's code that called into the DSL."""
    frame = sys._getframe(1)
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _PACKAGE
    ):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


def plain(value: Any) -> Any:
    """A value as the resource holds it: builders (``Secret``...) become their dicts."""
    if isinstance(value, Part):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return copy.deepcopy(value)


class Part:
    """A value object attached to a resource (``Secret``, ``ConfigMap``, ``Ingress``)."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def to_dict(self) -> dict[str, Any]:
        """The value as the CRD field holds it."""
        data: dict[str, Any] = plain(self._data)
        return data


class Builder:
    """One Konfiguru resource being written; subclasses add one method per field."""

    KIND: ClassVar[str]
    # Spec fields a variant always sets (StatefulApp: workload StatefulSet).
    IMPLIES: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, name: str, namespace: str | None = None) -> None:
        """A resource named ``name`` (metadata.name), in ``namespace`` (default: none, the
        namespace ``kubectl apply`` or the operator's caller chooses)."""
        self._metadata: dict[str, Any] = {"name": name}
        if namespace is not None:
            self._metadata["namespace"] = namespace
        self._spec: dict[str, Any] = plain(dict(self.IMPLIES))
        self.origin = _caller()
        self.lines: dict[str, int] = {"metadata.name": self.origin[1], "spec": self.origin[1]}

    # -- writing -----------------------------------------------------------------------------

    def _put(self, field: str, value: Any) -> Self:
        self._spec[field] = plain(value)
        self.lines[f"spec.{field}"] = _caller()[1]
        return self

    def _merge(
        self, field: str, values: Mapping[str, Any], base: Mapping[str, Any] | None = None
    ) -> Self:
        """Set keys of an object field, keeping the others: ``base`` (a mapping the user gave)
        first, then ``values`` (keyword arguments) except those left ``None``."""
        current = self._spec.setdefault(field, {})
        current.update(plain(base or {}))
        current.update({key: plain(value) for key, value in values.items() if value is not None})
        self.lines[f"spec.{field}"] = _caller()[1]
        return self

    def _append(self, field: str, items: list[Any]) -> Self:
        self._spec.setdefault(field, []).extend(plain(item) for item in items)
        self.lines[f"spec.{field}"] = _caller()[1]
        return self

    def namespace(self, namespace: str) -> Self:
        """``metadata.namespace``. Default: not set."""
        self._metadata["namespace"] = namespace
        return self

    def metadata(
        self,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> Self:
        """``metadata.labels`` / ``metadata.annotations`` of the resource. Default: none."""
        if labels is not None:
            self._metadata["labels"] = dict(labels)
        if annotations is not None:
            self._metadata["annotations"] = dict(annotations)
        return self

    def set(self, path: str, value: Any) -> Self:
        """Any spec field by its path (``"health.readiness.http.path"``, ``"ports[0].name"``).

        The path is checked against the kind's CRD schema now: a field the CRD does not declare
        raises :class:`SpecError` naming it, with a did-you-mean. The value is checked with the
        rest by :meth:`validate`. Use it for fields nested deeper than the named methods reach.
        """
        path = path.removeprefix("spec.")
        segments = [(m.group(1), m.group(2)) for m in _SEGMENT.finditer(path)]
        schema: dict[str, Any] = self.schema()
        walked = "spec"
        node: Any = self._spec
        for position, (key, index) in enumerate(segments):
            last = position == len(segments) - 1
            if index is not None:
                if schema.get("type") != "array":
                    raise SpecError([FieldError(walked, path, "is not a list", "")])
                schema = schema.get("items") or {}
                walked += f"[{index}]"
                while len(node) <= int(index):
                    node.append({})
                if last:
                    node[int(index)] = plain(value)
                else:
                    node = node[int(index)]
                continue
            properties = schema.get("properties") or {}
            extra = schema.get("additionalProperties")
            open_ended = schema.get("x-kubernetes-preserve-unknown-fields") or extra is True
            if key in properties:
                schema = properties[key]
            elif isinstance(extra, dict):
                schema = extra
            elif open_ended:
                schema = {}
            else:
                raise SpecError(
                    [
                        FieldError(
                            f"{walked}.{key}",
                            value,
                            f"is not a field of the {self.KIND} CRD",
                            did_you_mean(key, properties),
                        )
                    ],
                    self._describe(),
                )
            walked += f".{key}"
            if last:
                node[key] = plain(value)
            else:
                following = segments[position + 1][1]
                node = node.setdefault(key, [] if following is not None else {})
        self.lines[walked] = _caller()[1]
        return self

    # -- reading -----------------------------------------------------------------------------

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The CRD's OpenAPI schema of this kind's ``spec``."""
        spec: dict[str, Any] = REGISTRY[cls.KIND].schema()["properties"]["spec"]
        return spec

    def _describe(self) -> str:
        return f"{self.KIND} {self._metadata['name']}"

    def to_resource(self) -> dict[str, Any]:
        """The resource as ``kubectl apply`` takes it (defaults not applied): a fresh copy."""
        return {
            "apiVersion": API,
            "kind": self.KIND,
            "metadata": copy.deepcopy(self._metadata),
            "spec": copy.deepcopy(self._spec),
        }

    def validate(self) -> dict[str, Any]:
        """The resource with the CRD defaults applied, checked by the one pipeline (CRD schema,
        CEL rules, the kind's checks); raises :class:`SpecError` listing every problem."""
        return validate(self.to_resource())

    def render(self, existing: Existing | None = None) -> list[dict[str, Any]]:
        """The Kubernetes objects this resource becomes, as ``konfiguru render`` prints them;
        ``existing``: what the cluster holds (generated Secret values, PVC sizes)."""
        return render(self.to_resource(), existing or EMPTY)

    def to_yaml(self) -> str:
        """The resource as YAML (what ``konfiguru compile`` prints), after :meth:`validate`."""
        self.validate()
        return dump_all([self.to_resource()])

    def __repr__(self) -> str:
        return f"<{self._describe()}>"


__all__ = ["Builder", "Part", "plain"]


def builder_for(kind: str) -> type[Builder]:
    """A builder class for any registered kind, a plugin's included: every spec field through
    ``set(path, value)``, checked against the kind's CRD (``builder_for("EdgeDevice")("edge")``).
    The built-in kinds also have named classes with one method per field (``App``, ...)."""
    if kind not in REGISTRY:
        raise KeyError(f"{kind!r} is not a registered kind; registered: {', '.join(REGISTRY)}")
    doc = f"A {kind} resource (from the kind registry): fields through ``set``."
    return type(kind, (Builder,), {"KIND": kind, "__doc__": doc})
