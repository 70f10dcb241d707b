"""Policies: a platform team's rules for Konfiguru resources, as CEL, checked the same everywhere.

A policy file (``kind: Policy``) says what every resource must meet: allowed image registries,
no ``:latest`` (or untagged) images, required labels, CPU and memory ceilings,
readiness probes, no external load balancer, allowed Ingress hosts, and custom CEL rules over
``object`` (the resource after its CRD defaults). :func:`compile_policy` turns each rule into
CEL expressions — one per rule and kind — and that list is the single definition:

- ``konfiguru validate --policy FILE`` evaluates them offline (:func:`violations`), with the
  offline CEL evaluator and the Kubernetes quantity functions of ``celk8s.py``;
- ``konfiguru policy export`` writes them as a ``ValidatingAdmissionPolicy`` and its binding
  (:func:`admission_objects`), which the API server evaluates itself at admission.

So the CLI and the API server cannot disagree: they run the same expressions. Image fields are
found by walking the CRD schemas (every string field named ``image``), so an image field added
to a CRD is covered without touching this module. Pure; called by ``cli.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import cel

from .celk8s import functions_for
from .errors import FieldError, SpecError
from .kinds import REGISTRY
from .resources import API_GROUP, API_VERSION

POLICY_KINDS = ("Policy",)
_KEYS = {
    "allowedRegistries": list,
    "forbidLatestTag": bool,
    "requiredLabels": list,
    "maxCPU": str,
    "maxMemory": str,
    "requireReadinessProbe": bool,
    "forbidExternalLoadBalancer": bool,
    "allowedIngressHosts": list,
    "rules": list,
}


@dataclass(frozen=True)
class Check:
    """One CEL expression over ``object`` for one kind, with the message a violation shows."""

    rule: str
    kind: str
    expression: str
    message: str


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str


def _lit(value: Any) -> str:
    return json.dumps(value)  # a JSON string or list is a CEL literal of the same value


@cache
def image_paths(kind: str) -> tuple[tuple[str, ...], ...]:
    """Every string field named ``image`` in the kind's spec, as paths (``[]`` marks a list)."""
    spec = REGISTRY[kind].schema()["properties"]["spec"]
    found: list[tuple[str, ...]] = []

    def walk(node: Mapping[str, Any], path: tuple[str, ...]) -> None:
        if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
            walk(node["items"], (*path, "[]"))
        for key, child in (node.get("properties") or {}).items():
            if key == "image" and child.get("type") == "string":
                found.append((*path, key))
            elif isinstance(child, Mapping):
                walk(child, (*path, key))

    walk(spec, ("spec",))
    return tuple(found)


def _every_image(path: Sequence[str], test: str, var: str = "object", depth: int = 0) -> str:
    """CEL: ``test`` (over ``img``) holds for the image at ``path`` wherever it is present."""
    if "[]" not in path:
        has = " && ".join(f"has({'.'.join((var, *path[: i + 1]))})" for i in range(len(path)))
        value = ".".join((var, *path))
        # The test binds ``img`` by a one-item all(): no text of the test is rewritten.
        return f"(!({has}) || [{value}].all(img, {test}))"
    cut = path.index("[]")
    items = ".".join((var, *path[:cut]))
    has = " && ".join(f"has({'.'.join((var, *path[: i + 1]))})" for i in range(cut)) or "true"
    item = f"x{depth}"
    inner = _every_image(path[cut + 1 :], test, item, depth + 1)
    return f"(!({has}) || {items}.all({item}, {inner}))"


def _spec_has(kind: str, *path: str) -> bool:
    node: Mapping[str, Any] = REGISTRY[kind].schema()["properties"]["spec"]
    for part in path:
        node = (node.get("properties") or {}).get(part) or {}
        if not node:
            return False
    return True


