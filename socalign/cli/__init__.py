"""The ``socalign`` command line: parses, calls the library, prints (one JSON object with --json).

Each topic registers its subcommands from its own module, so that the parser stays small
and each command lives beside the code it calls.
"""

from __future__ import annotations

import argparse
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from socalign import __version__
from socalign.cli import (
    analyses,
    book,
    data,
    design,
    export,
    labs,
    metrics,
    models,
    train,
    transfer,
)
from socalign.cli.errors import (
    DEBUG_ENV,
    USER_ERRORS,
    debug_enabled,
    error_message,
    error_where,
    json_errors,
    one_line,
    report_error,
)
from socalign.cli.output import print_result
from socalign.cli.parser import (
    Handler,
    Parser,
    add_debug_flag,
    add_verbose_flag,
    logging_to_stderr,
    progress_enabled,
    verbosity,
)

_TOPICS = (data, metrics, models, train, analyses, transfer, design, book, export, labs)


def build_parser() -> argparse.ArgumentParser:
    """Return the full ``socalign`` argument parser."""
    parser = Parser(
        prog="socalign",
        description="Align video models with human social judgments (Garcia & Isik 2025).",
    )
    parser.add_argument("--version", action="version", version=f"socalign {__version__}")
    add_debug_flag(parser)
    add_verbose_flag(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for topic in _TOPICS:
        topic.register(sub)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Run the handler that a subcommand registered and print what it returns.

    A command with DATASET and ``--videos DIR``
    (:func:`socalign.cli.arguments.add_dataset_argument`) runs with the videos attached to
    DATASET, and every command runs with its progress bars decided once
    (:func:`socalign.cli.parser.progress_enabled`, :func:`socalign.progress.bars`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments (``_handler`` and ``_human`` set by
        :func:`socalign.cli.parser.add_command`).

    Returns
    -------
    int
        The exit status, 0 (errors are raised).
    """
    from socalign.data.registry import attached_videos
    from socalign.progress import bars

    handler: Handler = args._handler
    dataset, videos = getattr(args, "dataset", None), getattr(args, "videos", None)
    with bars(progress_enabled(args)):  # every bar, socalign's and the libraries', obeys
        if dataset is not None and isinstance(videos, Path):  # --videos of add_dataset_argument
            with attached_videos(dataset, videos):
                result = handler(args)
        else:
            result = handler(args)
    if result is not None:
        print_result(result, getattr(args, "json", False), getattr(args, "_human", None))
    sys.stdout.flush()
    return 0


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    print(f"socalign: warning: {one_line(str(message))}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``socalign`` command.

    ``-v``/``--verbose`` (before or after the command) logs cache hits and misses, downloads
    and the video decoder on stderr; ``-vv`` adds per-file records. Exit status 0 on success; 2 for an error the user can fix (one line on stderr naming the
    argument or the file, line and column; under ``--json`` also ``{"error", "where"}`` on
    stdout); 1 for an internal error (the traceback only under ``--debug`` or
    ``SOCALIGN_DEBUG=1``); 130 when interrupted (Ctrl-C).

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    with json_errors("--json" in argv):
        return _main(argv, debug_enabled(argv))


def _main(argv: list[str], debug: bool) -> int:
    """:func:`main` with its errors as JSON too under ``--json``."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            args = build_parser().parse_args(argv)
            with logging_to_stderr(verbosity(args)):
                return run_command(args)
    except KeyboardInterrupt:
        print("socalign: interrupted", file=sys.stderr, flush=True)
        return 130
    except USER_ERRORS as err:
        if debug:
            traceback.print_exc()
        report_error(error_message(err), error_where(err))
        return 2
    except Exception as err:
        if debug:
            traceback.print_exc()
        hint = "" if debug else f" (rerun with --debug or {DEBUG_ENV}=1 for the traceback)"
        report_error(f"{type(err).__name__}: {error_message(err)}{hint}", None, internal=True)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
