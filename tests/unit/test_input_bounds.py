"""Input past a limit ends in a clear error naming the limit, never a RecursionError or a hang.

The shapes from issue 9: 2,000 nested ``[`` in ``spec.affinity``, 3,000 nested mappings, an
800-deep config file, a self-referencing alias, and alias bombs ("billion laughs") in
``affinity``, ``env``, a config file and a Database's ``parameters``. Each arrives three ways:
YAML on stdin and in a file (the CLI's reader refuses it from the parser's events, with
``file:line:column`` and the field path) and as a Python dict (what the operator hands the
pipeline: ``pipeline.parse`` refuses it with a FieldError path). A pytest timeout stands guard
against a hang: before the bounds, the bombs ran for more than 20 s.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from konfiguru_generators import API, SpecError, render
from konfiguru_generators.bounds import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_VALUES
from konfiguru_generators.cli import main

pytestmark = pytest.mark.timeout(30)

APP_HEAD = f"apiVersion: {API}\nkind: App\nmetadata: {{name: web}}\nspec:\n  image: nginx:1.27\n"
DB_HEAD = (
    f"apiVersion: {API}\nkind: Database\nmetadata: {{name: db}}\nspec:\n"
    "  engine: postgres\n  version: '17'\n  storage: {size: 1Gi}\n"
)


def bomb(indent: str, levels: int = 9) -> str:
    """Anchors each holding ten aliases of the one before: 10**levels values when expanded."""
    lines = [f"{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"{indent}l{level}: &l{level} [{refs}]\n")
    return "".join(lines)


def config_file(content: str) -> str:
    return f"  config:\n    files:\n    - name: settings.yaml\n      content:\n{content}"


HOSTILE_YAML = {
    "2,000 nested [ in affinity": (
        APP_HEAD + "  affinity: " + "[" * 2000 + "]" * 2000 + "\n",
        f"spec.affinity{'[0]' * (MAX_DEPTH - 3)}",
        f"nests deeper than {MAX_DEPTH} levels (the limit)",
    ),
    "3,000 nested mappings in affinity": (
        APP_HEAD + "  affinity: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "spec.affinity.a.a.a",
        f"nests deeper than {MAX_DEPTH} levels (the limit)",
    ),
    "an 800-deep config file": (
        APP_HEAD + config_file("        " + "{k: " * 800 + "v" + "}" * 800 + "\n"),
        "spec.config.files[0].content.k.k",
        f"nests deeper than {MAX_DEPTH} levels (the limit)",
    ),
    "a self-referencing alias in affinity": (
        APP_HEAD + "  affinity: &a {x: *a}\n",
        "spec.affinity.x",
        "the alias *a refers to a value that contains it",
    ),
    "a self-referencing merge key": (
        APP_HEAD + "  affinity: &a {<<: *a}\n",
        "spec.affinity.<<",
        "the alias *a refers to a value that contains it",
    ),
    "an alias bomb in affinity": (
        APP_HEAD + "  affinity:\n" + bomb("    "),
        "spec.affinity.l5",
        f"holds more than {MAX_VALUES:,} values (the limit",
    ),
    "an alias bomb in env": (
        APP_HEAD + "  env:\n" + bomb("    "),
        "spec.env.l5",
        f"holds more than {MAX_VALUES:,} values (the limit",
    ),
    "an alias bomb in a config file": (
        APP_HEAD + config_file(bomb("        ")),
        "spec.config.files[0].content.l5",
        f"holds more than {MAX_VALUES:,} values (the limit",
    ),
    "an alias bomb in parameters": (
        DB_HEAD + "  parameters:\n" + bomb("    "),
        "spec.parameters.l5",
        f"holds more than {MAX_VALUES:,} values (the limit",
    ),
    "a deep value reached through an alias": (
        APP_HEAD
        + "  labels: &deep "
        + "[" * 60
        + "]" * 60
        + "\n  affinity: "
        + "{a: " * 50
        + "*deep"
        + "}" * 50
        + "\n",
        "spec.affinity.a.a",
        f"the alias *deep nests values deeper than {MAX_DEPTH} levels (the limit)",
    ),
}


def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, stdin=io.StringIO(stdin))
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


@pytest.mark.parametrize("case", sorted(HOSTILE_YAML))
def test_hostile_yaml_on_stdin_is_refused_naming_the_limit_and_the_field(case: str) -> None:
    text, path, message = HOSTILE_YAML[case]
    code, err = run(["render", "-f", "-"], text)
    assert code == 1
    assert err.startswith("error: <stdin>:") and f": {path}" in err and message in err, err[:500]


@pytest.mark.parametrize("case", sorted(HOSTILE_YAML))
def test_hostile_yaml_in_a_file_is_refused_with_file_line_and_column(
    case: str, tmp_path: Path
) -> None:
    text, path, message = HOSTILE_YAML[case]
    target = tmp_path / "hostile.kfg.yaml"
    target.write_text(text, "utf-8")
    code, err = run(["validate", "-f", str(target)])
    assert code == 1
    line = err.split(":")[2]
    assert err.startswith(f"error: {target}:") and line.isdigit() and int(line) >= 5, err[:300]
    assert path in err and message in err


def test_a_document_over_the_size_limit_is_refused_before_it_is_built() -> None:
    value = "x" * (MAX_DOCUMENT_BYTES + 1)
    code, err = run(["render", "-f", "-"], APP_HEAD + f"  env: {{A: {value}}}\n")
    assert code == 1
    assert "spec.env.A: the document is larger than 3,145,728 bytes (the limit" in err


def test_documents_within_the_limits_render_aliases_and_merge_keys_included() -> None:
    text = (
        APP_HEAD
        + "  port: 8080\n"
        + "  env: &common {LOG: info, MODE: 'y'}\n"
        + "  annotations: {<<: *common, extra: '1'}\n"
        + "  affinity: "
        + "{a: " * (MAX_DEPTH - 5)
        + "1"
        + "}" * (MAX_DEPTH - 5)
        + "\n"
    )
    code, err = run(["validate", "-f", "-"], text)
    assert code == 0, err


def app(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "App",
        "metadata": {"name": "web"},
        "spec": {"image": "nginx:1.27", **spec},
    }


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def self_referencing() -> dict[str, Any]:
    value: dict[str, Any] = {}
    value["x"] = value
    return value


def shared_bomb() -> list[Any]:
    value: list[Any] = ["lol"] * 10
    for _ in range(8):
        value = [value] * 10  # the same list ten times: 10**9 values when walked
    return value


@pytest.mark.parametrize(
    ("case", "spec", "path", "message"),
    [
        ("3,000 nested mappings", {"affinity": nested(3000)}, "spec.affinity.a.a", "nests deeper"),
        ("a cycle", {"affinity": self_referencing()}, "spec.affinity.x", "contains itself"),
        ("a shared-list bomb", {"env": {"A": shared_bomb()}}, "spec.env.A[0]", f"{MAX_VALUES:,}"),
        (
            "strings over the size limit",
            {"env": {"A": "x" * MAX_DOCUMENT_BYTES, "B": "y"}},
            "spec.env.",
            "larger than 3,145,728 bytes",
        ),
    ],
)
def test_a_resource_dict_past_a_limit_is_a_spec_error_with_its_field_path(
    case: str, spec: dict[str, Any], path: str, message: str
) -> None:
    # The operator hands the pipeline dicts decoded from the API server's JSON: same bounds.
    with pytest.raises(SpecError) as raised:
        render(app(**spec))
    (error,) = raised.value.errors
    assert error.path.startswith(path) and message in error.message, str(error)
    assert raised.value.resource == "App web"
