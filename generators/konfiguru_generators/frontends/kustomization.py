"""Kustomization directories as input: ``konfiguru render -f overlays/prod`` builds the directory
with the real ``kubectl kustomize`` and reads the Konfiguru resources it prints.

GitOps repositories often keep the ``*.kfg.yaml`` resources in a Kustomize base with one overlay
per cluster (a namespace, a name prefix, labels, patches of a resource's ``spec``). Kustomize's
semantics (generators, transformers, components, remote bases, the patch kinds) are large and
versioned; a second implementation here would disagree with the one Argo CD and Flux run. So a
directory holding a kustomization file is built by kubectl's own Kustomize, the engine every
Konfiguru user already has, and the YAML it prints enters the ordinary YAML front end: nothing
after the waist knows the resources came from Kustomize.

The one module of the generators that starts a process (the import-linter contract in
``pyproject.toml`` and ``tests/unit/test_generator_contracts.py`` name it), and only when the CLI
is given such a directory; rendering, validation and the operator never reach it. Called by
``cli.py``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# The file names Kustomize looks for, in its order.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Long enough for a remote base on a slow network, short enough that a hang is reported.
TIMEOUT_SECONDS = 120.0
# kubectl logs its error through klog: `E1206 01:30:43.95 10054 run.go:72] "command failed"
# err="..."`; the user needs only what is inside err="...".
_KLOG_ERROR = re.compile(r'^[EFW]\d{4} [^\]]*\] "command failed" err="(?P<error>.*)"$')


class KustomizeError(Exception):
    """The directory could not be built; the message says why and what to do."""


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of ``directory``, or None when it is a plain directory."""
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    return None


def build(directory: Path, kubectl: str = "kubectl") -> str:
    """The YAML ``kubectl kustomize DIRECTORY`` prints (every resource, after Kustomize)."""
    command = [kubectl, "kustomize", str(directory)]
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError as error:
        raise KustomizeError(
            f"{directory}: is a kustomization directory; building it needs kubectl on PATH"
            " (kubectl kustomize). Install kubectl, or render the resource files themselves"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise KustomizeError(
            f"{directory}: kubectl kustomize did not finish in {TIMEOUT_SECONDS:.0f} s"
        ) from error
    if result.returncode != 0:
        message = _message(result.stderr) or f"exit {result.returncode}"
        raise KustomizeError(f"{directory}: kubectl kustomize failed: {message}")
    return result.stdout


def _message(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    match = _KLOG_ERROR.match(last)
    if match:
        return match["error"].replace('\\"', '"')
    return last.removeprefix("error: ")
