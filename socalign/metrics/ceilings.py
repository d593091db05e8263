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
the expected agreement with a tie broken at random. Chance is 1/3. This is a *reliability* of
the choices, not a ceiling: with m showings of a triplet whose most likely choice has
probability p_max, the agreement is about Σ p² (m = 2), well below p_max, so good models beat it.

**OOO ceiling** (``ooo_ceiling``): the expected OOO accuracy of the best possible model, one
that always picks each triplet's most likely choice: the mean over trials of max_k p_tk, where
p_t is the distribution of choices of triplet t over the population of participants. Each
unordered triplet's choice counts n_t are taken as multinomial draws from p_t, and p_t as drawn
from a symmetric Dirichlet(a, a, a) pooled over triplets (empirical Bayes): a is fitted by
maximum marginal (Dirichlet-multinomial) likelihood over the triplets shown at least twice
(once-shown triplets carry no information on a), and each triplet's posterior
Dirichlet(a + n_t) gives E[max_k p_tk | n_t] by Monte Carlo (a seeded numpy Generator, the
Dirichlet drawn as normalised gammas in log space so that small a does not underflow). The
ceiling is the trial-weighted mean of these posterior means over all trials (a once-shown
triplet gets the prior mean E[max p], which is also its posterior mean). It accounts for the
number of repeats: a triplet with two showings moves little from the prior, one with seven a
lot. On SocialWorld, whose observers' probabilities are known, its bias is measured in
tests/metrics/test_ceilings_ooo.py and benchmarks/ceilings.py.

**Cost** (issue 22): time and memory at most linear in the trials. Triplets are grouped by
one int64 code per trial (a 1-D ``unique``, or a ``bincount`` when there are few items), never
by per-trial Python objects or a dense items³ array; the split-half ranks sort each split's
pairs (its memory grows with splits × pairs, computed in chunks, not with the counts); the
OOO ceiling's Monte Carlo costs ``n_draws`` per distinct pattern of counts, and there are at
most as many patterns as distinct triplets (and half as many as trials). Every number is the
same, to the bit, as the earlier per-trial and lookup-table forms gave.

**One function for every caller** (``benchmark_ceilings``): the R² ceiling (split-half, over
participants), the OOO reliability and the OOO ceiling of one split of a benchmark, with the
rule and the meaning of each, so that the CLI, the analyses and the book report the same
numbers for the same split and seed. The split halves come from ``numpy.random.default_rng(seed)``
alone (never from a generator that other computations have used), which is why two callers with
the same seed agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special

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
    """Spearman–Brown prophecy: reliability of data ``factor`` times as large.

    Parameters
    ----------
    r : numpy.ndarray or float
        Reliability (correlation) of the data at hand, e.g. of one half.
    factor : float, default 2.0
        How many times as much data (2: from a half to the whole).

    Returns
    -------
    numpy.ndarray or float
        ``factor * r / (1 + (factor - 1) * r)``, elementwise.
    """
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
    """Sparse (P, M) co-occurrence and kept-together counts per participant and pair.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices of the trials.
    odd : numpy.ndarray
        (n,) odd positions 0..2.
    participant_codes : numpy.ndarray
        (n,) participant of each trial, coded 0..P-1.
    n_participants : int
        P.
    pid : numpy.ndarray
        (N, N) map of an item pair to its pair id 0..M-1, -1 for pairs not counted.
    n_pairs : int
        M.

    Returns
    -------
    counts : scipy.sparse.csr_matrix
        (P, M) number of each participant's trials showing each pair.
    kept : scipy.sparse.csr_matrix
        (P, M) number of those trials in which the pair was kept together.
    """
    shape = (n_participants, n_pairs)
    small = np.int32 if max(shape) < 2**31 else np.int64
    pid = pid.astype(small, copy=False)
    who = participant_codes.astype(small, copy=False)

    def tally(pairs: np.ndarray) -> sparse.csr_matrix:
        """(P, M) number of trials of each participant with each counted pair in ``pairs``."""
        use = pairs >= 0
        return sparse.coo_matrix(
            (np.ones(int(use.sum())), (who[use], pairs[use])), shape=shape
        ).tocsr()

    # One pair of positions at a time (each trial shows three pairs): the working memory is a
    # few arrays of n, the result at most the distinct (participant, pair) cells. The counts
    # are whole numbers, so their sums are exact in any order.
    counts = tally(pid[triplets[:, 0], triplets[:, 1]])
    counts = counts + tally(pid[triplets[:, 0], triplets[:, 2]])
    counts = counts + tally(pid[triplets[:, 1], triplets[:, 2]])
    ka, kb = kept_pairs(triplets, odd)
    kept = tally(pid[ka, kb])
    return counts, kept


