"""Write structured data as the text of a config file: json, yaml, ini, toml, properties or text.

Users give config files as data (``content: {server: {port: 8080}}``) and Konfiguru writes the
file, so quoting and escaping are always right: ``yes`` stays a string in YAML, a ``#`` in a
properties value does not start a comment, a TOML key with a dot is quoted. Each writer either
returns text its format's reader reads back exactly or raises :class:`FormatError` saying where
the data cannot be written (an INI section holding a nested mapping, an INI value its reader would
strip, a TOML null, ...). The Database engines' settings lines (my.cnf, redis.conf,
postgresql.conf) are written here too, by the same rule. Stdlib plus PyYAML only.

Called by the App checks (to report every unwritable value as a FieldError) and the App renderer
(to fill the ConfigMap), and by the Database kind's parameter checks and config file.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from . import yamltext

FORMATS = ("json", "yaml", "ini", "toml", "properties", "text")
_EXTENSIONS = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".ini": "ini",
    ".toml": "toml",
    ".properties": "properties",
}


class FormatError(Exception):
    """Data that the chosen format cannot hold; ``where`` is a path inside the content."""

    def __init__(self, where: str, value: Any, message: str, hint: str = "") -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.value = value
        self.message = message
        self.hint = hint


def format_for(name: str, declared: str | None) -> str:
    """The format of a file: the declared one, else from its extension, else ``text``."""
    if declared:
        return declared
    lowered = name.lower()
    for extension, fmt in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    return "text"


def _plain(value: Any, where: str) -> Any:
    """Normalise YAML-loaded data to JSON types (dates become ISO strings, as on the server)."""
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                # YAML turns `1: a` or `true: b` into non-string keys; every format wants text.
                key = json.dumps(key) if isinstance(key, bool) else str(key)
            result[key] = _plain(item, f"{where}.{key}")
        return result
    if isinstance(value, list):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(where, str(value), "is not a finite number", "write it as a string")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise FormatError(where, str(value), "cannot be written", "use strings, numbers, lists, maps")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def write_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_yaml(data: Any) -> str:
    # The manifests' own emitter: strings any YAML 1.1 or 1.2 reader would retype are quoted.
    return yamltext.dump(data)


def write_text(data: Any) -> str:
    if not isinstance(data, str):
        raise FormatError(
            "", data, "is not a string", 'text files need a string; or set format "json", "yaml"…'
        )
    return data


# --- INI ---------------------------------------------------------------------------------------
# The reader is Python's configparser with its defaults (RawConfigParser, no inline comments, empty
# lines kept in values), the common denominator of INI readers. A value continues on lines indented
# deeper than its key. configparser strips every line and joins them with "\n"; a stripped line
# that starts with "#" or ";" is a comment, even inside a value; a file opened in text mode breaks
# lines at "\r" as well as "\n". A value that would lose a character to any of these is refused.

_INI_VALUE_HINT = (
    "INI readers strip each line and drop comment lines: no leading or trailing whitespace on any"
    " line, no line of a multi-line value starting with '#' or ';', no carriage return"
)


def _ini_value_problem(text: str) -> str | None:
    if "\r" in text:
        return "contains a carriage return, which INI readers take as a line break"
    if text != text.strip():
        return "starts or ends with whitespace or a line break, which INI readers strip"
    for line in text.split("\n")[1:]:
        if line != line.strip():
            return "has a line starting or ending with whitespace, which INI readers strip"
        if line.startswith(("#", ";")):
            return "has a line starting with '#' or ';', which INI readers drop as a comment"
    return None


def _ini_value(value: Any, where: str) -> str:
    if isinstance(value, (Mapping, list)):
        raise FormatError(
            where, value, "cannot be an INI value", "INI values are strings, numbers or booleans"
        )
    text = _scalar_text(value)
    problem = _ini_value_problem(text)
    if problem:
        raise FormatError(where, text, problem, _INI_VALUE_HINT)
    # configparser continues a value on lines indented deeper than the key; an empty line inside
    # a value stays an empty line of the value.
    return "\n".join(
        f"    {line}" if index and line else line for index, line in enumerate(text.split("\n"))
    )


_INI_KEY = re.compile(r"^[^\s=:\[\];#][^=:\n\r]*\Z")


def _ini_key(key: str, where: str) -> str:
    if not _INI_KEY.match(key) or key != key.strip():
        raise FormatError(
            where,
            key,
            "is not a valid INI key",
            "no '=', ':' or line break; not starting with '[', ';', '#'; no surrounding spaces",
        )
    return key


def write_ini(data: Any) -> str:
    """Sections of key/values; ``DEFAULT`` is written first, as configparser expects."""
    if not isinstance(data, Mapping):
        raise FormatError("", data, "is not a mapping", "INI content is {section: {key: value}}")
    lines: list[str] = []
    order = sorted(data, key=lambda name: name != "DEFAULT")
    for section in order:
        body = data[section]
        if not isinstance(body, Mapping):
            raise FormatError(
                f".{section}",
                body,
                "is not a section",
                "INI content is {section: {key: value}}; put top-level keys in a section",
            )
        if "]" in section or "\n" in section or "\r" in section or not section:
            raise FormatError(
                f".{section}",
                section,
                "is not a valid INI section name",
                "not empty; no ']' or line break",
            )
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        for key, value in body.items():
            where = f".{section}.{key}"
            lines.append(f"{_ini_key(key, where)} = {_ini_value(value, where)}")
    return "\n".join(lines) + "\n"


# --- Java properties -----------------------------------------------------------------------------

_PROPERTIES_SPECIAL = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}


def _properties_escape(text: str, *, key: bool) -> str:
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _PROPERTIES_SPECIAL:
            out.append(_PROPERTIES_SPECIAL[char])
        elif char in "=:#!" and (key or index == 0):
            out.append("\\" + char)
        elif char == " " and (key or index == 0):
            out.append("\\ ")
        elif ord(char) > 0x7E or ord(char) < 0x20:
            # Properties files are ISO-8859-1 for java.util.Properties.load(InputStream).
            out.extend(f"\\u{unit:04x}" for unit in _utf16_units(char))
        else:
            out.append(char)
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    encoded = char.encode("utf-16-be")
    return [int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2)]


def _flatten(data: Any, prefix: str, out: dict[str, Any]) -> None:
    """Nested mappings become dotted keys, lists ``key[0]`` (Spring Boot's convention)."""
    if isinstance(data, Mapping):
        if not data and prefix:
            out[prefix] = ""
        for key, value in data.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _flatten(value, f"{prefix}[{index}]", out)
    else:
        out[prefix] = data


def write_properties(data: Any) -> str:
    if not isinstance(data, Mapping):
        raise FormatError("", data, "is not a mapping", "properties content is {key: value}")
    flat: dict[str, Any] = {}
    _flatten(data, "", flat)
    lines = [
        f"{_properties_escape(key, key=True)}={_properties_escape(_scalar_text(value), key=False)}"
        for key, value in flat.items()
    ]
    return "\n".join(lines) + ("\n" if lines else "")


# --- TOML ----------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+\Z")
_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _escaped(text: str, table: Mapping[str, str], control: str) -> str:
    """``text`` with ``table``'s escapes; other C0 controls and DEL as ``control % code``."""
    return "".join(
        table.get(char) or (control % ord(char) if ord(char) < 0x20 or ord(char) == 0x7F else char)
        for char in text
    )


def _toml_string(text: str) -> str:
    return '"' + _escaped(text, _TOML_ESCAPES, "\\u%04x") + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any, where: str) -> str:
    if value is None:
        raise FormatError(where, value, "is null, which TOML cannot hold", 'remove it or use ""')
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_toml_key(k)} = {_toml_value(v, f'{where}.{k}')}" for k, v in value.items()
        )
        return "{ " + items + " }" if items else "{}"
    raise FormatError(where, value, "cannot be written as TOML")  # pragma: no cover - _plain


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _toml_table(data: Mapping[str, Any], path: list[str], lines: list[str], where: str) -> None:
    # Plain key/values first: after a [table] header every key belongs to that table.
    tables = []
    for key, value in data.items():
        if isinstance(value, Mapping) or _is_table_array(value):
            tables.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value, f'{where}.{key}')}")
    for key, value in tables:
        sub_path = [*path, _toml_key(key)]
        if isinstance(value, Mapping):
            lines.extend(["", f"[{'.'.join(sub_path)}]"] if lines else [f"[{'.'.join(sub_path)}]"])
            _toml_table(value, sub_path, lines, f"{where}.{key}")
        else:
            for index, item in enumerate(value):
                header = f"[[{'.'.join(sub_path)}]]"
                lines.extend(["", header] if lines else [header])
                _toml_table(item, sub_path, lines, f"{where}.{key}[{index}]")


