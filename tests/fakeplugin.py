"""Tiny plugin distributions made by tests: a package and a ``*.dist-info`` with one
``konfiguru.kinds`` entry point, in a directory that is then put on ``sys.path`` (in process) or
``PYTHONPATH`` (a subprocess: the CLI, the operator). Exactly how an installed plugin is found.

``broken(root, how)`` makes one of the ways a plugin can be unusable; ``gadget(root)`` a working
one-kind plugin (``Gadget``: one ConfigMap) whose CRD and templates can then be spoiled.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from emulator.samples import crd

GADGET_CRD = crd(
    "konfiguru.io",
    "v1alpha1",
    {"kind": "Gadget", "listKind": "GadgetList", "plural": "gadgets", "singular": "gadget"},
    {
        "type": "object",
        "properties": {"colour": {"type": "string", "default": "blue", "maxLength": 20}},
    },
)

GADGET_SOURCE = """
from konfiguru_generators.kinds.base import KindDefinition
from konfiguru_generators.plugins import Plugin


def render(resource):
    return [resource.template("gadget/configmap.yaml.j2")]


PLUGIN = Plugin(
    name="{name}",
    version="1.0.0",
    konfiguru="{konfiguru}",
    kinds=(KindDefinition("{kind}", "{plural}", "gadget.yaml", lambda spec, name: [], render,
                          package=__name__),),
)
"""

GADGET_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ resource.name | tojson }}
data:
  colour: {{ resource.spec.colour | tojson }}
"""


def make(root: Path, name: str, source: str, files: dict[str, str] | None = None) -> Path:
    """A distribution ``name`` 0.1.0 with the entry point ``name = <module>:PLUGIN``; returns
    ``root`` (put it on the path)."""
    module = name.replace("-", "_")
    package = root / module
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(source), "utf-8")
    for relative, text in (files or {}).items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    info = root / f"{module}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[konfiguru.kinds]\n{name} = {module}:PLUGIN\n")
    return root


def gadget(
    root: Path,
    name: str = "gadget",
    *,
    kind: str = "Gadget",
    konfiguru: str = ">=0.1",
    crd: dict | None = None,
) -> Path:
    """A working plugin adding ``kind`` (unless ``crd`` or ``konfiguru`` spoil it)."""
    plural = kind.lower() + "s"
    document = crd or GADGET_CRD
    if crd is None and kind != "Gadget":
        document = yaml.safe_load(
            yaml.safe_dump(GADGET_CRD).replace("Gadget", kind).replace("gadget", kind.lower())
        )
    return make(
        root,
        name,
        GADGET_SOURCE.format(name=name, konfiguru=konfiguru, kind=kind, plural=plural),
        {
            "crds/gadget.yaml": yaml.safe_dump(document),
            "templates/gadget/configmap.yaml.j2": GADGET_TEMPLATE,
        },
    )


def bad_crd() -> dict:
    """GADGET_CRD with a default its own CEL rule refuses (a real API server refuses the CRD)."""
    crd = yaml.safe_load(yaml.safe_dump(GADGET_CRD))
    colour = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]["colour"]
    colour["x-kubernetes-validations"] = [{"rule": "self != 'blue'", "message": "not blue"}]
    return crd


# name → (how to make it, words its error must contain)
BROKEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "import-error": ("import", ("cannot load", "ImportError", "gpiozero")),
    "not-a-plugin": ("type", ("is a dict", "not a konfiguru_generators.plugins.Plugin")),
    "incompatible": ("version", ("needs Konfiguru >=9.0", "this is Konfiguru")),
    "clash": ("clash", ("kind App is already registered",)),
    "bad-crd": ("crd", ("crds/gadget.yaml", "would be refused by the API server", "not blue")),
}


def broken(root: Path, how: str) -> Path:
    """One broken plugin named ``how`` (a key of :data:`BROKEN`) in ``root``."""
    kind = BROKEN[how][0]
    if kind == "import":
        return make(root, how, "raise ImportError(\"No module named 'gpiozero'\")\n")
    if kind == "type":
        return make(root, how, "PLUGIN = {'name': 'not-a-plugin'}\n")
    if kind == "version":
        return gadget(root, how, kind="Widget", konfiguru=">=9.0")
    if kind == "clash":
        return gadget(root, how, kind="App")
    return gadget(root, how, crd=bad_crd())