def random_halves(n_participants: int, n_splits: int, rng: np.random.Generator) -> np.ndarray:
    """(n_splits, P) bool: True for the ⌊P/2⌋ participants of half A in each split.

    Parameters
    ----------
    n_participants : int
        P.
    n_splits : int
        The number of random splits.
    rng : numpy.random.Generator
        The random stream (it continues).

    Returns
    -------
    numpy.ndarray
        (n_splits, P) bool.
    """
    order = np.argsort(rng.random((n_splits, n_participants)), axis=1)
    halves = np.zeros((n_splits, n_participants), dtype=bool)
    np.put_along_axis(halves, order[:, : n_participants // 2], True, axis=1)
    return halves


def _ratio_ranks(num: np.ndarray, den: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Average ranks, per row, of num/den among the valid entries (other entries: undefined).

    One sort per row of the ratios (invalid entries sorted last as +inf), ties found on the
    sorted rows: memory and time grow with the array's size only, never with the counts (a
    lookup table over all (num, den) pairs, as this once used, grows with the square of the
    largest count, i.e. of the trials per pair). The ratios of counts are correctly rounded
    divisions, so equal fractions (1/2, 2/4) give equal floats and distinct ones (denominators
    below 2**26) distinct floats: ties are exactly the equal fractions. Equal on valid entries
    to ``scipy.stats.rankdata(..., axis=1, nan_policy="omit")`` of the ratios.
    """
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    n_rows, n_cols = num.shape
    ranks = np.empty((n_rows, n_cols), dtype=np.float64)
    if ranks.size == 0:
        return ranks
    step = max(1, _RANK_CHUNK // n_cols)  # rows per chunk: bounded working memory
    for lo in range(0, n_rows, step):
        hi = min(n_rows, lo + step)
        ranks[lo:hi] = _row_average_ranks(num[lo:hi], den[lo:hi], valid[lo:hi])
    return ranks


_RANK_CHUNK = 1_000_000
"""Entries ranked at a time by :func:`_ratio_ranks`."""

_SPLIT_CHUNK = 1_000_000
"""(split, pair) entries of the split-half computed at a time by :func:`split_half_ceiling`."""


def _row_average_ranks(num: np.ndarray, den: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Average ranks per row of num/den (invalid entries ranked last, as +inf)."""
    n_rows, n_cols = num.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(valid, num / np.where(valid, den, 1.0), np.inf)
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1).ravel()
    starts = np.ones(ordered.size, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    starts[::n_cols] = True  # every row starts a new run of equal values
    first = np.flatnonzero(starts)
    run = np.cumsum(starts) - 1
    sizes = np.diff(np.append(first, ordered.size))
    # the rank of a run of k equal values after `below` smaller ones: below + (k + 1) / 2
    average = first % n_cols + (sizes + 1) / 2.0
    ranks = np.empty((n_rows, n_cols), dtype=np.float64)
    np.put_along_axis(ranks, order, average[run].reshape(n_rows, n_cols), axis=1)
    return ranks


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

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices of the trials (no repeated item).
    odd : numpy.ndarray
        (n,) odd positions 0..2.
    participants : numpy.ndarray
        (n,) participant codes of the trials; their sorted unique values define the column
        order of ``halves``.
    n_items : int
        The number of items N.
    indices : numpy.ndarray or None, default None
        The items whose pairs are correlated, e.g. a split's videos (all N when None).
    n_splits : int, default 100
        Random participant halves (at least 1); unused when ``halves`` is given.
    rng : numpy.random.Generator or int, default 0
        Generator or seed of the random halves.
    correlation : str, default "spearman"
        ``spearman`` or ``pearson``: how the two halves' similarities are correlated over the
        pairs seen in both.
    halves : numpy.ndarray or None, default None
        An optional (n_splits, P) bool array fixing the splits (True: half A).

    Returns
    -------
    SplitHalfCeiling
        Mean r and Spearman–Brown corrected r over the splits with a defined correlation, their
        spread and 2.5/97.5 percentiles, and the per-split r.

    Raises
    ------
    ValueError
        When ``correlation`` is unknown, the trials or ``halves`` are malformed, there are fewer
        than 2 participants or ``n_splits`` < 1, or no split gives a defined correlation.
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
    count_all = np.asarray(counts.sum(axis=0))
    kept_all = np.asarray(kept.sum(axis=0))
    n_rows = halves.shape[0]
    # Column-major, the layout of the (pairs, splits) products transposed that these arrays
    # were once computed as: the correlations' sums then run in the same order, to the bit.
    val_a = np.empty((n_rows, n_pairs), order="F")
    val_b = np.empty((n_rows, n_pairs), order="F")
    both = np.empty((n_rows, n_pairs), dtype=bool, order="F")
    # Each split's counts and values in chunks of about _SPLIT_CHUNK (split, pair) entries:
    # exact per entry (integer counts, their ratios or ranks), so only the working memory
    # changes; the correlations are then taken over all splits at once.
    step = max(1, _SPLIT_CHUNK // max(n_pairs, 1))
    for lo in range(0, n_rows, step):
        hi = min(n_rows, lo + step)
        h = halves[lo:hi].astype(np.float64)
        count_a = (counts.T @ h.T).T
        kept_a = (kept.T @ h.T).T
        count_b = count_all - count_a
        kept_b = kept_all - kept_a
        both[lo:hi] = shown = (count_a > 0) & (count_b > 0)
        if correlation == "spearman":
            val_a[lo:hi] = _ratio_ranks(kept_a, count_a, shown)
            val_b[lo:hi] = _ratio_ranks(kept_b, count_b, shown)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                val_a[lo:hi] = kept_a / count_a
                val_b[lo:hi] = kept_b / count_b
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
    """Leave-one-out agreement of each repeated trial with the majority of the other trials.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices of the trials; a triplet repeats when the same three items recur
        in any order.
    odd : numpy.ndarray
        (n,) odd positions 0..2.

    Returns
    -------
    OOOConsistency
        The mean agreement over the trials whose triplet was also shown in another trial (1/k
        where the choice is one of k tied majority choices; NaN when none repeat).

    Raises
    ------
    ValueError
        When there are no trials or they are malformed.
    """
    triplets, odd = check_trials(triplets, odd)
    n = len(odd)
    if n == 0:
        raise ValueError("no trials")
    group, position, n_groups = _triplet_groups(triplets, odd)
    votes = np.bincount(group * 3 + position, minlength=3 * n_groups).reshape(n_groups, 3)
    # A trial's agreement depends only on its triplet and choice: one table of (T, 3) values,
    # each computed as it would be for the trial (the others' votes, modes, 1/k), then looked up.
    others = votes[:, None, :] - np.eye(3, dtype=votes.dtype)[None]  # (T, own choice, option)
    top = others.max(axis=2, keepdims=True)
    modes = others == top
    table = np.diagonal(modes, axis1=1, axis2=2) / modes.sum(axis=2)
    repeated_triplet = votes.sum(axis=1) > 1
    repeated = repeated_triplet[group]
    agreement = table[group[repeated], position[repeated]]
    return OOOConsistency(
        loo_agreement=float(agreement.mean()) if agreement.size else float("nan"),
        n_trials=int(repeated.sum()),
        n_triplets=int(repeated_triplet.sum()),
        n_trials_total=n,
        agreement=agreement,
    )


CONCENTRATION_BOUNDS = (1e-3, 1e3)
"""Search interval of the Dirichlet concentration a (log scale)."""


@dataclass(frozen=True)
class OOOCeiling:
    """Empirical-Bayes OOO-accuracy ceiling: expected accuracy of each triplet's modal choice.

    Attributes
    ----------
    ceiling : float
        Trial-weighted mean over all trials of E[max_k p_tk | counts] (NaN when no triplet was
        shown twice, so that a cannot be fitted).
    repeated_ceiling : float
        The same mean over the trials of repeated triplets only.
    prior_ceiling : float
        E[max_k p_k] under the fitted prior (the estimate for a triplet shown once).
    concentration : float
        The fitted symmetric Dirichlet concentration a.
    pair_agreement : float
        Probability under the fitted prior that two showings agree, (a + 1) / (3a + 1): what
        the fit matches; with two showings per triplet it is the expected LOO agreement.
    log_likelihood : float
        Maximised marginal log-likelihood (Dirichlet-multinomial, without the multinomial
        coefficients, which do not depend on a).
    n_trials, n_triplets : int
        All trials, and their distinct unordered triplets.
    n_repeated_trials, n_repeated_triplets : int
        Trials and triplets of the triplets shown at least twice.
    repeats_mean : float
        Mean showings per repeated triplet.
    n_draws : int
        Monte Carlo draws per distinct posterior.
    seed : int or None
        Seed of the Monte Carlo generator (None when a Generator was passed).
    """

    ceiling: float
    repeated_ceiling: float
    prior_ceiling: float
    concentration: float
    pair_agreement: float
    log_likelihood: float
    n_trials: int
    n_triplets: int
    n_repeated_trials: int
    n_repeated_triplets: int
    repeats_mean: float
    n_draws: int
    seed: int | None
    chance: float = 1.0 / 3.0
    rule: str = "argmax (one choice per trial)"
    model: str = (
        "choices of a triplet ~ multinomial(p_t); p_t ~ symmetric Dirichlet(a) pooled over "
        "triplets, a by maximum marginal likelihood over repeated triplets; ceiling = mean over "
        "trials of the posterior mean of max_k p_tk"
    )
    posterior: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def to_dict(self) -> dict[str, object]:
        """The estimate, the fit and the counts (``posterior`` left out)."""
        return {
            "ceiling": self.ceiling,
            "repeated_ceiling": self.repeated_ceiling,
            "prior_ceiling": self.prior_ceiling,
            "concentration": self.concentration,
            "pair_agreement": self.pair_agreement,
            "log_likelihood": self.log_likelihood,
            "n_trials": self.n_trials,
            "n_triplets": self.n_triplets,
            "n_repeated_trials": self.n_repeated_trials,
            "n_repeated_triplets": self.n_repeated_triplets,
            "repeats_mean": self.repeats_mean,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "chance": self.chance,
            "rule": self.rule,
            "model": self.model,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row."""
        return pd.DataFrame([self.to_dict()])


def triplet_counts(triplets: np.ndarray, odd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Choice counts of every distinct unordered triplet, and each trial's triplet.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices as shown.
    odd : numpy.ndarray
        (n,) position 0..2 of the chosen odd one.

    Returns
    -------
    tuple
        ``(counts, group)``: (T, 3) how often each item of triplet t (in sorted item order) was
        chosen, and (n,) the triplet of every trial.
    """
    triplets, odd = check_trials(triplets, odd)
    group, position, n_groups = _triplet_groups(triplets, odd)
    counts = np.bincount(group * 3 + position, minlength=3 * n_groups).reshape(n_groups, 3)
    return counts, group


def _triplet_groups(triplets: np.ndarray, odd: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Each trial's unordered triplet and the position of its choice among the sorted items.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) int64 item indices (checked).
    odd : numpy.ndarray
        (n,) int64 odd positions (checked).

    Returns
    -------
    tuple
        ``(group, position, n_groups)``: (n,) triplet ids 0..T-1 in the lexicographic order of
        the sorted items (as ``numpy.unique(numpy.sort(triplets, axis=1), axis=0)`` numbers
        them), (n,) the chosen item's place 0..2 among the sorted items, and T. Each sorted
        triplet is one int64 code (i·N + j)·N + k, so the grouping is a 1-D ``unique`` (or,
        when N³ is no larger than n + 65,536, a ``bincount``): no (n, 3) row sort.
    """
    n = len(odd)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    a, b, c = triplets[:, 0], triplets[:, 1], triplets[:, 2]
    lo = np.minimum(np.minimum(a, b), c)
    hi = np.maximum(np.maximum(a, b), c)
    mid = a + b + c - lo - hi
    choice = triplets[np.arange(n), odd]
    position = (choice == mid).view(np.int8) + 2 * (choice == hi).view(np.int8)
    position = position.astype(np.int64)
    width = int(hi.max()) + 1
    if width**3 >= 2**62:  # codes would overflow int64: unique over rows
        ordered = np.stack([lo, mid, hi], axis=1)
        _, group = np.unique(ordered, axis=0, return_inverse=True)
        group = group.ravel().astype(np.int64)
        return group, position, int(group.max()) + 1
    code = (lo * width + mid) * width + hi
    del lo, mid, hi
    if width**3 <= n + 65_536:
        present = np.bincount(code, minlength=width**3) > 0
        ids = np.cumsum(present) - 1
        return ids[code], position, int(present.sum())
    distinct, group = np.unique(code, return_inverse=True)
    return group.ravel().astype(np.int64), position, int(distinct.size)


def dirichlet_multinomial_loglik(counts: np.ndarray, concentration: float) -> float:
    """Marginal log-likelihood of choice counts under a symmetric Dirichlet(a) prior.

    Parameters
    ----------
    counts : numpy.ndarray
        (T, K) counts per triplet and option.
    concentration : float
        a > 0.

    Returns
    -------
    float
        Σ_t [log Γ(Ka) − log Γ(Ka + m_t) + Σ_k (log Γ(a + n_tk) − log Γ(a))], the
        Dirichlet-multinomial log-probability of the ordered sequences of choices (the
        multinomial coefficients, constant in a, are left out).
    """
    counts = np.asarray(counts, dtype=float)
    a = float(concentration)
    k = counts.shape[1]
    m = counts.sum(axis=1)
    return float(
        np.sum(special.gammaln(k * a) - special.gammaln(k * a + m))
        + np.sum(special.gammaln(a + counts) - special.gammaln(a))
    )


def fit_concentration(counts: np.ndarray) -> tuple[float, float]:
    """Maximum marginal likelihood symmetric Dirichlet concentration of repeated triplets.

    Parameters
    ----------
    counts : numpy.ndarray
        (T, K) counts of triplets shown at least twice.

    Returns
    -------
    tuple
        ``(a, log_likelihood)``; a is searched on a log scale within
        :data:`CONCENTRATION_BOUNDS` (``scipy.optimize.minimize_scalar``, bounded), so perfectly
        consistent data give the lower bound and random data the upper one.
    """
    counts = np.asarray(counts)
    if counts.size == 0:
        raise ValueError("no repeated triplets: the concentration cannot be fitted")
    lo, hi = np.log(CONCENTRATION_BOUNDS)
    res = optimize.minimize_scalar(
        lambda x: -dirichlet_multinomial_loglik(counts, float(np.exp(x))),
        bounds=(lo, hi), method="bounded", options={"xatol": 1e-6},
    )
    a = float(np.exp(res.x))
    return a, dirichlet_multinomial_loglik(counts, a)


def dirichlet_expected_max(
    alpha: np.ndarray, n_draws: int = 50_000, rng: np.random.Generator | int = 0
) -> np.ndarray:
    """Monte Carlo E[max_k p_k] for p ~ Dirichlet(alpha), one value per row of ``alpha``.

    Parameters
    ----------
    alpha : numpy.ndarray
        (R, K) positive Dirichlet parameters.
    n_draws : int, default 50000
        Draws per row (the standard error is below 0.5/sqrt(n_draws)).
    rng : numpy.random.Generator or int, default 0
        The generator, or its seed.

    Returns
    -------
    numpy.ndarray
        (R,) estimates. The Dirichlet is drawn as normalised gammas, in log space: for shape
        s < 1, log G = log G' + log(U)/s with G' ~ Gamma(s + 1) and U uniform, so that very
        small concentrations do not underflow to 0/0.
    """
    alpha = np.atleast_2d(np.asarray(alpha, dtype=float))
    if (alpha <= 0).any() or not np.isfinite(alpha).all():
        raise ValueError("alpha must be positive and finite")
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    gen = as_rng(rng)
    out = np.empty(len(alpha))
    for r, row in enumerate(alpha):
        boost = row < 1
        shape = np.where(boost, row + 1.0, row)
        g = gen.standard_gamma(shape, size=(n_draws, row.size))
        u = gen.random((n_draws, row.size))
        out[r] = _expected_max_of_draws(g, u, row, boost)
    return out


def _expected_max_of_draws(
    g: np.ndarray, u: np.ndarray, row: np.ndarray, boost: np.ndarray
) -> float:
    """mean(max p / sum p) of one row's draws (gammas g, uniforms u; see dirichlet_expected_max).

    Written column by column (numpy's reductions over a short last axis are slow) in the same
    floating-point operations as the array form kept below for wide rows, so the two give the
    same bits: the largest p is exp(0) = 1 exactly, and the row sum of fewer than 8 columns is
    numpy's left-to-right sum.
    """
    k = row.size
    if k >= 8:
        log_g = np.log(g)
        log_g = np.where(boost, log_g + np.log(u) / row, log_g)
        log_g -= log_g.max(axis=1, keepdims=True)
        p = np.exp(log_g)
        return float(np.mean(p.max(axis=1) / p.sum(axis=1)))
    cols = []
    for j in range(k):
        col = np.log(g[:, j])
        if boost[j]:
            col = col + np.log(u[:, j]) / row[j]
        cols.append(col)
    top = cols[0].copy()
    for col in cols[1:]:
        np.maximum(top, col, out=top)
    total = np.exp(cols[0] - top)
    for col in cols[1:]:
        total += np.exp(col - top)
    return float(np.mean(1.0 / total))


def ooo_ceiling(
    triplets: np.ndarray,
    odd: np.ndarray,
    n_draws: int = 50_000,
    rng: np.random.Generator | int = 0,
    concentration: float | None = None,
) -> OOOCeiling:
    """Empirical-Bayes ceiling of OOO accuracy: expected accuracy of the modal choice.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices as shown.
    odd : numpy.ndarray
        (n,) position 0..2 of the chosen odd one.
    n_draws : int, default 50000
        Monte Carlo draws per distinct posterior (there are few: one per pattern of counts).
    rng : numpy.random.Generator or int, default 0
        Generator, or seed, of the Monte Carlo draws.
    concentration : float, optional
        A fixed Dirichlet concentration a (e.g. fitted on a larger split); fitted by maximum
        marginal likelihood over the repeated triplets of these trials when None.

    Returns
    -------
    OOOCeiling
        ``ceiling`` is NaN (and the fit fields too) when no triplet was shown twice and no
        ``concentration`` was given.

    Notes
    -----
    Chance is 1/3 and the ceiling at most 1. See the module docstring for the model.
    """
    counts, group = triplet_counts(triplets, odd)
    if counts.shape[0] == 0:
        raise ValueError("no trials")
    size = counts.sum(axis=1)
    rep = size >= 2
    seed = int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
    nan = float("nan")
    base: dict[str, Any] = {
        "n_trials": int(size.sum()),
        "n_triplets": int(counts.shape[0]),
        "n_repeated_trials": int(size[rep].sum()),
        "n_repeated_triplets": int(rep.sum()),
        "repeats_mean": float(size[rep].mean()) if rep.any() else nan,
        "n_draws": int(n_draws),
        "seed": seed,
    }
    if concentration is None:
        if not rep.any():
            return OOOCeiling(ceiling=nan, repeated_ceiling=nan, prior_ceiling=nan,
                              concentration=nan, pair_agreement=nan, log_likelihood=nan, **base)
        a, loglik = fit_concentration(counts[rep])
    else:
        if not concentration > 0:
            raise ValueError(f"concentration must be positive, got {concentration}")
        a = float(concentration)
        loglik = dirichlet_multinomial_loglik(counts[rep], a) if rep.any() else nan
    # The posterior mean of max p depends only on the sorted counts: one draw per pattern.
    # Once-shown triplets share the prior's pattern (their posterior mean of max p equals it).
    sorted_counts = -np.sort(-counts, axis=1)
    sorted_counts[size == 1] = 0
    patterns, which = np.unique(sorted_counts, axis=0, return_inverse=True)
    which = which.ravel()
    gen = as_rng(rng)
    if not (patterns == 0).all(axis=1).any():
        patterns = np.vstack([patterns, np.zeros(3, dtype=patterns.dtype)])
    values = dirichlet_expected_max(a + patterns, n_draws, gen)
    prior = float(values[(patterns == 0).all(axis=1)][0])
    posterior = values[which]  # per triplet
    return OOOCeiling(
        ceiling=float(np.sum(posterior * size) / size.sum()),
        repeated_ceiling=float(np.sum(posterior[rep] * size[rep]) / size[rep].sum()) if rep.any() else nan,
        prior_ceiling=prior,
        concentration=a,
        pair_agreement=(a + 1.0) / (3.0 * a + 1.0),
        log_likelihood=loglik,
        posterior=posterior[group],
        **base,
    )


@dataclass(frozen=True)
class BenchmarkCeilings:
    """The R² ceiling, the reliabilities and the OOO ceiling of one split of a benchmark.

    Attributes
    ----------
    dataset : str
        The benchmark's name.
    split : str
        The split (``"all"``: every kept trial).
    n_trials : int
        Kept trials of the split (all three videos in the split).
    n_splits : int
        Random participant halves asked for.
    seed : int
        Seed of the halves (``numpy.random.default_rng(seed)``) and of the OOO ceiling's
        Monte Carlo draws.
    split_half : SplitHalfCeiling or None
        None when the split-half could not be computed (see ``split_half_error``).
    split_half_error : str or None
        Why the split-half is missing.
    consistency : OOOConsistency
        Leave-one-out agreement of repeated triplets (the OOO reliability).
    ooo : OOOCeiling
        The empirical-Bayes OOO ceiling.
    """

    dataset: str
    split: str
    n_trials: int
    n_splits: int
    seed: int
    split_half: SplitHalfCeiling | None
    split_half_error: str | None
    consistency: OOOConsistency
    ooo: OOOCeiling

    @property
    def r2_ceiling(self) -> float:
        """Best R² (squared Spearman) a model can expect: the split-half reliability r_SB."""
        return float("nan") if self.split_half is None else self.split_half.r2_ceiling

    @property
    def reliability(self) -> float:
        """Split-half reliability r_SB of the judged similarity (Spearman–Brown corrected)."""
        return float("nan") if self.split_half is None else self.split_half.r_sb

    @property
    def ooo_reliability(self) -> float:
        """Leave-one-out agreement of repeated triplets (ties fractional)."""
        return self.consistency.loo_agreement

    @property
    def ooo_ceiling(self) -> float:
        """Expected OOO accuracy (argmax rule) of each triplet's most likely choice."""
        return self.ooo.ceiling

    def quantities(self) -> dict[str, dict[str, Any]]:
        """Each reported number with its interval (or None), count, rule and meaning."""
        sh = self.split_half
        low = None if sh is None else sh.low
        high = None if sh is None else sh.high
        n_part = None if sh is None else sh.n_participants
        halves = f"mean over {self.n_splits} random halves of the participants (seed {self.seed})"
        return {
            "r2_ceiling": {
                "estimate": self.r2_ceiling, "low": low, "high": high,
                "unit": "R² (squared Spearman over the split's observed pairs)",
                "n": n_part, "n_of": "participants",
                "rule": f"split-half reliability r_SB, {halves}",
                "meaning": "the best R² a model can expect against the full data's similarity: "
                "the true similarity correlates with the noisy data at √r_SB",
            },
            "reliability": {
                "estimate": self.reliability, "low": low, "high": high,
                "unit": "correlation (Spearman–Brown corrected)",
                "n": n_part, "n_of": "participants",
                "rule": f"Spearman correlation of the two halves' similarities, "
                f"Spearman–Brown corrected, {halves}",
                "meaning": "how well the judged similarity replicates: the share of its rank "
                "variance that is not noise",
            },
            "ooo_reliability": {
                "estimate": self.ooo_reliability, "low": None, "high": None,
                "unit": "agreement (chance 1/3)",
                "n": self.consistency.n_trials, "n_of": "trials of repeated triplets",
                "rule": "each repeated trial vs the majority choice of the triplet's other "
                "showings (ties 1/k)",
                "meaning": "how often people repeat a choice: a reliability, not a ceiling "
                "(with 2-3 showings it is below the accuracy of the most likely choice)",
            },
            "ooo_ceiling": {
                "estimate": self.ooo_ceiling, "low": None, "high": None,
                "unit": "OOO accuracy, argmax rule (chance 1/3)",
                "n": self.ooo.n_trials, "n_of": "trials",
                "rule": "empirical Bayes: symmetric Dirichlet-multinomial fitted to the repeated "
                "triplets; mean over trials of the posterior mean of the largest choice "
                "probability",
                "meaning": "the expected OOO accuracy of a model that always picks each "
                "triplet's most likely choice: the best any similarity can score",
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``ceilings`` (the four quantities) and the three estimators' details."""
        return {
            "dataset": self.dataset,
            "split": self.split,
            "n_trials": self.n_trials,
            "n_splits": self.n_splits,
            "seed": self.seed,
            "ceilings": self.quantities(),
            "split_half": (
                {"error": self.split_half_error} if self.split_half is None
                else self.split_half.to_dict()
            ),
            "ooo_consistency": self.consistency.to_dict(),
            "ooo_ceiling": self.ooo.to_dict(),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity: estimate, interval, count, unit, rule and meaning."""
        rows = [{"quantity": k, **v} for k, v in self.quantities().items()]
        return pd.DataFrame(rows).set_index("quantity")


def benchmark_ceilings(
    benchmark: Any,
    split: str | None = "test",
    n_splits: int = 100,
    seed: int = 0,
    n_draws: int = 50_000,
    ooo_concentration: float | None = None,
) -> BenchmarkCeilings:
    """The noise ceilings and reliabilities of one split: the one function every caller uses.

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark (anything with ``name``, ``videos``, ``split_trials(split)`` and
        ``split_indices(split)``, as :class:`socalign.data.Benchmark`; not imported here).
    split : str or None, default "test"
        The split; None or ``"all"``: every kept trial and every video.
    n_splits : int, default 100
        Random participant halves of the split-half reliability.
    seed : int, default 0
        Seeds ``numpy.random.default_rng(seed)`` for the halves and, separately, the OOO
        ceiling's Monte Carlo draws: the same seed gives the same numbers to every caller.
    n_draws : int, default 50000
        Monte Carlo draws per distinct posterior of the OOO ceiling.
    ooo_concentration : float, optional
        A fixed Dirichlet concentration for the OOO ceiling (fitted on the split when None).

    Returns
    -------
    BenchmarkCeilings
        R² ceiling and reliability (split-half over participants), OOO reliability (LOO
        agreement of repeated triplets) and OOO ceiling (empirical Bayes), each with its rule
        and meaning. A split-half that cannot be computed (too few participants or pairs) is
        reported in ``split_half_error``, not raised.

    Raises
    ------
    ValueError
        When the split has no kept trials, or ``n_splits`` < 1.
    """
    if n_splits < 1:
        raise ValueError(f"n_splits must be at least 1, got {n_splits}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    trials = benchmark.split_trials(split)
    name = "all" if split in (None, "all") else str(split)
    if len(trials) == 0:
        raise ValueError(f"split {name!r} has no trials")
    half: SplitHalfCeiling | None = None
    error: str | None = None
    try:
        half = split_half_ceiling(
            trials.triplets, trials.odd, trials.participants, len(benchmark.videos),
            indices=benchmark.split_indices(split), n_splits=n_splits,
            rng=as_rng(int(seed)),
        )
    except ValueError as err:
        error = str(err)
    return BenchmarkCeilings(
        dataset=str(getattr(benchmark, "name", "")),
        split=name,
        n_trials=len(trials),
        n_splits=int(n_splits),
        seed=int(seed),
        split_half=half,
        split_half_error=error,
        consistency=ooo_consistency(trials.triplets, trials.odd),
        ooo=ooo_ceiling(trials.triplets, trials.odd, n_draws=n_draws, rng=int(seed),
                        concentration=ooo_concentration),
    )
