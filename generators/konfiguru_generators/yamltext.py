"""The one YAML writer and the one bounded YAML reader.

Writer: every YAML Konfiguru writes — the manifests ``konfiguru render`` prints, and config files
written as YAML inside ConfigMaps — goes through :func:`dump_all` / :func:`dump`. Readers disagree
about which plain (unquoted) scalars are strings: kubectl and Argo CD read YAML with Go's YAML 1.1
style resolver (``y``, ``N``, ``on`` are booleans; ``089``, ``0X1F``, ``0o17``, ``1e3``, ``1_000``,
``0b101`` are numbers), PyYAML follows YAML 1.1 (``1:20`` is 80, ``2001-12-14`` a date), and
yaml.v3, js-yaml or ruamel.yaml follow YAML 1.2 (``1e3`` and ``6.0e3`` are floats). One predicate,
:func:`needs_quotes`, is the union of those resolvers: a string any of them would type as
something else is written quoted, every other string stays plain (so output stays readable).
Strings holding characters that readers treat differently raw (NEL, the Unicode line and
paragraph separators, a byte-order mark, a carriage return, other control characters) are
written double-quoted, where they are escapes; multi-line strings are ``|`` blocks when a block
holds them exactly.

Reader: :func:`load_all` reads YAML text (the CLI's files and stdin) within the limits of
``bounds``, checked on the parser's events before any object is built, so depth, alias bombs
and self-referencing aliases end in :class:`YAMLInputError` naming the limit and the
``line:column``, never in ``RecursionError`` or a hang.

Called by ``cli.py`` (reading input, printing manifests) and ``configformats.py`` (YAML files).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from .bounds import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_VALUES

try:
    _Loader: type[Any] = yaml.CSafeLoader
    _DumperBase: type[Any] = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML wheels ship libyaml on our platforms
    _Loader = yaml.SafeLoader
    _DumperBase = yaml.SafeDumper

_STR = "tag:yaml.org,2002:str"
# Any tag other than str: a plain scalar that resolves to it must be quoted.
_NOT_STR = "tag:konfiguru.io,2026:not-a-string"

# Plain scalars some YAML reader types as a boolean, null, number, timestamp, merge or value key.
# Each alternative names the readers it is there for; case is ignored throughout, which quotes a
# few strings no reader would misread (``yEs``) and misses none that one does.
_NOT_A_STRING = re.compile(
    r"""
    # YAML 1.1 booleans (PyYAML, go-yaml v2 / sigs.k8s.io/yaml), YAML 1.2 booleans and nulls.
      (?: y | n | yes | no | on | off | true | false | null | ~ )
    # YAML 1.1 value and merge keys.
    | = | <<
    # Infinity and not-a-number: YAML 1.1 and 1.2 (.inf, .nan); Go's ParseFloat.
    | [-+]? \. (?: inf | nan )
    | [-+]? (?: inf | infinity | nan )
    # Integers in any base any reader knows: Go's ParseInt with base 0 after go-yaml drops
    # every "_" (0x, 0o, 0b, leading-zero octal, either case), YAML 1.1 (0b, 0x, 0 octal, "_"),
    # YAML 1.2 (0o, 0x).
    | [-+]? _* 0 [box] [0-9a-f_]*
    | [-+]? [0-9_]* [0-9] [0-9_]*
    # Decimal floats: YAML 1.1 (a "." and an optional signed exponent, digits with "_", the
    # spec's own regex even allows several dots: 1.2.3), YAML 1.2 and Go (1e3, 6.0e3, .5, 1E-3).
    | [-+]? (?= [._]* [0-9] ) [0-9_]* \.? [0-9_.]* (?: e [-+]? [0-9_]+ )?
    # Go's ParseFloat also reads hexadecimal floats (0x1p-2).
    | [-+]? 0x [0-9a-f_]* \.? [0-9a-f_]* p [-+]? [0-9_]+
    # YAML 1.1 sexagesimal integers and floats (1:20, 190:20:30.15).
    | [-+]? [0-9][0-9_]* (?: : [0-5]?[0-9] )+ (?: \. [0-9_]* )?
    # Timestamps: YAML 1.1 and Go's time.Parse layouts (2001-12-14, 2001-1-2, 2001-12-14T21:59:43Z,
    # 2001-12-14 21:59:43.10 -5): anything that starts with a date.
    | [0-9]{4} - [0-9]{1,2} - [0-9]{1,2} (?: [t\ \t] .* )?
    """,
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)

# Characters readers fold, normalise or refuse when written raw: C0 controls other than tab and
# newline, DEL and C1 controls (NEL among them), the line and paragraph separators (YAML 1.1
# line breaks, plain characters in YAML 1.2), byte-order marks, non-characters and surrogates.
_NEEDS_ESCAPES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)


def needs_quotes(text: str) -> bool:
    """True when some YAML 1.1 or 1.2 reader would read ``text``, written plain, as no string."""
    return not text or _NOT_A_STRING.fullmatch(text) is not None


class _Dumper(_DumperBase):  # type: ignore[misc]
    """PyYAML's safe dumper with the resolver predicate of every reader, not only PyYAML's."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        tag: str = super().resolve(kind, value, implicit)
        # The emitter writes a scalar plain only when resolving it plain gives its own tag back;
        # answering "not a string" here makes it quote every string some reader misreads.
        if kind is yaml.ScalarNode and implicit[0] and tag == _STR and needs_quotes(value):
            return _NOT_STR
        return tag


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _NEEDS_ESCAPES.search(value):
        style: str | None = '"'
    elif "\n" in value:
        # A Git diff of a config file or script reads line by line; PyYAML falls back to a
        # quoted scalar by itself where a block cannot hold the string exactly.
        style = "|"
    else:
        style = None
    return dumper.represent_scalar(_STR, value, style=style)


