"""Shared test helpers: the example corpus, cached renders, strict Kubernetes validation.

Every generic test (goldens, strict validation, CRD-schema checks, checkov, schema drift) works
over the same corpus, discovered by globbing so that new kinds and examples are covered the moment
they land:

- ``examples/**/*.kfg.yaml`` (the examples users read), and
- ``tests/fixtures/good/**/*.kfg.yaml`` (small cases written for the tests themselves).

Renders are cached per file for the whole session (a pure generator gives the same output every
time), so ten tests over the same example cost one render. Import it as ``import kfgtest``
(``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

from konfiguru_generators import Existing
from konfiguru_generators.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = ROOT / "tests" / "golden"
SCHEMAS = ROOT / "tests" / "schemas"
CRDS = ROOT / "crds"
# Both ends of the supported range (pipeline.MIN_KUBE_VERSION / MAX_KUBE_VERSION).
KUBE_VERSIONS = ("1.30", "1.37")
# Goldens are rendered with this fixed seed so generated Secrets appear in them and stay stable.
GOLDEN_SEED_FILE = FIXTURES / "golden-secret-seed"
SUFFIX = ".kfg.yaml"

# kubernetes_validate.validate re-reads and re-parses its JSON schemas (megabytes) on every call;
# they never change, so cache them. validate() looks the function up at call time.
kubernetes_validate.utils.schema_contents = functools.cache(  # type: ignore[assignment]
    kubernetes_validate.utils.schema_contents
)


@dataclass(frozen=True)
class Case:
    """One input file of the corpus and where its golden output lives."""

    id: str  # "examples/shop/web" or "fixtures/app-minimal"
    path: Path
    golden: Path


def _cases(root: Path, prefix: str) -> list[Case]:
    cases = []
    for path in sorted(root.rglob(f"*{SUFFIX}")):
        relative = path.relative_to(root).as_posix()[: -len(SUFFIX)]
        case_id = f"{prefix}/{relative}"
        cases.append(Case(case_id, path, GOLDEN / f"{case_id}.yaml"))
    return cases


def corpus() -> list[Case]:
    """Every example and every good fixture, in a stable order."""
    return _cases(EXAMPLES, "examples") + _cases(FIXTURES / "good", "fixtures")


def documents(path: Path) -> list[Any]:
    """The non-empty YAML documents of one input file."""
    return [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc is not None]


def all_resources() -> list[tuple[str, Any]]:
    """(``"<case id>#<n>"``, document) for every document of every corpus file."""
    return [
        (f"{case.id}#{index + 1}", doc)
        for case in corpus()
        for index, doc in enumerate(documents(case.path))
    ]


def golden_seed() -> bytes:
    return GOLDEN_SEED_FILE.read_bytes().strip()


def seeded() -> Existing:
    return Existing(secret_seed=golden_seed())


@functools.cache
def cli_render_text(path: Path) -> str:
    """``konfiguru render -f PATH`` with the golden seed: exactly what a user would commit."""
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(
        ["render", "-f", str(path), "--secret-seed-file", str(GOLDEN_SEED_FILE)], out=out, err=err
    )
    if code != 0:
        raise AssertionError(f"konfiguru render -f {path} exited {code}:\n{err.getvalue()}")
    return out.getvalue()


def rendered(path: Path) -> list[dict[str, Any]]:
    """The objects ``konfiguru render`` prints for one file (parsed back from its YAML)."""
    return [obj for obj in yaml.safe_load_all(cli_render_text(path)) if obj is not None]


def describe(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('apiVersion')} {obj.get('kind')} {meta.get('name')}"


# --- strict validation of generated objects -------------------------------------------------


def _group_and_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group or "core", version


def vendored_schema_path(obj: dict[str, Any]) -> Path:
    """``tests/schemas/<group>/<kind>_<version>.yaml`` for a kind Kubernetes does not define."""
    group, version = _group_and_version(str(obj.get("apiVersion", "")))
    return SCHEMAS / group / f"{str(obj.get('kind', '')).lower()}_{version}.yaml"


@functools.cache
def _vendored_validator(path: Path) -> jsonschema.protocols.Validator:
    schema = yaml.safe_load(path.read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def strict_errors(obj: dict[str, Any], kube_version: str) -> list[str]:
    """Why ``obj`` would be rejected by a Kubernetes ``kube_version`` API server (empty if valid).

    Core kinds go through ``kubernetes_validate.validate(strict=True)`` (unknown fields are
    errors). Kinds of other projects (ExternalSecret, ServiceMonitor, Certificate, ...) go
    through the minimal schemas vendored in ``tests/schemas/``; a kind with neither is an error,
    never a silent skip.
    """
    try:
        kubernetes_validate.validate(obj, kube_version, strict=True)
        return []
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        return [f"{describe(obj)} (Kubernetes {kube_version}): {where}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        pass
    path = vendored_schema_path(obj)
    if not path.exists():
        return [
            f"{describe(obj)}: not a Kubernetes {kube_version} kind and no schema vendored at"
            f" {path.relative_to(ROOT)} (add a minimal one, citing its source)"
        ]
    return [
        f"{describe(obj)} ({path.relative_to(ROOT)}): "
        f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _vendored_validator(path).iter_errors(obj)
    ]


# --- CRDs ----------------------------------------------------------------------------------


def crd_files() -> list[Path]:
    return sorted(CRDS.glob("*.yaml"))


def load_crd(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(document, dict), f"{path} must hold exactly one CRD"
    return document


def walk_schema(schema: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node with its field path (``spec.a.b``, items as ``[]``, maps as ``.*``)."""
    yield path, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from walk_schema(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from walk_schema(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from walk_schema(schema["additionalProperties"], f"{path}.*")
    for junctor in ("allOf", "anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(junctor) or []):
            yield from walk_schema(sub, f"{path}<{junctor}[{index}]>")
    if isinstance(schema.get("not"), dict):
        yield from walk_schema(schema["not"], f"{path}<not>")


def to_json_schema(schema: Any) -> Any:
    """An OpenAPI v3 CRD schema as plain JSON Schema, the way the API server reads it.

    ``nullable`` becomes a ``null`` type, ``x-kubernetes-int-or-string`` an integer-or-string,
    and objects without ``x-kubernetes-preserve-unknown-fields`` reject unknown fields (the API
    server prunes them; for a user's file that is a typo silently dropped, so tests reject it).
    Vendor extensions are dropped: JSON Schema ignores them anyway.
    """
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "description", "example"):
            continue
        if key in ("properties",):
            result[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            result[key] = to_json_schema(value)
        else:
            result[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        result.pop("type", None)
        result["type"] = ["integer", "string"]
    if (
        schema.get("type") == "object"
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    if schema.get("nullable") and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    return result


def dump_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
