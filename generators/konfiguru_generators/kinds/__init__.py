"""The registry of Konfiguru kinds: which CRD, which checks and which renderer each kind uses.

Each kind lives in its own subpackage split by stage: ``checks.py`` (what the CRD schema cannot
say) and ``render.py`` (the defaulted spec to manifests). Called by ``pipeline.py``.
"""

from __future__ import annotations

from .app import DEFINITION as APP
from .base import KindDefinition
from .database import DEFINITION as DATABASE
from .datapipeline import DEFINITION as DATAPIPELINE
from .mlpipeline import DEFINITION as MLPIPELINE

REGISTRY: dict[str, KindDefinition] = {
    definition.kind: definition for definition in (APP, MLPIPELINE, DATABASE, DATAPIPELINE)
}

__all__ = ["REGISTRY", "KindDefinition"]
