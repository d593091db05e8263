"""Noise ceilings: split-half reliability over participants, and OOO consistency of repeats.

**Split-half** (``split_half_ceiling``): participants are split at random into two halves
(⌊P/2⌋ and the rest); each half gives a similarity matrix from its trials; the two are
correlated (Spearman by default) over the upper-triangle pairs observed in *both* halves and
among ``indices``; Spearman–Brown gives the full-data reliability r_sb = 2r / (1 + r). Over
``n_splits`` splits we report the means of r and r_sb, the sd of r_sb, r2_sb = r_sb² (the square
that RSA papers often quote), and ``r2_ceiling`` = r_sb, the ceiling for R² (squared Spearman):
by classical test theory the true similarity correlates with the full noisy data at
√reliability, so the best R² a model can expect is the reliability r_sb itself, not its square
(SocialWorld's latent oracle exceeds r_sb² on its own data, which is how this was noticed). Per-participant count matrices are built once (sparse);
each half's counts are a matrix product with the split masks, so no loop runs over trials.

**OOO consistency** (``ooo_consistency``): for every trial whose unordered triplet was shown
in at least one other trial, the share of agreement between its choice and the majority
choice of the *other* trials of that triplet. Ties among the others' most frequent choices
are scored fractionally: 1/k when the trial's choice is one of the k tied choices, else 0 —
the expected agreement with a tie broken at random. Chance is 1/3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from socalign.metrics.resampling import as_rng
from socalign.metrics.similarity import check_trials, kept_pairs


@dataclass(frozen=True)
class SplitHalfCeiling:
    """Split-half reliability of the judged similarity, with Spearman–Brown correction."""

    r: float
    r_sb: float
    r2_sb: float
    r2_ceiling: float
    sd: float
    sd_r: float
    low: float
    high: float
    n_splits: int
    n_participants: int
    n_pairs_mean: float
    correlation: str
    split_r: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "r": self.r,
            "r_sb": self.r_sb,
            "r2_sb": self.r2_sb,
            "r2_ceiling": self.r2_ceiling,
            "sd": self.sd,
            "sd_r": self.sd_r,
            "low": self.low,
            "high": self.high,
            "interval": "2.5 and 97.5 percentiles of r_sb over splits",
            "n_splits": self.n_splits,
            "n_participants": self.n_participants,
            "n_pairs_mean": self.n_pairs_mean,
            "correlation": self.correlation,
            "unit": "participants (random halves)",
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class OOOConsistency:
    """Leave-one-out agreement of repeated triplets (each trial vs the others' majority)."""

    loo_agreement: float
    n_trials: int
    n_triplets: int
    n_trials_total: int
    chance: float = 1.0 / 3.0
    ties: str = "fractional (1/k when the choice is one of k tied majority choices)"
    agreement: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "loo_agreement": self.loo_agreement,
            "n_trials": self.n_trials,
            "n_triplets": self.n_triplets,
            "n_trials_total": self.n_trials_total,
            "chance": self.chance,
            "ties": self.ties,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


def spearman_brown(r: np.ndarray | float, factor: float = 2.0) -> np.ndarray | float:
    """Spearman–Brown prophecy: reliability of data ``factor`` times as large."""
    return factor * np.asarray(r) / (1.0 + (factor - 1.0) * np.asarray(r))


def _pair_index(n_items: int, indices: np.ndarray | None) -> tuple[np.ndarray, int]:
    """(N, N) map item pair -> upper-triangle pair id among ``indices`` (-1 elsewhere)."""
    idx = np.arange(n_items) if indices is None else np.asarray(indices, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n_items):
        raise ValueError(f"indices must lie in 0..{n_items - 1}")
    a, b = np.triu_indices(idx.size, k=1)
    pid = np.full((n_items, n_items), -1, dtype=np.int64)
    pid[idx[a], idx[b]] = np.arange(a.size)
    pid[idx[b], idx[a]] = np.arange(a.size)
    return pid, a.size


def participant_pair_counts(
    triplets: np.ndarray, odd: np.ndarray, participant_codes: np.ndarray, n_participants: int,
    pid: np.ndarray, n_pairs: int,
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Sparse (P, M) co-occurrence and kept-together counts per participant and pair."""
    co = pid[triplets[:, [0, 0, 1]], triplets[:, [1, 2, 2]]]
    who = np.repeat(participant_codes, 3)
    co = co.ravel()
    use = co >= 0
    counts = sparse.coo_matrix(
        (np.ones(use.sum()), (who[use], co[use])), shape=(n_participants, n_pairs)
    ).tocsr()
    ka, kb = kept_pairs(triplets, odd)
    kp = pid[ka, kb]
    use = kp >= 0
    kept = sparse.coo_matrix(
        (np.ones(use.sum()), (participant_codes[use], kp[use])), shape=(n_participants, n_pairs)
    ).tocsr()
    return counts, kept


def random_halves(n_participants: int, n_splits: int, rng: np.random.Generator) -> np.ndarray:
    """(n_splits, P) bool: True for the ⌊P/2⌋ participants of half A in each split."""
    order = np.argsort(rng.random((n_splits, n_participants)), axis=1)
    halves = np.zeros((n_splits, n_participants), dtype=bool)
    np.put_along_axis(halves, order[:, : n_participants // 2], True, axis=1)
    return halves


def _ratio_ranks(num: np.ndarray, den: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Average ranks, per row, of num/den among the valid entries (other entries: undefined).

    num and den hold small counts, so a lookup table over all (num, den) pairs gives each
    entry's place among the distinct ratios (equal fractions share one), and each row's ranks
    follow from a histogram over those few values: no per-row sort. Equal on valid entries to
    ``scipy.stats.rankdata(..., axis=1, nan_policy="omit")`` of the ratios.
    """
    n_rows = num.shape[0]
    num_i = np.where(valid, num, 0).astype(np.int64)
    den_i = np.where(valid, den, 1).astype(np.int64)
    width = int(den_i.max(initial=1)) + 1
    grid_num, grid_den = np.divmod(np.arange(width * width), width)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = grid_num / grid_den
    ok = np.isfinite(grid) & (grid_num <= grid_den)
    distinct, dense = np.unique(grid[ok], return_inverse=True)
    n_values = distinct.size + 1  # the last bin collects invalid entries
    lut = np.full(width * width, n_values - 1, dtype=np.int64)
    lut[np.flatnonzero(ok)] = dense.ravel()
    which = np.where(valid, lut[num_i * width + den_i], n_values - 1)
    offsets = (np.arange(n_rows) * n_values)[:, None]
    hist = np.bincount((which + offsets).ravel(), minlength=n_rows * n_values).reshape(
        n_rows, n_values
    )
    table = np.cumsum(hist, axis=1) - hist + (hist + 1) / 2.0
    return np.take_along_axis(table, which, axis=1)


def _masked_row_correlation(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Pearson correlation per row over the ``valid`` entries of a and b."""
    n = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        a0 = np.where(valid, a, 0.0)
        b0 = np.where(valid, b, 0.0)
        am = np.where(valid, a0 - (a0.sum(axis=1) / n)[:, None], 0.0)
        bm = np.where(valid, b0 - (b0.sum(axis=1) / n)[:, None], 0.0)
        return np.einsum("sm,sm->s", am, bm) / np.sqrt(
            np.einsum("sm,sm->s", am, am) * np.einsum("sm,sm->s", bm, bm)
        )


def split_half_ceiling(
    triplets: np.ndarray,
    odd: np.ndarray,
    participants: np.ndarray,
    n_items: int,
    indices: np.ndarray | None = None,
    n_splits: int = 100,
    rng: np.random.Generator | int = 0,
    correlation: str = "spearman",
    halves: np.ndarray | None = None,
) -> SplitHalfCeiling:
    """Split-half (over participants) reliability of judged similarity, Spearman–Brown corrected.

    participants: (n,) participant codes of the trials; their sorted unique values define the
    column order of ``halves`` (an optional (n_splits, P) bool array fixing the splits).
    """
    if correlation not in ("spearman", "pearson"):
        raise ValueError(f"correlation must be 'spearman' or 'pearson', got {correlation!r}")
    triplets, odd = check_trials(triplets, odd, n_items)
    participants = np.asarray(participants)
    if participants.shape != odd.shape:
        raise ValueError(f"participants must have shape {odd.shape}, got {participants.shape}")
    _, codes = np.unique(participants, return_inverse=True)
    n_part = int(codes.max()) + 1 if codes.size else 0
    if n_part < 2:
        raise ValueError(f"split-half needs at least 2 participants, found {n_part}")
    if halves is None:
        if n_splits < 1:
            raise ValueError(f"n_splits must be at least 1, got {n_splits}")
        halves = random_halves(n_part, n_splits, as_rng(rng))
    else:
        halves = np.asarray(halves, dtype=bool)
        if halves.ndim != 2 or halves.shape[1] != n_part:
            raise ValueError(f"halves must have shape (n_splits, {n_part}), got {halves.shape}")
    pid, n_pairs = _pair_index(n_items, indices)
    counts, kept = participant_pair_counts(triplets, odd, codes, n_part, pid, n_pairs)
    h = halves.astype(np.float64)
    count_a = (counts.T @ h.T).T
    kept_a = (kept.T @ h.T).T
    count_b = np.asarray(counts.sum(axis=0)) - count_a
    kept_b = np.asarray(kept.sum(axis=0)) - kept_a
    both = (count_a > 0) & (count_b > 0)
    if correlation == "spearman":
        val_a = _ratio_ranks(kept_a, count_a, both)
        val_b = _ratio_ranks(kept_b, count_b, both)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            val_a, val_b = kept_a / count_a, kept_b / count_b
    r = _masked_row_correlation(val_a, val_b, both)
    r_sb = spearman_brown(r)
    finite = np.isfinite(r_sb)
    if not finite.any():
        raise ValueError("no split gave a defined correlation (too few pairs seen in both halves)")
    r_sb_mean = float(np.mean(r_sb[finite]))
    low, high = np.quantile(r_sb[finite], [0.025, 0.975])
    return SplitHalfCeiling(
        r=float(np.mean(r[finite])),
        r_sb=r_sb_mean,
        r2_sb=r_sb_mean**2,
        r2_ceiling=r_sb_mean,
        sd=float(np.std(r_sb[finite], ddof=1)) if finite.sum() > 1 else float("nan"),
        sd_r=float(np.std(r[finite], ddof=1)) if finite.sum() > 1 else float("nan"),
        low=float(low),
        high=float(high),
        n_splits=int(halves.shape[0]),
        n_participants=n_part,
        n_pairs_mean=float(both.sum(axis=1).mean()),
        correlation=correlation,
        split_r=r,
    )


def ooo_consistency(triplets: np.ndarray, odd: np.ndarray) -> OOOConsistency:
    """Leave-one-out agreement of each repeated trial with the majority of the other trials."""
    triplets, odd = check_trials(triplets, odd)
    n = len(odd)
    if n == 0:
        raise ValueError("no trials")
    ordered = np.sort(triplets, axis=1)
    _, group = np.unique(ordered, axis=0, return_inverse=True)
    group = group.ravel()
    choice = triplets[np.arange(n), odd]
    position = (ordered == choice[:, None]).argmax(axis=1)
    n_groups = int(group.max()) + 1
    votes = np.bincount(group * 3 + position, minlength=3 * n_groups).reshape(n_groups, 3)
    others = votes[group].copy()
    others[np.arange(n), position] -= 1
    repeated = others.sum(axis=1) > 0
    top = others.max(axis=1, keepdims=True)
    modes = others == top
    agreement = modes[np.arange(n), position] / modes.sum(axis=1)
    agreement = agreement[repeated]
    return OOOConsistency(
        loo_agreement=float(agreement.mean()) if agreement.size else float("nan"),
        n_trials=int(repeated.sum()),
        n_triplets=int(np.unique(group[repeated]).size),
        n_trials_total=n,
        agreement=agreement,
    )
