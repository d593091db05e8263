"""Similarity from odd-one-out judgments, and from embeddings.

In an odd-one-out (OOO) trial on items (a, b, c) where c is chosen as the odd one, the pair
(a, b) is *kept together*. Over trials, p(i, j) = kept(i, j) / counts(i, j), where counts(i, j)
is the number of trials showing i and j together. A pair never shown together is *missing*
(NaN, with ``observed`` False), never 0; the diagonal is 1 by convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METRICS = ("cosine", "correlation", "dot")
# Positions of the pair that leaves out position k: PAIRS[k] = the other two positions.
PAIRS = np.array([[1, 2], [0, 2], [0, 1]])


def check_trials(triplets: np.ndarray, odd: np.ndarray, n_items: int | None = None) -> tuple[
    np.ndarray, np.ndarray
]:
    """Validate (n, 3) triplets of item indices and (n,) odd positions; return them as int64.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) integer item indices, no item repeated within a trial (catch trials excluded).
    odd : numpy.ndarray
        (n,) integer odd positions 0..2.
    n_items : int or None, default None
        The number of items: indices must lie in 0..n_items-1 (not checked when None).

    Returns
    -------
    triplets : numpy.ndarray
        (n, 3) int64.
    odd : numpy.ndarray
        (n,) int64.

    Raises
    ------
    ValueError
        Naming the first bad row: wrong shapes or dtypes, a position outside 0..2, an index
        out of range, or a repeated item.
    """
    triplets = np.asarray(triplets)
    odd = np.asarray(odd)
    if triplets.ndim != 2 or triplets.shape[1] != 3:
        raise ValueError(f"triplets must have shape (n, 3), got {triplets.shape}")
    if odd.shape != (len(triplets),):
        raise ValueError(f"odd must have shape ({len(triplets)},), got {odd.shape}")
    if not np.issubdtype(triplets.dtype, np.integer) and triplets.size:
        raise ValueError(f"triplets must hold integer item indices, got dtype {triplets.dtype}")
    if not np.issubdtype(odd.dtype, np.integer) and odd.size:
        raise ValueError(f"odd must hold integer positions 0..2, got dtype {odd.dtype}")
    # min/max first: the masks are only built to name the first bad row.
    if odd.size and (odd.min() < 0 or odd.max() > 2):
        row = int(np.flatnonzero((odd < 0) | (odd > 2))[0])
        raise ValueError(f"odd[{row}] = {odd[row]} is not a position 0..2")
    if n_items is not None and triplets.size and (
        triplets.min() < 0 or triplets.max() >= n_items
    ):
        out = (triplets < 0) | (triplets >= n_items)
        if out.any():
            row = int(np.flatnonzero(out.any(axis=1))[0])
            raise ValueError(
                f"trial {row}: item index out of range 0..{n_items - 1}: {triplets[row].tolist()}"
            )
    repeated = (
        (triplets[:, 0] == triplets[:, 1])
        | (triplets[:, 1] == triplets[:, 2])
        | (triplets[:, 0] == triplets[:, 2])
    )
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise ValueError(
            f"trial {row} repeats an item {triplets[row].tolist()} (a catch trial); "
            "exclude catch trials before computing similarity"
        )
    return triplets.astype(np.int64, copy=False), odd.astype(np.int64, copy=False)


def kept_pairs(triplets: np.ndarray, odd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two items kept together in each trial (the ones that are not the odd one).

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices.
    odd : numpy.ndarray
        (n,) odd positions 0..2.

    Returns
    -------
    a, b : numpy.ndarray
        (n,) each: the kept items, in the triplet's cyclic order after the odd one.
    """
    rows = np.arange(len(odd))
    return triplets[rows, (odd + 1) % 3], triplets[rows, (odd + 2) % 3]


@dataclass(frozen=True)
class JudgedSimilarity:
    """Similarity from OOO judgments.

    similarity: (N, N) p(kept together | shown together), NaN on unobserved pairs, diagonal 1;
    counts: (N, N) int co-occurrence; kept: (N, N) int kept-together counts; observed: (N, N)
    bool, off-diagonal pairs with counts > 0.
    """

    similarity: np.ndarray
    counts: np.ndarray
    kept: np.ndarray
    observed: np.ndarray

    @property
    def n_items(self) -> int:
        return int(self.similarity.shape[0])

    @property
    def n_observed_pairs(self) -> int:
        """Number of unordered observed pairs."""
        return int(np.triu(self.observed, 1).sum())

    def to_dict(self) -> dict[str, object]:
        """A JSON-able summary (the matrices themselves go to .npz files, not JSON)."""
        n = self.n_items
        return {
            "n_items": n,
            "n_pairs": n * (n - 1) // 2,
            "n_observed_pairs": self.n_observed_pairs,
            "mean_count_observed": float(self.counts[np.triu(self.observed, 1)].mean())
            if self.n_observed_pairs
            else float("nan"),
        }

    def to_frame(self, ids: np.ndarray | None = None) -> pd.DataFrame:
        """The observed pairs as a long table: i, j, count, kept, similarity."""
        i, j = np.nonzero(np.triu(self.observed, 1))
        labels = np.arange(self.n_items) if ids is None else np.asarray(ids)
        return pd.DataFrame(
            {
                "i": labels[i],
                "j": labels[j],
                "count": self.counts[i, j],
                "kept": self.kept[i, j],
                "similarity": self.similarity[i, j],
            }
        )


