"""Shared pieces of the command line: JSON and human output, errors, dataset arguments, help.

Every handler returns one dict: printed as one JSON object under ``--json`` (its keys are the
public API), and otherwise through the command's ``human`` renderer (or :func:`format_mapping`)
as aligned text with numbers rounded to three significant digits (:func:`fmt`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from socalign.cache import NotWritableError
from socalign.text import interval, sig

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

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


_JSON_ERRORS = {"on": False}


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
    if _JSON_ERRORS["on"]:
        payload: dict[str, Any] = {"error": message, "where": where}
        if internal:
            payload["internal"] = True
        print(json.dumps(payload), flush=True)


class HelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default: ``(default: X)`` unless the help already says.

    Left out where a default says nothing: None (the help tells what happens instead), False
    (a flag that is off) and suppressed defaults.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help = action.help
        if not help or "%(default)" in help or "default" in help.lower():
            return help
        default = action.default
        if default is None or default is False or default is argparse.SUPPRESS:
            return help
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{help} (default: %(default)s)"
        return help


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and JSON under ``--json``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        """Report a usage error in one line and exit with status 2."""
        match = re.match(r"argument ([^:]+):", message) or re.search(r"required: ([^,\s]+)", message)
        where = match.group(1).split("/")[0] if match else None
        report_error(f"{self.prog}: {one_line(message)} (see `{self.prog} --help`)", where)
        sys.exit(2)


Handler = Callable[[argparse.Namespace], "dict[str, Any] | None"]
#: Renders a handler's result (JSON-able, NaN as None) as text for people.
Human = Callable[[dict[str, Any]], str]


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    help: str,
    json_flag: bool = True,
    human: Human | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand whose handler returns a dict.

    Parameters
    ----------
    sub
        The subparsers to add to.
    name, help
        The command's name and one-line description.
    handler
        Returns the result dict (or None: nothing to print).
    json_flag
        Add ``--json`` (print the result as one JSON object).
    human
        Renders the result for people (default: :func:`format_mapping`).

    Returns
    -------
    argparse.ArgumentParser
        The command's parser, for its own arguments.
    """
    parser = sub.add_parser(name, help=help, description=help)
    if json_flag:
        parser.add_argument("--json", action="store_true",
                            help="print one JSON object (for scripts) instead of tables")
    add_debug_flag(parser)
    add_verbose_flag(parser)
    add_progress_flag(parser)
    parser.set_defaults(_handler=handler, _human=human)
    return parser


def add_progress_flag(parser: argparse.ArgumentParser) -> None:
    """``--progress``: draw progress bars on stderr even when it is not a terminal."""
    parser.add_argument("--progress", action="store_true", default=False,
                        help="draw progress bars on stderr even when it is not a terminal (they "
                        "are drawn only on a terminal, and never under --json, otherwise)")


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show the traceback of an error (also ``SOCALIGN_DEBUG=1``)."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=f"show tracebacks of errors (or set {DEBUG_ENV}=1)")


def add_verbose_flag(parser: argparse.ArgumentParser) -> None:
    """``-v/--verbose``: log cache hits, downloads and decoding on stderr (``-vv``: debug)."""
    parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="log cache hits and misses, downloads and the video decoder on "
                        "stderr (-vv: also each file)")


def verbosity(args: argparse.Namespace) -> int:
    """How many ``-v`` were given (0: none)."""
    return int(getattr(args, "verbose", 0) or 0)


@contextlib.contextmanager
def logging_to_stderr(level: int) -> Iterator[None]:
    """Show the ``socalign`` logger's records on stderr while the block runs.

    Parameters
    ----------
    level : int
        0: nothing is added (library records stay silent); 1: INFO; 2 or more: DEBUG, with
        the logger's name. Stdout is never written, so ``--json`` output stays one object.
    """
    if level <= 0:
        yield
        return
    logger = logging.getLogger("socalign")
    handler = logging.StreamHandler(sys.stderr)
    fmt = "socalign: %(message)s" if level == 1 else "socalign: [%(name)s] %(message)s"
    handler.setFormatter(logging.Formatter(fmt))
    saved = logger.level
    logger.setLevel(logging.INFO if level == 1 else logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)
        handler.flush()


def add_group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """Add a command group such as ``data`` whose subcommands follow.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers to add the group to.
    name : str
        The group's name (its chosen subcommand is stored as ``<name>_command``).
    help : str
        The group's one-line description.

    Returns
    -------
    argparse._SubParsersAction
        The group's subparsers (a subcommand is required), to add its commands to.
    """
    parser = sub.add_parser(name, help=help, description=help)
    group = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    group.required = True
    return group


