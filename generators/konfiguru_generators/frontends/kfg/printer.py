"""Print a ``.kfg`` syntax tree in the one canonical layout (``konfiguru fmt``, ``convert``).

The layout is a function of the tree alone, so formatting is idempotent: two spaces per level,
one entry per line, ``key { ... }`` for every mapping that is a field's value, lists and
mappings inside lists on one line when they fit in 100 columns, a blank line between blocks.
Scalars keep the text they were written with (``100GB`` stays ``100GB``: the formatter never
changes meaning). Comments come back where they were: a comment line before the entry, item or
block that followed it, a trailing comment after the line it ended.

Called by ``frontends/kfg/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .syntax import Block, Comment, Directive, File, ListNode, Mapping, Node, Scalar, key_text

_WIDTH = 100
_INDENT = "  "


@dataclass
class _Printer:
    comments: list[Comment]
    lines: list[str]

    def comments_before(self, line: int | None, indent: str) -> None:
        """Emit the comment lines written before source line ``line`` (all, when None)."""
        while self.comments and (line is None or self.comments[0].position.line < line):
            self.lines.append(indent + self.comments.pop(0).text)

    def trailing(self, line: int | None) -> None:
        """Append the comment written at the end of source line ``line`` to the last line."""
        if line is not None and self.comments and self.comments[0].position.line == line:
            self.lines[-1] += "  " + self.comments.pop(0).text


def format_file(tree: File) -> str:
    """The canonical text of a parsed file, comments included."""
    printer = _Printer(sorted(tree.comments, key=lambda c: c.position), [])
    previous: Directive | Block | None = None
    for statement in tree.statements:
        line = _line_of(statement)
        if previous is not None and (isinstance(statement, Block) or isinstance(previous, Block)):
            printer.lines.append("")
        printer.comments_before(line, "")
        if isinstance(statement, Directive):
            printer.lines.append(f"{statement.word} {key_text(statement.name)}")
            printer.trailing(line)
        else:
            printer.lines.append(f"{statement.keyword} {key_text(statement.name)} {{")
            printer.trailing(line)
            _entries(printer, statement.body, _INDENT)
            printer.lines.append("}")
            printer.trailing(statement.body.end.line if statement.body.end else None)
        previous = statement
    printer.comments_before(None, "")
    return "\n".join(printer.lines).strip("\n") + "\n"


def _line_of(statement: Directive | Block) -> int | None:
    position = (
        statement.word_position if isinstance(statement, Directive) else statement.keyword_position
    )
    return position.line if position else None


def _entries(printer: _Printer, mapping: Mapping, indent: str) -> None:
    for entry in mapping.entries:
        line = entry.key_position.line if entry.key_position else None
        printer.comments_before(line, indent)
        key = key_text(entry.key)
        value = entry.value
        if isinstance(value, Mapping):
            if not value.entries and not _has_comments_inside(printer, value):
                printer.lines.append(f"{indent}{key} {{}}")
            else:
                printer.lines.append(f"{indent}{key} {{")
                printer.trailing(line)
                _entries(printer, value, indent + _INDENT)
                printer.lines.append(f"{indent}}}")
            printer.trailing(value.end.line if value.end else None)
            continue
        _value_lines(printer, f"{indent}{key}: ", value, indent)
    printer.comments_before(mapping.end.line if mapping.end else None, indent)


def _has_comments_inside(printer: _Printer, node: Mapping | ListNode) -> bool:
    if not printer.comments or node.position is None or node.end is None:
        return False
    first = printer.comments[0].position
    return (node.position.line, node.position.column) < (first.line, first.column) and (
        first.line < node.end.line
    )


def _value_lines(printer: _Printer, head: str, value: Node, indent: str) -> None:
    """``head`` followed by a value: on one line when it fits, else one item per line."""
    inline = _inline(value)
    if inline is not None and len(head) + len(inline) <= _WIDTH:
        if not isinstance(value, Scalar) and _has_comments_inside(printer, value):
            inline = None
    if inline is not None and len(head) + len(inline) <= _WIDTH:
        printer.lines.append(head + inline)
        end = value.end if isinstance(value, (ListNode, Mapping)) else value.position
        printer.trailing(end.line if end else None)
        return
    if isinstance(value, ListNode):
        printer.lines.append(head + "[")
        printer.trailing(value.position.line if value.position else None)
        for item in value.items:
            printer.comments_before(_start_line(item), indent + _INDENT)
            _value_lines(printer, indent + _INDENT, item, indent + _INDENT)
            printer.lines[-1] += ","
        printer.comments_before(value.end.line if value.end else None, indent + _INDENT)
        printer.lines.append(indent + "]")
        printer.trailing(value.end.line if value.end else None)
    elif isinstance(value, Mapping):
        printer.lines.append(head + "{")
        printer.trailing(value.position.line if value.position else None)
        _entries(printer, value, indent + _INDENT)
        printer.lines.append(indent + "}")
        printer.trailing(value.end.line if value.end else None)
    else:  # a scalar longer than the line: it stays whole
        printer.lines.append(head + _inline_scalar(value))
        printer.trailing(value.position.line if value.position else None)


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
    parts = []
    for entry in value.entries:
        inner = _inline(entry.value)
        if inner is None:
            return None
        parts.append(f"{key_text(entry.key)}: {inner}")
    return "{" + ", ".join(parts) + "}" if parts else "{}"


def _inline_scalar(value: Scalar) -> str:
    return value.text


