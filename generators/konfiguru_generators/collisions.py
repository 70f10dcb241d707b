"""Names that must be unique among rendered objects, checked once for every kind.

Two parts of one spec can derive the same name: an extra port named ``metrics`` beside the
metrics port, two writable paths whose volume names agree, a Secret that a TLS issuer also
writes. The kinds' own checks name the spec fields for the cases they know; this module is the
net under all of them, run on the children themselves, so a collision no check foresaw is still
a :class:`~konfiguru_generators.errors.SpecError` naming both places instead of an object the API
server refuses (two ports or volumes of one name) or two writers fighting over one object.

- :func:`within` checks the children of one resource: object names per kind and namespace, and
  inside each pod template container names, volume names, and per container port names and
  mount paths. ``pipeline.render`` calls it for every resource (CLI and operator alike).
- :class:`Registry` checks resources rendered together (the CLI's inputs): a child of one must
  not have the kind, namespace and name of a child of another.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldError

# Where each workload kind keeps its pod spec.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def identity(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(API group, kind, namespace, name): what the API server keeps one object per."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    meta = obj.get("metadata") or {}
    return group, str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name"))


def describe(obj: Mapping[str, Any]) -> str:
    _, kind, namespace, name = identity(obj)
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _pod_spec(obj: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    path = _POD_SPEC_PATHS.get(str(obj.get("kind")))
    value: Any = obj
    for part in path or ():
        value = value.get(part) if isinstance(value, Mapping) else None
    if path is None or not isinstance(value, Mapping):
        return None
    return ".".join(path), value


def _duplicates(items: Iterator[tuple[str, str]], where: str, what: str) -> Iterator[FieldError]:
    """A FieldError for each (value, path) whose value an earlier item already had."""
    first: dict[str, str] = {}
    for value, path in items:
        if value in first:
            yield FieldError(
                f"{where}: {path}",
                value,
                f"is also the {what} at {first[value]}",
                "two parts of the spec derive the same name; rename one of them",
            )
        else:
            first[value] = path


def _containers(pod: Mapping[str, Any], base: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for group in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(group) or []):
            if isinstance(container, Mapping):
                yield f"{base}.{group}[{index}]", container


def _pod_problems(obj: Mapping[str, Any]) -> Iterator[FieldError]:
    found = _pod_spec(obj)
    if found is None:
        return
    base, pod = found
    where = describe(obj)
    containers = list(_containers(pod, base))
    yield from _duplicates(
        ((str(c.get("name")), f"{path}.name") for path, c in containers), where, "container name"
    )
    volumes = [v for v in pod.get("volumes") or [] if isinstance(v, Mapping)]
    yield from _duplicates(
        ((str(v.get("name")), f"{base}.volumes[{i}].name") for i, v in enumerate(volumes)),
        where,
        "volume name",
    )
    for path, container in containers:
        ports = [p for p in container.get("ports") or [] if isinstance(p, Mapping) and "name" in p]
        yield from _duplicates(
            ((str(p["name"]), f"{path}.ports[{i}].name") for i, p in enumerate(ports)),
            where,
            "port name",
        )
        mounts = [m for m in container.get("volumeMounts") or [] if isinstance(m, Mapping)]
        yield from _duplicates(
            (
                (str(m.get("mountPath")), f"{path}.volumeMounts[{i}].mountPath")
                for i, m in enumerate(mounts)
            ),
            where,
            "mount path",
        )


def within(children: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Every name two children of one resource share, or a pod template repeats."""
    errors: list[FieldError] = []
    first: dict[tuple[str, str, str, str], int] = {}
    for index, child in enumerate(children):
        key = identity(child)
        if key in first:
            errors.append(
                FieldError(
                    f"{describe(child)} (child {index + 1})",
                    key[3],
                    f"is also the name of child {first[key] + 1}, of the same kind",
                    "two parts of the spec derive the same object; rename one of them",
                )
            )
        else:
            first[key] = index
        errors.extend(_pod_problems(child))
    return errors


@dataclass
class Registry:
    """The children of resources rendered together, by identity, with the resource each is of."""

    owners: dict[tuple[str, str, str, str], str] = field(default_factory=dict)

    def add(self, owner: str, children: Sequence[Mapping[str, Any]]) -> list[str]:
        """Record ``owner``'s children; one message per child another resource already has."""
        clashes: list[str] = []
        for child in children:
            key = identity(child)
            other = self.owners.get(key)
            if other is not None:
                clashes.append(
                    f"{describe(child)} is rendered by both {other} and {owner}; rename one of"
                    " them (or put them in different namespaces)"
                )
            self.owners.setdefault(key, owner)
        return clashes


def file_names(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """One file name per object, never the same twice: ``[<namespace>/]<kind>-<name>.yaml``.

    Objects are unique by API group, kind, namespace and name (:class:`Registry`); two kinds of
    one name in different groups get the group in the name too, so no file is written twice.
    Used by ``render -o DIR`` and the exporters. Raises ``ValueError`` for an object given twice.
    """
    taken: set[str] = set()
    result: list[str] = []
    for obj in objects:
        group, kind, namespace, name = identity(obj)
        folder = f"{namespace}/" if namespace else ""
        candidates = [f"{folder}{kind.lower()}-{name}.yaml"]
        candidates.append(f"{folder}{kind.lower()}.{group or 'core'}-{name}.yaml")
        chosen = next((c for c in candidates if c not in taken), None)
        if chosen is None:
            raise ValueError(f"{describe(obj)} is rendered twice")
        taken.add(chosen)
        result.append(chosen)
    return result
