"""Data quality: catch trials as an attention check, and summaries of the design."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from socalign.data.types import Trials


@dataclass(frozen=True)
class CatchReport:
    """Per-participant catch-trial accuracy (a catch trial is right when the singleton is chosen)."""

    participants: tuple[str, ...]
    n_catch: np.ndarray
    n_correct: np.ndarray

    @property
    def accuracy(self) -> np.ndarray:
        """Share of catch trials answered right, per participant (NaN without catch trials)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.n_correct / np.where(self.n_catch > 0, self.n_catch, np.nan)

    def to_frame(self) -> pd.DataFrame:
        """One row per participant with catch trials."""
        return pd.DataFrame(
            {
                "participant": list(self.participants),
                "n_catch": self.n_catch,
                "n_correct": self.n_correct,
                "accuracy": self.accuracy,
            }
        )

    def to_dict(self, threshold: float = 0.5) -> dict[str, object]:
        """Summary for ``--json``: totals and participants below ``threshold``."""
        acc = self.accuracy
        return {
            "n_catch_trials": int(self.n_catch.sum()),
            "n_participants_with_catch": len(self.participants),
            "mean_accuracy": float(np.nanmean(acc)) if len(acc) else float("nan"),
            "threshold": threshold,
            "n_participants_below": int(np.sum(acc < threshold)),
        }


def catch_performance(trials: Trials) -> CatchReport:
    """Score catch trials per participant: correct when the chosen video is the non-repeated one."""
    catch = trials.subset(trials.is_catch)
    t = catch.triplets
    chosen = catch.choice
    correct = (t == chosen[:, None]).sum(axis=1) == 1
    codes, inverse = np.unique(catch.participants, return_inverse=True)
    n_catch = np.bincount(inverse, minlength=len(codes))
    n_correct = np.bincount(inverse, weights=correct, minlength=len(codes)).astype(np.int64)
    names = tuple(trials.participant_names[c] for c in codes)
    return CatchReport(participants=names, n_catch=n_catch, n_correct=n_correct)


def triplet_repeats(trials: Trials) -> tuple[np.ndarray, np.ndarray]:
    """Unordered triplets shown (sorted rows) and how often each was shown."""
    return np.unique(np.sort(trials.triplets, axis=1), axis=0, return_counts=True)