_Dumper.add_representer(str, _represent_str)


@dataclass(frozen=True)
class Tagged:
    """A value written with an explicit local tag (``!override [...]``, ``!reset null``), for
    formats that give tags a meaning (compose override files)."""

    tag: str
    value: Any


def _represent_tagged(dumper: yaml.SafeDumper, value: Tagged) -> yaml.Node:
    node: yaml.Node = dumper.represent_data(value.value)
    node.tag = value.tag
    return node


_Dumper.add_representer(Tagged, _represent_tagged)


def dump_all(
    documents: Iterable[Any], *, explicit_start: bool = True, sort_keys: bool = False
) -> str:
    """YAML text of several documents that every reader decodes to exactly ``documents``."""
    text: str = yaml.dump_all(
        documents,
        Dumper=_Dumper,
        sort_keys=sort_keys,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,  # never fold long strings: a folded value is harder to diff in Git
        explicit_start=explicit_start,
    )
    return text


def dump(data: Any, *, sort_keys: bool = False) -> str:
    """YAML text of one document (a config file's content), with no ``---`` line."""
    return dump_all([data], explicit_start=False, sort_keys=sort_keys)


class YAMLInputError(Exception):
    """YAML text that cannot be read, or that passes a limit; the message says where."""


def _start(event: yaml.Event) -> int:
    # The parser gives every event its marks; only hand-built events lack them.
    return event.start_mark.index if event.start_mark else 0


def _end(event: yaml.Event) -> int:
    return event.end_mark.index if event.end_mark else 0


class _Open:
    """A mapping or sequence whose end event has not come yet, and where inside it we are."""

    __slots__ = ("anchor", "deepest", "depth", "is_mapping", "key", "position", "values_before")

    def __init__(self, event: yaml.CollectionStartEvent, values_before: int, depth: int) -> None:
        self.anchor: str | None = event.anchor
        self.is_mapping = isinstance(event, yaml.MappingStartEvent)
        self.values_before = values_before
        self.depth = depth
        self.deepest = depth
        self.position = 0  # nodes seen so far: items of a sequence, keys and values of a mapping
        self.key = "?"  # the last key of a mapping, for error messages

    def segment(self) -> str:
        if self.position == 0:  # just opened: the path ends at the collection itself
            return ""
        if self.is_mapping:
            return f".{self.key}"
        return f"[{max(self.position - 1, 0)}]"