VIDEOS_HELP = (
    "folder holding the benchmark's video files under its own file names (garcia2025: "
    "DIR/<video_name> of video_mapping.csv; a benchmark folder: DIR/<file> of videos.csv); "
    "default: $SOCALIGN_GARCIA2025_VIDEOS for garcia2025, else the files the dataset lists"
)


def video_folder(value: str) -> Path:
    """``--videos DIR`` as a path: an existing folder (else a usage error naming it)."""
    path = Path(value).expanduser()
    if not path.is_dir():
        reason = "is not a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"video folder {path} {reason}")
    return path


def add_dataset_argument(parser: argparse.ArgumentParser) -> None:
    """DATASET (a benchmark folder or a registered name such as garcia2025) and ``--videos DIR``.

    Every command that reads a benchmark takes both from here; :func:`run_command` attaches
    ``--videos`` to DATASET for the whole command (:func:`socalign.data.registry.attached_videos`),
    so each ``load_dataset(DATASET)`` it makes, in the handler or the library, gets the videos.
    Handlers may also load it explicitly with :func:`load_benchmark`.
    """
    parser.add_argument(
        "dataset",
        metavar="DATASET",
        help="a benchmark folder, or a registered name (garcia2025)",
    )
    parser.add_argument("--videos", metavar="DIR", type=video_folder, default=None,
                        help=VIDEOS_HELP)


def load_benchmark(args: argparse.Namespace, exclude_catch: bool = True) -> Any:
    """The benchmark a command names: DATASET with ``--videos`` attached.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``dataset``, and ``videos`` when given).
    exclude_catch : bool
        Exclude catch trials from the kept trials.

    Returns
    -------
    socalign.data.types.Benchmark
    """
    from socalign.data import load_dataset

    return load_dataset(args.dataset, exclude_catch=exclude_catch,
                        videos=getattr(args, "videos", None))


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


def print_result(result: dict[str, Any], as_json: bool, human: Human | None = None) -> None:
    """Print a handler's result: one JSON object, or text for people.

    Parameters
    ----------
    result : dict
        The handler's dict (numpy values and NaN are converted first, :func:`to_jsonable`).
    as_json : bool
        Print ``json.dumps(result, indent=2)`` (the scripts' format, unchanged).
    human : callable or None, default None
        Renders the result as text (default: :func:`format_mapping`).

    Returns
    -------
    None
    """
    clean = to_jsonable(result)
    if as_json:
        print(json.dumps(clean, indent=2, sort_keys=False))
        return
    print((human or format_mapping)(clean).rstrip("\n"))


