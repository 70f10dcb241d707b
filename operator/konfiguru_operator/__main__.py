"""``python -m konfiguru_operator`` (and ``konfiguru operator run``): run the operator.

A thin front to ``kopf run -m konfiguru_operator`` that takes its defaults from ``KONFIGURU_*``
(see ``settings.py``): namespaces, liveness endpoint, peering, log format and level. Flags win
over variables. Kopf handles SIGTERM and SIGINT: in-flight reconciles are stopped, the cleanup
handler closes the client, and the process exits.

    python -m konfiguru_operator -A                 # every namespace
    python -m konfiguru_operator -n shop -n blog    # these namespaces only
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .policies import load_policy
from .settings import Settings, SettingsError
from .templates import check_templates


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="konfiguru operator run",
        description="Run the Konfiguru operator (Kopf) against the current cluster.",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=None,
        help="watch this namespace (repeatable; default KONFIGURU_NAMESPACES)",
    )
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    parser.add_argument(
        "--liveness",
        default=settings.liveness,
        help="liveness endpoint URL, empty to disable (default KONFIGURU_LIVENESS)",
    )
    parser.add_argument(
        "--standalone",
        action="store_true",
        default=settings.standalone,
        help="no peering: for exactly one replica (default KONFIGURU_STANDALONE)",
    )
    parser.add_argument("--priority", type=int, default=settings.priority)
    parser.add_argument(
        "--peering",
        default=None,
        help="KopfPeering name; given here, the peering object must exist"
        " (default KONFIGURU_PEERING_NAME, used when the peering CRDs are installed)",
    )
    parser.add_argument(
        "--log-format", choices=("plain", "full", "json"), default=settings.log_format
    )
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), default=settings.log_level
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
        load_policy(settings.policy_file)
        check_templates(settings.templates_dir)
    except SettingsError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    args = build_parser(settings).parse_args(argv)
    namespaces = args.namespace or ([] if args.all_namespaces else list(settings.namespaces))

    import kopf  # imported late: a bad setting is reported without Kopf's startup cost

    from . import handlers  # noqa: F401 - registers the handlers

    kopf.configure(
        debug=args.log_level == "debug",
        quiet=args.log_level in ("warning", "error"),
        log_format={
            "plain": kopf.LogFormat.PLAIN,
            "full": kopf.LogFormat.FULL,
            "json": kopf.LogFormat.JSON,
        }[args.log_format],
    )
    if args.log_level == "error":
        logging.getLogger().setLevel(logging.ERROR)
    kopf.run(
        clusterwide=not namespaces,
        namespaces=namespaces,
        standalone=args.standalone,
        priority=args.priority,
        peering_name=args.peering,
        liveness_endpoint=args.liveness or None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
