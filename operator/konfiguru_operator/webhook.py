"""The optional validating admission webhook: ``konfiguru validate`` run by the API server.

``kubectl apply`` of a Konfiguru resource is checked by its CRD's schema and CEL rules only. The
checks a CRD cannot express (a cron range that runs backwards, a limit below its request, names
derived from ``metadata.name`` that grow too long, ...; the README's "Which checks run where")
otherwise surface only later, as a ``Stalled`` resource. With the webhook on
(``KONFIGURU_WEBHOOK_PORT``, Helm value ``webhook.enabled``) the API server asks the operator
first, and the operator answers with the very pipeline ``konfiguru validate`` runs (defaults,
schema, rules, the per-kind checks, the render) plus the policy file (``KONFIGURU_POLICY_FILE``),
so a refusal carries the same message and field path as the CLI's.

:func:`review` is the whole decision, AdmissionReview in, AdmissionReview out, with no I/O:
``serve`` (HTTPS, Kopf's ``WebhookServer``, certificates from ``certs.py``) only feeds it requests.
Called by ``handlers/lifecycle.py`` at startup when the port is set.

Why not ``kopf.on.validate``: Kopf's answer to a refusal carries one message and a code; ours
also lists each bad field as a ``status.details.causes`` entry, as the API server's own
``Invalid`` errors do, and the function that answers is the one the unit tests call.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import kopf
from aiohttp import web

from konfiguru_generators import (
    API,
    DEFAULT_KUBE_VERSION,
    FieldError,
    SpecError,
    policy,
    render,
    validate,
)
from konfiguru_generators.kinds import REGISTRY
from konfiguru_generators.resources import API_GROUP

from .certs import Rotator
from .kube import ApiError, Client, ResourceRef
from .settings import Settings

logger = logging.getLogger(__name__)

ADMISSION_API = "admission.k8s.io/v1"
# What the API server's own validation answers for a bad object (422 Unprocessable Entity).
_INVALID = 422
JSON_PATCH = "application/json-patch+json"


class ReviewError(ValueError):
    """A request that is not an AdmissionReview: the API server, not the user, sent it wrong."""


def problems(
    resource: Mapping[str, Any],
    checks: Sequence[policy.Check],
    kube_version: str,
    ingress_controller: str | None = None,
) -> tuple[list[FieldError], list[policy.Violation]]:
    """What ``konfiguru validate [--policy]`` refuses in ``resource``: the spec's errors (the
    same pipeline: defaults, schema, rules, per-kind checks, render) and the policy's
    violations (evaluated, as everywhere, on the defaulted resource)."""
    try:
        # As the CLI renders (no secret seed: generated Secrets are left out, nothing drawn).
        render(resource, kube_version=kube_version, ingress_controller=ingress_controller)
    except SpecError as error:
        return list(error.errors), []
    if not checks:
        return [], []
    return [], policy.violations(checks, validate(resource, ingress_controller=ingress_controller))


def _message(resource: Mapping[str, Any], errors: Sequence[FieldError]) -> str:
    """The CLI's wording exactly: ``SpecError.message`` (``App shop/web: spec.x: ...``)."""
    return SpecError(errors, _describe(resource)).message


def _describe(resource: Mapping[str, Any]) -> str:
    metadata = resource.get("metadata") or {}
    name = metadata.get("name") or "?"
    namespace = metadata.get("namespace")
    return f"{resource.get('kind', '?')} {namespace + '/' if namespace else ''}{name}"