def write_toml(data: Any) -> str:
    if not isinstance(data, Mapping):
        raise FormatError("", data, "is not a mapping", "TOML content is {key: value}")
    lines: list[str] = []
    _toml_table(data, [], lines, "")
    return "\n".join(lines) + "\n"


# --- Database engine settings --------------------------------------------------------------------
# One setting's value as the engine's own config file must spell it, or a FormatError. Called by the
# Database kind (kinds/database/config.py) for its checks and its ConfigMap. Booleans are the
# engine's words; numbers and plain words stay bare, so the common file reads as people write it.

_LINE_BREAKS_AND_NUL = frozenset("\n\r\x00")
_ONE_LINE_HINT = "a setting is one line, without NUL"


def setting_text(value: Any, where: str, true: str, false: str) -> str:
    """A setting's value as text on one line (every engine file is line-based)."""
    if isinstance(value, bool):
        return true if value else false
    text = str(value)
    if _LINE_BREAKS_AND_NUL.intersection(text):
        raise FormatError(where, text, "contains a line break or NUL", _ONE_LINE_HINT)
    return text


# MySQL option files (mysys/my_default.cc, "Using Option Files" in the manual): a line is read with
# fgets into a 4096-byte buffer; "#" starts a comment outside quotes; spaces around the value are
# stripped; one pair of matching quotes around it is removed; then \n \t \r \b \s \" \' \\
# are escapes and any other backslash stays. A quoted value with escapes keeps every character;
# a line longer than the buffer would be read as two lines.
MYSQL_LINE_BYTES = 4093
_MYSQL_BARE = re.compile(r"^[!$-&(-\[\]-~]([ !$-&(-\[\]-~]*[!$-&(-\[\]-~])?\Z")
_MYSQL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\b": "\\b"}


