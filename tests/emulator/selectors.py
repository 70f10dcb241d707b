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


def label_matcher(selector: str | None) -> Matcher:
    """A predicate over a ``labels`` mapping."""
    if not selector:
        return lambda labels: True
    checks: list[Matcher] = []
    for term in _split_terms(selector):
        if m := _SET_TERM.match(term):
            key, op, raw = m.groups()
            values = {v.strip() for v in raw.split(",") if v.strip()}
            if op == "in":
                checks.append(lambda ls, k=key, vs=values: ls.get(k) in vs)
            else:
                checks.append(lambda ls, k=key, vs=values: ls.get(k) not in vs)
        elif m := _EQ_TERM.match(term):
            key, op, value = m.groups()
            if op == "!=":
                checks.append(lambda ls, k=key, v=value: ls.get(k) != v)
            else:
                checks.append(lambda ls, k=key, v=value: ls.get(k) == v)
        elif m := _EXISTS_TERM.match(term):
            negate, key = m.groups()
            if negate:
                checks.append(lambda ls, k=key: k not in ls)
            else:
                checks.append(lambda ls, k=key: k in ls)
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
        if op == "!=":
            checks.append(lambda o, p=path, v=value: _dotted(o, p) != v)
        else:
            checks.append(lambda o, p=path, v=value: _dotted(o, p) == v)
    return lambda obj: all(check(obj) for check in checks)


def object_matcher(label_selector: str | None, field_selector: str | None) -> Matcher:
    labels = label_matcher(label_selector)
    fields = field_matcher(field_selector)
    return lambda obj: labels(obj.get("metadata", {}).get("labels") or {}) and fields(obj)
