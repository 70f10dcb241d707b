"""The operator enforces KONFIGURU_POLICY_FILE: a violating spec is Stalled (PolicyViolation) and
its running children stay as they were; fixing the spec reconciles again."""

from __future__ import annotations

import subprocess
import sys

import yaml
from helpers import app, conditions, container, edit_spec, is_stalled, wait_ready

APPS = "apps.konfiguru.io"
POLICY = {
    "apiVersion": "konfiguru.io/v1alpha1",
    "kind": "Policy",
    "metadata": {"name": "platform"},
    "spec": {"allowedRegistries": ["ghcr.io/acme/"], "forbidLatestTag": True},
}


def test_a_spec_that_breaks_the_policy_stalls_and_leaves_the_children(
    emulator, operator_factory, tmp_path
):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(POLICY))
    operator_factory(KONFIGURU_POLICY_FILE=str(policy_file))
    emulator.create(app("shop"))
    wait_ready(emulator)
    edit_spec(emulator, "shop", lambda spec: spec.update(image="docker.io/evil/shop:latest"))
    stalled = emulator.wait_for_object(APPS, "shop", "default", is_stalled)
    stall = conditions(stalled)["Stalled"]
    assert stall["reason"] == "PolicyViolation"
    assert "allowedRegistries" in stall["message"] and "forbidLatestTag" in stall["message"]
    deployment = emulator.get("deployments.apps", "shop")
    assert container(deployment)["image"] == "ghcr.io/acme/shop:1.0.0"
    edit_spec(emulator, "shop", lambda spec: spec.update(image="ghcr.io/acme/shop:1.1.0"))
    wait_ready(emulator)
    assert container(emulator.get("deployments.apps", "shop"))["image"].endswith(":1.1.0")


def test_a_bad_policy_file_stops_the_operator_with_a_clear_error(tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump({**POLICY, "spec": {"allowedRegistrys": ["x"]}}))
    result = subprocess.run(
        [sys.executable, "-m", "konfiguru_operator"],
        env={"KONFIGURU_POLICY_FILE": str(policy_file), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "KONFIGURU_POLICY_FILE=" in result.stderr and "spec.allowedRegistrys" in result.stderr
