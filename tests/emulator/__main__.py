"""Run the emulator on its own: ``cd tests && python -m emulator [--port N] [--kubeconfig PATH]``.

For poking at it with kubectl or running an operator by hand; tests use the fixture instead.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .harness import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--kubeconfig", type=Path, help="where to write the kubeconfig (default: a temp dir)"
    )
    parser.add_argument(
        "--no-controllers", action="store_true", help="do not simulate workload readiness"
    )
    args = parser.parse_args()
    workdir = args.kubeconfig.parent if args.kubeconfig else None
    emulator = Emulator(workdir=workdir, controllers=not args.no_controllers, port=args.port)
    with emulator:
        if args.kubeconfig and emulator.kubeconfig != args.kubeconfig:
            args.kubeconfig.write_text(emulator.kubeconfig.read_text())
        print(
            f"emulator at {emulator.url}; "
            f"export KUBECONFIG={args.kubeconfig or emulator.kubeconfig}",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
