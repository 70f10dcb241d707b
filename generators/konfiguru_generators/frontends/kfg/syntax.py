"""The ``.kfg`` syntax tree: ``kfg.lark`` parsed by lark, one transformer method per rule.

The tree knows nothing of kinds or fields: it is blocks, mappings, lists and scalars, each with
its source position. ``compiler.py`` reads it against the CRD schemas; ``printer.py`` prints it
back (``konfiguru fmt``), keeping the comments collected here. A syntax error becomes a
:class:`~konfiguru_generators.frontends.FrontEndError` with ``file:line:column``, the bad text
and what would be accepted there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lark import Lark, Token, Transformer
from lark.common import LexerConf
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.lexer import Lexer, LexerState

from ...resources import package_text
from .. import FrontEndError, Located, Position

_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_WORDS = {"true": True, "false": False, "null": None}


@dataclass
class Scalar:
    """A value as written: ``text`` is the source token, ``value`` what it means."""

    value: Any
    text: str
    quoted: bool
    position: Position | None = None

    @property
    def bare(self) -> bool:
        """Unquoted: the only form the human sugar (``100GB``, ``version: 17``) applies to."""
        return not self.quoted


@dataclass
class ListNode:
    items: list[Node]
    position: Position | None = None
    end: Position | None = None


@dataclass
class Entry:
    """``key: value``, or ``key { ... }`` when ``nested``."""

    key: str
    key_position: Position | None
    value: Node
    nested: bool = False


@dataclass
class Mapping:
    entries: list[Entry]
    position: Position | None = None
    end: Position | None = None


Node = Scalar | ListNode | Mapping


@dataclass
class Directive:
    """``namespace shop``: a word and a name, no body."""

    word: str
    word_position: Position | None
    name: str
    name_position: Position | None


@dataclass
class Block:
    """``service api { ... }``: one resource."""

    keyword: str
    keyword_position: Position | None
    name: str
    name_position: Position | None
    body: Mapping


@dataclass
class Environment:
    """``env prod { service web { replicas: 5 } }``: the blocks one environment patches."""

    word: str
    keyword_position: Position | None
    name: str
    name_position: Position | None
    blocks: list[Block]
    end: Position | None = None


Statement = Directive | Block | Environment


@dataclass(frozen=True)
class Comment:
    position: Position
    text: str


@dataclass
class File:
    statements: list[Statement]
    comments: list[Comment] = field(default_factory=list)
    # Lines holding only white space: the printer keeps one where groups of entries were apart.
    blank_lines: frozenset[int] = frozenset()


def _position(source: str, token: Token) -> Position:
    return Position(source, token.line or 0, token.column or 0)


def scalar_value(token: Token, source: str) -> Any:
    """What a scalar token means: a JSON string, a number, true/false/null, or a plain string."""
    text = str(token)
    if token.type == "STRING":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise FrontEndError(
                [
                    Located(
                        _position(source, token),
                        f"{text} is not a valid string: {error.msg}",
                        'accepted escapes: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
                    )
                ]
            ) from error
    if token.type == "WORD":
        return _WORDS.get(text, text)
    if _INTEGER.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _text(token: Token, source: str) -> str:
    """A name or key as meant: a quoted one decoded, a bare one as written (``true``, ``8080``)."""
    return str(scalar_value(token, source)) if token.type == "STRING" else str(token)


@dataclass
class _Parse:
    """What one parse needs beside the shared parser: the file's name and its comments."""

    source: str
    comments: list[Token] = field(default_factory=list)


# The parse running in this context. The parser (and the transformer inside it) is built once
# and shared, so per-parse state lives here, not on the transformer.
_PARSE: ContextVar[_Parse] = ContextVar("kfg_parse")


