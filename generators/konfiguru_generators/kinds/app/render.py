"""App spec (defaulted, checked) → manifests. Pure; one template per object.

Called by ``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

from ..base import Manifest, Resource

COMPONENT = "app"


def render(resource: Resource) -> list[Manifest]:
    spec = resource.spec
    container = {"name": "app", "image": spec["image"]}
    if "port" in spec:
        container["ports"] = [{"name": "http", "containerPort": spec["port"], "protocol": "TCP"}]
    objects = [
        resource.template(
            "app/deployment.yaml.j2",
            labels=resource.labels(COMPONENT),
            selector=resource.selector(COMPONENT),
            replicas=spec["replicas"],
            containers=[container],
        )
    ]
    if "port" in spec:
        objects.append(
            resource.template(
                "app/service.yaml.j2",
                labels=resource.labels(COMPONENT),
                selector=resource.selector(COMPONENT),
                port=spec["port"],
            )
        )
    return objects
