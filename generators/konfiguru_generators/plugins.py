"""Plugins: third-party packages that add kinds through the ``konfiguru.kinds`` entry point group.

A plugin is an installed distribution whose ``pyproject.toml`` declares::

    [project.entry-points."konfiguru.kinds"]
    edgedevice = "konfiguru_edgedevice:PLUGIN"

where ``PLUGIN`` is a :class:`Plugin` (or a function without arguments returning one): its name,
version, the Konfiguru versions it works with (a PEP 440 specifier such as ``">=0.1,<0.2"``) and
its kinds, each a :class:`~konfiguru_generators.kinds.base.KindDefinition` exactly like a built-in
kind's: a CRD in the plugin package's ``crds/``, checks, a renderer and templates in its
``templates/<kind>/``. Plugin kinds enter at the kind registry (``kinds.REGISTRY``), the waist of
the hourglass, so the CLI (render, validate, crds, export, ...), the ``.kfg`` front end, policies
and the operator (watch, apply, prune, heal, status, RBAC) treat them as they treat ``App``.

Plugin kinds live in the ``konfiguru.io/v1alpha1`` API group and version, like the built-ins.

A plugin that cannot be used is reported, never fatal, and never stops the built-in kinds: it
fails to import, its entry point is not a :class:`Plugin`, its metadata is incomplete, it needs
another Konfiguru version, a kind clashes with one already registered, or its CRD is not what
the kind says or is one a real API server refuses (``crdcheck.check_crd``). Its kinds are then
left out and :func:`statuses` says why (``konfiguru plugins``, a warning on stderr from every CLI
command, an error in the operator's log). One plugin is accepted or refused as a whole.

Called by ``kinds/__init__.py`` (the registry loads plugins on first use), the CLI and the
operator (status and warnings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from . import crdcheck
from .kinds.base import KindDefinition
from .resources import API_GROUP, API_VERSION, PLUGIN_GROUP, konfiguru_version

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*\Z")


@dataclass(frozen=True)
class Plugin:
    """What a ``konfiguru.kinds`` entry point refers to.

    Attributes:
        name: lower-case letters, digits and '-' (``edgedevice``).
        version: the plugin's version (PEP 440, ``1.2.0``).
        konfiguru: the Konfiguru versions it works with, a PEP 440 specifier (``>=0.1,<0.2``).
        kinds: the kinds it adds (at least one).
        description: one line for ``konfiguru plugins``.
    """

    name: str
    version: str
    konfiguru: str
    kinds: tuple[KindDefinition, ...]
    description: str = ""


@dataclass(frozen=True)
class PluginStatus:
    """One installed entry point: loaded, or why not."""

    entry_point: str
    distribution: str
    name: str
    version: str
    kinds: tuple[str, ...]
    error: str | None = None
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        """``plugin edgedevice 0.1.0 (entry point konfiguru.kinds:edgedevice of dist x)``."""
        return (
            f"plugin {self.name or '?'} {self.version or '?'} (entry point"
            f" {PLUGIN_GROUP}:{self.entry_point} of {self.distribution or 'an unknown package'})"
        )


class PluginError(Exception):
    """Why one plugin cannot be used (the message is shown to users as it is)."""


@dataclass
class Loaded:
    """The outcome of loading every plugin."""

    kinds: dict[str, KindDefinition] = field(default_factory=dict)
    statuses: list[PluginStatus] = field(default_factory=list)


def load(
    builtin: Mapping[str, KindDefinition], entry_points: Iterable[metadata.EntryPoint]
) -> Loaded:
    """Every usable plugin's kinds, and a status per entry point (in ``entry_points`` order)."""
    loaded = Loaded()
    for entry_point in entry_points:
        distribution = _distribution(entry_point)
        name, version, description = "", "", ""
        kinds: tuple[str, ...] = ()
        try:
            plugin = _plugin(entry_point)
            name, version, description = plugin.name, plugin.version, plugin.description
            kinds = _kind_names(plugin.kinds)
            _check_metadata(plugin)
            taken = {**builtin, **loaded.kinds}
            for definition in plugin.kinds:
                _check_kind(definition, taken)
        except PluginError as error:
            loaded.statuses.append(
                PluginStatus(entry_point.name, distribution, name, version, kinds, str(error))
            )
            continue
        loaded.kinds.update({definition.kind: definition for definition in plugin.kinds})
        loaded.statuses.append(
            PluginStatus(entry_point.name, distribution, name, version, kinds, None, description)
        )
    return loaded


def _kind_names(kinds: Any) -> tuple[str, ...]:
    """The kinds a plugin announces, for its status even when it is refused."""
    if not isinstance(kinds, Sequence):
        return ()
    return tuple(str(getattr(kind, "kind", kind)) for kind in kinds)


def _distribution(entry_point: metadata.EntryPoint) -> str:
    dist = entry_point.dist
    return f"{dist.name} {dist.version}" if dist is not None else ""


