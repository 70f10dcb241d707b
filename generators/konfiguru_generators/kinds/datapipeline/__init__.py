"""The DataPipeline kind: a Spark application (spark-submit as the driver) or a plain container,
run once or on a schedule, with its input and output described to the job."""

from __future__ import annotations

from ..base import KindDefinition
from .checks import check
from .render import render

DEFINITION = KindDefinition(
    kind="DataPipeline",
    plural="datapipelines",
    crd_file="datapipeline.yaml",
    check=check,
    render=render,
)
