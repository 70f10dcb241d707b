"""The Dockerfile builds what it claims, and its entry point runs the operator from a wheel.

No Docker engine is available, so the image is checked piece by piece: hadolint; the build
context (.dockerignore) holds every COPY source; every base image is pinned; the runtime stage
installs wheels only, keeps no build tools and runs as a numeric non-root user. Then the build
itself is replayed: the wheel (the session's ``konfiguru_wheel``, built from exactly the files of
the build context, which a test checks) is installed into a fresh virtual environment
(``wheel_venv``), and the image's ENTRYPOINT (with the image's ENV and the Deployment's env
from deploy/) is started against the Kubernetes API emulator: its liveness endpoint answers, and
it reconciles an App into its Deployment.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import kfgtest
import shipping

ROOT = shipping.ROOT
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|clang|make|build-essential|python3?-dev|apt-get|apk add|pip wheel|-m build)\b"
)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    comments: tuple[str, ...]  # the comment lines right above it


def parse_dockerfile(text: str) -> list[Instruction]:
    instructions: list[Instruction] = []
    comments: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and stripped.startswith("#"):
            comments.append(stripped[1:].strip())
            continue
        if not stripped and not pending:
            comments = []
            continue
        pending += (" " if pending else "") + stripped.rstrip("\\").strip()
        if stripped.endswith("\\"):
            continue
        keyword, _, arguments = pending.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), tuple(comments)))
        pending, comments = "", []
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


INSTRUCTIONS = parse_dockerfile(DOCKERFILE.read_text("utf-8"))
STAGES = stages(INSTRUCTIONS)
RUNTIME = STAGES[-1]


def _one(stage: list[Instruction], keyword: str) -> Instruction:
    (found,) = [i for i in stage if i.keyword == keyword]
    return found


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in RUNTIME:
        if instruction.keyword == "ENV":
            for pair in instruction.arguments.split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def entrypoint() -> list[str]:
    command = json.loads(_one(RUNTIME, "ENTRYPOINT").arguments)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    return command


# --- static checks --------------------------------------------------------------------------


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_ignored_hadolint_rule_is_explained_right_above() -> None:
    for instruction in INSTRUCTIONS:
        for comment in instruction.comments:
            match = re.match(r"hadolint ignore=(.+)", comment)
            if not match:
                continue
            for rule in match[1].split(","):
                explained = [c for c in instruction.comments if rule in c and c != comment]
                assert explained, f"hadolint ignore={rule} above {instruction.keyword} lacks a why"


def test_every_base_image_is_pinned_to_an_exact_tag_or_digest() -> None:
    for stage in STAGES:
        image = stage[0].arguments.split()[0]
        assert re.search(r"@sha256:[0-9a-f]{64}$|:\d+\.\d+\.\d+[-\w.]*$", image), image


def _files_and_links() -> Iterator[str]:
    """Every file and symlink under the repository (symlinked directories not followed)."""
    for directory, dirs, files in os.walk(ROOT):
        here = Path(directory)
        if here == ROOT:  # .git, .venv and caches are large and never part of the context
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(dirs):
            if (here / name).is_symlink():
                yield (here / name).relative_to(ROOT).as_posix()
        for name in sorted(files):
            yield (here / name).relative_to(ROOT).as_posix()


def _build_context_paths() -> list[str]:
    """Paths (relative, POSIX) the build context holds after .dockerignore."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = []
    for relative in _files_and_links():
        included = True
        for pattern in patterns:
            negate = pattern.startswith("!")
            body = pattern[1:] if negate else pattern
            body = body.rstrip("/")
            if body.startswith("**/"):
                hit = any(fnmatch.fnmatch(part, body[3:]) for part in relative.split("/"))
            else:
                hit = fnmatch.fnmatch(relative, body) or relative.startswith(body + "/")
            if hit:
                included = negate
        if included:
            kept.append(relative)
    return kept


@pytest.fixture(scope="module")
def context_paths() -> list[str]:
    return _build_context_paths()


def _copies() -> Iterator[tuple[list[str], str]]:
    for stage in STAGES:
        for instruction in stage:
            if instruction.keyword != "COPY" or "--from=" in instruction.arguments:
                continue
            parts = [p for p in instruction.arguments.split() if not p.startswith("--")]
            yield parts[:-1], parts[-1]


def test_every_copy_source_exists_and_is_in_the_build_context(context_paths: list[str]) -> None:
    copies = list(_copies())
    assert copies
    for sources, _ in copies:
        for source in sources:
            source = source.rstrip("/")
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert any(p == source or p.startswith(source + "/") for p in context_paths), (
                f"COPY {source}: excluded by .dockerignore"
            )


def test_the_build_context_holds_no_tests_venv_or_caches(context_paths: list[str]) -> None:
    for path in context_paths:
        assert not path.startswith(("tests/", "charts/", "deploy/", "bench/")), path
        assert "__pycache__" not in path and ".egg-info" not in path, path