def review(
    request: Any,
    checks: Sequence[policy.Check] = (),
    kube_version: str = DEFAULT_KUBE_VERSION,
    ingress_controller: str | None = None,
) -> dict[str, Any]:
    """The AdmissionReview answering ``request`` (a decoded AdmissionReview), for the operator's
    policy ``checks``, Kubernetes version and default ingress controller (its settings).

    CREATE and UPDATE of a Konfiguru kind are checked; everything else is allowed: a DELETE, a
    resource already being deleted (refusing would block the removal of a finalizer), an update
    that leaves an invalid spec as it was (with warnings: see below), and a kind this operator
    does not know (a webhook configuration wider than the installed kinds; allowed with a
    warning). A malformed review raises :class:`ReviewError`.
    """
    if not isinstance(request, Mapping) or not isinstance(request.get("request"), Mapping):
        raise ReviewError("not an AdmissionReview: no request")
    payload: Mapping[str, Any] = request["request"]
    uid = payload.get("uid")
    if not isinstance(uid, str) or not uid:
        raise ReviewError("not an AdmissionReview: request.uid is missing")
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    answer = {"apiVersion": ADMISSION_API, "kind": "AdmissionReview", "response": response}
    resource = payload.get("object")
    if payload.get("operation") not in ("CREATE", "UPDATE") or not isinstance(resource, Mapping):
        return answer
    if (resource.get("metadata") or {}).get("deletionTimestamp"):
        return answer
    kind = resource.get("kind")
    if resource.get("apiVersion") != API or kind not in REGISTRY:
        response["warnings"] = [
            f"konfiguru webhook: {resource.get('apiVersion')}/{kind} is not a kind this"
            " operator knows; admitted unchecked (is the webhook configuration wider than the"
            " installed kinds?)"
        ]
        return answer
    errors, violations = problems(resource, checks, kube_version, ingress_controller)
    old = payload.get("oldObject")
    if errors and isinstance(old, Mapping) and old.get("spec") == resource.get("spec"):
        # Ratcheting, as the API server does for CRD fields an update leaves alone: an edit of
        # labels, annotations or finalizers is not refused for problems the spec already had
        # (the operator reports them as Stalled). Said, not hidden: kubectl prints warnings.
        response["warnings"] = [
            f"konfiguru: the spec is unchanged and still invalid: {error}" for error in errors
        ]
        return answer
    if not errors and not violations:
        return answer
    if errors:
        message = _message(resource, errors)
        causes = [
            {"reason": "FieldValueInvalid", "field": error.path, "message": str(error)}
            for error in errors
        ]
    else:
        lines = [f"policy {v.rule}: {v.message}" for v in violations]
        message = f"{_describe(resource)}: " + (
            lines[0]
            if len(lines) == 1
            else f"{len(lines)} policy violations:\n  - " + "\n  - ".join(lines)
        )
        causes = [{"reason": "PolicyViolation", "message": line} for line in lines]
    response["allowed"] = False
    response["status"] = {
        "status": "Failure",
        "code": _INVALID,
        "reason": "Invalid",
        "message": message,
        "details": {
            "group": API_GROUP,
            "kind": kind,
            "name": (resource.get("metadata") or {}).get("name", ""),
            "causes": causes,
        },
    }
    return answer


Reviewer = Callable[[Any], dict[str, Any]]


@dataclass
class Tally:
    """Reviews answered and refused, for ``/metrics`` (``konfiguru_admission_*_total``)."""

    reviews: int = 0
    refusals: int = 0


async def answer(
    reviewer: Reviewer, data: Any, tally: Tally | None = None, **_: Any
) -> dict[str, Any]:
    """Kopf's ``WebhookFn``: a request from the webhook server, answered off the event loop (a
    render takes milliseconds; reconciles keep running meanwhile)."""
    try:
        result = await asyncio.to_thread(reviewer, data)
    except ReviewError as error:
        # aiohttp answers a raised HTTP exception as that response.
        raise web.HTTPBadRequest(reason=str(error)) from error
    if tally is not None:
        tally.reviews += 1
        tally.refusals += not result["response"]["allowed"]
    return result


# ---------------------------------------------------------------------------------- serving

VWC = ResourceRef("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", False)
# What ``inject_ca_bundle`` does to the one webhook configuration it is given (self-signed mode):
# the chart grants exactly this, for that name only (tests/shipping/test_shipping_rbac.py).
PERMISSIONS = frozenset(
    ("admissionregistration.k8s.io", VWC.plural, verb) for verb in ("get", "patch")
)
# How often Kopf's server looks for changed certificate files, and the rotator for due work.
FILE_CHECK_SECONDS = 5.0
ROTATE_CHECK_SECONDS = 30.0


