"""The App kind: a web service, worker or node agent with its jobs and schedules."""

from __future__ import annotations

from ..base import KindDefinition
from .checks import check
from .render import render

DEFINITION = KindDefinition(
    kind="App", plural="apps", crd_file="app.yaml", check=check, render=render
)
