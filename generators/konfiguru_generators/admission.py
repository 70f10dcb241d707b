"""The CEL rules the CRDs share for checks the API server must run at admission, and the hints
Python adds to their messages.

``kubectl apply`` of a resource is checked by the API server with the CRD's schema and CEL rules
only; ``konfiguru validate`` and the operator run the same schema and rules (``schema.py``) and
then the Python checks in ``kinds/*/checks.py``. A check that exists only in Python lets the
server admit a spec the operator then stalls on (``memory: 5GB``, ``schedule: "0 25 * * *"``).
So every check a rule can express is a rule in the CRD, written once here and copied literally
into ``crds/*.yaml`` (``tests/unit/test_admission_parity.py`` checks the copies and that the
rules accept exactly what the Python checks accept). The README's "Which checks run where"
table lists what stays Python-only.

A rule's ``message`` is static; when the Python check can say more (``did you mean "5Gi"?``, which
cron field is wrong), :data:`HINTS` maps the rule to a function of the bad value that
``schema.py`` appends as the hint, so offline users keep the better message and ``kubectl`` users
get the rule's.

Only the standard CEL library is used (``matches``, ``type``, comparisons): the offline evaluator
has no Kubernetes extensions (``quantity()``, ``split()``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import cron, quantity

# A Kubernetes quantity (resource.ParseQuantity): sign, decimal number, then a binary suffix, a
# decimal suffix or an integer exponent. No backslashes, so it reads the same in YAML and CEL.
QUANTITY_REGEX = (
    "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
# For an int-or-string field: an integer, or a string in quantity form.
QUANTITY_RULE = f"type(self) == int || self.matches('{QUANTITY_REGEX}')"
# Given the form: no minus sign and a non-zero digit before the suffix.
POSITIVE_QUANTITY_RULE = (
    f"type(self) == int ? self > 0 : (!self.matches('{QUANTITY_REGEX}')"
    " || self.matches('^[+]?[.0-9]*[1-9]'))"
)


def _limit_rule(request: str, limit: str) -> str:
    """A limit at least its request, in one ``resources`` block; malformed quantities are left
    to the quantity rules. Uses the Kubernetes quantity library (``celk8s.py`` offline)."""
    return (
        f"!has(self.{request}) || !has(self.{limit}) || !isQuantity(string(self.{request}))"
        f" || !isQuantity(string(self.{limit}))"
        f" || quantity(string(self.{limit})).compareTo(quantity(string(self.{request}))) >= 0"
    )


# (request, limit) -> (rule, message); the rule sits on the resources object, fieldPath the limit.
LIMIT_RULES = {
    (request, limit): (
        _limit_rule(request, limit),
        f"is less than {request}; a limit must be at least the request; raise {limit} or lower"
        f" {request}",
    )
    for request, limit in (("cpu", "cpuLimit"), ("memory", "memoryLimit"))
}
QUANTITY_MESSAGE = "is not a Kubernetes quantity"
POSITIVE_MESSAGE = "must be greater than zero"

# Whitespace as the CronJob controller splits fields (Go's unicode.IsSpace), in RE2 and in
# Python syntax.
_WS = r"[\t\n\v\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"
_WS_PYTHON = "[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _any_case(words: str) -> str:
    """``jan|feb`` as ``[jJ][aA][nN]|[fF][eE][bB]``: exact in every engine, where ``(?i)`` also
    folds Unicode look-alikes (``ſ`` for ``s``) differently from engine to engine."""
    return "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)
        for word in words.split("|")
    )


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MACROS = _any_case("yearly|annually|monthly|weekly|daily|midnight|hourly")


def _accepted(position: int, candidates: list[str]) -> list[str]:
    """The candidates ``cron.schedule_problem`` accepts in field ``position`` of a schedule.

    The rule is derived from the Python check, so the two agree on every number and name by
    construction; a change to ``cron.py`` changes :data:`CRON_RULE`, and the parity test asks for
    the CRDs' copies to be rewritten (``pytest tests/unit/test_admission_parity.py
    --update-golden``).
    """
    accepted = []
    for candidate in candidates:
        fields = ["0", "0", "1", "1", "0"]
        fields[position] = candidate
        if not cron.schedule_problem(" ".join(fields)):
            accepted.append(candidate)
    return accepted


def _numbers_regex(numbers: list[int]) -> str:
    """``0*`` and an alternation for a set of numbers below 100, runs of tens merged:
    0-59 is ``0*([0-9]|[1-5][0-9])``."""
    by_tens: list[tuple[int, str]] = []
    for tens in range(10):
        ones = [n % 10 for n in numbers if n // 10 == tens]
        if ones:
            by_tens.append((tens, _digits(ones)))
    parts: list[str] = []
    index = 0
    while index < len(by_tens):
        tens, units = by_tens[index]
        last = index
        while (
            last + 1 < len(by_tens)
            and tens != 0
            and by_tens[last + 1] == (by_tens[last][0] + 1, units)
        ):
            last += 1
        if tens == 0:
            parts.append(units)
        else:
            parts.append(_digits(list(range(tens, by_tens[last][0] + 1))) + units)
        index = last + 1
    return f"0*({'|'.join(parts)})"


def _digits(digits: list[int]) -> str:
    low, high = min(digits), max(digits)
    if digits == list(range(low, high + 1)):
        return f"[{low}-{high}]" if high > low else str(low)
    return "[" + "".join(str(d) for d in digits) + "]"


def _field_values(position: int) -> tuple[str, bool]:
    numbers = [int(n) for n in _accepted(position, [str(n) for n in range(100)])]
    names = _accepted(position, [*_MONTHS, *_DAYS])
    values = _numbers_regex(numbers) + ("|" + _any_case("|".join(names)) if names else "")
    return values, bool(_accepted(position, ["?"]))


# Each cron field's values as a regex (numbers in range, leading zeros allowed as the CronJob
# controller reads them, names in any case) and whether "?" is allowed there.
_CRON_FIELDS = tuple(_field_values(position) for position in range(5))


def _cron_field(values: str, question: bool) -> str:
    start = "[*?]" if question else "[*]"
    item = f"({start}|({values})(-({values}))?)(/0*[1-9][0-9]*)?"
    return f"{item}(,{item})*"


def _cron_regex(ws: str, end: str) -> str:
    fields = f"{ws}+".join(_cron_field(values, question) for values, question in _CRON_FIELDS)
    return f"^{ws}*(@({_MACROS})|{fields}){ws}*{end}"


CRON_REGEX = _cron_regex(_WS, "$")
# A raw CEL string: the regex keeps its backslashes.
CRON_RULE = f'self.matches(r"{CRON_REGEX}")'


def _span(position: int) -> str:
    numbers = [int(n) for n in _accepted(position, [str(n) for n in range(100)])]
    return f"{min(numbers)}-{max(numbers)}"


CRON_MESSAGE = (
    'is not a cron schedule: use five fields "minute hour day-of-month month day-of-week"'
    f" (minute {_span(0)}, hour {_span(1)}, day {_span(2)}, month {_span(3)} or jan-dec,"
    f' weekday {_span(4)} or sun-sat), e.g. "0 3 * * *" or "*/15 * * * 1-5", or one of'
    " @hourly, @daily, @weekly, @monthly, @yearly"
)


def _quantity_hint(value: Any) -> str:
    return quantity.suggest(str(value))


def _cron_hint(value: Any) -> str:
    return cron.schedule_problem(value) if isinstance(value, str) else ""


_QUANTITY_PYTHON = re.compile(QUANTITY_REGEX.replace("$", r"\Z"))
_POSITIVE_PYTHON = re.compile(r"[+]?[.0-9]*[1-9]")
_CRON_PYTHON = re.compile(_cron_regex(_WS_PYTHON, r"\Z"))


def _string_or_int(value: Any) -> bool:
    if type(value) is int:
        return True
    if type(value) is str:
        return False
    raise TypeError(f"no such overload: matches on {type(value).__name__}")


def _is_quantity(value: Any) -> bool:
    return _string_or_int(value) or _QUANTITY_PYTHON.match(value) is not None


def _is_positive(value: Any) -> bool:
    if _string_or_int(value):
        return bool(value > 0)
    return _QUANTITY_PYTHON.match(value) is None or _POSITIVE_PYTHON.match(value) is not None


def _is_schedule(value: Any) -> bool:
    if type(value) is not str:
        raise TypeError(f"no such overload: matches on {type(value).__name__}")
    return _CRON_PYTHON.match(value) is not None


def _limit_check(request: str, limit: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            raise TypeError(f"no such key: {request}")
        low, high = value.get(request), value.get(limit)
        if low is None or high is None:
            return True
        if not all(type(v) in (int, str) for v in (low, high)):
            raise TypeError("no such overload: string")
        texts = [str(low), str(high)]
        if not all(_QUANTITY_PYTHON.match(text) for text in texts):
            return True
        return quantity.parse_quantity(texts[1]) >= quantity.parse_quantity(texts[0])

    return check


# The same rules in Python, for ``schema.py``: CEL compiles a rule's regex again on every call
# (0.5 ms for the cron rule). tests/unit/test_admission_parity.py checks they give CEL's answers.
FAST: dict[str, Callable[[Any], bool]] = {
    QUANTITY_RULE: _is_quantity,
    POSITIVE_QUANTITY_RULE: _is_positive,
    CRON_RULE: _is_schedule,
    **{rule: _limit_check(*pair) for pair, (rule, _) in LIMIT_RULES.items()},
}
# Checks that were Python and are now rules in one CRD each (rule, message): the server refuses
# these specs too. No Python check relies on them, so they do not keep the per-kind checks from
# running (every problem is reported at once). tests/unit/test_admission_parity.py finds each in
# a CRD.
MOVED = (
    ("!(has(self.autoscale) && self.workload == 'Deployment' && self.replicas != 1)",
     "is ignored when autoscale is set; remove replicas and set autoscale.min instead"),
    ("!(self.security.hostNetwork && self.workload == 'Deployment' && self.replicas > 1)",
     "with more than one replica makes pods on one node fight for the ports; use workload"
     " DaemonSet for node agents"),
    ("!has(self.ingress) || self.expose.enabled",
     "must be true with an ingress; the Ingress routes to the app's Service"),
    ("has(self.rps) || has(self.rpm) || has(self.connections)",
     "sets no limit; set rps, rpm or connections"),
    ("self.kind != 'Database' || has(self.engine) || has(self.port)",
     "is needed for a Database without port; set engine (postgres, mysql, mongodb, redis) or port"),
    ("self.kind != 'App' || !has(self.engine)", "applies to kind Database only"),
    ("self.completions >= self.parallelism",
     "is more than completions; extra pods would have nothing to do; lower parallelism or raise"
     " completions"),
    ("type(self) == int || self.matches('^[0-9]+%$')",
     'is not a number or a percentage; e.g. 1 or "25%"'),
    ("type(self) != int || self >= 0", "is negative"),
    ("self.operator != 'Exists' || !has(self.value) || self.value == ''",
     "must be empty with operator Exists"),
    ("self.operator != 'Equal' || (has(self.key) && self.key != '')",
     "is required with operator Equal; or use operator Exists"),
    ("!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
     "applies to effect NoExecute only"),
    ("!(self.engine == 'mysql' && self.username == 'root')",
     'is the mysql administrator; choose an application user name such as "app"; root\'s'
     " password is the Secret's root-password key"),
    ("!(self.engine == 'mongodb' && self.username == 'root')",
     'is the mongodb administrator; choose an application user name such as "app"'),
    ("!(self.model.accessMode == 'ReadWriteOnce' && self.training.workers > 1)",
     "cannot be shared by training workers on different nodes; use ReadWriteMany (a StorageClass"
     " such as NFS, EFS or Filestore)"),
    ("!(self.model.accessMode == 'ReadWriteOnce' && self.training.workers <= 1"
     " && self.inference.enabled && !has(self.model.registry))",
     "cannot be shared by the training Job and the inference pods, which load the model from the"
     " volume when model.registry is not set; use ReadWriteMany, or set model.registry so"
     " inference loads from the registry"),
    ("!self.matches('^([0-9]+[dhms])+$') || self.matches('[1-9]')",
     'must be longer than zero; e.g. "30m" or "24h"'),
    ("type(self) == string || type(self) == int || type(self) == double || type(self) == bool",
     "has the wrong type; expected a string, number or boolean"),
    ("!(self.inference.enabled && has(self.inference.autoscale))"
     " || (has(self.inference.resources) && has(self.inference.resources.cpu))",
     "is required with autoscale: the autoscaler measures CPU use against the request; set it,"
     ' e.g. "1"'),
)  # fmt: skip
# Rules whose failure leaves the spec well-formed for the per-kind Python checks: the shared
# rules (quantities, cron, limits), whose Python check then says the same with a better message
# (it replaces the rule's), and the moved ones.
NON_BLOCKING = frozenset(
    {
        QUANTITY_RULE,
        POSITIVE_QUANTITY_RULE,
        CRON_RULE,
        *(rule for rule, _ in LIMIT_RULES.values()),
        *(rule for rule, _ in MOVED),
    }
)
# rule expression -> the hint for a value it refused.
HINTS: dict[str, Callable[[Any], str]] = {
    QUANTITY_RULE: _quantity_hint,
    CRON_RULE: _cron_hint,
}
