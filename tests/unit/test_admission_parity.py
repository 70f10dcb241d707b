"""``kubectl apply`` and ``konfiguru validate`` refuse exactly what the README says they refuse.

The API server checks a Konfiguru resource with its CRD's schema and CEL rules only (admission);
``konfiguru validate`` and the operator run the same schema and rules and then the Python checks of
``kinds/*/checks.py``. The README's table "Which checks run where" says which checks run at
admission; :data:`TABLE` below is the same table as data, and these tests hold both to the code:

* the README table and :data:`TABLE` list the same checks with the same answer;
* every error ``konfiguru validate`` gives for a bad-spec fixture belongs to a row of the table, and
  the API server (the CRD schema and rules, evaluated the way ``schema.py`` does) refuses the same
  field exactly when the row says "admission";
* the shared rules in the CRDs (``admission.py``) are copied literally, on every quantity and cron
  field, and accept exactly what the Python checks accept: every number and name of every cron
  field, and hypothesis-generated quantities and schedules.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kfgtest
from konfiguru_generators import SpecError, admission, cron, schema
from konfiguru_generators.celk8s import functions_for
from konfiguru_generators.errors import FieldError
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.pipeline import validate
from konfiguru_generators.quantity import check_quantity
from konfiguru_generators.schema import default_and_check


@dataclass(frozen=True)
class Row:
    """One row of the README's table: a check, how to recognise its message, where it runs."""

    name: str  # the README's first column, verbatim
    message: str  # a regex matching the messages of this check
    admission: bool  # also refused by the API server (CRD schema or CEL)


# Order matters: the first row whose regex matches "<path>: <message>" is the error's row.
# "<CRD rule>" stands for the message of any CEL rule in the CRDs; the last row takes every other
# Python check.
TABLE = (
    Row("Database parameter values (a string, a number or true/false, on one line)", r"^spec\.parameters\b.*: (has the wrong type|contains a line break)", False),  # noqa: E501
    Row("Types, enums, bounds, patterns, required and unknown fields", r": (has the wrong type|is not an accepted value|is too (small|large|short|long)$|is not in the accepted form|is required$|is not a known field|must not be null|has too (few|many) (items|fields))", True),  # noqa: E501
    Row("Cron ranges that run backwards (`5-3`)", r"runs backwards", False),
    Row("Quantities (`5GB`, `0`, `-1`)", r"is not a Kubernetes quantity|must be greater than zero", True),  # noqa: E501
    Row("Cron schedules: five fields in range, names, steps, macros", r"is not a (valid )?cron schedule", True),  # noqa: E501
    Row("Cross-field and format rules in the CRDs (autoscale, replicas, tolerations, PDB, connectTo, jobs, database users, model volumes, sklearn, ...)", "<CRD rule>", True),  # noqa: E501
    Row("A limit below its request", r"is less than (cpu|memory)", False),
    Row("Resource names: metadata.name and the names derived from it", r"is not a valid name|is too long for|is not a Konfiguru kind", False),  # noqa: E501
    Row("Everything else (listed below)", r"", False),
)  # fmt: skip


def _crd_messages() -> set[str]:
    messages = set()
    for definition in REGISTRY.values():  # plugins' CRDs too
        root = definition.crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for _, node in kfgtest.walk_schema(root, "root"):
            for rule in node.get("x-kubernetes-validations") or []:
                messages.add(" ".join(str(rule.get("message", "")).split()))
    return messages


CRD_MESSAGES = _crd_messages()

README = kfgtest.ROOT / "README.md"
_TABLE_HEADING = "### Which checks run where"


