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
from scipy import sparse, stats


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
    """Item indices (i, j), i < j in ``indices`` order, of the observed pairs among ``indices``.

    Parameters
    ----------
    observed_mask : numpy.ndarray
        (N, N) mask of the pairs with human judgments (read as bool).
    indices : numpy.ndarray or None, default None
        Distinct items in 0..N-1 (all N when None); a pair is ordered as its items appear here.

    Returns
    -------
    i, j : numpy.ndarray
        The two items of each observed pair, as int64 arrays of equal length.

    Raises
    ------
    ValueError
        When the mask is not square, or ``indices`` leaves 0..N-1 or repeats an item.
    """
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
    """Model and human values on the observed pairs among ``indices``, with the pairs (i, j).

    Parameters
    ----------
    model_similarity : numpy.ndarray
        (N, N) model similarity.
    human_similarity : numpy.ndarray
        (N, N) human similarity.
    observed_mask : numpy.ndarray
        (N, N) mask of the pairs with human judgments.
    indices : numpy.ndarray or None, default None
        The items whose pairs are used (all N when None), as :func:`observed_pairs` takes them.

    Returns
    -------
    x : numpy.ndarray
        Model similarity per observed pair (float64).
    y : numpy.ndarray
        Human similarity per observed pair (float64).
    i, j : numpy.ndarray
        The pairs' items.

    Raises
    ------
    ValueError
        When a matrix is not (N, N), fewer than 3 pairs are observed, or a value on an observed
        pair is NaN or infinite.
    """
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
    """R² (squared Spearman), Spearman and Pearson over the observed pairs among ``indices``.

    Parameters
    ----------
    model_similarity : numpy.ndarray
        (N, N) model similarity.
    human_similarity : numpy.ndarray
        (N, N) human similarity.
    observed_mask : numpy.ndarray
        (N, N) mask of the pairs with human judgments.
    indices : numpy.ndarray or None, default None
        The items whose pairs are used, e.g. a split's videos (all N when None).

    Returns
    -------
    Alignment
        The three correlations, the number of observed pairs and of items.

    Raises
    ------
    ValueError
        As :func:`pair_vectors`, and when either similarity is constant over the pairs.
    """
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


# Up to this many distinct values, ranks come from a histogram (a sparse matrix product).
FEW_VALUES = 512


def weighted_ranks(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average ranks of x (M,) as if element m appeared ``weights[b, m]`` times, for each row b.

    Equal to ``scipy.stats.rankdata`` on the expanded sample (ties share their mean rank);
    hand-written because scipy has no weighted rank, and one sort of x serves all rows. When
    x has few distinct values (e.g. judged similarities, ratios of small counts), each row's
    ranks follow from its weight per distinct value, one sparse matrix product for all rows.

    Parameters
    ----------
    x : numpy.ndarray
        (M,) values to rank.
    weights : numpy.ndarray
        (B, M) or (M,) (then B = 1) non-negative weights, e.g. bootstrap counts.

    Returns
    -------
    numpy.ndarray
        (B, M) float64 ranks of each element under each row's weights.
    """
    x = np.asarray(x, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(x, kind="stable")
    xs = x[order]
    new_value = np.r_[True, xs[1:] != xs[:-1]]
    n_values = int(new_value.sum())
    if n_values <= FEW_VALUES:
        value_of = np.empty(x.size, dtype=np.int64)
        value_of[order] = np.cumsum(new_value) - 1
        onehot = sparse.csr_matrix(
            (np.ones(x.size), (value_of, np.arange(x.size))), shape=(n_values, x.size)
        )
        hist = np.asarray((onehot @ weights.T).T)
        table = np.cumsum(hist, axis=1) - hist + (hist + 1.0) / 2.0
        return table[:, value_of]
    presorted = bool(np.all(order[1:] > order[:-1]))  # x already ascending: no reordering
    ws = weights if presorted else weights[:, order]
    cum = np.cumsum(ws, axis=1)
    if n_values == x.size:  # no ties: rank = weight before + (own weight + 1) / 2
        ranks_sorted = cum - (ws - 1.0) / 2.0
    else:
        starts = np.flatnonzero(new_value)
        before = np.zeros((ws.shape[0], starts.size))
        before[:, 1:] = cum[:, starts[1:] - 1]
        group_weight = np.add.reduceat(ws, starts, axis=1)
        group_rank = before + (group_weight + 1.0) / 2.0
        ranks_sorted = np.repeat(group_rank, np.diff(np.r_[starts, x.size]), axis=1)
    if presorted:
        return ranks_sorted
    ranks = np.empty_like(ws)
    ranks[:, order] = ranks_sorted
    return ranks


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson correlation per row with weights (B, M); x and y are (M,) or (B, M).

    From weighted moments: matrix-vector products when x and y are shared by all rows.

    Parameters
    ----------
    x : numpy.ndarray
        (M,) values shared by every row, or (B, M) one row each.
    y : numpy.ndarray
        (M,) or (B, M), likewise.
    weights : numpy.ndarray
        (B, M) or (M,) (then B = 1) non-negative weights.

    Returns
    -------
    numpy.ndarray
        (B,) r clipped to [-1, 1]; NaN where x or y has no weighted variance.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    total = w.sum(axis=1)
    if x.ndim == 1 and y.ndim == 1:
        x = x - x.mean()  # centring first keeps the moments well conditioned
        y = y - y.mean()
        sx, sy = w @ x, w @ y
        sxx, syy, sxy = w @ (x * x), w @ (y * y), w @ (x * y)
    else:
        x = np.broadcast_to(x, w.shape)
        y = np.broadcast_to(y, w.shape)
        wx = w * x
        wy = w * y
        sx, sy = wx.sum(axis=1), wy.sum(axis=1)
        sxx = np.einsum("bm,bm->b", wx, x)
        syy = np.einsum("bm,bm->b", wy, y)
        sxy = np.einsum("bm,bm->b", wx, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / total
        vx = sxx - sx * sx / total
        vy = syy - sy * sy / total
        r = cov / np.sqrt(vx * vy)
    # Rounding can leave a tiny variance where the true one is 0 (a constant resample).
    tiny = 1e-12 * np.maximum(sxx, 1e-300)
    r[(vx <= tiny) | (vy <= 1e-12 * np.maximum(syy, 1e-300))] = np.nan
    return np.clip(r, -1.0, 1.0)


def weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman correlation per row of weights (B, M): the Pearson of the weighted ranks.

    Parameters
    ----------
    x : numpy.ndarray
        (M,) values.
    y : numpy.ndarray
        (M,) values.
    weights : numpy.ndarray
        (B, M) or (M,) (then B = 1) non-negative weights.

    Returns
    -------
    numpy.ndarray
        (B,) rho; NaN where the ranks of x or y have no weighted variance.
    """
    return weighted_pearson(weighted_ranks(x, weights), weighted_ranks(y, weights), weights)
