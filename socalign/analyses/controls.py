"""Fine-tuned models against their controls, pooled over seeds: did people's judgments add
anything beyond a caption model's geometry?

The paper v2's question. Its *language-distilled* control is trained exactly as the hybrid model
(same trainer, budget and schedule) but on a caption model's similarity instead of people's
(``socalign finetune --loss distilled``). :func:`compare_runs` sets two groups of runs (e.g.
hybrid and language-distilled, one run per seed) side by side on the same test videos: mean
R² over seeds with a paired bootstrap over videos (every run scored on the same resamples), and
mean pair-rule OOO accuracy with a paired bootstrap over trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socalign.data.types import Benchmark
from socalign.text import claim

RULE = "pair"  # the paper v2 reports OOO accuracy under the pair rule


@dataclass(frozen=True)
class RunsComparison:
    """Group A of runs against group B on one split, pooled over seeds.

    ``r2_a``/``r2_b``: mean test R² over each group's runs; ``r2_difference``: the paired
    bootstrap interval of mean R² (a - b), videos resampled; ``ooo_a``/``ooo_b`` and
    ``ooo_difference``: the same for OOO accuracy under :data:`RULE`, trials resampled;
    ``per_seed``: each run's R² and OOO accuracy.
    """

    a: str
    b: str
    split: str
    n_runs: tuple[int, int]
    r2_a: float
    r2_b: float
    r2_difference: dict[str, Any]
    ooo_a: float
    ooo_b: float
    ooo_difference: dict[str, Any]
    per_seed: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """Two rows (R², OOO accuracy): each group's mean and the difference with its interval."""
        rows = []
        for name, a, b, d in (("R²", self.r2_a, self.r2_b, self.r2_difference),
                              (f"OOO accuracy ({RULE})", self.ooo_a, self.ooo_b, self.ooo_difference)):
            rows.append({"statistic": name, self.a: a, self.b: b, f"{self.a} - {self.b}": d["estimate"],
                         "95% low": d["low"], "95% high": d["high"], "resampled": d["unit"]})
        return pd.DataFrame(rows).set_index("statistic")

    def r2_claim(self, up: str = "was higher by", down: str = "was lower by") -> str:
        """The R² difference in words that follow its interval (see :func:`socalign.text.claim`).

        Parameters
        ----------
        up, down : str
            Words for an interval above / below 0.

        Returns
        -------
        str
            The sentence fragment.
        """
        return _claim(self.r2_difference, up, down)

    def ooo_claim(self, up: str = "was higher by", down: str = "was lower by") -> str:
        """The OOO accuracy difference in words that follow its interval.

        Parameters
        ----------
        up, down : str
            Words for an interval above / below 0.

        Returns
        -------
        str
            The sentence fragment.
        """
        return _claim(self.ooo_difference, up, down)


def _claim(d: dict[str, Any], up: str, down: str) -> str:
    """A stored difference (:func:`_interval`) in words that follow its interval."""
    return claim(d["estimate"], d["low"], d["high"], unit=d["unit"], up=up, down=down,
                 none="did not differ detectably")


def _interval(iv: Any) -> dict[str, Any]:
    return {"estimate": float(iv.estimate), "low": float(iv.low), "high": float(iv.high),
            "level": float(iv.level), "unit": str(iv.unit), "n_boot": int(iv.n_boot),
            "p_value": None if iv.p_value is None else float(iv.p_value)}


def compare_runs(
    benchmark: Benchmark,
    runs_a: Sequence[Path | str],
    runs_b: Sequence[Path | str],
    labels: tuple[str, str] = ("a", "b"),
    split: str = "test",
    n_boot: int = 1000,
    seed: int = 0,
) -> RunsComparison:
    """Runs of group A against runs of group B (fine-tuned embeddings), pooled over seeds.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark the runs were trained on.
    runs_a, runs_b : sequence of path-like
        Run folders (``socalign finetune`` outputs), one per seed; at least one each.
    labels : tuple of str, default ("a", "b")
        The groups' names in tables and sentences.
    split : str, default "test"
        The split scored.
    n_boot : int, default 1000
        Resamples of each interval.
    seed : int, default 0
        Seed of the resamples (videos for R², then trials for OOO accuracy).

    Returns
    -------
    RunsComparison
        Means, paired differences with intervals, and each run's scores.
    """
    from socalign.metrics import ooo_accuracy, similarity_from_judgments
    from socalign.metrics.resampling import (
        as_rng,
        paired_bootstrap,
        pooled_paired_bootstrap_alignment,
    )
    from socalign.scoring import evaluate, model_similarity, split_trials
    from socalign.train.runs import Run

    if not runs_a or not runs_b:
        raise ValueError("compare_runs needs at least one run on each side")
    if labels[0] == labels[1]:
        raise ValueError(f"the two groups need different labels, got {labels}")
    trials = split_trials(benchmark, split)
    human = similarity_from_judgments(trials.triplets, trials.odd, len(benchmark.videos))
    sims: dict[str, list[np.ndarray]] = {"a": [], "b": []}
    correct: dict[str, list[np.ndarray]] = {"a": [], "b": []}
    per_seed = []
    for side, runs, label in (("a", runs_a, labels[0]), ("b", runs_b, labels[1])):
        for path in runs:
            emb = Run.open(Path(path)).embeddings("after", benchmark.videos)
            sim = model_similarity(benchmark, split, embeddings=emb)
            sims[side].append(sim)
            correct[side].append(ooo_accuracy(sim, trials.triplets, trials.odd, RULE).correct.astype(float))
            ev = evaluate(benchmark, split, embeddings=emb, n_boot=0)
            per_seed.append({"group": label, "run": str(path), "r2": ev.r2, "ooo": ev.ooo[RULE].accuracy})
    rng = as_rng(seed)
    r2 = pooled_paired_bootstrap_alignment(sims["a"], sims["b"], human.similarity, human.observed,
                                           benchmark.split_indices(split), "videos", n_boot, rng)
    ooo = paired_bootstrap(np.mean(correct["a"], axis=0), np.mean(correct["b"], axis=0), n_boot, rng,
                           unit="trials")

    def mean(side: str, key: str) -> float:
        label = labels[0] if side == "a" else labels[1]
        return float(np.mean([row[key] for row in per_seed if row["group"] == label]))

    return RunsComparison(
        a=labels[0], b=labels[1], split=split, n_runs=(len(runs_a), len(runs_b)),
        r2_a=mean("a", "r2"), r2_b=mean("b", "r2"), r2_difference=_interval(r2),
        ooo_a=mean("a", "ooo"), ooo_b=mean("b", "ooo"), ooo_difference=_interval(ooo),
        per_seed=per_seed,
    )


__all__ = ["RULE", "RunsComparison", "compare_runs"]
