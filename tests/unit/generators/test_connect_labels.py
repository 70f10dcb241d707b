"""The connect-to label key: valid for any target, the same on both sides, distinct per target."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from konfiguru_generators.apichecks import label_value_problem, qualified_name_problem
from konfiguru_generators.labels import CONNECT_TO_VALUE, connect_to_label, connect_to_labels

# connectTo.name: an RFC 1035 label of at most 63 characters (the CRD's pattern).
NAMES = st.from_regex(r"\A[a-z]([-a-z0-9]{0,61}[a-z0-9])?\Z")
KINDS = st.sampled_from(["App", "Database", "MLPipeline", "AVeryLongPluginKindNameForTesting"])


def test_a_short_target_reads_as_kind_and_name() -> None:
    assert connect_to_label("Database", "orders-db") == "connect-to.konfiguru.io/database.orders-db"
    assert connect_to_label("App", "api") == "connect-to.konfiguru.io/app.api"


def test_a_name_too_long_for_a_key_keeps_its_start_and_ends_in_a_stable_hash() -> None:
    name = "a" * 60 + "-db"
    key = connect_to_label("Database", name)
    assert (
        key
        == "connect-to.konfiguru.io/database.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-488d163fc6"
    )
    assert len(key.split("/", 1)[1]) == 63 and not qualified_name_problem(key)
    # A pinned value: callers and callees rendered by different releases must still agree.
    # The hash, not the kept start, tells two long names apart.
    assert connect_to_label("Database", "a" * 60 + "-dc") != key


@given(KINDS, NAMES)
def test_every_key_is_a_valid_label_key_and_depends_only_on_kind_and_name(
    kind: str, name: str
) -> None:
    key = connect_to_label(kind, name)
    assert not qualified_name_problem(key), key
    assert key.startswith("connect-to.konfiguru.io/")
    assert connect_to_label(kind, name) == key
    assert not label_value_problem(CONNECT_TO_VALUE)


@given(KINDS, NAMES, KINDS, NAMES)
def test_two_targets_never_share_a_key(kind: str, name: str, other_kind: str, other: str) -> None:
    if (kind.lower(), name) != (other_kind.lower(), other):
        assert connect_to_label(kind, name) != connect_to_label(other_kind, other)


def test_only_targets_in_the_callers_namespace_get_a_label() -> None:
    targets: list[dict[str, object]] = [
        {"name": "api"},
        {"name": "db", "kind": "Database", "namespace": "shop"},
        {"name": "search", "namespace": "infra"},
    ]
    assert list(connect_to_labels(targets, "shop")) == [
        "connect-to.konfiguru.io/app.api",
        "connect-to.konfiguru.io/database.db",
    ]
    # Without a namespace of its own the caller cannot tell "shop" is its namespace.
    assert list(connect_to_labels(targets, None)) == ["connect-to.konfiguru.io/app.api"]
