"""`konfiguru diff --offline OLD NEW` and the plan behind it: changes, breaking changes, output.

The live diff against a cluster uses the same plan (tests/integration/test_diff.py).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import kfgtest
from konfiguru_generators import plan, render

FIXTURES = kfgtest.ROOT / "tests" / "fixtures" / "plan"
GOLDEN = kfgtest.ROOT / "tests" / "golden" / "plan" / "shop.md"
SEED = kfgtest.seeded()


def app(name: str = "web", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"image": "ghcr.io/acme/web:1.0.0", "port": 8080, **spec},
    }


def database(size: str) -> dict[str, Any]:
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "Database",
        "metadata": {"name": "orders-db", "namespace": "shop"},
        "spec": {"engine": "postgres", "version": "17", "storage": {"size": size}},
    }


def owned(resource: dict[str, Any]) -> plan.Owned:
    return plan.Owned(plan.owner_name(resource), render(resource, SEED), resource)


def reasons(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [item.reason for item in plan.plan([owned(before)], [owned(after)]).breaking]


run_cli = kfgtest.run_cli


# ---- changes ------------------------------------------------------------------------------------


def test_the_same_resource_plans_no_change_whatever_order_its_keys_come_in() -> None:
    before = app(env={"A": "1", "B": "2"}, ingress={"host": "shop.example.com"})
    after = copy.deepcopy(before)
    after["spec"] = dict(reversed(list(after["spec"].items())))
    result = plan.plan([owned(before)], [owned(after)])
    assert not result.changed and result.breaking == [] and result.errors == []


def test_a_new_image_is_one_update_of_the_deployment_with_a_unified_diff() -> None:
    result = plan.plan([owned(app())], [owned(app(image="ghcr.io/acme/web:2.0.0"))])
    assert [(c.action, str(c.key)) for c in result.changes] == [("update", "Deployment shop/web")]
    diff = result.changes[0].diff
    assert "-      - image: ghcr.io/acme/web:1.0.0\n" in diff
    assert "+      - image: ghcr.io/acme/web:2.0.0\n" in diff


def test_a_removed_ingress_is_a_delete_and_a_new_resource_creates_every_child() -> None:
    result = plan.plan(
        [owned(app(ingress={"host": "shop.example.com"}))], [owned(app()), owned(app("api"))]
    )
    assert ("delete", "Ingress shop/web") in [(c.action, str(c.key)) for c in result.changes]
    created = {str(c.key) for c in result.changes if c.action == "create"}
    assert {"Deployment shop/api", "Service shop/api", "ServiceAccount shop/api"} <= created


def test_secret_values_are_masked_and_a_changed_value_is_marked() -> None:
    before = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    old = {**before, "data": {"same": "c2FtZQ==", "gone": "b2xk"}}
    new = {**before, "stringData": {"same": "same", "new": "hunter2"}}
    diff = plan.unified_diff(
        plan.ChildKey("Secret", "", "s"), plan.comparable(old), plan.comparable(new)
    )
    assert "hunter2" not in diff and "b2xk" not in diff and "c2FtZQ==" not in diff
    assert "   same: '***'\n" in diff
    assert "-  gone: '*** (before)'\n" in diff and "+  new: '*** (after)'\n" in diff


def test_an_invalid_new_spec_is_an_error_not_a_plan_to_delete_everything() -> None:
    broken = plan.Owned("App shop/web", [], app(), "spec.port: 0 is below 1")
    result = plan.plan([owned(app())], [broken])
    assert result.errors == ["App shop/web: spec.port: 0 is below 1"] and not result.changed


# ---- breaking changes ---------------------------------------------------------------------------


def test_a_workload_kind_change_is_breaking() -> None:
    assert "WorkloadKindChange" in reasons(app(), app(workload="DaemonSet"))


def test_a_changed_one_off_job_runs_again() -> None:
    job = {"name": "migrate", "command": ["migrate"]}
    assert "JobRunsAgain" in reasons(app(jobs=[job]), app(jobs=[{**job, "args": ["--to", "2"]}]))
    assert "JobRunsAgain" not in reasons(app(jobs=[job]), app(jobs=[job], replicas=3))


def test_a_job_of_a_resource_created_now_is_not_running_again() -> None:
    result = plan.plan([], [owned(app(jobs=[{"name": "migrate", "command": ["m"]}]))])
    assert result.breaking == []


def test_a_smaller_database_volume_is_a_shrink_and_a_bigger_one_only_a_recreate() -> None:
    assert reasons(database("20Gi"), database("10Gi")) == ["Recreate", "StorageShrink"]
    assert reasons(database("20Gi"), database("30Gi")) == ["Recreate"]


def test_a_load_balancer_service_that_goes_away_or_internal_frees_its_address() -> None:
    assert "FreesLoadBalancer" in reasons(app(expose={"external": True}), app())
    assert "FreesLoadBalancer" in reasons(
        app(expose={"external": True}), app(expose={"enabled": False})
    )


def test_a_new_load_balancer_class_is_breaking_since_the_field_is_immutable() -> None:
    nlb = app(expose={"external": True, "loadBalancerClass": "service.k8s.aws/nlb"})
    assert reasons(app(expose={"external": True}), nlb) == ["ImmutableLoadBalancerClass"]
    assert reasons(nlb, nlb) == []


def test_rotating_generated_secrets_is_breaking_and_never_shows_their_values() -> None:
    spec = {"secrets": [{"name": "session", "generate": [{"key": "token", "type": "random"}]}]}
    rotated = app(**spec)
    rotated["metadata"]["annotations"] = {"konfiguru.io/rotate-secrets": "2026-12"}
    assert reasons(app(**spec), rotated) == ["SecretRotates"]


def test_removing_children_that_hold_data_is_breaking_unless_they_are_retained() -> None:
    gone = plan.plan([owned(database("20Gi"))], [])
    by_reason = {(item.reason, str(item.key)) for item in gone.breaking}
    assert ("DataLoss", "StatefulSet shop/orders-db") in by_reason
    # The credentials carry deletion-policy Retain: they outlive the Database, nothing is lost.
    assert not any(item.reason == "SecretLost" for item in gone.breaking)
    spec = {"secrets": [{"name": "session", "generate": [{"key": "token"}]}]}
    assert "SecretLost" in reasons(app(**spec), app())
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "d"}}
    dropped = plan.plan([plan.Owned("X", [claim])], [plan.Owned("X", [])])
    assert [item.reason for item in dropped.breaking] == ["DataLoss"]


def test_an_immutable_selector_change_is_breaking() -> None:
    def deployment(component: str) -> dict[str, Any]:
        selector = {"matchLabels": {"app.kubernetes.io/component": component}}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "w"},
            "spec": {"selector": selector},
        }

    result = plan.plan([plan.Owned("X", [deployment("a")])], [plan.Owned("X", [deployment("b")])])
    assert [item.reason for item in result.breaking] == ["ImmutableSelector"]


# ---- the command --------------------------------------------------------------------------------


def test_offline_diff_exit_codes_follow_kubectl_diff(tmp_path: Path) -> None:
    old = FIXTURES / "old"
    assert run_cli("diff", "--offline", str(old), str(old))[0] == 0
    assert run_cli("diff", "--offline", str(old), str(FIXTURES / "new"))[0] == 1
    bad = tmp_path / "bad.kfg.yaml"
    bad.write_text(
        "apiVersion: konfiguru.io/v1alpha1\nkind: App\nmetadata: {name: web}\n"
        "spec: {image: x, port: 0}\n"
    )
    code, out, _ = run_cli("diff", "--offline", str(old), str(bad))
    assert code == 2 and "spec.port" in out


def test_the_markdown_plan_of_the_fixture_change_is_its_golden_comment(update_golden: bool) -> None:
    code, out, _ = run_cli(
        "diff",
        "--offline",
        "tests/fixtures/plan/old",
        "tests/fixtures/plan/new",
        "--format",
        "markdown",
    )
    assert code == 1
    if update_golden:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(out, "utf-8")
    assert out == GOLDEN.read_text("utf-8"), "run pytest tests/unit/test_plan.py --update-golden"
    for reason in (
        "JobRunsAgain",
        "FreesLoadBalancer",
        "WorkloadKindChange",
        "SecretRotates",
        "StorageShrink",
    ):
        assert f"`{reason}`" in out


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: it only builds the test repository")
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)

    def commit(source: Path, message: str) -> None:
        shutil.copy(source, repo / "deploy" / "shop.kfg.yaml")
        subprocess.run([git, "add", "."], cwd=repo, check=True)
        subprocess.run(
            [git, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", message],
            cwd=repo,
            check=True,
        )

    subprocess.run([git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    commit(FIXTURES / "old" / "shop.kfg.yaml", "old")
    commit(FIXTURES / "new" / "shop.kfg.yaml", "new")
    monkeypatch.chdir(repo)
    return repo


def test_offline_diff_between_two_git_revisions_reads_the_paths_at_each(repository: Path) -> None:
    code, out, _ = run_cli("diff", "--offline", "HEAD~1", "HEAD", "-f", "deploy")
    _, expected, _ = run_cli("diff", "--offline", str(FIXTURES / "old"), str(FIXTURES / "new"))
    assert code == 1
    assert "Plan: 2 to create, 3 to change, 6 to delete; 6 breaking." in out
    assert out.count("BREAKING") == expected.count("BREAKING") == 6


def test_a_revision_that_does_not_exist_is_a_clear_error(repository: Path) -> None:
    code, _, err = run_cli("diff", "--offline", "no-such-rev", "HEAD")
    assert code == 2 and "no-such-rev: neither a path nor a git revision" in err
