"""The operator's template directory (``KONFIGURU_TEMPLATES_DIR``) and its installed plugins.

The same template directory as ``konfiguru render --templates DIR``: overrides and added
templates per kind, rendered by the same generators, so the operator's children equal the
CLI's. Checked once at start (a missing directory, or a file no kind reads, stops the operator
with the reason), and fingerprinted on every render: the render cache must not serve children
of templates that have since changed (a ConfigMap update swaps the mounted files).

Called by ``__main__`` (the start-up check), ``handlers.lifecycle`` (plugin warnings in the log)
and ``reconciler`` (the fingerprint).
"""

from __future__ import annotations

import logging
from pathlib import Path

from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.pipeline import check_templates_dir
from konfiguru_generators.plugins import warnings
from konfiguru_generators.rendering import user_template_files

from .settings import SettingsError

logger = logging.getLogger(__name__)


def check_templates(directory: str) -> None:
    """SettingsError when ``directory`` (if set) is missing or holds a file no kind reads."""
    if not directory:
        return
    if not Path(directory).is_dir():
        raise SettingsError(f"KONFIGURU_TEMPLATES_DIR={directory!r}: no such directory")
    problems = check_templates_dir(directory)
    if problems:
        raise SettingsError(f"KONFIGURU_TEMPLATES_DIR={directory!r}: " + "; ".join(problems))


def templates_fingerprint(directory: str) -> list[tuple[str, int, int]]:
    """Name, size and modification time of every template file: changes when one does."""
    if not directory:
        return []
    root = Path(directory)
    found = []
    for name in user_template_files(directory):
        try:
            stat = (root / name).stat()
        except OSError:  # removed since it was listed: the next render sees the new set
            continue
        found.append((name, stat.st_size, stat.st_mtime_ns))
    return found


def log_plugins() -> None:
    """One log line per plugin: its kinds, or why it is not used (an error; the built-in kinds
    and every other plugin keep working)."""
    for status in REGISTRY.plugin_statuses():
        if status.ok:
            logger.info("%s: watching %s", status.describe(), ", ".join(status.kinds))
    for warning in warnings(REGISTRY.plugin_statuses()):
        logger.error("%s", warning)
