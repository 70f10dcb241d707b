"""Secrets from env files: ``konfiguru render --env-file NAME=PATH`` (python-dotenv rules).

The values end in the output only when the user said the output holds secret values
(``--secret-seed-file``); anything a Secret or a container cannot hold is an error naming the
file and line, never a traceback or a silently changed value."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators import envfile
from konfiguru_generators.cli import main

APP = """apiVersion: konfiguru.io/v1alpha1
kind: App
metadata: {name: shop, namespace: shop}
spec:
  image: ghcr.io/acme/shop:1.0.0
  port: 8080
  secrets:
    - name: payments
    - name: tokens
      generate: [{key: token}]
"""


def run(tmp_path: Path, env_text: str | bytes, *extra: str) -> tuple[int, str, str]:
    source = tmp_path / "shop.kfg.yaml"
    source.write_text(APP, "utf-8")
    env = tmp_path / "payments.env"
    if isinstance(env_text, bytes):
        env.write_bytes(env_text)
    else:
        env.write_text(env_text, "utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["render", "-f", str(source), *extra]
    code = main(argv, out=out, err=err, stdin=io.StringIO())
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def seeded(tmp_path: Path) -> list[str]:
    return ["--secret-seed-file", str(kfgtest.GOLDEN_SEED_FILE)]


def payments(out: str) -> dict[str, str]:
    (secret,) = [
        o
        for o in yaml.safe_load_all(out)
        if o and o["kind"] == "Secret" and o["metadata"]["name"] == "payments"
    ]
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def test_an_env_file_becomes_the_secret_the_app_reads(tmp_path: Path) -> None:
    text = "# keys\nexport A=1\nB = 'x $Y' # quoted, not expanded\nC=\"one\\ntwo\"\nD=\n"
    code, out, err = run(
        tmp_path, text, "--env-file", f"payments={tmp_path}/payments.env", *seeded(tmp_path)
    )
    assert code == 0, err
    assert payments(out) == {"A": "1", "B": "x $Y", "C": "one\ntwo", "D": ""}
    assert "holds the values of" in err and "never commit it" in err


def test_without_a_seed_the_values_are_refused_and_nothing_is_printed(tmp_path: Path) -> None:
    code, out, err = run(
        tmp_path, "A=sk_live_secret\n", "--env-file", f"payments={tmp_path}/payments.env"
    )
    assert code == 1 and out == ""
    assert "--secret-seed-file" in err and "secrets[].external" in err
    assert "sk_live_secret" not in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "nothing",
            "no App of the input reads a Secret 'nothing' in spec.secrets (names there:"
            " payments, tokens)",
        ),
        ("tokens", "spec.secrets entry 'tokens' has generate"),
    ],
)
def test_a_name_no_plain_entry_references_is_a_clear_error(
    tmp_path: Path, name: str, message: str
) -> None:
    code, out, err = run(
        tmp_path, "A=1\n", "--env-file", f"{name}={tmp_path}/payments.env", *seeded(tmp_path)
    )
    assert code == 1 and out == ""
    assert message in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A=1\nnot a line\n", "payments.env:2: cannot read 'not a line': expected KEY=value"),
        ("A=1\nB\n", "payments.env:2: B has no value; write B= for an empty one"),
        ("A=1\nA=2\n", "payments.env:2: A is set twice (first on line 1)"),
        ("A=x\x00y\n", "payments.env:1: the value of A holds a NUL character"),
        ("A B=1\n", "cannot read"),
        ("K\u00e9=1\n", "is not a valid Secret key"),
        ("A=" + "x" * (envfile.MAX_BYTES + 1) + "\n", "a Secret holds at most 1048576 bytes"),
        (b"A=\xff\xfe\n", "not UTF-8 text (byte 2)"),
    ],
)
def test_hostile_env_files_are_clear_errors_naming_the_line(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    code, out, err = run(
        tmp_path, text, "--env-file", f"payments={tmp_path}/payments.env", *seeded(tmp_path)
    )
    assert code == 1 and out == ""
    assert message in err, err


def test_a_missing_env_file_and_a_bad_flag_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "", "--env-file", "payments=/nonexistent.env", *seeded(tmp_path))
    assert code == 1 and "--env-file payments=/nonexistent.env: cannot read it" in err
    code, _, err = run(tmp_path, "", "--env-file", "payments", *seeded(tmp_path))
    assert code == 1 and "expected NAME=PATH" in err


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(exclude_characters="\x00\r"), max_size=60))
def test_any_value_written_double_quoted_reads_back_exactly(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    assert envfile.parse(f'KEY="{escaped}"\n', "x.env") == {"KEY": value}


def test_windows_line_endings_read_as_unix_ones() -> None:
    crlf = "A=1\r\nB=\"x y\"\r\nC='z' # note\r\n"
    assert envfile.parse(crlf, "w.env") == envfile.parse(crlf.replace("\r\n", "\n"), "u.env")
    assert envfile.parse(crlf, "w.env") == {"A": "1", "B": "x y", "C": "z"}


def test_an_unterminated_quote_is_an_error_at_its_line_not_a_value_eating_the_file() -> None:
    with pytest.raises(envfile.EnvFileError, match=r"u\.env:2: cannot read 'B=\"open'"):
        envfile.parse('A=1\nB="open\nC=2\n', "u.env")
