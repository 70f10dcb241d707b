"""Bad App specs: every error at once, each with its path, the bad value and what is accepted."""

from __future__ import annotations

import pytest
from appspec import errors, render

from konfiguru_generators.cron import schedule_problem


def test_a_memory_size_in_gb_suggests_g_or_gi() -> None:
    assert errors({"resources": {"memory": "5GB"}}) == [
        'spec.resources.memory: "5GB" is not a Kubernetes quantity; did you mean "5G" or "5Gi"?'
    ]


def test_every_problem_is_reported_at_once() -> None:
    messages = errors(
        {
            "port": 8080,
            "ports": [{"name": "http", "port": 8080}],
            "resources": {"cpu": "2 cores", "memory": "1Gi", "memoryLimit": "512Mi"},
            "env": {"1BAD": "x", "REF": {"secretKeyRef": {"name": "db"}}},
            "schedules": [{"name": "nightly", "schedule": "0 25 * * *"}],
            "jobs": [{"name": "a-very-long-migration-job-name-that-does-not-fit-anywhere"}],
            "health": {"readiness": {"http": {"port": "admin"}}},
        }
    )
    assert messages == [
        'spec.resources.cpu: "2 cores" is not a Kubernetes quantity; did you mean "2"?',
        'spec.resources.memoryLimit: "512Mi" is less than memory (1Gi); a limit must be at least the request; raise memoryLimit or lower memory',  # noqa: E501
        'spec.ports[0].name: "http" is already used by spec.port; "http" is the name of spec.port; choose another name',  # noqa: E501
        "spec.ports[0].port: 8080 is already used by spec.port",
        "spec.env[\"1BAD\"]: \"1BAD\" is not a valid environment variable name; letters, digits, '_', '-' and '.', not starting with a digit, e.g. LOG_LEVEL",  # noqa: E501
        "spec.env.REF.secretKeyRef.key: is required",
        'spec.health.readiness.http.port: "admin" is not a port of this app; accepted: http',
        'spec.jobs[0].name: "a-very-long-migration-job-name-that-does-not-fit-anywhere" is too long for a Job name; "<app>-<job>-<hash>" must fit in 63 characters; at most 50 characters here',  # noqa: E501
        'spec.schedules[0].schedule: "0 25 * * *" is not a valid cron schedule: the hour field "25" must use numbers 0-23; five fields "minute hour day-of-month month day-of-week", e.g. "0 3 * * *" (03:00 daily) or "*/15 * * * *"; or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',  # noqa: E501
    ]


def test_schema_errors_carry_the_crd_messages() -> None:
    messages = errors({"autoscale": {"min": 5, "max": 2}, "workload": "Deploymnet", "replicas": -1})
    assert (
        'spec.workload: "Deploymnet" is not an accepted value; did you mean "Deployment"? accepted: Deployment, StatefulSet, DaemonSet, Job, CronJob'  # noqa: E501
        in messages
    )
    assert "spec.replicas: -1 is too small; must be ≥ 0" in messages
    assert "spec.autoscale.max: 2 autoscale.max must be at least autoscale.min" in messages


def test_unknown_fields_get_a_did_you_mean() -> None:
    assert errors({"replica": 2}) == [
        'spec.replica: 2 is not a known field; did you mean "replicas"?'
    ]


def test_autoscale_on_a_daemonset_is_refused() -> None:
    assert any(
        "a DaemonSet runs one pod per node and cannot autoscale" in m
        for m in errors({"workload": "DaemonSet", "autoscale": {"max": 3}})
    )


def test_replicas_with_autoscale_is_a_misunderstanding() -> None:
    assert errors({"replicas": 3, "autoscale": {"max": 5}}) == [
        "spec.replicas: 3 is ignored when autoscale is set; remove replicas and set autoscale.min instead"  # noqa: E501
    ]


def test_a_cron_job_name_must_fit_52_characters() -> None:
    messages = errors({"schedules": [{"name": "x" * 49, "schedule": "@daily"}]})
    assert messages == [
        f'spec.schedules[0].name: "{"x" * 49}" is too long for a CronJob name; "<app>-<name>" must fit in 52 characters; at most 48 characters here'  # noqa: E501
    ]


