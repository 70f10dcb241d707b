"""The one path from a custom resource to its children: parse → default → validate → render.

``konfiguru render`` and the operator both call :func:`render`, so they produce identical
children for the same resource. Every bad input ends as one :class:`SpecError` listing all
problems; any other exception is a bug in a generator.

Called by the public API in ``__init__.py``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping
from typing import Any

from . import apichecks, bounds, collisions, labels, order
from .errors import FieldError, SpecError, did_you_mean
from .kinds import REGISTRY, KindDefinition
from .kinds.base import Manifest, Resource
from .model import EMPTY, Existing
from .plugins import failed_kinds
from .rendering import added_templates, render_added, user_template_files
from .rendering import prepare as prepare_templates
from .resources import API_GROUP, API_VERSION
from .schema import check_spec, sort_keys, sorted_tree
from .schema import prepare as prepare_schema

API = f"{API_GROUP}/{API_VERSION}"
# Names become Service and container names, which must be RFC 1035 labels.
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_MAX_NAME = 52  # CronJob names are limited to 52 characters; children reuse the parent's name.
# The Kubernetes versions every rendered object is proven valid for (tests check both ends).
MIN_KUBE_VERSION = (1, 30)
MAX_KUBE_VERSION = (1, 37)
DEFAULT_KUBE_VERSION = "1.33"


def parse(document: Any) -> tuple[KindDefinition, dict[str, Any]]:
    """Check the envelope (apiVersion, kind, metadata.name) and return the kind and a copy,
    with every mapping's keys sorted (``schema.sorted_tree``): nothing after this depends on
    the order keys arrived in (a file's order, or the API server's sorted one)."""
    if not isinstance(document, dict):
        raise SpecError(
            [FieldError("(document)", document, "is not a mapping", "expected a resource")]
        )
    check_bounds(document)
    errors: list[FieldError] = []
    kind = document.get("kind")
    definition = REGISTRY.get(kind) if isinstance(kind, str) else None
    if definition is None:
        errors.append(_unknown_kind(kind))
    if document.get("apiVersion") != API:
        errors.append(
            FieldError("apiVersion", document.get("apiVersion"), "is not supported", f"use {API}")
        )
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not _DNS_LABEL.match(name) or len(name) > _MAX_NAME:
        errors.append(
            FieldError(
                "metadata.name",
                name,
                "is not a valid name",
                f"lower-case letters, digits and '-', starting with a letter, at most {_MAX_NAME}"
                " characters",
            )
        )
    if isinstance(metadata, dict):
        errors.extend(apichecks.check_metadata(metadata))
    if errors or definition is None:
        raise SpecError(errors, _describe(document))
    return definition, sorted_tree(document)


def _unknown_kind(kind: Any) -> FieldError:
    broken = failed_kinds(REGISTRY.plugin_statuses()).get(str(kind))
    if broken is not None:
        # The kind exists, but its plugin could not be used: say which and why.
        return FieldError(
            "kind", kind, f"is added by {broken.describe()}, which is not used", f"{broken.error}"
        )
    return FieldError("kind", kind, "is not a Konfiguru kind", did_you_mean(str(kind), REGISTRY))


def check_bounds(document: Any) -> None:
    """SpecError when ``document`` passes a limit of ``bounds`` (depth, values, size).

    Called before anything walks a resource: ``parse`` here, and the operator before it hashes
    a resource it received (every later stage recurses into it).
    """
    beyond = bounds.check_tree(document)
    if beyond is not None:
        raise SpecError([beyond], _describe(document))


def validate(
    document: Any, *, ingress_controller: str | None = None
) -> tuple[KindDefinition, dict[str, Any]]:
    """Parse, apply CRD defaults and run every check; return the defaulted resource (keys
    sorted, also those defaulting added).

    ``ingress_controller`` is the caller's default for ``spec.ingress.controller`` (the CLI's
    ``--ingress-controller``, the operator's ``KONFIGURU_INGRESS_CONTROLLER``): it fills in an
    ingress that names no controller, before the CRD defaults and every check."""
    definition, resource = parse(document)
    schema = definition.schema()
    spec = resource.setdefault("spec", {})
    if ingress_controller is not None:
        check_ingress_controller(ingress_controller)
        ingress = spec.get("ingress") if isinstance(spec, dict) else None
        if isinstance(ingress, dict) and _ingress_controllers(schema):
            ingress.setdefault("controller", ingress_controller)
    errors: list[FieldError] = []
    if not isinstance(spec, dict):
        errors.append(FieldError("spec", spec, "has the wrong type", "expected a mapping"))
    else:
        found, well_formed = check_spec(schema["properties"]["spec"], spec, "spec")
        errors.extend(found)
        if well_formed:
            # Defaulting appended keys; the API server, too, sorts its answers after defaulting.
            sort_keys(spec)
            # Semantic checks read defaulted, well-typed data only. Where one repeats a CRD rule
            # (quantities, cron), its message is the better one and replaces the rule's.
            # First what the API server and the runtime refuse (by field found in the CRD
            # schema), then what only the kind knows.
            semantic = apichecks.check_spec(schema["properties"]["spec"], spec)
            semantic += definition.check(spec, resource["metadata"]["name"])
            better = {error.path for error in semantic}
            errors = [error for error in errors if error.path not in better] + semantic
    if errors:
        raise SpecError(errors, _describe(resource))
    return definition, resource


INGRESS_CONTROLLER_FLAG = "--ingress-controller"


def _ingress_controllers(schema: Mapping[str, Any]) -> list[str]:
    """The controllers ``spec.ingress.controller`` accepts in a kind's CRD (none: no such field)."""
    spec = schema["properties"]["spec"]
    ingress = spec.get("properties", {}).get("ingress", {})
    return list(ingress.get("properties", {}).get("controller", {}).get("enum", []))


