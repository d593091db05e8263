"""Odd-one-out (OOO) accuracy of a model's similarity under two named rules.

For a trial on items (a, b, c) let s_k be the model's similarity of the pair that leaves out
position k. With the human's odd position o and kept positions p, q:

* ``argmax`` (the THINGS rule): the model's odd one is the item outside its most similar pair.
  Correct when s_o is strictly larger than both other pair similarities; ties count as wrong.
  Chance 1/3.
* ``pair`` (the rule of the paper's released code, ``sim(anchor, positive) > sim(anchor,
  negative)``, averaged over both kept items as the anchor): score
  ½·[s_o > sim(p, odd)] + ½·[s_o > sim(q, odd)], each strict (ties count as wrong). Chance 1/2.

Per-trial scores are 0/1 (argmax) or 0/½/1 (pair); the accuracy is their mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from socalign.metrics.similarity import check_trials, similarity_from_embeddings

RULES = ("argmax", "pair")
CHANCE = {"argmax": 1.0 / 3.0, "pair": 0.5}


@dataclass(frozen=True)
class OOOAccuracy:
    """OOO accuracy under a named rule, with the per-trial scores."""

    accuracy: float
    rule: str
    chance: float
    n_trials: int
    correct: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "accuracy": self.accuracy,
            "rule": self.rule,
            "chance": self.chance,
            "n_trials": self.n_trials,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


def pair_similarities(similarity: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """(n, 3) similarity of the pair that leaves out position k, for k = 0, 1, 2.

    Parameters
    ----------
    similarity : numpy.ndarray
        (N, N) model similarity.
    triplets : numpy.ndarray
        (n, 3) item indices of the trials (in 0..N-1).

    Returns
    -------
    numpy.ndarray
        (n, 3); column k is the similarity of the two items other than position k.

    Raises
    ------
    ValueError
        Naming the first trial with a NaN or infinite pair similarity.
    """
    n_items = similarity.shape[0]
    flat = similarity.ravel()
    t0, t1, t2 = triplets[:, 0], triplets[:, 1], triplets[:, 2]
    s = np.stack(
        [flat[t1 * n_items + t2], flat[t0 * n_items + t2], flat[t0 * n_items + t1]], axis=1
    )
    if not np.isfinite(s).all():
        row = int(np.flatnonzero(~np.isfinite(s).all(axis=1))[0])
        raise ValueError(
            f"trial {row}: the similarity of a pair in {triplets[row].tolist()} is NaN or infinite"
        )
    return s


def ooo_accuracy(
    similarity: np.ndarray, triplets: np.ndarray, odd: np.ndarray, rule: str = "argmax"
) -> OOOAccuracy:
    """OOO accuracy of an (N, N) model similarity on trials (triplets of item indices, odd).

    Parameters
    ----------
    similarity : numpy.ndarray
        (N, N) model similarity.
    triplets : numpy.ndarray
        (n, 3) item indices of the trials (in 0..N-1).
    odd : numpy.ndarray
        (n,) the human's odd position (0, 1 or 2) per trial.
    rule : str, default "argmax"
        ``argmax`` or ``pair`` (see the module docstring).

    Returns
    -------
    OOOAccuracy
        The mean score, the rule, its chance level, the trial count and the per-trial scores.

    Raises
    ------
    ValueError
        When the rule is unknown, the similarity is not square, the trials are malformed
        (:func:`socalign.metrics.similarity.check_trials`) or empty, or a pair similarity is
        not finite.
    """
    if rule not in RULES:
        raise ValueError(f"unknown OOO rule {rule!r}; choose one of {list(RULES)}")
    similarity = np.asarray(similarity, dtype=np.float64)
    if similarity.ndim != 2 or similarity.shape[0] != similarity.shape[1]:
        raise ValueError(f"similarity must be a square (N, N) matrix, got {similarity.shape}")
    triplets, odd = check_trials(triplets, odd, similarity.shape[0])
    if len(odd) == 0:
        raise ValueError("no trials to score")
    n_items = similarity.shape[0]
    flat = similarity.ravel()
    t0, t1, t2 = triplets[:, 0], triplets[:, 1], triplets[:, 2]
    s0 = flat[t1 * n_items + t2]  # the pair leaving out position 0, and so on
    s1 = flat[t0 * n_items + t2]
    s2 = flat[t0 * n_items + t1]
    if not np.isfinite(s0.sum() + s1.sum() + s2.sum()):  # one cheap test; find the row if not
        pair_similarities(similarity, triplets)  # raises, naming the trial
    # beaten: how many of the other two pairs the kept pair strictly exceeds (ties: not beaten);
    # argmax scores [beaten == 2], pair scores beaten / 2.
    kept = np.where(odd == 0, s0, np.where(odd == 1, s1, s2))
    beaten = (s0 < kept).view(np.int8) + (s1 < kept).view(np.int8) + (s2 < kept).view(np.int8)
    correct = (beaten == 2).astype(np.float64) if rule == "argmax" else beaten / 2.0
    return OOOAccuracy(
        accuracy=float(correct.mean()),
        rule=rule,
        chance=CHANCE[rule],
        n_trials=len(odd),
        correct=correct,
    )


def ooo_accuracy_embeddings(
    X: np.ndarray,
    triplets: np.ndarray,
    odd: np.ndarray,
    rule: str = "argmax",
    metric: str = "cosine",
) -> OOOAccuracy:
    """OOO accuracy of an (N, D) embedding under a similarity ``metric``.

    Parameters
    ----------
    X : numpy.ndarray
        (N, D) embeddings, one row per item.
    triplets : numpy.ndarray
        (n, 3) item indices of the trials.
    odd : numpy.ndarray
        (n,) the human's odd position per trial.
    rule : str, default "argmax"
        ``argmax`` or ``pair``.
    metric : str, default "cosine"
        ``cosine``, ``correlation`` or ``dot``
        (:func:`socalign.metrics.similarity.similarity_from_embeddings`).

    Returns
    -------
    OOOAccuracy
        As :func:`ooo_accuracy` gives it.
    """
    return ooo_accuracy(similarity_from_embeddings(X, metric), triplets, odd, rule)