def _readme_rows() -> dict[str, tuple[str, ...]]:
    text = README.read_text("utf-8")
    assert _TABLE_HEADING in text, f"README.md has no section {_TABLE_HEADING!r}"
    section = text.split(_TABLE_HEADING, 1)[1].split("\n#", 1)[0]
    rows: dict[str, tuple[str, ...]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and not set(cells[1]) <= {"-", ":"}:
            rows[cells[0]] = tuple(cells[1:])
    rows.pop("Check", None)
    return rows


def test_the_readme_table_lists_every_check_with_where_it_runs() -> None:
    rows = _readme_rows()
    assert list(rows) == [row.name for row in TABLE]
    for row in TABLE:
        at_admission, webhook, offline, operator = rows[row.name]
        assert at_admission == ("yes" if row.admission else "no"), row.name
        # The webhook runs konfiguru validate's pipeline: tests/unit/operator/test_webhook.py.
        assert webhook == offline == "yes" and operator.startswith("yes"), row.name


def _row(error: FieldError, document: dict[str, Any] | None = None) -> Row:
    for row in TABLE:
        if row.message == "<CRD rule>":
            if error.message in CRD_MESSAGES:
                return row
        elif re.search(row.message, f"{error.path}: {error.message}"):
            return row
    raise AssertionError(
        f"{error} matches no row of the README's 'Which checks run where' table: add one to"
        " TABLE in tests/unit/test_admission_parity.py and to the README, saying whether the"
        " CRD checks it at admission"
    )


def _admission_errors(document: dict[str, Any]) -> list[FieldError]:
    """What the API server says about ``document``: its CRD's schema and CEL rules."""
    definition = REGISTRY[document["kind"]]
    schema = definition.schema()["properties"]["spec"]
    return default_and_check(schema, copy.deepcopy(document.get("spec") or {}), "spec")


def _validate_errors(document: dict[str, Any]) -> list[FieldError]:
    try:
        validate(copy.deepcopy(document))
    except SpecError as error:
        return list(error.errors)
    return []


BAD = sorted((kfgtest.FIXTURES / "bad").glob("*.kfg.yaml"))


@pytest.mark.parametrize("path", BAD, ids=[p.name.removesuffix(".kfg.yaml") for p in BAD])
def test_the_api_server_refuses_a_bad_spec_exactly_where_the_table_says(path: Path) -> None:
    (document,) = kfgtest.documents(path)
    offline = _validate_errors(document)
    assert offline, f"{path.name}: konfiguru validate accepts it"
    if document.get("kind") not in REGISTRY:
        assert all(not _row(error, document).admission for error in offline)
        return
    refused = {error.path for error in _admission_errors(document)}
    for error in offline:
        row = _row(error, document)
        if error.path.startswith("metadata."):
            assert not row.admission, f"{error}: metadata is not checked by a Konfiguru CRD"
            continue
        assert (error.path in refused) == row.admission, (
            f"{path.name}: {error} is in row {row.name!r} (admission: {row.admission}), but the"
            f" API server {'admits' if error.path not in refused else 'refuses'} it"
        )


def test_every_row_of_the_table_is_shown_true_by_a_bad_spec_fixture() -> None:
    seen = {
        _row(error, document).name
        for document in (kfgtest.documents(path)[0] for path in BAD)
        for error in _validate_errors(document)
    }
    missing = [row.name for row in TABLE if row.name not in seen]
    assert not missing, f"rows with no tests/fixtures/bad case: {missing}"


# ------------------------------------------------------------------- the shared rules


def _fields_with(rule: str) -> set[str]:
    found = set()
    for path in kfgtest.crd_files():
        root = kfgtest.load_crd(path)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for where, node in kfgtest.walk_schema(root["properties"]["spec"], "spec"):
            if any(r["rule"] == rule for r in node.get("x-kubernetes-validations") or []):
                found.add(f"{path.name}:{where}")
    return found


def _quantity_fields() -> set[str]:
    """Every field a Python check reads as a quantity, by its name in the CRDs."""
    names = re.compile(
        r"(\.resources\.(cpu|memory|cpuLimit|memoryLimit)|\.size|\.storage|shmSize)$"
    )
    found = set()
    for path in kfgtest.crd_files():
        root = kfgtest.load_crd(path)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for where, node in kfgtest.walk_schema(root["properties"]["spec"], "spec"):
            if names.search(where) and node.get("type") != "object":
                found.add(f"{path.name}:{where}")
    return found


def _quantity_nodes() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in kfgtest.crd_files():
        root = kfgtest.load_crd(path)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for where, node in kfgtest.walk_schema(root["properties"]["spec"], "spec"):
            if f"{path.name}:{where}" in _quantity_fields():
                found.append((f"{path.name}:{where}", node))
    return found


def test_every_quantity_field_has_the_quantity_pattern_and_numbers_a_minimum_of_one() -> None:
    nodes = _quantity_nodes()
    assert len(nodes) > 20
    for where, node in nodes:
        assert node.get("pattern") == admission.QUANTITY_PATTERN, where
        assert node.get("maxLength") == 64, where
        if node.get("x-kubernetes-int-or-string"):
            assert node.get("minimum") == 1, where
        assert not node.get("x-kubernetes-validations"), f"{where}: a CEL rule costs too much here"


_SHARED = re.compile(
    r"^(?P<indent> *)- rule: (?P<rule>.+)\n"
    r"(?P=indent)  message: (?:>-\n(?:(?P=indent)    .*\n)+|.*\n)",
    re.MULTILINE,
)
_CURRENT = {"cron": (admission.CRON_RULE, admission.CRON_MESSAGE)}


def _family(rule: str) -> str | None:
    return "cron" if rule.startswith('self.matches(r"^[\\t') else None


def _quoted(text: str) -> str:
    return f"'{text}'" if "'" not in text else json.dumps(text)


def rewrite_shared_rules(text: str) -> str:
    """``text`` (a CRD file) with every shared rule and its message as ``admission.py`` has them."""

    def replace(match: re.Match[str]) -> str:
        family = _family(yaml.safe_load("r: " + match["rule"])["r"])
        if family is None:
            return match[0]
        rule, message = _CURRENT[family]
        indent = match["indent"]
        return f"{indent}- rule: {_quoted(rule)}\n{indent}  message: {_quoted(message)}\n"

    return _SHARED.sub(replace, text)


@pytest.mark.parametrize("path", kfgtest.crd_files(), ids=lambda p: p.name)
def test_the_crds_carry_the_shared_rules_as_admission_py_writes_them(
    path: Path, update_golden: bool
) -> None:
    text = path.read_text("utf-8")
    expected = rewrite_shared_rules(text)
    if update_golden and expected != text:
        path.write_text(expected, "utf-8")
        text = expected
    assert text == expected, (
        f"{path.name}: a shared rule differs from admission.py (cron.py or quantity.py changed?):"
        " run pytest tests/unit/test_admission_parity.py --update-golden, then"
        " pytest tests/shipping --update-golden for the copies in deploy/"
    )


def test_every_check_moved_from_python_is_a_rule_in_a_crd() -> None:
    rules = set()
    for path in kfgtest.crd_files():
        root = kfgtest.load_crd(path)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for _, node in kfgtest.walk_schema(root, "root"):
            for rule in node.get("x-kubernetes-validations") or []:
                rules.add((rule["rule"], " ".join(str(rule.get("message", "")).split())))
    missing = [pair for pair in admission.MOVED if pair not in rules]
    assert not missing


def test_every_cron_field_carries_the_cron_rule() -> None:
    fields = _fields_with(admission.CRON_RULE)
    assert {f.split(":")[1] for f in fields} == {
        "spec.schedules[].schedule",
        "spec.run.schedule",
        "spec.backup.schedule",
        "spec.schedule",
        "spec.training.schedule",
    }


_CRON = cel.compile(admission.CRON_RULE)
_QUANTITY_NODE = {
    "x-kubernetes-int-or-string": True,
    "maxLength": 64,
    "pattern": admission.QUANTITY_PATTERN,
    "minimum": 1,
}


def _crd_accepts_quantity(value: str | int) -> bool:
    """The quantity field's schema, checked the way the API server checks it (schema.py)."""
    wrapper = {"type": "object", "properties": {"q": _QUANTITY_NODE}}
    return not default_and_check(wrapper, {"q": value}, "spec")


def _python_accepts_quantity(value: str | int) -> bool:
    errors: list[FieldError] = []
    check_quantity(value, "q", errors)
    return not errors


_NUMBER = st.from_regex(r"\A[+-]?([0-9]{1,4}(\.[0-9]{0,3})?|\.[0-9]{1,3})\Z")
_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
             "e3", "E-2", "e+1", "GB", "gi", "mb", " Gi", "i"]  # fmt: skip
