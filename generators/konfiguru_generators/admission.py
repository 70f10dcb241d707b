"""The rules the CRDs share for checks the API server must run at admission (the quantity
pattern, the cron rule, checks moved from Python), and what Python adds to their messages.

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

Quantities are int-or-string fields, and the API server costs a CEL rule on one as if its string
were as long as a request (``maxLength`` is not used), so a ``matches`` there exceeds the cost
budget inside a list (``crdcheck.py`` models this). They are checked as the core types check
theirs: an OpenAPI ``pattern`` (strings) and ``minimum`` (numbers), which cost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import cron, quantity

# A Kubernetes quantity (resource.ParseQuantity): sign, decimal number, then a binary suffix, a
# decimal suffix or an integer exponent. No backslashes, so it reads the same in YAML and RE2.
QUANTITY_REGEX = (
    "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
# The CRD pattern of every quantity field: a quantity greater than zero (no minus sign, a non-zero
# digit before the suffix); numbers get ``minimum: 1``.
QUANTITY_PATTERN = (
    "^[+]?([0-9]*[1-9][0-9]*([.][0-9]*)?|[0-9]*[.][0-9]*[1-9][0-9]*)"
    "(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)

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


def quantity_pattern_error(value: Any) -> tuple[str, str]:
    """The message and hint for a string the quantity pattern refused: not a quantity (with a
    guess at what was meant), or not greater than zero."""
    text = str(value)
    if re.match(QUANTITY_REGEX.replace("$", r"\Z"), text):
        return "must be greater than zero", ""
    return "is not a Kubernetes quantity", quantity.suggest(text)


def _cron_hint(value: Any) -> str:
    return cron.schedule_problem(value) if isinstance(value, str) else ""


_CRON_PYTHON = re.compile(_cron_regex(_WS_PYTHON, r"\Z"))


def _is_schedule(value: Any) -> bool:
    if type(value) is not str:
        raise TypeError(f"no such overload: matches on {type(value).__name__}")
    return _CRON_PYTHON.match(value) is not None


# The same rules in Python, for ``schema.py``: CEL compiles a rule's regex again on every call
# (0.5 ms for the cron rule). tests/unit/test_admission_parity.py checks they give CEL's answers.
FAST: dict[str, Callable[[Any], bool]] = {
    CRON_RULE: _is_schedule,
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
    ("!(self.inference.enabled && has(self.inference.autoscale))"
     " || (has(self.inference.resources) && has(self.inference.resources.cpu))",
     "is required with autoscale: the autoscaler measures CPU use against the request; set it,"
     ' e.g. "1"'),
)  # fmt: skip
# Rules whose failure leaves the spec well-formed for the per-kind Python checks: the cron rule,
# whose Python check then says the same with a better message (it replaces the rule's), and the
# moved ones. (A failed quantity pattern or minimum is as harmless: schema.py counts those too.)
NON_BLOCKING = frozenset({CRON_RULE, *(rule for rule, _ in MOVED)})
# rule expression -> the hint for a value it refused.
HINTS: dict[str, Callable[[Any], str]] = {CRON_RULE: _cron_hint}
