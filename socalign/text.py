"""Numbers and words as readers see them: significant digits, intervals and claims.

The book's pages and the command line's human output format every number here, so that a
page never shows ``0.333631`` and no sentence says "rose" when its interval holds 0. The
rules: three significant digits (an interval takes the decimals of its largest-magnitude
bound, ``0.044 [0.007, 0.122]``); a change is called a rise or a fall only when its whole
interval lies on one side of 0 and does not round to 0 at the printed precision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "DIGITS",
    "Direction",
    "change_word",
    "claim",
    "decimals_for",
    "direction",
    "interval",
    "join_words",
    "relative_size",
    "settings_frame",
    "sig",
    "style_frame",
]

DIGITS = 3
"""Significant digits of every number on a page or in the CLI's human output."""

Direction = Literal["up", "down", "none"]


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def decimals_for(values: Iterable[float], digits: int = DIGITS) -> int:
    """Decimals that show the largest-magnitude finite value with ``digits`` significant digits.

    Parameters
    ----------
    values : iterable of float
        The numbers that will be printed together (an estimate and its bounds).
    digits : int
        Significant digits of the largest magnitude.

    Returns
    -------
    int
        Number of decimals, at least 0 (``digits`` when every value is 0 or not finite).
    """
    finite = [abs(float(v)) for v in values if _finite(v)]
    largest = max(finite, default=0.0)
    if largest == 0:
        return digits
    return max(0, digits - 1 - math.floor(math.log10(largest)))


def sig(value: Any, digits: int = DIGITS) -> str:
    """One number with ``digits`` significant digits, as a reader should see it.

    Integers print whole, with thousands separators (they are counts); floats at ``digits``
    significant digits, in fixed notation between 1e-3 and 1e5 and in scientific notation
    outside it (the command line's ``fmt`` uses this too); NaN and None print as an empty
    string; text passes through.

    Parameters
    ----------
    value : Any
        A number, a numpy scalar, None or a string.
    digits : int
        Significant digits.

    Returns
    -------
    str
        The formatted number.

    Examples
    --------
    >>> sig(0.333631), sig(174.013905), sig(1e8), sig(12345), sig(float("nan"))
    ('0.334', '174', '1e+08', '12,345', '')
    """
    if value is None or isinstance(value, str):
        return "" if value is None else value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if number == 0:
        return "0"
    number = float(f"{number:.{digits}g}")  # round first: 0.99996 is 1.00, not 1.000
    magnitude = abs(number)
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{number:.{digits}g}"
    if number.is_integer() and magnitude >= 10 ** (digits - 1):
        return f"{int(number)}"
    decimals = decimals_for([number], digits)
    return f"{number:.{decimals}f}"


def interval(estimate: float, low: float, high: float, digits: int = DIGITS) -> str:
    """An estimate with its interval, ``0.044 [0.007, 0.122]``, all at the same decimals.

    Parameters
    ----------
    estimate, low, high : float
        The estimate and the bounds of its interval.
    digits : int
        Significant digits of the largest-magnitude of the three.

    Returns
    -------
    str
        The estimate followed by the bracketed interval; the estimate alone when a bound is
        not finite.
    """
    if not (_finite(low) and _finite(high)):
        return sig(estimate, digits)
    decimals = decimals_for([estimate, low, high], digits)
    return f"{float(estimate):.{decimals}f} [{float(low):.{decimals}f}, {float(high):.{decimals}f}]"


def join_words(words: Iterable[str]) -> str:
    """Words joined as a sentence lists them: ``"a"``, ``"a and b"``, ``"a, b and c"``.

    Parameters
    ----------
    words : iterable of str
        At least one.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For no words.
    """
    items = list(words)
    if not items:
        raise ValueError("join_words needs at least one word")
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def direction(low: float, high: float, digits: int = DIGITS) -> Direction:
    """Whether an interval ``[low, high]`` lies above 0 (``"up"``), below it, or holds it.

    A bound that rounds to 0.000 (``digits`` decimals) counts as 0, so that no page calls
    "0.000 to 0.012" a rise.

    Parameters
    ----------
    low, high : float
        The interval's bounds.
    digits : int
        Decimals below which a bound counts as 0.

    Returns
    -------
    {"up", "down", "none"}
    """
    if not (_finite(low) and _finite(high)):
        return "none"
    if low > 0 and round(low, digits) > 0:
        return "up"
    if high < 0 and round(high, digits) < 0:
        return "down"
    return "none"


def change_word(
    low: float, high: float, up: str = "rose", down: str = "fell",
    none: str = "showed no detectable change",
) -> str:
    """The word a page may use for a change with interval ``[low, high]``.

    Parameters
    ----------
    low, high : float
        Bounds of the change's interval.
    up, down, none : str
        The words for an interval above 0, below 0, and one that holds 0 (or rounds to it).

    Returns
    -------
    str
        One of ``up``, ``down`` and ``none``.
    """
    return {"up": up, "down": down, "none": none}[direction(low, high)]