def check_ingress_controller(value: str) -> None:
    """SpecError unless some kind's ``spec.ingress.controller`` accepts ``value``."""
    accepted = sorted(
        {
            name
            for definition in REGISTRY.values()
            for name in _ingress_controllers(definition.schema())
        }
    )
    if value not in accepted:
        raise SpecError(
            [
                FieldError(
                    INGRESS_CONTROLLER_FLAG,
                    value,
                    "is not an ingress controller",
                    "accepted: " + ", ".join(accepted),
                )
            ]
        )


def warm_up() -> None:
    """Load and compile what renders need, then exempt it from garbage collection.

    For callers that render many resources in one process: the operator at start-up, the CLI
    before a directory of files, the render benchmark before measuring. It loads every kind's
    CRD schema, compiles each pattern and CEL rule in them and every package template, then
    calls ``gc.freeze()``: everything alive at that point moves to the permanent generation, so
    full collections stop walking the large schema and template structures again and again
    (they live as long as the process anyway). Renders give the same output with or without it.

    Freezing is process-wide: call it once, after start-up imports and configuration, not per
    render. Objects created later are collected as usual.
    """
    for definition in REGISTRY.values():
        prepare_schema(definition.schema()["properties"]["spec"])
    prepare_templates(tuple(sorted({definition.package for definition in REGISTRY.values()})))
    gc.collect()
    gc.freeze()


