"""Shared test helpers: the example corpus, cached renders, strict Kubernetes validation.

Every generic test (goldens, strict validation, CRD-schema checks, checkov, schema drift) works
over the same corpus, discovered by globbing so that new kinds and examples are covered the moment
they land:

- ``examples/**/*.kfg.yaml`` (the examples users read), and
- ``tests/fixtures/good/**/*.kfg.yaml`` (small cases written for the tests themselves), and
- ``plugins/*/examples/**/*.kfg.yaml`` (plugin kinds, through the installed plugin).

Renders are cached per file for the whole session (a pure generator gives the same output every
time), so ten tests over the same example cost one render. Import it as ``import kfgtest``
(``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

from emulator import vendored
from konfiguru_generators import Existing
from konfiguru_generators.cli import main as cli_main
from konfiguru_generators.schema import default_and_check

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = ROOT / "tests" / "golden"
SCHEMAS = ROOT / "tests" / "schemas"
CRDS = ROOT / "crds"
# Plugins shipped in this repository, each its own package (installed by .ci/run).
PLUGINS = ROOT / "plugins"
# Both ends of the supported range (pipeline.MIN_KUBE_VERSION / MAX_KUBE_VERSION).
KUBE_VERSIONS = ("1.30", "1.37")
# Goldens are rendered with this fixed seed so generated Secrets appear in them and stay stable.
GOLDEN_SEED_FILE = FIXTURES / "golden-secret-seed"
SUFFIX = ".kfg.yaml"
# libyaml: the CRDs and rendered outputs are large, and pure-Python YAML is ~10x slower.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_all(text: str) -> list[Any]:
    """The non-empty documents of a YAML stream."""
    return [doc for doc in yaml.load_all(text, Loader=LOADER) if doc is not None]


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
    """Every example, every good fixture and every plugin's example in this repository
    (``plugins/*/examples``, rendered through the installed plugin), in a stable order."""
    return (
        _cases(EXAMPLES, "examples")
        + _cases(FIXTURES / "good", "fixtures")
        + _cases(PLUGINS, "plugins")
    )


def documents(path: Path) -> list[Any]:
    """The non-empty YAML documents of one input file."""
    return load_all(path.read_text("utf-8"))


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


def env_files(path: Path) -> list[str]:
    """``--env-file NAME=FILE`` for each ``<stem>.NAME.env`` beside ``<stem>.kfg.yaml``: the
    env files an example is rendered with (``examples/release/checkout.payments.env``)."""
    if not path.name.endswith(SUFFIX):
        return []
    stem = path.name[: -len(SUFFIX)]
    found = sorted(path.parent.glob(f"{stem}.*.env"))
    return [f"--env-file={p.name[len(stem) + 1 : -len('.env')]}={p}" for p in found]


@functools.cache
def cli_render_text(path: Path) -> str:
    """``konfiguru render -f PATH`` with the golden seed (and the example's env files, see
    :func:`env_files`): exactly what a user would apply."""
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(
        ["render", "-f", str(path), "--secret-seed-file", str(GOLDEN_SEED_FILE), *env_files(path)],
        out=out,
        err=err,
    )
    if code != 0:
        raise AssertionError(f"konfiguru render -f {path} exited {code}:\n{err.getvalue()}")
    return out.getvalue()


def rendered(path: Path) -> list[dict[str, Any]]:
    """The objects ``konfiguru render`` prints for one file (parsed back from its YAML)."""
    return load_all(cli_render_text(path))


def describe(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('apiVersion')} {obj.get('kind')} {meta.get('name')}"


# Strings YAML (1.1 or 1.2) loves to reinterpret, and strings that break naive quoting or
# templating: every test that proves a value survives a render byte for byte uses this one list.
YAML_HOSTILE: list[str] = [
    "yes", "no", "on", "off", "y", "n", "true", "False", "0123", "0o17", "0x1F", "1e3", "1e-05",
    "1_000", ".inf", "-.nan", "null", "Null", "~", "", " padded ", " lead", " leading", "trail ",
    "a: b", "#x", "x #y", "- x", "? x", "[1, 2]", "[1]", "{a: 1}", "{a}", "&anchor", "*alias",
    "!tag", "%YAML", "%directive", "%percent", "@at", "`tick", "'single'", "'quoted'",
    '"double"', '"quoted"', '"dq"', "=", "<<", "2001-12-14", "12:30:45", "---", "...",
    "tab\there", "\ttab", "multi\nline\n", "line one\nline two\n  indented\n",
    "trailing newline\n", "\n", "crlf\r\nline", "héllo wörld ✓", "unicode ✓ ünï",
    "unicode ✓ ünï 😀", "emoji 🚀🔥", "nel\x85", "line\u2028separator", "para\u2029graph",
    "ls\u2028ps\u2029", "\u2028sep", "zero\u200bwidth", "bom\ufeffinside", "bom\ufeff",
    "\\backslash\\", "$(NOT_A_VAR)", "kfg-slot-0", "x" * 10_000, "x" * 10_240,
    "10 kB of mixed: " + ("a: b\n- c #d 🚀 'e' \"f\"\t" * 330),
]  # fmt: skip


def _yaml_ambiguous() -> list[str]:
    """Strings that some YAML 1.1 or 1.2 reader types as a bool, null, number or timestamp when
    they are written plain: each family in the forms PyYAML, Go's readers (kubectl, Argo CD) and
    YAML 1.2 readers know, generated rather than picked."""
    words = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"]
    found = [form for word in words for form in (word, word.upper(), word.capitalize())]
    found += ["~", "=", "<<", "", ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "infinity"]
    numbers = [
        "0", "7", "089", "017", "0o17", "0O17", "0x1F", "0X1f", "0b101", "0B101", "1_000",
        "1__0", "0x_1F", "1e3", "1E3", "1e+3", "1E-3", "6.0e3", "6.0E+3", ".5", "5.", "1.5",
        "1_0.5", "1.2.3", "1:20", "190:20:30.15", "12:30:45", "0x1p-2", ".inf",
        "9223372036854775808", "18446744073709551616",
    ]  # fmt: skip
    found += [sign + number for sign in ("", "-", "+") for number in numbers]
    found += [
        "2001-12-14", "2001-1-2", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
        "2001-12-14T21:59:43Z", "2002-12-14 21:59:43.10",
    ]  # fmt: skip
    return list(dict.fromkeys(found))


YAML_AMBIGUOUS: list[str] = _yaml_ambiguous()


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
    schema = yaml.load(path.read_text("utf-8"), Loader=LOADER)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def strict_errors(obj: dict[str, Any], kube_version: str) -> list[str]:
    """Why ``obj`` would be rejected by a Kubernetes ``kube_version`` API server (empty if valid).

    Core kinds go through ``kubernetes_validate.validate(strict=True)`` (unknown fields are
    errors). Kinds of other projects (ExternalSecret, ServiceMonitor, Certificate, ...) go
    through the schemas vendored in ``tests/schemas/`` (and their CEL rules, where they have any);
    a kind with neither is an error, never a silent skip.
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
    errors = [
        f"{describe(obj)} ({path.relative_to(ROOT)}): "
        f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _vendored_validator(path).iter_errors(obj)
    ]
    group, version = _group_and_version(str(obj["apiVersion"]))
    if not errors and vendored.has_rules(group, str(obj["kind"]), version):
        # The CRD's CEL rules, which JSON Schema ignores: evaluated on the defaulted spec by
        # Konfiguru's schema engine, as the API server evaluates them.
        spec_schema = vendored.crd_schema(group, str(obj["kind"]), version)["properties"]["spec"]
        errors += [
            f"{describe(obj)} ({path.relative_to(ROOT)}): {error}"
            for error in default_and_check(spec_schema, copy.deepcopy(obj.get("spec")), "spec")
        ]
    return errors


# --- CRDs ----------------------------------------------------------------------------------


def crd_files() -> list[Path]:
    return sorted(CRDS.glob("*.yaml"))


def load_crd(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text("utf-8"), Loader=LOADER)
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


# --- recording which spec fields a generator reads ------------------------------------------


_FREE_FORM: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}


class _Recorder:
    def __init__(self) -> None:
        self.paths: set[str] = set()


def _child(schema: dict[str, Any], path: str, key: Any) -> tuple[dict[str, Any], str | None]:
    """The schema and recorded path of ``key`` inside an object node (``None``: not recorded)."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and key not in (
        schema.get("properties") or {}
    ):
        # Free-form data (config file content, env value objects): whatever the generator reads
        # below here is the user's business, all the way down.
        return _FREE_FORM, None
    properties = schema.get("properties") or {}
    if key in properties:
        return properties[key], f"{path}.{key}"
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return extra, f"{path}.*"
    return {}, f"{path}.{key}"  # a field the schema does not declare: schema drift


def _wrap(value: Any, schema: dict[str, Any], path: str, recorder: _Recorder) -> Any:
    if isinstance(value, dict) and not isinstance(value, RecordingDict):
        return RecordingDict(value, schema, path, recorder)
    if isinstance(value, list) and not isinstance(value, RecordingList):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return RecordingList([_wrap(v, items, f"{path}[]", recorder) for v in value])
    return value


class RecordingList(list[Any]):
    """A list whose items record their reads (the list itself reads nothing by name)."""


class RecordingDict(dict[str, Any]):
    """A dict that records the schema path of every key read, present or not.

    ``spec.get("replicas")``, ``"port" in spec`` and ``spec["image"]`` all count as reads: a
    generator that asks for a field the CRD does not declare has drifted from the schema, even
    when no example sets it. Iterating (``items()``, ``json.dumps``) reads every present key.
    """

    def __init__(
        self, data: dict[str, Any], schema: dict[str, Any], path: str, recorder: _Recorder
    ) -> None:
        super().__init__()
        self._schema, self._path, self._recorder = schema, path, recorder
        for key, value in data.items():
            sub, sub_path = _child(schema, path, key)
            dict.__setitem__(self, key, _wrap(value, sub, sub_path or path, recorder))

    def _touch(self, key: Any) -> None:
        _, sub_path = _child(self._schema, self._path, key)
        if sub_path is not None:
            self._recorder.paths.add(sub_path)

    def __getitem__(self, key: str) -> Any:
        self._touch(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._touch(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._touch(key)
        return dict.__contains__(self, key)

    def setdefault(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._touch(key)
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
        self._touch(key)
        return dict.pop(self, key, *default)

    def _touch_all(self) -> None:
        for key in dict.keys(self):
            self._touch(key)

    def __iter__(self) -> Iterator[str]:
        self._touch_all()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self._touch_all()
        return dict.keys(self)

    def items(self) -> Any:
        self._touch_all()
        return dict.items(self)

    def values(self) -> Any:
        self._touch_all()
        return dict.values(self)


def render_recording(document: Any, existing: Existing | None = None) -> set[str]:
    """Render ``document`` like ``pipeline.render`` does, returning every spec path read.

    Every stage that reads the spec after defaulting is observed: the kind's ``check``, the
    shared API-server checks and the kind's ``render``. Raises ``SpecError`` for an invalid
    document, like ``render``.
    """
    from konfiguru_generators import apichecks, pipeline
    from konfiguru_generators.kinds.base import Resource

    definition, resource = pipeline.parse(document)
    definition, resource = pipeline.validate(resource)
    schema = definition.schema()["properties"]["spec"]
    recorder = _Recorder()
    metadata = resource["metadata"]
    definition.check(RecordingDict(resource["spec"], schema, "spec", recorder), metadata["name"])
    apichecks.check_spec(schema, RecordingDict(resource["spec"], schema, "spec", recorder))
    context = Resource(
        kind=definition.kind,
        name=metadata["name"],
        namespace=metadata.get("namespace"),
        spec=RecordingDict(resource["spec"], schema, "spec", recorder),
        metadata=metadata,
        existing=existing or seeded(),
        package=definition.package,
    )
    definition.render(context)
    return recorder.paths


# --- hypothesis strategies from CRD schemas ---------------------------------------------------
# hypothesis-jsonschema 0.23.1 (its latest) fails on current hypothesis ("'many' object has no
# attribute 'more'"), and CRD schemas use a small subset of JSON Schema anyway, so the
# strategies are built here. Sizes stay small: CI has two cores.


# Plain strings the schema cannot constrain but the kinds check (quantities, names, paths):
# drawn from plausible values by field name, or nearly every random spec ends in a SpecError
# and the render paths behind it go untested. The broken-spec tests cover the implausible.
_PLAUSIBLE: dict[str, list[str]] = {
    "quantity": ["100m", "250m", "1", "2", "128Mi", "512Mi", "1Gi", "10Gi", "1.5"],
    "image": [
        "ghcr.io/acme/app:1.2.3",
        "nginx:1.27",
        "registry.example.com/x/y@sha256:" + "a" * 64,
    ],
    "duration": ["30s", "5m", "1h", "90m"],
    "schedule": ["0 2 * * *", "*/15 * * * *", "@daily", "@hourly"],
    "path": ["/", "/healthz", "/data", "/var/lib/app"],
    "version": ["16", "17", "8.4", "7.0", "7.4", "1.2.3"],
}
_FIELD_KIND = {
    **dict.fromkeys(
        ("cpu", "memory", "cpuLimit", "memoryLimit", "size", "storage", "sizeLimit"), "quantity"
    ),
    "image": "image",
    **dict.fromkeys(("timeout", "interval", "startupTimeout", "retention"), "duration"),
    "schedule": "schedule",
    **dict.fromkeys(("path", "mountPath", "dataPath"), "path"),
    "version": "version",
}
_DNS_LABEL = r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?"


