"""Environments: one set of resources, patched per environment (dev, staging, prod).

The convention, read by the CLI (``--env NAME``): a source directory holds ``base/`` (complete
Konfiguru resources) and ``envs/<name>/`` (one directory per environment). Each document in an
environment's directory is merged into the base resource of the same ``kind``, ``metadata.name``
(and ``metadata.namespace`` when it gives one) with JSON merge-patch semantics (RFC 7386): a map
merges key by key, anything else (a list, a string) replaces, and ``null`` removes the field —
what Kustomize patches and Score overrides users expect. A document that matches no base
resource is a mistake (a misspelt name would otherwise be ignored) unless it is a complete
resource of its own, which says so by carrying ``apiVersion``: it exists in that environment only.

The ``.kfg`` language writes the same patches inline, as ``env <name> { <blocks> }`` (see
``frontends/kfg/kfg.lark``); they patch, they never add a resource, and a patched field's errors
point at the line of the env block that wrote it.

Pure: documents in, documents out. Called by ``cli.py`` before the pipeline, so nothing after the
waist knows that a resource came from an environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .frontends import SourceDocument

Identity = tuple[str, str | None, str]


class PatchError(ValueError):
    """A patch that cannot be applied; the message names the file and what would match."""


@dataclass(frozen=True)
class Source:
    """A document and where it came from (``file#index``), for error messages; ``origin`` when
    a front end other than YAML wrote it (field positions, see ``frontends``)."""

    where: str
    body: Any
    origin: SourceDocument | None = None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``patch`` applied to ``target`` (neither is changed)."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _identity(body: Any) -> Identity | None:
    if not isinstance(body, Mapping):
        return None
    meta = body.get("metadata")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("name"), str):
        return None
    namespace = meta.get("namespace")
    return (str(body.get("kind")), namespace if isinstance(namespace, str) else None, meta["name"])


def _matches(patch: Identity, base: Identity) -> bool:
    return patch[0] == base[0] and patch[2] == base[2] and patch[1] in (None, base[1])


def apply(base: Sequence[Source], patches: Sequence[Source], env: str) -> list[Source]:
    """The base resources with the environment's patches merged in, in base order, then the
    environment's own resources."""
    result = list(base)
    for patch in patches:
        wanted = _identity(patch.body)
        if wanted is None:
            raise PatchError(f"{patch.where}: an environment patch needs kind and metadata.name")
        hits = [
            index
            for index, source in enumerate(result)
            if (found := _identity(source.body)) is not None and _matches(wanted, found)
        ]
        if len(hits) > 1:
            raise PatchError(
                f"{patch.where}: {wanted[0]} {wanted[2]} matches {len(hits)} base resources;"
                " give metadata.namespace to say which"
            )
        if hits:
            index = hits[0]
            resource = result[index]
            merged = merge_patch(resource.body, patch.body)
            origin = resource.origin and resource.origin.patched(
                patch.origin or SourceDocument(patch.body, resource.origin.position), merged
            )
            result[index] = Source(f"{resource.where} (env {env}: {patch.where})", merged, origin)
            continue
        if isinstance(patch.body, Mapping) and patch.body.get("apiVersion"):
            result.append(patch)  # a complete resource of this environment only
            continue
        names = sorted(
            f"{found[0]} {found[2]}" for source in base if (found := _identity(source.body))
        )
        there = f"(there: {', '.join(names) or 'none'})"
        if patch.origin is not None:  # a .kfg env block: it patches, it never adds
            raise PatchError(
                f"{patch.where}: {wanted[0]} {wanted[2]} matches no resource written outside"
                f" env blocks {there}; an env block changes resources, it does not add them"
            )
        raise PatchError(
            f"{patch.where}: {wanted[0]} {wanted[2]} matches no resource in base/ {there};"
            " a resource of this environment only must be complete, with apiVersion"
        )
    return result
