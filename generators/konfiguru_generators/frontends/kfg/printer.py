"""Print a ``.kfg`` syntax tree in the one canonical layout (``konfiguru fmt``, ``convert``).

The layout is a function of the tree alone, so formatting is idempotent: two spaces per level,
one entry per line, ``key { ... }`` for every mapping that is a field's value (on one line
when that is at most 60 characters), lists and mappings inside lists on one line when they
fit in 100 columns, a blank line between blocks.
Scalars keep the text they were written with (``100GB`` stays ``100GB``: the formatter never
changes meaning). Comments come back where they were: a comment line before the entry, item or
block that followed it, a trailing comment after the line it ended.

Called by ``frontends/kfg/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .syntax import (
    Comment,
    Directive,
    Environment,
    File,
    ListNode,
    Mapping,
    Node,
    Scalar,
    Statement,
    key_text,
)

_WIDTH = 100
# A nested block this short (on one line) stays on one line: `tls { issuer: letsencrypt }`.
_SHORT = 60
_INDENT = "  "


@dataclass
class _Printer:
    comments: list[Comment]
    lines: list[str]
    blank: frozenset[int] = frozenset()

    def keep_blank_line(self, after: int | None, before: int | None) -> None:
        """One empty line where the source had any between two entries (groups stay apart)."""
        if after is None or before is None:
            return
        if self.comments and self.comments[0].position.line < before:
            before = self.comments[0].position.line
        if any(after < line < before for line in self.blank):
            self.lines.append("")

    def comments_before(self, line: int | None, indent: str) -> None:
        """Emit the comment lines written before source line ``line`` (all, when None)."""
        while self.comments and (line is None or self.comments[0].position.line < line):
            self.lines.append(indent + self.comments.pop(0).text)

    def trailing(self, line: int | None, unless: int | None = None) -> None:
        """Append the comment written at the end of source line ``line`` to the last line
        (not when the opener's first child, starting on line ``unless``, shares the line)."""
        if line is None or line == unless:
            return
        if self.comments and self.comments[0].position.line == line:
            self.lines[-1] += "  " + self.comments.pop(0).text


def format_file(tree: File) -> str:
    """The canonical text of a parsed file, comments included."""
    printer = _Printer(sorted(tree.comments, key=lambda c: c.position), [], tree.blank_lines)
    _statements(printer, tree.statements, "")
    printer.comments_before(None, "")
    return "\n".join(printer.lines).strip("\n") + "\n"


def _statements(printer: _Printer, statements: Sequence[Statement], indent: str) -> None:
    """Directives, blocks and env blocks, a blank line around each block."""
    previous: Statement | None = None
    for statement in statements:
        line = _line_of(statement)
        if previous is not None and not (
            isinstance(statement, Directive) and isinstance(previous, Directive)
        ):
            printer.lines.append("")
        printer.comments_before(line, indent)
        if isinstance(statement, Directive):
            printer.lines.append(f"{indent}{statement.word} {key_text(statement.name)}")
            printer.trailing(line)
        elif isinstance(statement, Environment):
            printer.lines.append(f"{indent}{statement.word} {key_text(statement.name)} {{")
            first = statement.blocks[0].keyword_position if statement.blocks else None
            printer.trailing(line, first.line if first else None)
            _statements(printer, statement.blocks, indent + _INDENT)
            end = statement.end.line if statement.end else None
            printer.comments_before(end, indent + _INDENT)
            printer.lines.append(f"{indent}}}")
            printer.trailing(end)
        else:
            printer.lines.append(f"{indent}{statement.keyword} {key_text(statement.name)} {{")
            printer.trailing(line, _first_line(statement.body))
            _entries(printer, statement.body, indent + _INDENT)
            printer.lines.append(f"{indent}}}")
            printer.trailing(statement.body.end.line if statement.body.end else None)
        previous = statement


def _line_of(statement: Statement) -> int | None:
    position = (
        statement.word_position if isinstance(statement, Directive) else statement.keyword_position
    )
    return position.line if position else None


def _first_line(node: Mapping | ListNode) -> int | None:
    if isinstance(node, Mapping):
        first = node.entries[0].key_position if node.entries else None
    else:
        first = node.items[0].position if node.items else None
    return first.line if first else None


def _last_line(node: Node) -> int | None:
    end = node.position if isinstance(node, Scalar) else node.end
    return end.line if end else None


def _entries(printer: _Printer, mapping: Mapping, indent: str) -> None:
    previous: int | None = None
    following = [e.key_position.line if e.key_position else None for e in mapping.entries[1:]]
    for entry, next_line in zip(mapping.entries, [*following, None], strict=True):
        line = entry.key_position.line if entry.key_position else None
        printer.keep_blank_line(previous, line)
        previous = _last_line(entry.value)
        printer.comments_before(line, indent)
        key = key_text(entry.key)
        value = entry.value
        if isinstance(value, Mapping):
            inline = None if _has_comments_inside(printer, value) else _inline_entries(value)
            if inline is not None and len(inline) <= _SHORT:
                printer.lines.append(
                    f"{indent}{key} {{ {inline} }}" if inline else f"{indent}{key} {{}}"
                )
            else:
                printer.lines.append(f"{indent}{key} {{")
                printer.trailing(line, _first_line(value))
                _entries(printer, value, indent + _INDENT)
                printer.lines.append(f"{indent}}}")
            printer.trailing(value.end.line if value.end else None)
            continue
        _value_lines(printer, f"{indent}{key}: ", value, indent, next_line)
    printer.comments_before(mapping.end.line if mapping.end else None, indent)


def _has_comments_inside(printer: _Printer, node: Mapping | ListNode) -> bool:
    if not printer.comments or node.position is None or node.end is None:
        return False
    first = printer.comments[0].position
    return (node.position.line, node.position.column) < (first.line, first.column) and (
        first.line < node.end.line
    )


def _value_lines(
    printer: _Printer,
    head: str,
    value: Node,
    indent: str,
    next_line: int | None = None,
    suffix: str = "",
) -> None:
    """``head`` followed by a value: on one line when it fits, else one item per line."""
    inline = _inline(value)
    if not isinstance(value, Scalar) and _has_comments_inside(printer, value):
        inline = None
    if inline is not None and len(head) + len(inline) <= _WIDTH:
        printer.lines.append(head + inline + suffix)
        printer.trailing(_last_line(value), unless=next_line)
        return
    if isinstance(value, ListNode):
        printer.lines.append(head + "[")
        printer.trailing(value.position.line if value.position else None, _first_line(value))
        following = [_start_line(item) for item in value.items[1:]]
        for item, item_next in zip(value.items, [*following, None], strict=True):
            printer.comments_before(_start_line(item), indent + _INDENT)
            _value_lines(printer, indent + _INDENT, item, indent + _INDENT, item_next, ",")
        printer.comments_before(value.end.line if value.end else None, indent + _INDENT)
        printer.lines.append(indent + "]" + suffix)
        printer.trailing(value.end.line if value.end else None, unless=next_line)
    elif isinstance(value, Mapping):
        printer.lines.append(head + "{")
        printer.trailing(value.position.line if value.position else None, _first_line(value))
        _entries(printer, value, indent + _INDENT)
        printer.lines.append(indent + "}" + suffix)
        printer.trailing(value.end.line if value.end else None, unless=next_line)
    else:  # a scalar longer than the line: it stays whole
        printer.lines.append(head + _inline_scalar(value) + suffix)
        printer.trailing(value.position.line if value.position else None, unless=next_line)


def _start_line(node: Node) -> int | None:
    return node.position.line if node.position else None


def _inline(value: Node) -> str | None:
    """The one-line form of a value, or None when it holds a nested block of its own."""
    if isinstance(value, Scalar):
        return _inline_scalar(value)
    if isinstance(value, ListNode):
        parts = [_inline(item) for item in value.items]
        if any(part is None for part in parts):
            return None
        return "[" + ", ".join(part for part in parts if part is not None) + "]"
    entries = _inline_entries(value)
    return None if entries is None else "{" + entries + "}"


def _inline_entries(value: Mapping) -> str | None:
    """``a: 1, b { c: 2 }``: a mapping's entries on one line (a mapping value as a block)."""
    parts = []
    for entry in value.entries:
        if isinstance(entry.value, Mapping):
            inner = _inline_entries(entry.value)
            part = None if inner is None else f"{key_text(entry.key)} {{ {inner} }}"
            if inner == "":
                part = f"{key_text(entry.key)} {{}}"
        else:
            inner = _inline(entry.value)
            part = None if inner is None else f"{key_text(entry.key)}: {inner}"
        if part is None:
            return None
        parts.append(part)
    return ", ".join(parts)


def _inline_scalar(value: Scalar) -> str:
    return value.text
