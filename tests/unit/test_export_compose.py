"""`konfiguru export --format compose`: services that run what the cluster would, validated by
the Compose Specification (the `compose-spec` parser), with no secret value in any file."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose

import kfgtest
from konfiguru_generators import yamltext
from konfiguru_generators.cli import read_documents
from konfiguru_generators.exports.compose import override

EXAMPLES = kfgtest.ROOT / "examples"
SEED = str(kfgtest.GOLDEN_SEED_FILE)
GOLDEN = kfgtest.ROOT / "tests" / "golden" / "exports" / "compose"


run_cli = kfgtest.run_cli


def export(tmp_path: Path, src: Path, *extra: str) -> Path:
    target = tmp_path / "compose"
    code, _, err = run_cli(
        "export", "--format", "compose", "-f", str(src), "-o", str(target), *extra
    )
    assert code == 0, err
    return target


def test_every_example_becomes_compose_files_the_specification_accepts(tmp_path) -> None:
    out = export(tmp_path, EXAMPLES)
    compose = PyCompose.from_yaml((out / "docker-compose.yaml").read_text())
    expected = {"web", "api", "worker", "log-agent", "orders-db", "storefront", "storefront-db"}
    assert expected <= set(compose.service_names())


class _Reset:
    """``!reset``: the attribute is removed from the merged model."""


class _Override:
    """``!override``: the attribute replaces the base's instead of merging with it."""

    def __init__(self, value: Any) -> None:
        self.value = value


class _ComposeLoader(yaml.SafeLoader):
    """YAML as Docker Compose reads it: the two merge tags of the Compose Specification."""


_ComposeLoader.add_constructor("!reset", lambda loader, node: _Reset())


def _construct_override(loader: yaml.SafeLoader, node: yaml.Node) -> _Override:
    if isinstance(node, yaml.SequenceNode):
        return _Override(loader.construct_sequence(node, deep=True))
    if isinstance(node, yaml.MappingNode):
        return _Override(loader.construct_mapping(node, deep=True))
    raise yaml.constructor.ConstructorError(None, None, "a scalar is never tagged", node.start_mark)


_ComposeLoader.add_constructor("!override", _construct_override)
# Service attributes whose value the later file replaces (the specification's "shell commands").
_REPLACED = {("command",), ("entrypoint",), ("healthcheck", "test")}
# Sequences merged by a unique key rather than appended (the specification's "unique resources").
_UNIQUE = {"ports": "target", "volumes": "target", "secrets": "target", "configs": "target"}


def compose_merge(base: Any, override: Any, path: tuple[str, ...] = ()) -> Any:
    """The Compose Specification's merge of two files (docs: reference/compose-file/merge)."""
    if isinstance(override, _Override):
        return override.value
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if isinstance(value, _Reset):
                merged.pop(key, None)
            elif key in merged:
                merged[key] = compose_merge(merged[key], value, (*path, key))
            else:
                merged[key] = value.value if isinstance(value, _Override) else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        attribute = path[2:] if path[:1] == ("services",) else ()
        if attribute in _REPLACED:
            return override
        key = _UNIQUE.get(attribute[0]) if len(attribute) == 1 else None
        if key:
            kept = [i for i in base if i.get(key) not in {o.get(key) for o in override}]
            return kept + override
        return base + override
    return override


def test_compose_merge_follows_the_specification_examples() -> None:
    assert compose_merge({"s": {"a": 1, "b": 2}}, {"s": {"b": 3, "c": 4}}) == {
        "s": {"a": 1, "b": 3, "c": 4}
    }
    dns = compose_merge({"services": {"x": {"dns": ["1"]}}}, {"services": {"x": {"dns": ["8"]}}})
    assert dns["services"]["x"]["dns"] == ["1", "8"], "sequences are appended"
    tagged = yaml.load("x: !override [8]\ny: !reset null\n", Loader=_ComposeLoader)
    assert compose_merge({"x": [1], "y": 2, "z": 3}, tagged) == {"x": [8], "z": 3}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_environment_is_an_override_that_merged_onto_the_base_gives_its_whole_model(
    env: str, tmp_path: Path
) -> None:
    out = export(tmp_path, EXAMPLES / "environments")
    assert sorted(p.name for p in out.glob("docker-compose*.yaml")) == [
        "docker-compose.dev.yaml",
        "docker-compose.prod.yaml",
        "docker-compose.yaml",
    ]
    base = yaml.safe_load((out / "docker-compose.yaml").read_text())
    override = yaml.load((out / f"docker-compose.{env}.yaml").read_text(), Loader=_ComposeLoader)
    merged = compose_merge(base, override)
    # The environment's whole model: the compose export of its render, as a base of its own.
    resources = read_documents([str(EXAMPLES / "environments")], io.StringIO(), env)
    (tmp_path / "env.yaml").write_text(yamltext.dump_all([d.body for d in resources]))
    whole = export(tmp_path / env, tmp_path / "env.yaml") / "docker-compose.yaml"
    assert merged == yaml.safe_load(whole.read_text())
    PyCompose.from_yaml(yaml.safe_dump(merged))  # the merged model is valid Compose
    assert merged["services"]["storefront"]["depends_on"] == {
        "storefront-db": {"condition": "service_healthy"}
    }