def mysql_option_line(name: str, value: Any, where: str) -> str:
    """``name = value`` for a my.cnf group, the value quoted and escaped unless it is plain."""
    text = setting_text(value, where, "ON", "OFF")
    if not _MYSQL_BARE.match(text):
        text = '"' + "".join(_MYSQL_ESCAPES.get(char, char) for char in text) + '"'
    line = f"{name} = {text}"
    if len(line.encode()) > MYSQL_LINE_BYTES:
        raise FormatError(
            where,
            text,
            f"makes a {len(line.encode())}-byte line: MySQL reads option files in lines of at"
            f" most {MYSQL_LINE_BYTES} bytes",
            "shorten the value",
        )
    return line


# redis.conf (config.c loadServerConfigFromString, sds.c sdssplitargs): each line is trimmed and
# split into arguments; inside double quotes \xHH, \n, \r, \t, \b, \a are escapes and a
# backslash takes the next character literally; a closing quote must end the argument. A value is
# one argument, as CONFIG SET takes it (Redis 7 and later split a one-argument "save 3600 1 300
# 100" themselves); the directives Redis reads as several arguments in every version take words
# separated by single spaces, "" being an empty one (rename-command CONFIG "").
REDIS_WORD_DIRECTIVES = frozenset({"rename-command", "user", "loadmodule"})
_REDIS_BARE = re.compile(r"^[!#-&(-\[\]-~]+\Z")
_REDIS_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\b": "\\b", "\a": "\\a"}


def _redis_quoted(text: str) -> str:
    return '"' + _escaped(text, _REDIS_ESCAPES, "\\x%02x") + '"'


def redis_directive_line(name: str, value: Any, where: str) -> str:
    """``name value`` for redis.conf: the value one argument, quoted unless it is one plain word."""
    text = setting_text(value, where, "yes", "no")
    if name in REDIS_WORD_DIRECTIVES:
        words = text.split(" ")
        if not all(_REDIS_BARE.match(word) or word == '""' for word in words):
            raise FormatError(
                where,
                text,
                f"is not {name}'s arguments as plain words",
                "words of printable ASCII without quotes or backslashes, separated by single"
                ' spaces; "" for an empty argument, e.g. "CONFIG \\"\\"" to disable CONFIG',
            )
        return f"{name} {text}"
    return f"{name} {text if _REDIS_BARE.match(text) else _redis_quoted(text)}"


# postgresql.conf (guc-file.l): a quoted value may hold anything but a line break; '' is a quote
# and \\ a backslash inside it. Numbers stay bare where the lexer reads them as one token.
_PG_NUMBER = re.compile(r"^-?([0-9]+|[0-9]*\.[0-9]+|[0-9]+\.[0-9]*)\Z")


def postgres_setting_line(name: str, value: Any, where: str) -> str:
    """``name = value`` for postgresql.conf; strings quoted, booleans on/off."""
    text = setting_text(value, where, "on", "off")
    if isinstance(value, bool) or (isinstance(value, (int, float)) and _PG_NUMBER.match(text)):
        return f"{name} = {text}"
    return f"{name} = '" + text.replace("\\", "\\\\").replace("'", "''") + "'"


_WRITERS: dict[str, Callable[[Any], str]] = {
    "json": write_json,
    "yaml": write_yaml,
    "ini": write_ini,
    "toml": write_toml,
    "properties": write_properties,
    "text": write_text,
}


def write(fmt: str, content: Any) -> str:
    """The file text for ``content`` in ``fmt``; :class:`FormatError` when it cannot be written."""
    if fmt == "text":
        return write_text(content)
    data = _plain(content, "")
    # Every App config file is written twice per render: by the checks (to report what cannot
    # be written and to measure the ConfigMap) and by the renderer. PyYAML's writer is the
    # slow one (tens of µs for a small file), so the text of recent small files is kept, keyed
    # by the JSON of the plain data: equal JSON means equal data, key order included.
    key = json.dumps(data, ensure_ascii=False)
    if len(key) > _REMEMBER_UP_TO:
        return _WRITERS[fmt](data)
    return _write_remembered(fmt, key)


# Bounds the memory of remembered texts: at most 256 entries of at most 16 KiB of JSON each.
_REMEMBER_UP_TO = 16 * 1024


@lru_cache(maxsize=256)
def _write_remembered(fmt: str, key: str) -> str:
    return _WRITERS[fmt](json.loads(key))