def compile_policy(document: Any) -> list[Check]:
    """The checks of a policy document; a malformed one is a SpecError with field paths."""
    spec = _checked(document)
    checks: list[Check] = []
    kinds = sorted(REGISTRY)

    def add(rule: str, kind: str, expression: str, message: str) -> None:
        checks.append(Check(rule, kind, expression, message))

    def every_image(rule: str, test: str, message: str) -> None:
        """One check per kind with image fields: ``test`` (over ``img``) holds for each."""
        for kind in kinds:
            terms = [_every_image(path, test) for path in image_paths(kind)]
            if terms:
                add(rule, kind, " && ".join(terms), message)

    registries = spec.get("allowedRegistries")
    if registries:
        every_image(
            "allowedRegistries",
            f"{_lit(registries)}.exists(r, img.startsWith(r))",
            f"every image must come from one of {', '.join(registries)}",
        )
    if spec.get("forbidLatestTag"):
        every_image(
            "forbidLatestTag",
            "!img.matches(':latest(@|$)') && img.matches('(@sha256:[0-9a-f]+|:[^/:@]+)$')",
            "every image needs a version tag or a digest, never :latest or none",
        )
    for label in spec.get("requiredLabels") or []:
        for kind in kinds:
            add(
                "requiredLabels",
                kind,
                f"has(object.metadata.labels) && {_lit(label)} in object.metadata.labels",
                f"metadata.labels must include {label!r}",
            )
    for kind in kinds:
        if not (_spec_has(kind, "resources", "cpu") and _spec_has(kind, "resources", "memory")):
            continue
        for key, field in (("maxCPU", "cpu"), ("maxMemory", "memory")):
            if spec.get(key):
                add(
                    key,
                    kind,
                    f"!has(object.spec.resources) || !has(object.spec.resources.{field}) ||"
                    f" quantity(object.spec.resources.{field}).compareTo("
                    f"quantity({_lit(spec[key])})) <= 0",
                    f"spec.resources.{field} must be at most {spec[key]}",
                )
    if spec.get("requireReadinessProbe") and _spec_has("App", "health", "readiness", "http"):
        # The CRD defaults a TCP readiness check on the port: the rule asks for one that asks the
        # application itself (HTTP or a command), and that is not switched off.
        readiness = "object.spec.health.readiness"
        add(
            "requireReadinessProbe",
            "App",
            f"!has(object.spec.port) || (has(object.spec.health) && has({readiness}) &&"
            f" (!has({readiness}.enabled) || {readiness}.enabled) &&"
            f" (has({readiness}.http) || has({readiness}.exec)))",
            "an App with a port needs an HTTP or exec readiness probe (the default TCP check"
            " only shows that the port is open)",
        )
    if spec.get("forbidExternalLoadBalancer") and _spec_has("App", "expose", "external"):
        add(
            "forbidExternalLoadBalancer",
            "App",
            "!has(object.spec.expose) || !has(object.spec.expose.external)"
            " || !object.spec.expose.external",
            "spec.expose.external (a LoadBalancer) is not allowed; use an Ingress",
        )
    hosts = spec.get("allowedIngressHosts")
    if hosts and _spec_has("App", "ingress", "host"):
        suffixes = [h[1:] for h in hosts if h.startswith("*.")]
        exact = [h for h in hosts if not h.startswith("*.")]
        add(
            "allowedIngressHosts",
            "App",
            "!has(object.spec.ingress) || !has(object.spec.ingress.host) ||"
            f" object.spec.ingress.host in {_lit(exact)} ||"
            f" {_lit(suffixes)}.exists(s, object.spec.ingress.host.endsWith(s))",
            f"spec.ingress.host must be one of {', '.join(hosts)}",
        )
    for rule in spec.get("rules") or []:
        for kind in rule.get("kinds") or kinds:
            add(str(rule["name"]), kind, str(rule["expression"]), str(rule["message"]))
    for check in checks:  # every expression compiles, custom ones included
        try:
            cel.compile(check.expression)
        except Exception as error:  # noqa: BLE001 - the library raises several types
            raise SpecError(
                [
                    FieldError(
                        f"spec.rules[{check.rule}]", check.expression, f"is not valid CEL: {error}"
                    )
                ]
            ) from None
    return checks


def _checked(document: Any) -> Mapping[str, Any]:
    problems: list[FieldError] = []
    if not isinstance(document, Mapping) or document.get("kind") not in POLICY_KINDS:
        raise SpecError(
            [
                FieldError(
                    "kind",
                    (document or {}).get("kind") if isinstance(document, Mapping) else document,
                    "is not a policy",
                    "use kind: Policy",
                )
            ]
        )
    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        raise SpecError([FieldError("spec", spec, "must be a map of rules")])
    for key, value in spec.items():
        expected = _KEYS.get(str(key))
        if expected is None:
            problems.append(
                FieldError(
                    f"spec.{key}", value, "is not a policy rule", f"use one of {', '.join(_KEYS)}"
                )
            )
        elif not isinstance(value, expected):
            problems.append(FieldError(f"spec.{key}", value, f"must be a {expected.__name__}"))
    for index, rule in enumerate(spec.get("rules") or []):
        where = f"spec.rules[{index}]"
        if not isinstance(rule, Mapping) or not all(
            isinstance(rule.get(k), str) and rule.get(k) for k in ("name", "expression", "message")
        ):
            problems.append(FieldError(where, rule, "needs name, expression and message"))
        elif any(k not in REGISTRY for k in rule.get("kinds") or []):
            problems.append(
                FieldError(
                    f"{where}.kinds",
                    rule.get("kinds"),
                    "names no kind",
                    f"use {', '.join(sorted(REGISTRY))}",
                )
            )
    if problems:
        raise SpecError(problems)
    return spec


def _evaluate(expression: str, resource: Mapping[str, Any]) -> bool:
    program = cel.compile(expression)
    result = program.execute({"object": dict(resource), **functions_for(expression)})
    return result is True


def violations(checks: Sequence[Check], resource: Mapping[str, Any]) -> list[Violation]:
    """The checks the (defaulted) resource fails, each once, in policy order."""
    found: list[Violation] = []
    for check in checks:
        if check.kind != resource.get("kind"):
            continue
        try:
            ok = _evaluate(check.expression, resource)
        except Exception:  # noqa: BLE001 - a runtime error is a failed check, as at admission
            ok = False
        if not ok:
            found.append(Violation(check.rule, check.message))
    return found


def admission_objects(checks: Sequence[Check], name: str) -> list[dict[str, Any]]:
    """A ValidatingAdmissionPolicy per kind (the same expressions) and one binding each."""
    out: list[dict[str, Any]] = []
    for kind in sorted({check.kind for check in checks}):
        policy_name = f"{name}-{REGISTRY[kind].plural}"
        out.append(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicy",
                "metadata": {"name": policy_name},
                "spec": {
                    "failurePolicy": "Fail",
                    "matchConstraints": {
                        "resourceRules": [
                            {
                                "apiGroups": [API_GROUP],
                                "apiVersions": [API_VERSION],
                                "operations": ["CREATE", "UPDATE"],
                                "resources": [REGISTRY[kind].plural],
                            }
                        ]
                    },
                    "validations": [
                        {
                            "expression": c.expression,
                            "message": f"{c.rule}: {c.message}",
                            "reason": "Invalid",
                        }
                        for c in checks
                        if c.kind == kind
                    ],
                },
            }
        )
        out.append(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": {"name": policy_name},
                "spec": {"policyName": policy_name, "validationActions": ["Deny"]},
            }
        )
    return out
