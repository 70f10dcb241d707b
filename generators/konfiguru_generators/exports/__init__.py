"""Back ends beyond the cluster: ``konfiguru export --format NAME`` writes a directory of files.

Every format is one module here with one function, ``export(bundle) -> {relative path: text}``,
registered in :data:`FORMATS`: a new format is a new module and one line. An exporter takes the
validated resources and their rendered children (the one pipeline's output, the same the CLI
and the operator produce), per environment, so it never re-implements what a resource means.

Pure: no I/O; the CLI writes the files. Called by ``cli.py``.
"""

from __future__ import annotations

from . import argo, compose, helm, kustomize, terraform
from .bundle import Bundle, Exporter, Rendered

FORMATS: dict[str, Exporter] = {
    "argo-workflows": argo.export,
    "compose": compose.export,
    "helm": helm.export,
    "kustomize": kustomize.export,
    "terraform": terraform.export,
}

__all__ = ["FORMATS", "Bundle", "Exporter", "Rendered"]
