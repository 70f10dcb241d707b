"""The part of the Kubernetes CEL libraries that Konfiguru's CRD rules use, for offline evaluation.

The API server evaluates ``x-kubernetes-validations`` with CEL's standard library plus
Kubernetes' own (``k8s.io/apiserver/pkg/cel/library``); the offline evaluator
(``common-expression-language``) has only the standard library, so a rule calling
``quantity()`` would fail offline. This module supplies, as Python functions the evaluator calls,
exactly the functions the CRDs use: the quantity library's ``isQuantity(string)``,
``quantity(string)`` and the ``compareTo``, ``isLessThan`` and ``isGreaterThan`` members (available
to CRD rules from Kubernetes 1.29; Konfiguru supports 1.30 and later). A quantity is carried as a
map holding its exact decimal value, so comparisons are exact as with ``resource.Quantity.Cmp``.

Called by ``schema.py`` for every rule that references one of these names (:func:`functions_for`);
``crdcheck.lint_crd`` accepts rules that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import cel

from .quantity import parse_quantity

_KEY = "konfiguru.io/quantity"


def _quantity(text: Any) -> dict[str, str]:
    if not isinstance(text, str):
        raise TypeError(f"no such overload: quantity({type(text).__name__})")
    return {_KEY: str(parse_quantity(text))}


def _is_quantity(text: Any) -> bool:
    if not isinstance(text, str):
        raise TypeError(f"no such overload: isQuantity({type(text).__name__})")
    try:
        parse_quantity(text)
    except ValueError:
        return False
    return True


def _value(quantity: Any) -> Decimal:
    if not isinstance(quantity, Mapping) or _KEY not in quantity:
        raise TypeError("no such overload: a Quantity was expected")
    return Decimal(quantity[_KEY])


def _compare_to(left: Any, right: Any) -> int:
    a, b = _value(left), _value(right)
    return (a > b) - (a < b)


def _is_less_than(left: Any, right: Any) -> bool:
    return _value(left) < _value(right)


def _is_greater_than(left: Any, right: Any) -> bool:
    return _value(left) > _value(right)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "quantity": _quantity,
    "isQuantity": _is_quantity,
    "compareTo": _compare_to,
    "isLessThan": _is_less_than,
    "isGreaterThan": _is_greater_than,
}


@cache
def functions_for(expression: str) -> Mapping[str, Callable[..., Any]]:
    """The library functions ``expression`` calls (none for most rules: passing functions to
    the evaluator costs time on every call)."""
    used = set(cel.compile(expression).references()["functions"])
    return {name: function for name, function in FUNCTIONS.items() if name in used}
