"""Label and field selectors as the API server parses them (``labelSelector``, ``fieldSelector``).

Used by :mod:`emulator.server` for list, watch and deletecollection, and by the test facade.
Label selectors support ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k`` and
``!k``. Field selectors support ``=``, ``==`` and ``!=`` on any dotted path of the object
(the real server allows only a per-kind handful such as ``metadata.name``; here any path works).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Matcher = Callable[[Mapping[str, Any]], bool]

_SET_TERM = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_TERM = re.compile(r"^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s,()]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s*$")


class SelectorError(ValueError):
    pass


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current)
    return [t for t in terms if t.strip()]


def equality_terms(selector: str | None) -> list[tuple[str, str]]:
    """The ``key=value`` terms of a label selector (what an index can answer)."""
    if not selector:
        return []
    terms = []
    for term in _split_terms(selector):
        m = _EQ_TERM.match(term)
        if m and m.group(2) in ("=", "=="):
            terms.append((m.group(1), m.group(3)))
    return terms


def _label_check(key: str, op: str, values: frozenset[str]) -> Matcher:
    if op == "in":
        return lambda labels: labels.get(key) in values
    if op == "notin":
        return lambda labels: labels.get(key) not in values
    if op == "!=":
        return lambda labels: labels.get(key) not in values
    if op == "exists":
        return lambda labels: key in labels
    if op == "!exists":
        return lambda labels: key not in labels
    return lambda labels: labels.get(key) in values  # = and ==


def label_matcher(selector: str | None) -> Matcher:
    """A predicate over a ``labels`` mapping."""
    if not selector:
        return lambda labels: True
    checks: list[Matcher] = []
    for term in _split_terms(selector):
        if m := _SET_TERM.match(term):
            key, op, raw = m.groups()
            values = frozenset(v.strip() for v in raw.split(",") if v.strip())
            checks.append(_label_check(key, op, values))
        elif m := _EQ_TERM.match(term):
            key, op, value = m.groups()
            checks.append(_label_check(key, op, frozenset({value})))
        elif m := _EXISTS_TERM.match(term):
            negate, key = m.groups()
            checks.append(_label_check(key, "!exists" if negate else "exists", frozenset()))
        else:
            raise SelectorError(f"unable to parse requirement: {term!r}")
    return lambda labels: all(check(labels) for check in checks)


def _dotted(obj: Mapping[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_matcher(selector: str | None) -> Matcher:
    """A predicate over a whole object."""
    if not selector:
        return lambda obj: True
    checks: list[Matcher] = []
    for term in _split_terms(selector):
        m = _EQ_TERM.match(term)
        if not m:
            raise SelectorError(f"invalid field selector: {term!r}")
        path, op, value = m.groups()
        checks.append(_field_check(path, op == "!=", value))
    return lambda obj: all(check(obj) for check in checks)


def _field_check(path: str, negate: bool, value: str) -> Matcher:
    if negate:
        return lambda obj: _dotted(obj, path) != value
    return lambda obj: _dotted(obj, path) == value


def object_matcher(label_selector: str | None, field_selector: str | None) -> Matcher:
    labels = label_matcher(label_selector)
    fields = field_matcher(field_selector)
    return lambda obj: labels(obj.get("metadata", {}).get("labels") or {}) and fields(obj)
