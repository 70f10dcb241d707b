"""The operator's policy: ``KONFIGURU_POLICY_FILE`` read once and compiled to CEL checks.

Called at start-up by ``__main__`` (a bad file is reported before Kopf starts, like any unusable
setting) and by the ``Reconciler``, which stalls a violating resource (``PolicyViolation``).
The checks are ``konfiguru_generators.policy``'s: the CLI and the admission export use the same.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from konfiguru_generators import SpecError, policy

from .settings import SettingsError


def load_policy(path: str) -> list[policy.Check]:
    """The checks of the policy file; none without one."""
    if not path:
        return []
    try:
        return policy.compile_policy(yaml.safe_load(Path(path).read_text("utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SettingsError(f"KONFIGURU_POLICY_FILE={path!r}: {error}") from error
    except SpecError as error:
        raise SettingsError(f"KONFIGURU_POLICY_FILE={path!r}: {error.message}") from error
