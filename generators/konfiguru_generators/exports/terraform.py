"""Terraform: one ``kubernetes_manifest`` resource per rendered child (the hashicorp/kubernetes
provider), in HCL laid out as ``terraform fmt`` lays it out.

``main.tf`` holds the base; ``envs/<env>/main.tf`` each environment's complete configuration
(run ``terraform -chdir=envs/prod apply``). Each child's ``depends_on`` names the children of the
same resource one step earlier in the apply order (``order.py``: identities and Secrets, then
storage, Services, workloads, autoscalers and Ingresses), so Terraform applies in the order the
operator and ``kubectl apply`` of the render use.

Strings are HCL template literals: ``\\``, ``"``, control characters are escaped, and ``${`` /
``%{`` are written ``$${`` / ``%%{`` so nothing a user typed is interpolated. Numbers, booleans
and null stay typed. Object keys that are not HCL identifiers are quoted. Layout: two spaces per
level; a run of one-line attributes has its ``=`` aligned, a multi-line value ends the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .. import order
from .bundle import JSON, Bundle, Rendered

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
PROVIDER = """terraform {
  required_providers {
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}
"""


def string(value: str) -> str:
    """An HCL quoted template that evaluates to exactly ``value``."""
    out: list[str] = []
    for index, char in enumerate(value):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        elif char in "$%" and value[index + 1 : index + 2] == "{":
            out.append(char * 2)
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else string(key)


def expression(value: Any, indent: int) -> str:
    """``value`` as an HCL expression starting at the current column, nested at ``indent``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return string(value)
    pad = "  " * (indent + 1)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{\n" + _attributes(value, indent + 1) + "  " * indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{pad}{expression(item, indent + 1)},\n" for item in value)
        return "[\n" + items + "  " * indent + "]"
    raise TypeError(f"no HCL form for {type(value).__name__}")


def _attributes(values: Mapping[str, Any], indent: int) -> str:
    """``key = value`` lines, ``=`` aligned within each run of one-line values."""
    pad = "  " * indent
    rendered = [(_key(str(k)), expression(v, indent)) for k, v in values.items()]
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        lines.extend(f"{pad}{k.ljust(width)} = {v}\n" for k, v in run)
        run.clear()

    for key, text in rendered:
        if "\n" in text:
            flush()
            lines.append(f"{pad}{key} = {text}\n")
        else:
            run.append((key, text))
    flush()
    return "".join(lines)


def _name(obj: Mapping[str, Any], taken: set[str]) -> str:
    meta = obj.get("metadata") or {}
    parts = [str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name"))]
    base = re.sub(r"[^a-z0-9_]", "_", "_".join(p for p in parts if p).lower())
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def configuration(rendered: Sequence[Rendered]) -> str:
    blocks = [PROVIDER]
    taken: set[str] = set()
    for item in rendered:
        names = [(_name(child, taken), child) for child in item.children]
        previous: list[str] = []
        current: list[str] = []
        rank = None
        for name, child in sorted(names, key=lambda pair: order.sort_key(pair[1])):
            child_rank = order.sort_key(child)[0]
            if child_rank != rank:
                previous, current, rank = current or previous, [], child_rank
            body: JSON = {"manifest": child}
            text = _attributes(body, 1)
            if previous:
                refs = ", ".join(f"kubernetes_manifest.{ref}" for ref in previous)
                text += f"\n  depends_on = [{refs}]\n"
            blocks.append(f'resource "kubernetes_manifest" "{name}" {{\n{text}}}\n')
            current.append(name)
    return "\n".join(blocks)


def export(bundle: Bundle) -> dict[str, str]:
    files = {"main.tf": configuration(bundle.base)}
    for env, rendered in sorted(bundle.environments.items()):
        files[f"envs/{env}/main.tf"] = configuration(rendered)
    return files
