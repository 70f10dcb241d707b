"""spec.parameters reach the engine exactly, or are refused naming the parameter (issue 9.5).

Each engine's file is read back with a reader written from the engine's own source
(``enginereaders.py``): mysqld's option-file reader, Redis's sdssplitargs and PostgreSQL's config
lexer. Hypothesis feeds arbitrary strings; every one is either an error at
``spec.parameters.<name>`` or read back by the engine as exactly that string.
"""

from __future__ import annotations

from typing import Any

import pytest
from dbspec import render_db
from enginereaders import read_my_cnf, read_postgresql_conf, read_redis_conf, sdssplitargs
from hypothesis import example, given, settings
from hypothesis import strategies as st

from konfiguru_generators import SpecError
from konfiguru_generators.configformats import MYSQL_LINE_BYTES
from konfiguru_generators.kinds.database.config import check_parameters, config_data
from konfiguru_generators.kinds.database.engines import ENGINES

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUES = st.one_of(ANY_TEXT, st.booleans(), st.integers(), st.floats(allow_nan=False))


def _file(engine: str, parameters: dict[str, Any]) -> tuple[list[str], str]:
    """(the errors check_parameters gives, the config file text if there are none)."""
    errors = check_parameters(ENGINES[engine], parameters)
    if errors:
        return [str(error) for error in errors], ""
    return [], next(iter(config_data(ENGINES[engine], parameters, 8).values()))


def _refused_at(messages: list[str], name: str) -> bool:
    path = f"spec.parameters.{name}" if name.isidentifier() else f'spec.parameters["{name}"]'
    return len(messages) == 1 and messages[0].startswith(f"{path}: ")


def _as_engine_text(value: Any, true: str, false: str) -> str:
    return (true if value else false) if isinstance(value, bool) else str(value)


# --- MySQL -------------------------------------------------------------------------------------


@settings(max_examples=300)
@given(value=VALUES)
@example(value="a#b")
@example(value="  padded  ")
@example(value='"quoted"')
@example(value="'")
@example(value="C:\\new\\table")
@example(value="ends with a backslash\\")
@example(value="")
@example(value="two\nlines")
@example(value="é ü \u2028 \x0b\x85\xa0")
def test_mysql_reads_every_parameter_exactly_or_it_is_refused_by_name(value: Any) -> None:
    messages, text = _file("mysql", {"init_connect": value})
    if messages:
        assert _refused_at(messages, "init_connect"), messages
        return
    assert read_my_cnf(text)["mysqld"] == {"init_connect": _as_engine_text(value, "ON", "OFF")}


def test_mysql_values_that_were_cut_or_stripped_are_quoted_and_escaped() -> None:
    parameters = {"init_connect": "SET @a = '#1'  ", "ft_boolean_syntax": ' +-><()~*:""&|'}
    _, text = _file("mysql", parameters)
    assert read_my_cnf(text)["mysqld"] == parameters
    assert "init_connect = \"SET @a = '#1'  \"" in text.splitlines()


def test_plain_mysql_values_stay_bare() -> None:
    _, text = _file("mysql", {"max_connections": 300, "innodb_buffer_pool_size": "256M"})
    assert "max_connections = 300" in text and "innodb_buffer_pool_size = 256M" in text


def test_a_mysql_value_longer_than_mysqls_line_buffer_is_refused() -> None:
    (message,) = _file("mysql", {"init_connect": "x" * MYSQL_LINE_BYTES})[0]
    assert message.startswith("spec.parameters.init_connect: ")
    assert f"at most {MYSQL_LINE_BYTES} bytes" in message
    longest = "x" * (MYSQL_LINE_BYTES - len("init_connect = "))
    assert read_my_cnf(_file("mysql", {"init_connect": longest})[1])["mysqld"] == {
        "init_connect": longest
    }


def test_a_line_break_in_a_mysql_parameter_is_refused_through_render() -> None:
    with pytest.raises(SpecError) as caught:
        render_db(engine="mysql", version="8.4", parameters={"init_connect": "a\nb"})
    (error,) = caught.value.errors
    assert (error.path, error.value) == ("spec.parameters.init_connect", "a\nb")
    assert "line break" in error.message and "one line" in error.hint


# --- Redis -------------------------------------------------------------------------------------


@settings(max_examples=300)
@given(value=VALUES)
@example(value='"')
@example(value="'")
@example(value="")
@example(value='it\'s "quoted"')
@example(value="\\x41 is not A")
@example(value="3600 1 300 100")
@example(value="tab\there \x07\x7f")
@example(value="#not a comment")
def test_redis_reads_every_parameter_as_one_exact_argument_or_it_is_refused(value: Any) -> None:
    messages, text = _file("redis", {"logfile": value})
    if messages:
        assert _refused_at(messages, "logfile"), messages
        return
    (directive,) = read_redis_conf(text)
    assert directive == ["logfile", _as_engine_text(value, "yes", "no")]


@settings(max_examples=150)
@given(value=ANY_TEXT)
@example(value="FLUSHALL b840fc02d524045429941cc15f59e41cb7be6c52")
@example(value='CONFIG ""')
def test_rename_command_takes_plain_words_and_redis_reads_those_words(value: str) -> None:
    messages, text = _file("redis", {"rename-command": value})
    if messages:
        assert _refused_at(messages, "rename-command"), messages
        return
    (directive,) = read_redis_conf(text)
    words = ["" if word == '""' else word for word in value.split(" ")]
    assert directive == ["rename-command", *words]


def test_rename_command_with_a_quote_inside_a_word_says_what_is_accepted() -> None:
    (message,) = _file("redis", {"rename-command": 'CONFIG "x'})[0]
    assert "is not rename-command's arguments as plain words" in message
    assert '"" for an empty argument' in message


def test_redis_values_that_broke_the_file_are_quoted() -> None:
    _, text = _file("redis", {"logfile": '"', "syslog-ident": "'", "save": ""})
    lines = text.splitlines()
    assert 'logfile "\\""' in lines and 'syslog-ident "\'"' in lines and 'save ""' in lines
    assert all(sdssplitargs(line.encode()) is not None for line in lines)


def test_plain_redis_values_stay_bare() -> None:
    _, text = _file("redis", {"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-eviction": True})
    assert "maxmemory-policy allkeys-lru\n" in text and "lazyfree-lazy-eviction yes\n" in text


# --- PostgreSQL --------------------------------------------------------------------------------


@settings(max_examples=300)
@given(value=VALUES)
@example(value="it's")
@example(value="C:\\path\\0")
@example(value="# not a comment")
@example(value="1e+20")
@example(value=1e20)
@example(value=-3)
def test_postgres_reads_every_parameter_exactly_or_it_is_refused_by_name(value: Any) -> None:
    messages, text = _file("postgres", {"application_name": value})
    if messages:
        assert _refused_at(messages, "application_name"), messages
        return
    read = read_postgresql_conf(text)
    assert read["application_name"] == _as_engine_text(value, "on", "off")
    assert read["listen_addresses"] == "*"
