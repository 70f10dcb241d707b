"""The Database kind: postgres, mysql, mongodb or redis on the official image, as a StatefulSet
with credentials, configuration, backups, monitoring and a network policy.

Modules by stage: ``checks.py`` (what the CRD cannot say), ``render.py`` (manifests), with the
engine facts in ``engines.py`` and one module per concern (``config.py``, ``credentials.py``,
``containers.py``, ``backup.py``, ``replicaset.py``, ``storage.py`` for volume growth).
"""

from __future__ import annotations

from ..base import KindDefinition
from .checks import check
from .render import render

DEFINITION = KindDefinition(
    kind="Database", plural="databases", crd_file="database.yaml", check=check, render=render
)
