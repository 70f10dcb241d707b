"""Config: key/values as env, files written from data in each format, checksum rolls the pods."""

from __future__ import annotations

import configparser
import json
import tomllib

import pytest
import yaml
from appspec import container, env, errors, one, pod_spec, render

import kfgtest

CHECKSUM = "konfiguru.io/config-checksum"
HOSTILE = kfgtest.YAML_HOSTILE


def pod_annotations(objects: list[dict[str, object]]) -> dict[str, str]:
    return one(objects, "Deployment")["spec"]["template"]["metadata"].get("annotations", {})  # type: ignore[index]


def test_config_data_becomes_a_config_map_and_env_references() -> None:
    objects = render({"config": {"data": {"LOG_LEVEL": "debug"}}})
    assert one(objects, "ConfigMap")["metadata"]["name"] == "web-config"
    assert one(objects, "ConfigMap")["data"] == {"LOG_LEVEL": "debug"}
    assert env(objects)["LOG_LEVEL"] == {
        "configMapKeyRef": {"name": "web-config", "key": "LOG_LEVEL"}
    }


def test_a_config_change_changes_the_checksum_and_an_unchanged_config_keeps_it() -> None:
    first = pod_annotations(render({"config": {"data": {"A": "1"}}}))[CHECKSUM]
    again = pod_annotations(render({"config": {"data": {"A": "1"}}}))[CHECKSUM]
    changed = pod_annotations(render({"config": {"data": {"A": "2"}}}))[CHECKSUM]
    file_changed = pod_annotations(
        render({"config": {"data": {"A": "1"}, "files": [{"name": "a.json", "content": {"x": 1}}]}})
    )[CHECKSUM]
    assert first == again
    assert len({first, changed, file_changed}) == 3


def test_restart_on_change_false_leaves_the_checksum_out() -> None:
    assert CHECKSUM not in pod_annotations(
        render({"config": {"data": {"A": "1"}, "restartOnChange": False}})
    )


def test_files_are_mounted_read_only_and_data_keys_stay_out_of_the_volume() -> None:
    objects = render(
        {
            "config": {
                "data": {"A": "1"},
                "files": [{"name": "app.yaml", "content": {"a": 1}}],
                "mountPath": "/etc/web",
            }
        }
    )
    volume = next(v for v in pod_spec(objects)["volumes"] if v["name"] == "config")
    assert volume["configMap"] == {
        "name": "web-config",
        "items": [{"key": "app.yaml", "path": "app.yaml"}],
    }
    assert {"name": "config", "mountPath": "/etc/web", "readOnly": True} in container(objects)[
        "volumeMounts"
    ]


DATA = {
    "server": {"port": 8080, "host": "0.0.0.0", "tls": True},
    "names": ["a", "b: c"],
    "ratio": 0.5,
}


@pytest.mark.parametrize(
    ("name", "fmt", "parse"),
    [
        ("settings.json", None, json.loads),
        ("settings.yaml", None, yaml.safe_load),
        ("settings.toml", None, tomllib.loads),
        ("settings.conf", "json", json.loads),
    ],
)
def test_structured_files_parse_back_to_the_data_given(
    name: str, fmt: str | None, parse: object
) -> None:
    item: dict[str, object] = {"name": name, "content": DATA}
    if fmt:
        item["format"] = fmt
    text = one(render({"config": {"files": [item]}}), "ConfigMap")["data"][name]
    assert parse(text) == DATA  # type: ignore[operator]


def test_ini_files_parse_back_with_configparser() -> None:
    content = {
        "database": {"host": "db", "port": 5432, "ssl": True, "note": "a = b ; c"},
        "DEFAULT": {"x": "1"},
    }
    text = one(
        render({"config": {"files": [{"name": "app.ini", "content": content}]}}), "ConfigMap"
    )["data"]["app.ini"]
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    assert dict(parser["database"]) == {
        "host": "db",
        "port": "5432",
        "ssl": "true",
        "note": "a = b ; c",
        "x": "1",
    }


def _load_properties(text: str) -> dict[str, str]:
    """A minimal java.util.Properties reader for the escapes the writer uses."""
    result = {}
    for line in text.splitlines():
        key, _, value = _split_unescaped(line)
        result[_unescape(key)] = _unescape(value)
    return result


def _split_unescaped(line: str) -> tuple[str, str, str]:
    index = 0
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == "=":
            return line[:index], "=", line[index + 1 :]
        index += 1
    return line, "", ""


