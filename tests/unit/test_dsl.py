"""The Python DSL (``konfiguru``): every CRD field reachable, typed for users' mypy, one pipeline.

The builders' per-field methods are generated from the CRD schemas (``konfiguru/codegen.py``
writes ``konfiguru/_fields.py``); these tests keep the committed file equal to what the CRDs give,
reach every field the CRDs declare (top-level ones by their named method, nested ones by the
checked ``set(path, value)``), check a user's module with ``mypy --strict``, and hold the three
ways of writing one App (YAML, ``.kfg``, Python) to byte-identical output.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_kfg import declared_paths, every_field_value

import kfgtest
import konfiguru
from konfiguru import (
    App,
    ConfigMap,
    CronJob,
    Database,
    DataPipeline,
    Ingress,
    Job,
    MLPipeline,
    Secret,
    SpecError,
    StatefulApp,
    codegen,
)
from konfiguru._base import Builder
from konfiguru_generators.kinds import BUILTIN

FIELDS_MODULE = Path(konfiguru.__file__).parent / "_fields.py"
BUILDERS: dict[str, type[Builder]] = {
    "App": App,
    "Database": Database,
    "MLPipeline": MLPipeline,
    "DataPipeline": DataPipeline,
}
THREE_WAYS = [kfgtest.EXAMPLES / "shop" / name for name in ("web.kfg.yaml", "web.kfg", "web.py")]


def _ruff_formatted(text: str) -> str:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is a test dependency"
    result = subprocess.run(
        [ruff, "format", "--stdin-filename", str(FIELDS_MODULE), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=kfgtest.ROOT,
        check=True,
    )
    return result.stdout


# --- no drift from the CRDs ------------------------------------------------------------------


def test_the_per_field_methods_are_the_ones_the_crds_generate(update_golden: bool) -> None:
    expected = _ruff_formatted(codegen.module_text())
    if update_golden:
        FIELDS_MODULE.write_text(expected, "utf-8")
    assert FIELDS_MODULE.read_text("utf-8") == expected, (
        "konfiguru/_fields.py is stale: pytest tests/unit/test_dsl.py --update-golden"
    )


def test_every_built_in_kind_has_a_builder() -> None:
    # Plugin kinds get a generic one: builder_for (tests/unit/test_plugins.py).
    assert set(BUILDERS) == set(BUILTIN)
    for kind, builder in BUILDERS.items():
        assert kind == builder.KIND


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_every_top_level_field_has_a_named_method_that_writes_it(kind: str) -> None:
    builder_class = BUILDERS[kind]
    properties = builder_class.schema()["properties"]
    for field, schema in properties.items():
        method = getattr(builder_class, codegen.snake(field), None)
        assert method is not None, f"{kind} has no method for spec.{field}"
        doc = (method.__doc__ or "").lower()
        assert "default" in doc or "required" in doc, f"{kind}.{method.__name__}: no default"
        value = every_field_value(schema)
        builder = builder_class("x")
        method(builder, value)
        assert builder.to_resource()["spec"][field] == value, f"{kind}.{method.__name__}"


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_every_nested_field_the_crd_declares_is_reachable_with_a_checked_set(kind: str) -> None:
    builder_class = BUILDERS[kind]
    paths = sorted(declared_paths(builder_class.schema()) - {"spec"})
    assert len(paths) > 20
    for path in paths:
        builder = builder_class("x").set(path, "probe")
        node: Any = builder.to_resource()["spec"]
        for part in path.replace("[0]", ".0").split(".")[1:]:
            node = node[int(part)] if part.isdigit() else node[part]
        assert node == "probe", path


def test_set_refuses_a_field_the_crd_does_not_declare_naming_it() -> None:
    with pytest.raises(SpecError) as caught:
        App("web").set("health.readyness.http.path", "/ready")
    (error,) = caught.value.errors
    assert error.path == "spec.health.readyness"
    assert 'did you mean "readiness"' in error.hint


def test_a_keyword_the_object_does_not_have_is_refused_with_a_did_you_mean() -> None:
    with pytest.raises(SpecError) as caught:
        App("web").lifecycle(pre_stopp={"sleepSeconds": 5})
    assert caught.value.errors[0].path == "spec.lifecycle.pre_stopp"
    assert "pre_stop" in caught.value.errors[0].hint


def test_every_public_method_says_its_default_or_what_it_writes() -> None:
    classes = [App, StatefulApp, Job, CronJob, Database, MLPipeline, DataPipeline]
    for cls in [*classes, Secret, ConfigMap, Ingress]:
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                assert member.__doc__, f"{cls.__name__}.{name} has no docstring"


# --- one pipeline ----------------------------------------------------------------------------


def test_a_mistake_raises_the_pipelines_spec_error_with_the_field_path() -> None:
    with pytest.raises(SpecError) as caught:
        App("web").image("nginx:1.27").port(70000).validate()
    assert [error.path for error in caught.value.errors] == ["spec.port"]
    assert caught.value.errors[0].value == 70000


def test_render_and_to_yaml_are_the_pipelines_output() -> None:
    web = App("web", namespace="shop").image("nginx:1.27").port(8080)
    from konfiguru_generators import render

    assert web.render() == render(web.to_resource())
    assert yaml.safe_load(web.to_yaml()) == web.to_resource()


def test_to_resource_is_a_copy_the_caller_may_change() -> None:
    web = App("web").image("nginx:1.27").environment(LOG_LEVEL="info")
    resource = web.to_resource()
    resource["spec"]["env"]["LOG_LEVEL"] = "debug"
    assert web.to_resource()["spec"]["env"] == {"LOG_LEVEL": "info"}


def test_the_variants_are_apps_with_their_workload_and_validate() -> None:
    stateful = StatefulApp("kafka").image("apache/kafka:3.8.0").port(9092).replicas(3)
    stateful.storage("50Gi", mount_path="/var/lib/kafka")
    job = Job("backfill").image("ghcr.io/acme/backfill:1").command(["backfill"]).parallelism(2)
    job.completions(4).timeout(600).backoff_limit(1)
    cron = CronJob("report").image("ghcr.io/acme/report:1").schedule("0 2 * * *")
    cron.timezone("Europe/Berlin").concurrent_policy("Forbid").retention_limit(5, 2)
    for builder, workload in ((stateful, "StatefulSet"), (job, "Job"), (cron, "CronJob")):
        assert builder.validate()["spec"]["workload"] == workload
    assert stateful.to_resource()["spec"]["volumes"] == [
        {"name": "data", "mountPath": "/var/lib/kafka", "size": "50Gi"}
    ]
    assert job.to_resource()["spec"]["run"] == {
        "parallelism": 2,
        "completions": 4,
        "timeoutSeconds": 600,
        "backoffLimit": 1,
    }
    assert cron.to_resource()["spec"]["run"]["timeZone"] == "Europe/Berlin"


def test_the_design_documents_app_methods_write_the_crd_fields() -> None:
    db = Database("orders-db").engine("postgres").version("17").storage("20Gi")
    db.backup_schedule("0 3 * * *", keep_days=14)
    migrate = Job("migrate").image("ghcr.io/acme/api:3").command(["migrate"]).timeout(600)
    api = (
        App("api", namespace="shop")
        .image("ghcr.io/acme/api:3")
        .port(8000)
        .environment({"LOG_LEVEL": "info"})
        .resources(cpu="500m", memory="512Mi", memory_limit="1Gi")
        .scale(replicas=2, auto_scale_on_cpu=70)
        .expose(external_access=True, port=80)
        .connect_to(db, "cache")
        .add_secrets(
            Secret("session").generate_random("SIGNING_KEY", length=64),
            Secret("stripe").from_vault("vault-shop", {"STRIPE_KEY": "shop/payments#stripe"}),
        )
        .add_config(ConfigMap().add("MODE", "live").mount_path("/etc/api"))
        .add_jobs(migrate)
        .health(readiness="/ready")
        .security(read_only_root_filesystem=True)
        .rbac(rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
        .observability(metrics={"port": 9090})
        .lifecycle(termination_grace_period_seconds=45)
    )
    spec = api.to_resource()["spec"]
    assert spec["autoscale"] == {"min": 2, "max": 6, "targetCPU": 70}
    assert spec["connectTo"] == [
        {"name": "orders-db", "kind": "Database", "engine": "postgres"},
        {"name": "cache"},
    ]
    assert spec["secrets"][1]["external"]["data"] == [
        {"key": "STRIPE_KEY", "remoteKey": "shop/payments", "property": "stripe"}
    ]
    assert spec["jobs"] == [
        {
            "name": "migrate",
            "image": "ghcr.io/acme/api:3",
            "command": ["migrate"],
            "timeoutSeconds": 600,
        }
    ]
    assert spec["health"] == {"readiness": {"http": {"path": "/ready"}}}
    assert spec["lifecycle"] == {"terminationGracePeriodSeconds": 45}
    api.validate()
    assert db.validate()["spec"]["backup"]["schedule"] == "0 3 * * *"


# --- typed for users -------------------------------------------------------------------------

USER_MODULE = """
from konfiguru import App, ConfigMap, CronJob, Database, Ingress, Secret

