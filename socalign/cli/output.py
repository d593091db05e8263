"""What the command line prints: one JSON object under ``--json``, aligned text otherwise.

Every handler returns one dict: :func:`print_result` prints it as one JSON object under
``--json`` (its keys are the public API), and otherwise through the command's ``human``
renderer (or :func:`format_mapping`) as aligned text with numbers rounded to
:data:`socalign.text.DIGITS` significant digits (:func:`fmt`, which takes its rules from
:mod:`socalign.text`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from socalign.cli.parser import Human
from socalign.jsonable import to_jsonable
from socalign.text import DIGITS, interval, sig

#: What a missing value (None, NaN) prints as.
MISSING = "n/a"

#: The words under the bracket of a split-half reliability: percentiles of random participant
#: halves, which people would otherwise read as a confidence interval.
SPREAD_LABEL = "spread over splits (2.5–97.5 percentiles), not a confidence interval"


def print_result(result: dict[str, Any], as_json: bool, human: Human | None = None) -> None:
    """Print a handler's result: one JSON object, or text for people.

    Parameters
    ----------
    result : dict
        The handler's dict (numpy values and NaN are converted first,
        :func:`socalign.jsonable.to_jsonable`).
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


def fmt(value: Any, digits: int = DIGITS) -> str:
    """One value as text: floats to ``digits`` significant digits, ints exact.

    ``0.333631`` -> ``0.334``, ``174.013905`` -> ``174``, ``1e8`` -> ``1e+08``,
    ``0.0000112`` -> ``1.12e-05``; None/NaN -> ``n/a``; booleans -> ``yes``/``no``.

    Parameters
    ----------
    value : Any
        A number, string, None, or a list (joined with ", "; an empty one is ``none``).
    digits : int, default DIGITS
        Significant digits of floats (:func:`socalign.text.sig` rounds them).

    Returns
    -------
    str
        The value as people read it.
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


def fmt_ci(estimate: Any, low: Any = None, high: Any = None, digits: int = DIGITS) -> str:
    """An estimate with its interval: ``0.044 [0.007, 0.122]`` (just ``0.044`` without one).

    Parameters
    ----------
    estimate : Any
        The estimate, as :func:`fmt` takes it.
    low : Any, default None
        The interval's lower bound.
    high : Any, default None
        The interval's upper bound (when both bounds are None only the estimate is shown).
    digits : int, default DIGITS
        Significant digits of the largest of the three (:func:`socalign.text.interval`).

    Returns
    -------
    str
        The estimate, then its bracketed interval at the same decimals.
    """
    if low is None and high is None:
        return fmt(estimate, digits)
    values = (estimate, low, high)
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool)
           and math.isfinite(float(v)) for v in values):
        return interval(*(float(v) for v in values), digits=digits)  # as the book prints it
    return f"{fmt(estimate, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def fmt_interval(iv: Mapping[str, Any] | None, digits: int = DIGITS) -> str:
    """An interval dict (``estimate``, ``low``, ``high``) as ``0.044 [0.007, 0.122]``.

    Parameters
    ----------
    iv : mapping or None
        The interval (missing keys read as None); None or empty gives ``n/a``.
    digits : int, default DIGITS
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
    digits: int = DIGITS,
    indent: int = 0,
) -> str:
    """An aligned text table: a header, a rule, one line per row; numbers right-aligned.

    Parameters
    ----------
    rows : pandas.DataFrame or iterable of mapping
        A :class:`pandas.DataFrame` or a list of dicts (cells: numbers, strings, None).
    columns : mapping of str to str or sequence of str or None, default None
        Which columns, in order; a mapping gives each its header (default: all, by name).
    digits : int, default DIGITS
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


def format_fields(fields: Iterable[Field], digits: int = DIGITS, indent: int = 0) -> str:
    """Aligned ``label  value  note`` lines (a value that is not a string goes through :func:`fmt`).

    Parameters
    ----------
    fields : iterable of tuple
        ``(label, value)`` or ``(label, value, note)`` per line.
    digits : int, default DIGITS
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


def format_mapping(result: Mapping[str, Any], digits: int = DIGITS, indent: int = 0) -> str:
    """Any JSON-able dict as aligned text: scalars as fields, dicts as indented sections,
    lists of dicts as tables, other lists joined (the default human output).

    Parameters
    ----------
    result : mapping of str to Any
        The dict to show.
    digits : int, default DIGITS
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
