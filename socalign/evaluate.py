"""The old import path of the scoring layer, kept for one release: use :mod:`socalign.scoring`.

Every name here is the object of :mod:`socalign.scoring` (``socalign.evaluate.evaluate is
socalign.scoring.evaluate``), so results and ``isinstance`` checks are the same either way.
"""

from __future__ import annotations

from socalign.scoring import (
    Comparison,
    Evaluation,
    ceilings,
    compare,
    evaluate,
    interval_from_dict,
    model_similarity,
    split_human_similarity,
)

__all__ = [
    "Comparison",
    "Evaluation",
    "ceilings",
    "compare",
    "evaluate",
    "interval_from_dict",
    "model_similarity",
    "split_human_similarity",
]