def test_an_override_replaces_what_changed_and_leaves_the_rest_out(tmp_path: Path) -> None:
    out = export(tmp_path, EXAMPLES / "environments")
    dev = (out / "docker-compose.dev.yaml").read_text()
    assert "    image: ghcr.io/acme/storefront:3.2.0-rc.1\n" in dev, "a scalar replaces plainly"
    assert "depends_on" not in dev, "unchanged attributes are not repeated"
    prod = yaml.load((out / "docker-compose.prod.yaml").read_text(), Loader=_ComposeLoader)
    backup = prod["services"]["storefront-db-backup"]
    assert backup["profiles"] == ["scheduled"], "a service only prod has is written in full"


def test_a_service_an_environment_drops_is_reset(tmp_path: Path) -> None:
    text = yamltext.dump(
        override(
            {"services": {"a": {"image": "x", "ports": ["80"]}, "b": {"image": "y"}}},
            {"services": {"a": {"image": "x"}}},
        )
    )
    assert text == "services:\n  a:\n    ports: !reset null\n  b: !reset null\n"


def test_what_compose_cannot_express_is_listed_in_the_header(tmp_path) -> None:
    text = (export(tmp_path, EXAMPLES / "environments") / "docker-compose.prod.yaml").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("HorizontalPodAutoscaler" in line and "NetworkPolicy" in line for line in header)
    assert any("storefront: not mapped: its HTTP/TCP readiness probe" in line for line in header)
    assert any("the schedule '0 3 * * *'" in line for line in header)


def test_an_app_behind_an_httproute_is_published_and_the_route_listed_as_left_out(tmp_path):
    text = (
        export(tmp_path, EXAMPLES / "gateway" / "webshop.kfg.yaml") / "docker-compose.yaml"
    ).read_text()
    assert any(
        line.startswith("# Not expressible in compose") and "HTTPRoute" in line
        for line in text.splitlines()
    )
    assert yaml.safe_load(text)["services"]["webshop"]["ports"] == ["8080:8080"]


def test_no_secret_value_is_written_and_secret_keys_come_from_env_files(tmp_path) -> None:
    out = export(tmp_path, EXAMPLES, "--secret-seed-file", SEED)
    _, rendered, _ = run_cli("render", "-f", str(EXAMPLES), "--secret-seed-file", SEED)
    values = [  # the generated values (passwords, keys): usernames and hosts are no secret
        base64.b64decode(doc["data"][key]).decode()
        if key in (doc.get("data") or {})
        else str(doc["stringData"][key])
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] == "Secret"
        for key in (doc["metadata"].get("annotations") or {})
        .get("konfiguru.io/generated-keys", "")
        .split(",")
        if key and (key in (doc.get("data") or {}) or key in (doc.get("stringData") or {}))
    ]
    assert values, "the seeded render has generated secret values to look for"
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert not [v for v in values if v in text]
    example = (out / "secrets" / "storefront.env.example").read_text()
    assert "# Secret storefront-db-credentials, key password\nSTOREFRONT_DB_PASSWORD=\n" in example


def test_dollar_signs_survive_compose_interpolation(tmp_path) -> None:
    out = export(tmp_path, EXAMPLES / "databases" / "postgres.kfg.yaml")
    document = yaml.safe_load((out / "docker-compose.yaml").read_text())
    test = document["services"]["inventory-db"]["healthcheck"]["test"]
    assert '"$$POSTGRES_USER"' in test[-1] and '"$POSTGRES_USER"' not in test[-1].replace("$$", "")


@pytest.mark.parametrize(
    "case", ["environments", "databases/postgres.kfg.yaml", "ml/pytorch-single.kfg.yaml"]
)
def test_the_compose_export_is_its_golden_file_set(case: str, tmp_path, update_golden) -> None:
    out = export(tmp_path, EXAMPLES / case)
    golden = GOLDEN / f"{case.split('/')[-1].removesuffix('.kfg.yaml')}.txt"
    kfgtest.assert_golden_tree(out, golden, update_golden)
