"""The command line's errors and notes: one line each on stderr, exit status 2 for the user's.

An error the user can fix (:data:`USER_ERRORS`) is one ``socalign: error:`` line naming where
it is (:func:`error_where`: an argument, a file, a file's line and column), and under
``--json`` also one ``{"error", "where"}`` object on stdout (:func:`json_errors`); a bug is an
``internal error`` with its traceback only under ``--debug`` (:func:`debug_enabled`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from socalign.cache import NotWritableError

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


#: Exceptions a user's input or environment causes: exit status 2, one line, no traceback
#: (:class:`socalign.cache.NotWritableError`: a read-only or full file system).
USER_ERRORS: tuple[type[BaseException], ...] = (
    CliError, ValueError, KeyError, FileNotFoundError, FileExistsError, NotADirectoryError,
    IsADirectoryError, PermissionError, NotWritableError,
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


_JSON_ERRORS: list[bool] = []  # whether the command running now was given --json (innermost last)


@contextlib.contextmanager
def json_errors(on: bool) -> Iterator[None]:
    """While the block runs, :func:`report_error` also prints each error as a JSON object.

    Parameters
    ----------
    on : bool
        The command was given ``--json`` (its errors are JSON on stdout too).

    Yields
    ------
    None
        While the choice holds.
    """
    _JSON_ERRORS.append(bool(on))
    try:
        yield
    finally:
        _JSON_ERRORS.pop()


def report_error(message: str, where: str | None, internal: bool = False) -> None:
    """Print one ``socalign: error:`` line on stderr (and the JSON object under ``--json``).

    Parameters
    ----------
    message : str
        The error, one line.
    where : str or None
        The argument, file or place it concerns (the JSON object's ``where``; None: nowhere).
    internal : bool, default False
        A bug rather than a user's error: ``internal error`` in the line and
        ``"internal": true`` in the JSON object.

    Returns
    -------
    None
    """
    kind = "internal error" if internal else "error"
    print(f"socalign: {kind}: {message}", file=sys.stderr, flush=True)
    if _JSON_ERRORS and _JSON_ERRORS[-1]:
        payload: dict[str, Any] = {"error": message, "where": where}
        if internal:
            payload["internal"] = True
        print(json.dumps(payload), flush=True)


def note(message: str) -> None:
    """A one-line ``socalign: note:`` on stderr (e.g. an older file without a record)."""
    print(f"socalign: note: {one_line(message)}", file=sys.stderr, flush=True)
