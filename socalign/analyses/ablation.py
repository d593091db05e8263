"""The hybrid loss against its ablations, over seeds: one table per question a reader asks.

Fine-tuning reports (``socalign.train.report.FinetuneReport``) hold one run each. Chapter 3
needs them side by side: every run's before/after/gain (:func:`run_table`), the loss ×
statistic summary as mean ± sd over seeds (:func:`ablation_summary`), and for one loss the
per-seed gains with their paired intervals and the words they allow (:func:`seed_gains`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from socalign.text import claim, decimals_for, direction, interval, sig

__all__ = ["SeedGains", "ablation_summary", "run_table", "seed_gains"]

STATISTIC_LABELS = {
    "r2": "R²",
    "spearman": "Spearman",
    "ooo_accuracy (argmax)": "OOO (argmax)",
    "ooo_accuracy (pair)": "OOO (pair)",
}
"""Column labels of the summary, in the order shown."""


def run_table(reports: Mapping[tuple[str, int], Any]) -> pd.DataFrame:
    """Every run's held-out scores, one row per run and statistic.

    Parameters
    ----------
    reports : mapping of (loss, seed) to FinetuneReport
        The runs.

    Returns
    -------
    pandas.DataFrame
        Columns ``loss``, ``seed``, ``statistic``, ``before``, ``after``, ``gain``,
        ``gain_low``, ``gain_high``, ``unit``, ``n_boot``.
    """
    if not reports:
        raise ValueError("no fine-tuning reports given")
    frames = [report.to_frame().assign(loss=loss, seed=seed)
              for (loss, seed), report in reports.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["loss", "seed", "statistic", "before", "after", "gain", "gain_low",
                  "gain_high", "unit", "n_boot"]]


def _mean_sd(values: pd.Series) -> str:
    """``mean ± sd`` at the mean's three significant digits (the mean alone for one seed or
    identical seeds)."""
    values = values.astype(float)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    if sd == 0 or not np.isfinite(sd):
        return sig(mean)
    decimals = decimals_for([mean])
    return f"{mean:.{decimals}f} ± {sd:.{decimals}f}"


def ablation_summary(table: pd.DataFrame, column: str = "after") -> pd.DataFrame:
    """Loss × statistic: ``column`` (before, after or gain) as mean ± sd over seeds, as text.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`run_table`'s output.
    column : str
        Which score to summarise.

    Returns
    -------
    pandas.DataFrame
        One row per loss (in the order of ``table``), one column per statistic, cells such
        as ``"0.0863 ± 0.0120"``; the column ``seeds`` gives the number of seeds.
    """
    if column not in ("before", "after", "gain"):
        raise ValueError(f"column must be before, after or gain, got {column!r}")
    losses = list(dict.fromkeys(table["loss"]))
    rows = []
    for loss in losses:
        part = table[table["loss"] == loss]
        row: dict[str, Any] = {"loss": loss, "seeds": int(part["seed"].nunique())}
        for statistic, label in STATISTIC_LABELS.items():
            values = part.loc[part["statistic"] == statistic, column]
            if len(values):
                row[label] = _mean_sd(values)
        rows.append(row)
    return pd.DataFrame(rows).set_index("loss")


@dataclass(frozen=True)
class SeedGains:
    """One loss's gain in one statistic, seed by seed, with the words the intervals allow.

    Attributes
    ----------
    loss, statistic : str
        What was trained and what is scored.
    seeds : tuple of int
        The seeds, in order.
    gains, lows, highs : tuple of float
        Each seed's gain and its paired interval.
    unit : str
        What the intervals resample.
    n_boot : int
        Resamples per interval.
    before, after : float
        Mean over seeds of the scores before and after fine-tuning.
    """

    loss: str
    statistic: str
    seeds: tuple[int, ...]
    gains: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    unit: str
    n_boot: int
    before: float
    after: float

    @property
    def n_up(self) -> int:
        """Seeds whose interval lies above 0."""
        return sum(direction(lo, hi) == "up" for lo, hi in zip(self.lows, self.highs, strict=True))

    @property
    def n_down(self) -> int:
        """Seeds whose interval lies below 0."""
        return sum(direction(lo, hi) == "down"
                   for lo, hi in zip(self.lows, self.highs, strict=True))

    @property
    def verdict(self) -> str:
        """``"rose"`` (every seed's interval above 0), ``"rose in k of n seeds"``, ``"fell"``...

        A rise in some seeds and a fall in others is reported as both counts.
        """
        n = len(self.seeds)
        if self.n_up == n:
            return "rose in every seed"
        if self.n_down == n:
            return "fell in every seed"
        parts = []
        if self.n_up:
            parts.append(f"rose in {self.n_up} of {n} seeds")
        if self.n_down:
            parts.append(f"fell in {self.n_down} of {n} seeds")
        return " and ".join(parts) if parts else f"showed no detectable change in any of {n} seeds"

    def seed_claims(self) -> str:
        """Each seed's gain as a claim, e.g. ``"seed 0: rose by 0.0582 (95% interval ...)"``."""
        return "; ".join(
            f"seed {s}: {claim(g, lo, hi)}"
            for s, g, lo, hi in zip(self.seeds, self.gains, self.lows, self.highs, strict=True))

    def seed_intervals(self) -> str:
        """Each seed's gain with its interval, ``"seed 0: 0.0609 [-0.0066, 0.164]"``."""
        return "; ".join(
            f"seed {s}: {interval(g, lo, hi)}"
            for s, g, lo, hi in zip(self.seeds, self.gains, self.lows, self.highs, strict=True))


def seed_gains(table: pd.DataFrame, loss: str = "hybrid", statistic: str = "r2") -> SeedGains:
    """The per-seed gains of one loss in one statistic (:class:`SeedGains`).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`run_table`'s output.
    loss : str
        The loss to report.
    statistic : str
        The statistic (a value of the ``statistic`` column).

    Returns
    -------
    SeedGains
    """
    part = table[(table["loss"] == loss) & (table["statistic"] == statistic)].sort_values("seed")
    if part.empty:
        raise ValueError(f"no runs with loss {loss!r} and statistic {statistic!r}")
    return SeedGains(
        loss=loss, statistic=statistic, seeds=tuple(int(s) for s in part["seed"]),
        gains=tuple(float(v) for v in part["gain"]), lows=tuple(float(v) for v in part["gain_low"]),
        highs=tuple(float(v) for v in part["gain_high"]), unit=str(part["unit"].iloc[0]),
        n_boot=int(part["n_boot"].iloc[0]), before=float(np.mean(part["before"])),
        after=float(np.mean(part["after"])),
    )
