"""Kubernetes resource quantities ("500m", "1.5Gi", "10G"): parse, compare, explain mistakes.

Used by the per-kind checks (memory, cpu, storage sizes) so that ``5GB`` gets a message that
suggests ``5G`` or ``5Gi`` instead of a rejection by the API server at apply time.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import FieldError

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
# The API server's grammar: a signed decimal number, then a binary suffix, a decimal suffix or
# a decimal exponent. ASCII digits only ([0-9], not \d, which also matches "٣"), as in Go.
_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?\Z"
)
_MAX_EXPONENT = 10**15
# Common mistakes and what the user most likely meant.
_MISTAKE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]+)\s*\Z")
_SUGGEST = {
    "kb": ("k", "Ki"),
    "mb": ("M", "Mi"),
    "gb": ("G", "Gi"),
    "tb": ("T", "Ti"),
    "pb": ("P", "Pi"),
    "kib": ("Ki",),
    "mib": ("Mi",),
    "gib": ("Gi",),
    "tib": ("Ti",),
    "ki": ("Ki",),
    "mi": ("Mi",),
    "gi": ("Gi",),
    "ti": ("Ti",),
    "g": ("G", "Gi"),
    "t": ("T", "Ti"),
    "mcpu": ("m",),
    "millicores": ("m",),
    "cores": ("",),
    "core": ("",),
    "cpu": ("",),
    "cpus": ("",),
}


def parse_quantity(text: str | int | float) -> Decimal:
    """The quantity as a number of base units; ``ValueError`` if it is not a quantity."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a quantity")
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a quantity")
    try:
        number = Decimal(match["num"])
    except InvalidOperation as error:  # pragma: no cover - the regex admits only numbers
        raise ValueError(f"{text!r} is not a quantity") from error
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    # Read as one decimal literal: 10 ** 1000000 would overflow the default context (a traceback
    # for "1E1000000", which the API server accepts as a quantity). Exponents beyond what a
    # Decimal can hold are clamped: such a value compares as the largest or smallest there is.
    exponent = max(min(int(suffix[1:]), _MAX_EXPONENT), -_MAX_EXPONENT)
    return Decimal(f"{match['num']}E{exponent}")


def suggest(text: str) -> str:
    """A hint for a malformed quantity, e.g. ``did you mean "5G" or "5Gi"?``."""
    match = _MISTAKE.match(text)
    if match:
        options = _SUGGEST.get(match["unit"].lower())
        if options:
            quoted = " or ".join(f'"{match["num"]}{unit}"' for unit in options)
            return f"did you mean {quoted}?"
    return 'use a number with an optional suffix, e.g. "500m", "2", "512Mi", "10Gi"'


def check_quantity(
    value: object, path: str, errors: list[FieldError], *, positive: bool = True
) -> Decimal | None:
    """Append an error for a bad quantity at ``path``; return its value when it is good."""
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        errors.append(FieldError(path, value, "is not a Kubernetes quantity", suggest(str(value))))
        return None
    try:
        amount = parse_quantity(value)
    except ValueError:
        errors.append(FieldError(path, value, "is not a Kubernetes quantity", suggest(str(value))))
        return None
    if positive and amount <= 0:
        errors.append(FieldError(path, value, "must be greater than zero"))
        return None
    return amount
