"""Konfiguru generators: turn one Konfiguru custom resource into its Kubernetes children.

The public surface, used by the ``konfiguru`` CLI and by the operator alike:

- :func:`render` — ``(resource, existing) -> list[manifest]``, pure and deterministic.
- :func:`validate` — defaults and checks only; returns the defaulted resource.
- :class:`Existing` — what the cluster already holds (generated Secret values, PVC sizes).
- :class:`SpecError` / :class:`FieldError` — the only errors raised for bad input.
- :func:`warm_up` — optional, once at start-up of a long-running or batch caller: loads and
  compiles schemas and templates, then freezes them out of garbage collection.

This package imports no Kubernetes client and does no I/O beyond reading its own package data.
"""

from __future__ import annotations

from typing import Any

from .errors import FieldError, SpecError
from .kinds import REGISTRY
from .model import EMPTY, Existing
from .pipeline import (
    API,
    DEFAULT_KUBE_VERSION,
    MAX_KUBE_VERSION,
    MIN_KUBE_VERSION,
    check_bounds,
    render,
    render_with_notes,
    warm_up,
)
from .pipeline import validate as _validate
from .rendering import TemplateError


def validate(document: Any, *, ingress_controller: str | None = None) -> dict[str, Any]:
    """The resource with CRD defaults applied; raises :class:`SpecError` listing every problem.
    ``ingress_controller``: the default of ``spec.ingress.controller`` (see ``pipeline``)."""
    return _validate(document, ingress_controller=ingress_controller)[1]


def __getattr__(name: str) -> Any:
    # KINDS is computed on first use: it includes plugin kinds, and plugins (which import this
    # package) are loaded only once it has finished importing.
    if name == "KINDS":
        return tuple(REGISTRY)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


KINDS: tuple[str, ...]

__all__ = [
    "API",
    "DEFAULT_KUBE_VERSION",
    "EMPTY",
    "KINDS",
    "MAX_KUBE_VERSION",
    "MIN_KUBE_VERSION",
    "Existing",
    "FieldError",
    "SpecError",
    "TemplateError",
    "check_bounds",
    "render",
    "render_with_notes",
    "validate",
    "warm_up",
]
