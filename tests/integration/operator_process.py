"""The operator as a subprocess against an emulator: used by the integration tests and bench/.

``OperatorProcess`` starts ``python -m konfiguru_operator`` (exactly what ``konfiguru operator
run`` and the container run) with the emulator's kubeconfig and a short resync interval, waits
for its liveness endpoint, reads its ``/metrics``, and stops it with SIGTERM like Kubernetes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OperatorProcess:
    """One operator subprocess; ``start``/``stop``/``restart``, ``probe()``, ``log``."""

    def __init__(self, emulator: Emulator, workdir: Path, **env: str) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.env = {
            **emulator.env,
            "KONFIGURU_RESYNC_SECONDS": "0.5",
            "KONFIGURU_RETRY_BASE_SECONDS": "0.1",
            "KONFIGURU_RETRY_MAX_SECONDS": "1",
            "KONFIGURU_STANDALONE": "true",
            "KONFIGURU_LOG_FORMAT": "full",
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "generators"), str(ROOT / "operator"), os.environ.get("PYTHONPATH", "")]
            ),
            **env,
        }
        self.port = free_port()
        self.metrics_port = free_port()
        self.env["KONFIGURU_METRICS_PORT"] = str(self.metrics_port)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / f"operator-{self.starts}.log"

    @property
    def log(self) -> str:
        return "\n".join(
            (self.workdir / f"operator-{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
            if (self.workdir / f"operator-{n}.log").exists()
        )

    def start(self, *args: str, kopf_cli: bool = False) -> OperatorProcess:
        """Start ``python -m konfiguru_operator ARGS`` (or, with ``kopf_cli``, Kopf's own
        ``kopf run -m konfiguru_operator ARGS``); default args ``-n default``."""
        self.starts += 1
        entry = ["kopf", "run", "-m", "konfiguru_operator"] if kopf_cli else ["konfiguru_operator"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    *entry,
                    *(args or ("-n", "default")),
                    "--liveness",
                    f"http://127.0.0.1:{self.port}/healthz",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the operator exited at start:\n{self.log}")
            try:
                self.probe()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the operator did not answer its liveness probe:\n{self.log}")

    def probe(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
            result: dict[str, Any] = json.loads(response.read() or b"{}")
            return result

    def metrics(self) -> dict[str, float]:
        """The operator's /metrics (the liveness probe caches its answers for 10 s)."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2
        ) as response:
            text = response.read().decode()
        return {
            line.split()[0]: float(line.split()[1])
            for line in text.splitlines()
            if line and not line.startswith("#")
        }

    def reconciles(self) -> int:
        return int(self.metrics()["konfiguru_reconciles_total"])

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.terminate()  # SIGTERM, as Kubernetes sends it
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def restart(self) -> OperatorProcess:
        self.stop()
        return self.start()
