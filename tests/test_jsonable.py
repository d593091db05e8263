"""The one JSON conversion below the library and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from socalign.jsonable import to_jsonable


def test_numpy_paths_and_non_finite_numbers_become_plain_json() -> None:
    value = {
        1: np.float32(0.5), "a": np.arange(3), "nan": math.nan, "inf": np.float64(np.inf),
        "path": Path("runs/x"), "nested": ({"b": np.bool_(True)}, [np.int64(7)]),
        "text": "t", "none": None,
    }
    out = to_jsonable(value)
    assert out == {"1": 0.5, "a": [0, 1, 2], "nan": None, "inf": None, "path": "runs/x",
                   "nested": [{"b": True}, [7]], "text": "t", "none": None}
    assert type(out["nested"][1][0]) is int and type(out["nested"][0]["b"]) is bool
    json.dumps(out, allow_nan=False)  # strict JSON: no NaN left anywhere