class _ToTree(Transformer[Token, File]):
    """One method per rule of ``kfg.lark``, run by the LALR parser as it reduces each rule.

    Building the syntax tree inline (lark's ``transformer=`` option) skips lark's own parse tree
    and a second pass over it; positions come from the tokens (brackets are named terminals),
    so lark's position propagation is off. Together these made parsing about 2x faster
    (bench/kfg_bench.py).
    """

    def start(self, statements: list[Statement]) -> File:
        return File(statements)

    def environment(self, children: list[Any]) -> Environment:
        source = _PARSE.get().source
        word, name, _, *blocks, end = children
        return Environment(
            str(word),
            _position(source, word),
            _text(name, source),
            _position(source, name),
            blocks,
            _position(source, end),
        )

    def directive(self, children: list[Token]) -> Directive:
        source = _PARSE.get().source
        word, name = children
        return Directive(
            str(word), _position(source, word), _text(name, source), _position(source, name)
        )

    def block(self, children: list[Any]) -> Block:
        source = _PARSE.get().source
        word, name, body = children
        return Block(
            str(word), _position(source, word), _text(name, source), _position(source, name), body
        )

    def mapping(self, children: list[Any]) -> Mapping:
        source = _PARSE.get().source
        return Mapping(
            children[1:-1], _position(source, children[0]), _position(source, children[-1])
        )

    def field(self, children: list[Any]) -> Entry:
        source = _PARSE.get().source
        key, value = children
        return Entry(_text(key, source), _position(source, key), _node(value, source))

    def nested(self, children: list[Any]) -> Entry:
        source = _PARSE.get().source
        key, value = children
        return Entry(_text(key, source), _position(source, key), value, nested=True)

    def sequence(self, children: list[Any]) -> ListNode:
        source = _PARSE.get().source
        return ListNode(
            [_node(item, source) for item in children[1:-1]],
            _position(source, children[0]),
            _position(source, children[-1]),
        )


def _node(value: Token | Node, source: str) -> Node:
    """A value of the tree: a scalar token (the grammar inlines them) becomes a :class:`Scalar`."""
    if not isinstance(value, Token):
        return value
    return Scalar(
        scalar_value(value, source), str(value), value.type == "STRING", _position(source, value)
    )


def _collect_comment(token: Token) -> Token:
    _PARSE.get().comments.append(token)
    return token


class _Lexer(Lexer):
    """The grammar's own terminals (``kfg.lark``) as one alternation, scanned in one pass.

    Every terminal of the language starts with a different character class (a word, a number, a
    string, a bracket, ``:`` or ``,``), so the token at a position never depends on the parser's
    state and lark's contextual lexer, which tries the terminals one at a time, only costs time:
    this lexer is a third of a compile. Same tokens, same positions, the same
    UnexpectedCharacters; comments go to the parse's comment list as before.
    """

    __future_interface__ = 2  # lex(lexer_state, parser_state), the text as lark holds it

    def __init__(self, conf: LexerConf) -> None:
        # Longest patterns first is lark's own order; the first char decides between them anyway.
        terminals = sorted(conf.terminals, key=lambda t: -t.pattern.max_width)
        self.pattern = re.compile(
            "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
        )
        self.ignore = frozenset(conf.ignore)
        self.names = [t.name for t in terminals]

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        text = str(lexer_state.text.text if hasattr(lexer_state.text, "text") else lexer_state.text)
        match, position, line, column = self.pattern.match, 0, 1, 1
        while position < len(text):
            found = match(text, position)
            if found is None or found.lastgroup is None:
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, position, line, column, allowed=set(self.names), state=parser_state
                )
            kind, value, end = found.lastgroup, found.group(), found.end()
            newlines = value.count("\n")
            end_line = line + newlines
            end_column = end - text.rfind("\n", 0, end) if newlines else column + len(value)
            if kind not in self.ignore or kind == "COMMENT":
                token = Token(kind, value, position, line, column, end_line, end_column, end)
                if kind == "COMMENT":
                    _collect_comment(token)
                else:
                    yield token
            position, line, column = end, end_line, end_column


@cache
def parser() -> Lark:
    """The LALR parser of ``kfg.lark``, building the syntax tree as it parses (built once)."""
    return Lark(
        package_text("frontends/kfg/kfg.lark"),
        parser="lalr",
        lexer=_Lexer,
        transformer=_ToTree(),
        maybe_placeholders=False,
    )


@cache
def _token(name: str) -> re.Pattern[str]:
    """A terminal of the grammar (WORD, BARE) as a full-match pattern: when text needs quotes."""
    return re.compile(f"(?:{parser().get_terminal(name).pattern.to_regexp()})\\Z")


