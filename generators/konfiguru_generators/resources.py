"""Package data: the CRDs (``crds/`` at the repository root, shipped inside the package, and
each plugin's ``crds/``), the IANA time zone names of the ``tzdata`` package, and the installed
plugins' entry points.

The only module of the generators that reads files, and it reads only files and metadata shipped
with installed packages. Called by ``pipeline.py`` (schemas for defaulting and checks), the CLI
(``konfiguru crds``), ``apichecks.py`` (time zones), the ``.kfg`` front end (its grammar file) and
``plugins.py`` (entry points, the installed Konfiguru version).
"""

from __future__ import annotations

from functools import cache
from importlib import metadata, resources
from typing import Any

import yaml

API_GROUP = "konfiguru.io"
API_VERSION = "v1alpha1"
PACKAGE = "konfiguru_generators"
# The entry point group plugins register their kinds in (see ``plugins.py``).
PLUGIN_GROUP = "konfiguru.kinds"


@cache
def crd_text(filename: str, package: str = PACKAGE) -> str:
    """``crds/<filename>`` of ``package`` (ours, or a plugin's)."""
    return (resources.files(package) / "crds" / filename).read_text("utf-8")


@cache
def package_text(path: str) -> str:
    """A text file shipped inside the package (the ``.kfg`` grammar), by its path in it."""
    return (resources.files("konfiguru_generators") / path).read_text("utf-8")


@cache
def crd(filename: str, package: str = PACKAGE) -> dict[str, Any]:
    document = yaml.safe_load(crd_text(filename, package))
    if not isinstance(document, dict):  # plugins.py checks a plugin's CRD before it is used
        raise ValueError(f"{package}: crds/{filename} is not one CustomResourceDefinition")
    return document


@cache
def version_schema(
    filename: str, version: str = API_VERSION, package: str = PACKAGE
) -> dict[str, Any]:
    """The ``openAPIV3Schema`` of one served version of a CRD."""
    for served in crd(filename, package)["spec"]["versions"]:
        if served["name"] == version:
            schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
            return schema
    raise KeyError(f"{package}: crds/{filename} has no version {version}")


def plugin_entry_points() -> list[metadata.EntryPoint]:
    """Every installed entry point of :data:`PLUGIN_GROUP`, sorted by name (a stable order)."""
    return sorted(metadata.entry_points(group=PLUGIN_GROUP), key=lambda ep: (ep.name, ep.value))


def konfiguru_version() -> str:
    """The installed Konfiguru's version (what plugins declare compatibility with)."""
    try:
        return metadata.version("konfiguru")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        return "0.0.0"


@cache
def time_zone_names() -> frozenset[str]:
    """Every zone name of the IANA database in the ``tzdata`` package (a dependency), so a time
    zone is judged the same on every machine, whatever the host has in /usr/share/zoneinfo."""
    text = (resources.files("tzdata") / "zones").read_text("utf-8")
    return frozenset(text.split())
