"""Variance partitioning (commonality analysis) of human similarity by model similarities.

Human similarity over the observed pairs is regressed (OLS with an intercept) on two or three
model-similarity predictors, on ranks (the default, matching a Spearman-based R²) or on raw
values. Every subset of predictors gets its own R²; Möbius inversion of those R² values gives
the commonality components: the part unique to each predictor and the parts shared by each
group. Confidence intervals resample *videos* (pairs inherit their videos), the unit the
similarity matrices are built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from socalign.cache import read_npy, read_npz
from socalign.metrics.resampling import as_rng, resample_indices
from socalign.scoring import model_similarity, split_human_similarity

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

REGRESSIONS = ("ols_ranks", "ols_raw")


def _check_regression(regression: str) -> None:
    if regression not in REGRESSIONS:
        raise ValueError(f"regression must be one of {REGRESSIONS}, got {regression!r}")


def r2_ols(y: np.ndarray, X: np.ndarray) -> float:
    """R² of an OLS fit of ``y`` on the columns of ``X`` plus an intercept.

    Written with ``numpy.linalg.lstsq`` (not scikit-learn) because the bootstrap calls it
    thousands of times on small designs.

    Parameters
    ----------
    y : numpy.ndarray
        The target, 1-D (n,).
    X : numpy.ndarray
        The predictors, reshaped to (n, k) (a 1-D array is one column).

    Returns
    -------
    float
        1 - residual / total sum of squares; NaN when ``y`` is constant.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    yc = y - y.mean()
    sst = float(yc @ yc)
    if sst == 0.0:
        return float("nan")
    Xc = X - X.mean(axis=0)
    beta, *_ = np.linalg.lstsq(Xc, yc, rcond=None)
    resid = yc - Xc @ beta
    return float(1.0 - (resid @ resid) / sst)


def _subsets(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [s for k in range(1, len(names) + 1) for s in combinations(names, k)]


def component_label(subset: tuple[str, ...]) -> str:
    """The name of a commonality component: ``A`` (unique) or ``A & B`` (shared)."""
    return " & ".join(subset)


def commonality(
    y: np.ndarray, predictors: Mapping[str, np.ndarray], regression: str = "ols_ranks"
) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]:
    """R² of every predictor subset and the commonality component of every subset.

    The components sum to the R² of all predictors together.

    Parameters
    ----------
    y : numpy.ndarray
        The target, a 1-D array over the pairs (finite).
    predictors : mapping of str to numpy.ndarray
        1 to 3 predictors by name, each a 1-D array over the same pairs as ``y`` (finite).
    regression : str, default "ols_ranks"
        ``ols_ranks`` (target and predictors replaced by their ranks) or ``ols_raw``.

    Returns
    -------
    r2 : dict of tuple of str to float
        The R² of every non-empty subset of predictors, keyed by a tuple of their names.
    components : dict of tuple of str to float
        Keyed the same way: ``components[(a,)]`` is the part unique to ``a`` and
        ``components[(a, b)]`` the part shared by exactly ``a`` and ``b``.

    Raises
    ------
    ValueError
        When ``regression`` is unknown, there are not 1 to 3 predictors, or a predictor's
        length or finiteness does not match.
    """
    _check_regression(regression)
    names = tuple(predictors)
    if not 1 <= len(names) <= 3:
        raise ValueError(f"commonality analysis takes 1 to 3 predictors, got {len(names)}")
    y = np.asarray(y, dtype=float).ravel()
    cols = {}
    for name in names:
        x = np.asarray(predictors[name], dtype=float).ravel()
        if x.shape != y.shape:
            raise ValueError(f"predictor {name!r} has {x.size} values, the target has {y.size}")
        if not np.isfinite(x).all():
            raise ValueError(f"predictor {name!r} has non-finite values")
        cols[name] = x
    if not np.isfinite(y).all():
        raise ValueError("the target (human similarity) has non-finite values")
    if regression == "ols_ranks":
        y = rankdata(y)
        cols = {k: rankdata(v) for k, v in cols.items()}
    design = np.column_stack([cols[n] for n in names])
    r2 = {s: r2_ols(y, design[:, [names.index(n) for n in s]]) for s in _subsets(names)}
    full = r2[names]
    # g(B) = R²(all) − R²(all without B) = sum of the components inside B; invert by Möbius.
    gain = {
        s: full - (r2[tuple(n for n in names if n not in s)] if len(s) < len(names) else 0.0)
        for s in _subsets(names)
    }
    components = {}
    for s in _subsets(names):
        total = 0.0
        for k in range(1, len(s) + 1):
            for t in combinations(s, k):
                total += (-1) ** (len(s) - len(t)) * gain[t]
        components[s] = total
    return r2, components


