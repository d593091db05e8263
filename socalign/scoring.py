"""The scoring layer: a model's similarity on a split, its evaluation, comparisons and ceilings.

Every score of a model against a benchmark split is computed here, so the CLI (``socalign
evaluate``, ``socalign ceiling``), the analyses (gap table, variance partitioning), the
fine-tuning report, SocialWorld's calibration and the book report the same numbers for the
same split and seed:

* :func:`split_human_similarity`: the human similarity of a split, from the kept trials whose
  three videos all belong to it;
* :func:`model_similarity`: a model's (N, N) similarity in benchmark order, filled among the
  split's videos (from embeddings) or taken as given;
* :func:`evaluate`: R² (squared Spearman), Spearman and Pearson over the split's observed
  pairs and OOO accuracy under both rules over its trials, with bootstrap intervals (videos
  for the correlations, trials for the accuracies);
* :func:`compare`: model A minus model B on the same resamples (paired bootstrap, p-values);
* :func:`ceilings`: the split's R² ceiling, reliabilities and OOO ceiling
  (:func:`socalign.metrics.benchmark_ceilings`, the one function behind every ceiling).

Resamples and seeds come from :mod:`socalign.metrics.resampling` (``as_rng`` turns a seed into
a Generator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socalign.metrics import (
    RULES,
    Alignment,
    BenchmarkCeilings,
    Interval,
    JudgedSimilarity,
    OOOAccuracy,
    alignment,
    benchmark_ceilings,
    bootstrap,
    bootstrap_alignment,
    ooo_accuracy,
    paired_bootstrap,
    paired_bootstrap_alignment,
    similarity_from_embeddings,
    similarity_from_judgments,
)
from socalign.metrics.resampling import as_rng

if TYPE_CHECKING:
    from socalign.data.types import Benchmark, Trials

__all__ = [
    "Comparison",
    "Evaluation",
    "ceilings",
    "compare",
    "evaluate",
    "interval_from_dict",
    "model_similarity",
    "split_human_similarity",
    "split_name",
    "split_trials",
]


def split_name(split: str | None) -> str:
    """The name a split is reported under: ``"all"`` for None.

    Parameters
    ----------
    split
        A split name, ``"all"`` or None (every kept trial and every video).

    Returns
    -------
    str
        ``split``, or ``"all"`` when it is None.
    """
    return "all" if split is None else str(split)


def split_trials(benchmark: Benchmark, split: str | None) -> Trials:
    """The kept trials of a split (all three videos in it), refusing an empty split.

    Parameters
    ----------
    benchmark
        The benchmark.
    split
        A split name, or None / ``"all"`` for every kept trial.

    Returns
    -------
    Trials
        ``benchmark.split_trials(split)``.

    Raises
    ------
    ValueError
        When the split has no kept trials.
    """
    trials = benchmark.split_trials(split)
    if len(trials) == 0:
        raise ValueError(f"split {split_name(split)!r} has no trials")
    return trials


def split_human_similarity(benchmark: Benchmark, split: str | None) -> JudgedSimilarity:
    """The human similarity of a split: p(kept together | shown together) from its trials.

    Parameters
    ----------
    benchmark
        The benchmark.
    split
        A split name, or None / ``"all"`` for every kept trial.

    Returns
    -------
    JudgedSimilarity
        (N, N) matrices in benchmark video order, built from the split's kept trials only
        (so only pairs among the split's videos are observed).

    Raises
    ------
    ValueError
        When the split has no kept trials.
    """
    trials = split_trials(benchmark, split)
    return similarity_from_judgments(trials.triplets, trials.odd, len(benchmark.videos))


@dataclass(frozen=True)
class Evaluation:
    """A model's alignment with one split's human judgments."""

    split: str
    metric: str | None
    alignment: Alignment
    ooo: dict[str, OOOAccuracy]
    ci: dict[str, Any] = field(default_factory=dict)
    n_videos: int = 0

    @property
    def r2(self) -> float:
        return self.alignment.r2

    @property
    def spearman(self) -> float:
        return self.alignment.spearman

    @property
    def pearson(self) -> float:
        return self.alignment.pearson

    @property
    def n_pairs(self) -> int:
        return self.alignment.n_pairs

    @property
    def n_trials(self) -> int:
        return next(iter(self.ooo.values())).n_trials

    def to_dict(self) -> dict[str, Any]:
        ci: dict[str, Any] = {}
        for key, value in self.ci.items():
            if isinstance(value, dict):
                ci[key] = {k: v.to_dict() for k, v in value.items()}
            else:
                ci[key] = value.to_dict()
        return {
            "split": self.split,
            "metric": self.metric,
            "r2": self.r2,
            "spearman": self.spearman,
            "pearson": self.pearson,
            "ooo_accuracy": {rule: acc.accuracy for rule, acc in self.ooo.items()},
            "chance": {rule: acc.chance for rule, acc in self.ooo.items()},
            "n_pairs": self.n_pairs,
            "n_trials": self.n_trials,
            "n_videos": self.n_videos,
            "ci": ci,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        """Rebuild an evaluation from its :meth:`to_dict` (e.g. a fine-tuning report's ``before``).

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (after a JSON round trip: NaN may be ``None``).

        Returns
        -------
        Evaluation
            Equal in every stored value; the per-trial OOO scores (``ooo[rule].correct``) and
            the bootstrap samples are not stored, so they are empty.
        """
        n_videos = int(data.get("n_videos", 0))
        align = Alignment(r2=_number(data["r2"]), spearman=_number(data["spearman"]),
                          pearson=_number(data["pearson"]), n_pairs=int(data["n_pairs"]),
                          n_items=n_videos)
        ooo = {rule: OOOAccuracy(accuracy=_number(acc), rule=rule,
                                 chance=_number(data["chance"][rule]),
                                 n_trials=int(data["n_trials"]), correct=np.empty(0))
               for rule, acc in data["ooo_accuracy"].items()}
        ci: dict[str, Any] = {}
        for key, value in (data.get("ci") or {}).items():
            if "estimate" in value:
                ci[key] = interval_from_dict(value)
            else:
                ci[key] = {k: interval_from_dict(v) for k, v in value.items()}
        return cls(split=data["split"], metric=data.get("metric"), alignment=align, ooo=ooo,
                   ci=ci, n_videos=n_videos)

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: value, interval and its resampling unit."""
        rows = []
        for stat in ("r2", "spearman", "pearson"):
            iv = self.ci.get(stat)
            rows.append(_row(stat, getattr(self, stat), iv))
        for rule, acc in self.ooo.items():
            iv = self.ci.get("ooo_accuracy", {}).get(rule)
            rows.append(_row(f"ooo_accuracy ({rule})", acc.accuracy, iv))
        frame = pd.DataFrame(rows)
        frame.insert(0, "split", self.split)
        return frame


def _number(value: Any) -> float:
    """A stored statistic as a float (strict JSON writes NaN as ``None``)."""
    return float("nan") if value is None else float(value)


def interval_from_dict(data: dict[str, Any]) -> Interval:
    """Rebuild a :class:`socalign.metrics.Interval` from its ``to_dict`` (samples are not stored).

    Parameters
    ----------
    data
        The dict ``Interval.to_dict`` wrote (NaN may be ``None`` after strict JSON).

    Returns
    -------
    Interval
        Equal in every stored value, with empty ``samples``.
    """
    p_value = data.get("p_value")
    return Interval(
        statistic=str(data["statistic"]), estimate=_number(data["estimate"]),
        low=_number(data["low"]), high=_number(data["high"]), level=float(data["level"]),
        unit=str(data["unit"]), n_boot=int(data["n_boot"]), n_valid=int(data["n_valid"]),
        sd=_number(data["sd"]), p_value=None if p_value is None else float(p_value),
    )


def _row(name: str, value: float, iv: Interval | None) -> dict[str, Any]:
    return {
        "statistic": name,
        "value": value,
        "low": None if iv is None else iv.low,
        "high": None if iv is None else iv.high,
        "unit": None if iv is None else iv.unit,
        "n_boot": None if iv is None else iv.n_boot,
    }


def model_similarity(
    benchmark: Benchmark,
    split: str | None,
    embeddings: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    metric: str = "cosine",
) -> np.ndarray:
    """A model's (N, N) similarity in benchmark order, from embeddings (N, D) or as given.

    Parameters
    ----------
    benchmark
        The benchmark (N videos).
    split
        The split whose videos are compared (None / ``"all"``: every video).
    embeddings
        (N, D), one row per benchmark video; only the split's rows are read (the others may be
        NaN, e.g. absent from the file).
    similarity
        (N, N), returned as float64 after its shape is checked.
    metric
        ``cosine``, ``correlation`` or ``dot`` (see
        :func:`socalign.metrics.similarity_from_embeddings`); used with ``embeddings`` only.

    Returns
    -------
    numpy.ndarray
        (N, N); from embeddings, NaN outside the split's videos.

    Raises
    ------
    ValueError
        When not exactly one of ``embeddings`` and ``similarity`` is given, when its shape
        does not match the benchmark, or when a split row is NaN, zero or constant.
    """
    if (embeddings is None) == (similarity is None):
        raise ValueError("give exactly one of embeddings or similarity")
    n = len(benchmark.videos)
    if embeddings is not None:
        embeddings = np.asarray(embeddings)
        if embeddings.ndim != 2 or embeddings.shape[0] != n:
            raise ValueError(
                f"embeddings must have one row per benchmark video ({n}), got {embeddings.shape}"
            )
        indices = benchmark.split_indices(split)
        model = np.full((n, n), np.nan)
        model[np.ix_(indices, indices)] = similarity_from_embeddings(
            embeddings[indices], metric, labels=benchmark.videos.ids[indices]
        )
        return model
    model = np.asarray(similarity, dtype=np.float64)
    if model.shape != (n, n):
        raise ValueError(f"similarity must be ({n}, {n}), got {model.shape}")
    return model


def evaluate(
    benchmark: Benchmark,
    split: str | None,
    embeddings: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    metric: str = "cosine",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> Evaluation:
    """Score embeddings (N, D) or a similarity (N, N), in benchmark order, on a split.

    Parameters
    ----------
    benchmark
        The benchmark.
    split
        The split (None / ``"all"``: every kept trial and video).
    embeddings, similarity
        Exactly one: the model, as :func:`model_similarity` takes it (only the split's rows
        of embeddings are used).
    metric
        Similarity of embeddings: ``cosine``, ``correlation`` or ``dot``.
    n_boot
        Bootstrap resamples of each interval; 0 skips the intervals.
    seed
        Seed or Generator of the resamples (one stream: the correlations' video resamples,
        then the OOO accuracies' trial resamples, rule by rule).
    level
        Level of the percentile intervals.

    Returns
    -------
    Evaluation
        R², Spearman, Pearson over the split's observed pairs; OOO accuracy under
        :data:`socalign.metrics.RULES` over its trials; intervals in ``ci``.

    Raises
    ------
    ValueError
        When ``n_boot`` < 0, the split has no trials, or the model is undefined on a pair.
    """
    model = model_similarity(benchmark, split, embeddings, similarity, metric)
    used_metric = metric if embeddings is not None else None
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    trials = split_trials(benchmark, split)
    indices = benchmark.split_indices(split)
    human = similarity_from_judgments(trials.triplets, trials.odd, len(benchmark.videos))
    align = alignment(model, human.similarity, human.observed, indices)
    ooo = {rule: ooo_accuracy(model, trials.triplets, trials.odd, rule) for rule in RULES}
    ci: dict[str, Any] = {}
    if n_boot:
        rng = as_rng(seed)
        ci.update(
            bootstrap_alignment(
                model, human.similarity, human.observed, indices, "videos", n_boot, rng, level
            )
        )
        ci["ooo_accuracy"] = {
            rule: bootstrap(acc.correct, n_boot, rng, level, "trials", f"ooo accuracy ({rule})")
            for rule, acc in ooo.items()
        }
    return Evaluation(
        split=split_name(split),
        metric=used_metric,
        alignment=align,
        ooo=ooo,
        ci=ci,
        n_videos=len(indices),
    )


@dataclass(frozen=True)
class Comparison:
    """Model A minus model B on one split: paired bootstrap intervals with p-values.

    ``spearman`` and ``r2``: resampling videos; ``ooo_accuracy[rule]``: resampling trials.
    """

    split: str
    spearman: Interval
    r2: Interval
    ooo_accuracy: dict[str, Interval]

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "difference": "a - b",
            "spearman": self.spearman.to_dict(),
            "r2": self.r2.to_dict(),
            "ooo_accuracy": {rule: iv.to_dict() for rule, iv in self.ooo_accuracy.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], split: str | None = None) -> Comparison:
        """Rebuild a comparison from its :meth:`to_dict`, or from the same dict without the
        ``split`` and ``difference`` entries (a fine-tuning report's ``gain``).

        Parameters
        ----------
        data
            ``spearman``, ``r2`` and ``ooo_accuracy`` (rule -> interval) as ``Interval.to_dict``
            writes them, and optionally ``split``.
        split
            The split, when ``data`` does not name it.

        Returns
        -------
        Comparison
            Equal in every stored value (bootstrap samples are not stored).

        Raises
        ------
        ValueError
            When neither ``data`` nor ``split`` names the split.
        """
        name = data.get("split", split)
        if name is None:
            raise ValueError("a comparison needs its split: pass split=")
        return cls(split=str(name), spearman=interval_from_dict(data["spearman"]),
                   r2=interval_from_dict(data["r2"]),
                   ooo_accuracy={rule: interval_from_dict(iv)
                                 for rule, iv in data["ooo_accuracy"].items()})

    def to_frame(self) -> pd.DataFrame:
        rows = [_row("r2 (a - b)", self.r2.estimate, self.r2),
                _row("spearman (a - b)", self.spearman.estimate, self.spearman)]
        rows += [_row(f"ooo_accuracy ({rule}) (a - b)", iv.estimate, iv)
                 for rule, iv in self.ooo_accuracy.items()]
        frame = pd.DataFrame(rows)
        frame["p_value"] = [self.r2.p_value, self.spearman.p_value] + [
            iv.p_value for iv in self.ooo_accuracy.values()
        ]
        frame.insert(0, "split", self.split)
        return frame


def compare(
    benchmark: Benchmark,
    split: str | None,
    similarity_a: np.ndarray,
    similarity_b: np.ndarray,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> Comparison:
    """Paired bootstrap of model A minus model B (similarities in benchmark order) on a split.

    Parameters
    ----------
    benchmark
        The benchmark.
    split
        The split (None / ``"all"``: every kept trial and video).
    similarity_a, similarity_b
        (N, N) model similarities; :func:`model_similarity` turns embeddings into them.
    n_boot
        Resamples (at least 1), the same for both models.
    seed
        Seed or Generator (one stream: the video resamples of Spearman and R², then the trial
        resamples of the OOO accuracies, rule by rule).
    level
        Level of the percentile intervals.

    Returns
    -------
    Comparison
        Differences (a - b) in Spearman and R² (videos resampled) and in OOO accuracy per
        rule (trials resampled), each with a two-sided bootstrap p-value.

    Raises
    ------
    ValueError
        When ``n_boot`` < 1 or the split has no trials.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    a = model_similarity(benchmark, split, similarity=similarity_a)
    b = model_similarity(benchmark, split, similarity=similarity_b)
    trials = split_trials(benchmark, split)
    indices = benchmark.split_indices(split)
    human = similarity_from_judgments(trials.triplets, trials.odd, len(benchmark.videos))
    rng = as_rng(seed)
    corr = paired_bootstrap_alignment(
        a, b, human.similarity, human.observed, indices, "videos", n_boot, rng, level
    )
    ooo = {}
    for rule in RULES:
        ca = ooo_accuracy(a, trials.triplets, trials.odd, rule).correct
        cb = ooo_accuracy(b, trials.triplets, trials.odd, rule).correct
        ooo[rule] = paired_bootstrap(ca, cb, n_boot, rng, level, "trials")
    return Comparison(split=split_name(split), spearman=corr["spearman"], r2=corr["r2"],
                      ooo_accuracy=ooo)


def ceilings(
    benchmark: Benchmark,
    split: str | None = "test",
    n_splits: int = 100,
    seed: int | np.random.Generator = 0,
    n_draws: int = 50_000,
    ooo_concentration: float | None = None,
) -> BenchmarkCeilings:
    """The noise ceilings and reliabilities of a split (:func:`socalign.metrics.benchmark_ceilings`).

    Parameters
    ----------
    benchmark
        The benchmark.
    split
        The split (None / ``"all"``: every kept trial).
    n_splits
        Random participant halves of the split-half reliability.
    seed
        The seed of the halves and of the OOO ceiling's Monte Carlo draws. A Generator is
        turned into one integer seed drawn from it (so a caller holding one stream still gets
        the numbers ``socalign ceiling --seed`` prints for that integer).
    n_draws
        Monte Carlo draws per distinct posterior of the OOO ceiling.
    ooo_concentration
        A fixed Dirichlet concentration for the OOO ceiling (fitted on the split when None).

    Returns
    -------
    BenchmarkCeilings
        The R² ceiling, the similarity reliability, the OOO reliability and the OOO ceiling;
        a split-half that cannot be computed is reported in ``split_half_error``, not raised.

    Raises
    ------
    ValueError
        When the split has no kept trials or ``n_splits`` < 1.
    """
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**31))
    return benchmark_ceilings(benchmark, split, n_splits=n_splits, seed=int(seed),
                              n_draws=n_draws, ooo_concentration=ooo_concentration)
