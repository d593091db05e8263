"""Can a video model's frozen features tell what the judgments depend on? Perception probes.

On a SocialWorld benchmark, held-out ridge probes (:func:`socalign.analyses.probes.probe_arrays`:
standardised features, ``RidgeCV`` fitted on the train videos, Pearson r on the test videos)
read the kinematic measures the social ratings are computed from (``latent_*`` in videos.csv)
out of a model's embeddings. :data:`PERCEPTION_FLOOR` is what a backbone that *sees* the two
agents must reach (the demo-story issue's floor): how far apart they are and how fast they move
(r >= 0.8), whether they approach and face each other (r >= 0.6).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socalign.data.errors import BenchmarkError
from socalign.data.types import Benchmark

PERCEPTION_FLOOR: dict[str, float] = {"distance": 0.8, "speed": 0.8, "approach": 0.6, "facing": 0.6}


@dataclass(frozen=True)
class PerceptionProbes:
    """Held-out probe r of every latent measure, and the floor checks (``floor_met`` per measure)."""

    r: dict[str, float]
    floor: dict[str, float]
    floor_met: dict[str, bool]
    n_train: int
    n_test: int
    method: str = "standardise + RidgeCV on train videos; Pearson r on test videos"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every floored measure reaches its floor."""
        return all(self.floor_met.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields (with ``passed``)."""
        return {**asdict(self), "passed": self.passed}

    def to_frame(self) -> pd.DataFrame:
        """One row per latent measure: r, floor (NaN where none), floor met."""
        rows = [{"measure": m, "r": r, "floor": self.floor.get(m, np.nan),
                 "floor_met": self.floor_met.get(m)} for m, r in self.r.items()]
        return pd.DataFrame(rows)


def latent_measures(benchmark: Benchmark) -> dict[str, np.ndarray]:
    """The ``latent_*`` columns of a SocialWorld benchmark's videos.csv, in benchmark row order."""
    if benchmark.root is None:
        raise BenchmarkError("the benchmark has no folder, so videos.csv cannot be read")
    path = Path(benchmark.root) / "videos.csv"
    frame = pd.read_csv(path).set_index("video_id")
    columns = [c for c in frame.columns if c.startswith("latent_")]
    if not columns:
        raise BenchmarkError("no latent_* columns (not a SocialWorld benchmark?)", path)
    rows = frame.loc[benchmark.videos.ids]
    return {c.removeprefix("latent_"): rows[c].to_numpy(float) for c in columns}


def perception_probes(
    benchmark: Benchmark,
    embeddings: np.ndarray,
    floor: dict[str, float] | None = None,
) -> PerceptionProbes:
    """Held-out probes of every latent measure from ``embeddings`` (N, D), checked against the floor.

    Parameters
    ----------
    benchmark
        A SocialWorld benchmark (its videos.csv holds the ``latent_*`` measures).
    embeddings
        One row per video, in the benchmark's row order.
    floor
        Minimum r per measure (default :data:`PERCEPTION_FLOOR`).

    Returns
    -------
    PerceptionProbes
        r per measure and whether each floored measure reaches its floor.
    """
    from socalign.analyses.probes import probe_arrays

    floor = dict(PERCEPTION_FLOOR if floor is None else floor)
    targets = latent_measures(benchmark)
    unknown = sorted(set(floor) - set(targets))
    if unknown:
        raise ValueError(f"floor names measure(s) {unknown} that videos.csv lacks; it has {sorted(targets)}")
    train, test = benchmark.split_indices("train"), benchmark.split_indices("test")
    result = probe_arrays(np.asarray(embeddings, dtype=np.float64), targets, train, test, n_perm=0, n_boot=0)
    r = {row.attribute: float(row.r) for row in result.rows}
    met = {m: bool(np.isfinite(r[m]) and r[m] >= f) for m, f in floor.items()}
    return PerceptionProbes(r=r, floor=floor, floor_met=met, n_train=len(train), n_test=len(test))