_SUFFIX = st.sampled_from(_SUFFIXES)
_QUANTITIES = st.one_of(
    st.builds(lambda n, s: n + s, _NUMBER, _SUFFIX),
    st.text(alphabet="0123456789.+-eEKMGTPinumk٣ ", max_size=8),
    st.integers(min_value=-(2**40), max_value=2**40),
)


@settings(max_examples=400, deadline=None)
@given(_QUANTITIES)
def test_the_quantity_rules_accept_exactly_what_the_python_check_accepts(value: str | int) -> None:
    assert _crd_accepts_quantity(value) == _python_accepts_quantity(value), repr(value)


def _python_accepts_schedule(schedule: str) -> bool:
    return cron.schedule_problem(schedule) == ""


def _crd_accepts_schedule(schedule: str) -> bool:
    return bool(_CRON.execute({"self": schedule}))


def _agree(schedule: str) -> bool:
    """The rule refuses only what Python refuses, and Python refuses more only for a range that
    runs backwards (which a regex cannot see)."""
    crd, python = _crd_accepts_schedule(schedule), _python_accepts_schedule(schedule)
    if crd == python:
        return True
    return crd and "runs backwards" in cron.schedule_problem(schedule)


_TOKENS = [
    *(str(n) for n in range(-1, 62)), "00", "007", "060", "*", "?", "*/5", "*/0", "*/00", "1/10",
    "1-5", "5-1", "0-59", "0-60", "1-31", "1-32", "1,2,3", "1,,2", "1-2-3", "*/5/2", "a", "jan",
    "JAN", "dec", "jan-mar", "sun", "SAT", "mon-fri", "fri-mon", "sun-sat", "13", "24", "32", "",
]  # fmt: skip


