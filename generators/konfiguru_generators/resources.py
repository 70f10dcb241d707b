"""Package data: the CRDs (``crds/`` at the repository root, shipped inside the package), and the
IANA time zone names of the ``tzdata`` package.

The only module of the generators that reads files, and it reads only files shipped with
installed packages. Called by ``pipeline.py`` (schemas for defaulting and checks), the CLI
(``konfiguru crds``), ``apichecks.py`` (time zones) and the ``.kfg`` front end (its grammar file).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

API_GROUP = "konfiguru.io"
API_VERSION = "v1alpha1"


@cache
def crd_text(filename: str) -> str:
    return (resources.files("konfiguru_generators") / "crds" / filename).read_text("utf-8")


@cache
def package_text(path: str) -> str:
    """A text file shipped inside the package (the ``.kfg`` grammar), by its path in it."""
    return (resources.files("konfiguru_generators") / path).read_text("utf-8")


@cache
def crd(filename: str) -> dict[str, Any]:
    document = yaml.safe_load(crd_text(filename))
    if not isinstance(document, dict):  # pragma: no cover - guarded by the CRD tests
        raise ValueError(f"crds/{filename} is not one CustomResourceDefinition")
    return document


@cache
def version_schema(filename: str, version: str = API_VERSION) -> dict[str, Any]:
    """The ``openAPIV3Schema`` of one served version of a CRD."""
    for served in crd(filename)["spec"]["versions"]:
        if served["name"] == version:
            schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
            return schema
    raise KeyError(f"crds/{filename} has no version {version}")


@cache
def time_zone_names() -> frozenset[str]:
    """Every zone name of the IANA database in the ``tzdata`` package (a dependency), so a time
    zone is judged the same on every machine, whatever the host has in /usr/share/zoneinfo."""
    text = (resources.files("tzdata") / "zones").read_text("utf-8")
    return frozenset(text.split())
