"""``konfiguru diff -f SRC``: what the operator would do to the cluster for these resources.

Run as ``python -m konfiguru_operator.livediff`` by the CLI (the generators never import the
operator), with the user's own credentials (``KUBECONFIG`` or in-cluster). For each resource in
SRC it computes the children exactly as the operator would — the same generators, the live
resource's uid (ownerReferences and owner label), the stored values of generated Secrets and
the sizes of existing volumes, the one-off Jobs that already ran — then asks the API server what
each child would become with a server-side **dry-run** apply under the operator's field manager,
so server defaulting and fields other managers own (an HPA's replicas) do not show as changes.
Live children of the resource that are no longer desired are listed as deleted (pruned).
Nothing is written. The comparison and its output are ``konfiguru_generators.plan``'s, shared
with ``konfiguru diff --offline``.

Exit code 0: nothing would change; 1: something would; 2: an error (as ``kubectl diff``).

Not modelled: a rotation stamp (``konfiguru.io/rotate-secrets``) is reported as a breaking change
but the new values are not shown; an object refused by the dry-run (a kind the cluster does not
serve, a missing namespace) is shown as the generator's output and its refusal as an error.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import kopf

from konfiguru_generators import SpecError, TemplateError, plan, render, validate
from konfiguru_generators.cli import Document, InputError, build_parser, read_documents

from . import jobs as jobs_mod
from .apply import immutable
from .cache import Key, controller_uid
from .kube import ApiError, Client, Credentials
from .rbac import CHILD_KINDS, parent_refs
from .reconciler import existing_inputs, renderable, resize_plan
from .settings import Settings

JSON = dict[str, Any]


async def _children(client: Client, namespace: str, uid: str) -> dict[Key, JSON]:
    """Every live object labelled as a child of ``uid`` (what the operator's watches see)."""
    found: dict[Key, JSON] = {}
    for kind, ref in CHILD_KINDS.items():
        try:
            items = await client.list(ref, namespace, f"konfiguru.io/owner-uid={uid}")
        except ApiError as error:
            if error.status == 404:  # a kind this cluster does not serve (ExternalSecret)
                continue
            raise
        for item in items:
            found[(kind, str(item["metadata"]["name"]))] = {**item, "kind": kind}
    return found


async def _dry_run(
    client: Client, obj: JSON, current: JSON | None, field_manager: str
) -> tuple[JSON, str | None]:
    """What the server would store for ``obj``, or ``obj`` itself with why it refused.

    An immutable field (a StatefulSet's claim templates, a Job's template, a selector) cannot be
    dry-run: the operator re-creates the object (or stalls, which the plan calls out), so the
    result shown is the live object with the desired values laid over it."""
    meta = obj["metadata"]
    try:
        answer = await client.apply(CHILD_KINDS[obj["kind"]], obj, field_manager, dry_run=True)
    except ApiError as error:
        if current is not None and immutable(error):
            return _overlay(current, obj), None
        return obj, f"{obj['kind']} {meta['name']}: the API server refuses it: {error.message}"
    return answer or obj, None


def _overlay(live: Any, desired: Any) -> Any:
    if isinstance(live, Mapping) and isinstance(desired, Mapping):
        merged = dict(live)
        for key, value in desired.items():
            merged[key] = _overlay(live.get(key), value)
        return merged
    return desired


async def _one(
    client: Client,
    document: Document,
    namespace: str,
    args: Any,
    settings: Settings,
) -> tuple[plan.Owned, plan.Owned]:
    body: JSON = dict(document.body) if isinstance(document.body, Mapping) else {}
    meta = dict(body.get("metadata") or {})
    meta.setdefault("namespace", namespace)
    body["metadata"] = meta
    owner = plan.owner_name(body) if body else document.where
    try:
        kind = str(validate(body)["kind"])
    except SpecError as error:
        return plan.Owned(owner, []), plan.Owned(
            owner, [], body, f"{document.where}: {error.message}"
        )
    ref = parent_refs()[kind]
    try:
        live_parent: JSON | None = await client.get(ref, meta["namespace"], str(meta["name"]))
    except ApiError as error:
        if error.status != 404:
            raise
        live_parent = None
    live: dict[Key, JSON] = {}
    uid = ""
    if live_parent is not None:
        uid = str(live_parent["metadata"]["uid"])
        meta["uid"] = uid
        live = await _children(client, meta["namespace"], uid)
    # The same inputs the operator's reconcile gives the generators.
    existing, _rotate = existing_inputs(uid, body, live)
    resource = renderable(body)
    try:
        desired = render(
            resource,
            existing,
            templates_dir=args.templates,
            kube_version=args.kube_version,
            ingress_controller=args.ingress_controller,
        )
        resizes = resize_plan(resource, existing)
    except (SpecError, TemplateError) as error:
        message = error.message if isinstance(error, SpecError) else f"template: {error}"
        before = [obj for obj in live.values() if controller_uid(obj) == uid]
        return plan.Owned(owner, before, live_parent), plan.Owned(
            owner, [], body, f"{document.where}: {message}"
        )
    if live_parent is not None:
        previous = (live_parent.get("status") or {}).get(jobs_mod.FIELD)
        desired = jobs_mod.settle(uid, desired, live, previous).apply
    after: list[JSON] = []
    refusals: list[str] = []
    for obj in desired:
        current = live.get((obj["kind"], obj["metadata"]["name"]))
        result, refusal = await _dry_run(client, obj, current, settings.field_manager)
        after.append(result)
        if refusal:
            refusals.append(refusal)
    # Pruned: ours, and no longer desired. PVCs of a StatefulSet's claim templates carry the
    # label but no owner: they are never pruned by the operator, so never listed here.
    before = [obj for obj in live.values() if controller_uid(obj) == uid]
    # Volumes the operator grows in place (the generator's plan): claims no child declares.
    for claim, size in resizes:
        current = live[("PersistentVolumeClaim", claim)]
        before.append(current)
        spec = current.get("spec") or {}
        requests = {**((spec.get("resources") or {}).get("requests") or {}), "storage": size}
        grown = {**spec, "resources": {**(spec.get("resources") or {}), "requests": requests}}
        after.append({**current, "spec": grown})
    refused = "; ".join(refusals) or None
    return plan.Owned(owner, before, live_parent), plan.Owned(owner, after, body, refused)


async def run(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    args = build_parser().parse_args(["diff", *argv])
    settings = Settings.from_env()
    info = kopf.login_with_service_account(
        settings=kopf.OperatorSettings()
    ) or kopf.login_with_kubeconfig(settings=kopf.OperatorSettings())
    if info is None:
        err.write("error: no cluster credentials (KUBECONFIG, ~/.kube/config or in-cluster)\n")
        return 2
    namespace = info.default_namespace or "default"
    documents = read_documents(args.filename, sys.stdin, args.env)
    client = Client(Credentials.from_connection_info(info), settings.api_timeout_seconds)
    try:
        pairs = [await _one(client, doc, namespace, args, settings) for doc in documents]
    finally:
        await client.close()
    result = plan.plan([b for b, _ in pairs], [a for _, a in pairs], sides=("live", "desired"))
    out.write(plan.markdown(result) if args.format == "markdown" else plan.text(result))
    if result.errors:
        return 2
    return 1 if result.changed else 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return asyncio.run(run(sys.argv[1:] if argv is None else argv, sys.stdout, sys.stderr))
    except InputError as error:
        sys.stderr.write(f"error: {error}\n")
    except ApiError as error:
        sys.stderr.write(f"error: the API server answered {error}\n")
    except OSError as error:
        sys.stderr.write(f"error: cannot reach the API server: {error}\n")
    return 2


if __name__ == "__main__":  # pragma: no cover - run by `konfiguru diff`
    sys.exit(main())
