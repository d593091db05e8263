"""The ``socalign`` command line: parses, calls the library, prints (one JSON object with --json).

Each topic registers its subcommands from its own module, so that the parser stays small
and each command lives beside the code it calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from socalign import __version__
from socalign.cli import analyses, book, data, metrics, models, train
from socalign.cli.common import CliError, run_command

_TOPICS = (data, metrics, models, train, analyses, book)


def build_parser() -> argparse.ArgumentParser:
    """Return the full ``socalign`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="socalign",
        description="Align video models with human social judgments (Garcia & Isik 2025).",
    )
    parser.add_argument("--version", action="version", version=f"socalign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for topic in _TOPICS:
        topic.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``socalign`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run_command(args)
    except CliError as err:
        print(f"socalign: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
