"""Triplet designs for odd-one-out experiments: a greedy set cover of all item pairs.

A triplet covers three pairs, so covering every pair of ``n`` items at least ``k`` times needs at
least ``k * n * (n - 1) / 6`` triplets. The greedy rule below (hand-written: no library covers
this with the item-balance tie-break) picks, at every step, the item whose pairs are most
uncovered, then its most uncovered partner, then the third item that adds the most uncovered
pairs; ties go to the least-used items, then to a random draw from ``rng``.
"""

from __future__ import annotations

import numpy as np


def pair_counts(triplets: np.ndarray, n_items: int) -> np.ndarray:
    """(n, n) symmetric counts of how often each pair of items appears in the same triplet.

    Parameters
    ----------
    triplets : numpy.ndarray
        (m, 3) item indices.
    n_items : int
        n, the number of items (indices lie in 0..n-1).

    Returns
    -------
    numpy.ndarray
        (n, n) int64 counts, 0 on the diagonal.
    """
    t = np.asarray(triplets, dtype=np.int64)
    counts = np.zeros((n_items, n_items), dtype=np.int64)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        np.add.at(counts, (t[:, a], t[:, b]), 1)
        np.add.at(counts, (t[:, b], t[:, a]), 1)
    np.fill_diagonal(counts, 0)
    return counts


def set_cover_triplets(
    n_items: int, k: int = 1, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Triplets (m, 3) of distinct items covering every pair of ``n_items`` at least ``k`` times.

    Item use is kept balanced (ties go to the least-used items); the order of the rows and of
    the items inside each row is shuffled with ``rng``.

    Parameters
    ----------
    n_items : int
        Number of items, at least 3.
    k : int, default 1
        Times each pair must be covered, a positive integer.
    rng : numpy.random.Generator, optional
        Breaks ties and shuffles; None: ``numpy.random.default_rng(0)``.

    Returns
    -------
    numpy.ndarray
        (m, 3) int64 item indices.
    """
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer):
        raise TypeError(f"n_items must be an integer, got {n_items!r}")
    if n_items < 3:
        raise ValueError(f"n_items must be at least 3 to form a triplet, got {n_items}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k (times each pair is covered) must be a positive integer, got {k!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    n = int(n_items)
    deficit = np.full((n, n), int(k), dtype=np.int64)
    np.fill_diagonal(deficit, 0)
    row_deficit = deficit.sum(axis=1)
    use = np.zeros(n, dtype=np.int64)
    # A random jitter in [0, 0.5) breaks ties without outweighing a difference of one use.
    jitter = rng.random(n) * 0.5
    out: list[tuple[int, int, int]] = []
    big = float(n * 4 * k + 10)
    while row_deficit.max() > 0:
        a = int(np.argmax(row_deficit * big - use - jitter))
        score_b = np.minimum(deficit[a], 1) * big - use - jitter
        score_b[a] = -np.inf
        b = int(np.argmax(score_b))
        gain = (deficit[a] > 0).astype(np.int64) + (deficit[b] > 0)
        score_c = gain * big - use - jitter
        score_c[[a, b]] = -np.inf
        c = int(np.argmax(score_c))
        for x, y in ((a, b), (a, c), (b, c)):
            if deficit[x, y] > 0:
                deficit[x, y] -= 1
                deficit[y, x] -= 1
                row_deficit[x] -= 1
                row_deficit[y] -= 1
        use[[a, b, c]] += 1
        jitter = rng.random(n) * 0.5
        out.append((a, b, c))
    triplets = np.array(out, dtype=np.int64)
    triplets = triplets[rng.permutation(len(triplets))]
    return rng.permuted(triplets, axis=1)
