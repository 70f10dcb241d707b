"""A real cluster driven through the real kubectl, for the e2e scenarios."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAMESPACE = "konfiguru-e2e"


class Cluster:
    """The handful of operations the scenarios need, through the real kubectl."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            ["kubectl", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr}")
        return result.stdout

    def apply(self, obj: dict[str, Any]) -> None:
        self.kubectl(
            "apply", "--server-side", "--field-manager=e2e-user", "-f", "-", input=json.dumps(obj)
        )

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        out = self.kubectl(
            "get",
            kind,
            name,
            "-n",
            NAMESPACE,
            "-o",
            "json",
            "--ignore-not-found",
            "--show-managed-fields",
        )
        return json.loads(out) if out.strip() else None

    def patch(self, kind: str, name: str, patch: dict[str, Any], type_: str = "merge") -> None:
        self.kubectl("patch", kind, name, "-n", NAMESPACE, "--type", type_, "-p", json.dumps(patch))

    def delete(self, kind: str, name: str) -> None:
        self.kubectl("delete", kind, name, "-n", NAMESPACE, "--wait=false")

    def wait_for(
        self,
        kind: str,
        name: str,
        check: Callable[[dict[str, Any] | None], bool],
        timeout: float = 180,
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        obj = None
        while time.monotonic() < deadline:
            obj = self.get(kind, name)
            if check(obj):
                return obj
            time.sleep(1)
        raise TimeoutError(f"{kind}/{name} did not get there in {timeout}s; last: {obj}")

    def wait_until(self, check: Callable[[], bool], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(1)
        raise TimeoutError(f"not true within {timeout}s")
