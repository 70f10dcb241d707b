"""The CRDs in ``crds/`` are accepted by a real API server and are good APIs to write against.

Checks what ``kubectl apply`` would reject (strict CustomResourceDefinition validation for 1.30 and
1.37, the structural-schema rules of apiextensions.k8s.io/v1) and what a user needs (a description
on every field, defaults documented, CEL rules that compile and run offline, a status subresource,
short names that collide with nothing a cluster already has).

The structural-schema rules live in ``konfiguru_generators.crdcheck`` with everything else the
API server checks when a CRD is created (defaults against their own schema and CEL rules, rule
cost, ``x-kubernetes-*`` consistency); ``test_crd_admission.py`` runs all of it on every CRD.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cel
import pytest

import kfgtest
from konfiguru_generators import crdcheck
from konfiguru_generators.kinds import BUILTIN

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
    # The built-in kinds: plugins ship their CRDs in their own packages.
    by_file = {definition.crd_file: kind for kind, definition in BUILTIN.items()}
    for kind, definition in BUILTIN.items():
        path = kfgtest.CRDS / definition.crd_file
        assert path.exists(), f"kind {kind} points at missing {path}"
        names = kfgtest.load_crd(path)["spec"]["names"]
        assert (names["kind"], names["plural"]) == (kind, definition.plural)
    unregistered = sorted(p.name for p in CRD_FILES if p.name not in by_file)
    assert not unregistered, f"CRDs with no kind in kinds.REGISTRY: {unregistered}"


@pytest.mark.parametrize("path", CRD_FILES, ids=IDS)
def test_crd_schema_is_structural(path: Path) -> None:
    problems = [
        str(problem)
        for where, root in crdcheck.schema_roots(kfgtest.load_crd(path))
        for problem in crdcheck.structural_problems(root, where)
    ]
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
    problems = "\n".join(map(str, crdcheck.structural_problems(bad, "s")))
    for needle in (
        "s.properties[spec].properties[untyped].type: Required value",
        "properties[tags].uniqueItems: Forbidden",
        "properties[closed].additionalProperties: Forbidden",
        "x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined",
        "properties[either].anyOf[0].type: Forbidden: must be empty to be structural",
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
                elif current.get("type") in ("string", "array") or current.get(
                    "x-kubernetes-int-or-string"
                ):
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
