"""Score a model (embeddings or a similarity matrix) against a benchmark split's human judgments.

The human similarity is built from the split's kept trials; R² (squared Spearman), Spearman
and Pearson are taken over the observed pairs among the split's videos; OOO accuracy under both
rules over the split's trials. Intervals: bootstrap over videos for the correlations, over
trials for the OOO accuracies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from socalign.metrics import (
    RULES,
    Alignment,
    Interval,
    OOOAccuracy,
    alignment,
    bootstrap,
    bootstrap_alignment,
    ooo_accuracy,
    paired_bootstrap,
    paired_bootstrap_alignment,
    similarity_from_embeddings,
    similarity_from_judgments,
)
from socalign.metrics.resampling import as_rng


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
    benchmark: Any,
    split: str | None,
    embeddings: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    metric: str = "cosine",
) -> np.ndarray:
    """The (N, N) model similarity from embeddings (N, D) or a similarity, in benchmark order.

    From embeddings, only the split's rows enter (other rows may be NaN, e.g. absent from
    the file); the other entries are NaN.
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


def _split_trials(benchmark: Any, split: str | None) -> tuple[str, Any]:
    split_name = "all" if split is None else split
    trials = benchmark.split_trials(split)
    if len(trials) == 0:
        raise ValueError(f"split {split_name!r} has no trials")
    return split_name, trials


def evaluate(
    benchmark: Any,
    split: str | None,
    embeddings: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    metric: str = "cosine",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> Evaluation:
    """Evaluate embeddings (N, D) or a similarity (N, N), in benchmark video order, on ``split``.

    Only the rows of the split's videos are used (others may be NaN). ``n_boot=0`` skips
    the intervals.
    """
    model = model_similarity(benchmark, split, embeddings, similarity, metric)
    used_metric = metric if embeddings is not None else None
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    split_name, trials = _split_trials(benchmark, split)
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
        split=split_name,
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
    benchmark: Any,
    split: str | None,
    similarity_a: np.ndarray,
    similarity_b: np.ndarray,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> Comparison:
    """Paired bootstrap of model A minus model B (similarities in benchmark order) on a split.

    Use :func:`model_similarity` to turn embeddings into similarities first.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    a = model_similarity(benchmark, split, similarity=similarity_a)
    b = model_similarity(benchmark, split, similarity=similarity_b)
    split_name, trials = _split_trials(benchmark, split)
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
    return Comparison(split=split_name, spearman=corr["spearman"], r2=corr["r2"], ooo_accuracy=ooo)
