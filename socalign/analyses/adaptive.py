"""Adaptive triplet selection, measured against the set-cover design and random triplets.

A sequential design chooses the next batch of triplets from the judgments so far. Here the
judgments are explained by an ordinal embedding (:func:`fit_embedding`): every video gets a
point ``x_i`` in ``dim`` dimensions, and a triplet's odd one out is drawn from a softmax over
the dot products of the three pairs (the pair that is kept together is the most similar),
mixed with a uniform lapse, as SocialWorld's observers choose. The fit maximises the
likelihood with an L2 penalty (``scipy.optimize.minimize``, L-BFGS-B, analytic gradient).

The adaptive rule (:func:`run_design` with ``design="adaptive"``) refits the embedding after
every small batch (:data:`ADAPTIVE_BATCHES` batches over the full budget) and picks, among random
candidate triplets, those that add most information about the points: the expected Fisher
information of a triplet's answer about each of its three videos' points (the others held fixed,
:func:`item_information`), weighed by the current uncertainty of that point (the inverse of the
information gathered so far plus the penalty's), i.e. the first-order gain in the log-determinant
of each point's information (D-optimal design, :func:`information_score`), with each video used
at most a few times per batch. What was tried before (the benchmark's three worlds, 250 videos):
the BALD score of a three-member bootstrap ensemble, refitted every 2,450 trials, saved 12-22%
of the set cover's judgments; this Fisher score with the same 2,450-trial batches reached a
Spearman of 0.958, 0.961 and 0.957 at 34,300 judgments (the set cover's full-budget 0.962,
0.963 and 0.955: short on two worlds); refitting after every 490 trials lifted it to about the
30% floor (one realisation saved 30-32% on every world, the next, whose only change is
distinct candidates, 24-31%, both read against one set-cover draw on a grid with a gap from 70%
to 100% of the budget). Read on a grid every 10% against the mean of :data:`REFERENCE_DRAWS`
set-cover draws it saves 26-33% (``benchmarks/results/adaptive_design.json``). Scoring the
picks' uncertainty against the pair scores' variance, an A-optimal score, a wider item cap,
choosing the repeats by the same score, 245-trial batches or an earlier start (1,470 random
trials) did not change the quality at 34,300 judgments by more than 0.004 on world 0; nor did a
full-posterior V-optimal score (the inverse of the joint Fisher information of all points, the
expected reduction of every pair score's variance, on 20,000 candidates: +0.002, +0.000 and
-0.002 at 34,300 judgments on worlds 0, 1 and 2, at nine times the cost of a refit).

Every figure above was measured with a 10-dimensional embedding (penalty 0.01), which
over-fitted: cross-validated likelihood of the judgments (:func:`select_embedding`,
``benchmarks/embedding_selection.py``) prefers 5 dimensions (:data:`EMBEDDING_DIM`), whose fit to
the set cover's full budget correlates 0.975 with the true similarity on world 0, against 0.962.
With that estimator for every design, the set cover's full-budget quality is 0.971-0.976 on
the three worlds, and most of the saving measured before came from the selection making up for
the over-fitted estimator, not from the choice of triplets. Measured with :data:`DESIGN_DRAWS`
independent runs of the random and adaptive designs per world (:func:`lead_table`, 95% Welch
intervals over the draws): the adaptive design is above random triplets from 20% to 40% of the
budget on every world (0.018-0.022 in Spearman at 20%), with no detectable difference from 80%
on; its mean curve reaches the set cover's full-budget quality with 18%, 16% and 10% fewer
judgments on worlds 0, 1 and 2 (single runs 9-28%, one not within the budget). Near the full
budget the curves are flat, so a saving read there rests on differences of a few thousandths;
the estimator is not at its limit there (random triplets, twice and four times the budget: 0.982
and 0.985 on world 0). Tried with this estimator (world 0, one draw): half or a quarter of each
batch's new triplets random instead of picked, to keep the selection from leaning on the model's
errors, changed the quality at 70-100% of the budget by -0.001 to +0.002, within one draw's noise.
A rung check (``compare_designs(guided_draws=2)``, :data:`GUIDED`): the same rule steered by
near-true points (:func:`guide_points`, Spearman about 0.99 with the truth) instead of its
running fit ends below it on every world (-0.006 to -0.007 at the full budget, mean of two runs
against three) and never reaches the set cover's full-budget quality; so a sharper guide does
not help. A second rung (:class:`PlantedWorld`, ``compare_designs(planted=)``,
:func:`planted_summary`, ``benchmarks/adaptive_planted.py``, two runs of each design per world;
the book's chapter runs it on its own world) takes the model's misfit away: people who judge
exactly as the embedding does, with each world's fitted points. At the fitted people's own noise
(a true OOO ceiling of 0.67 on the set cover's repeated triplets, where SocialWorld's people
have 0.70) the rule saves 18%, 23% and 25% on worlds 0, 1 and 2, still short of the 30% floor;
with the pair scores twice as far apart (ceiling 0.79) it saves 45%, 45% and 44%, and four times
as far apart (ceiling 0.86) 63%, 63% and 61%. So the rule does what it is built for where
people's choices are sure; what holds the saving below the floor even with no misfit is how
noisy the choices are (SocialWorld's people are as consistent as the paper's: their
leave-one-out agreement is one of its calibration targets), and the misfit costs some more
(SocialWorld's own people, a little surer, save 10-18%). Also tried (world 0, one run, scratch
code): drawing the picks at random in proportion to their score and weighing each judgment by
the inverse of its chance of being picked, the importance weighting that undoes the bias of a
chosen sample under misfit, ended at 0.971 at the full budget, against 0.975 for the same rule
without it (the weights' variance costs more than the bias they remove); the same draws without
the weights, 0.975. And on SocialWorld's people with the observers' weight noise off (everyone
weighs the features alike; world 0, one run, scratch code) the rule saves 23%; with that and the
observers' choice temperature at 0.1 as well, it ends at 0.9867 at the full budget against the
set cover's 0.9870, so it does not reach the set cover's full-budget quality at all.

A lab runs the same rule on its own judgments with :func:`next_batch` (the regular trials of the
next batch) or :func:`plan_next_batch` (its schedule, ``socalign design --from-judgments``).

Every design spends the same share of its budget (:data:`REPEAT_SHARE`, as
:func:`socalign.data.socialworld.observers.make_schedule`) on repeats of triplets it already
showed (to new participants), so the OOO ceiling can be estimated from each design alike; the
set-cover design is ``make_schedule`` itself.

Quality (:func:`socalign.analyses.planning.quality`) is the Spearman correlation (and R²)
between a design's estimated similarity and the observers' true expected similarity
(:func:`socalign.analyses.planning.true_expected_similarity`), with two estimators: ``counts``
(the library's kept / shown, missing pairs filled with the mean) and ``embedding`` (the fitted
embedding's expected keep probability with a uniform third video,
:func:`socalign.analyses.planning.keep_probability`).

Random draws: SocialWorld's ``design`` stream of the world's seed draws the designs (index
:data:`DESIGN_INDEX` of each design) and its ``observers`` stream the simulated people (index
:data:`OBSERVER_INDEX` of each design). The set cover is drawn afresh at each budget, from
sub-streams of the budget and the draw, so its quality at a budget does not depend on which
other budgets are measured; it is the mean over :data:`REFERENCE_DRAWS` draws (one draw's
Spearman at the full budget has a standard deviation of 0.001-0.003 on the benchmark's worlds,
enough to move the adaptive design's saving by several points). The random and adaptive designs
run :data:`DESIGN_DRAWS` times in full, draw ``d`` from sub-stream ``d`` of their streams (draw 0
is the streams themselves); their curves are the mean of the runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import ttest_ind

from socalign.analyses.planning import (
    ObserverWorld,
    _random_triplets,
    filled_similarity,
    keep_probability,
    population_probabilities,
    quality,
)
from socalign.data.schedule import (
    Schedule,
    ScheduleError,
    check_budget,
    schedule_summary,
    schedule_table,
)
from socalign.data.socialworld.generator import stream
from socalign.data.socialworld.observers import deal_trials, make_schedule
from socalign.metrics.ceilings import ooo_ceiling
from socalign.text import direction, join_words

DESIGNS = ("set-cover", "random", "adaptive")
DESIGN_INDEX = {"set-cover": 0, "random": 2, "adaptive": 3}
"""Index of SocialWorld's ``design`` stream per design (the set cover draws from sub-streams
of index 0 by budget and draw; index 0 itself is the benchmark's own schedule)."""
OBSERVER_INDEX = {"set-cover": 10, "random": 12, "adaptive": 13}
"""Index of SocialWorld's ``observers`` stream per design (0 is the benchmark's people, 1 the
truth's observers)."""

BOOK_VIDEOS = 100
"""Most videos of the book chapter's world: one world of 250 videos takes about 3 CPU minutes,
over a cold build's budget of 2 (the benchmark runs 250)."""

