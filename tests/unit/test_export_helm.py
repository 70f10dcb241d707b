"""`konfiguru export --format helm`: a chart whose default values give `konfiguru render` and whose
`values-<env>.yaml` give `konfiguru render --env <env>`, checked with the real Helm engine."""

from __future__ import annotations

import json
from pathlib import Path

import helm_python
import pytest
import yaml

import kfgtest

EXAMPLES = kfgtest.ROOT / "examples"
SEED = str(kfgtest.GOLDEN_SEED_FILE)
GOLDEN = kfgtest.ROOT / "tests" / "golden" / "exports" / "helm"


run_cli = kfgtest.run_cli


def objects(texts: list[str]) -> list[str]:
    return sorted(json.dumps(d, sort_keys=True) for t in texts for d in yaml.safe_load_all(t) if d)


def export(tmp_path: Path, src: Path) -> Path:
    target = tmp_path / "chart"
    code, _, err = run_cli(
        "export", "--format", "helm", "-f", str(src), "-o", str(target), "--secret-seed-file", SEED
    )
    assert code == 0, err
    return target


def helm_template(chart_dir: Path, env: str | None) -> list[str]:
    values = yaml.safe_load((chart_dir / f"values-{env}.yaml").read_text()) if env else {}
    with helm_python.Chart.load(chart_dir) as chart:
        chart.validate_schema(values)
        rendered = chart.render(values, name="release", namespace="default", is_install=True)
    return objects([text for name, text in rendered.items() if not name.endswith("NOTES.txt")])


def render(src: Path, env: str | None) -> list[str]:
    code, out, err = run_cli(
        "render", "-f", str(src), "--secret-seed-file", SEED, *(["--env", env] if env else [])
    )
    assert code == 0, err
    return objects([out])


def test_helm_template_with_each_values_file_equals_render_of_that_environment(tmp_path) -> None:
    src = EXAMPLES / "environments"
    chart = export(tmp_path, src)
    assert sorted(p.name for p in chart.glob("values*")) == [
        "values-dev.yaml",
        "values-prod.yaml",
        "values.schema.json",
        "values.yaml",
    ]
    for env in (None, "dev", "prod"):
        assert helm_template(chart, env) == render(src, env), env


def test_helm_template_of_every_example_equals_its_render_and_lint_is_clean(tmp_path) -> None:
    chart = export(tmp_path, EXAMPLES)
    assert helm_template(chart, None) == render(EXAMPLES, None)
    report = helm_python.lint(chart, {}, strict=True)
    assert report["errors"] == []
    # Only the informational "icon is recommended": the chart has no icon to point at.
    assert [m["error"] for m in report["messages"]] == ["icon is recommended"]


def test_template_actions_in_user_text_are_kept_literally(tmp_path) -> None:
    src = tmp_path / "app.kfg.yaml"
    src.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "konfiguru.io/v1alpha1",
                "kind": "App",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {
                    "image": "ghcr.io/acme/web:1.0.0",
                    "env": {"TEMPLATE": "{{ .Values.secret }}", "BRACES": "}} {{- end }}"},
                    "config": {"files": [{"name": "t.tpl", "content": '{{ "{{" }} x }}'}]},
                },
            }
        )
    )
    chart = export(tmp_path, src)
    assert helm_template(chart, None) == render(src, None)


def test_a_value_missing_from_an_environment_is_removed_not_left_as_null(tmp_path) -> None:
    chart = export(tmp_path, EXAMPLES / "environments")

    def values(name: str) -> dict:
        text = (chart / name).read_text()
        return yaml.safe_load(text)["objects"]["shop/deployment-storefront"]

    # The base has replicas and prod (autoscaled) has none: prod's file deletes it with null.
    assert values("values.yaml")["/spec/replicas"] == 1
    assert values("values-prod.yaml")["/spec/replicas"] is None
    # Topology spread is prod's only: the defaults lack it, so dev's file need not say anything
    # (a null there would stay a null, and Helm would render "topologySpreadConstraints: null").
    assert "/spec/template/spec/topologySpreadConstraints" not in values("values-dev.yaml")
    for env, has_replicas in (("dev", True), ("prod", False)):
        (deployment,) = [
            obj for obj in map(json.loads, helm_template(chart, env)) if obj["kind"] == "Deployment"
        ]
        assert ("replicas" in deployment["spec"]) is has_replicas


@pytest.mark.parametrize(
    "case", ["environments", "databases/postgres.kfg.yaml", "ml/pytorch-single.kfg.yaml"]
)
def test_the_chart_is_its_golden_file_set(case: str, tmp_path: Path, update_golden: bool) -> None:
    chart = export(tmp_path, EXAMPLES / case)
    golden = GOLDEN / f"{case.split('/')[-1].removesuffix('.kfg.yaml')}.txt"
    kfgtest.assert_golden_tree(chart, golden, update_golden)
