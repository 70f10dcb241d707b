"""Helpers for the Database tests: build a resource, render it, find children by kind and name."""

from __future__ import annotations

from typing import Any

from konfiguru_generators import Existing, render_with_notes

SEED = b"database-tests-seed"
SEEDED = Existing(secret_seed=SEED)
# One realistic spec per engine and topology; every test that wants "every engine" loops here.
VARIANTS: dict[str, dict[str, Any]] = {
    "postgres-16": {"engine": "postgres", "version": "16"},
    "postgres-18": {"engine": "postgres", "version": "18"},
    "mysql": {"engine": "mysql", "version": "8.4"},
    "mongodb": {"engine": "mongodb", "version": "8.0"},
    "mongodb-rs": {"engine": "mongodb", "version": "7.0", "replicas": 3},
    "redis": {"engine": "redis", "version": "7.4"},
    "redis-replicas": {"engine": "redis", "version": "7.4", "replicas": 3},
}
FULL = {
    "monitoring": {},
    "backup": {"schedule": "0 3 * * *"},
    "parameters": {},
    "connectFrom": [{"app": "web"}],
}


def database(name: str = "db", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "Database",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }


class Rendered:
    """The children of one Database, addressable as ``rendered["StatefulSet", "db"]``."""

    def __init__(self, objects: list[dict[str, Any]], notes: list[str]) -> None:
        self.objects = objects
        self.notes = notes

    def __getitem__(self, key: tuple[str, str]) -> dict[str, Any]:
        kind, name = key
        for obj in self.objects:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        raise KeyError(
            f"no {kind} {name} in {[(o['kind'], o['metadata']['name']) for o in self.objects]}"
        )

    def __contains__(self, key: tuple[str, str]) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    @property
    def pod(self) -> dict[str, Any]:
        (sts,) = self.kinds("StatefulSet")
        pod: dict[str, Any] = sts["spec"]["template"]["spec"]
        return pod

    def container(self, name: str) -> dict[str, Any]:
        for container in self.pod["containers"]:
            if container["name"] == name:
                return container
        raise KeyError(name)

    def env(self, container: str) -> dict[str, Any]:
        return {
            entry["name"]: entry.get("value", entry.get("valueFrom"))
            for entry in self.container(container)["env"]
        }


def render_db(
    name: str = "db", existing: Existing = SEEDED, kube_version: str = "1.33", **spec: Any
) -> Rendered:
    objects, notes = render_with_notes(database(name, **spec), existing, kube_version=kube_version)
    return Rendered(objects, notes)


def engine_name(spec: dict[str, Any]) -> str:
    return str(spec["engine"])
