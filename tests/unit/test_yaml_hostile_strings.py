"""Strings YAML loves to reinterpret survive the trip through Konfiguru unchanged.

An env value ``no`` must not become ``false``, ``0123`` must not become 83, ``1e3`` must not become
1000.0, ``a: b`` must not become a mapping, and a multi-line, unicode or 10 kB value must come out
byte for byte. Checked on both paths a value takes: ``render()`` (template → JSON-quoted YAML →
the C loader) and the CLI's YAML output parsed back, as ``kubectl apply`` would read it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators import API, render
from konfiguru_generators.cli import main

HOSTILE = kfgtest.YAML_HOSTILE
IDS = [f"{i}:{value[:12]!r}" for i, value in enumerate(HOSTILE)]


def app(values: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "App",
        "metadata": {"name": "hostile", "namespace": "test"},
        "spec": {
            "image": "ghcr.io/acme/app:1.0.0",
            "env": {f"VALUE_{i:02d}": value for i, value in enumerate(values)},
            "config": {
                "data": {f"key-{i:02d}": value for i, value in enumerate(values)},
                "files": [
                    {"name": f"file-{i:02d}.txt", "format": "text", "content": value}
                    for i, value in enumerate(values)
                ],
            },
        },
    }


def env_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container.get("env", []) if "value" in e}


def config_data_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            data.update(obj.get("data") or {})
    return data


def assert_survived(objects: list[dict[str, Any]], values: list[str]) -> None:
    env = env_of(objects)
    data = config_data_of(objects)
    for i, value in enumerate(values):
        assert env.get(f"VALUE_{i:02d}") == value, (
            f"env VALUE_{i:02d}: {env.get(f'VALUE_{i:02d}')!r}"
        )
        assert data.get(f"key-{i:02d}") == value, (
            f"config key-{i:02d}: {data.get(f'key-{i:02d}')!r}"
        )
        assert data.get(f"file-{i:02d}.txt") == value, f"config file-{i:02d}.txt"


@pytest.mark.parametrize("value", HOSTILE, ids=IDS)
def test_hostile_string_survives_render_as_env_and_config_value(value: str) -> None:
    assert_survived(render(app([value])), [value])


def test_all_hostile_strings_survive_the_cli_yaml_output_parsed_back() -> None:
    # In Apps of at most 64 values: spec.config.files holds at most 64 items.
    for start in range(0, len(HOSTILE), 64):
        values = HOSTILE[start : start + 64]
        out, err = io.StringIO(), io.StringIO()
        # Double quotes: PyYAML's own emitter loses a NEL (U+0085) in the single-quoted
        # scalars it would choose; escaped in double quotes it survives (as in the CLI output).
        source = yaml.safe_dump(app(values), allow_unicode=True, default_style='"')
        stdin = io.StringIO(source)
        assert main(["render", "-f", "-"], out=out, err=err, stdin=stdin) == 0, err.getvalue()
        objects = [o for o in yaml.safe_load_all(out.getvalue()) if o]
        assert_survived(objects, values)


def test_hostile_strings_written_by_a_user_in_yaml_reach_the_output_unchanged() -> None:
    # The user's file quotes them; the unquoted forms are YAML's business (no: false), and
    # Konfiguru passes the typed value on as the string Kubernetes needs.
    source = (
        f"apiVersion: {API}\nkind: App\nmetadata: {{name: typed}}\nspec:\n"
        "  image: ghcr.io/acme/app:1.0.0\n"
        "  env: {A: 'no', B: '0123', C: '1e3', D: 'a: b', E: '~'}\n"
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", "-f", "-"], out=out, err=err, stdin=io.StringIO(source)) == 0
    env = env_of([o for o in yaml.safe_load_all(out.getvalue()) if o])
    assert env == {"A": "no", "B": "0123", "C": "1e3", "D": "a: b", "E": "~"}
