"""Planning a study: SocialWorld's simulated people, the truth they judge from, and power.

A lab that brings its own videos must decide how many odd-one-out (OOO) judgments to collect.
SocialWorld knows the answer to every question it asks: its observers
(:mod:`socalign.data.socialworld.observers`) can judge any triplet, and their choice
probabilities are known. This module holds

* :func:`observer_world`: the observers' features and weights of a SocialWorld world, built
  without rendering a frame (the same streams and steps as
  :func:`socalign.data.socialworld.synth.synthesize`, so ``observer_world(seed)`` judges as the
  benchmark of that seed did; a test holds them equal);
* :func:`true_expected_similarity`: the similarity a design tries to estimate, the probability
  that a pair is kept together (the third video chosen as odd) when the third video is drawn
  uniformly from the others and the observer from the population, averaged over
  ``n_observers`` observers drawn from the model;
* :func:`population_probabilities`: the population's choice probabilities of given triplets (the
  true OOO ceiling of a set of trials is the mean of their largest probability);
* power by simulation (:func:`power_curve`, :func:`ceiling_curve`): how many judgments tell two
  models apart with 80% power, and how many estimate the R² ceiling to within a given
  half-width, by resampling pilot data (a benchmark's trials, participants drawn with
  replacement) or by simulating observers on SocialWorld.

Random draws: SocialWorld's numbered streams (:func:`socalign.data.socialworld.generator.
stream`): ``observers`` index :data:`TRUTH_STREAM_INDEX` draws the observers that define the
truth (index 0 is the benchmark's own participants); a power curve draws from the generator it
is given (the CLI: ``as_rng(--seed)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from socalign.data.socialworld.attributes import (
    KINEMATIC_FEATURES,
    SOCIAL_ATTRIBUTES,
    kinematics,
    social_ratings,
)
from socalign.data.socialworld.generator import stream
from socalign.data.socialworld.observers import (
    ObserverModel,
    appearance_features,
    choice_probabilities,
    judge,
    mean_weights,
    social_features,
)
from socalign.data.socialworld.render import sample_appearance
from socalign.data.socialworld.scenes import INTERACTION_TYPES, simulate
from socalign.metrics.rsa import alignment
from socalign.metrics.similarity import similarity_from_judgments

TRUTH_STREAM_INDEX = 1
"""Index of SocialWorld's ``observers`` stream that draws the observers defining the truth."""

TRUTH_OBSERVERS = 64
"""Observers drawn from the model to average the true expected similarity over."""

POWER = 0.8
"""The power a study is planned for."""

ALPHA = 0.05
"""Two-sided level of the tests a power curve simulates."""