def _pair_values(
    matrices: list[np.ndarray], observed: np.ndarray, order: np.ndarray
) -> list[np.ndarray]:
    """Upper-triangle values over observed pairs among the (possibly repeated) videos ``order``."""
    a, b = np.triu_indices(len(order), k=1)
    ia, ib = order[a], order[b]
    keep = (ia != ib) & observed[ia, ib]
    return [m[ia[keep], ib[keep]] for m in matrices]


@dataclass(frozen=True)
class Partition:
    """Commonality analysis of human similarity over one set of pairs.

    ``r2``: R² of each predictor subset (key ``"A & B"``); ``components``: unique and shared
    parts (key ``"A"`` unique to A, ``"A & B"`` shared by exactly A and B); ``ci``: percentile
    intervals of each component and of each R², resampling ``ci_unit`` ``n_boot`` times.
    """

    predictors: tuple[str, ...]
    regression: str
    r2: Mapping[str, float]
    components: Mapping[str, float]
    n_pairs: int
    n_videos: int
    ci: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    ci_level: float = 0.95
    ci_unit: str = "videos"
    n_boot: int = 0
    split: str | None = None
    n_boot_degenerate: int = 0

    @property
    def r2_full(self) -> float:
        """R² of all predictors together (the sum of the components)."""
        return float(self.r2[component_label(self.predictors)])

    def to_dict(self) -> dict:
        """A JSON-able summary (the ``--json`` output)."""
        return {
            "predictors": list(self.predictors),
            "regression": self.regression,
            "split": self.split,
            "n_pairs": self.n_pairs,
            "n_videos": self.n_videos,
            "r2_full": self.r2_full,
            "r2": dict(self.r2),
            "r2_ci": {k: list(self.ci[f"r2:{k}"]) for k in self.r2 if f"r2:{k}" in self.ci},
            "components": [
                {
                    "component": label,
                    "kind": "unique" if " & " not in label else "shared",
                    "value": value,
                    "ci": list(self.ci[label]) if label in self.ci else None,
                }
                for label, value in self.components.items()
            ],
            "ci_level": self.ci_level,
            "ci_unit": self.ci_unit,
            "n_boot": self.n_boot,
            "n_boot_degenerate": self.n_boot_degenerate,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per component: value, its share of the full R², and its interval."""
        rows = []
        for label, value in self.components.items():
            lo, hi = self.ci.get(label, (np.nan, np.nan))
            rows.append(
                {
                    "component": label,
                    "kind": "unique" if " & " not in label else "shared",
                    "value": value,
                    "share_of_full": value / self.r2_full if self.r2_full else np.nan,
                    "ci_low": lo,
                    "ci_high": hi,
                    "regression": self.regression,
                }
            )
        return pd.DataFrame(rows)


def partition_similarity(
    human: np.ndarray,
    predictors: Mapping[str, np.ndarray],
    observed: np.ndarray,
    indices: np.ndarray | None = None,
    regression: str = "ols_ranks",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    ci_level: float = 0.95,
    split: str | None = None,
) -> Partition:
    """Commonality analysis of ``human`` (N,N) similarity on (N,N) model-similarity predictors.

    Pairs: the upper triangle of ``observed`` among ``indices``. Bootstrap: resample those
    videos with replacement ``n_boot`` times
    (:func:`socalign.metrics.resampling.resample_indices`); pairs of a video with its own copy
    are dropped; each replicate recomputes every R² (ranks recomputed too). The replicates
    stay a loop: each one refits every OLS on its own pairs.

    Parameters
    ----------
    human : numpy.ndarray
        (N, N) human similarity.
    predictors : mapping of str to numpy.ndarray
        1 to 3 (N, N) model similarities by name.
    observed : numpy.ndarray
        (N, N) boolean mask of the pairs with human judgments.
    indices : numpy.ndarray or None, default None
        The videos whose pairs are used (all N when None).
    regression : str, default "ols_ranks"
        ``ols_ranks`` or ``ols_raw`` (see :func:`commonality`).
    n_boot : int, default 1000
        Video resamples of the intervals; 0 skips them.
    seed : int or numpy.random.Generator, default 0
        Seed or Generator of the resamples.
    ci_level : float, default 0.95
        Level of the percentile intervals.
    split : str or None, default None
        The split's name, recorded in the result.

    Returns
    -------
    Partition
        The R² of every subset, the components and their intervals; a resample with too few
        observed pairs is NaN and counted in ``n_boot_degenerate``.

    Raises
    ------
    ValueError
        When a matrix has the wrong shape, ``regression`` is unknown, or there are too few
        observed pairs for the predictors.
    """
    _check_regression(regression)
    human = np.asarray(human, dtype=float)
    n = human.shape[0]
    if human.shape != (n, n):
        raise ValueError(f"human similarity must be square, got shape {human.shape}")
    observed = np.asarray(observed, dtype=bool)
    if observed.shape != (n, n):
        raise ValueError(f"observed mask has shape {observed.shape}, expected {(n, n)}")
    names = tuple(predictors)
    mats = []
    for name in names:
        m = np.asarray(predictors[name], dtype=float)
        if m.shape != (n, n):
            raise ValueError(f"predictor {name!r} has shape {m.shape}, expected {(n, n)}")
        mats.append(m)
    order = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
    y, *xs = _pair_values([human, *mats], observed, order)
    if y.size < len(names) + 2:
        raise ValueError(f"only {y.size} observed pairs: too few for {len(names)} predictors")
    r2, comps = commonality(y, dict(zip(names, xs, strict=True)), regression)
    ci: dict[str, tuple[float, float]] = {}
    n_degenerate = 0
    if n_boot > 0:
        boot_r2 = {s: np.empty(n_boot) for s in r2}
        boot_c = {s: np.empty(n_boot) for s in comps}
        draws = (row for chunk in resample_indices(order.size, n_boot, as_rng(seed))
                 for row in chunk)
        for b, drawn in enumerate(draws):
            sample = order[drawn]
            yb, *xb = _pair_values([human, *mats], observed, sample)
            if yb.size < len(names) + 2:  # too few observed pairs in this resample: counted, NaN
                n_degenerate += 1
                for store in (*boot_r2.values(), *boot_c.values()):
                    store[b] = np.nan
                continue
            rb, cb = commonality(yb, dict(zip(names, xb, strict=True)), regression)
            for s in rb:
                boot_r2[s][b] = rb[s]
            for s in cb:
                boot_c[s][b] = cb[s]
        alpha = (1.0 - ci_level) / 2
        for s, values in boot_c.items():
            lo, hi = np.nanquantile(values, [alpha, 1 - alpha])
            ci[component_label(s)] = (float(lo), float(hi))
        # R² intervals are keyed "r2:<subset>" so they never shadow a component's interval.
        for s, values in boot_r2.items():
            lo, hi = np.nanquantile(values, [alpha, 1 - alpha])
            ci[f"r2:{component_label(s)}"] = (float(lo), float(hi))
    return Partition(
        predictors=names,
        regression=regression,
        r2={component_label(s): v for s, v in r2.items()},
        components={component_label(s): v for s, v in comps.items()},
        n_pairs=int(y.size),
        n_videos=int(order.size),
        ci=ci,
        ci_level=ci_level,
        ci_unit="videos",
        n_boot=int(n_boot),
        split=split,
        n_boot_degenerate=n_degenerate,
    )


def predictor_similarity(
    benchmark: Benchmark, source: str, split: str | None, metric: str = "cosine"
) -> np.ndarray:
    """(N, N) model similarity for one predictor, filled among the split's videos.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark (N videos).
    source : str
        A similarity file (``.npy`` (N, N) or ``.npz`` with ``similarity``), an embeddings
        file (``.npz`` with ``embeddings``, or an (N, D) ``.npy``), or a model name
        understood by :func:`socalign.analyses.gap.model_embeddings` (e.g. ``minilm``).
    split : str or None
        The split whose videos are filled (None / ``"all"``: every video).
    metric : str, default "cosine"
        Similarity of embeddings (``cosine``, ``correlation`` or ``dot``); unused for a
        similarity file.

    Returns
    -------
    numpy.ndarray
        (N, N); from embeddings, NaN outside the split's videos.

    Raises
    ------
    FileNotFoundError
        When ``source`` is an ``.npz``/``.npy`` file that does not exist.
    """
    from socalign.analyses.gap import model_embeddings
    from socalign.models.embeddings import load_embeddings, load_similarity

    idx = benchmark.split_indices(split)
    n = len(benchmark.videos)
    path = Path(source)
    if path.suffix == ".npz":
        if not path.exists():
            raise FileNotFoundError(f"{path}: file not found")
        is_similarity = "similarity" in read_npz(path)
        if is_similarity:
            return load_similarity(path, benchmark.videos, required=idx)
        emb = load_embeddings(path, benchmark.videos, required=idx)
    elif path.suffix == ".npy":
        if not path.exists():
            raise FileNotFoundError(f"{path}: file not found")
        shape = read_npy(path, mmap=True).shape
        if shape == (n, n):
            return load_similarity(path, benchmark.videos, required=idx)
        emb = load_embeddings(path, benchmark.videos, required=idx)
    else:
        emb = model_embeddings(benchmark, source)
    return model_similarity(benchmark, split, embeddings=emb, metric=metric)


def partition_benchmark(
    benchmark: Benchmark,
    predictors: Sequence[str],
    split: str = "test",
    regression: str = "ols_ranks",
    metric: str = "cosine",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    names: Sequence[str] | None = None,
) -> Partition:
    """Commonality analysis of a split's judged similarity on 2–3 predictors (files or models).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    predictors : sequence of str
        2 or 3 sources, as :func:`predictor_similarity` takes them.
    split : str, default "test"
        The split whose judged similarity is partitioned (None / ``"all"``: every video).
    regression : str, default "ols_ranks"
        ``ols_ranks`` or ``ols_raw`` (see :func:`commonality`).
    metric : str, default "cosine"
        Similarity of embeddings: ``cosine``, ``correlation`` or ``dot``.
    n_boot : int, default 1000
        Video resamples of the intervals; 0 skips them.
    seed : int or numpy.random.Generator, default 0
        Seed or Generator of the resamples.
    names : sequence of str or None, default None
        The predictors' labels (distinct); by default a file's stem or the model name.

    Returns
    -------
    Partition
        The commonality analysis over the split's observed pairs.

    Raises
    ------
    ValueError
        When there are not 2 or 3 predictors or their labels repeat.
    """
    if not 2 <= len(predictors) <= 3:
        raise ValueError(f"give 2 or 3 predictors, got {len(predictors)}: {list(predictors)}")
    labels = list(names) if names else [Path(p).stem if Path(p).suffix else p for p in predictors]
    if len(set(labels)) != len(labels):
        raise ValueError(f"predictor names must differ, got {labels}")
    human = split_human_similarity(benchmark, split)
    mats = {
        label: predictor_similarity(benchmark, source, split, metric)
        for label, source in zip(labels, predictors, strict=True)
    }
    return partition_similarity(
        human.similarity, mats, human.observed, benchmark.split_indices(split),
        regression, n_boot, seed, split=split or "all",
    )


PARTS = ("unique to the video model", "unique to the other model", "shared", "full R²")
"""The rows of a :class:`PartitionChange`, in order."""


@dataclass(frozen=True)
class PartitionChange:
    """How each part of a two-predictor partition changes when the video model changes.

    The video model is given before and after (one similarity per seed each); the other model
    (the language model) stays. ``rows``: part -> before and after (means over seeds), the
    change (after - before, mean over seeds) and its percentile interval from resampling
    test videos and seeds together (``n_boot`` times; the same videos for before and after, so
    the interval is paired).
    """

    rows: Mapping[str, Mapping[str, float]]
    n_pairs: int
    n_videos: int
    n_seeds: int
    n_boot: int
    ci_level: float = 0.95
    ci_unit: str = "test videos and seeds"

    def to_frame(self) -> pd.DataFrame:
        """One row per part: before, after, change, ci_low, ci_high."""
        return pd.DataFrame([{"part": part, **values} for part, values in self.rows.items()])

    def to_dict(self) -> dict:
        """A JSON-able summary."""
        return {"rows": {k: dict(v) for k, v in self.rows.items()}, "n_pairs": self.n_pairs,
                "n_videos": self.n_videos, "n_seeds": self.n_seeds, "n_boot": self.n_boot,
                "ci_level": self.ci_level, "ci_unit": self.ci_unit}


def _two_parts(y: np.ndarray, video: np.ndarray, other: np.ndarray, regression: str) -> np.ndarray:
    """(unique video, unique other, shared, full R²) of one two-predictor partition."""
    r2, comps = commonality(y, {"v": video, "o": other}, regression)
    return np.array([comps[("v",)], comps[("o",)], comps[("v", "o")], r2[("v", "o")]])


def partition_change_similarity(
    human: np.ndarray,
    observed: np.ndarray,
    before: Sequence[np.ndarray],
    after: Sequence[np.ndarray],
    other: np.ndarray,
    indices: np.ndarray | None = None,
    regression: str = "ols_ranks",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    ci_level: float = 0.95,
) -> PartitionChange:
    """Paired change of a partition's parts from ``before`` to ``after``, over videos and seeds.

    Each seed's before and after video similarities are partitioned with ``other`` on the same
    pairs; the change of each part is the mean over seeds of after minus before. Its interval
    resamples the videos (pairs inherit them) and the seeds, both with replacement, in each of
    ``n_boot`` replicates, so that it holds the variation of the test videos and of training.

    Parameters
    ----------
    human : numpy.ndarray
        (N, N) human similarity.
    observed : numpy.ndarray
        (N, N) mask of the judged pairs.
    before, after : sequence of numpy.ndarray
        The video model's (N, N) similarity per seed, before and after (same length, >= 1).
    other : numpy.ndarray
        (N, N) similarity of the other predictor (the language model).
    indices : numpy.ndarray or None, default None
        The videos whose pairs are used (all N when None).
    regression : str, default "ols_ranks"
        ``ols_ranks`` or ``ols_raw`` (see :func:`commonality`).
    n_boot : int, default 1000
        Replicates; 0 skips the intervals (NaN).
    seed : int or numpy.random.Generator, default 0
        Seed of the resampling.
    ci_level : float, default 0.95
        Level of the percentile intervals.

    Returns
    -------
    PartitionChange

    Raises
    ------
    ValueError
        ``before`` and ``after`` differ in length or are empty, or too few pairs are observed.
    """
    _check_regression(regression)
    if len(before) != len(after) or not before:
        raise ValueError(f"before and after need one similarity per seed each, got "
                         f"{len(before)} and {len(after)}")
    human = np.asarray(human, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    n = human.shape[0]
    order = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
    mats = [np.asarray(m, dtype=float) for m in (*before, *after, other)]
    for m in mats:
        if m.shape != (n, n):
            raise ValueError(f"a similarity has shape {m.shape}, expected {(n, n)}")
    k = len(before)

    def parts(sample: np.ndarray) -> np.ndarray | None:
        y, *xs = _pair_values([human, *mats], observed, sample)
        if y.size < 4:
            return None
        return np.array([[_two_parts(y, xs[s], xs[-1], regression) for s in range(k)],
                         [_two_parts(y, xs[k + s], xs[-1], regression) for s in range(k)]])

    point = parts(order)
    if point is None:
        raise ValueError("too few observed pairs for a two-predictor partition")
    n_pairs = int(_pair_values([human], observed, order)[0].size)
    rng = as_rng(seed)
    changes = []
    if n_boot > 0:
        draws = (row for chunk in resample_indices(order.size, n_boot, rng) for row in chunk)
        for drawn in draws:
            seeds = rng.integers(0, k, k)
            found = parts(order[drawn])
            if found is not None:
                changes.append((found[1][seeds] - found[0][seeds]).mean(axis=0))
    alpha = (1.0 - ci_level) / 2
    bounds = (np.nanquantile(np.array(changes), [alpha, 1 - alpha], axis=0) if changes
              else np.full((2, len(PARTS)), np.nan))
    before_mean, after_mean = point[0].mean(axis=0), point[1].mean(axis=0)
    rows = {part: {"before": float(before_mean[i]), "after": float(after_mean[i]),
                   "change": float(after_mean[i] - before_mean[i]),
                   "ci_low": float(bounds[0][i]), "ci_high": float(bounds[1][i])}
            for i, part in enumerate(PARTS)}
    return PartitionChange(rows, n_pairs, int(order.size), k, int(n_boot), ci_level)


def partition_change_benchmark(
    benchmark: Benchmark,
    before: Sequence[str],
    after: Sequence[str],
    other: str,
    split: str = "test",
    regression: str = "ols_ranks",
    metric: str = "cosine",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
) -> PartitionChange:
    """:func:`partition_change_similarity` on a split of a benchmark, from files or model names.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    before, after : sequence of str
        The video model's sources per seed (embeddings files, as :func:`predictor_similarity`
        takes them), before and after fine-tuning.
    other : str
        The other predictor's source (a model name such as ``minilm``, or a file).
    split : str, default "test"
        The split whose judged similarity is partitioned.
    regression, metric, n_boot, seed
        As :func:`partition_benchmark`.

    Returns
    -------
    PartitionChange
    """
    human = split_human_similarity(benchmark, split)
    sims = [predictor_similarity(benchmark, s, split, metric) for s in (*before, *after)]
    k = len(before)
    return partition_change_similarity(
        human.similarity, human.observed, sims[:k], sims[k:],
        predictor_similarity(benchmark, other, split, metric), benchmark.split_indices(split),
        regression, n_boot, seed)
