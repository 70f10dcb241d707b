"""Helm: a chart whose templates are the rendered children, with what varies between
environments lifted into values.

- ``templates/<namespace>/<kind>-<name>.yaml``: one per child of any environment, the rendered
  object as text. Every part that differs between the base and an environment (a leaf, or the
  smallest map or list holding the difference) is a ``{{ index .Values "objects" FILE POINTER |
  toJson }}`` slot (JSON is YAML, so a slot holds a string, a number, a list or a map exactly).
  A child that not every environment has is wrapped in ``{{- if index .Values "enabled" FILE }}``.
  Text the children carry that looks like a template action (``{{`` in a config file) is escaped.
- ``values.yaml``: the base's values, so ``helm template`` with defaults gives exactly
  ``konfiguru render``; ``values-<env>.yaml``: one per environment, so ``helm template -f
  values-<env>.yaml`` gives ``konfiguru render --env <env>`` (the tests check both with the real
  Helm engine). ``values.schema.json`` pins every key and its JSON types; ``NOTES.txt`` lists the
  objects.

Values are addressed by the child's file and a JSON pointer: exact and mechanical rather than
pretty (``objects["shop/deployment-web"]["/spec/template/spec/containers/0/image"]``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .. import collisions, yamltext
from .bundle import JSON, Bundle, Rendered
from .kustomize import json_patch

_SLOT = "__konfiguru_value_{}__"
_SLOT_RE = re.compile(r"'?(__konfiguru_value_(\d+)__)'?")
_OPTIONAL = "__konfiguru_optional_{}__"
_OPTIONAL_RE = re.compile(r"(?m)^( *)(__konfiguru_optional_(\d+)__): 0$")


def _children(rendered: Sequence[Rendered]) -> dict[tuple[str, str, str, str], JSON]:
    return {collisions.identity(c): c for item in rendered for c in item.children}


def _get(obj: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


def _set(obj: Any, pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    for part in parts[:-1]:
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    if isinstance(obj, list):
        obj[int(parts[-1])] = value
    else:
        obj[parts[-1]] = value


def _present(obj: Any, pointer: str) -> bool:
    try:
        _get(obj, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return True


def _lifted(states: Sequence[JSON]) -> tuple[list[str], list[str]]:
    """The JSON pointers to lift so that every state is the template with other values, and
    which of them are keys only some states have (outermost differences only). A key that is
    added or removed is optional; where it is its map's only key, the map is lifted instead."""
    found: dict[str, bool] = {}
    for other in states[1:]:
        for op in json_patch(states[0], other):
            path = str(op["path"])
            parent = path.rsplit("/", 1)[0]
            siblings = {
                key
                for state in states
                if _present(state, parent) and isinstance(_get(state, parent), Mapping)
                for key in _get(state, parent)
            }
            if op["op"] == "replace" or path == "":
                found.setdefault(path, False)
            elif len(siblings) > 1 and all(
                _present(state, parent) and isinstance(_get(state, parent), Mapping)
                for state in states
            ):
                found[path] = True
            else:
                found.setdefault(parent, False)
    kept: list[str] = []
    for path in sorted(found, key=len):
        if not any(path == k or path.startswith(k + "/") for k in kept):
            kept.append(path)
    return sorted(kept), sorted(p for p in kept if found[p])


def _template(
    obj: JSON, file: str, pointers: Sequence[str], optional_keys: Sequence[str], optional: bool
) -> str:
    shaped = json.loads(json.dumps(obj))
    for index, pointer in enumerate(pointers):
        if pointer in optional_keys:
            parent, _, key = pointer.rpartition("/")
            holder = _get(shaped, parent)
            holder.pop(key.replace("~1", "/").replace("~0", "~"), None)
            holder[_OPTIONAL.format(index)] = 0  # last: never the first key of a list item
        else:
            _set(shaped, pointer, _SLOT.format(index))
    text = yamltext.dump_all([shaped]).replace("{{", '{{ "{{" }}')
    where = f'(index .Values "objects" {json.dumps(file)})'

    def value(index: int) -> str:
        return f"{{{{ index {where} {json.dumps(pointers[index])} | toJson }}}}"

    def slot(match: re.Match[str]) -> str:
        return value(int(match[2]))

    def optional_key(match: re.Match[str]) -> str:
        index = int(match[3])
        key = pointers[index].rpartition("/")[2].replace("~1", "/").replace("~0", "~")
        return (
            f"{{{{- if hasKey {where} {json.dumps(pointers[index])} }}}}\n"
            f"{match[1]}{json.dumps(key)}: {value(index)}\n{{{{- end }}}}"
        )

    text = _OPTIONAL_RE.sub(optional_key, _SLOT_RE.sub(slot, text))
    if optional:
        text = f'{{{{- if index .Values "enabled" {json.dumps(file)} }}}}\n{text}{{{{- end }}}}\n'
    return text


