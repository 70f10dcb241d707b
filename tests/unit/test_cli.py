"""The ``konfiguru`` command as a user meets it: inputs, outputs, errors, overrides and secrets.

Run in-process through ``cli.main(argv, out, err, stdin)``: an exception escaping ``main`` fails
the test, so "never a traceback" is checked by every test here, and the texts asserted are exactly
what a terminal would show.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import kfgtest
from konfiguru_generators import API
from konfiguru_generators.cli import SEED_ENV, main
from konfiguru_generators.resources import crd_text

SECRETS = kfgtest.FIXTURES / "good" / "app-generated-secrets.kfg.yaml"
WEB = kfgtest.FIXTURES / "good" / "app-web.kfg.yaml"
TEMPLATES = kfgtest.ROOT / "generators" / "konfiguru_generators" / "templates"


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


def objects(text: str) -> list[dict[str, Any]]:
    return kfgtest.load_all(text)


def app(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "App", "metadata": {"name": name}, "spec": spec}


def test_render_a_file_prints_every_object_as_multi_document_yaml() -> None:
    code, out, err = run("render", "-f", str(WEB))
    assert code == 0, err
    rendered = objects(out)
    assert out.startswith("---\n") and out.count("\n---\n") + 1 == len(rendered)
    assert {(o["kind"], o["metadata"]["name"]) for o in rendered} >= {
        ("Deployment", "web"),
        ("Service", "web"),
        ("Deployment", "sidecar-free"),
    }


def test_render_a_directory_renders_every_file_in_it(tmp_path: Path) -> None:
    shutil.copy(WEB, tmp_path / "a.kfg.yaml")
    (tmp_path / "nested").mkdir()
    shutil.copy(SECRETS, tmp_path / "nested" / "b.kfg.yaml")
    (tmp_path / "notes.txt").write_text("not a manifest", "utf-8")
    code, out, err = run("render", "-f", str(tmp_path))
    assert code == 0, err
    names = {o["metadata"]["name"] for o in objects(out)}
    assert {"web", "sidecar-free", "tokens"} <= names


def test_render_from_stdin_matches_render_from_the_file() -> None:
    code, out, err = run("render", "-f", "-", stdin=WEB.read_text("utf-8"))
    assert code == 0, err
    assert out == run("render", "-f", str(WEB))[1]


def test_render_to_a_directory_writes_one_file_per_object(tmp_path: Path) -> None:
    code, out, err = run("render", "-f", str(WEB), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert out == ""
    files = sorted((tmp_path / "out").rglob("*.yaml"))
    expected = objects(run("render", "-f", str(WEB))[1])
    assert len(files) == len(expected), [f.name for f in files]
    assert f"wrote {len(expected)} objects" in err
    written = [objects(f.read_text("utf-8")) for f in files]
    assert all(len(docs) == 1 for docs in written)
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, (d[0] for d in written))) == sorted(map(key, expected))


def test_validate_passes_good_input_and_says_how_much_it_checked() -> None:
    code, out, _ = run("validate", "-f", str(WEB))
    assert code == 0
    assert "2 resources valid" in out


def test_validate_exits_1_listing_every_error_of_every_bad_resource() -> None:
    documents = [
        app("good", image="ghcr.io/acme/x:1"),
        app("bad-one", image="ghcr.io/acme/x:1", replicas="three", port=70000),
        app("Bad_Name", image="ghcr.io/acme/x:1"),
        app("bad-three", replicas=2, unknownField=True),
    ]
    code, out, err = run("validate", "-f", "-", stdin=yaml.safe_dump_all(documents))
    assert code == 1
    assert out == ""
    for needle in (
        "bad-one",
        "spec.replicas",
        "spec.port",
        "metadata.name",
        "bad-three",
        "spec.image",
        "spec.unknownField",
        "3 of 4 resources are invalid",
    ):
        assert needle in err, f"{needle!r} missing from:\n{err}"
    assert "App good" not in err, "a valid resource is not listed as invalid"


def test_render_of_a_bad_resource_prints_nothing_on_stdout() -> None:
    code, out, err = run("render", "-f", "-", stdin=yaml.safe_dump(app("x", replicas=1)))
    assert code == 1 and out == ""
    assert "spec.image" in err and "is required" in err


def test_bad_yaml_gives_an_error_naming_the_file_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.kfg.yaml"
    bad.write_text("apiVersion: konfiguru.io/v1alpha1\nkind: App\nspec: {image: [unclosed\n")
    code, out, err = run("render", "-f", str(bad))
    assert code == 1 and out == ""
    assert err.startswith(f"error: {bad}: not valid YAML"), err
    assert "line 3" in err, "the position helps the user find the mistake"


def test_a_missing_file_and_an_empty_directory_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = run("render", "-f", str(tmp_path / "nope.yaml"))
    assert code == 1 and "nope.yaml: no such file or directory" in err
    code, _, err = run("validate", "-f", str(tmp_path))
    assert code == 1 and "no *.kfg.yaml" in err


def test_crds_prints_every_crd_exactly_as_shipped() -> None:
    code, out, _ = run("crds")
    assert code == 0
    printed = objects(out)
    assert [d["kind"] for d in printed] == ["CustomResourceDefinition"] * len(printed)
    by_name = {d["metadata"]["name"]: d for d in printed}
    for path in kfgtest.crd_files():
        crd = kfgtest.load_crd(path)
        assert by_name[crd["metadata"]["name"]] == kfgtest.load_all(crd_text(path.name))[0]


@pytest.mark.parametrize("version", ["1.29", "1.38", "banana", "v2.0"])
def test_kube_version_out_of_range_is_a_clear_error(version: str) -> None:
    code, out, err = run("render", "-f", str(WEB), "--kube-version", version)
    assert code == 1 and out == ""
    assert "--kube-version" in err and "1.30 to 1.37" in err, err


@pytest.mark.parametrize("version", ["1.30", "v1.37.2", "1.33"])
def test_kube_versions_in_range_are_accepted(version: str) -> None:
    assert run("render", "-f", str(WEB), "--kube-version", version)[0] == 0


# --- template overrides -------------------------------------------------------------------


def _override(tmp_path: Path, template: str, text: str) -> Path:
    target = tmp_path / "templates" / template
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    return tmp_path / "templates"


def test_a_template_override_replaces_only_that_template(tmp_path: Path) -> None:
    original = (TEMPLATES / "app" / "service.yaml.j2").read_text("utf-8")
    patched = original.replace(
        "metadata:\n", 'metadata:\n  annotations: {"acme.io/team": "payments"}\n', 1
    )
    assert patched != original, "app/service.yaml.j2 changed shape; adapt this test"
    templates = _override(tmp_path, "app/service.yaml.j2", patched)
    code, out, err = run("render", "-f", str(WEB), "--templates", str(templates))
    assert code == 0, err
    default = {
        (o["kind"], o["metadata"]["name"]): o for o in objects(run("render", "-f", str(WEB))[1])
    }
    for obj in objects(out):
        key = (obj["kind"], obj["metadata"]["name"])
        if key == ("Service", "web"):
            assert obj["metadata"]["annotations"]["acme.io/team"] == "payments"
        else:
            assert obj == default[key], f"{key} changed without an override"


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ resource.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.environ }}",
        "{{ self._TemplateReference__context }}",
    ],
)
def test_the_template_sandbox_blocks_python_internals(tmp_path: Path, payload: str) -> None:
    original = (TEMPLATES / "app" / "service.yaml.j2").read_text("utf-8")
    hostile = original.replace(
        "metadata:\n", f'metadata:\n  annotations: {{"x": "{payload}"}}\n', 1
    )
    templates = _override(tmp_path, "app/service.yaml.j2", hostile)
    code, out, err = run("render", "-f", str(WEB), "--templates", str(templates))
    assert code == 1, f"the sandbox let {payload} through:\n{out}"
    assert "template error" in err and "app/service.yaml.j2" in err, err
    assert "<class" not in out + err and "environ" not in out


def test_a_typo_in_an_override_template_is_a_template_error_naming_the_variable(
    tmp_path: Path,
) -> None:
    original = (TEMPLATES / "app" / "service.yaml.j2").read_text("utf-8")
    typo = original.replace("{{ labels | tojson }}", "{{ labelz | tojson }}", 1)
    assert typo != original, "app/service.yaml.j2 changed shape; adapt this test"
    templates = _override(tmp_path, "app/service.yaml.j2", typo)
    code, _, err = run("render", "-f", str(WEB), "--templates", str(templates))
    assert code == 1
    assert "template error" in err and "'labelz' is undefined" in err, err
    assert "Traceback" not in err


# --- generated secrets offline ------------------------------------------------------------


def _secret(text: str) -> dict[str, Any] | None:
    found = [
        o
        for o in objects(text)
        if o["kind"] == "Secret" and o["metadata"]["name"] == "tokens-session"
    ]
    return found[0] if found else None


def test_without_a_seed_generated_secrets_are_left_out_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SEED_ENV, raising=False)
    code, out, err = run("render", "-f", str(SECRETS))
    assert code == 0
    assert _secret(out) is None
    assert "note: Secret tokens-session" in err and "--secret-seed-file" in err
    # The workload still refers to it: it starts once the operator (or the user) creates it.
    assert "tokens-session" in out


def test_a_seed_renders_generated_secrets_identically_every_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SEED_ENV, "team-seed-1")
    first, second = run("render", "-f", str(SECRETS))[1], run("render", "-f", str(SECRETS))[1]
    assert first == second
    secret = _secret(first)
    assert secret is not None
    values = secret.get("stringData") or secret.get("data")
    assert set(values) == {"SESSION_KEY", "CSRF_TOKEN"}
    seed_file = tmp_path / "seed"
    seed_file.write_text("team-seed-1\n", "utf-8")
    monkeypatch.delenv(SEED_ENV)
    from_file = run("render", "-f", str(SECRETS), "--secret-seed-file", str(seed_file))[1]
    assert from_file == first, "the seed file and the environment variable must agree"


def test_a_different_seed_gives_different_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEED_ENV, "seed-a")
    a = _secret(run("render", "-f", str(SECRETS))[1])
    monkeypatch.setenv(SEED_ENV, "seed-b")
    b = _secret(run("render", "-f", str(SECRETS))[1])
    assert a is not None and b is not None
    values_a, values_b = a.get("stringData") or a["data"], b.get("stringData") or b["data"]
    assert all(values_a[k] != values_b[k] for k in values_a)


def test_an_unreadable_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("render", "-f", str(SECRETS), "--secret-seed-file", str(tmp_path / "no"))
    assert code == 1 and "cannot read the seed" in err


def test_the_ingress_controller_default_comes_from_the_flag_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = yaml.safe_dump(
        app(
            "web",
            image="ghcr.io/acme/web:1.0.0",
            port=8080,
            networkPolicy={"ingressControllerNamespace": "envoy-gateway-system"},
            ingress={"host": "web.example.com"},
        )
    )

    def kinds(*flags: str) -> set[str]:
        code, out, err = run("render", "-f", "-", *flags, stdin=document)
        assert code == 0, err
        return {o["kind"] for o in objects(out)}

    assert "Ingress" in kinds() and "HTTPRoute" not in kinds()
    assert "HTTPRoute" in kinds("--ingress-controller", "gateway")
    monkeypatch.setenv("KONFIGURU_INGRESS_CONTROLLER", "gateway")
    assert "HTTPRoute" in kinds() and "Ingress" not in kinds()
    assert "Ingress" in kinds("--ingress-controller", "nginx")
    code, _, err = run("validate", "-f", "-", "--ingress-controller", "haproxy", stdin=document)
    assert code == 1
    assert '--ingress-controller: "haproxy" is not an ingress controller' in err