def ca_bundle_patch(configuration: Mapping[str, Any], bundle: bytes) -> list[dict[str, Any]]:
    """A JSON patch setting ``bundle`` as every webhook's ``clientConfig.caBundle``, guarded by
    the configuration's resourceVersion (a concurrent edit makes it fail, and it is redone)."""
    encoded = base64.b64encode(bundle).decode("ascii")
    version = (configuration.get("metadata") or {}).get("resourceVersion", "")
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": version}
    ]
    for index, hook in enumerate(configuration.get("webhooks") or []):
        if (hook.get("clientConfig") or {}).get("caBundle") != encoded:
            ops.append(
                {"op": "add", "path": f"/webhooks/{index}/clientConfig/caBundle", "value": encoded}
            )
    return ops if len(ops) > 1 else []


async def inject_ca_bundle(client: Client, name: str, bundle: bytes) -> None:
    """Put ``bundle`` into the webhook configuration ``name`` (self-signed mode; with
    cert-manager its CA injector does this). Retried until it lands: until then the API server
    cannot reach the webhook, and ``failurePolicy`` decides what happens to requests."""
    for attempt in range(8):
        try:
            configuration = await client.get(VWC, None, name)
            patch = ca_bundle_patch(configuration, bundle)
            if patch:
                await client.request(
                    "PATCH", VWC.path(None, name), body=patch, content_type=JSON_PATCH
                )
                logger.info("webhook: CA bundle of %s updated", name)
            return
        except (ApiError, OSError, TimeoutError) as error:
            logger.warning("webhook: cannot update the CA bundle of %s: %s", name, error)
            await asyncio.sleep(min(30.0, 2.0**attempt))


async def serve(
    settings: Settings, reviewer: Reviewer, client: Client | None, tally: Tally | None = None
) -> None:
    """Serve the webhook on ``KONFIGURU_WEBHOOK_ADDRESS:PORT`` over HTTPS until cancelled.

    With ``KONFIGURU_WEBHOOK_CERT_DIR`` the certificate is ``tls.crt``/``tls.key`` there (a
    cert-manager Secret, reloaded when renewed); otherwise self-signed (``certs.Rotator``),
    renewed on schedule, its CA put into ``KONFIGURU_WEBHOOK_CONFIGURATION`` when one is named.
    """

    async def handle(data: Any, **_: Any) -> Any:
        return await answer(reviewer, data, tally)

    fn = cast(kopf.WebhookFn, handle)  # Kopf's TypedDicts, ours plain dicts of the same shape

    rotation: asyncio.Task[None] | None = None
    with tempfile.TemporaryDirectory(prefix="konfiguru-webhook-") as scratch:
        if settings.webhook_cert_dir:
            directory = Path(settings.webhook_cert_dir)
            ca = directory / "ca.crt"
            server = kopf.WebhookServer(
                addr=settings.webhook_address,
                port=settings.webhook_port,
                certfile=directory / "tls.crt",
                pkeyfile=directory / "tls.key",
                cafile=ca if ca.exists() else None,
                file_check_interval=FILE_CHECK_SECONDS,
            )
        else:
            rotator = Rotator(Path(scratch), settings.webhook_hosts)
            rotator.step()
            server = kopf.WebhookServer(
                addr=settings.webhook_address,
                port=settings.webhook_port,
                certfile=rotator.certfile,
                pkeyfile=rotator.certfile,
                cafile=rotator.cafile,
                file_check_interval=FILE_CHECK_SECONDS,
            )
            rotation = asyncio.create_task(_rotate(rotator), name="konfiguru webhook rotation")
        try:
            while True:
                try:
                    async for config in server(fn):
                        logger.info("webhook: serving at %s", config.get("url"))
                        bundle = base64.b64decode(config.get("caBundle") or "")
                        if client is not None and settings.webhook_configuration and bundle:
                            await inject_ca_bundle(client, settings.webhook_configuration, bundle)
                except OSError as error:  # ssl.SSLError too: a key and certificate caught
                    # mid-replacement, a port taken. Serve again soon rather than never.
                    logger.error("webhook: cannot serve (%s); retrying", error)
                    await asyncio.sleep(FILE_CHECK_SECONDS)
        finally:
            if rotation is not None:
                rotation.cancel()
                await asyncio.gather(rotation, return_exceptions=True)


async def _rotate(rotator: Rotator) -> None:
    while True:
        await asyncio.sleep(ROTATE_CHECK_SECONDS)
        if rotator.step():
            logger.info("webhook: self-signed certificate renewal step taken")
