"""Plain JSON values from the library's results: numpy scalars and arrays, paths, NaN.

One conversion for every JSON the package writes or prints: the run folders' reports
(:func:`socalign.train.run.strict_json`) and the command line's ``--json`` objects. It sits
below both, so that the library never reaches up into the command line for it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays, paths and non-finite floats made plain JSON.

    Parameters
    ----------
    value : Any
        Nested dicts, lists and tuples of numbers, strings, None, numpy scalars and arrays,
        and paths.

    Returns
    -------
    Any
        The same structure of dicts (keys as strings), lists, numbers, strings and None: an
        array becomes a list, a numpy scalar its Python value, a path its text, and NaN or an
        infinity None (JSON has neither).
    """
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
