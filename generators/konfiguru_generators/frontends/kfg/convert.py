"""Resources (the YAML form) to ``.kfg`` text: ``konfiguru convert``.

Builds the syntax tree a person would have written and prints it with the formatter's layout, so
``convert`` output is already formatted. It writes only canonical forms (never the human sugar),
and lists keyed by one field as named blocks, so compiling the output gives back the same
resources: the round trip YAML → .kfg → YAML is the identity (tests check every example and
generated specs). Resource kinds and spec fields are whatever the CRDs declare; the block keyword
is the most specific one for the resource (``keywords.keyword_for``).

Called by ``frontends/kfg/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping as AnyMapping
from collections.abc import Sequence
from typing import Any

from ...kinds import REGISTRY
from .compiler import API, METADATA_FIELDS, spec_schema
from .keywords import NAMESPACE_DIRECTIVE, keyword_for
from .printer import format_file
from .syntax import (
    Block,
    Directive,
    Entry,
    File,
    ListNode,
    Mapping,
    Node,
    Scalar,
    Statement,
    scalar_text,
)

Schema = AnyMapping[str, Any]


class ConvertError(ValueError):
    """A resource that has no ``.kfg`` form; the message names the resource and field."""


def convert(resources: Sequence[Any], header: Sequence[str] = ()) -> str:
    """``.kfg`` text for resources; ``header`` comment lines go first (without ``#``)."""
    statements: list[Statement] = []
    namespace: str | None = None
    for index, resource in enumerate(resources):
        where = f"document {index + 1}"
        if not isinstance(resource, dict):
            raise ConvertError(f"{where}: not a resource (a mapping with kind and metadata)")
        metadata = resource.get("metadata")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
            raise ConvertError(f"{where}: metadata.name is missing")
        where = f"{resource.get('kind')} {metadata['name']}"
        wanted = metadata.get("namespace") or None
        if wanted != namespace:
            statements.append(Directive(NAMESPACE_DIRECTIVE, None, wanted or "", None))
            namespace = wanted
        statements.append(_block(resource, metadata, where))
    tree = File(statements)
    text = format_file(tree)
    lines = [f"# {line}".rstrip() for line in header]
    return "\n".join([*lines, ""] if lines else []) + text


def _block(resource: dict[str, Any], metadata: dict[str, Any], where: str) -> Block:
    kind = resource.get("kind")
    if not isinstance(kind, str) or kind not in REGISTRY:
        raise ConvertError(f"{where}: kind {kind!r} is not a Konfiguru kind")
    if resource.get("apiVersion") != API:
        raise ConvertError(f"{where}: apiVersion {resource.get('apiVersion')!r}; expected {API}")
    unknown = sorted(set(resource) - {"apiVersion", "kind", "metadata", "spec"})
    if unknown:
        raise ConvertError(f"{where}: {', '.join(unknown)} cannot be written in .kfg")
    extra = sorted(set(metadata) - {"name", "namespace", *METADATA_FIELDS})
    if extra:
        raise ConvertError(
            f"{where}: metadata.{extra[0]} cannot be written in .kfg (only name, namespace,"
            " labels and annotations)"
        )
    spec = resource.get("spec", {})
    if not isinstance(spec, dict):
        raise ConvertError(f"{where}: spec is not a mapping")
    keyword = keyword_for(kind, spec)
    body = {name: value for name, value in spec.items() if keyword.implies.get(name) != value}
    entries = []
    meta = {name: metadata[name] for name in METADATA_FIELDS if name in metadata}
    if meta:
        entries.append(Entry("metadata", None, _node(meta, None, where), nested=True))
    entries.extend(_entries(body, spec_schema(kind), where))
    return Block(keyword.word, None, metadata["name"], None, Mapping(entries))


def _entries(values: dict[str, Any], schema: Schema | None, where: str) -> list[Entry]:
    properties: Schema = schema.get("properties", {}) if schema else {}
    extra = schema.get("additionalProperties") if schema else None
    entries = []
    for key, value in values.items():
        child = properties.get(key, extra if isinstance(extra, dict) else None)
        node = _node(value, child, f"{where}: {key}")
        entries.append(Entry(key, None, node, nested=isinstance(node, Mapping)))
    return entries


def _node(value: Any, schema: Schema | None, where: str) -> Node:
    if isinstance(value, dict):
        return Mapping(_entries(value, schema, where))
    if isinstance(value, list):
        named = _named_key(value, schema)
        if named is not None and schema is not None:
            items: Schema = schema.get("items", {})
            return Mapping(
                [
                    Entry(
                        item[named],
                        None,
                        Mapping(_entries(_without(item, named), items, where)),
                        nested=True,
                    )
                    for item in value
                ]
            )
        item_schema = schema.get("items") if schema else None
        return ListNode([_node(item, item_schema, where) for item in value])
    try:
        text = scalar_text(value)
        return Scalar(value, text, quoted=text.startswith('"'))
    except ValueError as error:
        raise ConvertError(f"{where}: {error}") from error


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name != key}


def _named_key(value: list[Any], schema: Schema | None) -> str | None:
    """The key field when a list can be written as named blocks (else None): a list keyed by
    one string field, every item a mapping with a distinct value for it."""
    if not schema or not value:
        return None
    keys = schema.get("x-kubernetes-list-map-keys", ())
    if len(keys) != 1:
        return None
    key = keys[0]
    names = [item.get(key) if isinstance(item, dict) else None for item in value]
    if all(isinstance(name, str) for name in names) and len(set(names)) == len(names):
        return str(key)
    return None
