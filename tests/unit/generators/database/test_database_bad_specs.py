"""Bad Database specs each give one clear message naming the field, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from dbspec import database

from konfiguru_generators import SpecError, render


def only_error(**spec: Any) -> str:
    with pytest.raises(SpecError) as caught:
        render(database(**spec))
    assert len(caught.value.errors) == 1, caught.value.message
    return str(caught.value.errors[0])


def test_an_unknown_engine_names_the_field_and_suggests_the_closest() -> None:
    message = only_error(engine="postgresql", version="16")
    assert message.startswith('spec.engine: "postgresql" is not an accepted value')
    assert 'did you mean "postgres"?' in message


def test_postgres_replicas_explain_why_plain_replicas_are_not_replication() -> None:
    message = only_error(engine="postgres", version="16", replicas=3)
    assert message.startswith("spec.replicas: 3 ")
    assert "not replication" in message and "CloudNativePG" in message


def test_mysql_replicas_are_refused_the_same_way() -> None:
    message = only_error(engine="mysql", version="8.4", replicas=2)
    assert message.startswith("spec.replicas: 2 ") and "operator" in message


def test_an_even_mongodb_replica_set_is_refused() -> None:
    message = only_error(engine="mongodb", version="7.0", replicas=4)
    assert message.startswith("spec.replicas: 4 ") and "odd number" in message


def test_a_malformed_cron_schedule_names_the_field_and_shows_the_form() -> None:
    message = only_error(engine="redis", version="7.4", backup={"schedule": "0 25 * * *"})
    assert message.startswith('spec.backup.schedule: "0 25 * * *" is not a cron schedule')
    assert "hour" in message and "0 3 * * *" in message


def test_a_cron_schedule_with_six_fields_is_refused() -> None:
    message = only_error(engine="redis", version="7.4", backup={"schedule": "0 0 3 * * *"})
    assert "6 fields" in message


def test_storage_in_gb_suggests_g_or_gi() -> None:
    message = only_error(engine="postgres", version="16", storage={"size": "10 GB"})
    assert message.startswith('spec.storage.size: "10 GB" is not a Kubernetes quantity')
    assert 'did you mean "10G" or "10Gi"?' in message


def test_an_alpine_version_is_refused_with_the_reason() -> None:
    message = only_error(engine="postgres", version="16-alpine")
    assert message.startswith('spec.version: "16-alpine"') and "different user" in message


def test_a_too_old_version_is_refused_with_the_reason() -> None:
    message = only_error(engine="mongodb", version="5.0")
    assert message.startswith('spec.version: "5.0" is too old for mongodb')
    assert "mongosh" in message


def test_mysql_username_root_is_refused() -> None:
    message = only_error(engine="mysql", version="8.4", username="root")
    assert message.startswith('spec.username: "root" is the mysql administrator')


def test_a_parameter_konfiguru_controls_is_refused() -> None:
    message = only_error(engine="redis", version="7.4", parameters={"requirepass": "x"})
    assert message.startswith('spec.parameters.requirepass: "x" is set by Konfiguru')


def test_a_parameter_value_with_a_line_break_is_refused() -> None:
    message = only_error(engine="postgres", version="17", parameters={"work_mem": "4MB\nport = 1"})
    assert message.startswith("spec.parameters.work_mem:") and "line break" in message


def test_a_nested_parameter_value_is_refused() -> None:
    message = only_error(engine="mysql", version="8.4", parameters={"innodb": {"a": 1}})
    assert message.startswith("spec.parameters.innodb:") and "wrong type" in message


def test_mongodb_parameters_cannot_be_a_value_and_a_section() -> None:
    message = only_error(
        engine="mongodb",
        version="8.0",
        parameters={"net": "x", "net.compression.compressors": "zstd"},
    )
    assert 'conflicts with "net"' in message


def test_retention_with_both_count_and_days_is_refused() -> None:
    message = only_error(
        engine="redis",
        version="7.4",
        backup={"schedule": "@daily", "retention": {"count": 3, "days": 3}},
    )
    assert message.startswith("spec.backup.retention:") and "exactly one" in message


def test_s3_without_a_credentials_secret_is_refused() -> None:
    message = only_error(
        engine="redis",
        version="7.4",
        backup={"schedule": "@daily", "destination": {"s3": {"bucket": "b-1"}}},
    )
    assert message.startswith("spec.backup.destination.s3.credentialsSecret: is required")


def test_a_name_too_long_for_the_backup_cronjob_is_refused() -> None:
    with pytest.raises(SpecError) as caught:
        render(database("d" * 50, engine="redis", version="7.4", backup={"schedule": "@daily"}))
    (error,) = caught.value.errors
    assert error.path == "metadata.name" and "at most 45" in str(error)


def test_a_memory_limit_below_the_request_is_refused() -> None:
    message = only_error(
        engine="redis", version="7.4", resources={"memory": "1Gi", "memoryLimit": "512Mi"}
    )
    assert message.startswith('spec.resources.memoryLimit: "512Mi" is less than memory')


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SpecError) as caught:
        render(
            database(
                engine="postgres",
                version="17",
                storage={"size": "5 GB"},
                backup={"schedule": "every day"},
                parameters={"port": 5433},
            )
        )
    paths = {error.path for error in caught.value.errors}
    assert paths == {"spec.storage.size", "spec.backup.schedule", "spec.parameters.port"}
