"""The inputs a generator takes besides the resource itself.

A generator is a pure function ``(resource, existing) -> list[manifest]``. ``existing`` is all it
may know about the cluster; offline (``konfiguru render``) it is empty or carries a seed, in the
operator it is read from the cluster before each render. Called by ``pipeline.py`` and built by
the CLI and the operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Existing:
    """What already exists for one resource, as far as rendering depends on it.

    Attributes:
        secrets: data of Secrets that already exist, by Secret name then key (plain text). A
            generated key found here is reused verbatim: generated values are created once and
            never rotated by a render. Default: none.
        secret_seed: bytes from which values of generated keys not yet in ``secrets`` are
            derived (HMAC, so the same seed and input give the same values). ``None`` (default)
            means generated Secrets are left out of the output: a value derived from the public
            spec alone would be guessable, and a random one would change on every render.
        pvc_sizes: current ``spec.resources.requests.storage`` of existing PVCs by name, so a
            storage change can be planned as an in-place resize. Default: none.
        provided_secrets: values for Secrets an App references by name (a ``secrets[]`` entry
            without ``generate`` or ``external``), by Secret name then key: such a Secret is
            rendered with them (``konfiguru render --env-file NAME=PATH``). Default: none, and
            always none in the operator (it never sees the files).
    """

    secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    secret_seed: bytes | None = None
    pvc_sizes: Mapping[str, str] = field(default_factory=dict)
    provided_secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


EMPTY = Existing()