def test_the_runtime_stage_installs_wheels_only_and_keeps_no_build_tools() -> None:
    runs = [i.arguments for i in RUNTIME if i.keyword == "RUN"]
    assert runs, "the runtime stage installs nothing"
    text = " ".join(runs)
    assert "pip install" in text and "--no-index" in text and "--find-links=/wheels" in text
    assert "from=build" in text  # the wheels come from the build stage, bind-mounted
    assert "pip uninstall --yes pip setuptools wheel" in text
    assert not BUILD_TOOLS.search(text), text
    assert not [i for i in RUNTIME if i.keyword in ("COPY", "ADD")], "sources copied into runtime"


def test_the_runtime_stage_runs_as_a_numeric_non_root_user() -> None:
    user = _one(RUNTIME, "USER").arguments
    assert re.fullmatch(r"\d+(:\d+)?", user), user
    assert all(int(part) > 0 for part in user.split(":"))
    # The chart runs the pod as the same user.
    pod = shipping.chart_objects({})
    (workload,) = [o for o in pod if o["kind"] == "Deployment"]
    security = workload["spec"]["template"]["spec"]["securityContext"]
    assert f"{security['runAsUser']}:{security['runAsGroup']}" == user


def test_the_entrypoint_is_an_exec_form_command_that_starts_the_operator() -> None:
    assert entrypoint() == ["python", "-m", "konfiguru_operator"]


# --- the build replayed: wheel, fresh venv, entry point against the emulator ------------------


def _wheel_source_files(wheel_sources: tuple[str, ...]) -> list[str]:
    """The files the session's ``konfiguru_wheel`` fixture copies before building (conftest)."""
    return [
        path
        for path in _files_and_links()
        if path.split("/")[0] in wheel_sources
        and "__pycache__" not in path.split("/")
        and not any(part.endswith(".egg-info") for part in path.split("/"))
    ]


def test_the_build_context_is_exactly_what_the_tested_wheel_is_built_from(
    context_paths: list[str], wheel_sources: tuple[str, ...]
) -> None:
    """The wheel below (shared with tests/unit/test_wheel.py, built once a session) stands for
    the image's: both are built from the same files."""
    assert sorted(context_paths) == sorted(_wheel_source_files(wheel_sources))


def test_the_wheel_ships_every_crd_template_and_both_packages(konfiguru_wheel: Path) -> None:
    names = set(zipfile.ZipFile(konfiguru_wheel).namelist())
    for crd in kfgtest.crd_files():
        assert f"konfiguru_generators/crds/{crd.name}" in names, crd.name
    assert any(n.startswith("konfiguru_generators/templates/") for n in names)
    assert "konfiguru_operator/__main__.py" in names
    assert not any(n.startswith(("tests/", "operator/", "generators/")) for n in names)


