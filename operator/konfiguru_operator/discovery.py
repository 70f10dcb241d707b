"""Which child kinds of add-ons this cluster serves, and what to install when one is missing.

Some children are kinds of other operators, served only where their CRD is installed: the
External Secrets Operator's ``ExternalSecret`` (:data:`ADD_ONS`). Built-in kinds are always
served. The API server answers an apply of an unserved kind with ``404 page not found``; sent on
every reconcile and resync, that is a write loop that can never succeed. So ``apply.Applier``
asks :class:`Discovery` first: a child of a missing kind is not sent, and its owner is Stalled
with the operator and CRD to install (:func:`install_hint`).

Kept true without a restart: while some resource waits for a missing kind, that kind's API
group version is asked again every ``interval`` seconds (one discovery read, only while someone
waits); once it is served, the resources that waited are reconciled. Kopf's CRD scanning (on:
``handlers/lifecycle.py``) starts watching the new kind at the same time, so the children then
written are seen like any other. A 404 when applying marks the kind missing again (its CRD was
deleted). Created by ``runtime.Runtime``; read by ``apply.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .kube import ApiError, Client, ResourceRef
from .rbac import CHILD_KINDS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AddOn:
    """The operator that serves a child kind, and the CRD it installs."""

    operator: str
    crd: str
    url: str


ADD_ONS: dict[str, AddOn] = {
    "ExternalSecret": AddOn(
        "the External Secrets Operator",
        "externalsecrets.external-secrets.io",
        "https://external-secrets.io",
    ),
}


def install_hint(kind: str, name: str) -> str:
    """What a person must do for a child of a kind the cluster does not serve."""
    add_on = ADD_ONS.get(kind)
    if add_on is None:
        ref = CHILD_KINDS[kind]
        return f"{kind} {name} is not served by this cluster ({ref.api_version} {ref.plural})"
    return f"{kind} {name} needs {add_on.operator}: install its CRD {add_on.crd} ({add_on.url})"


class Discovery:
    """The add-on kinds served now, and the resources waiting for a missing one."""

    def __init__(self, client: Client, kinds: Iterable[str] = ADD_ONS) -> None:
        self.client = client
        self.kinds = tuple(kinds)
        self._missing: set[str] = set()
        self._waiting: dict[str, set[str]] = {}
        self.changed = asyncio.Event()  # set when a resource starts waiting

    def served(self, kind: str) -> bool:
        return kind not in self._missing

    def waits(self, kind: str, uid: str) -> None:
        """``uid`` has a child of the missing ``kind``: reconcile it once the kind is served."""
        self._waiting.setdefault(kind, set()).add(uid)
        self.changed.set()

    def lost(self, kind: str) -> None:
        """The server answered 404 for ``kind``: its CRD is gone."""
        if kind in self.kinds and kind not in self._missing:
            logger.warning("%s is not served any more: %s", kind, install_hint(kind, "?"))
            self._missing.add(kind)

    async def _is_served(self, ref: ResourceRef) -> bool | None:
        """Whether the API lists ``ref``'s resource; None when the server could not say."""
        path = f"/apis/{ref.api_version}" if "/" in ref.api_version else "/api/v1"
        try:
            listing = await self.client.request("GET", path)
        except ApiError as error:
            return False if error.status == 404 else None
        except (OSError, TimeoutError):
            return None
        return any(r.get("name") == ref.plural for r in listing.get("resources") or [])

    async def refresh(self) -> list[str]:
        """Ask the server about every add-on kind; returns the kinds served since last asked."""
        found = []
        for kind in self.kinds:
            served = await self._is_served(CHILD_KINDS[kind])
            if served is None:
                continue  # unknown: keep what we knew (at start: served, as before asking)
            if served and kind in self._missing:
                self._missing.discard(kind)
                found.append(kind)
                logger.info("%s is served now: reconciling the resources that wait for it", kind)
            elif not served and kind not in self._missing:
                self._missing.add(kind)
                logger.info("%s is not served: %s", kind, install_hint(kind, "children"))
        return found

    async def watch_forever(self, poke: Callable[[str], None], interval: float) -> None:
        """While resources wait for a missing kind, ask every ``interval`` seconds; reconcile
        them (``poke``) once it is served."""
        while True:
            if not any(self._waiting.get(kind) for kind in self._missing):
                self.changed.clear()
                await self.changed.wait()
                continue
            await asyncio.sleep(interval)
            for kind in await self.refresh():
                for uid in sorted(self._waiting.pop(kind, set())):
                    poke(uid)