def plausible_strategy(name: str, schema: dict[str, Any], depth: int) -> Any:
    """Values of a field named ``name``: plausible ones for plain strings the kinds check."""
    from hypothesis import strategies as st

    plain = schema.get("type") == "string" and not ({"enum", "pattern"} & set(schema))
    if plain and name in _FIELD_KIND:
        plausible = st.sampled_from(_PLAUSIBLE[_FIELD_KIND[name]])
        return st.one_of(plausible, plausible, spec_strategy(schema, depth))
    if plain and (name == "name" or name.endswith("Name")):
        return st.one_of(st.from_regex(_DNS_LABEL, fullmatch=True), spec_strategy(schema, depth))
    return spec_strategy(schema, depth)


_MATCHES = re.compile(r"""^\s*self\.matches\('((?:[^'\\]|\\.)*)'\)\s*$""")


def _matches_rule(schema: dict[str, Any]) -> str | None:
    """The regex of a ``self.matches('...')`` CEL rule: a pattern written as a rule."""
    for rule in schema.get("x-kubernetes-validations") or []:
        match = _MATCHES.match(rule["rule"])
        if match:
            return match.group(1).replace("\\\\", "\\")
    return None


def spec_strategy(schema: dict[str, Any], depth: int = 0) -> Any:
    """Values that satisfy ``schema``'s structural rules (not its CEL rules)."""
    from hypothesis import strategies as st

    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema.get("x-kubernetes-int-or-string"):
        text = (
            st.from_regex(schema["pattern"], fullmatch=True)
            if "pattern" in schema
            else st.text(min_size=1, max_size=12)
        )
        return st.one_of(st.integers(0, 65535), text)
    kind = schema.get("type")
    if kind == "string":
        low, high = schema.get("minLength", 0), min(schema.get("maxLength", 24), 64)
        pattern = schema.get("pattern") or _matches_rule(schema)
        if pattern:
            return st.from_regex(pattern, fullmatch=True).filter(
                lambda s: low <= len(s) <= schema.get("maxLength", 10**9)
            )
        return st.text(min_size=low, max_size=max(low, high))
    if kind == "integer":
        low = schema.get("minimum", -5)
        high = schema.get("maximum", max(low, 0) + 1000)
        low += 1 if schema.get("exclusiveMinimum") else 0
        high -= 1 if schema.get("exclusiveMaximum") else 0
        return st.integers(low, high)
    if kind == "number":
        return st.floats(
            schema.get("minimum", -5.0),
            schema.get("maximum", 1000.0),
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = schema.get("items") or {}
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", 3), 3 if depth < 3 else low)
        return st.lists(spec_strategy(items, depth + 1), min_size=low, max_size=max(low, high))
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            keys = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_.-]{0,15}", fullmatch=True)
            return st.dictionaries(keys, spec_strategy(extra, depth + 1), max_size=3)
        if not properties:
            return st.just({})
        return st.fixed_dictionaries(
            {
                k: plausible_strategy(k, v, depth + 1)
                for k, v in properties.items()
                if k in required
            },
            optional={
                k: plausible_strategy(k, v, depth + 1)
                for k, v in properties.items()
                if k not in required and depth < 5
            },
        )
    return st.none() if schema.get("nullable") else st.just({})


