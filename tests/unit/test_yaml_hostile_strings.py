"""Strings YAML loves to reinterpret survive the trip through Konfiguru unchanged.

An env value ``no`` must not become ``false``, ``0123`` must not become 83, ``1e3`` must not become
1000.0, ``a: b`` must not become a mapping, and a multi-line, unicode or 10 kB value must come out
byte for byte. Checked on both paths a value takes: ``render()`` (template → JSON-quoted YAML →
the C loader) and the CLI's YAML output parsed back — by PyYAML (YAML 1.1), by ruamel.yaml (YAML
1.2) and by the real kubectl (Go's reader, as ``kubectl apply`` and Argo CD read it), over a
generated list of strings each reader would otherwise retype (``kfgtest.YAML_AMBIGUOUS``).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators import API, SpecError, render
from konfiguru_generators.cli import main
from konfiguru_generators.configformats import write_yaml
from konfiguru_generators.yamltext import dump_all, needs_quotes

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


# --- every reader: kubectl (Go), PyYAML (YAML 1.1) and ruamel.yaml (YAML 1.2) ------------------

AMBIGUOUS = kfgtest.YAML_AMBIGUOUS


def assert_every_reader_decodes(text: str, objects: list[dict[str, Any]]) -> None:
    """kubectl, PyYAML and a YAML 1.2 reader each give back exactly ``objects`` from ``text``."""
    expected = kfgtest.as_json(objects)
    by_kubectl = kfgtest.kubectl_decode(text)
    assert len(by_kubectl) == len(expected)
    for got, want in zip(by_kubectl, expected, strict=True):
        assert got == want, kfgtest.describe(want)
    assert [o for o in yaml.load_all(text, Loader=yaml.CSafeLoader) if o] == objects
    assert kfgtest.yaml12_load_all(text) == objects


def test_the_quoting_predicate_covers_every_generated_ambiguous_string() -> None:
    assert [value for value in AMBIGUOUS if not needs_quotes(value)] == []


def test_ordinary_strings_stay_plain_so_output_stays_readable() -> None:
    plain = ["web", "nginx:1.27", "100m", "128Mi", "v1.2.3", "1.2.3-rc1", "e5", "1:60", "/data"]
    assert [value for value in plain if needs_quotes(value)] == []
    text = dump_all([{"image": "nginx:1.27", "cpu": "100m"}])
    assert text == "---\nimage: nginx:1.27\ncpu: 100m\n"


def test_every_reader_decodes_ambiguous_strings_as_keys_and_values_as_written() -> None:
    values = AMBIGUOUS + HOSTILE
    objects = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "strings",
                "annotations": {f"a{i}": value for i, value in enumerate(values)},
            },
            "data": {f"k{i}": value for i, value in enumerate(values)},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "keys"},
            "data": {value: "v" for value in AMBIGUOUS},
        },
    ]
    assert_every_reader_decodes(dump_all(objects), objects)


def free_text_app(values: list[str]) -> dict[str, Any]:
    """An App with ``values`` in every kind of field that takes any string."""
    keyed = {f"K{i:03d}": value for i, value in enumerate(values)}
    return {
        "apiVersion": API,
        "kind": "App",
        "metadata": {"name": "ambiguous", "namespace": "test"},
        "spec": {
            "image": "ghcr.io/acme/app:1.0.0",
            "port": 8080,
            "command": values,
            "args": values,
            "env": keyed,
            "annotations": {f"example.com/k{i}": value for i, value in enumerate(values)},
            "serviceAccount": {"annotations": {f"k{i}": value for i, value in enumerate(values)}},
            "ingress": {
                "host": "app.example.com",
                "annotations": {f"example.com/i{i}": value for i, value in enumerate(values)},
            },
            "config": {
                "data": keyed,
                "files": [{"name": "settings.yaml", "content": {"values": values, "by": keyed}}],
            },
        },
    }


def test_ambiguous_strings_in_free_text_fields_reach_every_reader_unchanged() -> None:
    values = AMBIGUOUS + [value for value in HOSTILE if len(value) < 100]
    doc = free_text_app(values)
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(dump_all([doc]))
    assert main(["render", "-f", "-"], out=out, err=err, stdin=stdin) == 0, err.getvalue()
    objects = render(doc)
    assert_every_reader_decodes(out.getvalue(), objects)
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == values and container["args"] == values
    assert env_of(objects) == doc["spec"]["env"]
    assert deployment["metadata"]["annotations"].items() >= doc["spec"]["annotations"].items()
    data = config_data_of(objects)
    keyed = doc["spec"]["config"]["data"]
    assert {key: data[key] for key in keyed} == keyed
    content = doc["spec"]["config"]["files"][0]["content"]
    assert yaml.safe_load(data["settings.yaml"]) == content
    assert kfgtest.yaml12_load_all(data["settings.yaml"]) == [content]


def test_a_config_file_written_as_yaml_reads_the_same_in_go() -> None:
    # A flat mapping of strings is a ConfigMap's data: kubectl then reads the file's own text.
    content = {value: value for value in AMBIGUOUS if value}
    text = write_yaml(content)
    indented = "".join(f"  {line}\n" for line in text.splitlines())
    wrapped = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: f}}\ndata:\n{indented}"
    (decoded,) = kfgtest.kubectl_decode(wrapped)
    assert decoded["data"] == content
    assert yaml.safe_load(text) == content
    assert kfgtest.yaml12_load_all(text) == [content]


def restricted_apps(value: str) -> list[tuple[str, dict[str, Any]]]:
    """One App per field whose values are checked (labels, keys, hosts, time zones, ...)."""
    base = {"image": "ghcr.io/acme/app:1.0.0", "port": 8080}
    job = {"name": "nightly", "schedule": "0 3 * * *", "command": ["true"]}
    specs = {
        "spec.labels": {"labels": {"tier": value}},
        "spec.labels key": {"labels": {value: "x"}},
        "spec.nodeSelector": {"nodeSelector": {"disk": value}},
        "spec.config.data key": {"config": {"data": {value: "x"}}},
        "spec.ingress.host": {"ingress": {"host": value}},
        "spec.schedules[0].timeZone": {"schedules": [{**job, "timeZone": value}]},
        "spec.tolerations[0].value": {
            "tolerations": [{"key": "k", "operator": "Equal", "value": value}]
        },
    }
    return [
        (
            field,
            {
                "apiVersion": API,
                "kind": "App",
                "metadata": {"name": f"r{index}", "namespace": "test"},
                "spec": {**base, **extra},
            },
        )
        for index, (field, extra) in enumerate(specs.items())
    ]


def strings_in(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for key, item in value.items() for s in {key} | strings_in(item)}
    if isinstance(value, list):
        return {s for item in value for s in strings_in(item)}
    return set()


def test_ambiguous_strings_in_checked_fields_are_refused_with_a_path_or_read_back_exactly() -> None:
    rendered: list[dict[str, Any]] = []
    accepted = 0
    for value in AMBIGUOUS:
        for field, doc in restricted_apps(value):
            try:
                objects = render(doc)
            except SpecError as error:
                paths = [e.path for e in error.errors]
                assert any(path.startswith(field.split()[0].split("[")[0]) for path in paths), (
                    f"{field} = {value!r}: {error.message}"
                )
                continue
            accepted += 1
            # An empty value may be left out (the API server drops empty strings too).
            holding = [obj for obj in objects if value in strings_in(obj)]
            assert holding or not value, f"{field} = {value!r} lost"
            # The objects the value reached: every reader must read those back exactly.
            rendered.extend(holding[:2])
    # Labels, keys, hosts and tolerations take most of these (`y`, `089`, `1e3` are valid there).
    assert accepted > len(AMBIGUOUS)
    assert_every_reader_decodes(dump_all(rendered), rendered)