@pytest.mark.parametrize("position", range(5))
def test_the_cron_rule_agrees_with_the_python_check_on_every_value_of_every_field(
    position: int,
) -> None:
    disagreements = []
    for token in _TOKENS:
        fields = ["0", "3", "1", "1", "1"]
        fields[position] = token
        schedule = " ".join(fields)
        if not _agree(schedule):
            disagreements.append(schedule)
    assert not disagreements


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789*?/-, \t@JFMASONDjfmasondaeyulgcbrtpvhiwk", max_size=24),
        st.lists(st.sampled_from(_TOKENS), min_size=4, max_size=6).map(" ".join),
        st.sampled_from(cron.MACROS).map(lambda m: m.upper() if len(m) % 2 else m),
    )
)
def test_the_cron_rule_accepts_exactly_what_the_python_check_accepts(schedule: str) -> None:
    assert _agree(schedule), (schedule, cron.schedule_problem(schedule))


def test_the_rules_catch_the_two_specs_the_real_server_admitted() -> None:
    web = {"apiVersion": "konfiguru.io/v1alpha1", "kind": "App", "metadata": {"name": "web"}}
    memory = {**web, "spec": {"image": "nginx", "resources": {"memory": "5GB"}}}
    schedule = {
        **web,
        "spec": {"image": "nginx", "schedules": [{"name": "n", "schedule": "0 25 * * *"}]},
    }
    assert [e.path for e in _admission_errors(memory)] == ["spec.resources.memory"]
    assert [e.path for e in _admission_errors(schedule)] == ["spec.schedules[0].schedule"]


