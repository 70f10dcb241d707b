"""Front ends: the languages resources can be written in, each compiled to the CRD documents.

The hourglass's top half. YAML is the native form (``cli.py`` reads it); every other language is
one module here exposing the same small interface (``.kfg``: ``kfg/``; a Python module written
with the ``konfiguru`` DSL: ``python.py``)::

    load(text: str, source: str) -> list[SourceDocument]

Each :class:`SourceDocument` is an ordinary resource dict (what ``kubectl apply`` takes) plus a
map from its field paths to source positions, so the one pipeline's errors (which name field
paths) can be shown at ``file:line:column``. Nothing after :func:`load` knows which front end a
resource came from. :data:`FRONT_ENDS` maps file suffixes to loaders; the CLI dispatches by it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Position:
    """A place in a source file, 1-based like compilers print it."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Located:
    """A problem at one source position: what is wrong, and what would be accepted."""

    position: Position
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.position}: {self.message}" + (f"; {self.hint}" if self.hint else "")


class FrontEndError(Exception):
    """Source text that does not compile to resources; every problem found, each located."""

    def __init__(self, problems: list[Located]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.position)
        super().__init__("\n".join(map(str, self.problems)))


def _parent(path: str) -> str:
    """``spec.a[0].b`` → ``spec.a[0]`` → ``spec.a`` → ``spec`` → ``""``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


# Paths every block "writes" at its header; a patch's header does not move the resource's.
_HEADER_PATHS = frozenset({"metadata", "metadata.name", "spec"})


@dataclass(frozen=True)
class SourceDocument:
    """One resource compiled from a front end, with where each of its fields was written."""

    body: dict[str, Any]
    position: Position
    positions: Mapping[str, Position] = field(default_factory=dict)
    notes: tuple[Located, ...] = ()
    # Set for a patch of one environment (``.kfg``'s ``env prod { ... }``): a partial resource,
    # merged into the resource of the same kind and name only by ``render --env prod``.
    environment: str | None = None

    def patched(self, patch: SourceDocument, body: dict[str, Any]) -> SourceDocument:
        """This resource with an environment's patch merged in (``body``): errors about a field
        the patch wrote point at the patch, the others still at this resource."""
        written = {
            path: where for path, where in patch.positions.items() if path not in _HEADER_PATHS
        }
        return SourceDocument(
            body, self.position, {**self.positions, **written}, self.notes + patch.notes
        )

    def locate(self, path: str) -> Position:
        """Where a field path (as SpecError names it) was written, or its nearest parent.

        A missing required field has no position of its own: it is reported where the
        mapping that lacks it was written, or at the block's header.
        """
        while path:
            if path in self.positions:
                return self.positions[path]
            path = _parent(path)
        return self.position


Loader = Callable[[str, str], list[SourceDocument]]


def _kfg_load(text: str, source: str) -> list[SourceDocument]:
    from .kfg import load  # the grammar is built on first use, not when the CLI starts

    return load(text, source)


def _python_load(text: str, source: str) -> list[SourceDocument]:
    from .python import load

    return load(text, source)


FRONT_ENDS: dict[str, Loader] = {".kfg": _kfg_load}
# Languages read only from a file named on the command line, never from a directory the CLI
# walks: a Python module runs the user's code (frontends/python.py), so it runs when asked to.
EXPLICIT_FRONT_ENDS: dict[str, Loader] = {".py": _python_load}

__all__ = [
    "EXPLICIT_FRONT_ENDS",
    "FRONT_ENDS",
    "FrontEndError",
    "Loader",
    "Located",
    "Position",
    "SourceDocument",
]
