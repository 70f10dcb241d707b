"""Test readers of the engines' config files, written from the engines' own sources and manuals.

Each reads the text Konfiguru writes the way the engine does, byte for byte, so a round-trip test
can say "the engine sees exactly this value":

* :func:`read_my_cnf`: MySQL option files, ``mysys/my_default.cc`` (search_default_file_with_ext,
  remove_end_comment) and the manual's "Using Option Files": lines read by ``fgets`` into a
  4096-byte buffer (at most 4094 bytes a read), ``#``/``;`` comment lines, ``[group]``, a ``#``
  outside quotes ends the line, spaces around names and values stripped, one pair of matching
  quotes removed, then the escapes ``\\n \\t \\r \\b \\s \\" \\' \\\\`` (any other backslash stays).
* :func:`read_redis_conf`: ``config.c`` loadServerConfigFromString (split at ``\\n``, trim
  ``" \\t\\r\\n"``, skip ``#`` and blank lines) and ``sds.c`` sdssplitargs.
* :func:`read_postgresql_conf`: ``guc-file.l``: ``name [=] value [# comment]`` where the value is
  a quoted string (``''`` and backslash escapes, DeescapeQuotedString) or one bare token.
"""

from __future__ import annotations

import re

C_SPACE = frozenset(b" \t\n\v\f\r")  # isspace() in the C locale; my_isspace() on latin1 for ASCII
BACKSLASH, DQUOTE, SQUOTE, HASH = 0x5C, 0x22, 0x27, 0x23
MYSQL_FGETS_BYTES = 4094  # fgets(buff, sizeof(buff) - 1) with char buff[4096]
_MYSQL_ESCAPES = {
    ord("n"): 0x0A,
    ord("t"): 0x09,
    ord("r"): 0x0D,
    ord("b"): 0x08,
    ord("s"): 0x20,
    DQUOTE: DQUOTE,
    SQUOTE: SQUOTE,
    BACKSLASH: BACKSLASH,
}


def _fgets_lines(data: bytes, size: int) -> list[bytes]:
    lines, pos = [], 0
    while pos < len(data):
        newline = data.find(b"\n", pos)
        stop = len(data) if newline < 0 else newline + 1
        stop = min(stop, pos + size)
        lines.append(data[pos:stop].split(b"\0")[0])
        pos = stop
    return lines


def _remove_end_comment(line: bytes) -> int:
    quote, escape = 0, False
    for index, char in enumerate(line):
        if char in (SQUOTE, DQUOTE) and not escape:
            if not quote:
                quote = char
            elif quote == char:
                quote = 0
        if not quote and char == HASH:
            return index
        escape = bool(quote) and char == BACKSLASH and not escape
    return len(line)


def read_my_cnf(text: str) -> dict[str, dict[str, str | None]]:
    """{group: {option: value}} as mysqld's option-file reader sees ``text``."""
    groups: dict[str, dict[str, str | None]] = {}
    group: str | None = None
    for buff in _fgets_lines(text.encode(), MYSQL_FGETS_BYTES):
        ptr = 0
        while ptr < len(buff) and buff[ptr] in C_SPACE:
            ptr += 1
        if ptr == len(buff) or buff[ptr] in b"#;" or buff[ptr] == ord("!"):
            continue
        if buff[ptr] == ord("["):
            end = buff.find(b"]", ptr + 1)
            if end < 0:
                raise ValueError(f"wrong group definition: {buff!r}")
            while buff[end - 1] in C_SPACE:
                end -= 1
            group = buff[ptr + 1 : end].decode()
            groups.setdefault(group, {})
            continue
        if group is None:
            raise ValueError(f"option without preceding group: {buff!r}")
        line = buff[ptr:]
        line = line[: _remove_end_comment(line)]
        equals = line.find(b"=")
        name_end = equals if equals >= 0 else len(line)
        while name_end > 0 and line[name_end - 1] in C_SPACE:
            name_end -= 1
        name = line[:name_end].decode()
        if equals < 0:
            groups[group][name] = None
            continue
        start = equals + 1
        while start < len(line) and line[start] in C_SPACE:
            start += 1
        end = len(line)
        while line[end - 1] in C_SPACE:
            end -= 1
        end = max(end, start)
        quoted = line[start : start + 1] in (b'"', b"'")
        if quoted and start + 1 < end and line[start] == line[end - 1]:
            start, end = start + 1, end - 1
        value = bytearray()
        index = start
        while index != end:
            if line[index] == BACKSLASH and index != end - 1:
                index += 1
                mapped = _MYSQL_ESCAPES.get(line[index])
                value += bytes([mapped]) if mapped is not None else bytes([BACKSLASH, line[index]])
            else:
                value.append(line[index])
            index += 1
        groups[group][name] = value.decode()
    return groups