def _plugin(entry_point: metadata.EntryPoint) -> Plugin:
    try:
        target = entry_point.load()
        if callable(target) and not isinstance(target, Plugin):
            target = target()
    except Exception as error:
        raise PluginError(
            f"cannot load {entry_point.value}: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(target, Plugin):
        raise PluginError(
            f"{entry_point.value} is a {type(target).__name__}, not a"
            " konfiguru_generators.plugins.Plugin"
        )
    return target


def _check_metadata(plugin: Plugin) -> None:
    if not isinstance(plugin.name, str) or not _NAME.match(plugin.name):
        raise PluginError(f"name {plugin.name!r} is not valid: lower-case letters, digits and '-'")
    try:
        Version(str(plugin.version))
    except InvalidVersion as error:
        raise PluginError(
            f"version {plugin.version!r} is not a version (PEP 440, such as 1.2.0)"
        ) from error
    try:
        wanted = SpecifierSet(str(plugin.konfiguru))
    except InvalidSpecifier as error:
        raise PluginError(
            f"konfiguru {plugin.konfiguru!r} is not a version range (PEP 440, such as >=0.1,<0.2)"
        ) from error
    current = konfiguru_version()
    if not wanted.contains(current, prereleases=True):
        raise PluginError(f"needs Konfiguru {wanted}, this is Konfiguru {current}")
    kinds = plugin.kinds
    if not isinstance(kinds, Sequence) or not kinds:
        raise PluginError("kinds is empty: a plugin adds at least one kind")
    for definition in kinds:
        if not isinstance(definition, KindDefinition):
            raise PluginError(f"kinds holds a {type(definition).__name__}, not a KindDefinition")


def _check_kind(definition: KindDefinition, taken: Mapping[str, KindDefinition]) -> None:
    kind = definition.kind
    if not _KIND.match(kind):
        raise PluginError(f"kind {kind!r} is not a kind name (UpperCamelCase letters and digits)")
    if kind in taken:
        raise PluginError(f"kind {kind} is already registered (by Konfiguru or another plugin)")
    if any(other.plural == definition.plural for other in taken.values()):
        raise PluginError(f"kind {kind}: plural {definition.plural!r} is already registered")
    for child in definition.child_kinds:
        if not _KIND.match(child):
            raise PluginError(f"kind {kind}: child kind {child!r} is not a kind name")
    for check in (_check_templates, _check_crd):
        check(definition)


def _check_templates(definition: KindDefinition) -> None:
    # Imported here: rendering imports nothing of the registry, and most callers never need it.
    from .rendering import package_environment

    try:
        names = package_environment(definition.package).list_templates(extensions=["j2"])
    except Exception as error:
        raise PluginError(
            f"kind {definition.kind}: no templates in package {definition.package!r}: {error}"
        ) from error
    if not any(name.startswith(f"{definition.template_dir}/") for name in names):
        raise PluginError(
            f"kind {definition.kind}: package {definition.package!r} has no templates in"
            f" templates/{definition.template_dir}/"
        )


def _check_crd(definition: KindDefinition) -> None:
    where = f"kind {definition.kind}: crds/{definition.crd_file} of {definition.package}"
    try:
        crd = definition.crd()
    except Exception as error:
        raise PluginError(f"{where} cannot be read: {type(error).__name__}: {error}") from error
    spec = crd.get("spec")
    names = spec.get("names") if isinstance(spec, dict) else None
    if (
        crd.get("kind") != "CustomResourceDefinition"
        or not isinstance(spec, dict)
        or not isinstance(names, dict)
    ):
        raise PluginError(f"{where} is not a CustomResourceDefinition")
    expected = {
        "spec.group": (spec.get("group"), API_GROUP),
        "spec.names.kind": (names.get("kind"), definition.kind),
        "spec.names.plural": (names.get("plural"), definition.plural),
        "spec.scope": (spec.get("scope"), "Namespaced"),
    }
    for path, (found, wanted) in expected.items():
        if found != wanted:
            raise PluginError(f"{where}: {path} is {found!r}, expected {wanted!r}")
    versions = spec.get("versions")
    served = (
        [v for v in versions if isinstance(v, dict) and v.get("name") == API_VERSION]
        if isinstance(versions, list)
        else []
    )
    if not served or not served[0].get("served"):
        raise PluginError(f"{where}: no served version {API_VERSION}")
    if "status" not in (served[0].get("subresources") or {}):
        raise PluginError(
            f"{where}: version {API_VERSION} has no status subresource (the operator reports"
            " conditions there)"
        )
    try:
        problems = crdcheck.check_crd(crd)
    except Exception as error:
        raise PluginError(f"{where} is not valid: {type(error).__name__}: {error}") from error
    if problems:
        shown = "; ".join(str(problem) for problem in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise PluginError(f"{where} would be refused by the API server: {shown}{more}")
    try:
        definition.schema()["properties"]["spec"]
    except (KeyError, TypeError) as error:
        raise PluginError(f"{where}: the {API_VERSION} schema has no spec") from error


def warnings(statuses: Iterable[PluginStatus]) -> list[str]:
    """One line per plugin that could not be used."""
    return [
        f"{status.describe()} is not used: {status.error}"
        for status in statuses
        if status.error is not None
    ]


def failed_kinds(statuses: Iterable[PluginStatus]) -> dict[str, PluginStatus]:
    """Kinds announced by plugins that could not be used, with their plugin's status."""
    return {kind: status for status in statuses if not status.ok for kind in status.kinds}
