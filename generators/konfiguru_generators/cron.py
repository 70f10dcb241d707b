"""Cron schedules as the Kubernetes CronJob controller reads them, checked with clear messages.

The controller uses the standard five-field syntax of robfig/cron v3 (minute 0-59, hour 0-23,
day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or sun-sat: ``7`` is an error there,
not a second Sunday as in some crons) plus the macros ``@yearly``, ``@annually``, ``@monthly``,
``@weekly``, ``@daily``, ``@midnight`` and ``@hourly``; ``TZ=``/``CRON_TZ=`` prefixes are refused in
favour of ``timeZone``. Called by ``checks_common.py`` (App, MLPipeline, DataPipeline) and the
Database checks.
"""

from __future__ import annotations

import re

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, low, high, names that stand for numbers)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: index + 1 for index, name in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {name: index for index, name in enumerate(_DAYS)}),
)
_ITEM = re.compile(r"^(?P<range>\*|\?|[^-/]+(?:-[^-/]+)?)(?:/(?P<step>[0-9]+))?\Z")
# What Go's strings.Fields splits on (unicode.IsSpace), as robfig/cron does: not Python's
# str.split(), which also splits on \x1c-\x1f.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_FIELD_SEPARATOR = re.compile(f"[{_GO_SPACE}]+")
HINT = (
    'five fields "minute hour day-of-month month day-of-week", e.g. "0 3 * * *" (03:00 daily)'
    ' or "*/15 * * * *"; or one of ' + ", ".join(MACROS)
)


def _number(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if re.fullmatch("[0-9]+", text):  # ASCII digits only: "²".isdigit() is true, int() fails
        value = int(text)
        return value if low <= value <= high else None
    return None


def _field_problem(text: str, name: str, low: int, high: int, names: dict[str, int]) -> str:
    for item in text.split(","):
        match = _ITEM.match(item)
        if not match:
            return f'the {name} field "{text}" is not a value, range, list or step'
        if match["step"] is not None and int(match["step"]) == 0:
            return f'the {name} field "{text}" has a step of 0'
        part = match["range"]
        if part == "?" and name not in ("day of month", "day of week"):
            return f'"?" is only allowed in day of month and day of week, not {name}'
        if part in ("*", "?"):
            continue
        bounds = part.split("-")
        values = [_number(bound, low, high, names) for bound in bounds]
        if any(value is None for value in values):
            if name == "day of week" and "7" in bounds:
                return (
                    f'the day of week field "{text}" uses 7, which Kubernetes refuses:'
                    " Sunday is 0 (days are 0-6 or sun-sat)"
                )
            return f'the {name} field "{text}" must use numbers {low}-{high}' + (
                " or names " + "-".join((next(iter(names)), list(names)[-1])) if names else ""
            )
        low_value, high_value = values[0], values[-1]
        if low_value is not None and high_value is not None and low_value > high_value:
            return f'the {name} range "{part}" runs backwards'
    return ""


def schedule_problem(schedule: str) -> str:
    """Why a schedule is not valid for a CronJob, or ``""`` when it is."""
    text = re.sub(f"^[{_GO_SPACE}]+|[{_GO_SPACE}]+$", "", schedule)
    if re.match(r"^(CRON_)?TZ=", text):
        return "time zones in the schedule are not supported by Kubernetes; use timeZone"
    if text.startswith("@"):
        if text.lower() in MACROS:
            return ""
        return f'"{text}" is not a known macro'
    fields = _FIELD_SEPARATOR.split(text) if text else []
    if len(fields) != len(_FIELDS):
        return f"has {len(fields)} fields, not 5"
    for value, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        problem = _field_problem(value, name, low, high, names)
        if problem:
            return problem
    return ""
