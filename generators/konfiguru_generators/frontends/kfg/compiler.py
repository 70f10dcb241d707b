"""The ``.kfg`` syntax tree read against the CRD schemas: resources, positions, sugar, errors.

The grammar only knows blocks, keys and values; this module decides which keys exist, by walking
each kind's CRD ``spec`` schema alongside the tree. A key the schema does not declare is an error
at its ``file:line:column`` with a did-you-mean; every field written is recorded as
``field path → position`` so the pipeline's errors (which name field paths) point at the source.
Types, enums, bounds and the semantic checks are left to the one pipeline, so a rule never lives
in two places.

The human sugar, applied only where the schema says what the value must be and only to the
forms the canonical language never produces (so ``convert`` output always compiles back to the
same resource), each with a note to the user where the meaning is not obvious:

- Byte sizes: a bare ``100GB`` in a quantity field (int-or-string) becomes ``100G`` — decimal,
  10^9 bytes, as the SI unit means; ``100GiB`` becomes ``100Gi`` (2^30). KB/kB → k, MB → M,
  GB → G, TB → T, PB → P, EB → E; KiB..EiB drop the B. Quoted ``"100GB"`` is left alone (and
  rejected by validation with a did-you-mean).
- A bare number in a string field is its text: ``version: 17`` is ``"17"``, ``17.10`` is
  ``"17.10"``.
- A scalar where a block with a ``size`` field is expected is that size (``storage: 100GB`` →
  ``storage { size: 100G }``); a scalar where a block with a ``count`` field is expected is that
  count (``retention: 30`` → ``retention { count: 30 }``); a string where a block with an
  ``http { path }`` is expected is that HTTP path (``readiness: "/health"`` → an HTTP probe on
  ``/health``; ``preStop: "/drain"`` likewise).
- A list keyed by one field (``x-kubernetes-list-map-keys``: ``jobs``, ``schedules``,
  ``secrets``, ``ports``, ``config.files``, ``generate``) may be written as named blocks:
  ``jobs { migrate { command: [...] } }`` is ``jobs: [{name: migrate, command: [...]}]``.
- Resource names with ``_`` (``cronjob daily_report``) become ``daily-report``: Kubernetes
  names allow only ``-``.
- Database ``type`` is ``engine`` (the design documents' word).

Called by ``frontends/kfg/__init__.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import did_you_mean
from ...kinds import REGISTRY
from ...resources import API_GROUP, API_VERSION
from ...schema import child_path
from .. import FrontEndError, Located, Position, SourceDocument
from .keywords import ALIASES, ENVIRONMENT_BLOCK, NAMESPACE_DIRECTIVE, Keyword, keywords
from .syntax import (
    Block,
    Directive,
    Entry,
    Environment,
    File,
    ListNode,
    Mapping,
    Node,
    Scalar,
)

Schema = AnyMapping[str, Any]

# Byte units people write, and the Kubernetes quantity suffix each one means.
_BYTE_UNITS = {
    "KB": "k", "kB": "k", "MB": "M", "GB": "G", "TB": "T", "PB": "P", "EB": "E",
    "KiB": "Ki", "MiB": "Mi", "GiB": "Gi", "TiB": "Ti", "PiB": "Pi", "EiB": "Ei",
}  # fmt: skip
# What each suffix multiplies by, and its decimal/binary counterpart (for the note).
_POWERS = {
    "k": "10^3", "M": "10^6", "G": "10^9", "T": "10^12", "P": "10^15", "E": "10^18",
    "Ki": "2^10", "Mi": "2^20", "Gi": "2^30", "Ti": "2^40", "Pi": "2^50", "Ei": "2^60",
}  # fmt: skip
_COUNTERPART = {"k": "Ki", "M": "Mi", "G": "Gi", "T": "Ti", "P": "Pi", "E": "Ei"}
_COUNTERPART.update({binary: decimal for decimal, binary in list(_COUNTERPART.items())})
_BYTE_SIZE = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<unit>[kKMGTPE]i?B)\Z")
# Scalar shorthands for blocks: the field a lone scalar fills, when the block declares it.
SHORTHAND_FIELDS = ("size", "count")
# The resource's own metadata, written as `metadata { ... }` inside a block.
METADATA_FIELDS = ("labels", "annotations")
API = f"{API_GROUP}/{API_VERSION}"
# Where a node without a source position (built by convert, never compiled from text) "is".
_NOWHERE = Position("?", 0, 0)


@dataclass
class _Compilation:
    """What compiling one block collects: positions by field path, notes, problems."""

    positions: dict[str, Position] = field(default_factory=dict)
    notes: list[Located] = field(default_factory=list)
    problems: list[Located] = field(default_factory=list)
    keyword: str = "this block"

    def problem(self, position: Position | None, message: str, hint: str = "") -> None:
        self.problems.append(Located(position or _NOWHERE, message, hint))


def spec_schema(kind: str) -> Schema:
    schema: Schema = REGISTRY[kind].schema()["properties"]["spec"]
    return schema


def compile_file(tree: File, source: str) -> list[SourceDocument]:
    """Every resource of one file, then the patches of its ``env`` blocks (``environment`` set),
    or a FrontEndError listing every problem in it."""
    documents: list[SourceDocument] = []
    problems: list[Located] = []
    namespace: str | None = None
    table = keywords()
    for statement in tree.statements:
        if isinstance(statement, Directive):
            if statement.word != NAMESPACE_DIRECTIVE:
                problems.append(_unknown_word(statement.word, statement.word_position, table))
            else:
                namespace = statement.name or None
            continue
        blocks = statement.blocks if isinstance(statement, Environment) else [statement]
        environment = statement.name if isinstance(statement, Environment) else None
        if isinstance(statement, Environment) and statement.word != ENVIRONMENT_BLOCK:
            problems.append(
                Located(
                    statement.keyword_position or _NOWHERE,
                    f'"{statement.word} {statement.name}" holds blocks; only'
                    f" {ENVIRONMENT_BLOCK} blocks do",
                    f"{ENVIRONMENT_BLOCK} <name> {{ <blocks> }} patches resources per"
                    ' environment; fields are written "key: value" or "key { ... }"',
                )
            )
            continue
        for block in blocks:
            document = _document(block, table, namespace, environment, source, problems)
            if document is not None:
                documents.append(document)
    _check_unique(documents, problems)
    if problems:
        raise FrontEndError(problems)
    return documents


def _document(
    block: Block,
    table: AnyMapping[str, Keyword],
    namespace: str | None,
    environment: str | None,
    source: str,
    problems: list[Located],
) -> SourceDocument | None:
    """One block compiled: a resource, or (inside ``env``) a patch of one, without apiVersion
    and without the checks for required fields, since it holds only what differs."""
    keyword = table.get(block.keyword)
    if keyword is None:
        problems.append(_unknown_word(block.keyword, block.keyword_position, table))
        return None
    compilation = _Compilation(keyword=keyword.word)
    body = _resource(block, keyword, namespace, compilation, partial=environment is not None)
    problems.extend(compilation.problems)
    if compilation.problems:
        return None
    if environment is not None:
        del body["apiVersion"]
    where = block.keyword_position or Position(source, 1, 1)
    return SourceDocument(body, where, compilation.positions, tuple(compilation.notes), environment)


def _unknown_word(word: str, position: Position | None, table: AnyMapping[str, Keyword]) -> Located:
    accepted = [*table, NAMESPACE_DIRECTIVE, ENVIRONMENT_BLOCK]
    hint = did_you_mean(word, accepted)
    return Located(
        position or _NOWHERE,
        f'"{word}" is not a block keyword or directive',
        hint if hint.startswith("did you mean") else "accepted: " + ", ".join(accepted),
    )


def _check_unique(documents: list[SourceDocument], problems: list[Located]) -> None:
    seen: dict[tuple[str | None, str, str | None, str], Position] = {}
    for document in documents:
        metadata = document.body["metadata"]
        kind, name = document.body["kind"], metadata["name"]
        key = (document.environment, kind, metadata.get("namespace"), name)
        if key in seen:
            where = f" in env {document.environment}" if document.environment else ""
            problems.append(
                Located(
                    document.position,
                    f'{kind} "{name}" is written twice{where}',
                    f"first at line {seen[key].line}",
                )
            )
        seen.setdefault(key, document.position)


def _resource(
    block: Block,
    keyword: Keyword,
    namespace: str | None,
    compilation: _Compilation,
    partial: bool = False,
) -> dict[str, Any]:
    name = block.name
    if "_" in name:
        name = name.replace("_", "-")
        compilation.notes.append(
            Located(
                block.name_position or _NOWHERE,
                f'name "{block.name}" read as "{name}" (Kubernetes names use "-", not "_")',
            )
        )
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    compilation.positions["metadata.name"] = block.name_position or _NOWHERE
    compilation.positions["metadata"] = block.name_position or _NOWHERE
    compilation.positions["spec"] = block.keyword_position or _NOWHERE
    schema = spec_schema(keyword.kind)
    aliases = ALIASES.get(keyword.kind, {})
    entries: list[Entry] = []
    for entry in block.body.entries:
        if entry.key == "metadata":
            _metadata(entry, metadata, compilation)
        else:
            if entry.key in aliases and entry.key not in schema.get("properties", {}):
                entry = Entry(aliases[entry.key], entry.key_position, entry.value, entry.nested)
            entries.append(entry)
    spec = _mapping(Mapping(entries, block.body.position), schema, "spec", compilation)
    _apply_keyword(block, keyword, spec, compilation, partial)
    return {"apiVersion": API, "kind": keyword.kind, "metadata": metadata, "spec": spec}


def _apply_keyword(
    block: Block,
    keyword: Keyword,
    spec: dict[str, Any],
    compilation: _Compilation,
    partial: bool = False,
) -> None:
    for name, value in keyword.implies.items():
        if name in spec and spec[name] != value:
            compilation.problem(
                compilation.positions.get(f"spec.{name}"),
                f'{keyword.word} means {name}: {value}, not "{spec[name]}"',
                f"leave {name} out, or use another block keyword",
            )
        spec[name] = value
        # An implied field is "written" by the keyword: errors about it point there.
        compilation.positions.setdefault(f"spec.{name}", block.keyword_position or _NOWHERE)
    for name in () if partial else keyword.requires:
        if name not in spec:
            compilation.problem(
                block.keyword_position, f"a {keyword.word} needs {name}", f"add {name}: ..."
            )
    for name in keyword.forbids:
        if name in spec:
            others = [k.word for k in keywords().values() if k.kind == keyword.kind]
            compilation.problem(
                compilation.positions.get(f"spec.{name}"),
                f"a {keyword.word} has no {name}",
                f"use one of {', '.join(others)}",
            )


def _metadata(entry: Entry, metadata: dict[str, Any], compilation: _Compilation) -> None:
    if not isinstance(entry.value, Mapping):
        compilation.problem(entry.key_position, "metadata is a block", "metadata { labels {...} }")
        return
    compilation.positions["metadata"] = entry.key_position or _NOWHERE
    for item in entry.value.entries:
        if item.key not in METADATA_FIELDS:
            compilation.problem(
                item.key_position,
                f'"{item.key}" cannot be set in metadata',
                did_you_mean(item.key, METADATA_FIELDS)
                + " (the name and namespace come from the block and the namespace directive)",
            )
            continue
        path = f"metadata.{item.key}"
        metadata[item.key] = _plain(item.value, path, compilation)
        compilation.positions[path] = item.key_position or _NOWHERE


def _is_object(schema: Schema) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def _value(node: Node, schema: Schema | None, path: str, compilation: _Compilation) -> Any:
    """One value read against its schema (``None``: anything goes, no sugar)."""
    if schema is None:
        return _plain(node, path, compilation)
    if _is_object(schema):
        if isinstance(node, Mapping):
            return _mapping(node, schema, path, compilation)
        if isinstance(node, Scalar):
            return _scalar_for_block(node, schema, path, compilation)
    if schema.get("type") == "array":
        if isinstance(node, ListNode):
            items = schema.get("items")
            values = []
            for index, item in enumerate(node.items):
                if item.position:
                    compilation.positions[f"{path}[{index}]"] = item.position
                values.append(_value(item, items, f"{path}[{index}]", compilation))
            return values
        keys = schema.get("x-kubernetes-list-map-keys", ())
        if isinstance(node, Mapping) and len(keys) == 1:
            return _named_blocks(node, schema, keys[0], path, compilation)
    if isinstance(node, Scalar):
        return _scalar(node, schema, path, compilation)
    return _plain(node, path, compilation)


def _mapping(node: Mapping, schema: Schema, path: str, compilation: _Compilation) -> Any:
    properties: Schema = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    open_ended = schema.get("x-kubernetes-preserve-unknown-fields") or extra is True
    result: dict[str, Any] = {}
    first: dict[str, Position | None] = {}
    for entry in node.entries:
        sub_path = child_path(path, entry.key)
        if entry.key in first:
            where = first[entry.key]
            compilation.problem(
                entry.key_position,
                f'"{entry.key}" is written twice',
                f"first at line {where.line}" if where else "",
            )
            continue
        first[entry.key] = entry.key_position
        if entry.key_position:
            compilation.positions[sub_path] = entry.key_position
        if entry.key in properties:
            child: Schema | None = properties[entry.key]
        elif isinstance(extra, dict):
            child = extra
        elif open_ended:
            child = None
        else:
            block = path.removeprefix("spec").lstrip(".") or compilation.keyword
            compilation.problem(
                entry.key_position,
                f'"{entry.key}" is not a field of {block}',
                did_you_mean(entry.key, properties),
            )
            continue
        result[entry.key] = _value(entry.value, child, sub_path, compilation)
    return result


def _named_blocks(
    node: Mapping, schema: Schema, key: str, path: str, compilation: _Compilation
) -> list[Any]:
    items: list[Any] = []
    item_schema: Schema = schema.get("items", {})
    for index, entry in enumerate(node.entries):
        item_path = f"{path}[{index}]"
        if not isinstance(entry.value, Mapping):
            fields = ", ".join(item_schema.get("properties", {}))
            compilation.problem(
                entry.key_position,
                f'"{entry.key}" in {path.removeprefix("spec.")} must be a block: '
                f"{entry.key} {{ ... }}",
                f"its fields: {fields}",
            )
            continue
        if entry.key_position:
            compilation.positions[item_path] = entry.key_position
            compilation.positions[f"{item_path}.{key}"] = entry.key_position
        body = _mapping(entry.value, item_schema, item_path, compilation)
        if key in body and body[key] != entry.key:
            compilation.problem(
                compilation.positions.get(f"{item_path}.{key}"),
                f'{key} "{body[key]}" differs from the block name "{entry.key}"',
                f"leave {key} out of a named block",
            )
        items.append({key: entry.key, **{k: v for k, v in body.items() if k != key}})
    return items


def _scalar_for_block(node: Scalar, schema: Schema, path: str, compilation: _Compilation) -> Any:
    properties: Schema = schema.get("properties", {})
    http = properties.get("http", {}).get("properties", {})
    if isinstance(node.value, str) and "path" in http:
        compilation.positions[f"{path}.http.path"] = node.position or _NOWHERE
        return {"http": {"path": node.value}}
    for name in SHORTHAND_FIELDS:
        if name in properties and not isinstance(node.value, (bool, type(None))):
            sub_path = f"{path}.{name}"
            compilation.positions[sub_path] = node.position or _NOWHERE
            return {name: _value(node, properties[name], sub_path, compilation)}
    return node.value  # validation says what is expected, at this position


def _scalar(node: Scalar, schema: Schema, path: str, compilation: _Compilation) -> Any:
    if node.quoted:
        return node.value
    if schema.get("x-kubernetes-int-or-string") and isinstance(node.value, str):
        match = _BYTE_SIZE.match(node.value)
        if match and match["unit"] in _BYTE_UNITS:
            number, suffix = match["number"], _BYTE_UNITS[match["unit"]]
            other = _COUNTERPART[suffix]
            compilation.notes.append(
                Located(
                    node.position or _NOWHERE,
                    f"{path}: {node.value} read as the Kubernetes quantity {number}{suffix}"
                    f" ({number} x {_POWERS[suffix]} bytes); for {number} x {_POWERS[other]}"
                    f' bytes write {number}{other}; "{node.value}" in quotes is not converted',
                )
            )
            return number + suffix
    if schema.get("type") == "string" and isinstance(node.value, (int, float)):
        return node.text
    return node.value


def _plain(node: Node, path: str, compilation: _Compilation) -> Any:
    """A value with no schema below it (env values, config file content): as written."""
    if node.position:
        compilation.positions.setdefault(path, node.position)
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, ListNode):
        return [
            _plain(item, f"{path}[{index}]", compilation) for index, item in enumerate(node.items)
        ]
    result: dict[str, Any] = {}
    for entry in node.entries:
        sub_path = child_path(path, entry.key)
        if entry.key in result:
            compilation.problem(entry.key_position, f'"{entry.key}" is written twice')
            continue
        if entry.key_position:
            compilation.positions[sub_path] = entry.key_position
        result[entry.key] = _plain(entry.value, sub_path, compilation)
    return result
