"""The registry of Konfiguru kinds: which CRD, which checks and which renderer each kind uses.

Each built-in kind lives in its own subpackage split by stage: ``checks.py`` (what the CRD schema
cannot say) and ``render.py`` (the defaulted spec to manifests). Plugins add kinds through the
``konfiguru.kinds`` entry point group (``plugins.py``); :data:`REGISTRY` holds both, so everything
after it (pipeline, CLI, front ends, policies, operator) treats a plugin's kind like ``App``.

Plugins are loaded on first use of :data:`REGISTRY`, not at import: a plugin imports
``konfiguru_generators`` itself, and a broken one must not break importing Konfiguru.
Called by ``pipeline.py`` and every module that lists kinds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .. import plugins
from ..resources import plugin_entry_points
from .app import DEFINITION as APP
from .base import KindDefinition
from .database import DEFINITION as DATABASE
from .datapipeline import DEFINITION as DATAPIPELINE
from .mlpipeline import DEFINITION as MLPIPELINE

BUILTIN: dict[str, KindDefinition] = {
    definition.kind: definition for definition in (APP, MLPIPELINE, DATABASE, DATAPIPELINE)
}
"""The kinds Konfiguru ships (what ``crds/``, the chart and the committed schemas describe)."""


class KindRegistry(Mapping[str, KindDefinition]):
    """The built-in kinds, then every usable plugin's kinds (loaded once, on first use)."""

    def __init__(self, builtin: Mapping[str, KindDefinition]) -> None:
        self._builtin = dict(builtin)
        self._loaded: plugins.Loaded | None = None
        self._every: dict[str, KindDefinition] = {}

    def _load(self) -> plugins.Loaded:
        # Two threads loading at once both get the same answer; the last one is kept.
        loaded = self._loaded
        if loaded is None:
            loaded = plugins.load(self._builtin, plugin_entry_points())
            self._every = {**self._builtin, **loaded.kinds}
            self._loaded = loaded
        return loaded

    def _all(self) -> dict[str, KindDefinition]:
        self._load()
        return self._every

    def __getitem__(self, kind: str) -> KindDefinition:
        found = self._builtin.get(kind)
        return found if found is not None else self._load().kinds[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def plugin_statuses(self) -> list[plugins.PluginStatus]:
        """Every installed plugin entry point: loaded, or why not."""
        return list(self._load().statuses)

    def plugin_kinds(self) -> dict[str, KindDefinition]:
        """Only the kinds plugins added."""
        return dict(self._load().kinds)

    def reload(self) -> None:
        """Forget the loaded plugins; the next use loads them again (tests install some)."""
        self._loaded = None


REGISTRY = KindRegistry(BUILTIN)

__all__ = ["BUILTIN", "REGISTRY", "KindDefinition", "KindRegistry"]
