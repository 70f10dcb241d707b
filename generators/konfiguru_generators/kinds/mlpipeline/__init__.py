"""The MLPipeline kind: training (single or distributed), retraining schedule, model, inference."""

from __future__ import annotations

from ..base import KindDefinition
from .checks import check
from .render import render

DEFINITION = KindDefinition(
    kind="MLPipeline", plural="mlpipelines", crd_file="mlpipeline.yaml", check=check, render=render
)
