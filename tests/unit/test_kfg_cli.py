"""The ``.kfg`` commands of the CLI: compile, fmt, convert, schema, and render/validate of .kfg."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

import kfgtest
from konfiguru_generators.cli import main

SHOP = kfgtest.EXAMPLES / "shop"
SCHEMA_COPY = kfgtest.ROOT / "editors" / "konfiguru.kfg.yaml.schema.json"


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_compile_prints_the_resources_of_a_kfg_file_as_yaml() -> None:
    code, out, _ = run("compile", str(SHOP / "api.kfg"))
    assert code == 0
    assert kfgtest.load_all(out) == kfgtest.documents(SHOP / "api.kfg.yaml")


def test_compile_reports_a_semantic_error_at_the_line_of_the_field() -> None:
    design = kfgtest.FIXTURES / "kfg" / "design" / "database-postgres.kfg"
    code, out, err = run("compile", str(design))
    assert (code, out) == (1, "")
    assert f"{design}:7:3: Database postgres: spec.replicas: 3 replicas > 1" in err
    assert f"{design}:6:12: note: spec.storage.size: 100GB read as the Kubernetes quantity" in err


def test_a_syntax_error_is_one_located_line_and_exit_1() -> None:
    code, _, err = run("compile", "-", stdin="")  # stdin is YAML: nothing to compile
    assert code == 0
    path = kfgtest.FIXTURES / "kfg" / "design" / "cronjob-daily-report.kfg"
    code, _, err = run("validate", "-f", str(path))
    assert code == 1
    assert err.splitlines()[0].startswith(f'{path}:13:3: "successHistory" is not a field')


@pytest.mark.parametrize("name", ["web", "api", "worker", "log-agent"])
def test_render_of_a_kfg_file_is_byte_for_byte_the_render_of_its_yaml(name: str) -> None:
    seed = ("--secret-seed-file", str(kfgtest.GOLDEN_SEED_FILE))
    assert run("render", "-f", str(SHOP / f"{name}.kfg"), *seed)[1] == kfgtest.cli_render_text(
        SHOP / f"{name}.kfg.yaml"
    )


def test_a_directory_renders_each_resource_once_when_kfg_and_compiled_yaml_sit_side_by_side(
    tmp_path: Path,
) -> None:
    shutil.copy(SHOP / "web.kfg", tmp_path / "web.kfg")
    shutil.copy(SHOP / "web.kfg.yaml", tmp_path / "web.kfg.yaml")
    shutil.copy(SHOP / "api.kfg.yaml", tmp_path / "api.kfg.yaml")
    code, out, _ = run("validate", "-f", str(tmp_path))
    assert code == 0 and out.startswith("2 resources valid")


def test_fmt_rewrites_a_file_in_the_canonical_layout_and_keeps_comments(tmp_path: Path) -> None:
    path = tmp_path / "app.kfg"
    path.write_text(
        '# the api\nservice   api{image:"a:1" ,port:80 # main port\nresources{cpu:1,memory:1Gi}}\n'
    )
    assert run("fmt", "--check", str(path))[0] == 1
    assert run("fmt", str(path))[:2] == (0, f"formatted {path}\n")
    assert path.read_text() == (
        '# the api\nservice api {\n  image: "a:1"\n  port: 80  # main port\n'
        "  resources { cpu: 1, memory: 1Gi }\n}\n"
    )
    assert run("fmt", "--check", str(path)) == (0, "", "")


def test_the_kfg_examples_are_formatted() -> None:
    code, out, err = run("fmt", "--check", str(kfgtest.EXAMPLES))
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize("path", sorted(kfgtest.FIXTURES.rglob("*.kfg")), ids=lambda p: p.name)
def test_fmt_is_idempotent_and_keeps_the_meaning(path: Path, tmp_path: Path) -> None:
    # The design documents' examples are kept as the documents wrote them; fmt changes them.
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    run("fmt", str(copy))
    once = copy.read_text()
    assert run("fmt", "--check", str(copy)) == (0, "", "")
    assert copy.read_text() == once
    assert once.count("#") == path.read_text().count("#")  # every comment kept
    before, after = run("compile", str(path)), run("compile", str(copy))
    assert before[:2] == after[:2]


def test_convert_turns_yaml_into_kfg_that_compiles_back(tmp_path: Path) -> None:
    code, out, _ = run("convert", "-f", str(SHOP / "worker.kfg.yaml"))
    assert code == 0 and out.startswith("# Background worker")
    (tmp_path / "worker.kfg").write_text(out)
    code, compiled, _ = run("compile", str(tmp_path / "worker.kfg"))
    assert kfgtest.load_all(compiled) == kfgtest.documents(SHOP / "worker.kfg.yaml")


def test_convert_refuses_what_kfg_cannot_hold_with_the_field_named() -> None:
    yaml_text = "apiVersion: konfiguru.io/v1alpha1\nkind: App\nmetadata: {name: a, uid: x}\n"
    code, _, err = run("convert", "-f", "-", stdin=yaml_text)
    assert code == 1
    assert "App a: metadata.uid cannot be written in .kfg" in err


def test_the_checked_in_editor_schema_is_what_konfiguru_schema_prints() -> None:
    assert run("schema")[1] == SCHEMA_COPY.read_text("utf-8")


def test_the_editor_schema_accepts_every_example_and_rejects_an_unknown_field() -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA_COPY.read_text("utf-8")))
    for _, document in kfgtest.all_resources():
        assert not list(validator.iter_errors(document)), document["metadata"]
    bad = {**kfgtest.documents(SHOP / "web.kfg.yaml")[0]}
    bad["spec"] = {**bad["spec"], "prot": 80}
    assert any("prot" in error.message for error in validator.iter_errors(bad))
