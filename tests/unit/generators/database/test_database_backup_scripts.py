"""The backup scripts, run for real by bash with stub dump tools: a failed dump fails the job and
leaves nothing that looks complete; retention keeps exactly what it promises."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from dbspec import VARIANTS, render_db

from konfiguru_generators.kinds.database import backup
from konfiguru_generators.kinds.database.engines import BACKUP_DIR, ENGINES

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

STUBS = {
    # Writes the file named after -f, then exits with $FAIL_PG_DUMP.
    "pg_dump": 'while [ $# -gt 0 ]; do [ "$1" = -f ] && echo dump > "$2"; shift; done;'
    ' exit "${FAIL_PG_DUMP:-0}"',
    "pg_dumpall": 'echo "CREATE ROLE app;"; exit "${FAIL_PG_DUMPALL:-0}"',
    "mysqldump": 'echo "-- partial dump"; exit "${FAIL_MYSQLDUMP:-0}"',
}


def _stub_dir(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _run(
    tmp_path: Path, engine: str, mode: str, keep: int, **env: str
) -> subprocess.CompletedProcess[str]:
    target = tmp_path / "backup"
    target.mkdir(exist_ok=True)
    script = backup.local_script(ENGINES[engine], mode).replace(
        f'dir="{BACKUP_DIR}"', f'dir="{target}"'
    )
    environment = {
        "PATH": f"{_stub_dir(tmp_path)}:/usr/bin:/bin",
        "DB_HOST": "db",
        "DB_PORT": "5432",
        "DB_USER": "app",
        "DB_NAME": "app",
        "DB_PASSWORD": "secret",
        "KEEP": str(keep),
        **env,
    }
    return subprocess.run(
        ["bash", "-c", script], env=environment, capture_output=True, text=True, timeout=30
    )


def _complete(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "backup").iterdir())


def test_a_successful_postgres_backup_is_one_complete_directory(tmp_path: Path) -> None:
    result = _run(tmp_path, "postgres", "count", 7)
    assert result.returncode == 0, result.stderr
    (stamp,) = _complete(tmp_path)
    assert stamp.endswith("Z") and "." not in stamp
    files = sorted(p.name for p in (tmp_path / "backup" / stamp).iterdir())
    assert files == ["app.dump", "globals.sql.gz"]


def test_a_failed_dump_fails_the_job_and_leaves_no_complete_backup(tmp_path: Path) -> None:
    result = _run(tmp_path, "postgres", "count", 7, FAIL_PG_DUMP="1")
    assert result.returncode != 0
    assert all(name.endswith(".partial") for name in _complete(tmp_path))


def test_pipefail_catches_a_dump_failing_inside_a_pipe_into_gzip(tmp_path: Path) -> None:
    # Without pipefail, gzip's success would hide mysqldump's failure.
    result = _run(tmp_path, "mysql", "count", 7, FAIL_MYSQLDUMP="2")
    assert result.returncode != 0
    assert not [name for name in _complete(tmp_path) if not name.endswith(".partial")]


def test_count_retention_keeps_the_newest_complete_dumps_and_clears_leftovers(
    tmp_path: Path,
) -> None:
    old = ["20200101T000000Z", "20210101T000000Z", "20220101T000000Z"]
    for name in [*old, "20230101T000000Z.partial"]:
        (tmp_path / "backup" / name).mkdir(parents=True)
    result = _run(tmp_path, "postgres", "count", 2)
    assert result.returncode == 0, result.stderr
    kept = _complete(tmp_path)
    assert len(kept) == 2 and kept[0] == "20220101T000000Z"
    assert not any(name.endswith(".partial") for name in kept)


def test_days_retention_deletes_only_dumps_older_than_the_cutoff(tmp_path: Path) -> None:
    (tmp_path / "backup" / "20000101T000000Z").mkdir(parents=True)
    result = _run(tmp_path, "postgres", "days", 3)
    assert result.returncode == 0, result.stderr
    (kept,) = _complete(tmp_path)
    assert kept != "20000101T000000Z"


def test_s3_upload_prunes_old_prefixes_with_the_aws_cli(tmp_path: Path) -> None:
    work = tmp_path / "backup"
    (work / "20260101T000000Z").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "aws.log"
    aws = bin_dir / "aws"
    aws.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> {log}\n'
        'if [ "$2" = ls ]; then printf "PRE 20250101T000000Z/\\nPRE 20250201T000000Z/\\n'
        'PRE 20260101T000000Z/\\nPRE other/\\n"; fi\n'
    )
    aws.chmod(0o755)
    script = backup.upload_script("count").replace(f'cd "{BACKUP_DIR}"', f'cd "{work}"')
    result = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "BUCKET": "b", "PREFIX": "db", "KEEP": "2"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls[0].startswith(
        "s3 cp --recursive --only-show-errors 20260101T000000Z s3://b/db/20260101T000000Z/"
    )
    assert [c for c in calls if c.startswith("s3 rm")] == [
        "s3 rm --recursive --only-show-errors s3://b/db/20250101T000000Z/"
    ]


def _shell_scripts(objects: list[dict]) -> list[tuple[str, str, str]]:
    """(where, shell, script) for every ``sh -c`` / ``bash -c`` in the rendered objects."""
    found: list[tuple[str, str, str]] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            if len(node) >= 3 and node[0] in ("sh", "bash") and node[1] == "-c":
                found.append((where, node[0], node[2]))
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    for obj in objects:
        walk(obj, f"{obj['kind']}/{obj['metadata']['name']}")
    return found


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_generated_shell_script_parses(variant: str) -> None:
    spec = {**VARIANTS[variant], "backup": {"schedule": "@daily"}}
    scripts = _shell_scripts(render_db(**spec).objects)
    scripts += _shell_scripts(
        render_db(
            **VARIANTS[variant],
            backup={
                "schedule": "@daily",
                "retention": {"days": 3},
                "destination": {"s3": {"bucket": "b-1", "credentialsSecret": "s"}},
            },
        ).objects
    )
    assert len(scripts) >= 4
    for where, shell, script in scripts:
        # `sh` in these images is dash or bash: check with the strictest shell at hand.
        checker = shell if shell == "bash" or not shutil.which("dash") else "dash"
        result = subprocess.run([checker, "-n", "-c", script], capture_output=True, text=True)
        assert result.returncode == 0, f"{where}: {result.stderr}\n{script}"
