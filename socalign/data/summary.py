"""A benchmark's summary: the numbers ``socalign data info`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from socalign.data.quality import catch_performance, triplet_repeats
from socalign.data.types import Benchmark


@dataclass(frozen=True)
class BenchmarkInfo:
    """Counts of a benchmark as loaded (before exclusions) and per split (after).

    ``n_kept_outside_splits`` (in ``extra``) counts kept trials whose videos span two splits:
    they enter no split's trials, and are counted so that nothing disappears unreported.
    """

    name: str
    n_videos: int
    n_trials: int
    n_participants: int
    n_unique_triplets: int
    n_repeated_triplets: int
    n_catch_trials: int
    splits: dict[str, dict[str, int]]
    excluded: dict[str, int]
    attention_check: dict[str, Any]
    attributes: list[str]
    n_captions: int
    has_videos: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with the public keys of ``socalign data info --json``."""
        out = {k: v for k, v in self.__dict__.items() if k != "extra"}
        out.update(self.extra)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The per-split table."""
        return pd.DataFrame(self.splits).T.rename_axis("split")


def summarize(benchmark: Benchmark) -> BenchmarkInfo:
    """Summarize a loaded benchmark (``n_trials`` counts every trial as loaded)."""
    trials = benchmark.trials
    _, shown = triplet_repeats(trials)
    splits = {
        split: {
            "n_videos": int(benchmark.split_indices(split).size),
            "n_trials": len(benchmark.split_trials(split)),
        }
        for split in benchmark.videos.split_names
    }
    in_a_split = sum(s["n_trials"] for s in splits.values())
    extra: dict[str, Any] = {"n_kept_outside_splits": len(benchmark.kept) - in_a_split}
    if "calibration" in benchmark.metadata:
        extra["calibration"] = benchmark.metadata["calibration"]
    return BenchmarkInfo(
        name=benchmark.name,
        n_videos=len(benchmark.videos),
        n_trials=len(trials),
        n_participants=trials.n_participants,
        n_unique_triplets=int(shown.size),
        n_repeated_triplets=int((shown > 1).sum()),
        n_catch_trials=int(trials.is_catch.sum()),
        splits=splits,
        excluded=dict(benchmark.excluded),
        attention_check=catch_performance(trials).to_dict(),
        attributes=sorted(benchmark.videos.ratings),
        n_captions=sum(len(c) for c in benchmark.videos.captions),
        has_videos=benchmark.videos.has_files and all(
            Path(f).is_file() and Path(f).stat().st_size > 0 for f in benchmark.videos.files
        ),
        extra=extra,
    )
