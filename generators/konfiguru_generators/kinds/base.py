"""What every kind provides to the pipeline, and the per-render context handed to renderers.

Called by ``pipeline.py``; implemented by each ``kinds/<kind>/__init__.py`` and by plugins (a
plugin's kinds are the same :class:`KindDefinition`, see ``plugins.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import labels
from ..errors import FieldError
from ..model import Existing
from ..rendering import render_object
from ..resources import PACKAGE, crd, crd_text, version_schema

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
    # The package whose ``templates/`` the kind's templates live in (a plugin's, for its kinds).
    package: str = PACKAGE

    def template(self, path: str, **context: Any) -> Manifest:
        """Render one object from ``templates/<path>`` with ``context`` (plus ``resource``)."""
        return render_object(path, {"resource": self, **context}, self.templates_dir, self.package)

    def labels(self, component: str, version: str | None = None) -> dict[str, str]:
        return labels.object_labels(
            self.name, component, self.kind, self.spec.get("labels"), version
        )

    def selector(self, component: str) -> dict[str, str]:
        return labels.selector_labels(self.name, component)


@dataclass(frozen=True)
class ChildKind:
    """Where a child kind lives in the API (``apps/v1``, ``daemonsets``)."""

    api_version: str
    plural: str


@dataclass(frozen=True)
class KindDefinition:
    """A Konfiguru kind: its CRD, extra checks and renderer.

    Attributes:
        kind: the CRD's ``spec.names.kind`` (``App``); its templates are in ``templates/<kind in
            lower case>/`` of ``package``.
        plural: the CRD's ``spec.names.plural``.
        crd_file: the CRD's file in ``crds/`` of ``package``. CRD schemas are the single source
            of truth: defaults and types come from there, ``check`` adds what a schema cannot say.
        check: ``(defaulted spec, name) -> errors`` (each with field path, value and hint).
        render: the defaulted resource to its children (``Resource.template`` renders one).
        package: the importable package shipping ``crds/`` and ``templates/``.
        child_kinds: child kinds the renderer emits that Konfiguru does not know already, by
            kind: the operator watches, applies and prunes them and its RBAC grants them. The
            built-in child kinds (Deployment, DaemonSet, ConfigMap, CronJob, ...) need no entry.
    """

    kind: str
    plural: str
    crd_file: str
    check: Callable[[dict[str, Any], str], list[FieldError]]
    render: Callable[[Resource], list[Manifest]]
    package: str = PACKAGE
    child_kinds: Mapping[str, ChildKind] = field(default_factory=dict)

    def crd(self) -> dict[str, Any]:
        """The CustomResourceDefinition (parsed; shared, do not modify)."""
        return crd(self.crd_file, self.package)

    def crd_text(self) -> str:
        """The CustomResourceDefinition exactly as shipped (``konfiguru crds``)."""
        return crd_text(self.crd_file, self.package)

    def schema(self) -> dict[str, Any]:
        """The ``openAPIV3Schema`` of the served version (shared, do not modify)."""
        return version_schema(self.crd_file, package=self.package)

    @property
    def template_dir(self) -> str:
        """The directory of the kind's templates inside ``templates/`` (``app``)."""
        return self.kind.lower()