REPEAT_SHARE = 0.3
"""Share of every design's budget spent on repeated triplets (make_schedule's default)."""
TRIALS_PER_PARTICIPANT = 229
"""Regular trials per simulated participant (SocialWorld's 231 less its 2 catch trials)."""
FULL_BUDGET = 214 * TRIALS_PER_PARTICIPANT
"""The default SocialWorld budget of regular judgments (214 participants)."""
LAPSE = 0.1
"""The lapse rate the embedding's likelihood assumes."""
EMBEDDING_DIM = 5
"""The embedding's dimensions: the best held-out likelihood of :func:`select_embedding`'s grid
on the set cover's full budget of SocialWorld's default world (250 videos,
``benchmarks/embedding_selection.py``; worlds 1 and 2 choose the same). The 10 dimensions used
before over-fitted: a lower held-out likelihood, and a Spearman with the true similarity of
0.962 against 0.975. Fewer videos can prefer fewer dimensions (3 on the book's 100), so a lab
chooses its own with :func:`select_embedding`."""
EMBEDDING_PENALTY = 0.01
"""The embedding's L2 penalty, chosen with :data:`EMBEDDING_DIM`."""
SELECTION_DIMS = (3, 5, 8, 10)
"""Dimensions :func:`select_embedding` tries by default."""
SELECTION_PENALTIES = (0.003, 0.01, 0.03, 0.1)
"""Penalties :func:`select_embedding` tries by default."""
WARM_ITERATIONS = 100
"""L-BFGS iterations at most of a warm-started refit (the adaptive loop, random checkpoints)."""
ADAPTIVE_BATCHES = 100
"""Batches the adaptive design's full budget is split into (one refit of the embedding each)."""
CANDIDATES = 60_000
"""Random candidate triplets the adaptive design scores per batch."""
REFERENCE_DRAWS = 5
"""Independent set-cover schedules (and people) measured at each budget of
:func:`compare_designs`; their mean is the set cover's quality, the reference of the reach
table."""
DESIGN_DRAWS = 3
"""Independent runs of the random and adaptive designs per world in :func:`compare_designs`
(about 40 s each for the adaptive design at 250 videos): their mean is the design's curve, and
their spread gives the intervals of :func:`lead_table`."""
GUIDED = "adaptive-guided"
"""The rung check's design in :func:`compare_designs`: the adaptive rule steered by
:func:`guide_points` (``guided_draws``)."""
LEADS = (("adaptive", "random"), ("adaptive", "set-cover"), ("random", "set-cover"),
         (GUIDED, "adaptive"), (GUIDED, "random"))
