"""Running the operator: scope (-n, -A), JSON logs, the CLI entry point, a restart mid-reconcile."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

from helpers import app, wait_ready


def test_cluster_wide_mode_reconciles_every_namespace(emulator, operator_factory):
    emulator.ensure_namespace("team-a")
    operator_factory("-A")
    body = app()
    body["metadata"]["namespace"] = "team-a"
    emulator.create(body)
    emulator.wait_for_object(
        "apps.konfiguru.io",
        "shop",
        "team-a",
        lambda a: (a.get("status") or {}).get("phase") == "Ready",
        timeout=15,
    )


def test_a_namespaced_operator_leaves_other_namespaces_alone(emulator, operator):
    emulator.ensure_namespace("elsewhere")
    body = app()
    body["metadata"]["namespace"] = "elsewhere"
    emulator.create(body)
    emulator.create(app("here"))
    wait_ready(emulator, "here")
    assert emulator.find("deployments", "shop", "elsewhere") is None


def test_kopf_run_with_the_module_works_like_konfiguru_operator_run(emulator, operator_factory):
    operator_factory("--standalone", "-n", "default", kopf_cli=True)
    emulator.create(app())
    wait_ready(emulator)


def test_json_logs_are_one_json_object_per_line(emulator, operator_factory):
    process = operator_factory(KONFIGURU_LOG_FORMAT="json")
    emulator.create(app())
    wait_ready(emulator)
    lines = [line for line in process.log.splitlines() if line.strip()]
    assert lines and all(isinstance(json.loads(line), dict) for line in lines[:20])


def test_konfiguru_operator_run_hands_over_to_the_operator():
    result = subprocess.run(
        [sys.executable, "-m", "konfiguru_generators.cli", "operator", "run", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    assert "konfiguru operator run" in result.stdout and "--all-namespaces" in result.stdout


def test_a_restart_in_the_middle_of_a_reconcile_converges(emulator, operator):
    slow = emulator.faults.add("PATCH", r"/deployments/shop", status=None, delay=2, times=1)
    emulator.create(app(secrets=[{"name": "db", "generate": [{"key": "password"}]}]))
    emulator.wait_for(lambda: slow.hits == 1, timeout=15)
    operator.restart()  # SIGTERM while the Deployment write hangs
    ready = wait_ready(emulator)
    parent = emulator.get("apps.konfiguru.io", "shop", "default")
    kinds = [(c["kind"], c["metadata"]["name"]) for _, c in emulator.children(parent)]
    assert len(kinds) == len(set(kinds)) and ("Deployment", "shop") in kinds
    assert ready["status"]["observedGeneration"] == 1


def _listening_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` listens on: its socket inodes matched in /proc/net/tcp*."""
    import os

    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_an_empty_liveness_variable_starts_the_operator_without_the_endpoint(emulator, tmp_path):
    from operator_process import OperatorProcess, free_port

    settings = OperatorProcess(emulator, tmp_path).env
    metrics = free_port()
    env = {**settings, "KONFIGURU_LIVENESS": "", "KONFIGURU_METRICS_PORT": str(metrics)}
    log = (tmp_path / "operator.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "konfiguru_operator", "-n", "default"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        emulator.create(app())
        wait_ready(emulator)
        emulator.wait_for(lambda: metrics in _listening_ports(process.pid), timeout=10)
        assert _listening_ports(process.pid) == {metrics}
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
