"""A picture of a system: Konfiguru resources, their children and the connections they declare.

Pure: resources and their rendered children in, Mermaid text or an SVG document out. Called by
``konfiguru graph``. A platform team reviews a system's shape faster than its YAML, so the
picture shows what the resources say about each other:

- ``connectTo`` of an App (to an App or a Database), ``connectFrom`` of a Database and
  ``allowFrom`` of an App, as arrows from caller to callee (one arrow per pair, its labels
  joined);
- an Ingress or HTTPRoute host as an arrow from "internet";
- a target that none of the given resources defines as a dashed node, so a typo or a missing
  file shows.

Each resource node lists its children (``Deployment web``). The SVG layout is deterministic:
callers left of callees (longest-path layers; a cycle is broken at its first edge in name order).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

JSON = dict[str, Any]
INTERNET = "internet"


@dataclass
class Node:
    """One box: a Konfiguru resource, a connection target nobody defines, or the internet."""

    id: str
    title: str
    lines: list[str] = field(default_factory=list)
    missing: bool = False


@dataclass
class Graph:
    """Nodes in a stable order and edges ``(source, target) -> labels``."""

    nodes: dict[str, Node]
    edges: dict[tuple[str, str], list[str]]


def _node_id(kind: str, namespace: str, name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{kind}_{namespace}_{name}")


def build(resources: Sequence[tuple[Mapping[str, Any], Sequence[JSON]]]) -> Graph:
    """The graph of resources (each with its rendered children, possibly none)."""
    nodes: dict[str, Node] = {}
    by_name: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (ns, name) -> [(kind, id)]
    for resource, children in resources:
        meta = resource.get("metadata") or {}
        kind, name = str(resource.get("kind", "?")), str(meta.get("name", "?"))
        namespace = str(meta.get("namespace") or "")
        node_id = _node_id(kind, namespace, name)
        where = f"{namespace}/{name}" if namespace else name
        nodes[node_id] = Node(
            node_id,
            f"{kind} {where}",
            [
                f"{child.get('kind')} {(child.get('metadata') or {}).get('name')}"
                for child in children
            ],
        )
        by_name.setdefault((namespace, name), []).append((kind, node_id))
    edges: dict[tuple[str, str], list[str]] = {}

    def target(namespace: str, name: str, kind: str | None) -> str:
        for found_kind, node_id in by_name.get((namespace, name), []):
            if kind is None or found_kind == kind:
                return node_id
        node_id = _node_id(kind or "Unknown", namespace, name)
        where = f"{namespace}/{name}" if namespace else name
        nodes.setdefault(
            node_id, Node(node_id, f"{kind or '?'} {where}", ["not in these sources"], True)
        )
        return node_id

    def edge(source: str, to: str, label: str) -> None:
        labels = edges.setdefault((source, to), [])
        if label not in labels:
            labels.append(label)

    for resource, children in resources:
        meta = resource.get("metadata") or {}
        spec = resource.get("spec") or {}
        kind, name = str(resource.get("kind")), str(meta.get("name"))
        namespace = str(meta.get("namespace") or "")
        me = _node_id(kind, namespace, name)
        for item in spec.get("connectTo") or []:
            to_kind = item.get("kind") or ("Database" if item.get("engine") else None)
            to = target(str(item.get("namespace") or namespace), str(item.get("name")), to_kind)
            edge(me, to, "connectTo")
        for item in spec.get("connectFrom") or []:
            source = target(str(item.get("namespace") or namespace), str(item.get("app")), "App")
            edge(source, me, "connectFrom")
        for item in spec.get("allowFrom") or []:
            source = target(str(item.get("namespace") or namespace), str(item.get("name")), "App")
            edge(source, me, "allowFrom")
        hosts = [
            str(rule.get("host"))
            for child in children
            if child.get("kind") == "Ingress"
            for rule in (child.get("spec") or {}).get("rules") or []
            if rule.get("host")
        ] + [
            str(host)
            for child in children
            if child.get("kind") == "HTTPRoute"
            for host in (child.get("spec") or {}).get("hostnames") or []
        ]
        for host in dict.fromkeys(hosts):
            nodes.setdefault(INTERNET, Node(INTERNET, "internet"))
            edge(INTERNET, me, host)
    ordered = dict(sorted(nodes.items(), key=lambda item: (item[0] != INTERNET, item[0])))
    # Sorted labels and edges: the same picture whatever order the files were given in.
    return Graph(ordered, {pair: sorted(labels) for pair, labels in sorted(edges.items())})


# ---- Mermaid ------------------------------------------------------------------------------------


def _mermaid_text(value: str) -> str:
    """Mermaid label text: entity codes for what would end the label or be read as markup."""
    return (
        value.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
    )


def mermaid(graph: Graph) -> str:
    """A Mermaid ``flowchart LR``: paste it into Markdown on GitHub or GitLab."""
    out = ["flowchart LR\n"]
    for node in graph.nodes.values():
        label = "<br/>".join(_mermaid_text(part) for part in [node.title, *node.lines])
        out.append(f'  {node.id}["{label}"]\n')
        if node.missing:
            out.append(f"  class {node.id} missing\n")
    for (source, to), labels in graph.edges.items():
        out.append(f'  {source} -->|"{_mermaid_text(", ".join(labels))}"| {to}\n')
    out.append("  classDef missing stroke-dasharray: 5 5\n")
    return "".join(out)


# ---- SVG ----------------------------------------------------------------------------------------

_CHAR_WIDTH = 7.2  # a 12px sans-serif character, roughly: boxes are sized to their text
_LINE = 16
_PAD = 10
_GAP_X = 120
_GAP_Y = 30


def _layers(graph: Graph) -> dict[str, int]:
    """Longest-path layer of every node, callers before callees; cycles broken deterministically."""
    outgoing: dict[str, list[str]] = {node: [] for node in graph.nodes}
    for source, to in graph.edges:
        if source != to:
            outgoing[source].append(to)
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(node: str) -> int:  # the longest path from node to a sink, edges into a cycle cut
        if node in layer:
            return layer[node]
        visiting.add(node)
        best = 0
        for to in sorted(outgoing[node]):
            if to not in visiting:
                best = max(best, depth(to) + 1)
        visiting.discard(node)
        layer[node] = best
        return best

    for node in graph.nodes:
        depth(node)
    top = max(layer.values(), default=0)
    return {node: top - value for node, value in layer.items()}


def svg(graph: Graph) -> str:
    """A standalone SVG picture of the graph (no script, no external references)."""
    layers = _layers(graph)
    columns: dict[int, list[Node]] = {}
    for node in graph.nodes.values():
        columns.setdefault(layers[node.id], []).append(node)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    x = float(_PAD)
    for column in sorted(columns):
        width = max(
            _CHAR_WIDTH * max(len(text) for text in [node.title, *node.lines]) + 2 * _PAD
            for node in columns[column]
        )
        y = float(_PAD)
        for node in columns[column]:
            height = _LINE * (1 + len(node.lines)) + 2 * _PAD
            boxes[node.id] = (x, y, width, height)
            y += height + _GAP_Y
        x += width + _GAP_X
    total_w = max((bx + bw for bx, _, bw, _ in boxes.values()), default=0) + _PAD
    total_h = max((by + bh for _, by, _, bh in boxes.values()), default=0) + _PAD
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}"'
        f' viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="sans-serif" font-size="12">\n',
        "<title>Konfiguru resources and their connections</title>\n",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
        ' markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/>'
        "</marker></defs>\n",
    ]
    for (source, to), labels in graph.edges.items():
        sx, sy, sw, sh = boxes[source]
        tx, ty, _tw, th = boxes[to]
        x1, y1 = sx + sw, sy + sh / 2
        x2, y2 = tx, ty + th / 2
        if tx <= sx:  # same column or backwards (a cycle): leave from the left side
            x1 = sx
        label = ", ".join(labels)
        out.append(
            f'<g class="edge"><line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"'
            ' stroke="#555" marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 4:.1f}" text-anchor="middle"'
            ' fill="#555" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f"{escape(label)}</text></g>\n"
        )
    for node in graph.nodes.values():
        bx, by, bw, bh = boxes[node.id]
        dash = ' stroke-dasharray="5 5"' if node.missing else ""
        fill = "#fff8e1" if node.missing else "#eef4ff"
        out.append(
            f'<g class="node" id={quoteattr(node.id)}><rect x="{bx:.1f}" y="{by:.1f}"'
            f' width="{bw:.1f}" height="{bh:.1f}" rx="6" fill="{fill}" stroke="#335"{dash}/>'
        )
        out.append(
            f'<text x="{bx + _PAD:.1f}" y="{by + _PAD + 12:.1f}" font-weight="bold">'
            f"{escape(node.title)}</text>"
        )
        for index, line in enumerate(node.lines, start=1):
            out.append(
                f'<text x="{bx + _PAD:.1f}" y="{by + _PAD + 12 + index * _LINE:.1f}">'
                f"{escape(line)}</text>"
            )
        out.append("</g>\n")
    out.append("</svg>\n")
    return "".join(out)
