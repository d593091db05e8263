"""Uncertainty: bootstrap intervals, paired bootstraps of a difference, permutation p-values.

Every interval names its resampling unit and count. Resamples are drawn as multinomial
*weights* (how often each unit is drawn), so a statistic over all resamples is one weighted
matrix computation rather than a loop:

* ``trials``: per-trial scores (e.g. OOO correctness); the statistic is their mean.
* ``videos``: items are drawn with replacement; an observed pair (i, j) of distinct items then
  counts w_i·w_j times (pairs of a video with its own copy are dropped, as in rsatoolbox).
* ``pairs``: observed pairs are drawn with replacement.

Intervals are percentile intervals; resamples where a correlation is undefined (NaN, e.g. a
video resample leaving a constant vector) are dropped and counted in ``n_valid``.

Where scipy gives the same numbers from the same Generator, scipy does the work:

* :func:`bootstrap` / :func:`paired_bootstrap` (means of per-unit values) and
  :func:`bootstrap_statistic` (any vectorised statistic of paired samples, e.g. a probe's r)
  are ``scipy.stats.bootstrap`` (percentile method) — the same draws, bit for bit; for
  values in halves (OOO scores) :func:`bootstrap` sums one-byte codes of the same draws
  instead of gathering eight-byte floats (exact sums, so the same bits; at a million trials
  the gather no longer misses the cache on every draw, issue 22);
* :func:`pearson_permutation_test` is ``scipy.stats.permutation_test`` with
  ``permutation_type="pairings"``, what ``scipy.stats.pearsonr(method=PermutationMethod(...))``
  runs (exact over all n! orderings when ``n_perm`` reaches n!).

Hand-written, because scipy has no equivalent:

* the video bootstrap of correlations (:func:`bootstrap_alignment`,
  :func:`paired_bootstrap_alignment`) — scipy cannot resample items of a pair matrix; this one
  draws multinomial weights and computes every resample's weighted Spearman in one product;
* the Mantel-style permutation (:func:`permutation_pvalue`) — scipy's permutation tests permute
  observations, not the item labels of a similarity matrix.

Seeds: :func:`as_rng` is the one seed-to-Generator rule of the package; :func:`stream` derives
the several streams one seed feeds (a fine-tuning run's, named in :data:`STREAMS`) so that no
two of them coincide.
"""

from __future__ import annotations

import inspect
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from socalign.metrics.rsa import pair_vectors, weighted_pearson, weighted_spearman

UNITS = ("videos", "pairs")
# Resample rows per chunk are chosen so a chunk holds about this many weights.
CHUNK_ELEMENTS = 2_000_000


def as_rng(rng: np.random.Generator | int | Sequence[int]) -> np.random.Generator:
    """A numpy Generator from a Generator or a seed (the package's one seed rule).

    Parameters
    ----------
    rng
        A Generator (returned as is, so a caller's stream continues), an integer seed, or a
        sequence of non-negative integers (e.g. ``(seed, 2)``: a stream of its own for one
        use of a run's seed); seeds go to ``numpy.random.default_rng``.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        For anything else (a bool, a float, a legacy ``RandomState``).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    if (isinstance(rng, list | tuple) and rng
            and all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in rng)):
        return np.random.default_rng([int(k) for k in rng])
    raise TypeError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}")


STREAM_RULE = 1
"""The version of the rule by which :func:`stream` derives a named stream from a seed.

