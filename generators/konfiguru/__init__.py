"""Konfiguru's Python DSL: write Konfiguru resources as fluent, typed builders.

    from konfiguru import App, Database

    db = Database("orders-db").engine("postgres").version("17").storage("20Gi")
    web = (
        App("web", namespace="shop")
        .image("ghcr.io/acme/web:1.4.2")
        .port(8080)
        .resources(cpu="250m", memory="256Mi")
        .scale(replicas=2, auto_scale_on_cpu=70, max_replicas=10)
        .connect_to(db)
    )
    web.render()  # the Kubernetes objects, as `konfiguru render` prints them

A front end like YAML and ``.kfg``: builders produce the resource dict (``to_resource()``), and
``validate()`` / ``render()`` / ``to_yaml()`` hand it to ``konfiguru_generators``, the one pipeline
the CLI and the operator call; a mistake raises its ``SpecError`` naming the field path.
``konfiguru render -f app.py`` renders a module that defines builders (module-level instances,
or a ``resources`` list). Every CRD field has a typed method generated from the CRD schemas
(``_fields.py``); nested fields are also reachable with ``.set(path, value)``, checked against
the schema. This package never imports the operator.
"""

from __future__ import annotations

from konfiguru_generators import FieldError, SpecError

from ._base import Builder, builder_for
from .apps import App, CronJob, Job, StatefulApp
from .kinds import Database, DataPipeline, MLPipeline
from .values import ConfigMap, Ingress, Secret

__all__ = [
    "App",
    "Builder",
    "ConfigMap",
    "CronJob",
    "DataPipeline",
    "Database",
    "FieldError",
    "Ingress",
    "Job",
    "MLPipeline",
    "Secret",
    "SpecError",
    "StatefulApp",
    "builder_for",
]
