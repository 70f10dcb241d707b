"""Every shipped example (examples/**/*.kfg.yaml) reconciles to Ready through the operator.

One operator and one emulator for the lot (the examples are independent), so this stays quick
while covering every kind the registry has: App, Database, MLPipeline, DataPipeline.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from helpers import is_ready, is_stalled

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
