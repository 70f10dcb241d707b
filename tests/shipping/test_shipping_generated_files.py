"""Files derived from one source are up to date, and every CRD reaches every install method.

``pytest tests/shipping --update-golden`` rewrites the derived files (see ``shipping.py``) instead
of comparing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