db = Database("orders").engine("postgres").version("17").storage("20Gi")
web: App = (
    App("web")
    .image("nginx:1.27")
    .port(8080)
    .image_pull_policy("IfNotPresent")
    .scale(replicas=2, auto_scale_on_cpu=70)
    .connect_to(db)
    .add_secrets(Secret("s").generate_password("PASSWORD"))
    .add_config(ConfigMap().add("A", "b"))
    .ingress(Ingress("shop.example.com").ssl_certificate(issuer="letsencrypt"))
)
report: CronJob = CronJob("report").image("r:1").schedule("0 2 * * *").suspend(False)
objects: list[dict[str, object]] = web.render()
"""


def _mypy(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    module = tmp_path / "user_app.py"
    module.write_text(text, "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        # The editable install hides the package from mypy; an installed wheel needs nothing.
        env={**os.environ, "MYPYPATH": str(kfgtest.ROOT / "generators")},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_a_users_module_passes_mypy_strict_and_a_wrong_type_does_not(tmp_path: Path) -> None:
    good = _mypy(tmp_path, USER_MODULE)
    assert good.returncode == 0, good.stdout
    bad = _mypy(
        tmp_path,
        USER_MODULE
        + 'wrong = App("x").port("8080").image_pull_policy("Sometimes")\n'
        + 'late = CronJob("y").concurrent_policy("Never")\n',
    )
    assert bad.returncode == 1, bad.stdout
    assert bad.stdout.count("error:") == 3, bad.stdout


@pytest.mark.slow
def test_the_example_module_passes_mypy_strict(tmp_path: Path) -> None:
    result = _mypy(tmp_path, (kfgtest.EXAMPLES / "shop" / "web.py").read_text("utf-8"))
    assert result.returncode == 0, result.stdout


# --- konfiguru render -f app.py --------------------------------------------------------------


def test_one_app_written_three_ways_renders_byte_for_byte_the_same() -> None:
    yaml_text, kfg_text, python_text = (kfgtest.cli_render_text(path) for path in THREE_WAYS)
    assert yaml_text
    assert kfg_text == yaml_text
    assert python_text == yaml_text


@pytest.mark.parametrize("command", ["validate", "graph"])
def test_validate_and_graph_read_a_python_module_like_its_yaml_twin(command: str) -> None:
    outputs = [kfgtest.run_cli(command, "-f", str(path)) for path in THREE_WAYS[::2]]
    assert outputs[0][0] == 0
    assert outputs[0] == outputs[1]


def test_a_resources_list_is_taken_in_its_order(tmp_path: Path) -> None:
    module = tmp_path / "stack.py"
    module.write_text(
        "from konfiguru import App, Database\n"
        "_db = Database('orders').engine('postgres').version('17')\n"
        "resources = [App('web').image('nginx:1.27'), _db]\n",
        "utf-8",
    )
    code, out, err = kfgtest.run_cli("compile", str(module))
    assert code == 0, err
    assert [doc["kind"] for doc in kfgtest.load_all(out)] == ["App", "Database"]


def test_an_error_in_a_python_module_is_shown_at_the_line_that_wrote_the_field(
    tmp_path: Path,
) -> None:
    module = tmp_path / "app.py"
    module.write_text(
        "from konfiguru import App\n\nweb = (\n    App('web')\n    .image('nginx:1.27')\n"
        "    .port(70000)\n)\n",
        "utf-8",
    )
    code, _, err = kfgtest.run_cli("validate", "-f", str(module))
    assert code == 1
    assert f"{module}:6:1: App web: spec.port: 70000 is too large" in err


def test_an_exception_in_the_module_is_an_error_at_its_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    module = tmp_path / "app.py"
    module.write_text("from konfiguru import App\nApp('x').set('prot', 1)\n", "utf-8")
    code, _, err = kfgtest.run_cli("render", "-f", str(module))
    assert code == 1
    assert f"{module}:2:1: SpecError" in err and 'did you mean "port"' in err
    assert "Traceback" not in err


def test_a_directory_walk_never_runs_python_files(tmp_path: Path) -> None:
    (tmp_path / "web.kfg.yaml").write_text(
        (kfgtest.EXAMPLES / "shop" / "web.kfg.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "setup.py").write_text("raise SystemExit('ran')\n", "utf-8")
    code, out, err = kfgtest.run_cli("validate", "-f", str(tmp_path))
    assert code == 0, err
    assert "1 resources valid" in out


def test_the_readme_shows_the_example_module_as_it_is() -> None:
    readme = (kfgtest.ROOT / "README.md").read_text("utf-8")
    shown = readme.split("```python\n", 1)[1].split("```", 1)[0]
    module = (kfgtest.EXAMPLES / "shop" / "web.py").read_text("utf-8")
    assert module.endswith(shown.split("\n", 2)[2]), "README's Python block differs from web.py"
    assert shown.startswith("from konfiguru import ")


def test_a_module_imports_its_neighbours_as_python_would(tmp_path: Path) -> None:
    (tmp_path / "team_defaults.py").write_text(
        "from konfiguru import App\n\n\ndef service(name: str) -> App:\n"
        "    return App(name, namespace='shop').image('nginx:1.27').port(8080)\n",
        "utf-8",
    )
    (tmp_path / "apps.py").write_text(
        "from team_defaults import service\n\nresources = [service('web'), service('api')]\n",
        "utf-8",
    )
    before = list(sys.path)
    code, out, err = kfgtest.run_cli("compile", str(tmp_path / "apps.py"))
    assert code == 0, err
    assert [doc["metadata"]["name"] for doc in kfgtest.load_all(out)] == ["web", "api"]
    assert sys.path == before
    sys.modules.pop("team_defaults", None)


def test_export_reads_a_python_module_like_its_yaml_twin(tmp_path: Path) -> None:
    trees = []
    for source in THREE_WAYS[::2]:
        out_dir = tmp_path / source.name
        code, _, err = kfgtest.run_cli(
            "export", "--format", "kustomize", "-f", str(source), "-o", str(out_dir)
        )
        assert code == 0, err
        trees.append(
            {p.relative_to(out_dir): p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
        )
    assert trees[0] and trees[0] == trees[1]


def test_the_design_documents_config_and_ingress_methods_render_what_they_say() -> None:
    proxy = (
        App("edge", namespace="shop")
        .image("docker.io/library/nginx:1.27")
        .port(8080)
        .security({"runAsUser": 101})
        .network_policy({"ingressControllerNamespace": "envoy-gateway-system"})
        .add_config(
            ConfigMap()
            .add_file("nginx.conf", "events {}\n")
            .enable_hot_reload(process="nginx", interval_seconds=5)
        )
        .ingress(
            Ingress("shop.example.com")
            .gateway(name="public", namespace="edge-system")
            .custom_headers(response={"X-Frame-Options": "DENY"})
        )
    )
    spec = proxy.to_resource()["spec"]
    assert spec["config"]["restartOnChange"] is False
    assert spec["config"]["hotReload"] == {"process": "nginx", "intervalSeconds": 5}
    children = {c["kind"]: c for c in proxy.render()}
    route = children["HTTPRoute"]
    assert route["spec"]["parentRefs"][0]["name"] == "public"
    filters = [f for rule in route["spec"]["rules"] for f in rule.get("filters", [])]
    assert {"type": "ResponseHeaderModifier", "responseHeaderModifier": {
        "set": [{"name": "X-Frame-Options", "value": "DENY"}]}} in filters  # fmt: skip
    pod = children["Deployment"]["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True and len(pod["containers"]) == 2

    traefik = Ingress("shop.example.com").middleware(["auth", "edge/compress"]).to_dict()
    assert traefik["controller"] == "traefik"
    assert traefik["middlewares"] == [{"name": "auth"}, {"name": "compress", "namespace": "edge"}]
    plain_reload = ConfigMap().add("A", "b").enable_hot_reload().to_dict()
    assert plain_reload == {"data": {"A": "b"}, "restartOnChange": False}
