"""Every shipped example (examples/**/*.kfg.yaml) reconciles to Ready through the operator.

One operator and one emulator for the lot (the examples are independent), so this stays quick
while covering every kind the registry has: App, Database, MLPipeline, DataPipeline.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from helpers import is_ready, is_stalled, storage_classes_for

from konfiguru_generators import Existing, render

ROOT = Path(__file__).resolve().parents[2]
PLURALS = {
    "App": "apps",
    "Database": "databases",
    "MLPipeline": "mlpipelines",
    "DataPipeline": "datapipelines",
}


def _examples() -> list[dict]:
    found = []
    for path in sorted((ROOT / "examples").rglob("*.kfg.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") in PLURALS:
                document["metadata"]["namespace"] = "default"
                found.append(document)
    return found


def test_every_example_becomes_ready(emulator, operator):
    examples = _examples()
    assert examples, "no examples found"
    storage_classes_for(emulator, *examples)  # efs, fast-ssd: those the examples are written for
    for document in examples:
        emulator.create(document)
    problems = []
    for document in examples:
        ref = f"{PLURALS[document['kind']]}.konfiguru.io"
        name = document["metadata"]["name"]
        obj = emulator.wait_for_object(
            ref, name, "default", lambda o: is_ready(o) or is_stalled(o), timeout=60
        )
        if not is_ready(obj):
            problems.append((document["kind"], name, obj["status"]["conditions"]))
    assert problems == []


# Fields only the server sets; what a user's `kubectl get -o yaml | konfiguru render` would drop.
_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "finalizers",
    "ownerReferences",
)


def _as_committed(parent: dict) -> dict:
    """The resource as read back from the server, as a user would render it offline."""
    meta = {k: v for k, v in parent["metadata"].items() if k not in _SERVER_METADATA}
    meta.pop("annotations", None)  # Kopf's bookkeeping only: the examples set none
    return {**{k: v for k, v in parent.items() if k != "status"}, "metadata": meta}


def _differences(rendered: Any, live: Any, path: str) -> list[str]:
    """Where ``live`` differs from ``rendered`` in a field ``rendered`` sets. Fields only the
    server adds (defaults, status) are not compared; a zero value the server dropped is equal."""
    if isinstance(rendered, dict) and isinstance(live, dict):
        found = []
        for key, value in rendered.items():
            if key not in live:
                if value not in (0, "", False, None, [], {}):
                    found.append(f"{path}.{key}: missing")
                continue
            found.extend(_differences(value, live[key], f"{path}.{key}"))
        return found
    if isinstance(rendered, list) and isinstance(live, list) and len(rendered) == len(live):
        return [
            d
            for i, (r, v) in enumerate(zip(rendered, live, strict=True))
            for d in _differences(r, v, f"{path}[{i}]")
        ]
    return [] if rendered == live else [f"{path}: rendered {rendered!r}, live {live!r}"]


def _secrets_of(emulator, uid: str) -> dict[str, dict[str, str]]:
    found = {}
    for secret in emulator.list("secrets", "default"):
        if any(ref["uid"] == uid for ref in secret["metadata"].get("ownerReferences") or []):
            data = secret.get("data") or {}
            found[secret["metadata"]["name"]] = {
                key: base64.b64decode(value).decode() for key, value in data.items()
            }
    return found


def test_the_operators_children_equal_konfiguru_render_of_the_resource_read_back(
    emulator, operator
):
    """Issue 8.2: what the operator applied is what `konfiguru render` prints for the resource
    as the server returns it (keys sorted, defaults applied), except what must differ: the
    ownerReference and the owner-uid label on each child's own metadata, and fields only the
    server sets. Never inside a template (the StatefulSets' volumeClaimTemplates)."""
    examples = _examples()
    storage_classes_for(emulator, *examples)
    for document in examples:
        emulator.create(document)
    problems = []
    for document in examples:
        ref = f"{PLURALS[document['kind']]}.konfiguru.io"
        parent = emulator.wait_for_object(
            ref, document["metadata"]["name"], "default", is_ready, timeout=60
        )
        uid = parent["metadata"]["uid"]
        existing = Existing(secrets=_secrets_of(emulator, uid))
        for child in render(_as_committed(parent), existing):
            meta = child["metadata"]
            live = emulator.get(child["kind"], meta["name"], "default")
            live_meta = live["metadata"]
            assert live_meta["ownerReferences"][0]["uid"] == uid
            assert live_meta["labels"].pop("konfiguru.io/owner-uid") == uid
            where = f"{child['kind']} {meta['name']}"
            problems += _differences(child, live, where)
            # Nothing the server or the operator adds to our labels.
            if live_meta["labels"] != meta.get("labels", {}):
                problems.append(f"{where}: labels {live_meta['labels']} != {meta.get('labels')}")
    assert problems == []
