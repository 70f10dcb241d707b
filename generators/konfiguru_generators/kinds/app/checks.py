"""App checks the CRD schema cannot express (quantities, names that must agree, ...).

Runs after the CRD defaults are applied and the schema checks passed. Called by ``pipeline.py``
through the kind registry.
"""

from __future__ import annotations

from typing import Any

from ...errors import FieldError


def check(spec: dict[str, Any], name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    return errors