def claim(
    estimate: float, low: float, high: float, *, p_value: float | None = None,
    unit: str | None = None, level: float = 0.95, up: str = "rose by",
    down: str = "fell by", none: str = "did not change detectably",
    digits: int = DIGITS, baseline: float | None = None, detectable: float | None = None,
) -> str:
    """The sentence fragment a page prints for a comparison: the words follow the interval.

    Parameters
    ----------
    estimate : float
        The difference (after minus before, or A minus B).
    low, high : float
        Its interval at ``level``.
    p_value : float, optional
        A two-sided p-value, printed when given.
    unit : str, optional
        What the interval resamples (``"videos"``, ``"trials"``), printed when given.
    level : float
        Coverage of the interval.
    up, down : str
        Words before the magnitude for an interval above / below 0 (``"rose by"``,
        ``"was higher by"``); the magnitude follows without its sign.
    none : str
        Words for an interval that holds 0; the signed estimate follows in parentheses.
    digits : int
        Significant digits.
    baseline : float, optional
        The value the change is measured from (the "before"); when given, the change is also
        stated relative to it (``+25.0% of the baseline 0.240``), so that a reader sees its size.
    detectable : float, optional
        The smallest change the test could have detected
        (:func:`socalign.metrics.detectable.detectable_change`); printed beside a verdict of
        no detectable change, so that "no change" is read with the test's power.

    Returns
    -------
    str
        For example ``"rose by 0.060 (95% interval 0.020 to 0.100, resampling videos)"`` or
        ``"did not change detectably (0.0020; 95% interval -0.0100 to 0.0150)"``.

    Examples
    --------
    >>> claim(0.06, 0.02, 0.10, unit="videos")
    'rose by 0.060 (95% interval 0.020 to 0.100, resampling videos)'
    >>> claim(0.002, -0.01, 0.015)
    'did not change detectably (0.0020; 95% interval -0.0100 to 0.0150)'
    """
    way = direction(low, high, digits)
    decimals = decimals_for([estimate, low, high], digits)
    extras = []
    if _finite(low) and _finite(high):
        extras.append(f"{level:.0%} interval {float(low):.{decimals}f} to {float(high):.{decimals}f}")
    if unit:
        extras.append(f"resampling {unit}")
    if p_value is not None and _finite(p_value):
        extras.append(f"p = {float(p_value):.3f}" if p_value >= 0.001 else "p < 0.001")
    detail = ", ".join(extras)
    size = relative_size(estimate, baseline, digits)
    if size:
        detail = f"{detail}; {size}" if detail else size
    if way == "none":
        inside = f"{float(estimate):.{decimals}f}" + (f"; {detail}" if detail else "")
        if detectable is not None and _finite(detectable):
            inside += f"; the smallest change this test could detect: {sig(detectable, digits)}"
        return f"{none} ({inside})"
    words = up if way == "up" else down
    return f"{words} {abs(float(estimate)):.{decimals}f}" + (f" ({detail})" if detail else "")


def relative_size(estimate: float, baseline: float | None, digits: int = DIGITS) -> str:
    """A change as a share of its baseline, ``"+25.0% of the baseline 0.240"`` ("" without one).

    Parameters
    ----------
    estimate : float
        The change (after minus before).
    baseline : float or None
        The value it is measured from; nothing is said when it is None, not finite or not
        above 0 (a share of a zero or negative baseline, such as a shared variance part that
        suppression made negative, means nothing).
    digits : int
        Significant digits of the share and the baseline.

    Returns
    -------
    str

    Examples
    --------
    >>> relative_size(-0.132, 0.421)
    '−31.4% of the baseline 0.421'
    """
    if baseline is None or not _finite(baseline) or float(baseline) <= 0 or not _finite(estimate):
        return ""
    share = 100.0 * float(estimate) / float(baseline)
    text = sig(abs(share), digits)
    sign = "+" if share > 0 else "−" if share < 0 else ""
    return f"{sign}{text}% of the baseline {sig(baseline, digits)}"


def style_frame(
    frame: pd.DataFrame, hide_index: bool = False, digits: int = DIGITS, *,
    caption: str | None = None, first: Iterable[Any] = (),
) -> Any:
    """A pandas Styler that shows every number of ``frame`` with :func:`sig`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to show.
    hide_index : bool
        Hide the row index (for tables whose index is a plain range).
    digits : int
        Significant digits.
    caption : str, optional
        A line above the table (the book names each table's dataset there).
    first : iterable
        Columns to move to the front, in this order (the columns the prose cites, so that
        they stay in view when a wide table scrolls); every name must be a column.

    Returns
    -------
    pandas.io.formats.style.Styler

    Raises
    ------
    KeyError
        A name in ``first`` that is not a column of ``frame``.
    """
    lead = list(first)
    missing = [c for c in lead if c not in frame.columns]
    if missing:
        raise KeyError(f"style_frame: no column(s) {missing} to put first; columns are "
                       f"{list(frame.columns)}")
    if lead:
        frame = frame[lead + [c for c in frame.columns if c not in lead]]
    styler = frame.style.format(lambda v: sig(v, digits), na_rep="")
    if hide_index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler


def settings_frame(settings: Mapping[str, Any], prefix: str = "") -> pd.DataFrame:
    """A flat two-column table of (possibly nested) settings, one row per leaf value.

    Nested mappings become dotted names (``loss.margin``); sequences print comma-separated;
    floats print with up to three significant digits and no trailing zeros (``lr`` 0.002),
    integers whole. Nothing is truncated.

    Parameters
    ----------
    settings : mapping
        The settings (e.g. ``TrainConfig.to_dict()`` or ``Profile.to_dict()``).
    prefix : str
        A prefix for every name (used by the recursion).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``setting`` with one column ``value`` (text).
    """
    rows: list[tuple[str, str]] = []

    def show(value: Any) -> str:
        if isinstance(value, float | np.floating) and math.isfinite(value):
            return f"{float(value):.{DIGITS}g}"
        return value if isinstance(value, str) else sig(value)

    def walk(mapping: Mapping[str, Any], head: str) -> None:
        for key, value in mapping.items():
            name = f"{head}{key}"
            if isinstance(value, Mapping):
                walk(value, f"{name}.")
            elif isinstance(value, list | tuple):
                rows.append((name, ", ".join(show(v) for v in value)))
            else:
                rows.append((name, show(value)))

    walk(settings, prefix)
    return pd.DataFrame(rows, columns=["setting", "value"]).set_index("setting")