@dataclass(frozen=True)
class ObserverWorld:
    """What SocialWorld's simulated people judge from.

    Attributes
    ----------
    features : numpy.ndarray
        (N, D) the features the observers use (social features, then appearance).
    weights : numpy.ndarray
        (D,) the population-mean feature weights.
    model : ObserverModel
        The observer parameters.
    seed : int
        The world's seed.
    """

    features: np.ndarray
    weights: np.ndarray
    model: ObserverModel
    seed: int
    interactions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=str))

    @property
    def n_items(self) -> int:
        """N, the number of videos."""
        return int(self.features.shape[0])

    def judge(
        self, triplets: np.ndarray, participants: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """(n,) odd positions chosen by simulated participants (fresh weights per code).

        Parameters
        ----------
        triplets : numpy.ndarray
            (n, 3) video rows as shown.
        participants : numpy.ndarray
            (n,) participant codes; each code draws its own weights from ``rng``.
        rng : numpy.random.Generator
            The observers' generator (consumed as :func:`socalign.data.socialworld.observers.judge`
            does).

        Returns
        -------
        numpy.ndarray
            (n,) the chosen position 0..2.
        """
        odd, _ = judge(self.features, self.weights, np.asarray(triplets), np.asarray(participants),
                       self.model, rng)
        return odd


def observer_world(seed: int = 0, n_videos: int = 250, observer: ObserverModel | None = None) -> ObserverWorld:
    """The observers' features and weights of SocialWorld world ``seed``, without rendering.

    Parameters
    ----------
    seed : int, default 0
        The world's seed (:func:`socalign.data.socialworld.synth.synthesize`'s ``seed``).
    n_videos : int, default 250
        Number of videos, at least 3.
    observer : ObserverModel, optional
        The observers' model; None: ``ObserverModel()``.

    Returns
    -------
    ObserverWorld
        Features and weights exactly as the benchmark of the same seed and size judged from
        (unrounded; videos.csv stores ratings to 6 and colours to 4 decimals).
    """
    if isinstance(n_videos, bool) or not isinstance(n_videos, int | np.integer) or n_videos < 3:
        raise ValueError(f"n_videos must be an integer >= 3, got {n_videos!r}")
    observer = observer or ObserverModel()
    n = int(n_videos)
    inter = np.resize(np.asarray(INTERACTION_TYPES), n)[stream(seed, "order").permutation(n)]
    kin = [kinematics(simulate(str(inter[i]), stream(seed, "scenes", i))) for i in range(n)]
    table = {k: np.array([row[k] for row in kin]) for k in KINEMATIC_FEATURES}
    ratings = social_ratings(table)
    rgb = np.array([sample_appearance(stream(seed, "looks", i)).background_rgb for i in range(n)])
    social, _ = social_features(ratings, list(inter), INTERACTION_TYPES, observer.type_grading)
    background = appearance_features(rgb)
    weights = mean_weights(observer, len(SOCIAL_ATTRIBUTES), len(INTERACTION_TYPES), background.shape[1])
    return ObserverWorld(np.hstack([social, background]), weights, observer, int(seed), inter.astype(str))


def observer_sample(world: ObserverWorld, n_observers: int, rng: np.random.Generator) -> np.ndarray:
    """(n_observers, D) observers' own weights, drawn as the simulated participants' are.

    Parameters
    ----------
    world : ObserverWorld
        The world (its mean weights and ``weight_noise``).
    n_observers : int
        How many observers.
    rng : numpy.random.Generator
        Draws the log-normal weight noise.

    Returns
    -------
    numpy.ndarray
        Row ``p`` = ``weights * exp(sigma * z - sigma^2 / 2)``, ``z`` standard normal.
    """
    sigma = world.model.weight_noise
    z = rng.standard_normal((int(n_observers), len(world.weights)))
    return world.weights * np.exp(sigma * z - sigma**2 / 2)


def keep_probability(similarity: np.ndarray, temperature: float, lapse: float) -> np.ndarray:
    """(N, N) mean over a uniform third item of the probability that a pair is kept together.

    Parameters
    ----------
    similarity : numpy.ndarray
        (N, N) the pair similarities s (a triplet's choice is a softmax over the s of the pair
        that leaves out each position, over ``temperature``).
    temperature : float
        Softmax temperature.
    lapse : float
        Probability of a uniform choice.

    Returns
    -------
    numpy.ndarray
        Entry (i, j), i != j: mean over c not in {i, j} of P(c chosen as odd | i, j, c);
        the diagonal is 1.
    """
    s = np.asarray(similarity, dtype=np.float64)
    n = s.shape[0]
    e = np.exp((s - s.max()) / temperature)
    out = np.zeros((n, n))
    chunk = max(1, 2_000_000 // (n * n))
    for start in range(0, n, chunk):
        rows = slice(start, min(n, start + chunk))
        eij = e[rows][:, :, None]  # (r, N, 1): pair (i, j)
        denom = eij + e[rows][:, None, :] + e[None, :, :]  # + e(i, c) + e(j, c)
        p = eij / denom  # (r, N, N) over c
        total = p.sum(axis=2)
        # Remove c = i and c = j from the mean.
        idx = np.arange(rows.start, rows.stop)
        total -= p[np.arange(len(idx)), :, idx]
        total -= np.diagonal(p, axis1=1, axis2=2)
        out[rows] = total / (n - 2)
    out = (1 - lapse) * out + lapse / 3
    np.fill_diagonal(out, 1.0)
    return out


def true_expected_similarity(
    world: ObserverWorld, n_observers: int = TRUTH_OBSERVERS, rng: np.random.Generator | None = None
) -> np.ndarray:
    """(N, N) true expected similarity: P(pair kept together), third video and observer random.

    Parameters
    ----------
    world : ObserverWorld
        The world.
    n_observers : int, default TRUTH_OBSERVERS
        Observers drawn from the model to average over.
    rng : numpy.random.Generator, optional
        Draws the observers; None: SocialWorld's ``observers`` stream of the world's seed, index
        :data:`TRUTH_STREAM_INDEX`.

    Returns
    -------
    numpy.ndarray
        What the library's count estimator (:func:`socalign.metrics.similarity_from_judgments`)
        estimates under a design whose third videos are uniform; diagonal 1.
    """
    rng = stream(world.seed, "observers", TRUTH_STREAM_INDEX) if rng is None else rng
    total = np.zeros((world.n_items, world.n_items))
    for w in observer_sample(world, n_observers, rng):
        g = world.features * np.sqrt(w)
        g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
        total += keep_probability(g @ g.T, world.model.temperature, world.model.lapse)
    return total / int(n_observers)


def population_probabilities(
    world: ObserverWorld, triplets: np.ndarray, n_observers: int = TRUTH_OBSERVERS,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """(n, 3) the population's probability of choosing each position of each triplet as odd.

    Parameters
    ----------
    world : ObserverWorld
        The world.
    triplets : numpy.ndarray
        (n, 3) video rows as shown.
    n_observers : int, default TRUTH_OBSERVERS
        Observers averaged over.
    rng : numpy.random.Generator, optional
        As in :func:`true_expected_similarity` (the same observers by default).

    Returns
    -------
    numpy.ndarray
        Rows sum to 1; the true OOO ceiling of these trials is the mean of the row maxima.
    """
    rng = stream(world.seed, "observers", TRUTH_STREAM_INDEX) if rng is None else rng
    t = np.asarray(triplets)
    out = np.zeros((len(t), 3))
    for w in observer_sample(world, n_observers, rng):
        out += choice_probabilities(world.features, w, t, world.model)
    return out / int(n_observers)


def filled_similarity(triplets: np.ndarray, odd: np.ndarray, n_items: int) -> np.ndarray:
    """(N, N) the count estimate (kept / shown), unobserved pairs filled with the observed mean.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) item indices (no catch trials).
    odd : numpy.ndarray
        (n,) odd positions.
    n_items : int
        N.

    Returns
    -------
    numpy.ndarray
        :func:`socalign.metrics.similarity_from_judgments`'s similarity with every missing pair
        set to the mean over the observed pairs (so that every pair can be ranked).
    """
    judged = similarity_from_judgments(triplets, odd, n_items)
    sim = judged.similarity.copy()
    upper = np.triu(judged.observed, 1)
    fill = float(sim[upper].mean()) if upper.any() else 1.0 / 3.0
    sim[np.isnan(sim)] = fill
    return sim


def quality(estimate: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Spearman and R² (squared Spearman, the library's R²) of an estimate against the truth.

    Parameters
    ----------
    estimate, truth : numpy.ndarray
        (N, N) similarities; every off-diagonal pair is compared.

    Returns
    -------
    dict
        ``{"spearman": ..., "r2": ...}`` from :func:`socalign.metrics.rsa.alignment`.
    """
    n = truth.shape[0]
    mask = ~np.eye(n, dtype=bool)
    a = alignment(estimate, truth, mask)
    return {"spearman": float(a.spearman), "r2": float(a.r2)}


# --------------------------------------------------------------------------------------------
# Power by simulation


@dataclass(frozen=True)
class PowerCurve:
    """Power (or precision) against the number of judgments.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per number of judgments: ``judgments``, ``power`` (share of simulated studies
        whose test rejects at :data:`ALPHA`) or ``half_width`` (half the 95% spread of the
        estimate), with ``n_studies``.
    question : str
        What the curve answers.
    source : str
        ``"pilot"`` (resampled pilot data) or ``"socialworld"`` (simulated observers).
    needed : float
        The fewest judgments on the grid reaching the target (NaN when none does).
    target : float
        The power (or half-width) aimed for.
    extra : dict
        The settings (models compared, effect, seed).
    """

    table: pd.DataFrame
    question: str
    source: str
    needed: float
    target: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the question, the answer and the curve's rows."""
        return {
            "question": self.question,
            "source": self.source,
            "target": self.target,
            "needed_judgments": None if not np.isfinite(self.needed) else int(self.needed),
            **self.extra,
            "curve": self.table.to_dict(orient="records"),
        }

    def to_frame(self) -> pd.DataFrame:
        """The curve."""
        return self.table


def _first_reaching(x: np.ndarray, y: np.ndarray, ok: np.ndarray) -> float:
    hit = np.flatnonzero(ok)
    return float(x[hit[0]]) if hit.size else float("nan")


def _upper(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, 1)


def _pair_r2(model_sim: np.ndarray, counts_kept: tuple[np.ndarray, np.ndarray]) -> float:
    """Squared Spearman of a model similarity with the count estimate over observed pairs."""
    from scipy.stats import spearmanr

    kept, counts = counts_kept
    iu = _upper(kept.shape[0])
    c = counts[iu]
    ok = c > 0
    if ok.sum() < 3:
        return float("nan")
    human = kept[iu][ok] / c[ok]
    rho = spearmanr(model_sim[iu][ok], human).statistic
    return float(rho**2) if np.isfinite(rho) else float("nan")


def _pair_tables(triplets: np.ndarray, odd: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    j = similarity_from_judgments(triplets, odd, n)
    return j.kept, j.counts


def _ooo_correct(model_sim: np.ndarray, triplets: np.ndarray, odd: np.ndarray) -> np.ndarray:
    t = triplets
    s = np.stack([model_sim[t[:, 1], t[:, 2]], model_sim[t[:, 0], t[:, 2]], model_sim[t[:, 0], t[:, 1]]], 1)
    return (np.argmax(s, axis=1) == odd).astype(float)


def _draw_study(
    source: str, n_judgments: int, rng: np.random.Generator, pilot: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    world: ObserverWorld | None, trials_per_participant: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One simulated study of about ``n_judgments`` trials: (triplets, odd, participants)."""
    if source == "pilot":
        assert pilot is not None
        triplets, odd, who = pilot
        codes, start, size = np.unique(np.sort(who), return_index=True, return_counts=True)
        order = np.argsort(who, kind="stable")
        k = max(1, round(n_judgments * len(codes) / len(who)))
        pick = rng.integers(0, len(codes), size=k)
        rows = np.concatenate([order[start[c]:start[c] + size[c]] for c in pick])
        study = np.repeat(np.arange(k), size[pick])
        return triplets[rows], odd[rows], study
    assert world is not None
    t = _random_triplets(world.n_items, n_judgments, rng)
    who = np.arange(n_judgments) // trials_per_participant
    return t, world.judge(t, who, rng), who


def _random_triplets(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """(m, 3) uniformly random triplets of distinct items (rejection of repeats)."""
    t = rng.integers(0, n, size=(m, 3))
    while True:
        bad = (t[:, 0] == t[:, 1]) | (t[:, 1] == t[:, 2]) | (t[:, 0] == t[:, 2])
        if not bad.any():
            return t
        t[bad] = rng.integers(0, n, size=(int(bad.sum()), 3))


def power_curve(
    model_a: np.ndarray,
    model_b: np.ndarray,
    budgets: np.ndarray,
    metric: str = "r2",
    source: str = "socialworld",
    pilot: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    world: ObserverWorld | None = None,
    n_studies: int = 100,
    trials_per_participant: int = 229,
    rng: np.random.Generator | None = None,
) -> PowerCurve:
    """Power to tell two models apart (R² or OOO accuracy difference) against judgments.

    Each simulated study draws its judgments (``pilot``: participants resampled with replacement
    from the pilot's trials; ``socialworld``: random triplets judged by fresh simulated
    observers), computes the difference between the two models (R² = squared Spearman with the
    count estimate over the observed pairs; OOO accuracy on the trials), and tests it with a
    test at :data:`ALPHA`: OOO, a paired t-test on per-trial correctness (``scipy.stats.
    ttest_1samp``); R², a z-test whose standard error is the spread of the difference over the
    simulated studies (the sampling distribution the simulation draws). Power is the share of
    studies that reject.

    Parameters
    ----------
    model_a, model_b : numpy.ndarray
        (N, N) the two models' similarities.
    budgets : numpy.ndarray
        Numbers of judgments to simulate.
    metric : {"r2", "ooo"}, default "r2"
        Which difference.
    source : {"socialworld", "pilot"}, default "socialworld"
        Where judgments come from.
    pilot : tuple of numpy.ndarray, optional
        ``(triplets, odd, participants)`` of the pilot (``source="pilot"``).
    world : ObserverWorld, optional
        The simulated world (``source="socialworld"``).
    n_studies : int, default 100
        Simulated studies per budget.
    trials_per_participant : int, default 229
        Trials per simulated participant (SocialWorld).
    rng : numpy.random.Generator, optional
        Draws the studies; None: ``numpy.random.default_rng(0)``.

    Returns
    -------
    PowerCurve
        ``needed``: the fewest judgments on the grid with power >= :data:`POWER`.
    """
    from scipy.stats import norm, ttest_1samp

    if metric not in ("r2", "ooo"):
        raise ValueError(f"metric must be 'r2' or 'ooo', got {metric!r}")
    _check_source(source, pilot, world)
    rng = np.random.default_rng(0) if rng is None else rng
    n = model_a.shape[0]
    rows = []
    for m in np.asarray(budgets, dtype=int):
        reject = 0
        diffs = []
        for _ in range(int(n_studies)):
            t, odd, _ = _draw_study(source, int(m), rng, pilot, world, trials_per_participant)
            if metric == "ooo":
                d = _ooo_correct(model_a, t, odd) - _ooo_correct(model_b, t, odd)
                diffs.append(float(d.mean()))
                p = ttest_1samp(d, 0.0).pvalue if d.std() > 0 else 1.0
                reject += bool(p < ALPHA)
            else:
                tables = _pair_tables(t, odd, n)
                diffs.append(_pair_r2(model_a, tables) - _pair_r2(model_b, tables))
        if metric == "r2":
            d = np.asarray(diffs)
            se = float(np.nanstd(d, ddof=1)) if np.isfinite(d).sum() > 1 else float("nan")
            reject = int((np.abs(d) > norm.ppf(1 - ALPHA / 2) * se).sum()) if se > 0 else 0
        rows.append({"judgments": int(m), "power": reject / int(n_studies),
                     "mean_difference": float(np.nanmean(diffs)), "n_studies": int(n_studies)})
    table = pd.DataFrame(rows)
    needed = _first_reaching(table["judgments"].to_numpy(), table["power"].to_numpy(),
                             table["power"].to_numpy() >= POWER)
    what = "R² (squared Spearman)" if metric == "r2" else "OOO accuracy"
    return PowerCurve(table, f"judgments for {POWER:.0%} power to tell two models' {what} apart",
                      source, needed, POWER, {"metric": metric, "alpha": ALPHA})


def ceiling_curve(
    n_items: int,
    budgets: np.ndarray,
    half_width: float = 0.05,
    source: str = "socialworld",
    pilot: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    world: ObserverWorld | None = None,
    n_studies: int = 40,
    trials_per_participant: int = 229,
    rng: np.random.Generator | None = None,
) -> PowerCurve:
    """Precision of the split-half R² ceiling against the number of judgments.

    Each simulated study is split into two random halves of its participants; the ceiling is the
    squared Spearman-Brown-corrected Spearman correlation between the halves' count estimates
    over pairs observed in both (:func:`socalign.metrics.spearman_brown`). The half-width is
    half the 2.5-97.5 percentile spread over studies.

    Parameters
    ----------
    n_items : int
        Number of videos.
    budgets : numpy.ndarray
        Numbers of judgments to simulate.
    half_width : float, default 0.05
        The precision aimed for.
    source, pilot, world, trials_per_participant, rng
        As in :func:`power_curve`.
    n_studies : int, default 40
        Simulated studies per budget.

    Returns
    -------
    PowerCurve
        ``half_width`` and ``mean_ceiling`` per budget; ``needed``: the fewest judgments with
        half-width <= ``half_width``.
    """
    from scipy.stats import spearmanr

    from socalign.metrics.ceilings import spearman_brown

    _check_source(source, pilot, world)
    rng = np.random.default_rng(0) if rng is None else rng
    rows = []
    for m in np.asarray(budgets, dtype=int):
        values = []
        for _ in range(int(n_studies)):
            t, odd, who = _draw_study(source, int(m), rng, pilot, world, trials_per_participant)
            n = n_items
            codes = np.unique(who)
            half = np.isin(who, codes[rng.permutation(len(codes))[: len(codes) // 2]])
            ka, ca = _pair_tables(t[half], odd[half], n)
            kb, cb = _pair_tables(t[~half], odd[~half], n)
            iu = _upper(n)
            ok = (ca[iu] > 0) & (cb[iu] > 0)
            if ok.sum() < 3:
                values.append(float("nan"))
                continue
            rho = spearmanr(ka[iu][ok] / ca[iu][ok], kb[iu][ok] / cb[iu][ok]).statistic
            values.append(float(np.clip(spearman_brown(max(float(rho), 0.0)), 0, 1) ** 2))
        v = np.asarray(values)
        lo, hi = np.nanpercentile(v, [2.5, 97.5]) if np.isfinite(v).sum() >= 2 else (np.nan, np.nan)
        rows.append({"judgments": int(m), "mean_ceiling": float(np.nanmean(v)) if np.isfinite(v).any() else np.nan,
                     "half_width": float((hi - lo) / 2), "n_studies": int(n_studies)})
    table = pd.DataFrame(rows)
    hw = table["half_width"].to_numpy()
    needed = _first_reaching(table["judgments"].to_numpy(), hw, np.isfinite(hw) & (hw <= half_width))
    return PowerCurve(table, f"judgments to estimate the R² ceiling to ±{half_width}", source, needed,
                      float(half_width), {"ceiling": "split-half (participants), Spearman-Brown, squared"})


def _check_source(source: str, pilot: Any, world: Any) -> None:
    if source == "pilot" and pilot is None:
        raise ValueError("source 'pilot' needs the pilot's (triplets, odd, participants)")
    if source == "socialworld" and world is None:
        raise ValueError("source 'socialworld' needs an ObserverWorld")
    if source not in ("pilot", "socialworld"):
        raise ValueError(f"source must be 'pilot' or 'socialworld', got {source!r}")


def plot_power(result: dict[str, Any], axes: Any = None) -> Any:
    """Draw ``socalign power``'s curves: power (left) and the R² ceiling's half-width (right).

    Parameters
    ----------
    result : dict
        ``socalign power --json``'s object (its ``power`` and/or ``ceiling`` entries).
    axes : sequence of matplotlib Axes, optional
        Two axes; None: a new figure.

    Returns
    -------
    numpy.ndarray
        The two axes; the target (80% power, the half-width aimed for) is a dashed line.
    """
    import matplotlib.pyplot as plt

    from socalign.plots import PAGE_WIDTH_IN

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH_IN, 2.8), constrained_layout=True)
    for ax, key, column, label in ((axes[0], "power", "power", "power"),
                                   (axes[1], "ceiling", "half_width", "R² ceiling: 95% half-width")):
        r = result.get(key)
        if not r:
            ax.set_visible(False)
            continue
        curve = pd.DataFrame(r["curve"])
        ax.plot(curve["judgments"], curve[column], marker="o")
        ax.axhline(r["target"], ls="--", color="grey")
        ax.set_xlabel("judgments")
        ax.set_ylabel(label)
        ax.set_ylim(0, max(1.0 if key == "power" else 0.0, float(np.nanmax(curve[column])) * 1.1))
    return axes


def power_figure_file(result: dict[str, Any], path: str) -> str:
    """Write :func:`plot_power`'s figure to a file.

    Parameters
    ----------
    result : dict
        ``socalign power --json``'s object.
    path : str
        The image file (format from its suffix).

    Returns
    -------
    str
        ``path``.
    """
    import matplotlib.pyplot as plt

    axes = plot_power(result)
    fig = axes[0].figure
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def cached_power(n_videos: int, seed: int, budgets: tuple[int, ...], n_studies: int, noise: float = 1.0) -> dict[str, Any]:
    """The book's power and ceiling curves on SocialWorld, built once into the cache.

    Parameters
    ----------
    n_videos : int
        Videos of the world.
    seed : int
        The world's seed (the studies draw from ``numpy.random.default_rng(seed)``).
    budgets : tuple of int
        Judgments to simulate.
    n_studies : int
        Simulated studies per budget.
    noise : float, default 1.0
        Sd of the noise that makes model b from the oracle (as ``socalign power``).

    Returns
    -------
    dict
        ``socalign power --json``'s ``power`` (R²) and ``ceiling`` entries.
    """
    import json

    from socalign.cache import build_once, cache_dir, content_key
    from socalign.metrics.similarity import similarity_from_embeddings

    key = content_key("planning-power/1", int(n_videos), int(seed), list(budgets), int(n_studies), float(noise))

    def build(work: Any) -> None:
        work.mkdir(parents=True, exist_ok=True)  # build_once hands a missing folder
        world = observer_world(seed, n_videos)
        rng = np.random.default_rng(seed)
        oracle = world.features * np.sqrt(world.weights)
        a = similarity_from_embeddings(oracle)
        b = similarity_from_embeddings(oracle + noise * rng.standard_normal(oracle.shape))
        out = {"power": power_curve(a, b, np.asarray(budgets), "r2", world=world, n_studies=n_studies,
                                    rng=rng).to_dict(),
               "ceiling": ceiling_curve(n_videos, np.asarray(budgets), world=world, n_studies=n_studies,
                                        rng=rng).to_dict()}
        (work / "power.json").write_text(json.dumps(out, default=float))

    folder = build_once(cache_dir("planning") / key, "power.json", build)
    return json.loads((folder / "power.json").read_text())
