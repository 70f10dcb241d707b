"""Config file writers: structured data in, text that the format's own parser reads back equal."""

from __future__ import annotations

import configparser
import io
import json
import tomllib
from typing import Any

import pytest
import yaml
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from konfiguru_generators import configformats
from konfiguru_generators.configformats import FormatError, format_for, write

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
SCALARS = st.one_of(
    TEXT,
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=20,
)
MAPPINGS = st.dictionaries(TEXT, DATA, max_size=5)


@settings(max_examples=60)
@given(data=MAPPINGS)
def test_json_yaml_and_toml_read_back_equal_to_the_data(data: dict[str, Any]) -> None:
    assert json.loads(write("json", data)) == data
    assert yaml.safe_load(write("yaml", data)) == data
    assert tomllib.loads(write("toml", data)) == data


@settings(max_examples=40)
@given(
    data=st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,10}", fullmatch=True),
        st.dictionaries(
            st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
            # One-line values a reader keeps; every other string is the next test's.
            TEXT.filter(lambda s: s == s.strip() and "\n" not in s and "\r" not in s),
            max_size=4,
        ),
        max_size=3,
    )
)
def test_ini_reads_back_with_configparser(data: dict[str, dict[str, str]]) -> None:
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(write("ini", data))
    assert {section: dict(parser[section]) for section in parser.sections()} == {
        k: v for k, v in data.items() if k != "DEFAULT"
    }


def _read_ini_file(text: str) -> dict[str, dict[str, str]]:
    """The sections as an application reads the file: configparser's defaults, and the file
    opened in text mode, so "\r" breaks lines as "\n" does (universal newlines)."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_file(io.StringIO(text, newline=None))
    return {section: dict(parser.items(section, raw=True)) for section in parser.sections()}


INI_TEXT = st.one_of(
    TEXT,
    st.lists(st.sampled_from(["a", " ", "\t", "\n", "\r", "#", ";", "[", "]", "=", ":", "é"])).map(
        "".join
    ),
)


@settings(max_examples=300)
@given(section=INI_TEXT, key=INI_TEXT, value=INI_TEXT)
@example(section="s", key="k", value="  padded  ")
@example(section="s", key="k", value="first\n    # kept, not a comment")
@example(section="s", key="k", value="first\n#x")
@example(section="s", key="k", value="carriage\rreturn")
@example(section="s", key="k", value="a\n\nb")
@example(section="s", key="k", value="ends with a line break\n")
@example(section="s", key="k", value="")
def test_ini_keeps_every_string_exactly_or_refuses_it_saying_where(
    section: str, key: str, value: str
) -> None:
    assume(section != "DEFAULT")
    try:
        text = write("ini", {section: {key: value}})
    except FormatError as error:
        assert error.where in (f".{section}", f".{section}.{key}")
        assert error.message and error.hint
        return
    assert _read_ini_file(text) == {section: {key: value}}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("  padded  ", "starts or ends with whitespace or a line break"),
        ("a\n  b", "has a line starting or ending with whitespace"),
        ("a\n# b", "has a line starting with '#' or ';'"),
        ("a\n; b", "has a line starting with '#' or ';'"),
        ("a\rb", "contains a carriage return"),
    ],
)
def test_ini_values_a_reader_would_change_are_refused_with_the_rule(
    value: str, message: str
) -> None:
    with pytest.raises(FormatError) as caught:
        write("ini", {"server": {"banner": value}})
    assert caught.value.where == ".server.banner" and caught.value.value == value
    assert caught.value.message.startswith(message)
    assert "INI readers strip each line" in caught.value.hint


def test_a_multi_line_ini_value_with_an_empty_line_reads_back_whole() -> None:
    text = write("ini", {"motd": {"text": "Welcome\n\n  to\tthe # shop".replace("  ", "")}})
    assert _read_ini_file(text) == {"motd": {"text": "Welcome\n\nto\tthe # shop"}}


def test_toml_quotes_keys_that_are_not_bare_and_keeps_tables_apart() -> None:
    text = write(
        "toml", {"a.b": 1, "": "empty", "server": {"port": 1, "tls": {}}, "list": [{"x": 1}, {}]}
    )
    assert tomllib.loads(text) == {
        "a.b": 1,
        "": "empty",
        "server": {"port": 1, "tls": {}},
        "list": [{"x": 1}, {}],
    }
    assert '"a.b" = 1' in text


def test_yaml_keeps_hostile_strings_strings() -> None:
    data = {"a": "yes", "b": "0123", "c": "null", "d": "1e3", "e": "~", "f": "- x"}
    assert yaml.safe_load(write("yaml", data)) == data


def test_dates_from_yaml_input_are_written_as_iso_strings() -> None:
    import datetime

    assert json.loads(write("json", {"day": datetime.date(2026, 1, 2)})) == {"day": "2026-01-02"}


@pytest.mark.parametrize(
    ("fmt", "content", "where", "message"),
    [
        ("ini", {"s": {"k": {"nested": 1}}}, ".s.k", "cannot be an INI value"),
        ("ini", {"s": {"=bad": 1}}, ".s.=bad", "is not a valid INI key"),
        ("ini", ["x"], "", "is not a mapping"),
        ("toml", {"a": [1, None]}, ".a[1]", "is null, which TOML cannot hold"),
        ("toml", "text", "", "is not a mapping"),
        ("properties", [1], "", "is not a mapping"),
        ("json", {"x": float("inf")}, ".x", "is not a finite number"),
        ("text", {"a": 1}, "", "is not a string"),
    ],
)
def test_data_a_format_cannot_hold_says_where(
    fmt: str, content: Any, where: str, message: str
) -> None:
    with pytest.raises(FormatError) as caught:
        write(fmt, content)
    assert (caught.value.where, caught.value.message) == (where, message)


@pytest.mark.parametrize(
    ("name", "declared", "expected"),
    [
        ("a.json", None, "json"),
        ("a.YML", None, "yaml"),
        ("x.properties", None, "properties"),
        ("nginx.conf", None, "text"),
        ("a.json", "text", "text"),
    ],
)
def test_the_format_comes_from_the_declaration_else_the_extension(
    name: str, declared: str | None, expected: str
) -> None:
    assert format_for(name, declared) == expected
    assert expected in configformats.FORMATS