A fine-tuning run records it (``identity.stream_rule`` in ``config.json``,
:func:`socalign.train.identity.run_identity`) and is resumed only under the same rule, so a run
never mixes draws of two rules. 1: named streams (this module's :func:`stream`). Runs without
the record drew numbered streams, ``default_rng([seed, k])``, which collided: the
validation split ``[seed, 1]`` was epoch 1's batches, the gain's bootstrap ``[seed, 2]`` epoch
2's, and epoch 0's ``[seed, 0]`` the seed itself (numpy pads a short seed with zeros).
"""

STREAMS: dict[str, str] = {
    "split": "the fit/validation split of a fine-tuning run's training videos",
    "init": "the initialisation of the adapters and the head (one torch seed drawn from it)",
    "dropout": "torch's global generator while training, i.e. dropout (one torch seed drawn "
               "from it)",
    "epoch": "one epoch's batches and subsets (index: the epoch, from 0)",
    "gain-bootstrap": "the paired bootstrap of a run's held-out gain (after - before)",
    "transfer-folds": "the transfer analysis's cv protocol: one repeat's stratified folds "
                      "(index: the repeat; the same for every backbone)",
    "transfer-search": "the stratified folds that choose a transfer probe's C inside its "
                       "training videos (indices: repeat and fold under cv; none under paper)",
    "transfer-bootstrap": "the bootstrap over videos of one backbone's cv transfer accuracy "
                          "(index: the backbone's position)",
    "transfer-paired-bootstrap": "the paired bootstrap of two backbones' transfer accuracy "
                                 "difference (indices: their positions)",
}
"""Every named stream, with what draws from it: the one table of a run's random streams.

A run's held-out evaluations (before and after) are not named streams: they resample from
``as_rng(seed)``, the seed itself, exactly as ``socalign evaluate --seed`` does, and no named
stream equals it.
"""


def _stream_key(name: str) -> int:
    """A stream name's fixed 32-bit key (CRC-32 of its UTF-8 bytes; never Python's ``hash``)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """The random stream ``name`` (and ``index``, e.g. an epoch) of ``seed``.

    The Generator is seeded by ``numpy.random.SeedSequence(seed, spawn_key=(key(name),
    *index))``, where ``key`` is the CRC-32 of the name: the seed fills its own words, the
    name's key and the indices follow, so streams of different names, indices or seeds never
    share their seed material, and none equals ``as_rng(seed)`` or a numbered
    ``default_rng([seed, k, ...])`` stream.

    Parameters
    ----------
    seed : int
        The seed (0 to 2**128 - 1), e.g. a run's ``TrainConfig.seed``.
    name : str
        A name in :data:`STREAMS`.
    *index : int
        Indices within the stream (0 to 2**32 - 1 each), e.g. the epoch of ``"epoch"``.

    Returns
    -------
    numpy.random.Generator
        A fresh Generator: the same arguments give the same draws.

    Raises
    ------
    ValueError
        For a name not in :data:`STREAMS`, or a seed or index out of range.
    TypeError
        For a seed or index that is not an integer (a bool included).
    """
    if name not in STREAMS:
        raise ValueError(f"unknown random stream {name!r}; the streams are {list(STREAMS)}")
    for what, value, top in (("seed", seed, 2**128), *(("index", k, 2**32) for k in index)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"a stream's {what} must be an integer, got {type(value).__name__}")
        if not 0 <= int(value) < top:
            raise ValueError(f"a stream's {what} must lie in [0, {top}), got {value}")
    key = (_stream_key(name), *(int(k) for k in index))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=key))


@dataclass(frozen=True)
class Interval:
    """A bootstrap estimate: the statistic on the full data and a percentile interval."""

    statistic: str
    estimate: float
    low: float
    high: float
    level: float
    unit: str
    n_boot: int
    n_valid: int
    sd: float
    p_value: float | None = None
    samples: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "statistic": self.statistic,
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "sd": self.sd,
            "unit": self.unit,
            "n_boot": self.n_boot,
            "n_valid": self.n_valid,
            "method": "percentile bootstrap",
        }
        if self.p_value is not None:
            out["p_value"] = self.p_value
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class PermutationTest:
    """A permutation test of a model-human correlation (item labels of the model permuted)."""

    statistic: str
    observed: float
    p_value: float
    n_perm: int
    alternative: str
    unit: str = "videos (labels permuted)"
    null: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "statistic": self.statistic,
            "observed": self.observed,
            "p_value": self.p_value,
            "n_perm": self.n_perm,
            "alternative": self.alternative,
            "unit": self.unit,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


def _check_common(n_boot: int, level: float) -> None:
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")