def test_probes_and_metrics_need_a_port() -> None:
    assert errors({"health": {"liveness": {"tcp": {}}}, "observability": {"metrics": {}}}) == [
        "spec.health.liveness.tcp.port: is needed: the app has no port for the liveness probe; set port here, or spec.port",  # noqa: E501
        "spec.observability.metrics.port: is needed: the app has no port to scrape; set observability.metrics.port or spec.port",  # noqa: E501
    ]


def test_env_references_must_have_one_known_source() -> None:
    assert errors(
        {
            "env": {
                "A": {"secretRef": {"name": "x"}},
                "B": {"configMapKeyRef": {"name": "c", "key": "k", "optinal": True}},
            }
        }
    ) == [
        'spec.env.A: {"secretRef": {"name": "x"}} is not a valid reference; exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef, e.g. {secretKeyRef: {name: db, key: password}}',  # noqa: E501
        'spec.env.B.configMapKeyRef.optinal: true is not a known field; did you mean "optional"?',
    ]


def test_labels_and_mount_paths_are_checked() -> None:
    messages = errors(
        {
            "labels": {"team": "check out"},
            "security": {"writablePaths": ["/tmp", "/data"]},
            "hostPaths": [{"path": "/data"}],
        }
    )
    assert messages == [
        "spec.labels[\"team\"]: \"check out\" is not a valid label value; at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit",  # noqa: E501
        'spec.hostPaths[0]: "/data" is also mounted by spec.security.writablePaths[1]',
    ]


def test_tolerations_are_checked() -> None:
    assert errors({"tolerations": [{"operator": "Exists", "value": "x"}, {"value": "y"}]}) == [
        'spec.tolerations[0].value: "x" must be empty with operator Exists',
        "spec.tolerations[1].key: is required with operator Equal; or use operator Exists",
    ]


@pytest.mark.parametrize(
    "schedule",
    [
        "0 3 * * *",
        "*/15 * * * *",
        "0 0 1 jan,jul *",
        "30 2 * * mon-fri",
        "@daily",
        "0 0 ? * 0",
        "5 4 * * 6",
        "5 4 * * sun-sat",
    ],
)
def test_valid_cron_schedules_pass(schedule: str) -> None:
    assert schedule_problem(schedule) == ""


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("0 3 * *", "has 4 fields, not 5"),
        ("60 * * * *", 'the minute field "60" must use numbers 0-59'),
        ("* * 0 * *", 'the day of month field "0" must use numbers 1-31'),
        ("*/0 * * * *", 'the minute field "*/0" has a step of 0'),
        ("0 5-2 * * *", 'the hour range "5-2" runs backwards'),
        ("@every 5m", '"@every 5m" is not a known macro'),
        (
            "TZ=UTC 0 3 * * *",
            "time zones in the schedule are not supported by Kubernetes; use timeZone",
        ),
        ("? * * * *", '"?" is only allowed in day of month and day of week, not minute'),
        # robfig/cron v3, which the CronJob controller and the API server use, bounds it 0-6.
        (
            "5 4 * * 7",
            'the day of week field "7" uses 7, which Kubernetes refuses: Sunday is 0 (days are'
            " 0-6 or sun-sat)",
        ),
        (
            "5 4 * * 5-7",
            'the day of week field "5-7" uses 7, which Kubernetes refuses: Sunday is 0 (days are'
            " 0-6 or sun-sat)",
        ),
    ],
)
def test_invalid_cron_schedules_say_why(schedule: str, problem: str) -> None:
    assert schedule_problem(schedule) == problem


def test_a_valid_spec_renders_without_errors() -> None:
    assert render({"port": 8080, "resources": {"cpu": "500m", "memory": "1Gi", "cpuLimit": 1}})


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("0 ² * * *", 'the hour field "²" must use numbers 0-23'),
        ("0 3 * * */٣", 'the day of week field "*/٣" is not a value, range, list or step'),
        ("0\x1c3 * * * *", 'the minute field "0\x1c3" must use numbers 0-59'),
        ("\u00a00 3 * * *\u2003", ""),
    ],
    ids=["superscript-digit", "arabic-digit-step", "file-separator-is-no-space", "go-spaces"],
)
def test_cron_fields_are_split_and_read_as_robfig_cron_does(schedule: str, problem: str) -> None:
    # Non-ASCII digits are no numbers (they gave a ValueError traceback), and only what Go's
    # strings.Fields treats as space separates fields.
    assert schedule_problem(schedule) == problem