def _cel_or_error(program: Any, value: Any) -> object:
    try:
        return bool(program.execute({"self": value}))
    except Exception:  # noqa: BLE001 - an evaluation error is an answer too
        return "error"


def _fast_or_error(rule: str, value: Any) -> object:
    try:
        return admission.FAST[rule](value)
    except TypeError:
        return "error"


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        _QUANTITIES,
        st.text(alphabet="0123456789*?/-, \t\u00a0\u2003\x1c@JjSsſKk\u212aMmaeyulgcbrtpvhiwkon"),
        st.lists(st.sampled_from(_TOKENS), min_size=5, max_size=5).map(" ".join),
        st.booleans(),
        st.floats(allow_nan=False),
    )
)
def test_the_python_fast_paths_give_the_cel_answer(value: Any) -> None:
    rule = admission.CRON_RULE
    assert _fast_or_error(rule, value) == _cel_or_error(_CRON, value), value


# ------------------------------------------------------------------ generated specs


def _spec_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_on_generated_specs_admission_refuses_a_subset_and_the_rest_is_offline_only(
    kind: str,
) -> None:
    """For specs drawn from the CRD schema: whatever the API server refuses, ``konfiguru
    validate`` refuses at the same field; whatever only ``konfiguru validate`` refuses belongs to
    a row the README marks as not checked at admission."""

    @settings(max_examples=40, deadline=None)
    @given(spec=kfgtest.spec_strategy(_spec_schema(kind)))
    def check(spec: Any) -> None:
        document = {"apiVersion": "konfiguru.io/v1alpha1", "kind": kind,
                    "metadata": {"name": "prop"}, "spec": spec}  # fmt: skip
        refused = {error.path for error in _admission_errors(document)}
        offline = _validate_errors(document)
        assert refused <= {error.path for error in offline}, (refused, offline)
        for error in offline:
            if error.path not in refused:
                assert not _row(error, document).admission, f"{error}: offline only, not its row"

    check()


# ------------------------------------------------------ the Kubernetes quantity library offline


def _with_library(rule: str, value: Any) -> object:
    try:
        return bool(cel.compile(rule).execute({"self": value, **functions_for(rule)}))
    except Exception:  # noqa: BLE001 - an evaluation error is an answer too
        return "error"


def test_the_offline_quantity_library_compares_exactly_and_refuses_what_is_no_quantity() -> None:
    assert _with_library("quantity('1Gi').compareTo(quantity('1024Mi')) == 0", None) is True
    assert _with_library("quantity('1.5').isGreaterThan(quantity('1500m'))", None) is False
    assert _with_library("quantity('999m').isLessThan(quantity('1'))", None) is True
    assert _with_library("isQuantity('5GB') || isQuantity('1e')", None) is False
    assert _with_library("quantity('5GB') == quantity('5G')", None) == "error"


def test_the_offline_walk_enforces_every_keyword_the_crd_specs_use() -> None:
    # A keyword the API server checks and schema.py does not (format, multipleOf, minProperties,
    # list-type set...) would let konfiguru validate admit what kubectl apply refuses.
    used: dict[str, str] = {}
    for path in kfgtest.crd_files():
        root = kfgtest.load_crd(path)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for where, node in kfgtest.walk_schema(root["properties"]["spec"], "spec"):
            for keyword in node:
                used.setdefault(keyword, f"{path.name}:{where}")
            if node.get("x-kubernetes-list-type") == "set":
                used.setdefault("x-kubernetes-list-type: set", f"{path.name}:{where}")
    unknown = {k: where for k, where in used.items() if k not in schema.KEYWORDS}
    assert not unknown


def test_a_map_with_too_many_entries_is_refused_offline_as_at_admission() -> None:
    schema = {"type": "object", "maxProperties": 2, "additionalProperties": {"type": "string"}}
    errors = default_and_check(schema, {"a": "1", "b": "2", "c": "3"}, "spec.labels")
    assert [str(e) for e in errors] == ['spec.labels: "3 fields" has too many fields; at most 2']
