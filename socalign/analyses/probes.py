"""Linear probes: how well do embeddings linearly encode per-video attributes (ratings)?

For each attribute: features standardised on the train videos, ridge regression with its
penalty chosen by cross-validation inside the train videos (scikit-learn ``RidgeCV``, efficient
leave-one-out by default), predictions on the held-out videos, and their Pearson r with the
held-out ratings. The p-value permutes the held-out ratings against the fixed predictions
(one-sided, r at least as large; ``scipy.stats.permutation_test``, as ``pearsonr`` with
``PermutationMethod`` runs it); the interval resamples held-out videos
(``scipy.stats.bootstrap``, percentile). Both come from :mod:`socalign.metrics.resampling`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from socalign.metrics.resampling import (
    as_rng,
    bootstrap_statistic,
    pearson_permutation_test,
    summarize,
)
from socalign.metrics.resampling import pearson_rows as _pearson

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-4, 8, 25))


def pearson_rows(pred: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Pearson r between ``pred`` (n,) or (B, n) and each row of ``targets`` (B, n).

    Parameters
    ----------
    pred
        Predictions, shared by every row of ``targets`` or one row each.
    targets
        (B, n) or (n,) (then B = 1).

    Returns
    -------
    numpy.ndarray
        (B,) r, NaN where a row is constant (:func:`socalign.metrics.resampling.pearson_rows`).
    """
    return _pearson(pred, np.atleast_2d(np.asarray(targets, dtype=float)))


def permutation_pvalue_r(
    pred: np.ndarray, target: np.ndarray, n_perm: int, rng: np.random.Generator | int
) -> tuple[float, float]:
    """One-sided permutation p-value of r(pred, target), and the observed r.

    Parameters
    ----------
    pred
        (n,) predictions (fixed).
    target
        (n,) held-out ratings (permuted).
    n_perm
        Permutations.
    rng
        Generator (its stream continues) or seed.

    Returns
    -------
    (float, float)
        ``(p, r)`` with p = (1 + #{r_perm >= r}) / (1 + n_perm), or exact over all n!
        orderings when n! <= ``n_perm``; both NaN for a constant input.
        :func:`socalign.metrics.resampling.pearson_permutation_test` (``scipy.stats``).
    """
    return pearson_permutation_test(pred, target, n_perm, as_rng(rng), "greater")


