"""The `.kfg` language's `env <name> { ... }` blocks: environments written inline, merged exactly
as the files of an `envs/<name>/` directory are (environments.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kfgtest
from konfiguru_generators.frontends import FrontEndError
from konfiguru_generators.frontends.kfg import format_text, load

ENVIRONMENTS = kfgtest.FIXTURES / "kfg" / "environments.kfg"
DIRECTORY = kfgtest.EXAMPLES / "environments"
SEED = ("--secret-seed-file", str(kfgtest.GOLDEN_SEED_FILE))

BASE = """namespace shop

service web {
  image: "web:1"
  port: 8080
  replicas: 2
}
"""


def render(*argv: str) -> str:
    code, out, err = kfgtest.run_cli("render", *argv, *SEED)
    assert code == 0, err
    return out


@pytest.mark.parametrize("env", [None, "dev", "prod"])
def test_env_blocks_render_what_the_base_and_envs_directory_renders(env: str | None) -> None:
    flags = ("--env", env) if env else ()
    assert render("-f", str(ENVIRONMENTS), *flags) == render("-f", str(DIRECTORY), *flags)


def test_without_env_the_env_blocks_are_not_used_and_compile_prints_only_resources() -> None:
    code, out, _ = kfgtest.run_cli("compile", str(ENVIRONMENTS))
    assert code == 0
    compiled = kfgtest.load_all(out)
    assert [d["metadata"]["name"] for d in compiled] == ["storefront", "storefront-db"]
    assert compiled == kfgtest.documents(DIRECTORY / "base" / "shop.kfg.yaml")


def test_an_env_block_is_a_partial_resource_marked_with_its_environment() -> None:
    text = BASE + "\nenv prod {\n  service web { replicas: 5, env { MODE: fast } }\n}\n"
    base, patch = load(text, "app.kfg")
    assert (base.environment, patch.environment) == (None, "prod")
    assert patch.body == {
        "kind": "App",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 5, "env": {"MODE": "fast"}},
    }, "no apiVersion and no required fields: only what differs"


def test_an_error_in_a_patched_field_points_at_the_env_block_line(tmp_path: Path) -> None:
    source = tmp_path / "app.kfg"
    source.write_text(BASE + "\nenv prod {\n  service web {\n    replicas: -1\n  }\n}\n", "utf-8")
    code, _, err = kfgtest.run_cli("validate", "-f", str(source))
    assert code == 0, "the env block is not used without --env"
    code, _, err = kfgtest.run_cli("validate", "-f", str(source), "--env", "prod")
    assert code == 1
    assert f"{source}:11:5: App shop/web: spec.replicas: -1 is too small" in err


def test_null_in_an_env_block_removes_the_field(tmp_path: Path) -> None:
    source = tmp_path / "app.kfg"
    source.write_text(BASE + "\nenv dev { service web { replicas: null } }\n", "utf-8")
    deployment = next(
        d
        for d in kfgtest.load_all(render("-f", str(source), "--env", "dev"))
        if d["kind"] == "Deployment"
    )
    assert deployment["spec"].get("replicas") == 1, "the default, not the base's 2"


def test_an_unknown_environment_names_the_ones_there(tmp_path: Path) -> None:
    code, _, err = kfgtest.run_cli("render", "-f", str(ENVIRONMENTS), "--env", "stage")
    assert code != 0
    assert "no environment 'stage' in env blocks (there: dev, prod)" in err


def test_a_patch_of_a_resource_that_does_not_exist_names_what_exists(tmp_path: Path) -> None:
    source = tmp_path / "app.kfg"
    source.write_text(BASE + "\nenv dev {\n  service wbe { replicas: 3 }\n}\n", "utf-8")
    code, _, err = kfgtest.run_cli("render", "-f", str(source), "--env", "dev")
    assert code != 0
    assert f"{source}:10:3: App wbe matches no resource written outside env blocks" in err
    assert "(there: App web)" in err


def test_a_resource_patched_twice_in_one_environment_is_an_error_at_the_second() -> None:
    text = BASE + "\nenv dev {\n  service web { replicas: 3 }\n  service web { replicas: 4 }\n}\n"
    with pytest.raises(
        FrontEndError, match=r'app\.kfg:11:3: App "web" is written twice in env dev'
    ):
        load(text, "app.kfg")


def test_the_same_resource_may_be_patched_in_each_environment() -> None:
    text = (
        BASE
        + "\nenv dev { service web { replicas: 1 } }\nenv prod { service web { replicas: 9 } }\n"
    )
    assert [d.environment for d in load(text, "app.kfg")] == [None, "dev", "prod"]


def test_env_is_still_an_ordinary_field_name_inside_blocks() -> None:
    (app,) = load(BASE.replace("replicas: 2", "env { LEVEL: debug }"), "app.kfg")
    assert app.body["spec"]["env"] == {"LEVEL": "debug"}


def test_fmt_lays_env_blocks_out_canonically_keeping_comments_and_is_idempotent() -> None:
    text = BASE + "env prod {   # production\n# scale\nservice web { replicas: 5 }}\n"
    formatted = format_text(text, "app.kfg")
    assert formatted.endswith(
        "\nenv prod {  # production\n  # scale\n  service web {\n    replicas: 5\n  }\n}\n"
    )
    assert format_text(formatted, "app.kfg") == formatted
    assert format_text(ENVIRONMENTS.read_text("utf-8"), str(ENVIRONMENTS)) == (
        ENVIRONMENTS.read_text("utf-8")
    )


def test_export_writes_an_overlay_for_each_env_block(tmp_path: Path) -> None:
    code, out, err = kfgtest.run_cli(
        "export", "--format", "kustomize", "-f", str(ENVIRONMENTS), "-o", str(tmp_path), *SEED
    )
    assert code == 0, err
    assert "2 environments (dev, prod)" in out + err
    assert sorted(p.name for p in (tmp_path / "overlays").iterdir()) == ["dev", "prod"]


def test_only_env_blocks_hold_blocks() -> None:
    with pytest.raises(FrontEndError, match=r'app\.kfg:1:1: "envs prod" holds blocks; only env'):
        load("envs prod { service web { replicas: 1 } }\n", "app.kfg")
