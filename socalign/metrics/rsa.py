"""Alignment of a model's similarity with human similarity (RSA), and weighted rank correlations.

R² is the squared Spearman correlation between model and human similarity over the upper
triangle of the *observed* pairs among a split's items; Pearson is reported beside it.
The weighted versions count element m as if it were repeated ``w[m]`` times; they are what the
bootstrap uses, so that one sort serves every resample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Alignment:
    """Model-human similarity alignment over ``n_pairs`` observed pairs of ``n_items`` items."""

    r2: float
    spearman: float
    pearson: float
    n_pairs: int
    n_items: int

    def to_dict(self) -> dict[str, object]:
        return {
            "r2": self.r2,
            "spearman": self.spearman,
            "pearson": self.pearson,
            "n_pairs": self.n_pairs,
            "n_items": self.n_items,
            "pairs": "upper triangle of observed pairs",
            "r2_is": "squared Spearman correlation",
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


def _square(name: str, matrix: np.ndarray, n: int | None = None) -> np.ndarray:
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square (N, N) matrix, got shape {matrix.shape}")
    if n is not None and matrix.shape[0] != n:
        raise ValueError(f"{name} is {matrix.shape[0]}x{matrix.shape[0]}, expected {n}x{n}")
    return matrix


def observed_pairs(
    observed_mask: np.ndarray, indices: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Item indices (i, j), i < j in ``indices`` order, of the observed pairs among ``indices``."""
    observed_mask = _square("observed_mask", observed_mask).astype(bool)
    n = observed_mask.shape[0]
    idx = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"indices must lie in 0..{n - 1}")
    if np.unique(idx).size != idx.size:
        raise ValueError("indices must not repeat an item")
    a, b = np.triu_indices(idx.size, k=1)
    i, j = idx[a], idx[b]
    keep = observed_mask[i, j]
    return i[keep], j[keep]


def pair_vectors(
    model_similarity: np.ndarray,
    human_similarity: np.ndarray,
    observed_mask: np.ndarray,
    indices: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Model and human values on the observed pairs among ``indices``, with the pairs (i, j)."""
    human = _square("human_similarity", human_similarity)
    n = human.shape[0]
    model = _square("model_similarity", model_similarity, n)
    _square("observed_mask", observed_mask, n)
    i, j = observed_pairs(observed_mask, indices)
    if i.size < 3:
        raise ValueError(f"only {i.size} observed pairs: at least 3 are needed to correlate")
    x = np.asarray(model[i, j], dtype=np.float64)
    y = np.asarray(human[i, j], dtype=np.float64)
    for name, v in (("model_similarity", x), ("human_similarity", y)):
        bad = ~np.isfinite(v)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} is NaN or infinite on observed pair ({i[k]}, {j[k]})")
    return x, y, i, j


def alignment(
    model_similarity: np.ndarray,
    human_similarity: np.ndarray,
    observed_mask: np.ndarray,
    indices: np.ndarray | None = None,
) -> Alignment:
    """R² (squared Spearman), Spearman and Pearson over the observed pairs among ``indices``."""
    x, y, _, _ = pair_vectors(model_similarity, human_similarity, observed_mask, indices)
    for name, v in (("model", x), ("human", y)):
        if np.ptp(v) == 0:
            raise ValueError(f"the {name} similarity is constant over the observed pairs")
    rho = float(stats.spearmanr(x, y).statistic)
    r = float(stats.pearsonr(x, y).statistic)
    n_items = (
        observed_mask.shape[0] if indices is None else int(np.asarray(indices).size)
    )
    return Alignment(r2=rho**2, spearman=rho, pearson=r, n_pairs=int(x.size), n_items=n_items)


def weighted_ranks(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average ranks of x (M,) as if element m appeared ``weights[b, m]`` times, for each row b.

    Equal to ``scipy.stats.rankdata`` on the expanded sample (ties share their mean rank);
    hand-written because scipy has no weighted rank, and one sort of x serves all rows.
    """
    x = np.asarray(x, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ws = weights[:, order]
    cum = np.cumsum(ws, axis=1)
    before = np.zeros((ws.shape[0], starts.size))
    before[:, 1:] = cum[:, starts[1:] - 1]
    group_weight = np.add.reduceat(ws, starts, axis=1)
    group_rank = before + (group_weight + 1.0) / 2.0
    sizes = np.diff(np.r_[starts, x.size])
    ranks = np.empty_like(ws)
    ranks[:, order] = np.repeat(group_rank, sizes, axis=1)
    return ranks


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson correlation per row with weights (B, M); x and y are (M,) or (B, M)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    x = np.broadcast_to(np.asarray(x, dtype=np.float64), w.shape)
    y = np.broadcast_to(np.asarray(y, dtype=np.float64), w.shape)
    total = w.sum(axis=1)
    wx = w * x
    wy = w * y
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = wx.sum(axis=1) / total
        my = wy.sum(axis=1) / total
        # Centred sums (not raw moments) keep the result exact enough for ranks ~1e5.
        dx = x - mx[:, None]
        dy = y - my[:, None]
        cov = np.einsum("bm,bm,bm->b", w, dx, dy)
        vx = np.einsum("bm,bm,bm->b", w, dx, dx)
        vy = np.einsum("bm,bm,bm->b", w, dy, dy)
        return cov / np.sqrt(vx * vy)


def weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman correlation per row of weights (B, M): the Pearson of the weighted ranks."""
    return weighted_pearson(weighted_ranks(x, weights), weighted_ranks(y, weights), weights)
