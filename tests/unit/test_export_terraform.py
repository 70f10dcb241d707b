"""`konfiguru export --format terraform`: one kubernetes_manifest per child, read back with an HCL
parser (`hcl2`, installed with checkov) and compared with the render."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators.exports import terraform

EXAMPLES = kfgtest.ROOT / "examples"
SEED = str(kfgtest.GOLDEN_SEED_FILE)
GOLDEN = kfgtest.ROOT / "tests" / "golden" / "exports" / "terraform"
_ESCAPE = re.compile(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[nrt"\\])|\$\$\{|%%\{')


def hcl_string(raw: str) -> str:
    """What HCL makes of a quoted template's text (this parser returns it unescaped)."""

    def one(match: re.Match[str]) -> str:
        text = match[0]
        if text in ("$${", "%%{"):
            return text[1:]
        code = match[1]
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}[code]

    return _ESCAPE.sub(one, raw)


def decoded(value: Any) -> Any:
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, dict):
        return {
            hcl_string(k.strip('"')) if k.startswith('"') else k: decoded(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value


def read_back(text: str) -> tuple[list[dict], dict[str, list[str]]]:
    parsed = hcl2.loads(text)
    manifests, depends = [], {}
    for block in parsed["resource"]:
        for name, body in block["kubernetes_manifest"].items():
            manifest = body["manifest"]
            manifests.append(decoded(manifest[0] if isinstance(manifest, list) else manifest))
            depends[name] = [ref.strip("${}") for ref in (body.get("depends_on") or [[]])[0]]
    return manifests, depends


run_cli = kfgtest.run_cli


def export(tmp_path: Path, src: Path) -> Path:
    target = tmp_path / "tf"
    code, _, err = run_cli(
        "export",
        "--format",
        "terraform",
        "-f",
        str(src),
        "-o",
        str(target),
        "--secret-seed-file",
        SEED,
    )
    assert code == 0, err
    return target


def canonical(objects: list[dict]) -> list[str]:
    return sorted(json.dumps(o, sort_keys=True) for o in objects)


def rendered(src: Path, env: str | None = None) -> list[dict]:
    code, out, err = run_cli(
        "render", "-f", str(src), "--secret-seed-file", SEED, *(["--env", env] if env else [])
    )
    assert code == 0, err
    return [doc for doc in yaml.safe_load_all(out) if doc]


def test_every_example_reads_back_as_exactly_its_rendered_children(tmp_path) -> None:
    out = export(tmp_path, EXAMPLES)
    manifests, _ = read_back((out / "main.tf").read_text())
    assert canonical(manifests) == canonical(rendered(EXAMPLES))


def test_each_environment_is_its_own_configuration(tmp_path) -> None:
    src = EXAMPLES / "environments"
    out = export(tmp_path, src)
    for env in ("dev", "prod"):
        manifests, _ = read_back((out / "envs" / env / "main.tf").read_text())
        assert canonical(manifests) == canonical(rendered(src, env))


def test_depends_on_follows_the_apply_order_within_each_resource(tmp_path) -> None:
    _, depends = read_back((export(tmp_path, EXAMPLES / "environments") / "main.tf").read_text())
    assert depends["deployment_shop_storefront"] == ["kubernetes_manifest.service_shop_storefront"]
    assert depends["ingress_shop_storefront"] == ["kubernetes_manifest.deployment_shop_storefront"]
    assert depends["networkpolicy_shop_storefront"] == []


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_any_string_reads_back_as_itself_and_is_never_interpolated(value: str) -> None:
    text = terraform.string(value)
    assert hcl_string(text[1:-1]) == value
    unescaped = text.replace("$${", "").replace("%%{", "")
    assert "${" not in unescaped and "%{" not in unescaped


@pytest.mark.parametrize("case", ["environments", "ml/pytorch-single.kfg.yaml"])
def test_the_terraform_export_is_its_golden_file_set(case: str, tmp_path, update_golden) -> None:
    out = export(tmp_path, EXAMPLES / case)
    golden = GOLDEN / f"{case.split('/')[-1].removesuffix('.kfg.yaml')}.txt"
    kfgtest.assert_golden_tree(out, golden, update_golden)
