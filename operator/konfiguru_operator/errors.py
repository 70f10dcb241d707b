"""The one boundary where failures become outcomes: stalled (needs a person) or retry (transient).

The reconciles run in ``reconciler.Scheduler``, which asks :func:`classify` what an exception
means, in this one place:

- :class:`Stalled` — the spec cannot be rendered (a generator ``SpecError``), or the API server
  refused a child for good (an immutable field, a name taken by another owner, a kind the
  cluster does not serve). The resource reports ``Stalled`` with the message and a Warning
  event is posted; it is not retried until it changes (or the periodic resync looks again,
  which writes nothing while nothing changed). Running children are left as they are.
- :class:`Retry` — 409 conflicts, 429 throttling, 5xx, timeouts, dropped connections: tried
  again after a doubling delay (``KONFIGURU_RETRY_*``; a ``Retry-After`` header wins). Every
  step of a reconcile is idempotent, so a retry neither loses nor duplicates work. 401/403
  (missing RBAC an admin can grant) are retried at the longest delay.

Any other exception is a bug in the operator: it is logged with its traceback ("failed
unexpectedly") and retried at the longest delay.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from .kube import ApiError
from .settings import Settings

# 409: a conflicting write (or a delete precondition); 429: throttled; 5xx: server trouble.
# 404/410 of a watch or a list during a restart of the API server are also passing.
TRANSIENT_STATUS = frozenset({408, 409, 410, 425, 429, 500, 502, 503, 504})


class Stalled(Exception):
    """The resource cannot make progress without a person; ``reason`` is CamelCase."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")


class Retry(Exception):
    """A transient failure: try again after ``delay`` seconds."""

    def __init__(self, message: str, delay: float) -> None:
        self.message = message
        self.delay = delay
        super().__init__(message)


@dataclass(frozen=True)
class Outcome:
    """What one failure means: exactly one of ``stalled`` or ``retry`` is set."""

    stalled: Stalled | None = None
    retry: Retry | None = None


def is_transient(error: BaseException) -> bool:
    """Whether a failure may go away by itself (a retry is the right answer)."""
    if isinstance(error, ApiError):
        return error.status in TRANSIENT_STATUS
    return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)


def classify(error: BaseException, attempt: int, settings: Settings) -> Outcome | None:
    """Stalled, retry, or ``None`` for a bug (an exception nobody expected)."""
    if isinstance(error, Stalled):
        return Outcome(stalled=error)
    if isinstance(error, Retry):
        return Outcome(retry=error)
    if is_transient(error):
        delay = settings.retry_delay(attempt)
        if isinstance(error, ApiError) and error.retry_after:
            delay = max(delay, error.retry_after)
        return Outcome(retry=Retry(describe(error), delay))
    if isinstance(error, ApiError) and error.status in (401, 403):
        # Missing RBAC can be fixed by an admin without touching the resource: retry slowly.
        message = f"the operator is not allowed to do this: {error.message}"
        return Outcome(retry=Retry(message, settings.retry_max_seconds))
    if isinstance(error, ApiError):
        return Outcome(stalled=Stalled("Rejected", f"the API server refused: {error.message}"))
    return None


def describe(error: BaseException) -> str:
    """A one-line description of a failure for logs and conditions (never secret values)."""
    if isinstance(error, ApiError):
        return f"API error {error.status} {error.reason}: {error.message}"
    if isinstance(error, asyncio.TimeoutError):
        return "the API server did not answer in time"
    return f"{type(error).__name__}: {error}"
