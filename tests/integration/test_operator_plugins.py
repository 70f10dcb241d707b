"""The operator reconciles plugin kinds like built-in ones, and survives broken plugins.

The EdgeDevice plugin (``plugins/konfiguru-edgedevice``) is installed like any third-party
package and found through its entry point: its resource becomes Ready, a child edited by hand
is healed, a child no longer rendered is pruned, all with ownership and status as for an App. A
broken plugin (``fakeplugin``) is named in the log while the built-in kinds and the EdgeDevice
keep working. With ``KONFIGURU_TEMPLATES_DIR`` the operator applies exactly what ``konfiguru
render --templates`` prints: overrides and added templates alike.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import yaml
from helpers import app, conditions, edit_spec, is_ready, wait_ready
from test_operator_examples import _as_committed, _differences

import fakeplugin
import kfgtest
from konfiguru_generators.kinds import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
EDGE = "edgedevices.konfiguru.io"
FACTORY = ROOT / "plugins" / "konfiguru-edgedevice" / "examples" / "factory-sensors.kfg.yaml"


def edge_device() -> dict:
    (document,) = kfgtest.documents(FACTORY)
    document["metadata"]["namespace"] = "default"
    return document


def install_crd(emulator) -> None:
    emulator.create(copy.deepcopy(REGISTRY["EdgeDevice"].crd()))


def wait_edge_ready(emulator, name: str = "factory-sensors") -> dict:
    return emulator.wait_for_object(EDGE, name, "default", is_ready, timeout=30)


def test_an_edgedevice_becomes_ready_is_healed_and_pruned(emulator, operator_factory):
    install_crd(emulator)
    operator_factory()
    parent = emulator.create(edge_device())
    ready = wait_edge_ready(emulator)
    assert conditions(ready)["Ready"]["status"] == "True"
    uid = parent["metadata"]["uid"]
    daemonset = emulator.get("daemonsets.apps", "factory-sensors", "default")
    (owner,) = daemonset["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("EdgeDevice", uid, True)
    assert daemonset["metadata"]["labels"]["konfiguru.io/owner-uid"] == uid
    # Drift: a hand edit of the DaemonSet and a deleted ConfigMap are put back.
    emulator.patch(
        "daemonsets.apps",
        "factory-sensors",
        {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "evil:1"}]}}}},
        "default",
        type="strategic",
        manager="kubectl-edit",
    )
    emulator.delete("configmaps", "factory-sensors-sensors", "default")
    emulator.wait_for_object(
        "daemonsets.apps",
        "factory-sensors",
        "default",
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["image"].endswith("agent:1.4.2"),
    )
    emulator.wait_for_object("configmaps", "factory-sensors-sensors", "default", lambda c: True)
    # Pruning: without sensors there is no sensor configuration.
    edit_spec(emulator, "factory-sensors", lambda spec: spec.pop("sensors"), kind=EDGE)
    emulator.wait_for_absence("configmaps", "factory-sensors-sensors", "default")
    healed = wait_edge_ready(emulator)
    assert healed["status"]["observedGeneration"] == 2


def test_a_broken_plugin_is_logged_and_every_other_kind_still_reconciles(
    emulator, operator_factory, tmp_path
):
    plugins = tmp_path / "broken-plugins"
    fakeplugin.broken(plugins, "import-error")
    fakeplugin.broken(plugins, "incompatible")
    install_crd(emulator)
    path = os.pathsep.join([str(plugins), str(ROOT / "generators"), str(ROOT / "operator")])
    process = operator_factory(PYTHONPATH=path)
    emulator.create(app("shop"))
    emulator.create(edge_device())
    wait_ready(emulator, "shop")
    wait_edge_ready(emulator)
    for name in ("import-error", "incompatible"):
        assert f"konfiguru.kinds:{name} of {name} 0.1.0) is not used" in process.log
    assert "ImportError: No module named 'gpiozero'" in process.log
    assert "needs Konfiguru >=9.0" in process.log
    assert "Traceback" not in process.log


OVERRIDE = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ name | tojson }}
  labels: {{ labels | tojson }}
  annotations: {"example.com/team": "platform"}
automountServiceAccountToken: {{ automount | tojson }}
"""

ADDED = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ (resource.name ~ "-owner") | tojson }}
  labels: {{ resource.labels("owner") | tojson }}
data:
  kind: {{ resource.kind | tojson }}
  children: {{ (children | map(attribute="kind") | sort | join(",")) | tojson }}
"""

EDGE_OVERRIDE = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ resource.name | tojson }}
  labels: {{ labels | tojson }}
  annotations: {"example.com/fleet": "edge"}
automountServiceAccountToken: false
"""


def templates(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "edgedevice").mkdir()
    (root / "app" / "serviceaccount.yaml.j2").write_text(OVERRIDE)
    (root / "app" / "owner-configmap.yaml.j2").write_text(ADDED)
    (root / "edgedevice" / "serviceaccount.yaml.j2").write_text(EDGE_OVERRIDE)
    return root


def test_template_overrides_and_added_templates_change_cli_and_operator_alike(
    emulator, operator_factory, tmp_path
):
    directory = templates(tmp_path / "templates")
    install_crd(emulator)
    operator_factory(KONFIGURU_TEMPLATES_DIR=str(directory))
    emulator.create(app("shop"))
    emulator.create(edge_device())
    parents = [wait_ready(emulator, "shop"), wait_edge_ready(emulator)]
    problems = []
    for parent in parents:
        source = tmp_path / f"{parent['kind']}.yaml"
        source.write_text(yaml.safe_dump(_as_committed(parent)))
        code, out, err = kfgtest.run_cli("render", "-f", str(source), "--templates", str(directory))
        assert code == 0, err
        rendered = kfgtest.load_all(out)
        for child in rendered:
            live = emulator.get(child["kind"], child["metadata"]["name"], "default")
            problems += _differences(child, live, f"{child['kind']} {child['metadata']['name']}")
        accounts = [c for c in rendered if c["kind"] == "ServiceAccount"]
        assert accounts and all(c["metadata"].get("annotations") for c in accounts)
    assert problems == []
    # The override reached the cluster; the added template is one more child of the App only.
    account = emulator.get("serviceaccounts", "shop", "default")
    assert account["metadata"]["annotations"]["example.com/team"] == "platform"
    edge_account = emulator.get("serviceaccounts", "factory-sensors", "default")
    assert edge_account["metadata"]["annotations"]["example.com/fleet"] == "edge"
    owner = emulator.get("configmaps", "shop-owner", "default")
    assert owner["data"]["kind"] == "App" and "Deployment" in owner["data"]["children"]
    assert owner["metadata"]["ownerReferences"][0]["kind"] == "App"
    assert emulator.find("configmaps", "factory-sensors-owner", "default") is None


def test_a_plugin_whose_crd_is_not_installed_does_not_stop_the_built_in_kinds(
    emulator, operator_factory
):
    # The plugin is installed in the operator's environment, its CRD not yet in the cluster.
    process = operator_factory()
    emulator.create(app("shop"))
    wait_ready(emulator, "shop")
    assert "Traceback" not in process.log