def run_command(args: argparse.Namespace) -> int:
    """Run the handler that a subcommand registered and print what it returns.

    A command with DATASET and ``--videos DIR`` (:func:`add_dataset_argument`) runs with the
    videos attached to DATASET, and every command runs with its progress bars decided once
    (:func:`progress_enabled`, :func:`socalign.progress.bars`).
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


# ---------------------------------------------------------------------------------------------
# Text for people: numbers to three significant digits, aligned tables and fields.

MISSING = "n/a"


def fmt(value: Any, digits: int = 3) -> str:
    """One value as text: floats to ``digits`` significant digits, ints exact.

    ``0.333631`` -> ``0.334``, ``174.013905`` -> ``174``, ``1e8`` -> ``1e+08``,
    ``0.0000112`` -> ``1.12e-05``; None/NaN -> ``n/a``; booleans -> ``yes``/``no``.

    Parameters
    ----------
    value : Any
        A number, string, None, or a list (joined with ", "; an empty one is ``none``).
    digits : int, default 3
        Significant digits of floats.

    Returns
    -------
    str
        The text.
    """
    if value is None:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        x = float(value)
        if not math.isfinite(x):
            return MISSING if math.isnan(x) else ("inf" if x > 0 else "-inf")
        return sig(x, digits)  # one owner of significant digits: socalign.text
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v, digits) for v in value) if value else "none"
    return str(value)


def fmt_ci(estimate: Any, low: Any = None, high: Any = None, digits: int = 3) -> str:
    """An estimate with its interval: ``0.044 [0.007, 0.122]`` (just ``0.044`` without one).

    Parameters
    ----------
    estimate : Any
        The estimate, as :func:`fmt` takes it.
    low : Any, default None
        The interval's lower bound.
    high : Any, default None
        The interval's upper bound (when both bounds are None only the estimate is shown).
    digits : int, default 3
        Significant digits of floats.

    Returns
    -------
    str
        The text.
    """
    if low is None and high is None:
        return fmt(estimate, digits)
    values = (estimate, low, high)
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool)
           and math.isfinite(float(v)) for v in values):
        return interval(*(float(v) for v in values), digits=digits)  # as the book prints it
    return f"{fmt(estimate, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def fmt_interval(iv: Mapping[str, Any] | None, digits: int = 3) -> str:
    """An interval dict (``estimate``, ``low``, ``high``) as ``0.044 [0.007, 0.122]``.

    Parameters
    ----------
    iv : mapping or None
        The interval (missing keys read as None); None or empty gives ``n/a``.
    digits : int, default 3
        Significant digits of floats.

    Returns
    -------
    str
        The text (:func:`fmt_ci`).
    """
    if not iv:
        return MISSING
    return fmt_ci(iv.get("estimate"), iv.get("low"), iv.get("high"), digits)


def fmt_p(p: Any) -> str:
    """A p-value: ``p = 0.02``, or ``p < 0.001``."""
    if p is None:
        return "p n/a"
    return "p < 0.001" if float(p) < 0.001 else f"p = {float(p):.2g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def format_table(
    rows: Any,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    digits: int = 3,
    indent: int = 0,
) -> str:
    """An aligned text table: a header, a rule, one line per row; numbers right-aligned.

    Parameters
    ----------
    rows : pandas.DataFrame or iterable of mapping
        A :class:`pandas.DataFrame` or a list of dicts (cells: numbers, strings, None).
    columns : mapping of str to str or sequence of str or None, default None
        Which columns, in order; a mapping gives each its header (default: all, by name).
    digits : int, default 3
        Significant digits of floats (:func:`fmt`).
    indent : int, default 0
        Spaces before each line.

    Returns
    -------
    str
        The table (no trailing newline); ``(none)`` for no rows.
    """
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        records = [{str(k): (None if _is_nan(v) else v) for k, v in r.items()}
                   for r in rows.to_dict(orient="records")]
        names = [str(c) for c in rows.columns]
    else:
        records = [dict(r) for r in rows]
        names = list(dict.fromkeys(k for r in records for k in r))
    if columns is not None:
        headers = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    else:
        headers = {c: c for c in names}
    pad = " " * indent
    if not records:
        return f"{pad}(none)"
    cells = [[fmt(r.get(c), digits) for c in headers] for r in records]
    right = [all(_is_number(r.get(c)) or r.get(c) is None for r in records) for c in headers]
    widths = [max(len(h), *(len(row[j]) for row in cells)) for j, h in enumerate(headers.values())]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)]
        return (pad + "  ".join(parts)).rstrip()

    out = [line(list(headers.values())), pad + "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float | np.floating) and math.isnan(float(value))


Field = tuple[str, Any] | tuple[str, Any, str]


def format_fields(fields: Iterable[Field], digits: int = 3, indent: int = 0) -> str:
    """Aligned ``label  value  note`` lines (a value that is not a string goes through :func:`fmt`).

    Parameters
    ----------
    fields : iterable of tuple
        ``(label, value)`` or ``(label, value, note)`` per line.
    digits : int, default 3
        Significant digits of floats.
    indent : int, default 0
        Spaces before each line.

    Returns
    -------
    str
        The lines (no trailing newline); empty for no fields.
    """
    rows = [(f[0], f[1] if isinstance(f[1], str) else fmt(f[1], digits), f[2] if len(f) > 2 else "")
            for f in fields]
    if not rows:
        return ""
    width = max(len(label) for label, _, _ in rows)
    vwidth = max(len(value) for _, value, _ in rows)
    pad = " " * indent
    return "\n".join(
        (f"{pad}{label.ljust(width)}  {value.ljust(vwidth)}  {note}").rstrip()
        for label, value, note in rows
    )


def format_mapping(result: Mapping[str, Any], digits: int = 3, indent: int = 0) -> str:
    """Any JSON-able dict as aligned text: scalars as fields, dicts as indented sections,
    lists of dicts as tables, other lists joined (the default human output).

    Parameters
    ----------
    result : mapping of str to Any
        The dict to show.
    digits : int, default 3
        Significant digits of floats.
    indent : int, default 0
        Spaces before each line (nested dicts and tables get two more).

    Returns
    -------
    str
        The text (no trailing newline).
    """
    lines: list[str] = []
    scalars: list[Field] = []
    pad = " " * indent

    def flush() -> None:
        if scalars:
            lines.append(format_fields(scalars, digits, indent))
            scalars.clear()

    for key, value in result.items():
        if isinstance(value, Mapping):
            flush()
            lines.append(f"{pad}{key}:" + ("" if value else " none"))
            if value:
                lines.append(format_mapping(value, digits, indent + 2))
        elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
            flush()
            lines.append(f"{pad}{key}:")
            flat = [{k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in row.items()}
                    for row in value]
            lines.append(format_table(flat, digits=digits, indent=indent + 2))
        else:
            scalars.append((str(key), value))
    flush()
    return "\n".join(line for line in lines if line)


def section(title: str, body: str) -> str:
    """A titled block: the title, then ``body`` indented by two spaces.

    Parameters
    ----------
    title : str
        The block's first line.
    body : str
        The lines under it.

    Returns
    -------
    str
        The block.
    """
    inner = "\n".join(("  " + line).rstrip() for line in body.splitlines())
    return f"{title}\n{inner}"


def rest(result: Mapping[str, Any], known: Iterable[str]) -> str:
    """The fields of ``result`` that a renderer did not show (so that new keys still print).

    Parameters
    ----------
    result : mapping of str to Any
        The handler's result.
    known : iterable of str
        The keys the renderer already showed.

    Returns
    -------
    str
        The other keys through :func:`format_mapping`; empty when there are none.
    """
    skip = set(known)
    extra = {k: v for k, v in result.items() if k not in skip}
    return format_mapping(extra) if extra else ""


def join_blocks(*blocks: str) -> str:
    """Non-empty blocks separated by a blank line."""
    return "\n\n".join(b for b in blocks if b and b.strip())


# ---------------------------------------------------------------------------------------------
# Progress on stderr (people only: off under --json and when stderr is not a terminal).


def progress_enabled(args: argparse.Namespace) -> bool:
    """True when progress may be drawn: under ``--progress``, else when not ``--json`` and
    stderr is a terminal (:func:`socalign.progress.stderr_is_terminal`).

    The command line's one decision: :func:`run_command` holds every bar to it
    (:func:`socalign.progress.bars`), socalign's own and those of transformers and
    huggingface_hub.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``progress`` and ``json`` when it has them).

    Returns
    -------
    bool
        Whether bars are drawn.
    """
    from socalign.progress import stderr_is_terminal

    if getattr(args, "progress", False):
        return True
    return not getattr(args, "json", False) and stderr_is_terminal()


def progress(iterable: Iterable[Any], desc: str, enabled: bool, total: int | None = None,
             unit: str = "it") -> Iterable[Any]:
    """``iterable`` wrapped in a tqdm bar on stderr when ``enabled``.

    Parameters
    ----------
    iterable : iterable
        What is iterated.
    desc : str
        The bar's label.
    enabled : bool
        Draw the bar (else ``iterable`` is returned as is); see :func:`progress_enabled`.
    total : int or None, default None
        The number of items, when ``iterable`` has no length.
    unit : str, default "it"
        What one item is called.

    Returns
    -------
    iterable
        ``iterable``, or a tqdm bar over it.
    """
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False)


@contextlib.contextmanager
def working(desc: str, enabled: bool, every: float = 0.5) -> Iterator[None]:
    """A ticking ``desc: 00:12`` line on stderr while a step without its own bar runs.

    Parameters
    ----------
    desc : str
        The line's label.
    enabled : bool
        Draw the line (else nothing is shown); see :func:`progress_enabled`.
    every : float, default 0.5
        Seconds between ticks.

    Yields
    ------
    None
        While the block runs.
    """
    if not enabled:
        yield
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()


def note(message: str) -> None:
    """A one-line ``socalign: note:`` on stderr (e.g. an older file without a record)."""
    print(f"socalign: note: {one_line(message)}", file=sys.stderr, flush=True)


def add_dataset_mismatch_flag(parser: argparse.ArgumentParser) -> None:
    """``--allow-dataset-mismatch``: use embedding files made from another dataset."""
    parser.add_argument(
        "--allow-dataset-mismatch", action="store_true",
        help="use embeddings/similarity files that record another dataset than DATASET",
    )


def check_files_dataset(paths: Iterable[str | Path | None], benchmark: Benchmark,
                        args: argparse.Namespace) -> None:
    """Refuse ``.npz`` files made from another dataset (exit 2); note files without a record.

    Parameters
    ----------
    paths : iterable of str or path-like or None
        Files or model names (None and entries that are not existing ``.npz`` files are skipped).
    benchmark : Benchmark
        The loaded benchmark they are used on.
    args : argparse.Namespace
        The command's arguments (``allow_dataset_mismatch``).

    Returns
    -------
    None

    Raises
    ------
    socalign.models.embeddings.DatasetMismatchError
        When a file records another dataset and ``--allow-dataset-mismatch`` is not given
        (:func:`socalign.models.embeddings.check_dataset`).
    """
    from socalign.models.embeddings import check_dataset

    allow = bool(getattr(args, "allow_dataset_mismatch", False))
    for path in paths:
        if path is None:
            continue
        message = check_dataset(path, benchmark, allow_mismatch=allow)
        if message:
            note(message)
