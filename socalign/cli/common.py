"""Shared pieces of the command line: JSON output, errors, dataset arguments."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

DEBUG_ENV = "SOCALIGN_DEBUG"


class CliError(Exception):
    """An error the command line reports in one line, with exit status 2.

    Parameters
    ----------
    message
        What is wrong and what to do.
    where
        The argument, file or ``file, line N, column C`` it concerns (None: not one place).
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where


#: Exceptions a user's input or environment causes: exit status 2, one line, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    CliError, ValueError, KeyError, FileNotFoundError, FileExistsError, NotADirectoryError,
    IsADirectoryError, PermissionError,
)


def one_line(text: str) -> str:
    """``text`` with its line breaks folded into single spaces."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def error_message(err: BaseException) -> str:
    """The message of ``err`` as one line, quotes kept (a KeyError's own repr is dropped)."""
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        return one_line(err.args[0])
    return one_line(str(err)) or type(err).__name__


def error_where(err: BaseException) -> str | None:
    """Where ``err`` points: an argument, a file, or a file's line and column (None: nowhere)."""
    from socalign.data.errors import BenchmarkError

    where = getattr(err, "where", None)
    if where:
        return str(where)
    if isinstance(err, BenchmarkError) and err.path is not None:
        parts = [str(err.path)]
        if err.line is not None:
            parts.append(f"line {err.line}")
        if err.column is not None:
            parts.append(f"column {err.column!r}")
        return ", ".join(parts)
    if isinstance(err, OSError) and err.filename is not None:
        return str(err.filename)
    match = re.match(r"(?:argument )?(--[a-z][a-z0-9-]*)\b", error_message(err))
    return match.group(1) if match else None


def debug_enabled(argv: Sequence[str]) -> bool:
    """True under ``--debug`` or ``SOCALIGN_DEBUG=1`` (tracebacks are shown)."""
    return "--debug" in argv or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")


_JSON_ERRORS = {"on": False}


def report_error(message: str, where: str | None, internal: bool = False) -> None:
    """Print one ``socalign: error:`` line on stderr (and the JSON object under ``--json``)."""
    kind = "internal error" if internal else "error"
    print(f"socalign: {kind}: {message}", file=sys.stderr, flush=True)
    if _JSON_ERRORS["on"]:
        payload: dict[str, Any] = {"error": message, "where": where}
        if internal:
            payload["internal"] = True
        print(json.dumps(payload), flush=True)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and JSON under ``--json``)."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        """Report a usage error in one line and exit with status 2."""
        match = re.match(r"argument ([^:]+):", message) or re.search(r"required: ([^,\s]+)", message)
        where = match.group(1).split("/")[0] if match else None
        report_error(f"{self.prog}: {one_line(message)} (see `{self.prog} --help`)", where)
        sys.exit(2)


Handler = Callable[[argparse.Namespace], "dict[str, Any] | None"]


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    help: str,
    json_flag: bool = True,
) -> argparse.ArgumentParser:
    """Add a subcommand whose handler returns a dict (printed as JSON with --json)."""
    parser = sub.add_parser(name, help=help, description=help)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_debug_flag(parser)
    parser.set_defaults(_handler=handler)
    return parser


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show the traceback of an error (also ``SOCALIGN_DEBUG=1``)."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=f"show tracebacks of errors (or set {DEBUG_ENV}=1)")


def add_group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """Add a command group such as ``data`` whose subcommands follow."""
    parser = sub.add_parser(name, help=help, description=help)
    group = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    group.required = True
    return group


def add_dataset_argument(parser: argparse.ArgumentParser) -> None:
    """DATASET: a path to a benchmark folder or a registered name such as garcia2025."""
    parser.add_argument(
        "dataset",
        metavar="DATASET",
        help="a benchmark folder, or a registered name (garcia2025)",
    )


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and NaN to plain JSON values (NaN -> null)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def print_result(result: dict[str, Any], as_json: bool) -> None:
    """Print a handler's result: one JSON object, or ``key: value`` lines."""
    clean = to_jsonable(result)
    if as_json:
        print(json.dumps(clean, indent=2, sort_keys=False))
        return
    for key, value in clean.items():
        if isinstance(value, dict | list):
            value = json.dumps(value)
        print(f"{key}: {value}")


def run_command(args: argparse.Namespace) -> int:
    """Run the handler that a subcommand registered and print what it returns."""
    handler: Handler = args._handler
    result = handler(args)
    if result is not None:
        print_result(result, getattr(args, "json", False))
    sys.stdout.flush()
    return 0
