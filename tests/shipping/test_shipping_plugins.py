"""The chart carries plugins' RBAC and the template directory to the operator.

- ``rbac.extraRules``: what ``konfiguru operator rbac`` prints for the installed plugins (here the
  EdgeDevice plugin) ends up in the operator's (Cluster)Role, so it may watch, patch and report
  on the plugin's resources.
- ``templates.files``: a ConfigMap mounted at the path ``KONFIGURU_TEMPLATES_DIR`` names, laid
  out as ``<kind>/<file>`` again (ConfigMap keys cannot hold "/"); written out as the kubelet
  would, it is a directory the operator accepts and renders from exactly like the CLI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

import kfgtest
import shipping
from konfiguru_generators import render
from konfiguru_operator import rbac
from konfiguru_operator.templates import check_templates

OVERRIDE = (
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ name | tojson }}\n"
    "  labels: {{ labels | tojson }}\n  annotations: {team: platform}\n"
    "automountServiceAccountToken: {{ automount | tojson }}\n"
)
ADDED = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
    "  name: {{ (resource.name ~ '-owner') | tojson }}\n"
    "data: {kind: {{ resource.kind | tojson }}}\n"
)


def test_konfiguru_operator_rbac_prints_helm_values_for_the_plugin_kinds() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "konfiguru_operator.rbac"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    values = yaml.safe_load(result.stdout)
    assert values == {"rbac": {"extraRules": rbac.plugin_rules()}}
    assert any("edgedevices/status" in rule["resources"] for rule in rbac.plugin_rules())


def test_extra_rules_reach_the_operators_cluster_role_and_namespaced_roles() -> None:
    extra = rbac.plugin_rules()
    for values in ({}, {"watch": {"scope": "namespaces", "namespaces": ["shop"]}}):
        objects = shipping.chart_objects({**values, "rbac": {"extraRules": extra}})
        roles = [o for o in objects if o["kind"] in ("ClusterRole", "Role")]
        for rule in extra:
            assert any(rule in role["rules"] for role in roles), (values, rule)
    plain = shipping.chart_objects({})
    assert not any(
        "edgedevices" in rule["resources"]
        for o in plain
        if o["kind"] in ("ClusterRole", "Role")
        for rule in o["rules"]
    )


def test_template_files_are_mounted_where_the_operator_reads_them(tmp_path: Path) -> None:
    files = {"app/serviceaccount.yaml.j2": OVERRIDE, "app/owner.yaml.j2": ADDED}
    objects = shipping.chart_objects({"templates": {"files": files}})
    (config,) = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("templates")
    ]
    (workload,) = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    pod = workload["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "templates"]
    assert env["KONFIGURU_TEMPLATES_DIR"] == mount["mountPath"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "templates"]
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    # What the kubelet makes of it: each item's key written at its path.
    root = tmp_path / "templates"
    for item in volume["configMap"]["items"]:
        target = root / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(config["data"][item["key"]], "utf-8")
    check_templates(str(root))
    (document,) = kfgtest.documents(kfgtest.EXAMPLES / "shop" / "web.kfg.yaml")
    operator = render(document, templates_dir=str(root))
    code, out, err = kfgtest.run_cli(
        "render", "-f", str(kfgtest.EXAMPLES / "shop" / "web.kfg.yaml"), "--templates", str(root)
    )
    assert code == 0, err
    assert kfgtest.load_all(out) == kfgtest.load_all(yaml.safe_dump_all(operator))
    kinds = {(o["kind"], o["metadata"]["name"]) for o in operator}
    assert ("ConfigMap", "web-owner") in kinds
    (account,) = [o for o in operator if o["kind"] == "ServiceAccount"]
    assert account["metadata"]["annotations"] == {"team": "platform"}