_REDIS_ESCAPES = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("a"): 0x07}
_HEX = frozenset(b"0123456789abcdefABCDEF")


def sdssplitargs(line: bytes) -> list[bytes] | None:
    """Redis's argument splitter; ``None`` for unbalanced quotes (Redis refuses the line)."""

    def at(i: int) -> int:
        return line[i] if i < len(line) else 0

    argv: list[bytes] = []
    p = 0
    while True:
        while at(p) and at(p) in C_SPACE:
            p += 1
        if not at(p):
            return argv
        in_double = in_single = done = False
        current = bytearray()
        while not done:
            char = at(p)
            if in_double:
                if char == BACKSLASH and at(p + 1) == ord("x") and {at(p + 2), at(p + 3)} <= _HEX:
                    current.append(int(line[p + 2 : p + 4], 16))
                    p += 3
                elif char == BACKSLASH and at(p + 1):
                    p += 1
                    current.append(_REDIS_ESCAPES.get(at(p), at(p)))
                elif char == DQUOTE:
                    if at(p + 1) and at(p + 1) not in C_SPACE:
                        return None  # a closing quote must be followed by a space or the end
                    done = True
                elif not char:
                    return None
                else:
                    current.append(char)
            elif in_single:
                if char == BACKSLASH and at(p + 1) == SQUOTE:
                    p += 1
                    current.append(SQUOTE)
                elif char == SQUOTE:
                    if at(p + 1) and at(p + 1) not in C_SPACE:
                        return None
                    done = True
                elif not char:
                    return None
                else:
                    current.append(char)
            elif char in (0x20, 0x0A, 0x0D, 0x09, 0):
                done = True
            elif char == DQUOTE:
                in_double = True
            elif char == SQUOTE:
                in_single = True
            else:
                current.append(char)
            if at(p):
                p += 1
        argv.append(bytes(current))


def read_redis_conf(text: str) -> list[list[str]]:
    """Every directive line of ``text`` as Redis splits it into arguments."""
    config = text.encode().split(b"\0")[0]  # strlen()
    directives = []
    for raw in config.split(b"\n"):
        line = raw.strip(b" \t\r\n")
        if not line or line.startswith(b"#"):
            continue
        argv = sdssplitargs(line)
        if argv is None:
            raise ValueError(f"Unbalanced quotes in configuration line: {line!r}")
        directives.append([arg.decode() for arg in argv])
    return directives


_PG_LINE = re.compile(
    r"[ \t\r]*(?P<name>[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?)[ \t\r]*=?[ \t\r]*"
    r"(?P<value>'(?:[^'\\\n]|\\.|'')*'|[^ \t\r#'=]+)[ \t\r]*(#.*)?\Z"
)
_PG_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _pg_unquote(quoted: str) -> str:
    out, index, body = [], 0, quoted[1:-1]
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 1
            char = body[index]
            if char in "01234567":
                digits = re.match(r"[0-7]{1,3}", body[index:])
                assert digits
                out.append(chr(int(digits[0], 8)))
                index += len(digits[0])
                continue
            out.append(_PG_ESCAPES.get(char, char))
        elif char == "'":
            index += 1  # '' inside a string is one quote
            out.append("'")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def read_postgresql_conf(text: str) -> dict[str, str]:
    """{name: value} of ``text`` as PostgreSQL's config lexer reads it (a later line wins)."""
    settings: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip(" \t\r") or line.lstrip(" \t\r").startswith("#"):
            continue
        match = _PG_LINE.match(line)
        if not match:
            raise ValueError(f"syntax error in postgresql.conf line: {line!r}")
        value = match["value"]
        settings[match["name"]] = _pg_unquote(value) if value.startswith("'") else value
    return settings