# --- YAML as other readers decode it -------------------------------------------------------------

_DECODED_MARK = "konfiguru.io/decoded-by-kubectl"


def kubectl_decode(text: str) -> list[dict[str, Any]]:
    """Every document of ``text`` as the real kubectl decodes it (Go's YAML reader), offline.

    ``kubectl annotate --local -f - -o json`` reads the YAML exactly as ``kubectl apply`` does and
    prints each object as JSON; the annotation it must add is taken out again. One process for
    a whole multi-document stream, so tests batch their objects into one call.
    """
    import shutil
    import subprocess

    import pytest

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [kubectl, "annotate", "--local", "-f", "-", "-o", "json", f"{_DECODED_MARK}=1"],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[:2000]
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    position, end = 0, len(result.stdout)
    while True:
        while position < end and result.stdout[position].isspace():
            position += 1
        if position == end:
            break
        obj, position = decoder.raw_decode(result.stdout, position)
        annotations = obj["metadata"]["annotations"]
        del annotations[_DECODED_MARK]
        if not annotations:
            del obj["metadata"]["annotations"]
        objects.append(obj)
    return objects


def yaml12_load_all(text: str) -> list[Any]:
    """Every document of ``text`` as a YAML 1.2 reader (ruamel.yaml, 1.2 core schema) reads it."""
    from ruamel.yaml import YAML

    reader = YAML(typ="safe", pure=True)
    reader.version = (1, 2)
    return [doc for doc in reader.load_all(text) if doc is not None]


def as_json(value: Any) -> Any:
    """``value`` as JSON gives it back: what kubectl's JSON output is compared with."""
    return json.loads(json.dumps(value))


# --- the CLI in-process, and golden directory trees ------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``konfiguru ARGV`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(argv), out=out, err=err, stdin=io.StringIO())
    return code, out.getvalue(), err.getvalue()


def assert_golden_tree(tree: Path, golden: Path, update: bool) -> None:
    """Every file below ``tree`` (path headers, sorted) is the text of ``golden``; with
    ``update`` (``pytest --update-golden``) the golden file is rewritten instead."""
    text = "".join(
        f"# ---- {path.relative_to(tree).as_posix()}\n{path.read_text('utf-8')}"
        for path in sorted(tree.rglob("*"))
        if path.is_file()
    )
    if update:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8"), f"{golden}: pytest --update-golden, then review"
