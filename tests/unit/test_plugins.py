"""Plugins: kinds added by installed packages through the ``konfiguru.kinds`` entry point.

The EdgeDevice plugin (``plugins/konfiguru-edgedevice``, installed by ``.ci/run`` like any
third-party package) is found through its entry point only: nothing in Konfiguru names it. Its
examples are part of the corpus (``kfgtest.corpus``), so the goldens, strict validation on 1.30
and 1.37, checkov, schema drift and admission parity cover it like a built-in kind. Broken
plugins are made here (``fakeplugin``): each is reported by name with its reason, and neither the
built-in kinds nor other plugins stop working.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import fakeplugin
import kfgtest
from konfiguru_generators import SpecError, render
from konfiguru_generators.kinds import BUILTIN, REGISTRY
from konfiguru_generators.plugins import failed_kinds

EDGE = kfgtest.PLUGINS / "konfiguru-edgedevice"
FACTORY = EDGE / "examples" / "factory-sensors.kfg.yaml"
WEB = kfgtest.EXAMPLES / "shop" / "web.kfg.yaml"


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A directory on ``sys.path`` whose plugins the registry loads (and forgets afterwards)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    REGISTRY.reload()
    yield tmp_path
    monkeypatch.undo()
    importlib.invalidate_caches()
    REGISTRY.reload()


def load(installed: Path) -> None:
    importlib.invalidate_caches()
    REGISTRY.reload()


def test_the_edgedevice_plugin_is_found_through_its_entry_point() -> None:
    (status,) = [s for s in REGISTRY.plugin_statuses() if s.name == "edgedevice"]
    assert status.ok and status.kinds == ("EdgeDevice",)
    assert status.distribution.startswith("konfiguru-edgedevice ")
    assert "EdgeDevice" in REGISTRY and "EdgeDevice" not in BUILTIN
    assert REGISTRY["EdgeDevice"].package == "konfiguru_edgedevice"


def test_konfiguru_plugins_lists_name_version_kinds_and_status() -> None:
    code, out, err = kfgtest.run_cli("plugins")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "VERSION", "KINDS", "STATUS", "PACKAGE"]
    assert ["edgedevice", "0.1.0", "EdgeDevice", "ok", "konfiguru-edgedevice", "0.1.0"] in [
        row.split() for row in rows
    ]


def test_konfiguru_crds_prints_the_plugin_crd_as_shipped() -> None:
    code, out, _ = kfgtest.run_cli("crds")
    assert code == 0
    crds = {d["metadata"]["name"]: d for d in kfgtest.load_all(out)}
    shipped = yaml.safe_load(
        (EDGE / "konfiguru_edgedevice" / "crds" / "edgedevice.yaml").read_text("utf-8")
    )
    assert crds["edgedevices.konfiguru.io"] == shipped
    assert {"apps.konfiguru.io", "databases.konfiguru.io"} <= set(crds)


def test_the_cli_renders_the_edgedevice_example_into_a_daemonset_on_its_devices() -> None:
    objects = {o["kind"]: o for o in kfgtest.rendered(FACTORY)}
    assert sorted(objects) == ["ConfigMap", "DaemonSet", "NetworkPolicy", "ServiceAccount"]
    pod = objects["DaemonSet"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {
        "konfiguru.io/device-type": "raspberry-pi",
        "kubernetes.io/arch": "arm64",
    }
    agent, sync = pod["containers"]
    assert {"name": "PROCESSING_MODE", "value": "hybrid"} in agent["env"]
    assert {"name": "SYNC_INTERVAL_SECONDS", "value": "300"} in sync["env"]
    assert agent["resources"]["limits"]["smarter-devices/gpiomem"] == 1
    sensors = yaml.safe_load(objects["ConfigMap"]["data"]["sensors.json"])["sensors"]
    assert [s["name"] for s in sensors] == ["temperature", "humidity"]


def test_edgedevice_pods_meet_the_restricted_pod_security_standard() -> None:
    for case in (c for c in kfgtest.corpus() if c.id.startswith("plugins/")):
        (daemonset,) = [o for o in kfgtest.rendered(case.path) if o["kind"] == "DaemonSet"]
        pod = daemonset["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert all("hostPath" not in volume for volume in pod["volumes"])
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize(("mode", "ports"), [("local", []), ("cloud", [443]), ("hybrid", [443])])
def test_processing_mode_decides_what_may_leave_the_device(mode: str, ports: list[int]) -> None:
    spec = {"image": "ghcr.io/acme/agent:1.0", "processingMode": mode}
    if mode != "local":
        spec["sync"] = {"destination": "https://example.com/in"}
    children = render(
        {
            "apiVersion": "konfiguru.io/v1alpha1",
            "kind": "EdgeDevice",
            "metadata": {"name": "edge"},
            "spec": spec,
        }
    )
    (policy,) = [c for c in children if c["kind"] == "NetworkPolicy"]
    beyond_dns = [rule for rule in policy["spec"]["egress"] if "to" not in rule]
    assert [p["port"] for rule in beyond_dns for p in rule["ports"]] == ports
    (daemonset,) = [c for c in children if c["kind"] == "DaemonSet"]
    names = [c["name"] for c in daemonset["spec"]["template"]["spec"]["containers"]]
    assert names == (["agent"] if mode == "local" else ["agent", "sync"])


@pytest.mark.parametrize(
    ("spec", "path", "words"),
    [
        ({"processingMode": "cloud"}, "spec.sync", "is required for cloud"),
        ({"sync": {"destination": "https://x.example"}}, "spec.sync", "never used with local"),
        ({"gpu": True}, "spec.gpu", "only available on nvidia-jetson"),
        ({"deviceType": "toaster"}, "spec.deviceType", "raspberry-pi"),
        ({"resources": {"memory": "64MB"}}, "spec.resources.memory", "quantity"),
        ({"env": {"PROCESSING_MODE": "x"}}, "spec.env.PROCESSING_MODE", "is set by Konfiguru"),
        ({"devices": ["gpiomem"]}, "spec.devices[0]", "extended resource"),
    ],
)
def test_a_bad_edgedevice_spec_is_a_clear_error_with_its_field_path(
    spec: dict, path: str, words: str
) -> None:
    document = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "EdgeDevice",
        "metadata": {"name": "edge"},
        "spec": {"image": "ghcr.io/acme/agent:1.0", **spec},
    }
    with pytest.raises(SpecError) as caught:
        render(document)
    assert any(e.path == path and words in str(e) for e in caught.value.errors), (
        caught.value.message
    )


@pytest.mark.parametrize("how", sorted(fakeplugin.BROKEN))
def test_a_broken_plugin_is_reported_by_name_and_the_rest_keeps_working(
    installed: Path, how: str
) -> None:
    fakeplugin.broken(installed, how)
    fakeplugin.gadget(installed, "gadget")
    load(installed)
    statuses = {s.entry_point: s for s in REGISTRY.plugin_statuses()}
    assert not statuses[how].ok
    for words in fakeplugin.BROKEN[how][1]:
        assert words in statuses[how].error, statuses[how].error
    # Built-in kinds, the EdgeDevice plugin and the other fake plugin are untouched.
    assert statuses["gadget"].ok and statuses["edgedevice"].ok
    assert REGISTRY["App"] is BUILTIN["App"]
    code, out, err = kfgtest.run_cli("render", "-f", str(WEB), "-f", str(FACTORY))
    assert code == 0, err
    assert "warning: plugin" in err and f"entry point konfiguru.kinds:{how} " in err
    assert "Traceback" not in err
    code, out, err = kfgtest.run_cli("plugins")
    assert code == 1
    assert "error: plugin" in err and f"konfiguru.kinds:{how} " in err
    assert [row.split()[3] for row in out.splitlines()[1:]].count("error") == 1


def test_a_resource_of_an_unusable_plugin_says_which_plugin_and_why(installed: Path) -> None:
    fakeplugin.broken(installed, "incompatible")
    load(installed)
    assert "Widget" in failed_kinds(REGISTRY.plugin_statuses())
    document = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {},
    }
    with pytest.raises(SpecError) as caught:
        render(document)
    (error,) = caught.value.errors
    assert error.path == "kind" and "plugin incompatible 1.0.0" in str(error)
    assert "needs Konfiguru >=9.0" in str(error)


def test_a_working_fake_plugin_renders_from_its_own_templates(installed: Path) -> None:
    fakeplugin.gadget(installed, "gadget")
    load(installed)
    (child,) = render(
        {"apiVersion": "konfiguru.io/v1alpha1", "kind": "Gadget", "metadata": {"name": "g"}}
    )
    assert child == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "g"},
        "data": {"colour": "blue"},
    }


def test_the_cli_with_a_plugin_that_fails_to_import_is_not_a_traceback(tmp_path: Path) -> None:
    # A fresh process, as users run it: importing Konfiguru itself must not load plugins.
    fakeplugin.broken(tmp_path, "import-error")
    result = subprocess.run(
        [sys.executable, "-m", "konfiguru_generators.cli", "render", "-f", str(WEB)],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "plugin ? ? (entry point konfiguru.kinds:import-error of import-error 0.1.0)" in (
        result.stderr
    )
    assert "kind: Deployment" in result.stdout


def test_operator_rbac_is_derived_for_plugin_kinds() -> None:
    from konfiguru_operator import rbac

    extra = rbac.permissions(REGISTRY) - rbac.permissions(BUILTIN)
    assert extra == {
        ("konfiguru.io", "edgedevices", "list"),
        ("konfiguru.io", "edgedevices", "watch"),
        ("konfiguru.io", "edgedevices", "patch"),
        ("konfiguru.io", "edgedevices/status", "patch"),
        ("konfiguru.io", "edgedevices/finalizers", "update"),
    }
    assert {
        "apiGroups": ["konfiguru.io"],
        "resources": ["edgedevices"],
        "verbs": ["list", "patch", "watch"],
    } in rbac.plugin_rules()


def test_a_plugin_child_kind_is_watched_and_granted(installed: Path) -> None:
    from konfiguru_generators.kinds.base import ChildKind, KindDefinition
    from konfiguru_operator import rbac

    definition = KindDefinition(
        "Probe",
        "probes",
        "x.yaml",
        lambda s, n: [],
        lambda r: [],
        child_kinds={"PodMonitor": ChildKind("monitoring.coreos.com/v1", "podmonitors")},
    )
    kinds = rbac.child_kinds({"Probe": definition})
    assert kinds["PodMonitor"].plural == "podmonitors"
    granted = rbac.permissions({"Probe": definition})
    assert ("monitoring.coreos.com", "podmonitors", "watch") in granted


def test_the_python_dsl_writes_a_plugin_kind_through_a_generic_builder() -> None:
    from konfiguru import builder_for

    edge = (
        builder_for("EdgeDevice")("edge", namespace="factory")
        .set("spec.image", "ghcr.io/acme/agent:1.0")
        .set("spec.deviceType", "nvidia-jetson")
    )
    (daemonset,) = [o for o in edge.render() if o["kind"] == "DaemonSet"]
    selector = daemonset["spec"]["template"]["spec"]["nodeSelector"]
    assert selector["konfiguru.io/device-type"] == "nvidia-jetson"
    with pytest.raises(SpecError) as caught:
        builder_for("EdgeDevice")("edge").set("spec.devicetype", "x")
    assert "spec.devicetype" in caught.value.message


def test_konfiguru_operator_rbac_prints_the_plugin_rules_as_helm_values() -> None:
    from konfiguru_operator import rbac

    result = subprocess.run(
        [sys.executable, "-m", "konfiguru_generators.cli", "operator", "rbac"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {"rbac": {"extraRules": rbac.plugin_rules()}}