class _Scan:
    """The limits applied to one stream of parser events (see :func:`_check_events`)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.values = 0
        self.start = 0
        self.opened: list[_Open] = []
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, depth below it)

    def fail(self, event: yaml.Event, message: str) -> YAMLInputError:
        mark = event.start_mark
        where = f"{self.source}:{mark.line + 1}:{mark.column + 1}" if mark else self.source
        path = "".join(node.segment() for node in self.opened).lstrip(".")
        return YAMLInputError(f"{where}: {path or '(document)'}: {message}")

    def node(self, event: yaml.Event) -> None:
        """A scalar, alias or collection start: one more node inside the innermost collection."""
        if self.opened:
            parent = self.opened[-1]
            if parent.is_mapping and parent.position % 2 == 0:
                short = isinstance(event, yaml.ScalarEvent) and len(event.value) <= 64
                parent.key = event.value if isinstance(event, yaml.ScalarEvent) and short else "?"
            parent.position += 1

    def count(self, event: yaml.Event, values: int) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise self.fail(
                event,
                f"the document holds more than {MAX_VALUES:,} values (the limit; aliases count"
                " once per use, so an alias bomb ends here)",
            )

    def size(self, event: yaml.Event, end: int) -> None:
        document = self.text[self.start : end]
        # Characters first: cheap, and at most four bytes each in UTF-8.
        if len(document) * 4 <= MAX_DOCUMENT_BYTES:
            return
        size = len(document.encode("utf-8", "surrogatepass"))
        if size > MAX_DOCUMENT_BYTES:
            raise self.fail(
                event,
                f"the document is larger than {MAX_DOCUMENT_BYTES:,} bytes (the limit:"
                " kube-apiserver refuses larger requests)",
            )

    def alias(self, event: yaml.AliasEvent) -> None:
        if any(node.anchor == event.anchor for node in self.opened):
            raise self.fail(
                event,
                f"the alias *{event.anchor} refers to a value that contains it (it would never"
                " end); write the value out instead",
            )
        if event.anchor not in self.anchors:  # an undefined alias: the loader says so
            return
        held, below = self.anchors[event.anchor]
        self.count(event, held)
        depth = len(self.opened) + below
        if depth > MAX_DEPTH:
            raise self.fail(
                event,
                f"the alias *{event.anchor} nests values deeper than {MAX_DEPTH} levels (the"
                " limit)",
            )
        if self.opened:
            self.opened[-1].deepest = max(self.opened[-1].deepest, depth)

    def event(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.values, self.start, self.anchors = 0, _start(event), {}
            return
        if _start(event) - self.start > MAX_DOCUMENT_BYTES:
            # Past the limit in characters, so in bytes too: refused before the rest of a
            # huge document is parsed.
            self.size(event, _start(event))
        if isinstance(event, yaml.DocumentEndEvent):
            self.size(event, _end(event))
        elif isinstance(event, yaml.AliasEvent):
            self.node(event)
            self.alias(event)
        elif isinstance(event, yaml.ScalarEvent):
            self.node(event)
            self.count(event, 1)
            if event.anchor is not None:
                self.anchors[event.anchor] = (1, 0)
        elif isinstance(event, yaml.CollectionStartEvent):
            self.node(event)
            self.count(event, 1)
            self.opened.append(_Open(event, self.values - 1, len(self.opened) + 1))
            if len(self.opened) > MAX_DEPTH:
                raise self.fail(event, f"nests deeper than {MAX_DEPTH} levels (the limit)")
        elif isinstance(event, yaml.CollectionEndEvent):
            node = self.opened.pop()
            if node.anchor is not None:
                held = self.values - node.values_before
                self.anchors[node.anchor] = (held, node.deepest - node.depth + 1)
            if self.opened:
                self.opened[-1].deepest = max(self.opened[-1].deepest, node.deepest)


def _check_events(text: str, source: str) -> None:
    """Raise YAMLInputError at the first event past a limit (or at a syntax error).

    Aliases are expanded by arithmetic, not by copying: an anchor remembers how many values its
    node holds and how deep it goes, and each alias adds that. So a billion-laughs document is
    refused after reading its few lines, and an alias to a node still open (to itself or a
    parent) is refused as the cycle it would build.
    """
    loader = _Loader(text)
    scan = _Scan(text, source)
    try:
        while loader.check_event():
            scan.event(loader.get_event())
    except yaml.YAMLError as error:
        raise YAMLInputError(f"{source}: not valid YAML: {error}") from error
    finally:
        loader.dispose()


def load_all(text: str, source: str) -> list[Any]:
    """Every document in ``text`` (``None`` for an empty one), or YAMLInputError."""
    _check_events(text, source)
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as error:
        raise YAMLInputError(f"{source}: not valid YAML: {error}") from error