# JSON schema type names; bool before int (a bool is an int in Python).
_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (Mapping, "object"),
)


def _types(values: Sequence[Any]) -> list[str]:
    """The JSON schema types of ``values``, sorted."""
    return sorted(
        {next((name for kind, name in _JSON_TYPES if isinstance(v, kind)), "null") for v in values}
    )


def export(bundle: Bundle, name: str = "konfiguru") -> dict[str, str]:
    states = {"": _children(bundle.base)} | {
        env: _children(rendered) for env, rendered in sorted(bundle.environments.items())
    }
    keys = list(states[""])
    for children in states.values():
        keys.extend(key for key in children if key not in keys)
    union = [next(s[key] for s in states.values() if key in s) for key in keys]
    files = [f.removesuffix(".yaml") for f in collisions.file_names(union)]
    values: dict[str, JSON] = {env: {"objects": {}, "enabled": {}} for env in states}
    schema_objects: JSON = {}
    out: dict[str, str] = {}
    for key, file, first in zip(keys, files, union, strict=True):
        present = [s[key] for s in states.values() if key in s]
        pointers, optional_keys = _lifted(present)
        optional = len(present) != len(states)
        out[f"templates/{file}.yaml"] = _template(first, file, pointers, optional_keys, optional)
        slots: JSON = {}
        for pointer in pointers:
            seen = [_get(obj, pointer) for obj in present if _present(obj, pointer)]
            slots[pointer] = {"type": _types(seen) + (["null"] if pointer in optional_keys else [])}
        if pointers:
            schema_objects[file] = {
                "type": "object",
                "additionalProperties": False,
                "required": [p for p in pointers if p not in optional_keys],
                "properties": slots,
            }
        default = states[""].get(key, first)
        for env, children in states.items():
            obj = children.get(key, first)  # an absent child's slots keep the first values
            if optional:
                values[env]["enabled"][file] = key in children
            if pointers:
                # An environment's file is laid over values.yaml: null deletes a default key
                # (and only that: a null nothing deletes stays, and hasKey sees it).
                values[env]["objects"][file] = {
                    p: _get(obj, p) if _present(obj, p) else None
                    for p in pointers
                    if _present(obj, p) or (env and _present(default, p))
                }
    out["Chart.yaml"] = yamltext.dump(
        {
            "apiVersion": "v2",
            "name": name,
            "description": "Kubernetes objects rendered by Konfiguru (konfiguru export)",
            "type": "application",
            "version": "0.1.0",
        }
    )
    out["values.yaml"] = _values_text(values[""], "the base (konfiguru render)")
    for env in states:
        if env:
            out[f"values-{env}.yaml"] = _values_text(values[env], f"konfiguru render --env {env}")
    enabled_keys = sorted(values[""]["enabled"])
    out["values.schema.json"] = (
        json.dumps(
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "objects": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": schema_objects,
                    },
                    "enabled": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {k: {"type": "boolean"} for k in enabled_keys},
                    },
                },
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    listing = "".join(f"- {file}\n" for file in files)
    out["templates/NOTES.txt"] = f"Konfiguru objects of {{{{ .Release.Name }}}}:\n{listing}"
    return out


def _values_text(values: JSON, what: str) -> str:
    return f"# Values for {what}; generated by `konfiguru export --format helm`.\n" + (
        yamltext.dump(values)
    )
