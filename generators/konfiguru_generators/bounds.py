"""The one place that bounds input: nesting depth, alias expansion and size.

Every recursive walk in Konfiguru (schema defaulting, CEL, copies, the config-file writers, the
YAML and JSON emitters) would otherwise end in ``RecursionError`` on a 3,000-deep ``affinity``,
loop on a self-referencing YAML alias (``affinity: &a {x: *a}``), or run for minutes on an
alias bomb whose few lines expand to a billion values. So input is bounded before any of that
runs, with an error naming the limit:

- :func:`check_tree` walks one resource (a dict from any front end: the CLI's YAML, the
  operator's watch events, a Python caller) without recursion and returns a
  :class:`~konfiguru_generators.errors.FieldError` with the field path of the first value past
  a limit. ``pipeline.parse`` calls it for every resource, so the operator is covered too.
- ``yamltext.load_all`` applies the same limits to YAML text while it is still a stream of
  parser events (before any object is built), with ``file:line:column``.

The limits are far above any real resource (the deepest Kubernetes object field is about a
dozen levels; a config file rarely passes twenty) and below what breaks the walks.
"""

from __future__ import annotations

from typing import Any

from .errors import MISSING, FieldError

# Containers nested inside one another, counted from the document's root. Python's default
# recursion limit is 1,000 frames and a walk spends a few per level.
MAX_DEPTH = 100
# Values (mappings, lists and scalars) in one resource, counting every value an alias or a
# shared Python object stands for each time it is reached.
MAX_VALUES = 250_000
# The text of one resource: kube-apiserver refuses request bodies over 3 MiB.
MAX_DOCUMENT_BYTES = 3 * 1024 * 1024


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_tree(value: Any, path: str = "") -> FieldError | None:
    """The first limit ``value`` passes, as a FieldError at its path; None when within bounds.

    Iterative (an explicit stack), so it never recurses however deep ``value`` is, and it stops
    at the first problem, so an alias bomb costs at most ``MAX_VALUES`` steps.
    """
    seen = 0
    text_bytes = 0
    # Containers on the path from the root to the value being visited: a container met again
    # while it is still open refers to itself (``&a {x: *a}`` loads as a cyclic dict).
    open_ids: set[int] = set()
    # (value, path, depth) to visit, or (None, container id, -1) to close a container.
    stack: list[tuple[Any, Any, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth < 0:
            open_ids.discard(where)
            continue
        seen += 1
        if seen > MAX_VALUES:
            return FieldError(
                where or "(document)",
                MISSING,
                f"makes the resource hold more than {MAX_VALUES:,} values (the limit)",
                "aliases count once per use; a YAML alias bomb ends here",
            )
        if isinstance(item, str):
            text_bytes += _utf8_size(item)
            if text_bytes > MAX_DOCUMENT_BYTES:
                return FieldError(
                    where or "(document)",
                    MISSING,
                    f"makes the resource's text larger than {MAX_DOCUMENT_BYTES:,} bytes (the"
                    " limit: kube-apiserver refuses larger requests)",
                )
            continue
        if not isinstance(item, (dict, list)):
            continue
        if id(item) in open_ids:
            return FieldError(
                where or "(document)",
                MISSING,
                "contains itself (a YAML alias to one of its own parents)",
                "write the value out instead of referring back to it",
            )
        if depth >= MAX_DEPTH:
            return FieldError(
                where or "(document)",
                MISSING,
                f"nests deeper than {MAX_DEPTH} levels (the limit)",
            )
        open_ids.add(id(item))
        stack.append((None, id(item), -1))
        if isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                if isinstance(key, str):
                    text_bytes += _utf8_size(key)
                stack.append((child, _join(where, key), depth + 1))
        else:
            for index in range(len(item) - 1, -1, -1):
                stack.append((item[index], _join(where, index), depth + 1))
    return None
