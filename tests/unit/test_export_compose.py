"""`konfiguru export --format compose`: services that run what the cluster would, validated by
the Compose Specification (the `compose-spec` parser), with no secret value in any file."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from compose_spec import PyCompose

import kfgtest

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


def test_each_environment_is_a_complete_file_of_its_own(tmp_path) -> None:
    out = export(tmp_path, EXAMPLES / "environments")
    files = {p.name: yaml.safe_load(p.read_text()) for p in out.glob("docker-compose*.yaml")}
    assert sorted(files) == [
        "docker-compose.dev.yaml",
        "docker-compose.prod.yaml",
        "docker-compose.yaml",
    ]
    for name, document in files.items():
        PyCompose.from_yaml((out / name).read_text())
        assert document["services"]["storefront"]["depends_on"] == {
            "storefront-db": {"condition": "service_healthy"}
        }
    images = {n: d["services"]["storefront"]["image"] for n, d in files.items()}
    assert images["docker-compose.dev.yaml"].endswith(":3.2.0-rc.1")
    assert "storefront-db-backup" in files["docker-compose.prod.yaml"]["services"]
    assert files["docker-compose.prod.yaml"]["services"]["storefront-db-backup"]["profiles"] == [
        "scheduled"
    ]


def test_what_compose_cannot_express_is_listed_in_the_header(tmp_path) -> None:
    text = (export(tmp_path, EXAMPLES / "environments") / "docker-compose.prod.yaml").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("HorizontalPodAutoscaler" in line and "NetworkPolicy" in line for line in header)
    assert any("storefront: not mapped: its HTTP/TCP readiness probe" in line for line in header)
    assert any("the schedule '0 3 * * *'" in line for line in header)


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
    test = document["services"]["orders-db"]["healthcheck"]["test"]
    assert '"$$POSTGRES_USER"' in test[-1] and '"$POSTGRES_USER"' not in test[-1].replace("$$", "")


@pytest.mark.parametrize(
    "case", ["environments", "databases/postgres.kfg.yaml", "ml/pytorch-single.kfg.yaml"]
)
def test_the_compose_export_is_its_golden_file_set(case: str, tmp_path, update_golden) -> None:
    out = export(tmp_path, EXAMPLES / case)
    golden = GOLDEN / f"{case.split('/')[-1].removesuffix('.kfg.yaml')}.txt"
    kfgtest.assert_golden_tree(out, golden, update_golden)
