"""The CRDs in ``crds/`` are accepted by a real API server and are good APIs to write against.

Checks what ``kubectl apply`` would reject (strict CustomResourceDefinition validation for 1.30 and
1.37, the structural-schema rules of apiextensions.k8s.io/v1) and what a user needs (a description
on every field, defaults documented, CEL rules that compile and run offline, a status subresource,
short names that collide with nothing a cluster already has).

Structural-schema rules, from the Kubernetes docs ("Specifying a structural schema") and
apiextensions-apiserver's ``ValidateCustomResourceDefinitionOpenAPISchema``: every node has a
``type`` unless it is ``x-kubernetes-int-or-string`` or ``x-kubernetes-preserve-unknown-fields``;
inside ``allOf/anyOf/oneOf/not`` no ``type``, ``description``, ``default``,
``additionalProperties`` or ``nullable``, and no field that is not also declared outside;
``properties`` and ``additionalProperties`` are exclusive; ``additionalProperties: false``,
``uniqueItems: true``, ``$ref``, ``definitions``, ``patternProperties``, ``dependencies``,
``additionalItems`` and ``id`` are forbidden; ``x-kubernetes-preserve-unknown-fields`` must be true
or absent; the root ``metadata`` may only restrict ``name`` and ``generateName``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import cel
import pytest

import kfgtest
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.schema import default_and_check

CRD_FILES = kfgtest.crd_files()
IDS = [path.name for path in CRD_FILES]

# Short names a cluster already answers to: core and built-in API groups (`kubectl
# api-resources` on 1.30-1.37), plus widely installed add-ons whose names users type daily.
TAKEN_SHORT_NAMES = {
    # core / built-in
    "cm", "cs", "ep", "ev", "limits", "no", "ns", "po", "pv", "pvc", "quota", "rc", "sa", "svc",
    "crd", "crds", "ds", "deploy", "rs", "sts", "hpa", "cj", "csr", "ing", "netpol", "pdb", "pc",
    "sc", "all",
    # Argo CD (Application, AppProject, ApplicationSet)
    "app", "apps", "appproj", "appprojs", "appset", "appsets",
    # Flux, cert-manager, External Secrets, Prometheus Operator, Knative, KServe
    "hr", "ks", "gitrepo", "cert", "certs", "cr", "crs", "es", "ss", "css", "smon", "pmon",
    "prom", "am", "ksvc", "isvc",
}  # fmt: skip
FORBIDDEN_KEYWORDS = (
    "$ref", "definitions", "patternProperties", "dependencies", "additionalItems", "id", "$schema",
)  # fmt: skip
JUNCTOR_FORBIDDEN = ("type", "description", "default", "additionalProperties", "nullable")
JUNCTORS = ("allOf", "anyOf", "oneOf")


def _versions(path: Path) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = kfgtest.load_crd(path)["spec"]["versions"]
    return versions


def _root_schemas(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(v["name"], v["schema"]["openAPIV3Schema"]) for v in _versions(path)]


@pytest.mark.parametrize("kube_version", kfgtest.KUBE_VERSIONS)
@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_crd_validates_strictly_as_a_custom_resource_definition(
    path: Path, kube_version: str
) -> None:
    crd = kfgtest.load_crd(path)
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1" and crd["kind"] == (
        "CustomResourceDefinition"
    )
    errors = kfgtest.strict_errors(crd, kube_version)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_crd_is_named_plural_dot_group_in_the_konfiguru_group(path: Path) -> None:
    crd = kfgtest.load_crd(path)
    spec = crd["spec"]
    assert spec["group"] == "konfiguru.io"
    assert crd["metadata"]["name"] == f"{spec['names']['plural']}.{spec['group']}"
    assert spec["names"]["listKind"] == spec["names"]["kind"] + "List"
    assert "konfiguru" in spec["names"].get("categories", []), "kubectl get konfiguru lists it"
    served = [v["name"] for v in spec["versions"] if v.get("storage")]
    assert served == ["v1alpha1"], "exactly one storage version, v1alpha1"


def test_every_crd_file_belongs_to_a_registered_kind_and_back() -> None:
    by_file = {definition.crd_file: kind for kind, definition in REGISTRY.items()}
    for kind, definition in REGISTRY.items():
        path = kfgtest.CRDS / definition.crd_file
        assert path.exists(), f"kind {kind} points at missing {path}"
        names = kfgtest.load_crd(path)["spec"]["names"]
        assert (names["kind"], names["plural"]) == (kind, definition.plural)
    unregistered = sorted(p.name for p in CRD_FILES if p.name not in by_file)
    assert not unregistered, f"CRDs with no kind in kinds.REGISTRY: {unregistered}"


def structural_violations(root: dict[str, Any]) -> list[str]:
    """Every way ``root`` (an openAPIV3Schema) breaks the structural-schema rules."""
    problems: list[str] = []

    def visit(node: dict[str, Any], path: str, in_junctor: bool) -> None:
        for keyword in FORBIDDEN_KEYWORDS:
            if keyword in node:
                problems.append(f"{path}: {keyword} is not supported in CRD schemas")
        if node.get("uniqueItems") is True:
            problems.append(f"{path}: uniqueItems: true is forbidden (quadratic validation)")
        if node.get("additionalProperties") is False:
            problems.append(f"{path}: additionalProperties: false is forbidden (pruning does it)")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{path}: properties and additionalProperties are exclusive")
        if node.get("x-kubernetes-preserve-unknown-fields") is False:
            problems.append(f"{path}: x-kubernetes-preserve-unknown-fields must be true or absent")
        if node.get("type") == "null":
            problems.append(f"{path}: type cannot be null")
        int_or_string = node.get("x-kubernetes-int-or-string") is True
        if int_or_string and "type" in node:
            problems.append(f"{path}: x-kubernetes-int-or-string must not also set a type")
        if in_junctor:
            for keyword in JUNCTOR_FORBIDDEN:
                if keyword in node:
                    problems.append(f"{path}: {keyword} is not allowed inside a junctor")
        elif not (
            node.get("type") or int_or_string or node.get("x-kubernetes-preserve-unknown-fields")
        ):
            problems.append(f"{path}: has no type")
        if node.get("type") == "object" and "items" in node:
            problems.append(f"{path}: an object has no items")
        if node.get("type") == "array" and not isinstance(node.get("items"), dict):
            problems.append(f"{path}: an array needs an items schema")
        declared = set(node.get("properties") or {})
        for junctor in (*JUNCTORS, "not"):
            subs = node.get(junctor)
            for index, sub in enumerate(subs if isinstance(subs, list) else [subs] if subs else []):
                undeclared = set(sub.get("properties") or {}) - declared
                if undeclared:
                    problems.append(
                        f"{path}.{junctor}[{index}]: fields {sorted(undeclared)} must also be"
                        " declared outside the junctor"
                    )
                visit(sub, f"{path}.{junctor}[{index}]", True)
        for name, sub in (node.get("properties") or {}).items():
            visit(sub, f"{path}.{name}", in_junctor)
        if isinstance(node.get("items"), dict):
            visit(node["items"], f"{path}[]", in_junctor)
        if isinstance(node.get("additionalProperties"), dict):
            visit(node["additionalProperties"], f"{path}.*", in_junctor)
        list_type = node.get("x-kubernetes-list-type")
        if list_type == "map":
            item = node.get("items") or {}
            for key in node.get("x-kubernetes-list-map-keys") or ["<missing>"]:
                sub = (item.get("properties") or {}).get(key)
                if sub is None or (key not in item.get("required", []) and "default" not in sub):
                    problems.append(f"{path}: list-map key {key!r} must be required or defaulted")

    visit(root, "openAPIV3Schema", False)
    metadata = (root.get("properties") or {}).get("metadata")
    if metadata is not None:
        extra = set(metadata) - {"type", "properties", "description"}
        fields = set(metadata.get("properties") or {}) - {"name", "generateName"}
        if extra or fields:
            problems.append("openAPIV3Schema.metadata: may only restrict name and generateName")
    return problems


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_crd_schema_is_structural(path: Path) -> None:
    problems = [f"{v}: {p}" for v, root in _root_schemas(path) for p in structural_violations(root)]
    assert not problems, "\n".join(problems)


def test_the_structural_check_catches_what_the_api_server_rejects() -> None:
    bad = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": False,
                "properties": {
                    "untyped": {"description": "no type"},
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    "closed": {"type": "object", "additionalProperties": False},
                    "either": {"anyOf": [{"type": "string", "description": "x"}]},
                },
            }
        },
    }
    problems = "\n".join(structural_violations(bad))
    for needle in (
        "untyped: has no type",
        "uniqueItems",
        "closed: additionalProperties: false",
        "preserve-unknown-fields must be true",
        "not allowed inside a junctor",
    ):
        assert needle in problems, problems


def _spec_and_status(path: Path) -> list[tuple[str, dict[str, Any]]]:
    nodes = []
    for version, root in _root_schemas(path):
        for part in ("spec", "status"):
            sub = (root.get("properties") or {}).get(part)
            if sub is not None:
                nodes.extend((f"{version}:{p}", n) for p, n in kfgtest.walk_schema(sub, part))
    return nodes


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_every_spec_and_status_field_has_a_description(path: Path) -> None:
    missing = [
        where
        for where, node in _spec_and_status(path)
        if "<" not in where  # junctor branches are described by the field they belong to
        and not where.endswith(("[]", ".*"))  # items/map values: the field's description covers
        and not str(node.get("description", "")).strip()
    ]
    assert not missing, "fields without a description:\n" + "\n".join(missing)


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_every_default_is_stated_in_its_fields_description(path: Path) -> None:
    # Users read `kubectl explain`, not Python: the default must be in the text they see.
    # `default: {}` on an object is exempt: it only switches on its children's defaults, and
    # those children say what they are.
    undocumented = [
        f"{where} (default {node['default']!r})"
        for where, node in _spec_and_status(path)
        if "default" in node
        and node["default"] != {}
        and "default" not in str(node.get("description", "")).lower()
    ]
    assert not undocumented, "defaults not mentioned in the description:\n" + "\n".join(
        undocumented
    )


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_every_default_is_valid_for_its_own_schema(path: Path) -> None:
    # The API server rejects a CRD whose defaults fail their own schema, after pruning.
    problems = []
    for where, node in _spec_and_status(path):
        if "default" not in node:
            continue
        wrapper = {"type": "object", "properties": {"value": node}}
        value = {"value": copy.deepcopy(node["default"])}
        problems.extend(f"{where}: {error}" for error in default_and_check(wrapper, value, where))
    assert not problems, "\n".join(problems)


def _rules(path: Path) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    found = []
    for version, root in _root_schemas(path):
        for where, node in kfgtest.walk_schema(root, version):
            for rule in node.get("x-kubernetes-validations") or []:
                found.append((where, node, rule))
    return found


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_every_cel_rule_compiles_and_explains_itself(path: Path) -> None:
    problems = []
    for where, _node, rule in _rules(path):
        try:
            cel.compile(rule["rule"])
        except Exception as error:  # noqa: BLE001 - any failure to compile is the finding
            problems.append(f"{where}: {rule['rule']!r} does not compile: {error}")
        if not (rule.get("message") or rule.get("messageExpression")):
            problems.append(f"{where}: {rule['rule']!r} has no message for the user")
    assert not problems, "\n".join(problems)


_SELF_FIELD = re.compile(r"\bself((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_cel_rules_name_only_fields_the_schema_declares(path: Path) -> None:
    # A rule reading self.autoscale.maximum when the field is `max` never fires offline (our
    # walker skips rules that raise) and always fails on the API server.
    problems = []
    for where, node, rule in _rules(path):
        for match in _SELF_FIELD.finditer(rule["rule"]):
            current: dict[str, Any] | None = node
            for part in match.group(1).strip(".").split("."):
                if current is None or current.get("x-kubernetes-preserve-unknown-fields"):
                    break
                properties = current.get("properties") or {}
                if part in properties:
                    current = properties[part]
                elif current.get("type") == "string" or current.get("type") == "array":
                    break  # a method call like self.name.startsWith / self.items.size
                elif isinstance(current.get("additionalProperties"), dict):
                    current = current["additionalProperties"]
                else:
                    problems.append(f"{where}: {rule['rule']!r} reads unknown field {part!r}")
                    break
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_crd_has_a_status_subresource_with_a_real_schema(path: Path) -> None:
    for version in _versions(path):
        assert "status" in (version.get("subresources") or {}), f"{version['name']}: no status"
        status = version["schema"]["openAPIV3Schema"]["properties"].get("status")
        assert status, f"{version['name']}: status has no schema"
        fields = set(status.get("properties") or {})
        assert {"observedGeneration", "conditions"} <= fields, (
            f"{version['name']}: kstatus needs status.observedGeneration and status.conditions"
        )


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_printer_columns_point_at_declared_fields(path: Path) -> None:
    for version in _versions(path):
        declared = {p for p, _ in kfgtest.walk_schema(version["schema"]["openAPIV3Schema"], "")}
        for column in version.get("additionalPrinterColumns") or []:
            json_path = re.sub(r"\[\?\(.*?\)\]|\[\d+\]|\[\*\]", "[]", column["jsonPath"])
            if json_path.startswith(".metadata."):
                continue
            assert json_path in declared, f"column {column['name']}: {column['jsonPath']}"


def test_short_names_collide_with_nothing_a_cluster_already_has() -> None:
    seen: dict[str, str] = {}
    for path in CRD_FILES:
        names = kfgtest.load_crd(path)["spec"]["names"]
        own = [names["plural"], names.get("singular", ""), *names.get("shortNames", [])]
        for name in names.get("shortNames", []):
            assert name not in TAKEN_SHORT_NAMES, f"{path.name}: short name {name!r} is taken"
        for name in filter(None, own):
            assert name not in seen, f"{path.name}: {name!r} is also used by {seen[name]}"
            seen[name] = path.name
