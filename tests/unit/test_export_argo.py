"""`konfiguru export --format argo-workflows`: Workflows and CronWorkflows, checked against Argo's
own models (hera's, generated from Argo's OpenAPI) by a lossless round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hera.workflows.models import CronWorkflow, Workflow

import kfgtest

EXAMPLES = kfgtest.ROOT / "examples"
GOLDEN = kfgtest.ROOT / "tests" / "golden" / "exports" / "argo-workflows"
MODELS = {"Workflow": Workflow, "CronWorkflow": CronWorkflow}


run_cli = kfgtest.run_cli


def export(tmp_path: Path, src: Path) -> dict[str, dict[str, Any]]:
    target = tmp_path / "argo"
    code, _, err = run_cli(
        "export", "--format", "argo-workflows", "-f", str(src), "-o", str(target)
    )
    assert code == 0, err
    return {
        p.relative_to(target).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted(target.rglob("*.yaml"))
    }


def test_every_workflow_of_every_example_is_exactly_what_argos_models_accept(tmp_path) -> None:
    files = export(tmp_path, EXAMPLES)
    assert files
    for name, document in files.items():
        model = MODELS[document["kind"]].model_validate(document)
        # Nothing unknown, nothing coerced: the model gives back the document as written.
        assert model.model_dump(by_alias=True, exclude_none=True, mode="json") == document, name


def test_a_migration_job_runs_before_the_rollout_of_its_app(tmp_path) -> None:
    workflow = export(tmp_path, EXAMPLES / "shop" / "api.kfg.yaml")["shop/workflow-api.yaml"]
    tasks = {t["name"]: t for t in workflow["spec"]["templates"][0]["dag"]["tasks"]}
    (job,) = [name for name in tasks if name.startswith("job-api-migrate-")]
    assert tasks["deployment-api"]["dependencies"] == [job]
    assert "secret-api-session" not in tasks  # generated Secrets: left out without a seed
    assert set(tasks[job]["dependencies"]) >= {"serviceaccount-api", "service-api"}
    templates = {t["name"]: t for t in workflow["spec"]["templates"]}
    created = yaml.safe_load(templates[job]["resource"]["manifest"])
    assert created["kind"] == "Job" and templates[job]["resource"]["action"] == "create"


def test_a_cron_job_becomes_a_cron_workflow_with_its_schedule(tmp_path) -> None:
    files = export(tmp_path, EXAMPLES / "shop" / "worker.kfg.yaml")
    cron = files["shop/cronworkflow-worker-nightly-report.yaml"]["spec"]
    _, rendered, _ = run_cli("render", "-f", str(EXAMPLES / "shop" / "worker.kfg.yaml"))
    (cron_job,) = [
        d
        for d in yaml.safe_load_all(rendered)
        if d and d["metadata"]["name"] == "worker-nightly-report"
    ]
    assert cron["schedules"] == [cron_job["spec"]["schedule"]]
    assert cron["concurrencyPolicy"] == cron_job["spec"]["concurrencyPolicy"]
    job = yaml.safe_load(cron["workflowSpec"]["templates"][0]["resource"]["manifest"])
    assert job["spec"] == cron_job["spec"]["jobTemplate"]["spec"]


@pytest.mark.parametrize(
    "case", ["ml/pytorch-distributed.kfg.yaml", "data/spark-etl.kfg.yaml", "shop/api.kfg.yaml"]
)
def test_the_argo_export_is_its_golden_file_set(case: str, tmp_path, update_golden) -> None:
    files = export(tmp_path, EXAMPLES / case)
    text = "".join(
        f"# ---- {name}\n{yaml.safe_dump(doc, sort_keys=False)}" for name, doc in files.items()
    )
    golden = GOLDEN / f"{case.split('/')[-1].removesuffix('.kfg.yaml')}.txt"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8"), "pytest --update-golden, then review the diff"
