"""Writes ``_fields.py``: one typed builder method per top-level spec field of every kind's CRD.

The DSL cannot drift from the CRDs because its per-field methods are generated from them: each
field ``fooBar`` of a kind's ``spec`` becomes ``foo_bar(value)`` on that kind's field mixin, with
the field's type as the parameter type (an enum as a ``Literal``), its CRD description and default
as the docstring. The hand-written builders (``apps.py``, ``kinds.py``) add the design documents'
methods on top. ``tests/unit/test_dsl.py`` checks that ``_fields.py`` is what this module writes
(``pytest --update-golden`` rewrites it) and that every CRD field, nested ones included, is
reachable from the DSL.

Called by that test only.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from konfiguru_generators.kinds import BUILTIN

_HEADER = '''"""Per-field builder methods, generated from the CRD schemas by ``codegen.py``.

Do not edit: ``pytest tests/unit/test_dsl.py --update-golden`` rewrites this file from the CRDs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from ._base import Builder
'''


def snake(name: str) -> str:
    """``targetCPU`` -> ``target_cpu``, ``imagePullPolicy`` -> ``image_pull_policy``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()


def annotation(schema: dict[str, Any]) -> str:
    """The Python type of a value the schema accepts."""
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
    if schema.get("x-kubernetes-int-or-string"):
        return "int | str"
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        inner = "Mapping[str, Any]" if items.get("type") == "object" else annotation(items)
        return f"Sequence[{inner}]"
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if kind in simple:
        return simple[kind]
    if kind == "object" or "properties" in schema:
        return "Mapping[str, Any]"
    return "Any"


def _doc(field: str, schema: dict[str, Any]) -> str:
    description = " ".join((schema.get("description") or f"spec.{field}").split())
    if "default" in schema:
        default = f"Default: ``{json.dumps(schema['default'])}``."
    elif "default" in description.lower() or "required" in description.lower():
        default = ""  # the description says it
    else:
        default = "Default: not set."
    text = f"``spec.{field}``: {description} {default}".rstrip()
    return textwrap.fill(text, 88, initial_indent="", subsequent_indent="        ")


def class_name(kind: str) -> str:
    return f"{kind}Fields"


def module_text() -> str:
    """The text of ``_fields.py``."""
    parts = [_HEADER]
    # The built-in kinds: the generated module ships with Konfiguru, whatever plugins are installed.
    for kind, definition in BUILTIN.items():
        spec = definition.schema()["properties"]["spec"]
        parts.append(
            f"\n\nclass {class_name(kind)}(Builder):\n"
            f'    """Every field of the {kind} spec, one method each (``{kind}`` in the CRDs)."""\n'
            f"\n    KIND = {json.dumps(kind)}\n"
        )
        for field, schema in spec.get("properties", {}).items():
            parts.append(
                f"\n    def {snake(field)}(self, value: {annotation(schema)}) -> Self:\n"
                f'        """{_doc(field, schema)}"""\n'
                f"        return self._put({json.dumps(field)}, value)\n"
            )
    return "".join(parts)


__all__ = ["annotation", "class_name", "module_text", "snake"]
