"""The one error type a generator raises for a bad spec.

Every stage (schema defaulting and checks, CEL rules, the per-kind semantic checks) collects
:class:`FieldError` values instead of raising on the first problem, so a user sees every mistake
at once. :class:`SpecError` carries them all. The CLI prints them; the operator turns them into a
``Stalled`` condition. Nothing else is raised for bad input: any other exception is a bug.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Long values (a 10 kB config file) are cut in messages so an error stays readable.
_MAX_VALUE_CHARS = 80


def show_value(value: Any) -> str:
    """Render a bad value the way a user wrote it: JSON-quoted, cut when long."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):  # pragma: no cover - json.dumps with default=str accepts all
        text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return text


class _Missing:
    """The value of a field that is absent (a required field, say)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldError:
    """One problem at one field: where, what was given, why it is wrong, what would work."""

    path: str
    value: Any
    message: str
    hint: str = ""

    def __str__(self) -> str:
        shown = "" if self.value is MISSING else f"{show_value(self.value)} "
        text = f"{self.path}: {shown}{self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class SpecError(Exception):
    """A resource that cannot be rendered, with every :class:`FieldError` found in it."""

    def __init__(self, errors: Sequence[FieldError], resource: str = "") -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        self.resource = resource
        super().__init__(self.message)

    @property
    def message(self) -> str:
        head = f"{self.resource}: " if self.resource else ""
        if len(self.errors) == 1:
            return f"{head}{self.errors[0]}"
        lines = "\n".join(f"  - {error}" for error in self.errors)
        return f"{head}{len(self.errors)} errors:\n{lines}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest accepted word, or listing what is accepted."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return "accepted: " + ", ".join(options)
