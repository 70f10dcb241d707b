"""Kustomize: a base with the rendered children and one overlay per environment.

``base/`` holds one file per child of the base resources and a ``kustomization.yaml`` listing
them. ``overlays/<env>/`` refers to the base and says only what the environment changes, so a
review of an overlay reads as the difference it is:

- a child that differs: an RFC 6902 JSON patch (``patches[].path`` with a ``target``) holding
  ``add``/``remove``/``replace`` operations that turn the base object into the environment's
  (maps key by key, lists of one length item by item; a list whose length changes, or a scalar,
  is replaced whole);
- a child only the environment has: a file of the overlay, listed in ``resources``;
- a child the environment does not have: a ``$patch: delete`` patch.

So ``kubectl kustomize overlays/<env>`` gives the same objects as ``konfiguru render --env <env>``
(and ``kubectl kustomize base`` as ``konfiguru render``), which the tests check with the real
kubectl.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import collisions, yamltext
from .bundle import JSON, Bundle, Rendered

KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}


def _children(rendered: Sequence[Rendered]) -> list[JSON]:
    return [child for item in rendered for child in item.children]


def _pointer(path: Sequence[str]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def json_patch(before: Any, after: Any, path: tuple[str, ...] = ()) -> list[JSON]:
    """RFC 6902 operations that turn ``before`` into ``after`` (maps key by key)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        ops: list[JSON] = []
        for key in before:
            if key not in after:
                ops.append({"op": "remove", "path": _pointer((*path, str(key)))})
        for key, value in after.items():
            where = (*path, str(key))
            if key not in before:
                ops.append({"op": "add", "path": _pointer(where), "value": value})
            else:
                ops.extend(json_patch(before[key], value, where))
        return ops
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        # Same length: item by item (a new image is one operation, not the whole container list).
        return [
            op
            for index, (old, new) in enumerate(zip(before, after, strict=True))
            for op in json_patch(old, new, (*path, str(index)))
        ]
    if before == after and type(before) is type(after):
        return []
    return [{"op": "replace", "path": _pointer(path), "value": after}]


def _target(obj: Mapping[str, Any]) -> JSON:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    meta = obj.get("metadata") or {}
    target: JSON = {"version": version, "kind": obj.get("kind"), "name": meta.get("name")}
    if group:
        target["group"] = group
    if meta.get("namespace"):
        target["namespace"] = meta["namespace"]
    return target


def _key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return collisions.identity(obj)


def export(bundle: Bundle) -> dict[str, str]:
    files: dict[str, str] = {}
    base = _children(bundle.base)
    names = collisions.file_names(base)
    for name, obj in zip(names, base, strict=True):
        files[f"base/{name}"] = yamltext.dump_all([obj])
    files["base/kustomization.yaml"] = yamltext.dump({**KUSTOMIZATION, "resources": names})
    by_key = {_key(obj): (name, obj) for name, obj in zip(names, base, strict=True)}
    for env, rendered in sorted(bundle.environments.items()):
        root = f"overlays/{env}"
        children = _children(rendered)
        resources: list[str] = ["../../base"]
        patches: list[JSON] = []
        wanted = {_key(obj) for obj in children}
        extra = [obj for obj in children if _key(obj) not in by_key]
        for name, obj in zip(collisions.file_names(extra), extra, strict=True):
            files[f"{root}/{name}"] = yamltext.dump_all([obj])
            resources.append(name)
        for obj in children:
            if _key(obj) not in by_key:
                continue
            name, original = by_key[_key(obj)]
            ops = json_patch(original, obj)
            if ops:
                patch = f"patches/{name}"
                files[f"{root}/{patch}"] = yamltext.dump(ops)
                patches.append({"path": patch, "target": _target(obj)})
        for key, (_name, original) in by_key.items():
            if key not in wanted:
                delete = {
                    "$patch": "delete",
                    "apiVersion": original["apiVersion"],
                    "kind": original["kind"],
                    "metadata": {
                        k: v for k, v in original["metadata"].items() if k in ("name", "namespace")
                    },
                }
                patches.append({"patch": yamltext.dump(delete)})
        kustomization: JSON = {**KUSTOMIZATION, "resources": resources}
        if patches:
            kustomization["patches"] = patches
        files[f"{root}/kustomization.yaml"] = yamltext.dump(kustomization)
    return files
