"""Config hot reload: ``restartOnChange: false`` keeps the pods and lets the kubelet update the
mounted files in place; ``hotReload`` adds a sidecar that signals the app's process once they
changed, in a pod that stays within restricted Pod Security."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from appspec import errors, one, pod_spec, render

from konfiguru_generators.kinds.app.render_config import RELOADER_SCRIPT

FILES = [{"name": "default.conf", "content": "server {}"}]
HOT = {
    "security": {"runAsUser": 101},
    "config": {
        "restartOnChange": False,
        "hotReload": {"process": "nginx"},
        "mountPath": "/etc/nginx/conf.d",
        "files": FILES,
    },
}


def test_without_restart_on_change_the_files_are_a_whole_directory_and_no_checksum_rolls_pods():
    objects = render({"config": {"restartOnChange": False, "files": FILES}})
    pod = pod_spec(objects)
    template = one(objects, "Deployment")["spec"]["template"]
    assert "konfiguru.io/config-checksum" not in template["metadata"].get("annotations", {})
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "config"]
    assert "subPath" not in mount  # a subPath mount is never updated by the kubelet
    assert "shareProcessNamespace" not in pod and len(pod["containers"]) == 1


def test_hot_reload_adds_a_restricted_sidecar_signalling_the_named_process():
    pod = pod_spec(render(HOT))
    assert pod["shareProcessNamespace"] is True
    assert pod["securityContext"]["runAsUser"] == 101 and pod["securityContext"]["runAsNonRoot"]
    _, reloader = pod["containers"]
    assert reloader["name"] == "config-reloader"
    assert {e["name"]: e["value"] for e in reloader["env"]} == {
        "CONFIG_DIR": "/etc/nginx/conf.d",
        "INTERVAL": "10",
        "PROCESS": "nginx",
        "SIGNAL": "HUP",
    }
    assert reloader["volumeMounts"] == [
        {"name": "config", "mountPath": "/etc/nginx/conf.d", "readOnly": True}
    ]
    assert reloader["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
    }
    assert "nginx" not in reloader["command"][2]  # user input reaches it only as env


def test_jobs_and_schedules_get_no_reloader():
    objects = render({**HOT, "jobs": [{"name": "migrate", "command": ["m"]}]})
    assert len(pod_spec(objects, "Job")["containers"]) == 1
    assert "shareProcessNamespace" not in pod_spec(objects, "Job")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["config"].update(restartOnChange=True),
            "hotReload signals the app instead of restarting it: set restartOnChange false",
        ),
        (lambda s: s["config"].pop("files"), "hotReload watches the mounted config files"),
        (lambda s: s.pop("security"), "set security.runAsUser to the app image's user id"),
        (
            lambda s: s["config"]["hotReload"].update(process="nginx; rm -rf /"),
            "must be the process name as ps shows it",
        ),
        (
            lambda s: s.update(workload="CronJob", run={"schedule": "0 3 * * *"}),
            "hot reload is for long-running pods",
        ),
    ],
)
def test_a_hot_reload_that_cannot_work_is_refused_saying_why(change, message):
    spec = {**HOT, "config": {**HOT["config"], "hotReload": {"process": "nginx"}}}
    spec["security"] = dict(HOT["security"])
    change(spec)
    if spec.get("workload") == "CronJob":
        spec.pop("port", None)
    found = errors(spec)
    assert any(message in error for error in found), found


def test_the_reloader_script_signals_once_per_swap_of_the_kubelets_data_link(tmp_path: Path):
    """Run the sidecar's script with sh, a fake pkill recording its arguments, and a config
    directory changed the way the kubelet changes it (the ``..data`` symlink swapped)."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "..2026_01").mkdir()
    (config / "..data").symlink_to("..2026_01")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "pkill"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n', "utf-8")
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CONFIG_DIR": str(config),
        "INTERVAL": "0.2",
        "PROCESS": "nginx",
        "SIGNAL": "HUP",
    }
    script = subprocess.Popen(["sh", "-c", RELOADER_SCRIPT], env=env, stdout=subprocess.PIPE)
    try:
        time.sleep(0.6)
        assert not calls.exists()  # no change, no signal
        (config / "..2026_02").mkdir()
        (config / "..data_tmp").symlink_to("..2026_02")
        (config / "..data_tmp").rename(config / "..data")
        deadline = time.monotonic() + 10
        while not calls.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.6)
        assert calls.read_text("utf-8").splitlines() == ["-HUP -o -x nginx"]
    finally:
        script.kill()
        script.wait()
