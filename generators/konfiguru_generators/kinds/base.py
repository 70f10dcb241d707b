"""What every kind provides to the pipeline, and the per-render context handed to renderers.

Called by ``pipeline.py``; implemented by each ``kinds/<kind>/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import labels
from ..errors import FieldError
from ..model import Existing
from ..rendering import render_object

Manifest = dict[str, Any]


@dataclass
class Resource:
    """One custom resource after defaulting and checks, as renderers see it."""

    kind: str
    name: str
    namespace: str | None
    spec: dict[str, Any]
    metadata: Mapping[str, Any]
    existing: Existing
    templates_dir: str | None = None
    kube_version: tuple[int, int] = (1, 33)
    notes: list[str] = field(default_factory=list)

    def template(self, path: str, **context: Any) -> Manifest:
        """Render one object from ``templates/<path>`` with ``context`` (plus ``resource``)."""
        return render_object(path, {"resource": self, **context}, self.templates_dir)

    def labels(self, component: str, version: str | None = None) -> dict[str, str]:
        return labels.object_labels(
            self.name, component, self.kind, self.spec.get("labels"), version
        )

    def selector(self, component: str) -> dict[str, str]:
        return labels.selector_labels(self.name, component)


@dataclass(frozen=True)
class KindDefinition:
    """A Konfiguru kind: its CRD file, extra checks and renderer."""

    kind: str
    plural: str
    crd_file: str
    check: Callable[[dict[str, Any], str], list[FieldError]]
    render: Callable[[Resource], list[Manifest]]
