"""The exporters' one input: resources and their rendered children, per environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """One Konfiguru resource (as written, before defaults) and its rendered children."""

    resource: Mapping[str, Any]
    children: Sequence[JSON]


@dataclass(frozen=True)
class Bundle:
    """What an exporter gets: the base resources and, per environment, the same resources with
    the environment's patches merged in (``environments.py``). No environments: ``{}``."""

    base: Sequence[Rendered]
    environments: Mapping[str, Sequence[Rendered]] = field(default_factory=dict)


Exporter = Callable[[Bundle], dict[str, str]]
