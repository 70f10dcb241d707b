"""The ``.kfg`` block keywords: which kind each one writes, and what it says about the spec.

The design documents name resources by what they are (``service``, ``worker``, ``cronjob``,
``database``...), while the CRDs have four kinds. A keyword picks the kind and may imply spec
fields (``daemon`` is an App with ``workload: DaemonSet``). Every registered kind is also a
keyword under its lower-case name (``app``, ``mlpipeline``), so kinds added by plugins can be
written in ``.kfg`` the day they are registered.

Called by ``compiler.py`` (keyword → kind) and ``convert.py`` (resource → keyword).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...kinds import REGISTRY


@dataclass(frozen=True)
class Keyword:
    """A block keyword: its kind, the spec fields it implies, the fields it needs or forbids."""

    word: str
    kind: str
    implies: Mapping[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    forbids: tuple[str, ...] = ()
    meaning: str = ""


_NAMED = (
    Keyword("service", "App", meaning="a web App: a Deployment behind a Service"),
    Keyword("worker", "App", meaning="an App without a port: a Deployment, no Service"),
    Keyword(
        "daemon", "App", {"workload": "DaemonSet"}, meaning="an App on every node (a DaemonSet)"
    ),
    Keyword(
        "job",
        "DataPipeline",
        {"engine": "container"},
        forbids=("schedule",),
        meaning="a container run once (a DataPipeline with engine: container)",
    ),
    Keyword(
        "cronjob",
        "DataPipeline",
        {"engine": "container"},
        requires=("schedule",),
        meaning="a container run on a schedule (a DataPipeline with engine: container)",
    ),
    Keyword("database", "Database", meaning="a Database"),
    Keyword("training", "MLPipeline", meaning="an MLPipeline"),
    Keyword("pipeline", "MLPipeline", meaning="an MLPipeline (same as training)"),
    Keyword("datapipeline", "DataPipeline", meaning="a DataPipeline (Spark or a container)"),
)


def keywords() -> dict[str, Keyword]:
    """Every block keyword, the named ones first, then each registered kind in lower case."""
    table = {keyword.word: keyword for keyword in _NAMED if keyword.kind in REGISTRY}
    for kind in REGISTRY:
        table.setdefault(kind.lower(), Keyword(kind.lower(), kind, meaning=f"a {kind}"))
    return table


# Names the design documents use for a field the CRD names otherwise, per kind (top level).
ALIASES: dict[str, dict[str, str]] = {"Database": {"type": "engine"}}

# The keyword `convert` writes for a resource, and the spec fields that keyword implies.
NAMESPACE_DIRECTIVE = "namespace"
# `env prod { <blocks> }`: the patches of one environment.
ENVIRONMENT_BLOCK = "env"


def keyword_for(kind: str, spec: Mapping[str, Any]) -> Keyword:
    """The most specific keyword for a resource: the one that reads best and implies most."""
    table = keywords()
    if kind == "App":
        if spec.get("workload") == "DaemonSet":
            return table["daemon"]
        return table["service" if "port" in spec or "ports" in spec else "worker"]
    if kind == "DataPipeline" and spec.get("engine") == "container":
        return table["cronjob" if "schedule" in spec else "job"]
    if kind == "DataPipeline":
        return table["datapipeline"]
    if kind == "MLPipeline":
        return table["training"]
    return table[kind.lower()]