def parse_kube_version(text: str) -> tuple[int, int]:
    """``"1.33"`` or ``"v1.33.2"`` → ``(1, 33)``, within the supported range, else SpecError."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.\d+)?\Z", text.strip())
    version = (int(match[1]), int(match[2])) if match else None
    if version is None or not MIN_KUBE_VERSION <= version <= MAX_KUBE_VERSION:
        low = ".".join(map(str, MIN_KUBE_VERSION))
        high = ".".join(map(str, MAX_KUBE_VERSION))
        raise SpecError(
            [FieldError("--kube-version", text, "is not supported", f"use {low} to {high}")]
        )
    return version


def render(
    document: Any,
    existing: Existing = EMPTY,
    *,
    templates_dir: str | None = None,
    kube_version: str = DEFAULT_KUBE_VERSION,
    ingress_controller: str | None = None,
) -> list[Manifest]:
    """Every child manifest of one resource, in apply order."""
    return render_with_notes(
        document,
        existing,
        templates_dir=templates_dir,
        kube_version=kube_version,
        ingress_controller=ingress_controller,
    )[0]


def render_with_notes(
    document: Any,
    existing: Existing = EMPTY,
    *,
    templates_dir: str | None = None,
    kube_version: str = DEFAULT_KUBE_VERSION,
    ingress_controller: str | None = None,
) -> tuple[list[Manifest], list[str]]:
    """Like :func:`render`, plus notes for the user (e.g. generated Secrets left out)."""
    version = parse_kube_version(kube_version)
    definition, resource = validate(document, ingress_controller=ingress_controller)
    metadata = resource["metadata"]
    context = Resource(
        kind=definition.kind,
        name=metadata["name"],
        namespace=metadata.get("namespace"),
        spec=resource["spec"],
        metadata=metadata,
        existing=existing,
        templates_dir=templates_dir,
        kube_version=version,
        package=definition.package,
    )
    children = definition.render(context)
    if templates_dir:
        children += _added(definition, context, children, templates_dir)
    for child in children:
        _finalize(child, definition, metadata)
    clashes = collisions.within(children)
    if clashes:
        raise SpecError(clashes, _describe(resource))
    return order.in_order(children), context.notes


def _added(
    definition: KindDefinition, context: Resource, children: list[Manifest], templates_dir: str
) -> list[Manifest]:
    """The objects of the user's added templates for this kind (see ``rendering``): each sees
    the resource (``resource``: name, namespace, spec, labels(...)) and the kind's children."""
    added: list[Manifest] = []
    for template in added_templates(templates_dir, definition.package, definition.template_dir):
        obj = render_added(
            template, {"resource": context, "children": children}, templates_dir, definition.package
        )
        if obj is not None:
            added.append(obj)
    return added


def check_templates_dir(templates_dir: str) -> list[str]:
    """Files in a user's template directory that no kind would ever read (a directory named
    after no kind), each with what is accepted: such a file would otherwise be ignored."""
    kind_dirs = {definition.template_dir: kind for kind, definition in REGISTRY.items()}
    return [
        f"{templates_dir}/{name}: not in a directory of a kind; use one of"
        f" {', '.join(f'{d}/' for d in sorted(kind_dirs))}"
        for name in user_template_files(templates_dir)
        if name.split("/", 1)[0] not in kind_dirs or "/" not in name
    ]


def _finalize(child: Manifest, definition: KindDefinition, parent: Mapping[str, Any]) -> None:
    """Namespace and ownership, identical for every child of every kind."""
    meta = child.setdefault("metadata", {})
    if parent.get("namespace"):
        meta["namespace"] = parent["namespace"]
    uid = parent.get("uid")
    if uid:
        # Known only for a resource read from a cluster (the operator, or `kubectl get -o yaml`
        # piped to the CLI); offline renders of files have no owner to point at.
        meta.setdefault("labels", {})[labels.OWNER_UID] = uid
        meta["ownerReferences"] = [
            {
                "apiVersion": API,
                "kind": definition.kind,
                "name": parent["name"],
                "uid": uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]


def _describe(document: Any) -> str:
    if not isinstance(document, dict):
        return ""

    def text(value: Any) -> str | None:
        # Only strings are shown: str() of a 3,000-deep list would itself recurse too deep.
        return value if isinstance(value, str) else None

    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    name = text(metadata.get("name")) if isinstance(metadata, dict) else None
    namespace = text(metadata.get("namespace")) if isinstance(metadata, dict) else None
    where = f"{namespace}/{name or '?'}" if namespace else name or "?"
    return f"{text(document.get('kind')) or '?'} {where}"
