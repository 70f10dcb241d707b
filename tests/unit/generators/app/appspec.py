"""Helpers for the App generator tests: build an App from a spec, render it, pick objects."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from konfiguru_generators import Existing, SpecError, render_with_notes

API = "konfiguru.io/v1alpha1"


def app(spec: dict[str, Any], name: str = "web", namespace: str | None = "shop") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": API, "kind": "App", "metadata": metadata, "spec": copy.deepcopy(spec)}


def render(
    spec: dict[str, Any], existing: Existing | None = None, **kw: Any
) -> list[dict[str, Any]]:
    return render_notes(spec, existing, **kw)[0]


def render_notes(
    spec: dict[str, Any], existing: Existing | None = None, **kw: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    return render_with_notes(
        app({"image": "ghcr.io/acme/web:1.0.0", **spec}, **kw), existing or Existing()
    )


def kinds(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["kind"] for obj in objects]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [obj for obj in objects if obj["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {kinds(objects)}"
    return found[0]


def pod_spec(objects: list[dict[str, Any]], kind: str = "Deployment") -> dict[str, Any]:
    spec: dict[str, Any] = one(objects, kind)["spec"]["template"]["spec"]
    return spec


def container(objects: list[dict[str, Any]], kind: str = "Deployment") -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec(objects, kind)["containers"]
    return containers[0]


def env(objects: list[dict[str, Any]], kind: str = "Deployment") -> dict[str, Any]:
    """Container env as {name: value or valueFrom}."""
    return {
        e["name"]: e.get("value", e.get("valueFrom"))
        for e in container(objects, kind).get("env", [])
    }


def errors(spec: dict[str, Any], **kw: Any) -> list[str]:
    """The messages of the SpecError a spec raises (fails if it renders)."""
    with pytest.raises(SpecError) as caught:
        render(spec, **kw)
    return [str(error) for error in caught.value.errors]