def key_text(key: str) -> str:
    """A key or name as written: bare when the grammar reads it back as is, else quoted."""
    if _token("WORD").match(key) or _token("BARE").match(key):
        return key
    return json.dumps(key, ensure_ascii=False)


def scalar_text(value: Any) -> str:
    """A value as written, so that reading it back gives the same value of the same type.

    Strings stay bare only when the grammar reads them back as the same string and no sugar
    can apply (a bare ``100GB`` would become ``100G``, a bare ``17`` a number); everything else
    is a JSON string. Raises ValueError for what the language cannot hold (NaN, infinity).
    """
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if not _FLOAT.match(text):
            raise ValueError(f"{text} cannot be written in .kfg (numbers are finite)")
        return text
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string, number, boolean or null")
    if _token("WORD").match(value) and value not in _WORDS:
        return value
    number = _INTEGER.match(value) or _FLOAT.match(value)
    if _token("BARE").match(value) and not number and not value.endswith("B"):
        return value
    return json.dumps(value, ensure_ascii=False)


# What each terminal looks like to a user, for "expected ..." in syntax errors.
_EXPECTED = {
    "WORD": "a word",
    "STRING": 'a "string"',
    "BARE": "a number",
    "LBRACE": '"{"',
    "RBRACE": '"}"',
    "LSQB": '"["',
    "RSQB": '"]"',
    "COLON": '":"',
    "COMMA": '","',
    "$END": "the end of the file",
}


def _expected(names: set[str]) -> str:
    shown = sorted({_EXPECTED.get(name, name) for name in names})
    return "expected " + " or ".join(shown) if shown else ""


def _bad_text(text: str, error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return "end of file"
    line = text.splitlines()[error.line - 1] if 0 < error.line <= len(text.splitlines()) else ""
    bad = re.match(r"\S+", line[error.column - 1 :]) if error.column > 0 else None
    return repr(bad.group(0)) if bad else "this"


def parse(text: str, source: str) -> File:
    """The syntax tree of one ``.kfg`` text, or a FrontEndError at the first syntax error."""
    state = _Parse(source)
    token = _PARSE.set(state)
    try:
        result: File = parser().parse(text)  # type: ignore[assignment]
    except UnexpectedInput as error:
        raise _syntax_error(text, source, error) from None
    finally:
        _PARSE.reset(token)
    # Comments are not in the tree (the grammar ignores them); the printer puts them back.
    result.comments = [
        Comment(_position(source, comment), str(comment).rstrip()) for comment in state.comments
    ]
    result.blank_lines = frozenset(
        number for number, line in enumerate(text.split("\n"), 1) if not line.strip()
    )
    return result


def _end_of_text(text: str, source: str) -> Position:
    """Just after the last character that is not white space: where a missing "}" belongs."""
    content = text.rstrip()
    line_start = content.rfind("\n") + 1
    return Position(source, content.count("\n") + 1, len(content) - line_start + 1)


def _syntax_error(text: str, source: str, error: UnexpectedInput) -> FrontEndError:
    where = Position(source, error.line if error.line > 0 else 1, max(error.column, 1))
    if _bad_text(text, error) == "end of file":
        where = _end_of_text(text, source)
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream or 0
        char = text[offset] if offset < len(text) else ""
        hint = _expected(set(error.allowed or ()))
        if char == "'":
            hint = 'strings use double quotes: "text"'
        elif char not in "{}[]:,":
            hint = 'write values with spaces or special characters in double quotes: "text"'
        return FrontEndError([Located(where, f"unexpected {char!r}", hint)])
    if isinstance(error, (UnexpectedToken, UnexpectedEOF)):
        accepted: Any = error.expected if isinstance(error, UnexpectedEOF) else error.accepts
        accepted = accepted or getattr(error, "expected", None) or ()
        expected = {str(name) for name in accepted}
        hint = _expected(expected)
        if isinstance(error, UnexpectedToken) and error.token.type == "COLON":
            hint += '; a value with ":" in it is written in double quotes: "api:1.0"'
        return FrontEndError([Located(where, f"unexpected {_bad_text(text, error)}", hint)])
    return FrontEndError([Located(where, str(error), "")])  # pragma: no cover - lark's base case
