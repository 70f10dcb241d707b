"""Config changes through the operator: by default a new checksum rolls the pods; with hot
reload (``restartOnChange: false``, ``hotReload``) the ConfigMap changes in place and the
workload is left as it is, its reloader sidecar included."""

from __future__ import annotations

import pytest
from helpers import app, edit_spec, wait_ready

FILES = [{"name": "default.conf", "content": "server { listen 8080; }"}]


def _config(hot: bool) -> dict:
    if hot:
        return {"restartOnChange": False, "hotReload": {"process": "nginx"}, "files": FILES}
    return {"files": FILES}


@pytest.mark.parametrize("hot", [False, True], ids=["restart", "hot"])
def test_a_config_change_rolls_the_pods_only_without_hot_reload(emulator, operator, hot):
    emulator.create(app(config=_config(hot), security={"runAsUser": 101}))
    wait_ready(emulator)
    before = emulator.get("deployments", "shop", "default")
    containers = [c["name"] for c in before["spec"]["template"]["spec"]["containers"]]
    assert containers == (["shop", "config-reloader"] if hot else ["shop"])
    new = "server { listen 8080; return 204; }"
    edit_spec(emulator, "shop", lambda s: s["config"]["files"][0].update(content=new))
    emulator.wait_for_object(
        "configmaps", "shop-config", "default", lambda c: new in c["data"]["default.conf"]
    )
    wait_ready(emulator)
    after = emulator.get("deployments", "shop", "default")
    if hot:
        # Nothing to roll: the kubelet updates the mounted file, the sidecar signals nginx.
        assert after["metadata"]["generation"] == before["metadata"]["generation"]
        assert after["spec"]["template"] == before["spec"]["template"]
    else:
        assert after["metadata"]["generation"] > before["metadata"]["generation"]
