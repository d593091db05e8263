"""Shared pieces of the command line: JSON output, errors, dataset arguments."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


class CliError(Exception):
    """An error the command line reports in one line, with exit status 2."""


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
    parser.set_defaults(_handler=handler)
    return parser


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
    try:
        result = handler(args)
    except (FileNotFoundError, FileExistsError, ValueError, KeyError) as err:
        raise CliError(str(err).strip("'\"")) from err
    if result is not None:
        print_result(result, getattr(args, "json", False))
    sys.stdout.flush()
    return 0