def resample_indices(
    n_units: int, n_boot: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Chunks of (b, n_units) unit indices drawn with replacement, ``n_boot`` rows in all.

    Parameters
    ----------
    n_units
        Units to draw from (0..n_units-1).
    n_boot
        Resamples (rows) in all.
    rng
        The Generator; rows are drawn in order, so the chunking never changes the draws
        (the rows equal ``n_boot`` calls of ``rng.integers(0, n_units, n_units)``).

    Yields
    ------
    numpy.ndarray
        (b, n_units) int64, about :data:`CHUNK_ELEMENTS` entries per chunk.
    """
    if n_units < 1:
        raise ValueError("nothing to resample (0 units)")
    rows = max(1, CHUNK_ELEMENTS // n_units)
    done = 0
    while done < n_boot:
        b = min(rows, n_boot - done)
        yield rng.integers(0, n_units, size=(b, n_units))
        done += b


def resample_counts(
    n_units: int, n_boot: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Chunks of (b, n_units) counts: how often each unit is drawn in each resample.

    Parameters
    ----------
    n_units
        Units to draw from.
    n_boot
        Resamples in all.
    rng
        The Generator (the draws of :func:`resample_indices`, counted).

    Yields
    ------
    numpy.ndarray
        (b, n_units) int64 counts; each row sums to ``n_units``.
    """
    for draws in resample_indices(n_units, n_boot, rng):
        b = draws.shape[0]
        offsets = (np.arange(b) * n_units)[:, None]
        yield np.bincount((draws + offsets).ravel(), minlength=b * n_units).reshape(b, n_units)


def _scipy_rng(gen: np.random.Generator) -> dict[str, np.random.Generator]:
    """The Generator as scipy's resampling functions take it (``rng`` from scipy 1.15 on)."""
    name = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    return {name: gen}


def bootstrap_statistic(
    samples: Sequence[np.ndarray],
    statistic: Callable[..., np.ndarray],
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
) -> np.ndarray:
    """Bootstrap distribution of a statistic of paired samples (``scipy.stats.bootstrap``).

    Parameters
    ----------
    samples
        1-D arrays of one length n, resampled together (the same n indices for all).
    statistic
        Vectorised: ``statistic(*resampled, axis=-1)`` takes (b, n) arrays and returns (b,).
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.

    Returns
    -------
    numpy.ndarray
        (n_boot,) values (NaN where the statistic is undefined). The indices are
        ``rng.integers(0, n, (b, n))`` in chunks, as :func:`resample_indices` draws them.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    data = tuple(np.asarray(x, dtype=np.float64) for x in samples)
    n = data[0].size
    with warnings.catch_warnings():
        # A NaN resample (e.g. a constant vector) is dropped and counted by the caller.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            data, statistic, n_resamples=n_boot, batch=max(1, CHUNK_ELEMENTS // max(n, 1)),
            vectorized=True, paired=True, method="percentile", **_scipy_rng(as_rng(rng)),
        )
    return np.asarray(result.bootstrap_distribution, dtype=np.float64)


def pearson_rows(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Pearson r along ``axis`` of x and y (broadcast), NaN where either is constant.

    Parameters
    ----------
    x, y
        Arrays that broadcast together.
    axis
        The axis of the observations.

    Returns
    -------
    numpy.ndarray
        One r per slice; equal to ``scipy.stats.pearsonr(x, y, axis=axis).statistic``
        without its warnings.
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    xc = x - x.mean(axis=axis, keepdims=True)
    yc = y - y.mean(axis=axis, keepdims=True)
    denom = np.sqrt((xc * xc).sum(axis=axis) * (yc * yc).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (xc * yc).sum(axis=axis) / denom, np.nan)


def pearson_permutation_test(
    x: np.ndarray,
    y: np.ndarray,
    n_perm: int = 1000,
    rng: np.random.Generator | int = 0,
    alternative: str = "greater",
) -> tuple[float, float]:
    """Permutation p-value of Pearson r(x, y), permuting y against fixed x.

    ``scipy.stats.permutation_test`` with ``permutation_type="pairings"``, as
    ``scipy.stats.pearsonr(x, y, method=PermutationMethod(n_perm, rng=rng))`` runs it: all
    ``n_perm`` orderings of y are drawn at once, p = (1 + #{r_perm >= r}) / (1 + n_perm) for
    ``greater``; when n! <= ``n_perm`` every ordering is enumerated (an exact p-value, and no
    draws from ``rng``).

    Parameters
    ----------
    x, y
        1-D arrays of one length.
    n_perm
        Permutations.
    rng
        Generator (its stream continues) or seed.
    alternative
        ``greater``, ``less`` or ``two-sided``.

    Returns
    -------
    (float, float)
        ``(p_value, r)``; both NaN when x or y is constant.
    """
    if n_perm < 1:
        raise ValueError(f"n_perm must be at least 1, got {n_perm}")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    r = float(pearson_rows(x, y))
    if not np.isfinite(r):
        return float("nan"), float("nan")
    # A permutation keeps y's mean and norm, so each permuted r is one product with centred x.
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt((xc @ xc) * (yc @ yc))
    result = stats.permutation_test(
        (yc,), lambda yp, axis=-1: np.moveaxis(yp, axis, -1) @ xc / denom,
        permutation_type="pairings", vectorized=True, n_resamples=n_perm,
        alternative=alternative, **_scipy_rng(as_rng(rng)),
    )
    return float(result.pvalue), r


def summarize(
    statistic: str,
    estimate: float,
    samples: np.ndarray,
    level: float,
    unit: str,
    n_boot: int,
    p_value: float | None = None,
) -> Interval:
    """A percentile :class:`Interval` from bootstrap samples (NaN samples dropped, counted).

    Parameters
    ----------
    statistic
        The statistic's name.
    estimate
        Its value on the full data.
    samples
        (n_boot,) bootstrap values; non-finite ones are dropped and counted in ``n_valid``.
    level
        Level of the percentile interval.
    unit
        The resampling unit.
    n_boot
        Resamples asked for.
    p_value
        A p-value to carry (e.g. of a paired difference).

    Returns
    -------
    Interval
        Percentiles (1 - level)/2 and (1 + level)/2 of the valid samples, and their sd.
    """
    valid = samples[np.isfinite(samples)]
    alpha = (1.0 - level) / 2.0
    if valid.size:
        low, high = np.quantile(valid, [alpha, 1.0 - alpha])
        sd = float(valid.std(ddof=1)) if valid.size > 1 else float("nan")
    else:
        low = high = sd = float("nan")
    return Interval(
        statistic=statistic,
        estimate=float(estimate),
        low=float(low),
        high=float(high),
        level=level,
        unit=unit,
        n_boot=n_boot,
        n_valid=int(valid.size),
        sd=sd,
        p_value=p_value,
        samples=samples,
    )


def _two_sided_p(diff_samples: np.ndarray) -> float:
    """Bootstrap two-sided p-value of a difference being 0 (share of resamples past 0, doubled)."""
    valid = diff_samples[np.isfinite(diff_samples)]
    if not valid.size:
        return float("nan")
    below = (np.sum(valid <= 0) + 1) / (valid.size + 1)
    above = (np.sum(valid >= 0) + 1) / (valid.size + 1)
    return float(min(1.0, 2.0 * min(below, above)))


def bootstrap(
    values: np.ndarray,
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
    level: float = 0.95,
    unit: str = "trials",
    statistic: str = "mean",
) -> Interval:
    """Bootstrap interval of the mean of per-unit values (e.g. per-trial OOO scores).

    Parameters
    ----------
    values
        (n,) finite per-unit values.
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.
    level
        Level of the percentile interval.
    unit
        What a value is (named in the interval).
    statistic
        The statistic's name in the interval.

    Returns
    -------
    Interval
        ``scipy.stats.bootstrap`` of the mean (percentile method, the draws of
        :func:`resample_indices`), summarised by :func:`summarize`. Values that are multiples
        of ½ (OOO scores) take an exact shortcut with the same draws and the same bits
        (:func:`_half_code_means`).
    """
    _check_common(n_boot, level)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values hold NaN or infinite entries")
    codes = _half_codes(values)
    if codes is None:
        samples = bootstrap_statistic((values,), np.mean, n_boot, rng)
    else:
        samples = _half_code_means(codes, n_boot, as_rng(rng))
    return summarize(statistic, values.mean(), samples, level, unit, n_boot)


def _half_codes(values: np.ndarray) -> np.ndarray | None:
    """``2 * values`` as int8 when every value is a multiple of ½ in [-63.5, 63.5], else None.

    OOO scores (0/1 argmax, 0/½/1 pair, and differences of two models' scores) are such
    values: any sum of them is exact in float64, so the mean of a resample does not depend on
    the order of the additions, and a gather from one byte per trial (cache-resident even for
    millions of trials) replaces the gather from eight.
    """
    if values.size < 2 or values.size * 127 >= 2**52:  # one value: scipy's error, as before
        return None
    doubled = values * 2.0
    if np.abs(doubled).max() > 127 or not np.array_equal(doubled, np.round(doubled)):
        return None
    return doubled.astype(np.int8)


def _half_code_means(codes: np.ndarray, n_boot: int, gen: np.random.Generator) -> np.ndarray:
    """Bootstrap means of ``codes / 2``, bit for bit those of :func:`bootstrap_statistic`.

    The same index draws (:func:`resample_indices`, the chunks ``scipy.stats.bootstrap`` draws
    with the batch :func:`bootstrap_statistic` gives it); each resample's sum is an exact
    integer count of halves, so ``count * 0.5 / n`` equals numpy's mean of the float values.
    Time per resample is linear in the trials, memory one chunk of draws.
    """
    n = codes.size
    out = np.empty(n_boot, dtype=np.float64)
    done = 0
    for draws in resample_indices(n, n_boot, gen):
        sums = codes[draws].sum(axis=1, dtype=np.int64)
        out[done:done + len(sums)] = sums * 0.5 / n
        done += len(sums)
    return out


def paired_bootstrap(
    values_a: np.ndarray,
    values_b: np.ndarray,
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
    level: float = 0.95,
    unit: str = "trials",
) -> Interval:
    """Bootstrap interval of mean(a) - mean(b) for paired per-unit values, with a p-value.

    Parameters
    ----------
    values_a, values_b
        (n,) paired per-unit values (e.g. per-trial OOO scores of two models).
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.
    level
        Level of the percentile interval.
    unit
        What a unit is.

    Returns
    -------
    Interval
        :func:`bootstrap` of a - b, with the two-sided bootstrap p-value of a difference of 0.
    """
    a = np.asarray(values_a, dtype=np.float64)
    b = np.asarray(values_b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values differ in shape: {a.shape} vs {b.shape}")
    result = bootstrap(a - b, n_boot, rng, level, unit, statistic="difference of means")
    return summarize(
        result.statistic, result.estimate, result.samples, level, unit, n_boot,
        p_value=_two_sided_p(result.samples),
    )


def _pair_weights(
    i: np.ndarray, j: np.ndarray, items: np.ndarray, unit: str, n_boot: int,
    rng: np.random.Generator, order: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """Chunks of (b, n_pairs) pair weights for the resampling ``unit``.

    ``order``: the pairs (i, j) are listed as ``original[order]``; pair draws are made on the
    original listing so that results do not depend on it.
    """
    if unit == "pairs":
        for counts in resample_counts(i.size, n_boot, rng):
            counts = counts if order is None else counts[:, order]
            yield counts.astype(np.float64)
        return
    if unit != "videos":
        raise ValueError(f"unknown resampling unit {unit!r}; choose one of {list(UNITS)}")
    position = np.full(int(items.max()) + 1, -1, dtype=np.int64)
    position[items] = np.arange(items.size)
    pi, pj = position[i], position[j]
    rows = max(1, CHUNK_ELEMENTS // max(i.size, items.size))
    done = 0
    while done < n_boot:
        b = min(rows, n_boot - done)
        counts = np.concatenate(list(resample_counts(items.size, b, rng)))
        yield (counts[:, pi] * counts[:, pj]).astype(np.float64)
        done += b


def _items(observed_shape: int, indices: np.ndarray | None) -> np.ndarray:
    return np.arange(observed_shape) if indices is None else np.asarray(indices, dtype=np.int64)


def bootstrap_alignment(
    model_similarity: np.ndarray,
    human_similarity: np.ndarray,
    observed_mask: np.ndarray,
    indices: np.ndarray | None = None,
    unit: str = "videos",
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
    level: float = 0.95,
) -> dict[str, Interval]:
    """Bootstrap intervals of Spearman, R² (its square) and Pearson over ``videos`` or ``pairs``.

    Hand-written (scipy cannot resample the items of a pair matrix): resamples are multinomial
    weights, and every resample's weighted Spearman and Pearson are one matrix computation.

    Parameters
    ----------
    model_similarity, human_similarity
        (N, N) similarities.
    observed_mask
        (N, N) bool, the pairs that enter.
    indices
        The items among which pairs are taken (all when None).
    unit
        ``videos`` (items drawn with replacement; a pair counts w_i·w_j times, self-pairs
        dropped) or ``pairs``.
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.
    level
        Level of the percentile intervals.

    Returns
    -------
    dict
        ``spearman``, ``r2`` and ``pearson`` :class:`Interval` objects.
    """
    _check_common(n_boot, level)
    gen = as_rng(rng)
    x, y, i, j = pair_vectors(model_similarity, human_similarity, observed_mask, indices)
    # Pairs in ascending model order: the model's weighted ranks then need no reordering.
    by_x = np.argsort(x, kind="stable")
    x, y, i, j = x[by_x], y[by_x], i[by_x], j[by_x]
    items = _items(np.shape(observed_mask)[0], indices)
    rho, pear = [], []
    for w in _pair_weights(i, j, items, unit, n_boot, gen, by_x):
        rho.append(weighted_spearman(x, y, w))
        pear.append(weighted_pearson(x, y, w))
    rho_s, pear_s = np.concatenate(rho), np.concatenate(pear)
    est_rho = float(stats.spearmanr(x, y).statistic)
    est_r = float(stats.pearsonr(x, y).statistic)
    return {
        "spearman": summarize("spearman", est_rho, rho_s, level, unit, n_boot),
        "r2": summarize("r2", est_rho**2, rho_s**2, level, unit, n_boot),
        "pearson": summarize("pearson", est_r, pear_s, level, unit, n_boot),
    }


def paired_bootstrap_alignment(
    model_a: np.ndarray,
    model_b: np.ndarray,
    human_similarity: np.ndarray,
    observed_mask: np.ndarray,
    indices: np.ndarray | None = None,
    unit: str = "videos",
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
    level: float = 0.95,
) -> dict[str, Interval]:
    """Bootstrap of model A minus model B in Spearman and R², on the same resamples.

    Parameters
    ----------
    model_a, model_b
        (N, N) model similarities.
    human_similarity
        (N, N) human similarity.
    observed_mask
        (N, N) bool, the pairs that enter.
    indices
        The items among which pairs are taken (all when None).
    unit
        ``videos`` or ``pairs`` (see :func:`bootstrap_alignment`).
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.
    level
        Level of the percentile intervals.

    Returns
    -------
    dict
        ``spearman`` and ``r2`` differences (a - b) as :class:`Interval` objects with
        two-sided bootstrap p-values.
    """
    _check_common(n_boot, level)
    gen = as_rng(rng)
    xa, y, i, j = pair_vectors(model_a, human_similarity, observed_mask, indices)
    xb, _, _, _ = pair_vectors(model_b, human_similarity, observed_mask, indices)
    items = _items(np.shape(observed_mask)[0], indices)
    ra, rb = [], []
    for w in _pair_weights(i, j, items, unit, n_boot, gen):
        ra.append(weighted_spearman(xa, y, w))
        rb.append(weighted_spearman(xb, y, w))
    sa, sb = np.concatenate(ra), np.concatenate(rb)
    est_a = float(stats.spearmanr(xa, y).statistic)
    est_b = float(stats.spearmanr(xb, y).statistic)
    d_rho, d_r2 = sa - sb, sa**2 - sb**2
    return {
        "spearman": summarize(
            "spearman difference (a - b)", est_a - est_b, d_rho, level, unit, n_boot,
            p_value=_two_sided_p(d_rho),
        ),
        "r2": summarize(
            "r2 difference (a - b)", est_a**2 - est_b**2, d_r2, level, unit, n_boot,
            p_value=_two_sided_p(d_r2),
        ),
    }


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(-1) / np.sqrt((a * a).sum(-1) * (b * b).sum(-1))


def permutation_pvalue(
    model_similarity: np.ndarray,
    human_similarity: np.ndarray,
    observed_mask: np.ndarray,
    indices: np.ndarray | None = None,
    n_perm: int = 1000,
    rng: np.random.Generator | int = 0,
    alternative: str = "greater",
    correlation: str = "spearman",
) -> PermutationTest:
    """Permutation p-value of the model-human correlation, permuting the model's item labels.

    ``p = (1 + #{null >= observed}) / (1 + n_perm)`` for ``greater`` (absolute values for
    ``two-sided``). Hand-written (a Mantel-style test: scipy's permutation tests permute
    observations, not the item labels of a similarity matrix).

    Parameters
    ----------
    model_similarity, human_similarity
        (N, N) similarities.
    observed_mask
        (N, N) bool, the pairs that enter.
    indices
        The items whose labels are permuted (all when None).
    n_perm
        Permutations.
    rng
        Generator (its stream continues) or seed.
    alternative
        ``greater`` or ``two-sided``.
    correlation
        ``spearman`` or ``pearson``.

    Returns
    -------
    PermutationTest
        The observed correlation, p-value and null distribution.
    """
    if n_perm < 1:
        raise ValueError(f"n_perm must be at least 1, got {n_perm}")
    if alternative not in ("greater", "two-sided"):
        raise ValueError(f"alternative must be 'greater' or 'two-sided', got {alternative!r}")
    if correlation not in ("spearman", "pearson"):
        raise ValueError(f"correlation must be 'spearman' or 'pearson', got {correlation!r}")
    gen = as_rng(rng)
    x, y, i, j = pair_vectors(model_similarity, human_similarity, observed_mask, indices)
    model = np.asarray(model_similarity, dtype=np.float64)
    items = _items(model.shape[0], indices)
    position = np.full(model.shape[0], -1, dtype=np.int64)
    position[items] = np.arange(items.size)
    pi, pj = position[i], position[j]
    rank = correlation == "spearman"
    yv = stats.rankdata(y) if rank else y
    observed = float(_row_pearson(stats.rankdata(x) if rank else x, yv))
    # Without ties among the model's pair values, ranks are an argsort (much faster than
    # rankdata, which must look for ties).
    ua, ub = np.triu_indices(items.size, 1)
    upper = model[items[ua], items[ub]]
    distinct = np.unique(upper).size == upper.size
    rows = max(1, CHUNK_ELEMENTS // max(i.size, 1))
    null = []
    done = 0
    while done < n_perm:
        b = min(rows, n_perm - done)
        perm = gen.permuted(np.tile(items, (b, 1)), axis=1)
        xp = model[perm[:, pi], perm[:, pj]]
        if rank and distinct:
            ranks = np.empty_like(xp)
            positions = np.broadcast_to(np.arange(1.0, xp.shape[1] + 1.0), xp.shape)
            np.put_along_axis(ranks, np.argsort(xp, axis=1), positions, axis=1)
            xp = ranks
        elif rank:
            xp = stats.rankdata(xp, axis=1)
        null.append(_row_pearson(xp, yv))
        done += b
    null_s = np.concatenate(null)
    if alternative == "greater":
        hits = np.sum(null_s >= observed - 1e-12)
    else:
        hits = np.sum(np.abs(null_s) >= abs(observed) - 1e-12)
    return PermutationTest(
        statistic=correlation,
        observed=observed,
        p_value=float((hits + 1) / (n_perm + 1)),
        n_perm=n_perm,
        alternative=alternative,
        null=null_s,
    )


def pooled_paired_bootstrap_alignment(
    models_a: Sequence[np.ndarray],
    models_b: Sequence[np.ndarray],
    human_similarity: np.ndarray,
    observed_mask: np.ndarray,
    indices: np.ndarray | None = None,
    unit: str = "videos",
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
    level: float = 0.95,
) -> Interval:
    """Bootstrap of mean R² over models A minus mean R² over models B (e.g. runs of several
    seeds), every model scored on the same resamples.

    Hand-written: :func:`paired_bootstrap_alignment` pools one model per side; seeds of a
    training run are several models whose R² is averaged before the difference.

    Parameters
    ----------
    models_a, models_b
        (N, N) model similarities, one per seed (at least one each).
    human_similarity
        (N, N) human similarity.
    observed_mask
        (N, N) bool, the pairs that enter.
    indices
        The items among which pairs are taken (all when None).
    unit
        ``videos`` or ``pairs`` (see :func:`bootstrap_alignment`).
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.
    level
        Level of the percentile interval.

    Returns
    -------
    Interval
        The difference in mean R² (a - b), with a two-sided bootstrap p-value.
    """
    _check_common(n_boot, level)
    if len(models_a) == 0 or len(models_b) == 0:
        raise ValueError("each side needs at least one model")
    gen = as_rng(rng)
    vectors = [pair_vectors(m, human_similarity, observed_mask, indices) for m in (*models_a, *models_b)]
    _, y, i, j = vectors[0]
    items = _items(np.shape(observed_mask)[0], indices)
    split = len(models_a)
    draws: list[np.ndarray] = []
    for w in _pair_weights(i, j, items, unit, n_boot, gen):
        r2 = np.stack([weighted_spearman(v[0], y, w) ** 2 for v in vectors])  # (models, chunk)
        draws.append(r2[:split].mean(0) - r2[split:].mean(0))
    estimate = [float(stats.spearmanr(v[0], y).statistic) ** 2 for v in vectors]
    diff = np.concatenate(draws)
    return summarize("mean r2 difference (a - b)", float(np.mean(estimate[:split]) - np.mean(estimate[split:])),
                     diff, level, unit, n_boot, p_value=_two_sided_p(diff))
