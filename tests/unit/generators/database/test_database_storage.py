"""Growing storage: PVCs resized in place, never shrunk, StatefulSet re-created when needed."""

from __future__ import annotations

import pytest
from dbspec import SEED, SEEDED, database, render_db

from konfiguru_generators import Existing, SpecError, render, validate
from konfiguru_generators.kinds.database.storage import claim_templates_changed, resize_plan


def _existing(**sizes: str) -> Existing:
    return Existing(secret_seed=SEED, pvc_sizes={k.replace("_", "-"): v for k, v in sizes.items()})


def test_resize_plan_grows_every_smaller_data_pvc_of_this_database_only() -> None:
    resource = validate(
        database(engine="redis", version="7.4", replicas=3, storage={"size": "20Gi"})
    )
    existing = _existing(
        data_db_0="10Gi", data_db_1="10Gi", data_db_2="20Gi", data_other_0="1Gi", db_backup="5Gi"
    )
    assert resize_plan(resource, existing) == [("data-db-0", "20Gi"), ("data-db-1", "20Gi")]


def test_resize_plan_compares_quantities_not_text() -> None:
    resource = validate(database(engine="redis", version="7.4", storage={"size": "10Gi"}))
    assert resize_plan(resource, _existing(data_db_0="10240Mi")) == []


def test_shrinking_storage_is_a_spec_error_naming_the_volume() -> None:
    resource = validate(database(engine="redis", version="7.4", storage={"size": "5Gi"}))
    with pytest.raises(SpecError) as caught:
        resize_plan(resource, _existing(data_db_0="10Gi"))
    (error,) = caught.value.errors
    assert error.path == "spec.storage.size"
    assert "data-db-0 (10Gi)" in str(error) and "never shrink" in str(error)


def test_render_refuses_a_shrink_too_so_cli_and_operator_agree() -> None:
    with pytest.raises(SpecError):
        render_db(
            existing=_existing(data_db_0="10Gi"),
            engine="redis",
            version="7.4",
            storage={"size": "5Gi"},
        )


def test_render_notes_a_pending_resize() -> None:
    rendered = render_db(
        existing=_existing(data_db_0="5Gi"), engine="redis", version="7.4", storage={"size": "8Gi"}
    )
    assert any("data-db-0 → 8Gi" in note for note in rendered.notes)


def test_claim_templates_changed_detects_a_new_size_and_ignores_equal_quantities() -> None:
    old = render_db(engine="redis", version="7.4", storage={"size": "10Gi"})["StatefulSet", "db"]
    same = render_db(engine="redis", version="7.4", storage={"size": "10240Mi"})[
        "StatefulSet", "db"
    ]
    new = render_db(engine="redis", version="7.4", storage={"size": "20Gi"})["StatefulSet", "db"]
    assert claim_templates_changed(new, old)
    assert not claim_templates_changed(same, old)
    assert not claim_templates_changed(new, None)


def test_data_pvcs_are_labelled_so_the_operator_can_find_them_without_an_owner_reference() -> None:
    document = database(engine="redis", version="7.4")
    offline = [obj for obj in render(document, SEEDED) if obj["kind"] == "StatefulSet"]
    document["metadata"]["uid"] = "1234-abcd"
    (sts,) = [obj for obj in render(document, SEEDED) if obj["kind"] == "StatefulSet"]
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    labels = claim["metadata"]["labels"]
    assert labels["konfiguru.io/owner-kind"] == "Database"
    assert labels["konfiguru.io/owner-name"] == "db"
    # Immutable, so never the owner's uid: the operator's template equals the offline render.
    assert "konfiguru.io/owner-uid" not in labels
    assert sts["metadata"]["labels"]["konfiguru.io/owner-uid"] == "1234-abcd"
    assert sts["spec"] == offline[0]["spec"]


def test_a_new_version_does_not_touch_the_immutable_claim_template() -> None:
    old = render_db(engine="redis", version="7.2")["StatefulSet", "db"]
    new = render_db(engine="redis", version="7.4")["StatefulSet", "db"]
    assert old["spec"]["volumeClaimTemplates"] == new["spec"]["volumeClaimTemplates"]
    assert not claim_templates_changed(new, old)