def _unescape(text: str) -> str:
    units: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            units.append(ord(char))
            index += 1
        elif text[index + 1] == "u":
            units.append(int(text[index + 2 : index + 6], 16))
            index += 6
        else:
            units.append(
                ord(
                    {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}.get(
                        text[index + 1], text[index + 1]
                    )
                )
            )
            index += 2
    return b"".join(unit.to_bytes(2, "big") for unit in units).decode("utf-16-be")


def test_properties_files_flatten_nested_data_and_escape_special_characters() -> None:
    content = {
        "spring": {"datasource": {"url": "jdbc:postgresql://db/app"}},
        "greeting": "héllo = wörld # !",
        "key with space": "x",
        "hosts": ["a", "b"],
    }
    text = one(
        render({"config": {"files": [{"name": "app.properties", "content": content}]}}), "ConfigMap"
    )["data"]["app.properties"]
    assert text.isascii()
    assert _load_properties(text) == {
        "spring.datasource.url": "jdbc:postgresql://db/app",
        "greeting": "héllo = wörld # !",
        "key with space": "x",
        "hosts[0]": "a",
        "hosts[1]": "b",
    }


def test_text_files_are_written_verbatim() -> None:
    text = "[SERVICE]\n    Flush 1\n"
    assert (
        one(
            render({"config": {"files": [{"name": "fluent-bit.conf", "content": text}]}}),
            "ConfigMap",
        )["data"]["fluent-bit.conf"]
        == text
    )


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v)[:20] for v in HOSTILE])
def test_yaml_hostile_strings_survive_as_env_and_config_values(value: str) -> None:
    objects = render(
        {
            "env": {"HOSTILE": value},
            "config": {
                "data": {"CFG": value},
                "files": [{"name": "v.yaml", "content": {"v": value}}],
            },
        }
    )
    assert env(objects)["HOSTILE"] == value
    config_map = one(objects, "ConfigMap")["data"]
    assert config_map["CFG"] == value
    assert yaml.safe_load(config_map["v.yaml"]) == {"v": value}


def test_env_numbers_and_booleans_become_strings() -> None:
    assert {
        k: v for k, v in env(render({"env": {"PORT": 8080, "DEBUG": True, "RATIO": 0.5}})).items()
    } == {
        "DEBUG": "true",
        "PORT": "8080",
        "RATIO": "0.5",
    }


def test_unwritable_config_is_reported_with_its_path() -> None:
    messages = errors(
        {
            "config": {
                "data": {"app.yaml": "x"},
                "files": [
                    {"name": "app.yaml", "content": {"a": 1}},
                    {"name": "b.ini", "content": {"top": 1}},
                    {"name": "c.toml", "content": {"a": {"b": None}}},
                    {"name": "d.txt", "content": {"not": "text"}},
                ],
            }
        }
    )
    assert len(messages) == 4
    assert (
        'spec.config.files[0].name: "app.yaml" is also a key of config.data; file names and data keys share one ConfigMap; rename one'  # noqa: E501
        in messages
    )
    assert (
        "spec.config.files[1].content.top: 1 is not a section (ini); INI content is {section: {key: value}}; put top-level keys in a section"  # noqa: E501
        in messages
    )
    assert (
        'spec.config.files[2].content.a.b: null is null, which TOML cannot hold (toml); remove it or use ""'  # noqa: E501
        in messages
    )
    assert any(
        m.startswith('spec.config.files[3].content: {"not": "text"} is not a string (text)')
        for m in messages
    )


def test_an_ini_value_a_reader_would_strip_is_refused_at_its_field_path() -> None:
    files = [
        {"name": "app.ini", "content": {"server": {"banner": " hello "}}},
        {"name": "motd.ini", "content": {"server": {"motd": "line one\n# line two"}}},
    ]
    messages = errors({"config": {"files": files}})
    assert sorted(messages) == [
        'spec.config.files[0].content.server.banner: " hello " starts or ends with whitespace or'
        " a line break, which INI readers strip (ini); INI readers strip each line and drop"
        " comment lines: no leading or trailing whitespace on any line, no line of a multi-line"
        " value starting with '#' or ';', no carriage return",
        'spec.config.files[1].content.server.motd: "line one\\n# line two" has a line starting'
        " with '#' or ';', which INI readers drop as a comment (ini); INI readers strip each line"
        " and drop comment lines: no leading or trailing whitespace on any line, no line of a"
        " multi-line value starting with '#' or ';', no carriage return",
    ]