def bootstrap_r(
    pred: np.ndarray, target: np.ndarray, n_boot: int, rng: np.random.Generator | int,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of r(pred, target) resampling the held-out videos.

    Parameters
    ----------
    pred, target
        (n,) predictions and held-out ratings, resampled together.
    n_boot
        Resamples.
    rng
        Generator (its stream continues) or seed.
    level
        Interval level.

    Returns
    -------
    (float, float)
        ``scipy.stats.bootstrap`` (percentile) of Pearson r
        (:func:`socalign.metrics.resampling.bootstrap_statistic`); resamples where r is
        undefined are dropped, as in every socalign interval.
    """
    samples = bootstrap_statistic((pred, target), _pearson, n_boot, as_rng(rng))
    iv = summarize("pearson", np.nan, samples, level, "held-out videos", n_boot)
    return iv.low, iv.high


@dataclass(frozen=True)
class ProbeRow:
    """One attribute's probe: held-out Pearson r, permutation p, bootstrap interval, penalty."""

    attribute: str
    r: float
    p_value: float
    ci: tuple[float, float]
    alpha: float
    n_train: int
    n_test: int
    alpha_on_edge: bool = False


@dataclass(frozen=True)
class ProbeResult:
    """Ridge probes of several attributes from one embedding set."""

    embedding: str
    rows: tuple[ProbeRow, ...]
    n_features: int
    n_perm: int
    n_boot: int
    ci_level: float = 0.95
    ci_unit: str = "held-out videos"
    p_value_kind: str = "one-sided permutation of held-out ratings"
    cv: str = "RidgeCV leave-one-out inside train videos"
    train_split: str = "train"
    test_split: str = "test"

    def to_dict(self) -> dict:
        """A JSON-able summary (the ``--json`` output)."""
        return {
            "embedding": self.embedding,
            "attributes": [
                {
                    "attribute": row.attribute,
                    "r": row.r,
                    "p_value": row.p_value,
                    "ci": list(row.ci),
                    "alpha": row.alpha,
                    "alpha_on_grid_edge": row.alpha_on_edge,
                    "n_train": row.n_train,
                    "n_test": row.n_test,
                }
                for row in self.rows
            ],
            "n_features": self.n_features,
            "n_perm": self.n_perm,
            "n_boot": self.n_boot,
            "ci_level": self.ci_level,
            "ci_unit": self.ci_unit,
            "p_value_kind": self.p_value_kind,
            "cv": self.cv,
            "train_split": self.train_split,
            "test_split": self.test_split,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per attribute."""
        return pd.DataFrame(
            [
                {
                    "embedding": self.embedding,
                    "attribute": row.attribute,
                    "r": row.r,
                    "ci_low": row.ci[0],
                    "ci_high": row.ci[1],
                    "p_value": row.p_value,
                    "alpha": row.alpha,
                    "n_test": row.n_test,
                }
                for row in self.rows
            ]
        )


def fit_probe(
    X_train: np.ndarray, y_train: np.ndarray, alphas: Sequence[float] = DEFAULT_ALPHAS,
    cv: int | None = None, seed: int | np.random.Generator = 0,
):
    """Standardise + RidgeCV fitted on the train videos only.

    Parameters
    ----------
    X_train : numpy.ndarray
        (n, D) features of the train videos.
    y_train : numpy.ndarray
        (n,) ratings of the train videos.
    alphas : sequence of float, default DEFAULT_ALPHAS
        The ridge penalties ``RidgeCV`` chooses from (25 log-spaced values, 1e-4 to 1e8).
    cv : int or None, default None
        Folds of a shuffled ``KFold`` for the penalty choice; None: efficient leave-one-out.
    seed : int or numpy.random.Generator, default 0
        Seed or Generator of the fold shuffle (one integer is drawn from it); unused when
        ``cv`` is None.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``StandardScaler`` then ``RidgeCV``, fitted; the chosen penalty is ``model[-1].alpha_``.
    """
    splitter = None if cv is None else KFold(cv, shuffle=True, random_state=int(as_rng(seed).integers(2**31)))
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.asarray(alphas, dtype=float), cv=splitter))
    return model.fit(X_train, y_train)


def probe_arrays(
    X: np.ndarray,
    targets: Mapping[str, np.ndarray],
    train: np.ndarray,
    test: np.ndarray,
    embedding: str = "embeddings",
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    cv: int | None = None,
    n_perm: int = 1000,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    ci_level: float = 0.95,
) -> ProbeResult:
    """Probe each target from the features ``X`` (N, D).

    Videos whose rating is NaN are left out of that attribute's fit and test.

    Parameters
    ----------
    X : numpy.ndarray
        (N, D) finite features, one row per video.
    targets : mapping of str to numpy.ndarray
        Attribute name -> (N,) ratings (NaN where a video is not rated).
    train : numpy.ndarray
        Row indices of the train videos.
    test : numpy.ndarray
        Row indices of the held-out videos (disjoint from ``train``).
    embedding : str, default "embeddings"
        The name of the features, recorded in the result.
    alphas : sequence of float, default DEFAULT_ALPHAS
        The ridge penalties to choose from (see :func:`fit_probe`).
    cv : int or None, default None
        Folds of the penalty choice; None: leave-one-out.
    n_perm : int, default 1000
        Permutations of the p-value; 0 skips it (p is NaN).
    n_boot : int, default 1000
        Resamples of the interval; 0 skips it (NaN bounds).
    seed : int or numpy.random.Generator, default 0
        Seed or Generator of the folds, permutations and resamples (one stream).
    ci_level : float, default 0.95
        Level of the percentile intervals.

    Returns
    -------
    ProbeResult
        One :class:`ProbeRow` per target, in the order of ``targets``.

    Raises
    ------
    ValueError
        When ``X`` is not 2-D or not finite, ``train`` and ``test`` overlap, a target has the
        wrong shape, or fewer than 3 rated videos in train or test.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"features must be 2-D (videos, dims), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("features contain non-finite values")
    train = np.asarray(train, dtype=np.int64)
    test = np.asarray(test, dtype=np.int64)
    if np.intersect1d(train, test).size:
        raise ValueError("train and test videos overlap")
    rng = as_rng(seed)
    rows = []
    for name, values in targets.items():
        y = np.asarray(values, dtype=float)
        if y.shape != (X.shape[0],):
            raise ValueError(f"attribute {name!r} has shape {y.shape}, expected ({X.shape[0]},)")
        tr = train[np.isfinite(y[train])]
        te = test[np.isfinite(y[test])]
        if tr.size < 3 or te.size < 3:
            raise ValueError(f"attribute {name!r}: too few rated videos (train {tr.size}, test {te.size})")
        model = fit_probe(X[tr], y[tr], alphas, cv, rng)
        pred = model.predict(X[te])
        if n_perm:
            p, r = permutation_pvalue_r(pred, y[te], n_perm, rng)
        else:
            p, r = float("nan"), float(pearson_rows(pred, y[te][None])[0])
        ci = bootstrap_r(pred, y[te], n_boot, rng, ci_level) if n_boot else (np.nan, np.nan)
        alpha = float(model[-1].alpha_)
        on_edge = bool(np.isclose(alpha, min(alphas)) or np.isclose(alpha, max(alphas)))
        rows.append(ProbeRow(name, r, p, ci, alpha, int(tr.size), int(te.size), on_edge))
    return ProbeResult(
        embedding=embedding,
        rows=tuple(rows),
        n_features=int(X.shape[1]),
        n_perm=int(n_perm),
        n_boot=int(n_boot),
        ci_level=ci_level,
        cv="RidgeCV leave-one-out inside train videos" if cv is None else f"RidgeCV {cv}-fold inside train videos",
    )


def probe_benchmark(
    benchmark: Benchmark,
    embeddings: np.ndarray,
    attributes: Sequence[str] | None = None,
    train_split: str = "train",
    test_split: str = "test",
    embedding: str = "embeddings",
    **kwargs,
) -> ProbeResult:
    """Probe a benchmark's ratings from embeddings in its video row order (N, D).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark whose ``videos.ratings`` are probed.
    embeddings : numpy.ndarray
        (N, D), one row per benchmark video.
    attributes : sequence of str or None, default None
        The rated attributes to probe (all of them when None).
    train_split : str, default "train"
        The split the probes are fitted on.
    test_split : str, default "test"
        The split the probes are tested on.
    embedding : str, default "embeddings"
        The name of the embeddings, recorded in the result.
    **kwargs
        Passed to :func:`probe_arrays` (``alphas``, ``cv``, ``n_perm``, ``n_boot``, ``seed``,
        ``ci_level``).

    Returns
    -------
    ProbeResult
        One row per attribute, with the two splits recorded.

    Raises
    ------
    KeyError
        When an attribute is not rated in the benchmark.
    ValueError
        When there is nothing to probe or ``embeddings`` does not have one row per video.
    """
    ratings = benchmark.videos.ratings
    names = list(ratings) if attributes is None else list(attributes)
    missing = [a for a in names if a not in ratings]
    if missing:
        raise KeyError(f"unknown attribute(s) {missing}; this benchmark has ratings {sorted(ratings)}")
    if not names:
        raise ValueError("this benchmark has no ratings to probe")
    embeddings = np.asarray(embeddings)
    if embeddings.shape[0] != len(benchmark.videos):
        raise ValueError(
            f"embeddings have {embeddings.shape[0]} rows, the benchmark has {len(benchmark.videos)} videos"
        )
    result = probe_arrays(
        embeddings,
        {a: ratings[a] for a in names},
        benchmark.split_indices(train_split),
        benchmark.split_indices(test_split),
        embedding=embedding,
        **kwargs,
    )
    return replace(result, train_split=train_split, test_split=test_split)


PAPER_ATTRIBUTES: tuple[str, ...] = ("intimacy", "valence", "dominance", "communication", "arousal")

PAPER_PROBE_DIRECTION = 1.0
"""Sign of the paper's change in held-out decoding of :data:`PAPER_ATTRIBUTES` after
fine-tuning: it reports the social attributes easier to read out (a rise). Its per-attribute
figures are not held in this package; the book compares directions only."""


@dataclass(frozen=True)
class ProbeChange:
    """Held-out probe r of one attribute from two embeddings, and the paired difference
    (``after`` - ``before``) with a percentile interval over resampled test videos."""

    attribute: str
    before: float
    after: float
    difference: float
    low: float
    high: float
    n_test: int
    n_boot: int

    @property
    def rose(self) -> bool:
        """True only when the interval of the difference lies above 0."""
        return bool(self.low > 0)

    def to_dict(self) -> dict:
        """JSON-able fields (with ``rose``)."""
        return {**asdict(self), "rose": self.rose}


def probe_change(
    benchmark: Benchmark,
    before: np.ndarray,
    after: np.ndarray,
    attributes: Sequence[str] | None = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> list[ProbeChange]:
    """Paired comparison of the probes of two embeddings of the same videos (e.g. a backbone
    before and after fine-tuning), one :class:`ProbeChange` per attribute.

    Each probe is fitted on the train videos (:func:`fit_probe`, leave-one-out penalty); the
    same bootstrap resamples of the test videos are applied to both predictions, so the
    interval of the difference in r accounts for their correlation.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark, with ``train`` and ``test`` splits and ratings.
    before : numpy.ndarray
        (N, D) embeddings in benchmark row order (e.g. before fine-tuning).
    after : numpy.ndarray
        (N, D') embeddings of the same videos (e.g. after fine-tuning).
    attributes : sequence of str or None, default None
        The attributes to compare (the paper's five, :data:`PAPER_ATTRIBUTES`, when None);
        those the benchmark does not rate are skipped.
    n_boot : int, default 1000
        Paired resamples of the test videos.
    seed : int or numpy.random.Generator, default 0
        Seed or Generator of the resamples.
    level : float, default 0.95
        Level of the percentile interval of each difference.

    Returns
    -------
    list of ProbeChange
        One per rated attribute: r before, r after, their difference (after - before) and
        its interval.

    Raises
    ------
    KeyError
        When none of the attributes is rated in the benchmark.
    """
    ratings = benchmark.videos.ratings
    names = [a for a in (PAPER_ATTRIBUTES if attributes is None else attributes) if a in ratings]
    if not names:
        raise KeyError(f"none of the attributes {list(attributes or PAPER_ATTRIBUTES)} is rated here")
    rng = as_rng(seed)
    train, test = benchmark.split_indices("train"), benchmark.split_indices("test")
    out = []
    for name in names:
        y = np.asarray(ratings[name], dtype=float)
        tr, te = train[np.isfinite(y[train])], test[np.isfinite(y[test])]
        preds = [fit_probe(np.asarray(X, float)[tr], y[tr]).predict(np.asarray(X, float)[te])
                 for X in (before, after)]
        r = [float(pearson_rows(p, y[te][None])[0]) for p in preds]
        diffs = bootstrap_statistic(
            (preds[0], preds[1], y[te]),
            lambda pb, pa, yy, axis=-1: _pearson(pa, yy, axis) - _pearson(pb, yy, axis),
            n_boot, rng,
        )
        iv = summarize("r difference (after - before)", r[1] - r[0], diffs, level,
                       "held-out videos", n_boot)
        out.append(ProbeChange(name, r[0], r[1], r[1] - r[0], iv.low, iv.high, int(te.size),
                               n_boot))
    return out