"""The differences of quality :func:`lead_table` reports (first minus second)."""
BUDGET_SHARES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Shares of the full budget at which :func:`compare_designs` measures every design: evenly
spaced, so the judgments to reach a quality (linear interpolation between two budgets,
:func:`judgments_to_reach`) are read between budgets 10% apart. The curves are concave, so a
wider gap between budgets overstates the judgments a design needs."""


@dataclass(frozen=True)
class EmbeddingFit:
    """A fitted ordinal embedding.

    Attributes
    ----------
    points : numpy.ndarray
        (N, dim) the videos' points.
    loss : float
        Penalised negative log-likelihood per trial at the optimum.
    iterations : int
        L-BFGS iterations used.
    """

    points: np.ndarray
    loss: float
    iterations: int

    def similarity(self) -> np.ndarray:
        """(N, N) dot products of the points (the softmax's pair scores)."""
        return self.points @ self.points.T

    def expected_similarity(self) -> np.ndarray:
        """(N, N) the model's P(pair kept together) with a uniform third video."""
        return keep_probability(self.similarity(), 1.0, LAPSE)


def _pair_scores(x: np.ndarray, triplets: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) dot product of the pair that leaves out each position (read off ``x @ x.T``)."""
    n = x.shape[0]
    codes = _pair_codes(triplets, n) if codes is None else codes
    return (x @ x.T).ravel()[codes].reshape(3, -1).T


def _loss_grad(flat: np.ndarray, triplets: np.ndarray, odd: np.ndarray, weights: np.ndarray,
               n: int, dim: int, penalty: float, codes: np.ndarray) -> tuple[float, np.ndarray]:
    x = flat.reshape(n, dim)
    s = _pair_scores(x, triplets, codes)
    s -= s.max(axis=1, keepdims=True)
    q = np.exp(s)
    q /= q.sum(axis=1, keepdims=True)
    rows = np.arange(len(odd))
    qy = q[rows, odd]
    py = (1 - LAPSE) * qy + LAPSE / 3
    wsum = weights.sum()
    loss = -(weights * np.log(py)).sum() / wsum + penalty * (x**2).sum() / n
    # d(-log py)/d s_k = -(1 - lapse) qy (delta_yk - q_k) / py
    coef = -(1 - LAPSE) * qy / py * weights / wsum
    g = coef[:, None] * (-q)
    g[rows, odd] += coef
    # Pair weights: s_0 = x_b . x_c, s_1 = x_a . x_c, s_2 = x_a . x_b (codes in that order).
    pw = np.bincount(codes, weights=g.T.ravel(), minlength=n * n).reshape(n, n)
    grad = (pw + pw.T) @ x + 2 * penalty * x / n
    return float(loss), grad.ravel()


def _pair_codes(triplets: np.ndarray, n: int) -> np.ndarray:
    a, b, c = triplets[:, 0], triplets[:, 1], triplets[:, 2]
    return np.concatenate([b * n + c, a * n + c, a * n + b])


def fit_embedding(
    triplets: np.ndarray, odd: np.ndarray, n_items: int, dim: int = EMBEDDING_DIM,
    penalty: float = EMBEDDING_PENALTY,
    init: np.ndarray | None = None, weights: np.ndarray | None = None, max_iter: int = 300,
    rng: np.random.Generator | None = None,
) -> EmbeddingFit:
    """Fit an ordinal embedding to OOO judgments by penalised maximum likelihood.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices (no catch trials).
    odd : numpy.ndarray
        (n,) odd positions 0..2.
    n_items : int
        N.
    dim : int, default EMBEDDING_DIM
        Embedding dimensions.
    penalty : float, default EMBEDDING_PENALTY
        L2 penalty on the points (per item, relative to the mean log-likelihood per trial).
    init : numpy.ndarray, optional
        (N, dim) starting points (a warm start); None: small random points.
    weights : numpy.ndarray, optional
        (n,) non-negative trial weights (a bootstrap); None: all 1.
    max_iter : int, default 300
        L-BFGS iterations at most.
    rng : numpy.random.Generator, optional
        Draws the random start; None: ``numpy.random.default_rng(0)``.

    Returns
    -------
    EmbeddingFit
        The points, the final loss and the iterations used.
    """
    t = np.asarray(triplets, dtype=np.int64)
    y = np.asarray(odd, dtype=np.int64)
    if len(t) == 0:
        raise ValueError("no trials to fit an embedding to")
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    if init is None:
        rng = np.random.default_rng(0) if rng is None else rng
        init = 0.1 * rng.standard_normal((n_items, dim))
    res = minimize(_loss_grad, np.asarray(init, dtype=float).ravel(), jac=True, method="L-BFGS-B",
                   args=(t, y, w, int(n_items), int(dim), float(penalty), _pair_codes(t, int(n_items))),
                   options={"maxiter": int(max_iter)})
    return EmbeddingFit(res.x.reshape(n_items, dim), float(res.fun), int(res.nit))


def triplet_probabilities(points: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """(m, 3) the embedding's probability that each position is chosen as odd (with lapse).

    Parameters
    ----------
    points : numpy.ndarray
        (N, dim) points.
    triplets : numpy.ndarray
        (m, 3) item indices.

    Returns
    -------
    numpy.ndarray
        Rows sum to 1.
    """
    s = _pair_scores(points, np.asarray(triplets))
    s -= s.max(axis=1, keepdims=True)
    q = np.exp(s)
    q /= q.sum(axis=1, keepdims=True)
    return (1 - LAPSE) * q + LAPSE / 3


def select_embedding(
    triplets: np.ndarray, odd: np.ndarray, n_items: int, dims: tuple[int, ...] = SELECTION_DIMS,
    penalties: tuple[float, ...] = SELECTION_PENALTIES, folds: int = 5, seed: int = 0,
) -> pd.DataFrame:
    """Choose the embedding's dimensions and penalty by cross-validated likelihood of the judgments.

    Every (dimensions, penalty) of the grid is fitted to all but one fold of the trials
    (:func:`fit_embedding`) and scored by the mean log-likelihood of the held-out trials'
    answers (:func:`triplet_probabilities`); the truth is never used, so a lab runs it on its own
    judgments. Written here because the fit is this module's own likelihood: scikit-learn's
    ``GridSearchCV`` would need an estimator wrapper longer than this loop.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices of the judged regular trials.
    odd : numpy.ndarray
        (n,) odd positions 0..2.
    n_items : int
        N.
    dims : tuple of int, default SELECTION_DIMS
        Dimensions tried, each at least 1.
    penalties : tuple of float, default SELECTION_PENALTIES
        Penalties tried, each at least 0.
    folds : int, default 5
        Folds of the trials (at least 2; trials drawn to folds at random).
    seed : int, default 0
        Seed of the folds and of the fits' starts.

    Returns
    -------
    pandas.DataFrame
        One row per setting: ``dim``, ``penalty``, ``heldout_loglik`` (mean per held-out
        trial; higher is better) and ``best`` (True on the highest).

    Raises
    ------
    ValueError
        Fewer trials than folds, fewer than 2 folds, or an empty or invalid grid.
    """
    t = np.asarray(triplets, dtype=np.int64).reshape(-1, 3)
    y = np.asarray(odd, dtype=np.int64)
    if int(folds) < 2 or len(t) < int(folds):
        raise ValueError(f"cross-validation needs at least 2 folds and a trial per fold; got {folds} folds "
                         f"for {len(t)} trials")
    if not dims or not penalties or min(dims) < 1 or min(penalties) < 0:
        raise ValueError(f"the grid needs dimensions >= 1 and penalties >= 0, got {dims} and {penalties}")
    rng = np.random.default_rng(seed)
    fold = rng.permutation(np.arange(len(t)) % int(folds))
    rows = []
    for dim in dims:
        for penalty in penalties:
            total = 0.0
            for k in range(int(folds)):
                held = fold == k
                fit = fit_embedding(t[~held], y[~held], n_items, int(dim), float(penalty),
                                    rng=np.random.default_rng([seed, k]))
                p = triplet_probabilities(fit.points, t[held])
                total += float(np.log(p[np.arange(int(held.sum())), y[held]]).sum())
            rows.append({"dim": int(dim), "penalty": float(penalty), "heldout_loglik": total / len(t)})
    table = pd.DataFrame(rows)
    table["best"] = table["heldout_loglik"] == table["heldout_loglik"].max()
    return table


def _choice_information(points: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """(m, 3, 3) Fisher information of each triplet's answer about its three pair scores."""
    s = _pair_scores(points, np.asarray(triplets))
    s -= s.max(axis=1, keepdims=True)
    q = np.exp(s)
    q /= q.sum(axis=1, keepdims=True)
    p = (1 - LAPSE) * q + LAPSE / 3
    # dp/ds = (1 - lapse) (diag(q) - q q^T); information = sum_k (dp_k/ds)(dp_k/ds)^T / p_k
    jac = -q[:, :, None] * q[:, None, :]
    jac[:, [0, 1, 2], [0, 1, 2]] += q
    return (1 - LAPSE) ** 2 * np.einsum("mkj,mj,mjl->mkl", jac, 1 / p, jac)


def _score_rows(points: np.ndarray, triplets: np.ndarray, position: int) -> np.ndarray:
    """(m, 3, dim) d(pair score k) / d(point at ``position``): the partner's point, 0 for k = position."""
    rows = np.zeros((len(triplets), 3, points.shape[1]))
    for k in range(3):
        if k != position:  # score k leaves out position k; the partner is the remaining position
            rows[:, k] = points[triplets[:, 3 - position - k]]
    return rows


def item_information(points: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """(N, dim, dim) expected Fisher information of the trials about each item's point.

    Each item's block holds the other points fixed (the block diagonal of the full
    information); the expectation is over the answer under the embedding's own probabilities
    (:func:`triplet_probabilities`), so it does not depend on the answers given.

    Parameters
    ----------
    points : numpy.ndarray
        (N, dim) the current points.
    triplets : numpy.ndarray
        (m, 3) item indices.

    Returns
    -------
    numpy.ndarray
        Symmetric positive semi-definite blocks; items in no triplet get zeros.
    """
    t = np.asarray(triplets, dtype=np.int64)
    n, dim = points.shape
    info = np.zeros((n, dim, dim))
    per_choice = _choice_information(points, t)
    for position in range(3):
        rows = _score_rows(points, t, position)
        np.add.at(info, t[:, position], np.einsum("mkd,mkl,mle->mde", rows, per_choice, rows))
    return info


def information_score(points: np.ndarray, covariance: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(m,) D-optimal score of each candidate: sum over its items of trace(covariance_i J_i).

    ``J_i`` is the candidate's expected information about item ``i``'s point
    (:func:`item_information`), ``covariance_i`` the inverse of the information so far: the
    first-order increase of ``log det`` of each point's information if the candidate is judged.

    Parameters
    ----------
    points : numpy.ndarray
        (N, dim) the current points.
    covariance : numpy.ndarray
        (N, dim, dim) each point's current covariance (inverse information).
    candidates : numpy.ndarray
        (m, 3) candidate triplets.

    Returns
    -------
    numpy.ndarray
        Non-negative scores (higher: more informative).
    """
    c = np.asarray(candidates, dtype=np.int64)
    per_choice = _choice_information(points, c)
    total = np.zeros(len(c))
    for position in range(3):
        rows = _score_rows(points, c, position)
        spread = np.einsum("mkd,mde,mle->mkl", rows, covariance[c[:, position]], rows)  # R Sigma R^T
        total += np.einsum("mkl,mlk->m", per_choice, spread)
    return np.maximum(total, 0.0)


def pick_diverse(candidates: np.ndarray, score: np.ndarray, k: int, n_items: int, cap: int) -> np.ndarray:
    """The ``k`` best-scoring candidates such that no item appears more than ``cap`` times.

    Parameters
    ----------
    candidates : numpy.ndarray
        (m, 3) candidate triplets.
    score : numpy.ndarray
        (m,) scores (higher is better).
    k : int
        How many to pick.
    n_items : int
        N.
    cap : int
        Most appearances of one item among the picks.

    Returns
    -------
    numpy.ndarray
        (<= k, 3) the picks, best first.
    """
    use = np.zeros(n_items, dtype=np.int64)
    out: list[np.ndarray] = []
    if k <= 0:
        return np.empty((0, 3), dtype=np.int64)
    for row in np.argsort(-score, kind="stable"):
        tri = candidates[row]
        if (use[tri] < cap).all():
            out.append(tri)
            use[tri] += 1
            if len(out) == k:
                break
    return np.array(out, dtype=np.int64).reshape(-1, 3)


def select_triplets(
    points: np.ndarray, judged: np.ndarray, size: int, penalty: float, rng: np.random.Generator,
    n_candidates: int = CANDIDATES, batch: int | None = None,
) -> np.ndarray:
    """The adaptive rule's next ``size`` new triplets, given the embedding of the trials judged.

    Parameters
    ----------
    points : numpy.ndarray
        (N, dim) the embedding fitted to ``judged`` (:func:`fit_embedding`).
    judged : numpy.ndarray
        (n, 3) the trials judged so far (their information sets each point's uncertainty).
    size : int
        New triplets to pick.
    penalty : float
        The fit's penalty (its share of each point's information).
    rng : numpy.random.Generator
        Draws the candidates (and random triplets where the item cap leaves too few picks).
    n_candidates : int, default CANDIDATES
        Random candidate triplets scored (:func:`information_score`).
    batch : int, optional
        Trials of the whole batch the picks belong to (repeats included); None: ``size``.

    Returns
    -------
    numpy.ndarray
        (size, 3) distinct, best first; no video in more than twice its even share of the batch's
        trials (random triplets fill in where that cap leaves too few).
    """
    n, dim = points.shape
    # the penalty's share of the information: its Hessian in the likelihood's units (sum over trials)
    prior = 2 * penalty * len(judged) / n * np.eye(dim)
    covariance = np.linalg.inv(item_information(points, judged) + prior)
    # distinct candidates (a small study has fewer triplets than candidates drawn)
    cands = np.unique(np.sort(_random_triplets(n, n_candidates, rng), axis=1), axis=0)
    picks = pick_diverse(cands, information_score(points, covariance, cands), size, n,
                         cap=max(1, int(np.ceil(3 * (size if batch is None else batch) / n * 2))))
    if len(picks) < size:  # the item cap left too few picks: random ones fill in
        picks = np.vstack([picks, _random_triplets(n, size - len(picks), rng)])
    return picks


def _shown_once(triplets: np.ndarray) -> np.ndarray:
    """The triplets shown exactly once (as first shown), whatever the order of their videos."""
    _, first, size = np.unique(np.sort(triplets, axis=1), axis=0, return_index=True, return_counts=True)
    return triplets[first[size == 1]]


def _repeats(n_repeats: int, pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n_repeats, 3) copies of a random subset of ``pool``, evenly (empty when the pool is)."""
    if n_repeats <= 0 or len(pool) == 0:
        return np.empty((0, 3), dtype=np.int64)
    chosen = pool[rng.choice(len(pool), size=min(len(pool), n_repeats), replace=False)]
    return chosen[np.arange(n_repeats) % len(chosen)]


@dataclass
class DesignRun:
    """One design's quality curve (the mean over its draws) and each draw's measurements."""

    design: str
    seed: int
    curve: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    by_draw: pd.DataFrame = field(default_factory=pd.DataFrame)


def _measure(world: ObserverWorld | PlantedWorld, truth: np.ndarray, triplets: np.ndarray, odd: np.ndarray,
             points: np.ndarray | None, dim: int, penalty: float, rng: np.random.Generator) -> dict[str, Any]:
    n = world.n_items
    counts_q = quality(filled_similarity(triplets, odd, n), truth)
    if points is None:
        points = fit_embedding(triplets, odd, n, dim, penalty, rng=rng).points
    emb_q = quality(keep_probability(points @ points.T, 1.0, LAPSE), truth)
    key = np.sort(triplets, axis=1)
    _, inverse, size = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    repeated = size[inverse.ravel()] > 1
    if repeated.sum() >= 2:
        est = ooo_ceiling(triplets[repeated], odd[repeated], n_draws=5000, rng=0).ceiling
        true_c = float(_true_choice_probabilities(world, triplets[repeated]).max(axis=1).mean())
    else:
        est, true_c = float("nan"), float("nan")
    return {"spearman_counts": counts_q["spearman"], "r2_counts": counts_q["r2"],
            "spearman_embedding": emb_q["spearman"], "r2_embedding": emb_q["r2"],
            "ceiling_estimate": float(est), "ceiling_true": true_c,
            "ceiling_error": float(abs(est - true_c)) if np.isfinite(est) else float("nan"),
            "n_repeated_trials": int(repeated.sum())}


def set_cover_judgments(world: ObserverWorld | PlantedWorld, budget: int, draw: int = 0
                        ) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    """One draw of the set-cover design at a budget, judged by the world's simulated people.

    Parameters
    ----------
    world : ObserverWorld or PlantedWorld
        The simulated people (SocialWorld's, or planted: :class:`PlantedWorld`).
    budget : int
        Regular judgments (229 a participant as SocialWorld's people, at least 3 participants).
    draw : int, default 0
        Which independent draw (sub-streams of the budget and the draw).

    Returns
    -------
    tuple
        ``(triplets, odd, design_rng)``: (n, 3) the schedule's regular trials, (n,) the odd
        positions chosen, and the design stream after drawing the schedule.
    """
    participants = max(3, round(budget / TRIALS_PER_PARTICIPANT))
    per = max(1, round(budget / participants))
    drng = stream(world.seed, "design", DESIGN_INDEX["set-cover"], int(budget), int(draw))
    orng = stream(world.seed, "observers", OBSERVER_INDEX["set-cover"], int(budget), int(draw))
    t, who = make_schedule(world.n_items, participants, per, 0, drng, REPEAT_SHARE)
    return t, world.judge(t, who, orng), drng


def _mean_over_draws(by_draw: pd.DataFrame) -> pd.DataFrame:
    """One row per budget: the mean of the draws' figures, with ``draws`` and ``spearman_embedding_sd``."""
    rows = []
    for _, frame in by_draw.groupby("budget", sort=True):
        mean = frame.drop(columns=["draw"]).mean(numeric_only=True).to_dict()
        rows.append({**mean, "judgments": round(float(frame["judgments"].mean())),
                     "n_repeated_trials": round(float(frame["n_repeated_trials"].mean())), "draws": len(frame),
                     "spearman_embedding_sd": float(frame["spearman_embedding"].std(ddof=1))})
    return pd.DataFrame(rows)


GUIDE_INDEX = 20
"""Index of SocialWorld's ``design`` and ``observers`` streams that :func:`guide_points` draws."""
GUIDE_MULTIPLE = 8
"""Random judgments behind :func:`guide_points`, in multiples of the full budget."""


def guide_points(world: ObserverWorld, full_budget: int, dim: int = EMBEDDING_DIM,
                 penalty: float = EMBEDDING_PENALTY, multiple: int = GUIDE_MULTIPLE) -> np.ndarray:
    """Near-true points of a simulated world: the embedding fitted to many random judgments.

    Only a simulation can make these (a lab never has ``multiple`` times its budget); they steer
    :func:`run_design`'s ``guide``, the rung check of whether a sharper guide would help the
    adaptive rule.

    Parameters
    ----------
    world : ObserverWorld
        The simulated people.
    full_budget : int
        The study's budget; ``multiple`` times it are judged (fresh people, stream
        :data:`GUIDE_INDEX`).
    dim, penalty : int, float
        The embedding (:func:`fit_embedding`).
    multiple : int, default GUIDE_MULTIPLE
        How many budgets' worth of random judgments.

    Returns
    -------
    numpy.ndarray
        (N, dim) the fitted points.
    """
    rng = stream(world.seed, "design", GUIDE_INDEX)
    triplets = _random_triplets(world.n_items, int(multiple) * int(full_budget), rng)
    people = np.arange(len(triplets)) // TRIALS_PER_PARTICIPANT
    odd = world.judge(triplets, people, stream(world.seed, "observers", GUIDE_INDEX))
    return fit_embedding(triplets, odd, world.n_items, dim, penalty, rng=rng).points


PLANTED_SHARPNESS = (1.0, 2.0, 4.0)
"""Sharpness of the planted people the rung benchmark measures (``benchmarks/adaptive_planted.py``):
1, the fitted people's own noise; 2 and 4, their pair scores twice and four times as far apart."""


@dataclass(frozen=True)
class PlantedWorld:
    """People who judge exactly as the embedding's model does: a rung check of the adaptive rule.

    Every person chooses the odd one out with :func:`triplet_probabilities` of the same points
    (no individual differences, the model's own lapse), so the embedding is well specified and
    the true expected similarity is the model's (:meth:`truth`). Made from a SocialWorld world by
    :func:`planted_world`.

    Attributes
    ----------
    points : numpy.ndarray
        (N, dim) the points everyone judges by.
    seed : int
        The world's seed (it names the design and observer streams, as for SocialWorld).
    """

    points: np.ndarray
    seed: int

    @property
    def n_items(self) -> int:
        """N, the number of videos."""
        return int(self.points.shape[0])

    def choice_probabilities(self, triplets: np.ndarray) -> np.ndarray:
        """(n, 3) everyone's probability of choosing each position as odd."""
        return triplet_probabilities(self.points, np.asarray(triplets))

    def judge(self, triplets: np.ndarray, participants: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(n,) odd positions drawn from :meth:`choice_probabilities`.

        Parameters
        ----------
        triplets : numpy.ndarray
            (n, 3) video rows as shown.
        participants : numpy.ndarray
            (n,) participant codes, taken as :meth:`ObserverWorld.judge` takes them and unused:
            everyone judges alike.
        rng : numpy.random.Generator
            Draws one uniform a trial.

        Returns
        -------
        numpy.ndarray
            (n,) the chosen position 0..2.
        """
        cumulative = np.cumsum(self.choice_probabilities(triplets), axis=1)
        return (rng.random(len(cumulative))[:, None] > cumulative[:, :2]).sum(axis=1)

    def truth(self) -> np.ndarray:
        """(N, N) the true expected similarity: the model's keep probability with a uniform third."""
        return keep_probability(self.points @ self.points.T, 1.0, LAPSE)


def planted_world(world: ObserverWorld, full_budget: int, sharpness: float = 1.0, dim: int = EMBEDDING_DIM,
                  penalty: float = EMBEDDING_PENALTY) -> PlantedWorld:
    """Planted people with a SocialWorld world's geometry: its :func:`guide_points`, sharpened.

    Parameters
    ----------
    world : ObserverWorld
        The SocialWorld world whose people the points are fitted to (8 times ``full_budget`` of
        random judgments).
    full_budget : int
        The study's budget.
    sharpness : float, default 1.0
        Factor on every pair score (the points times its square root): 1 gives people as noisy
        as the fitted model of the world's people; larger, people whose choices are surer.
    dim, penalty : int, float
        The embedding (:func:`fit_embedding`).

    Returns
    -------
    PlantedWorld
        Seeded as ``world``.

    Raises
    ------
    ValueError
        A sharpness that is not positive.
    """
    if not float(sharpness) > 0:
        raise ValueError(f"sharpness must be positive, got {sharpness}")
    points = guide_points(world, full_budget, dim, penalty) * np.sqrt(float(sharpness))
    return PlantedWorld(points, world.seed)


def _true_choice_probabilities(world: ObserverWorld | PlantedWorld, triplets: np.ndarray) -> np.ndarray:
    """(n, 3) the people's true choice probabilities (the population's, for SocialWorld)."""
    if isinstance(world, PlantedWorld):
        return world.choice_probabilities(triplets)
    return population_probabilities(world, triplets)


def _draw_rows(
    world: ObserverWorld | PlantedWorld, truth: np.ndarray, design: str, budgets: np.ndarray, dim: int, penalty: float,
    batch: int, n_candidates: int, start: int | None, draw: int, guide: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """One draw of a design: its measured rows, one per budget (see :func:`run_design`)."""
    if design == "set-cover":
        rows = []
        for b in budgets:
            t, odd, cover_rng = set_cover_judgments(world, int(b), draw)
            rows.append({"budget": int(b), "draw": int(draw), "judgments": len(t),
                         **_measure(world, truth, t, odd, None, dim, penalty, cover_rng)})
        return rows
    n = world.n_items
    # a trailing sub-index 0 seeds as no sub-index, so draw 0 is the design's own stream
    drng = stream(world.seed, "design", DESIGN_INDEX[design], int(draw))
    orng = stream(world.seed, "observers", OBSERVER_INDEX[design], int(draw))
    total = int(budgets[-1])
    trip: list[np.ndarray] = []
    answers: list[np.ndarray] = []
    rows: list[dict[str, Any]] = []
    count = 0
    next_code = 0

    def judge_batch(t: np.ndarray) -> None:
        nonlocal count, next_code
        if len(t) == 0:
            return
        who = next_code + np.arange(len(t)) // TRIALS_PER_PARTICIPANT
        next_code = int(who.max()) + 1
        trip.append(t)
        answers.append(world.judge(t, who, orng))
        count += len(t)

    def add(new_fn: Any, size: int) -> None:
        n_rep = round(REPEAT_SHARE * size)
        judge_batch(new_fn(size - n_rep))
        repeats = _repeats(n_rep, _shown_once(np.vstack(trip)), drng)
        # no triplet shown once yet to repeat: new random ones keep the budget
        judge_batch(repeats if len(repeats) else _random_triplets(n, n_rep, drng))

    points: np.ndarray | None = None
    first = int(budgets[0]) if start is None else int(start)
    add(lambda m: _random_triplets(n, m, drng), min(first, total))
    b_i = 0
    while True:
        t_all, y_all = np.vstack(trip), np.concatenate(answers)
        if design == "adaptive" or (b_i < len(budgets) and count >= budgets[b_i]):
            fit = fit_embedding(t_all, y_all, n, dim, penalty, init=points, rng=drng,
                                max_iter=300 if points is None else WARM_ITERATIONS)
            points = fit.points
        while b_i < len(budgets) and count >= budgets[b_i]:
            rows.append({"budget": int(budgets[b_i]), "draw": int(draw), "judgments": count,
                         **_measure(world, truth, t_all, y_all, points, dim, penalty, drng)})
            b_i += 1
        if count >= total:
            return rows
        size = min(batch, total - count)
        if b_i < len(budgets):
            size = min(size, int(budgets[b_i]) - count)
        if design == "random":
            add(lambda m: _random_triplets(n, m, drng), size)
            continue
        assert points is not None
        scorer = points if guide is None else guide
        add(lambda m, x=scorer, t=t_all, b=size: select_triplets(x, t, m, penalty, drng, n_candidates, b), size)


def run_design(
    world: ObserverWorld | PlantedWorld, truth: np.ndarray, design: str, budgets: np.ndarray,
    dim: int = EMBEDDING_DIM, penalty: float = EMBEDDING_PENALTY, batch: int = 490,
    n_candidates: int = CANDIDATES, start: int | None = None, draws: int = 1, guide: np.ndarray | None = None,
) -> DesignRun:
    """Judge one design's trials with simulated people and measure its quality at each budget.

    Parameters
    ----------
    world : ObserverWorld or PlantedWorld
        The simulated people (SocialWorld's, or planted: :class:`PlantedWorld`).
    truth : numpy.ndarray
        (N, N) the true expected similarity.
    design : {"set-cover", "random", "adaptive"}
        Which design (see the module docstring).
    budgets : numpy.ndarray
        Numbers of judgments (regular trials) at which to measure, increasing.
    dim, penalty : int, float
        The embedding's dimensions and penalty (:func:`fit_embedding`).
    batch : int, default 490
        Adaptive: trials per batch (new and repeated), one refit of the embedding each (a
        batch never steps over the next budget).
    n_candidates : int, default CANDIDATES
        Adaptive: random candidate triplets scored per batch (:func:`information_score`).
    start : int, optional
        Adaptive: random triplets judged before the first adaptive batch; None: the smallest
        budget.
    draws : int, default 1
        Independent realisations (schedules and people), each measured at every budget. The
        set cover draws afresh at each budget (sub-streams of the budget and the draw); the
        random and adaptive designs run ``draws`` times in full (draw ``d`` on sub-stream ``d``
        of the design's streams; draw 0 is the streams themselves).
    guide : numpy.ndarray, optional
        Adaptive: (N, dim) points that score the candidates instead of the running fit, which
        still estimates the quality (a rung check: the selection guided by near-true points,
        :func:`guide_points`); None: the running fit, as a lab would.

    Returns
    -------
    DesignRun
        ``curve``: one row per budget, the mean over the draws of :func:`quality`'s figures for
        both estimators and the OOO ceiling (estimate, truth over the repeated triplets,
        absolute error), with ``draws`` and ``spearman_embedding_sd`` (across the draws; NaN for
        one draw); ``by_draw``: the same figures per draw (``budget`` and ``draw`` columns).
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; choose one of {list(DESIGNS)}")
    budgets = np.asarray(sorted(int(b) for b in budgets))
    if int(draws) < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    settings: dict[str, Any] = {"dim": dim, "penalty": penalty, "draws": int(draws)}
    if guide is not None and design != "adaptive":
        raise ValueError(f"a guide steers the adaptive design only, not {design!r}")
    if design != "set-cover":
        settings.update(batch=batch, n_candidates=n_candidates, guided=guide is not None)
    rows = [row for draw in range(int(draws))
            for row in _draw_rows(world, truth, design, budgets, dim, penalty, batch, n_candidates, start, draw,
                                  guide)]
    by_draw = pd.DataFrame(rows)
    return DesignRun(design, world.seed, _mean_over_draws(by_draw), settings, by_draw)


def next_batch(
    triplets: np.ndarray, odd: np.ndarray, n_items: int, n_trials: int, repeat_share: float = REPEAT_SHARE,
    dim: int = EMBEDDING_DIM, penalty: float = EMBEDDING_PENALTY, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A lab's next batch of regular trials, chosen adaptively from the judgments collected so far.

    The embedding is fitted to every judgment (:func:`fit_embedding`); ``1 - repeat_share`` of
    the batch are new triplets picked by the adaptive rule (:func:`select_triplets`), the rest
    repeat triplets judged exactly once so far (for the OOO ceiling; any judged triplet when none
    was judged once), as every design in :func:`run_design` does.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) video indices of the regular trials judged so far (no catch trials).
    odd : numpy.ndarray
        (n,) their odd positions 0..2.
    n_items : int
        N, the study's videos.
    n_trials : int
        Regular trials of the batch, at least 1.
    repeat_share : float, default REPEAT_SHARE
        Share of the batch repeating triplets judged before.
    dim, penalty : int, float
        The embedding (:func:`fit_embedding`).
    seed : int, default 0
        Seed of the fit's start, the candidates and the repeats.

    Returns
    -------
    tuple of numpy.ndarray
        ``(trials, repeated)``: (n_trials, 3) the new picks (best first), then the repeats;
        (n_trials,) True for a repeat.

    Raises
    ------
    ValueError
        No judgment to fit, a judgment naming a video outside 0..N-1, an odd position outside
        0..2 (or not one per trial), or a bad count.
    """
    t = np.asarray(triplets, dtype=np.int64).reshape(-1, 3)
    y = np.asarray(odd, dtype=np.int64)
    if len(t) == 0:
        raise ValueError("no judgments to choose the next batch from: collect a first batch (e.g. socalign design)")
    if t.min() < 0 or t.max() >= n_items:
        raise ValueError(f"a judged trial names video {int(t.max() if t.max() >= n_items else t.min())}, "
                         f"outside the study's {n_items} videos")
    if y.shape != (len(t),) or y.min() < 0 or y.max() > 2:
        raise ValueError(f"odd must hold one position 0..2 per judged trial ({len(t)}), got shape {y.shape}")
    if int(n_trials) < 1:
        raise ValueError(f"the batch needs at least 1 trial, got {n_trials}")
    rng = np.random.default_rng(seed)
    points = fit_embedding(t, y, n_items, dim, penalty, rng=rng).points
    n_rep = round(repeat_share * int(n_trials))
    new = select_triplets(points, t, int(n_trials) - n_rep, penalty, rng, batch=int(n_trials))
    pool = _shown_once(t)
    if len(pool) == 0:  # every triplet was judged more than once: repeat any of them
        pool = t[np.unique(np.sort(t, axis=1), axis=0, return_index=True)[1]]
    repeats = _repeats(n_rep, pool, rng)
    return np.vstack([new, repeats]), np.arange(len(new) + len(repeats)) >= len(new)


def plan_next_batch(
    triplets: np.ndarray, odd: np.ndarray, n_videos: int, participants: int, trials_per_participant: int,
    catch_per_participant: int = 2, repeat_share: float = REPEAT_SHARE, seed: int = 0,
    choose_embedding: bool = False,
) -> Schedule:
    """The schedule of an adaptive study's next batch (``socalign design --from-judgments``).

    Parameters
    ----------
    triplets, odd : numpy.ndarray
        The regular trials judged so far and their odd positions (:func:`next_batch`).
    n_videos : int
        The study's videos.
    participants : int
        Participants of the batch.
    trials_per_participant : int
        Trials per participant, catch trials included.
    catch_per_participant : int, default 2
        Catch trials per participant.
    repeat_share : float, default REPEAT_SHARE
        Share of the regular trials repeating triplets judged before.
    seed : int, default 0
        Seed of the choice, the catch trials and the order.
    choose_embedding : bool, default False
        Choose the embedding's dimensions and penalty by the cross-validated likelihood of these
        judgments (:func:`select_embedding`, default grid) instead of :data:`EMBEDDING_DIM` and
        :data:`EMBEDDING_PENALTY` (chosen on SocialWorld's 250 videos).

    Returns
    -------
    Schedule
        ``schedule.csv``'s rows (``kind``: ``cover`` for a new triplet, ``repeat`` for one judged
        before, ``catch``) and the summary of :func:`socalign.data.schedule.schedule_summary`
        with ``judged_trials`` (the judgments the choice was made from), ``design``
        (``adaptive``) and ``embedding`` (``dim``, ``penalty``, ``chosen_by``:
        ``cross-validation`` or ``default``).

    Raises
    ------
    socalign.data.schedule.ScheduleError
        Bad counts (:func:`socalign.data.schedule.check_budget`), no judgment, or a judgment
        naming a video outside the study.
    """
    check_budget(participants, trials_per_participant, catch_per_participant, repeat_share)
    regular = participants * (trials_per_participant - catch_per_participant)
    dim, penalty, chosen_by = EMBEDDING_DIM, EMBEDDING_PENALTY, "default"
    try:
        if choose_embedding:
            grid = select_embedding(triplets, odd, int(n_videos), seed=seed)
            best = grid[grid["best"]].iloc[0]
            dim, penalty, chosen_by = int(best["dim"]), float(best["penalty"]), "cross-validation"
        trials, _ = next_batch(triplets, odd, int(n_videos), regular, repeat_share, dim, penalty, seed=seed)
    except ValueError as err:
        raise ScheduleError(str(err)) from err
    rng = np.random.default_rng([seed, 1])
    shown, who = deal_trials(trials, int(n_videos), participants, catch_per_participant, rng)
    table = schedule_table(shown, who, shown_before=np.asarray(triplets))
    summary = {**schedule_summary(table, int(n_videos)), "design": "adaptive", "judged_trials": len(triplets),
               "embedding": {"dim": dim, "penalty": penalty, "chosen_by": chosen_by}}
    return Schedule(table, summary)


def judgments_to_reach(curve: pd.DataFrame, target: float, column: str) -> float:
    """The judgments at which a quality curve first reaches ``target`` (linear interpolation).

    Parameters
    ----------
    curve : pandas.DataFrame
        ``judgments`` and ``column``, increasing in ``judgments``.
    target : float
        The quality aimed for.
    column : str
        The quality column.

    Returns
    -------
    float
        Interpolated between the two budgets around the first crossing; the first budget when
        it already reaches the target; NaN when the curve never does.
    """
    x = curve["judgments"].to_numpy(dtype=float)
    y = curve[column].to_numpy(dtype=float)
    hit = np.flatnonzero(y >= target)
    if hit.size == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))


REACH_SHARES = (0.9, 0.95, 1.0)
"""Shares of the set-cover design's full-budget quality whose cost :func:`compare_designs`
reports."""


@dataclass(frozen=True)
class DesignComparison:
    """The three designs' quality curves on SocialWorld and the judgments each needs.

    Attributes
    ----------
    curves : pandas.DataFrame
        One row per seed, design and budget (:func:`run_design`'s curve, the mean over the
        design's draws, with ``seed`` and ``design``).
    reach : pandas.DataFrame
        One row per seed, design, estimator and share of :data:`REACH_SHARES`: ``reference``
        (the set-cover design's quality at the full budget with that estimator, or with the
        better estimator for ``reference="best"``), ``target``, ``judgments`` (interpolated;
        NaN when not reached) and ``saving`` (1 - judgments / the full budget).
    settings : dict
        The sizes, budgets and embedding settings.
    by_draw : pandas.DataFrame
        One row per seed, design, budget and draw (:attr:`DesignRun.by_draw`).
    leads : pandas.DataFrame
        :func:`lead_table` of ``by_draw``.
    """

    curves: pd.DataFrame
    reach: pd.DataFrame
    settings: dict[str, Any]
    by_draw: pd.DataFrame = field(default_factory=pd.DataFrame)
    leads: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: settings, curves, the reach table, the draws and the leads."""
        return {"settings": self.settings, "curves": self.curves.to_dict(orient="records"),
                "reach": self.reach.to_dict(orient="records"), "by_draw": self.by_draw.to_dict(orient="records"),
                "leads": self.leads.to_dict(orient="records")}


def reach_table(curves: pd.DataFrame, full_budget: int) -> pd.DataFrame:
    """Judgments each design needs to reach shares of the set-cover design's full-budget quality.

    Parameters
    ----------
    curves : pandas.DataFrame
        :attr:`DesignComparison.curves`.
    full_budget : int
        The budget the reference is measured at (the set-cover row with the most judgments).

    Returns
    -------
    pandas.DataFrame
        :attr:`DesignComparison.reach`. Three references per seed: ``counts`` and
        ``embedding`` (set cover with that estimator, each design measured with the same
        estimator) and ``paper-pipeline`` (set cover with counts, as the library scores a
        benchmark today; every design measured with the embedding).
    """
    rows = []
    for seed, per_seed in curves.groupby("seed"):
        cover = per_seed[per_seed["design"] == "set-cover"].sort_values("judgments")
        full = cover.iloc[-1]
        refs = {"counts": ("spearman_counts", float(full["spearman_counts"])),
                "embedding": ("spearman_embedding", float(full["spearman_embedding"])),
                "paper-pipeline": ("spearman_embedding", float(full["spearman_counts"]))}
        for design, curve in per_seed.groupby("design"):
            curve = curve.sort_values("judgments")
            for ref, (column, value) in refs.items():
                for share in REACH_SHARES:
                    need = judgments_to_reach(curve, share * value, column)
                    rows.append({"seed": int(seed), "design": design, "reference": ref, "share": share,
                                 "reference_spearman": value, "target": share * value,
                                 "judgments": need,
                                 "saving": 1 - need / full_budget if np.isfinite(need) else float("nan")})
    return pd.DataFrame(rows)


def lead_table(by_draw: pd.DataFrame, column: str = "spearman_embedding",
               pairs: tuple[tuple[str, str], ...] = LEADS) -> pd.DataFrame:
    """How far one design's quality is above another's at each budget, with a 95% interval.

    Parameters
    ----------
    by_draw : pandas.DataFrame
        :attr:`DesignComparison.by_draw` (``seed``, ``design``, ``budget``, ``draw`` and
        ``column``).
    column : str, default "spearman_embedding"
        The quality compared.
    pairs : tuple of (str, str), default LEADS
        The designs compared, first minus second.

    Returns
    -------
    pandas.DataFrame
        One row per seed, budget and pair of ``pairs`` present: ``share`` (of the seed's
        largest budget), ``difference`` (mean of the first design's draws minus the second's),
        ``low`` and ``high`` (Welch's t interval over the two sets of independent draws,
        :func:`scipy.stats.ttest_ind`; NaN with fewer than two draws on a side), and each
        side's number of draws.
    """
    rows = []
    for seed, per_seed in by_draw.groupby("seed"):
        largest = float(per_seed["budget"].max())
        for budget, at in per_seed.groupby("budget"):
            values = {d: g[column].to_numpy(dtype=float) for d, g in at.groupby("design")}
            for first, second in pairs:
                if first not in values or second not in values:
                    continue
                a, b = values[first], values[second]
                low = high = float("nan")
                if len(a) >= 2 and len(b) >= 2 and (a.std() > 0 or b.std() > 0):
                    interval = ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
                    low, high = float(interval.low), float(interval.high)
                rows.append({"seed": int(seed), "budget": int(budget), "share": int(budget) / largest,
                             "comparison": f"{first} - {second}", "difference": float(a.mean() - b.mean()),
                             "low": low, "high": high, "draws_first": len(a), "draws_second": len(b)})
    return pd.DataFrame(rows)


def describe_leads(leads: pd.DataFrame, comparison: str = "adaptive - random") -> str:
    """One sentence's words for a lead across the budgets, as its intervals allow.

    Parameters
    ----------
    leads : pandas.DataFrame
        :func:`lead_table`'s rows for one seed.
    comparison : str, default "adaptive - random"
        Which pair (``"first - second"``, one of :data:`LEADS`).

    Returns
    -------
    str
        E.g. ``"above at 30% and 40%; no detectable difference at 10%, 20% and 50%-100% of the
        budget"``: "above" or "below" only where the 95% interval excludes 0
        (:func:`socalign.text.direction`), "no detectable difference" elsewhere (and where there
        is no interval).

    Raises
    ------
    ValueError
        When ``leads`` holds several seeds or none of ``comparison``.
    """
    rows = leads[leads["comparison"] == comparison].sort_values("share")
    if rows.empty:
        raise ValueError(f"no {comparison!r} rows in the lead table")
    if rows["seed"].nunique() > 1:
        raise ValueError("describe one seed's leads at a time")
    groups: dict[str, list[float]] = {"above": [], "below": [], "no detectable difference": []}
    words = {"up": "above", "down": "below", "none": "no detectable difference"}
    for row in rows.itertuples():
        groups[words[direction(row.low, row.high)]].append(float(row.share))
    shares = sorted(rows["share"].astype(float))
    parts = [f"{kind} at {_share_runs(values, shares)}" for kind, values in groups.items() if values]
    return "; ".join(parts) + " of the budget"


def _share_runs(values: list[float], grid: list[float]) -> str:
    """Shares as percentages, consecutive grid points joined into ranges: "10%, 30%-50% and 90%"."""
    position = {v: k for k, v in enumerate(grid)}
    runs: list[list[float]] = []
    for v in sorted(values):
        if runs and position[v] == position[runs[-1][-1]] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return join_words(f"{r[0]:.0%}" if len(r) == 1 else f"{r[0]:.0%}-{r[-1]:.0%}" for r in runs)


def reach_by_draw(comparison: DesignComparison, reference: str = "embedding", share: float = 1.0) -> pd.DataFrame:
    """Judgments each draw of a design needs to reach one target of the reach table.

    Parameters
    ----------
    comparison : DesignComparison
        Its ``by_draw`` and ``reach``.
    reference : {"counts", "embedding", "paper-pipeline"}, default "embedding"
        Which reference (:func:`reach_table`).
    share : float, default 1.0
        Which share of the reference (one of :data:`REACH_SHARES`).

    Returns
    -------
    pandas.DataFrame
        One row per seed, design and draw: ``judgments`` (interpolated; NaN when not reached)
        and ``saving``, so the spread of a design's saving over its draws can be read beside
        the saving of its mean curve.
    """
    reach = comparison.reach
    chosen = reach[(reach["reference"] == reference) & np.isclose(reach["share"], share)]
    column = "spearman_counts" if reference == "counts" else "spearman_embedding"
    full = int(comparison.settings["full_budget"])
    rows = []
    for (seed, design, draw), curve in comparison.by_draw.groupby(["seed", "design", "draw"]):
        target = float(chosen[(chosen["seed"] == seed) & (chosen["design"] == design)]["target"].iloc[0])
        need = judgments_to_reach(curve.sort_values("judgments"), target, column)
        rows.append({"seed": int(seed), "design": design, "draw": int(draw), "target": target, "judgments": need,
                     "saving": 1 - need / full if np.isfinite(need) else float("nan")})
    return pd.DataFrame(rows)


def compare_designs(
    seeds: tuple[int, ...] = (0, 1, 2), n_videos: int = 250, budgets: tuple[int, ...] | None = None,
    dim: int = EMBEDDING_DIM, penalty: float = EMBEDDING_PENALTY, n_observers: int = 32, processes: int = 1,
    design_draws: int = DESIGN_DRAWS, guided_draws: int = 0, planted: float | None = None,
) -> DesignComparison:
    """Set cover, random triplets and adaptive selection on SocialWorld, at equal budgets.

    Parameters
    ----------
    seeds : tuple of int, default (0, 1, 2)
        SocialWorld worlds.
    n_videos : int, default 250
        Videos per world.
    budgets : tuple of int, optional
        Judgments to measure at; None: every 10% from 10% to 100% of :data:`FULL_BUDGET`
        scaled by (n_videos / 250)^2 (:data:`BUDGET_SHARES`), in multiples of the random
        design's batch.
    dim, penalty : int, float
        The embedding (:func:`fit_embedding`).
    n_observers : int, default 32
        Observers the truth averages over (two draws of 16 agree to Spearman 0.99).
    processes : int, default 1
        Draws run in parallel (a process pool of this size; one task per world, design and
        draw).
    design_draws : int, default DESIGN_DRAWS
        Independent runs of the random and adaptive designs per world (the set cover draws
        :data:`REFERENCE_DRAWS` schedules at each budget).
    guided_draws : int, default 0
        Runs per world of the rung check :data:`GUIDED` (the adaptive rule steered by
        :func:`guide_points`; draw ``d`` shares the adaptive design's streams of draw ``d``, so
        both start from the same random triplets); 0: none.
    planted : float, optional
        A rung check: every world's people are planted (:func:`planted_world` with this
        sharpness: they judge exactly as the embedding's model, fitted to the world's people),
        and the truth is theirs; None: SocialWorld's people.

    Returns
    -------
    DesignComparison
        Curves, the reach table, the draws and the leads.

    Raises
    ------
    ValueError
        Guided draws asked for planted people (their guide would be the truth itself).
    """
    if planted is not None and int(guided_draws):
        raise ValueError("the guided rung check steers by points fitted to SocialWorld's people; "
                         "with planted people those are the truth: ask for one rung at a time")
    full = max(30, round(FULL_BUDGET * (n_videos / 250) ** 2))
    batch = max(10, round(full / 20))  # the random design's batches (a new draw of repeats each)
    adaptive_batch = max(3, round(full / ADAPTIVE_BATCHES))
    if budgets is None:
        budgets = tuple(round(batch * 20 * share) for share in BUDGET_SHARES)
    draws = {"set-cover": REFERENCE_DRAWS, "random": int(design_draws), "adaptive": int(design_draws),
             GUIDED: int(guided_draws)}
    # one task per world, design and draw, the longest first, so a pool's workers finish together
    args = [(int(s), design, draw, int(n_videos), tuple(int(b) for b in budgets), dim, penalty, n_observers,
             adaptive_batch if design in ("adaptive", GUIDED) else batch, planted)
            for design in (GUIDED, "adaptive", "set-cover", "random") for s in seeds for draw in range(draws[design])]
    if processes > 1:
        from concurrent.futures import ProcessPoolExecutor

        # one BLAS thread a worker: the workers share the cores, and threads on top slow them (a
        # 100-video comparison took 62 s on 2 cores and 2 processes with BLAS's default, 38 s with 1)
        with ProcessPoolExecutor(processes, initializer=_one_blas_thread) as pool:
            frames = list(pool.map(_one_draw, args))
    else:
        frames = [_one_draw(a) for a in args]
    order = {design: k for k, design in enumerate((*DESIGNS, GUIDED))}
    by_draw = pd.concat(frames, ignore_index=True)
    by_draw = (by_draw.assign(order=by_draw["design"].map(order))
               .sort_values(["seed", "order", "draw", "budget"], ignore_index=True).drop(columns="order"))
    curves = pd.concat([_mean_over_draws(g).assign(seed=seed, design=design)
                        for (seed, design), g in by_draw.groupby(["seed", "design"], sort=False)], ignore_index=True)
    full_measured = int(curves[curves["design"] == "set-cover"]["judgments"].max())
    settings = {"seeds": list(seeds), "n_videos": int(n_videos), "budgets": list(budgets), "dim": dim,
                "penalty": penalty, "truth_observers": n_observers, "batch": batch,
                "adaptive_batch": adaptive_batch, "candidates": CANDIDATES, "reference_draws": REFERENCE_DRAWS,
                "design_draws": int(design_draws), "guided_draws": int(guided_draws), "planted": planted,
                "repeat_share": REPEAT_SHARE,
                "trials_per_participant": TRIALS_PER_PARTICIPANT, "full_budget": full_measured}
    return DesignComparison(curves, reach_table(curves, full_measured), settings, by_draw, lead_table(by_draw))


def _one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # for the life of the worker process


@lru_cache(maxsize=4)
def _world_and_truth(seed: int, n_videos: int, n_observers: int, planted: float | None = None, full_budget: int = 0,
                     dim: int = EMBEDDING_DIM, penalty: float = EMBEDDING_PENALTY,
                     ) -> tuple[ObserverWorld | PlantedWorld, np.ndarray]:
    """A world and its truth, made once per process (every task of a world shares them).

    ``planted``: None, SocialWorld's people; a sharpness, :func:`planted_world`'s people (fitted
    to ``full_budget``, with ``dim`` and ``penalty``) and their own truth.
    """
    from socalign.analyses.planning import observer_world, true_expected_similarity

    social = observer_world(seed, n_videos)
    world: ObserverWorld | PlantedWorld = social
    if planted is None:
        truth = true_expected_similarity(social, n_observers)
    else:
        world = planted_world(social, full_budget, planted, dim, penalty)
        truth = world.truth()
    truth.flags.writeable = False  # shared by the process's tasks: none may change it
    return world, truth


def _one_draw(arg: tuple[int, str, int, int, tuple[int, ...], int, float, int, int, float | None]) -> pd.DataFrame:
    seed, design, draw, n_videos, budgets, dim, penalty, n_observers, batch, planted = arg
    world, truth = _world_and_truth(seed, n_videos, n_observers, planted, budgets[-1], dim, penalty)
    guide = None
    if design == GUIDED:
        assert isinstance(world, ObserverWorld)  # compare_designs refuses a guide for planted people
        guide = guide_points(world, budgets[-1], dim, penalty)
    rows = _draw_rows(world, truth, "adaptive" if design == GUIDED else design, np.asarray(budgets), dim, penalty,
                      batch, CANDIDATES, None, draw, guide)
    return pd.DataFrame(rows).assign(seed=seed, design=design)


def cached_comparison(seeds: tuple[int, ...], n_videos: int, processes: int = 1) -> DesignComparison:
    """:func:`compare_designs` built once into the cache (the book's chapter reads it back).

    Parameters
    ----------
    seeds : tuple of int
        SocialWorld worlds.
    n_videos : int
        Videos per world.
    processes : int, default 1
        Designs run in parallel (:func:`compare_designs`).

    Returns
    -------
    DesignComparison
        Read from ``cache_dir("planning") / key``, where the key covers the arguments and this
        module's settings.
    """
    import json

    from socalign.cache import build_once, cache_dir, content_key

    key = content_key("adaptive-designs/5", list(seeds), int(n_videos), REPEAT_SHARE, TRIALS_PER_PARTICIPANT,
                      EMBEDDING_DIM, EMBEDDING_PENALTY,
                      WARM_ITERATIONS, ADAPTIVE_BATCHES, CANDIDATES, LAPSE,
                      BUDGET_SHARES, REFERENCE_DRAWS, DESIGN_DRAWS)

    def build(work: Any) -> None:
        work.mkdir(parents=True, exist_ok=True)  # build_once hands a missing folder
        result = compare_designs(tuple(seeds), int(n_videos), processes=processes)
        result.curves.to_csv(work / "curves.csv", index=False)
        result.reach.to_csv(work / "reach.csv", index=False)
        result.by_draw.to_csv(work / "by_draw.csv", index=False)
        (work / "settings.json").write_text(json.dumps(result.settings, default=float))

    folder = build_once(cache_dir("planning") / key, "settings.json", build)
    by_draw = pd.read_csv(folder / "by_draw.csv")
    return DesignComparison(pd.read_csv(folder / "curves.csv"), pd.read_csv(folder / "reach.csv"),
                            json.loads((folder / "settings.json").read_text()), by_draw, lead_table(by_draw))


def embedding_selection(seed: int = 0, n_videos: int = 250) -> pd.DataFrame:
    """:func:`select_embedding` on the set cover's full budget of a SocialWorld world, checked against the truth.

    The choice is made by held-out likelihood alone; the ``spearman_with_truth`` column (the
    Spearman correlation of the embedding fitted to every judgment with the observers' true
    expected similarity) is there to check it, as only a simulation can.

    Parameters
    ----------
    seed : int, default 0
        SocialWorld world.
    n_videos : int, default 250
        Videos of the world (the full budget scales as in :func:`compare_designs`).

    Returns
    -------
    pandas.DataFrame
        :func:`select_embedding`'s table (default grid, 5 folds) with ``spearman_with_truth``;
        its ``attrs`` hold ``judgments`` (the budget used).
    """
    from socalign.analyses.planning import observer_world, true_expected_similarity

    world = observer_world(int(seed), int(n_videos))
    triplets, odd, _ = set_cover_judgments(world, max(30, round(FULL_BUDGET * (n_videos / 250) ** 2)))
    table = select_embedding(triplets, odd, world.n_items)
    truth = true_expected_similarity(world, 32)
    table["spearman_with_truth"] = [
        quality(fit_embedding(triplets, odd, world.n_items, int(d), float(p)).expected_similarity(), truth)["spearman"]
        for d, p in zip(table["dim"], table["penalty"], strict=True)
    ]
    table.attrs["judgments"] = len(triplets)
    return table


def cached_embedding_selection(seed: int, n_videos: int) -> pd.DataFrame:
    """:func:`embedding_selection` built once into the cache (the book's chapter reads it back).

    Parameters
    ----------
    seed : int
        SocialWorld world.
    n_videos : int
        Videos of the world.

    Returns
    -------
    pandas.DataFrame
        The table, read from ``cache_dir("planning") / key`` (the key covers the arguments, the
        grid and the lapse); ``attrs["judgments"]`` as built.
    """
    import json

    from socalign.cache import build_once, cache_dir, content_key

    key = content_key("embedding-selection/1", int(seed), int(n_videos), SELECTION_DIMS, SELECTION_PENALTIES,
                      LAPSE, REPEAT_SHARE, TRIALS_PER_PARTICIPANT)

    def build(work: Any) -> None:
        work.mkdir(parents=True, exist_ok=True)  # build_once hands a missing folder
        table = embedding_selection(seed, n_videos)
        table.to_csv(work / "grid.csv", index=False)
        (work / "settings.json").write_text(json.dumps({"judgments": table.attrs["judgments"]}))

    folder = build_once(cache_dir("planning") / key, "settings.json", build)
    table = pd.read_csv(folder / "grid.csv")
    table.attrs["judgments"] = json.loads((folder / "settings.json").read_text())["judgments"]
    return table


def planted_summary(comparison: DesignComparison) -> pd.DataFrame:
    """Per world of a planted comparison: how sure the people are, and what each design saves.

    Parameters
    ----------
    comparison : DesignComparison
        :func:`compare_designs` with ``planted`` set.

    Returns
    -------
    pandas.DataFrame
        One row per seed: ``sharpness``; ``ceiling_true``, the people's true OOO ceiling over the
        set cover's repeated triplets at the full budget (the gauge of how sure their choices
        are, which a lab estimates from its own repeats); ``adaptive_saving`` and
        ``random_saving``, the saving of each design's mean curve at 100% of the set cover's
        full-budget quality (embedding reference; NaN when not reached); ``adaptive_draw_min``
        and ``adaptive_draw_max``, the range of the adaptive design's single runs (the least NaN
        when a run does not reach it, the most NaN when none does); ``draws``.

    Raises
    ------
    ValueError
        A comparison of SocialWorld's people, not planted ones.
    """
    sharpness = comparison.settings.get("planted")
    if sharpness is None:
        raise ValueError("not a planted comparison: run compare_designs(..., planted=SHARPNESS)")
    reach = comparison.reach
    strict = reach[(reach["reference"] == "embedding") & np.isclose(reach["share"], 1.0)]
    per_draw = reach_by_draw(comparison)
    curves = comparison.curves
    rows = []
    for seed in sorted(set(curves["seed"])):
        cover = curves[(curves["seed"] == seed) & (curves["design"] == "set-cover")].sort_values("judgments")
        saving = {d: float(strict[(strict["seed"] == seed) & (strict["design"] == d)]["saving"].iloc[0])
                  for d in ("adaptive", "random")}
        draws = per_draw[(per_draw["seed"] == seed) & (per_draw["design"] == "adaptive")]["saving"]
        rows.append({"seed": int(seed), "sharpness": float(sharpness), "ceiling_true": float(cover["ceiling_true"].iloc[-1]),
                     "adaptive_saving": saving["adaptive"], "random_saving": saving["random"],
                     "adaptive_draw_min": float(draws.min(skipna=False)), "adaptive_draw_max": float(draws.max()),
                     "draws": len(draws)})
    return pd.DataFrame(rows)


def cached_planted_rung(seeds: tuple[int, ...], n_videos: int, sharpness: tuple[float, ...] = PLANTED_SHARPNESS,
                        design_draws: int = 2, processes: int = 1) -> pd.DataFrame:
    """:func:`planted_summary` at every sharpness, built once into the cache (the book reads it back).

    Parameters
    ----------
    seeds : tuple of int
        SocialWorld worlds whose fitted points are planted.
    n_videos : int
        Videos per world.
    sharpness : tuple of float, default PLANTED_SHARPNESS
        The planted people's sharpness (:func:`planted_world`), one comparison each.
    design_draws : int, default 2
        Runs of the random and adaptive designs per world (:func:`compare_designs`).
    processes : int, default 1
        Tasks run in parallel (:func:`compare_designs`).

    Returns
    -------
    pandas.DataFrame
        :func:`planted_summary`'s rows, one sharpness after another, read from
        ``cache_dir("planning") / key`` (the key covers the arguments and this module's
        settings).
    """
    from socalign.cache import build_once, cache_dir, content_key

    key = content_key("planted-rung/1", list(seeds), int(n_videos), [float(s) for s in sharpness], int(design_draws),
                      REPEAT_SHARE, TRIALS_PER_PARTICIPANT, EMBEDDING_DIM, EMBEDDING_PENALTY, WARM_ITERATIONS,
                      ADAPTIVE_BATCHES, CANDIDATES, LAPSE, BUDGET_SHARES, REFERENCE_DRAWS, GUIDE_MULTIPLE)

    def build(work: Any) -> None:
        work.mkdir(parents=True, exist_ok=True)  # build_once hands a missing folder
        frames = [planted_summary(compare_designs(tuple(seeds), int(n_videos), processes=processes,
                                                  design_draws=int(design_draws), planted=float(s)))
                  for s in sharpness]
        pd.concat(frames, ignore_index=True).to_csv(work / "summary.csv", index=False)

    return pd.read_csv(build_once(cache_dir("planning") / key, "summary.csv", build) / "summary.csv")


def plot_design_curves(curves: pd.DataFrame, axes: Any = None) -> Any:
    """Quality against judgments per design: counts (left) and embedding (right) estimators.

    Parameters
    ----------
    curves : pandas.DataFrame
        :attr:`DesignComparison.curves` (the mean over seeds of each budget is drawn).
    axes : sequence of two matplotlib Axes, optional
        None: a new figure.

    Returns
    -------
    numpy.ndarray
        The two axes; the dashed line is the set-cover design's full-budget quality.
    """
    import matplotlib.pyplot as plt

    from socalign.plots import PAGE_WIDTH_IN

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH_IN, 2.8), sharey=True, constrained_layout=True)
    for ax, column, title in ((axes[0], "spearman_counts", "counts (kept / shown)"),
                              (axes[1], "spearman_embedding", "ordinal embedding")):
        for k, design in enumerate(DESIGNS):
            d = curves[curves["design"] == design]
            # the k-th budget of every seed (the adaptive design's budgets differ by a few trials)
            d = d.sort_values(["seed", "judgments"])
            mean = d.assign(step=d.groupby("seed").cumcount()).groupby("step")[[column, "judgments"]].mean()
            ax.plot(mean["judgments"], mean[column], marker="o", color=f"C{k}", label=design)
        full = curves[curves["design"] == "set-cover"].sort_values("judgments").groupby("seed").tail(1)[column].mean()
        ax.axhline(full, ls="--", color="grey")
        ax.set_title(title)
        ax.set_xlabel("judgments")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("Spearman with the true similarity")
    axes[1].legend(loc="lower right")
    return axes