def similarity_from_judgments(
    triplets: np.ndarray, odd: np.ndarray, n_items: int
) -> JudgedSimilarity:
    """Pair co-occurrence, kept-together counts and p(i, j) from OOO trials (vectorized).

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices 0..n_items-1 (no repeated item: exclude catch trials first).
    odd : numpy.ndarray
        (n,) position 0..2 of the item chosen as the odd one out.
    n_items : int
        The number of items N (positive).

    Returns
    -------
    JudgedSimilarity
        (N, N) similarity (NaN on unobserved pairs, diagonal 1), counts, kept counts and the
        observed mask.

    Raises
    ------
    ValueError
        When ``n_items`` < 1 or the trials are malformed (:func:`check_trials`).
    """
    if n_items < 1:
        raise ValueError(f"n_items must be positive, got {n_items}")
    triplets, odd = check_trials(triplets, odd, n_items)
    t0, t1, t2 = triplets[:, 0], triplets[:, 1], triplets[:, 2]
    # Flat codes i * N + j of the pair leaving out position 0, 1 and 2.
    leave0 = t1 * n_items + t2
    leave1 = t0 * n_items + t2
    leave2 = t0 * n_items + t1
    size = n_items * n_items
    flat = (
        np.bincount(leave0, minlength=size)
        + np.bincount(leave1, minlength=size)
        + np.bincount(leave2, minlength=size)
    ).reshape(n_items, n_items)
    counts = flat + flat.T
    kept_code = np.where(odd == 0, leave0, np.where(odd == 1, leave1, leave2))
    flat_kept = np.bincount(kept_code, minlength=size).reshape(n_items, n_items)
    kept = flat_kept + flat_kept.T
    observed = counts > 0
    np.fill_diagonal(observed, False)
    similarity = np.full((n_items, n_items), np.nan)
    np.divide(kept, counts, out=similarity, where=observed)
    np.fill_diagonal(similarity, 1.0)
    return JudgedSimilarity(similarity=similarity, counts=counts, kept=kept, observed=observed)


def similarity_from_embeddings(
    X: np.ndarray, metric: str = "cosine", labels: np.ndarray | None = None
) -> np.ndarray:
    """(N, N) similarity of the rows of X: cosine, correlation (Pearson across features) or dot.

    Written with one matrix product (no library call needed); ``correlation`` equals
    ``1 - scipy.spatial.distance.pdist(X, "correlation")``.

    Parameters
    ----------
    X : numpy.ndarray
        (N, D) finite embeddings, one row per item.
    metric : str, default "cosine"
        ``cosine``, ``correlation`` or ``dot`` (:data:`METRICS`).
    labels : numpy.ndarray or None, default None
        Names of the rows (e.g. video ids) for error messages.

    Returns
    -------
    numpy.ndarray
        (N, N) float64; for cosine and correlation clipped to [-1, 1] with diagonal 1.

    Raises
    ------
    ValueError
        When ``X`` is not 2-D, the metric is unknown, a row is not finite, or (cosine,
        correlation) a row is all zeros or constant.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D array (N, D), got shape {X.shape}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {list(METRICS)}")

    def name(row: int) -> str:
        return f"row {row}" + ("" if labels is None else f" (video id {labels[row]})")

    if not np.isfinite(X).all():
        row = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise ValueError(f"embeddings {name(row)} holds a NaN or infinite value")
    if metric == "dot":
        return X @ X.T
    if metric == "correlation":
        X = X - X.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(X, axis=1)
    zero = norms <= np.finfo(float).eps * max(1.0, float(np.abs(X).max(initial=0.0)))
    if zero.any():
        row = int(np.flatnonzero(zero)[0])
        what = "constant" if metric == "correlation" else "all zeros"
        raise ValueError(f"embeddings {name(row)} is {what}: {metric} similarity is undefined")
    U = X / norms[:, None]
    S = U @ U.T
    np.clip(S, -1.0, 1.0, out=S)
    np.fill_diagonal(S, 1.0)
    return S