def test_the_wheel_venv_imports_the_operator_from_the_wheel(wheel_venv: Path) -> None:
    result = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c",
         "import konfiguru_operator, konfiguru_generators; "
         "print(konfiguru_operator.__file__); print(konfiguru_generators.__file__)"],
        capture_output=True, text=True, timeout=60, check=True, cwd="/",
    )  # fmt: skip
    for line in result.stdout.split():
        assert Path(line).resolve().is_relative_to(wheel_venv.resolve()), line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def container_env(objects: Iterable[Any]) -> dict[str, str]:
    """The plain env values of the operator container among ``objects``."""
    (workload,) = [o for o in objects if o and o["kind"] in ("Deployment", "StatefulSet")]
    container = workload["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item["value"] for item in container["env"] if "value" in item}


def deployment_env() -> dict[str, str]:
    """The env deploy/ gives the operator, plus what the chart adds for its ServiceMonitor."""
    plain = yaml.safe_load_all((shipping.DEPLOY / "operator.yaml").read_text("utf-8"))
    monitored = shipping.chart_objects({"serviceMonitor": {"enabled": True}})
    metrics = {"KONFIGURU_METRICS_PORT": container_env(monitored)["KONFIGURU_METRICS_PORT"]}
    return container_env(plain) | metrics


def _poll(url: str, deadline: float) -> tuple[int, str]:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except OSError as error:
            last = error
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered: {last}")


def test_the_entrypoint_from_the_wheel_serves_probes_reconciles_and_leaves_no_finalizer(
    wheel_venv: Path, emulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    emulator = emulator_factory()
    port, metrics_port = _free_port(), _free_port()
    env = {
        "PATH": f"{wheel_venv / 'bin'}:/usr/bin:/bin",
        "KUBECONFIG": str(emulator.kubeconfig),
        **image_env(),
        **deployment_env(),
        "HOME": str(tmp_path),
        "POD_ID": "konfiguru-0",
        "KONFIGURU_LIVENESS": f"http://127.0.0.1:{port}/healthz",
        "KONFIGURU_METRICS_PORT": str(metrics_port),
    }
    log = tmp_path / "operator.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            entrypoint(), env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            status, body = _poll(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 30)
            assert status == 200, body
            emulator.create(
                {
                    "apiVersion": "konfiguru.io/v1alpha1",
                    "kind": "App",
                    "metadata": {"name": "hello", "namespace": "default"},
                    "spec": {"image": "nginxinc/nginx-unprivileged:1.27", "port": 8080},
                }
            )
            deployment = emulator.wait_for_object("deployments", "hello", "default", bool)
            assert deployment["metadata"]["ownerReferences"][0]["kind"] == "App"
            # What the chart's ServiceMonitor scrapes.
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
            status, body = _poll(metrics_url, time.monotonic() + 10)
            assert status == 200 and "konfiguru_reconciles_total" in body, body
            assert process.poll() is None, "the operator exited"
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
    text = log.read_text()
    assert code == 0, text[-4000:]
    # No finalizer on the App: deleting it with the operator down completes, and the garbage
    # collector takes its children (the README's troubleshooting relies on this).
    app = emulator.get("apps.konfiguru.io", "hello", "default")
    assert not app["metadata"].get("finalizers"), app["metadata"]
    emulator.delete("apps.konfiguru.io", "hello", "default")
    emulator.wait_for_absence("apps.konfiguru.io", "hello", "default")
    emulator.wait_for_absence("deployments", "hello", "default")
    assert "Traceback" not in text, text[-4000:]
    # KONFIGURU_LOG_FORMAT=json from the Deployment: every log line is one JSON object.
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and all(line.startswith("{") for line in lines), lines[:5]


def _start(
    wheel_venv: Path, emulator: Any, tmp_path: Path, name: str, extra: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / f"{name}.log"
    env = {
        "PATH": f"{wheel_venv / 'bin'}:/usr/bin:/bin",
        "KUBECONFIG": str(emulator.kubeconfig),
        **image_env(),
        "HOME": str(tmp_path),
        "POD_ID": name,
        "KONFIGURU_LOG_FORMAT": "plain",
        "KONFIGURU_LIVENESS": f"http://127.0.0.1:{_free_port()}/healthz",
        **extra,
    }
    with log.open("w") as output:
        process = subprocess.Popen(  # the Dockerfile's own command
            entrypoint(), env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
    return process, log


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _wait_for_log(log: Path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{log.name} never said {text!r}:\n{log.read_text()[-3000:]}")


def _app(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"image": "nginxinc/nginx-unprivileged:1.27", "port": 8080},
    }


def test_ha_replicas_with_pod_index_priorities_let_one_work_and_the_other_take_over(
    wheel_venv: Path, emulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    # What the chart's StatefulSet sets up: a ClusterKopfPeering, replicas with the peering name
    # and their pod index as priority (0 and 1 here). Index 1 works, index 0 waits paused.
    emulator = emulator_factory()
    peering = shipping.chart_objects({"highAvailability": {"enabled": True}})
    (peering_object,) = [o for o in peering if o["kind"] == "ClusterKopfPeering"]
    emulator.create({k: v for k, v in peering_object.items() if k != "status"})
    name = peering_object["metadata"]["name"]
    low, low_log = _start(
        wheel_venv, emulator, tmp_path, "konfiguru-0",
        {"KONFIGURU_PEERING_NAME": name, "KONFIGURU_PRIORITY": "0"},
    )  # fmt: skip
    high, high_log = _start(
        wheel_venv, emulator, tmp_path, "konfiguru-1",
        {"KONFIGURU_PEERING_NAME": name, "KONFIGURU_PRIORITY": "1"},
    )  # fmt: skip
    try:
        _wait_for_log(low_log, "Pausing operations in favour of")
        emulator.create(_app("first"))
        emulator.wait_for_object("deployments", "first", "default", bool, timeout=20)
        assert "Pausing" not in high_log.read_text()
        # The working replica goes (a rollout, a node drain): the paused one takes over.
        assert _stop(high) == 0, high_log.read_text()[-3000:]
        _wait_for_log(low_log, "Resuming operations after the pause", timeout=30)
        emulator.create(_app("second"))
        emulator.wait_for_object("deployments", "second", "default", bool, timeout=20)
    finally:
        for process in (low, high):
            if process.poll() is None:
                _stop(process)


def test_replicas_with_equal_priorities_all_freeze_as_the_troubleshooting_says(
    wheel_venv: Path, emulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    # A cluster without the pod-index label gives KONFIGURU_PRIORITY="" to every replica: all
    # default to 0, Kopf sees equal priorities and pauses every one of them.
    emulator = emulator_factory()
    emulator.create(
        {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "k"}}
    )
    same = {"KONFIGURU_PEERING_NAME": "k", "KONFIGURU_PRIORITY": ""}
    first, first_log = _start(wheel_venv, emulator, tmp_path, "konfiguru-a", same)
    second, second_log = _start(wheel_venv, emulator, tmp_path, "konfiguru-b", same)
    try:
        for log in (first_log, second_log):
            _wait_for_log(log, "Pausing all operators, including self")
        emulator.create(_app("frozen"))
        time.sleep(2)
        assert emulator.find("deployments", "frozen", "default") is None
    finally:
        for process in (first, second):  # nothing to shut down cleanly: both are paused
            process.kill()
            process.wait()
