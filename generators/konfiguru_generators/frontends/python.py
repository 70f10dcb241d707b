"""The Python front end: a module written with the ``konfiguru`` DSL, given to the CLI as a file.

``konfiguru render -f app.py`` runs the module and takes the resources it defines: its
``resources`` list when it has one (builders or plain resource dicts), else every module-level
builder, in the order they were defined. A builder is anything with ``to_resource()``; this
module does not import the DSL (generators never depend on a front end above them), so the two
meet only through that method and the ``origin``/``lines`` the builders record: the line of the
module that created each resource and wrote each field, so errors point at ``app.py:LINE``.

Running a user's module is I/O and more: it may do anything Python can. That is why the CLI
accepts ``.py`` only as a file named explicitly with ``-f``, never from a directory it walks
(``EXPLICIT_FRONT_ENDS``), and why this module is on the generators' short list of modules
allowed I/O (``tests/unit/test_generator_contracts.py``). Called by the CLI.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import FrontEndError, Located, Position, SourceDocument

SUFFIX = ".py"


def _problem(source: str, line: int, message: str, hint: str = "") -> FrontEndError:
    return FrontEndError([Located(Position(source, max(line, 1), 1), message, hint)])


def _run(text: str, source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__konfiguru__", "__file__": source}
    try:
        code = compile(text, source, "exec")
    except SyntaxError as error:
        raise FrontEndError(
            [
                Located(
                    Position(source, error.lineno or 1, error.offset or 1),
                    f"invalid Python: {error.msg}",
                )
            ]
        ) from None
    # As `python app.py` does, the module's directory is searched first for its own imports
    # (a shared `common.py` beside it), for the time it runs only.
    directory = str(Path(source).resolve().parent)
    sys.path.insert(0, directory)
    try:
        exec(code, namespace)  # noqa: S102 - the user's own module, named on the command line
    except Exception as error:  # noqa: BLE001 - whatever the module raises is the user's error
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == source]
        line = frames[-1].lineno if frames and frames[-1].lineno else 1
        raise _problem(source, line, f"{type(error).__name__}: {error}") from None
    finally:
        sys.path.remove(directory)
    return namespace


def _is_builder(value: Any) -> bool:
    return callable(getattr(value, "to_resource", None)) and not isinstance(value, type)


def _document(item: Any, source: str, fallback: int) -> SourceDocument:
    body = item.to_resource() if _is_builder(item) else item
    if not isinstance(body, Mapping):
        raise _problem(
            source,
            fallback,
            f"resources holds {type(item).__name__}, not a resource",
            "list builders (App(...), Database(...)) or resource dicts",
        )
    origin = getattr(item, "origin", None)
    lines: Mapping[str, int] = getattr(item, "lines", {})
    line = origin[1] if isinstance(origin, tuple) and origin[0] == source else None
    ours = line is not None
    where = Position(source, line or fallback, 1)
    positions = {path: Position(source, line, 1) for path, line in lines.items()} if ours else {}
    return SourceDocument(dict(body), where, positions)


def load(text: str, source: str) -> list[SourceDocument]:
    """The resources the module defines; FrontEndError at the line where running it failed."""
    namespace = _run(text, source)
    if "resources" in namespace:
        listed = namespace["resources"]
        if not isinstance(listed, (list, tuple)):
            raise _problem(
                source, 1, "resources is not a list", "resources = [App(...), Database(...)]"
            )
        items = list(listed)
    else:
        seen: set[int] = set()
        items = []
        for name, value in namespace.items():
            if not name.startswith("_") and _is_builder(value) and id(value) not in seen:
                seen.add(id(value))
                items.append(value)
    if not items:
        raise _problem(
            source,
            1,
            "the module defines no resources",
            "assign builders at module level (web = App(...)) or list them in resources",
        )
    return [_document(item, source, 1) for item in items]


__all__ = ["SUFFIX", "load"]
