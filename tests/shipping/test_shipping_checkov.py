"""checkov finds nothing in the operator's own manifests (deploy/, every chart values file) and
its Dockerfile, except the checks skipped below, each for a stated reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import shipping

SKIPPED = {
    "CKV_K8S_11": "no CPU limit on purpose: throttling a reconcile burst only slows it down; "
    "the CPU request guarantees its share, the memory limit bounds it",
    "CKV_K8S_43": "the image is pinned by digest through image.digest; the default tag is the "
    "chart's appVersion, which releases never move",
    "CKV_K8S_15": "IfNotPresent suits immutable release tags and digests; Always adds a "
    "registry round trip to every restart",
    "CKV_K8S_38": "the operator talks to the API server: it needs its ServiceAccount token",
    "CKV_K8S_21": "checkov reads a missing namespace as default: Helm and kustomize set it",
    "CKV_K8S_158": "escalate and bind on roles only: an App's spec.rbac and a DataPipeline's Spark"
    " driver become Roles the operator creates, and the API server refuses a Role granting more"
    " than its creator holds. Scope the operator to namespaces (watch.scope=namespaces) where"
    " App authors must not grant themselves more; see konfiguru_operator/rbac.py",
    "CKV_K8S_155": "webhook.certificates=self-signed only: get and patch on the release's own"
    " ValidatingWebhookConfiguration (resourceNames), to write the operator's CA into its"
    " caBundle on start and renewal; cert-manager mode grants nothing (konfiguru_operator/"
    "webhook.py PERMISSIONS, tests/shipping/test_shipping_rbac.py)",
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    scan = tmp_path_factory.mktemp("checkov")
    (scan / "deploy.yaml").write_text(shipping.dump_all(shipping.kustomize()), "utf-8")
    for case_id, values in shipping.values_cases():
        objects = shipping.chart_objects(values)
        (scan / f"chart-{case_id.removesuffix('.yaml')}.yaml").write_text(
            shipping.dump_all(objects), "utf-8"
        )
    shutil.copy(shipping.ROOT / "Dockerfile", scan / "Dockerfile")
    checkov = shutil.which("checkov") or str(Path(sys.executable).with_name("checkov"))
    result = subprocess.run(
        [checkov, "--directory", str(scan), "--framework", "kubernetes", "dockerfile",
         "--skip-download", "--output", "json", "--quiet", "--compact",
         "--skip-check", ",".join(SKIPPED)],
        capture_output=True, text=True, timeout=300, check=False,
        # Away from the repository's .checkov.yaml (its skips are for generated children).
        cwd=scan, env={**os.environ, "HOME": str(scan)},
    )  # fmt: skip
    start = result.stdout.find("[") if result.stdout.lstrip().startswith("[") else 0
    reports = json.loads(result.stdout[start:] or "[]")
    if isinstance(reports, dict):
        reports = [reports]
    assert reports, result.stdout[-2000:] + result.stderr[-2000:]
    return list(reports)


def test_checkov_passes_on_the_operator_manifests_and_dockerfile(
    reports: list[dict[str, Any]],
) -> None:
    findings = [
        failed
        for report in reports
        for failed in (report.get("results") or {}).get("failed_checks", [])
    ]
    problems = [f"{f['check_id']} {f['check_name']}: {f['resource']}" for f in findings]
    assert not problems, "\n".join(problems)


def test_the_checkov_scan_covers_every_values_file_and_both_frameworks(
    reports: list[dict[str, Any]],
) -> None:
    passed = {report["check_type"]: report["summary"]["passed"] for report in reports}
    assert passed.get("kubernetes", 0) > 50 and passed.get("dockerfile", 0) > 10, passed
    names = {case_id for case_id, _ in shipping.values_cases()}
    assert {"default", "deploy"} <= names and len(names) >= 4
    # Each skip states why; none hides a kind of problem the chart could fix with a value.
    for check, reason in SKIPPED.items():
        assert len(reason) > 40, check
    assert yaml.safe_load((shipping.CHART / "values.yaml").read_text("utf-8"))["networkPolicy"][
        "enabled"
    ]
