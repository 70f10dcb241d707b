"""Files derived from one source are up to date, and every CRD reaches every install method.

``pytest tests/shipping --update-golden`` rewrites the derived files (see ``shipping.py``) instead
of comparing them.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import helm_python
import pytest
import yaml

import kfgtest
import shipping

FILES = shipping.generated_files()


@pytest.fixture(scope="module", autouse=True)
def _regenerate(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        shipping.update_generated_files()


@pytest.mark.parametrize(
    "path", list(FILES), ids=[p.relative_to(shipping.ROOT).as_posix() for p in FILES]
)
def test_the_derived_file_is_up_to_date(path: Path) -> None:
    expected = FILES[path]()
    assert path.exists(), f"{path} is missing: run pytest tests/shipping --update-golden"
    assert path.read_text("utf-8") == expected, (
        f"{path.relative_to(shipping.ROOT)} is stale: run pytest tests/shipping --update-golden"
    )


def test_deploy_holds_no_crd_that_crds_does_not() -> None:
    copies = {path.name for path in (shipping.DEPLOY / "crds").glob("*")}
    sources = {path.name for path in kfgtest.crd_files()}
    assert copies == sources, f"remove {sorted(copies - sources)} from deploy/crds"


def _crd_names(objects: list[dict]) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o["kind"] == "CustomResourceDefinition"}


def test_every_crd_in_crds_is_installed_by_deploy_and_by_the_chart() -> None:
    wanted = {kfgtest.load_crd(path)["metadata"]["name"] for path in kfgtest.crd_files()}
    assert wanted
    missing_in_deploy = wanted - _crd_names(shipping.kustomize())
    missing_in_chart = wanted - _crd_names(shipping.chart_objects({}))
    assert not missing_in_deploy, f"kubectl kustomize deploy/ lacks {sorted(missing_in_deploy)}"
    assert not missing_in_chart, f"the chart lacks {sorted(missing_in_chart)}"


def test_the_chart_reads_crds_through_a_link_to_the_repository_crds() -> None:
    link = shipping.CHART / "files" / "crds"
    assert link.is_symlink() and link.resolve() == kfgtest.CRDS.resolve()


def test_a_packaged_chart_carries_the_crds_and_renders_like_the_directory(tmp_path: Path) -> None:
    # `helm package` resolves the files/crds link: a chart pulled from a registry needs no repo.
    archive = helm_python.package(shipping.CHART, destination=tmp_path)
    with helm_python.Chart.load(archive) as chart:
        rendered = chart.render({}, name=shipping.RELEASE, namespace=shipping.NAMESPACE)
    objects = [
        obj
        for name, text in sorted(rendered.items())
        if not name.endswith("NOTES.txt")
        for obj in shipping.load_all(text)
    ]
    templates = [o for o in shipping.chart_objects({}) if o["kind"] != "CustomResourceDefinition"]
    assert _crd_names(objects) >= {
        kfgtest.load_crd(path)["metadata"]["name"] for path in kfgtest.crd_files()
    }
    assert [o for o in objects if o["kind"] != "CustomResourceDefinition"] == templates


def test_the_chart_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((shipping.CHART / "Chart.yaml").read_text("utf-8"))
    project = tomllib.loads((shipping.ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert chart["appVersion"] == project["version"]


def test_every_file_deploy_and_the_chart_ship_is_tracked_by_git() -> None:
    if not (shipping.ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "deploy", "charts", "crds"],
        cwd=shipping.ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert not result.stdout.split(), f"not committed, so not shipped: {result.stdout.split()}"
