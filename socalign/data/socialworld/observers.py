"""Simulated observers and the trial schedule of the odd-one-out task.

Each participant judges from their own noisy weighting of the latent social features (the
z-scored social attributes and the interaction type) plus a little visual appearance (the
background colour). The interaction types are unrelated categories by default; with
``type_grading`` > 0 the types people confuse are seen as alike (:func:`type_embedding`). A
trial's three pairs are compared by cosine similarity in the participant's weighted feature
space; the odd one out is drawn from a softmax over the pair similarities (temperature
``temperature``), and with probability ``lapse`` uniformly at random.

The schedule follows the set-cover design (:func:`socalign.data.design.set_cover_triplets`):
every pair of videos is covered, the rest of the budget repeats some triplets across
participants, and each participant sees a few catch trials (one video twice).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from socalign.data.design import set_cover_triplets
from socalign.data.socialworld.attributes import SOCIAL_ATTRIBUTES
from socalign.data.socialworld.scenes import CONFUSABLE


@dataclass(frozen=True)
class ObserverModel:
    """Parameters of the simulated observers (weights are on squared, z-scored features)."""

    attribute_weight: float = 1.0
    type_weight: float = 4.0
    appearance_weight: float = 0.15
    weight_noise: float = 0.8  # sd of the log-normal noise on each participant's weights
    temperature: float = 0.2
    lapse: float = 0.1
    #: how much each interaction type's features share with the types people take it for
    #: (:data:`~socalign.data.socialworld.scenes.CONFUSABLE`): 0, unrelated categories
    type_grading: float = 0.0

    def to_dict(self) -> dict[str, float]:
        """The parameters as a plain dict (for benchmark.json)."""
        return asdict(self)


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 1e-12, sd, 1.0)


def type_embedding(types: Sequence[str], grading: float = 0.0) -> np.ndarray:
    """(K, K) unit-length features of the interaction types, graded by what people confuse.

    Type ``i``'s row is its one-hot plus ``grading`` times the one-hot of every type it is
    confused with in either direction of :data:`~socalign.data.socialworld.scenes.CONFUSABLE`,
    scaled to unit length; so ``grading=0`` gives the identity (unrelated categories) and a
    larger grading makes confusable types more alike (every pair of the table, up to a grading
    of about 0.6; beyond it a type with several neighbours leans towards all of them), in a
    geometry fixed by the hand-written table, not by any caption encoder.

    Parameters
    ----------
    types : sequence of str
        The K interaction types (rows and columns in this order).
    grading : float, default 0.0
        Weight of each confusable neighbour, at least 0.

    Returns
    -------
    numpy.ndarray
        (K, K) rows of unit length.
    """
    if not np.isfinite(grading) or grading < 0:
        raise ValueError(f"type_grading must be a finite number >= 0, got {grading!r}")
    index = {t: i for i, t in enumerate(types)}
    rows = np.eye(len(types))
    for kind, alike in CONFUSABLE.items():
        for other in alike:
            if kind in index and other in index:
                rows[index[kind], index[other]] = rows[index[other], index[kind]] = grading
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def social_features(
    ratings: Mapping[str, np.ndarray],
    interactions: Sequence[str],
    types: Sequence[str],
    type_grading: float = 0.0,
) -> tuple[np.ndarray, list[str]]:
    """(N, 8 + K) latent social features: z-scored attributes, then the centred type features.

    Parameters
    ----------
    ratings : mapping of str to numpy.ndarray
        Attribute -> (N,) ratings, for every attribute of :data:`SOCIAL_ATTRIBUTES`.
    interactions : sequence of str
        (N,) each video's interaction type.
    types : sequence of str
        The K interaction types, in the order of the type columns.
    type_grading : float, default 0.0
        :attr:`ObserverModel.type_grading`: the type columns are each video's row of
        :func:`type_embedding` (the one-hot when 0).

    Returns
    -------
    tuple
        ``(features, names)``: the (N, 8 + K) matrix and the feature names
        (``attribute:<name>``, ``type:<name>``).
    """
    missing = [a for a in SOCIAL_ATTRIBUTES if a not in ratings]
    if missing:
        raise ValueError(f"ratings lack attribute(s) {missing}")
    unknown = sorted(set(interactions) - set(types))
    if unknown:
        raise ValueError(f"unknown interaction type(s) {unknown}; expected one of {list(types)}")
    attrs = _zscore(np.column_stack([np.asarray(ratings[a], dtype=float) for a in SOCIAL_ATTRIBUTES]))
    onehot = (np.asarray(interactions)[:, None] == np.asarray(types)[None, :]).astype(float)
    graded = onehot @ type_embedding(types, type_grading)
    graded -= graded.mean(axis=0)
    names = [f"attribute:{a}" for a in SOCIAL_ATTRIBUTES] + [f"type:{t}" for t in types]
    return np.hstack([attrs, graded]), names


def appearance_features(background_rgb: np.ndarray) -> np.ndarray:
    """(N, 3) z-scored background colour: the small visual part of the observers' judgments."""
    return _zscore(np.asarray(background_rgb, dtype=float))


def mean_weights(model: ObserverModel, n_attributes: int, n_types: int, n_appearance: int) -> np.ndarray:
    """The population-mean weight of every feature (social features, then appearance).

    Parameters
    ----------
    model : ObserverModel
        Its ``attribute_weight``, ``type_weight`` and ``appearance_weight`` are used.
    n_attributes : int
        Number of attribute features.
    n_types : int
        Number of interaction-type features.
    n_appearance : int
        Number of appearance features.

    Returns
    -------
    numpy.ndarray
        (n_attributes + n_types + n_appearance,) weights in that order.
    """
    return np.concatenate([
        np.full(n_attributes, model.attribute_weight),
        np.full(n_types, model.type_weight),
        np.full(n_appearance, model.appearance_weight),
    ])


def make_schedule(
    n_items: int,
    n_participants: int,
    trials_per_participant: int,
    catch_per_participant: int,
    rng: np.random.Generator,
    repeat_share: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """Triplets (n, 3) and participant codes (n,) of the whole experiment.

    The regular trials start from a set cover of all pairs (covered ``k`` times, ``k`` as large
    as ``1 - repeat_share`` of the budget allows); the rest of the budget repeats triplets drawn
    from a subset of the cover (about twice each), each copy going to a different participant
    as long as a triplet has no more copies than there are participants. Each participant
    also gets ``catch_per_participant`` catch trials (a video shown twice), in shuffled order.

    Parameters
    ----------
    n_items : int
        Number of videos.
    n_participants : int
        Number of participants, at least 1.
    trials_per_participant : int
        Trials per participant, catch trials included; must exceed ``catch_per_participant``.
    catch_per_participant : int
        Catch trials per participant.
    rng : numpy.random.Generator
        Draws the cover, the repeats, the catch trials and the trial order.
    repeat_share : float, default 0.3
        The share of the regular-trial budget kept for repeated triplets (at most; the cover
        fills the rest).

    Returns
    -------
    tuple of numpy.ndarray
        ``(triplets, participants)``: (n, 3) video indices as shown and (n,) participant codes
        0..n_participants-1, grouped by participant.
    """
    if trials_per_participant <= catch_per_participant:
        raise ValueError(
            f"trials_per_participant ({trials_per_participant}) must exceed "
            f"catch_per_participant ({catch_per_participant})"
        )
    if n_participants < 1:
        raise ValueError(f"n_participants must be at least 1, got {n_participants}")
    regular = trials_per_participant - catch_per_participant
    budget = n_participants * regular
    lower_bound = n_items * (n_items - 1) / 6
    # k is capped so that a triplet's copies (at most k in the cover, plus the repeats) can
    # all go to different participants.
    k = max(1, min(int((1 - repeat_share) * budget / (lower_bound * 1.03)), n_participants - 2))
    cover = set_cover_triplets(n_items, k, rng)
    if len(cover) >= budget:
        base = cover[:budget]  # too small a budget to cover every pair: the shuffled cover's head
        repeats = np.empty((0, 3), dtype=np.int64)
    else:
        n_extra = budget - len(cover)
        # Repeat a random subset of the cover's triplets, about twice each, evenly.
        pool = cover[rng.choice(len(cover), size=min(len(cover), max(1, n_extra // 2)), replace=False)]
        repeats = pool[np.arange(n_extra) % len(pool)]
        base = cover
    return deal_trials(np.vstack([base, repeats]), n_items, n_participants, catch_per_participant, rng)


def deal_trials(
    trials: np.ndarray, n_items: int, n_participants: int, catch_per_participant: int, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Deal regular trials to participants, copies of a triplet to different people, and add catch trials.

    Parameters
    ----------
    trials : numpy.ndarray
        (n, 3) the regular trials, a triplet's copies included.
    n_items : int
        Number of videos (the catch trials draw from them).
    n_participants : int
        Number of participants, at least 1.
    catch_per_participant : int
        Catch trials (a video shown twice) per participant.
    rng : numpy.random.Generator
        Draws the catch trials and each participant's trial order.

    Returns
    -------
    tuple of numpy.ndarray
        ``(triplets, participants)`` as :func:`make_schedule`: grouped by participant, each
        participant's trials in shuffled order.
    """
    # Copies of a triplet sit next to each other after sorting, so dealing the sorted list
    # round-robin gives them to different participants.
    key = np.sort(trials, axis=1)
    order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
    trials = trials[order]
    who = np.arange(len(trials)) % n_participants
    catch_items = rng.integers(0, n_items, size=(n_participants * catch_per_participant, 2))
    same = catch_items[:, 0] == catch_items[:, 1]
    catch_items[same, 1] = (catch_items[same, 1] + 1) % n_items
    catch = np.column_stack([catch_items[:, 0], catch_items[:, 0], catch_items[:, 1]])
    catch = rng.permuted(catch, axis=1)
    catch_who = np.repeat(np.arange(n_participants), catch_per_participant)
    triplets = np.vstack([trials, catch])
    participants = np.concatenate([who, catch_who])
    # Shuffle each participant's trial order (one global shuffle, then a stable sort by participant).
    perm = rng.permutation(len(triplets))
    perm = perm[np.argsort(participants[perm], kind="stable")]
    return triplets[perm], participants[perm]


def observer_draws(
    weights: np.ndarray,
    participants: np.ndarray,
    model: ObserverModel,
    rng: np.random.Generator,
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The random draws of :func:`judge`, participant by participant, in its order.

    Parameters
    ----------
    weights : numpy.ndarray
        (D,) population-mean feature weights.
    participants : numpy.ndarray
        (n,) participant code of every trial (catch trials included, as judged).
    model : ObserverModel
        The observer parameters (``weight_noise`` is used here).
    rng : numpy.random.Generator
        The observers' generator (SocialWorld: stream 6 of the seed).

    Yields
    ------
    tuple
        ``(code, rows, w, u, log_rt)`` for each participant code in ascending order: the rows
        of its trials, its own weights (D,), the uniforms (len(rows),) that pick the choices
        and the log-normal part of the response times (len(rows),).

    Notes
    -----
    :func:`judge` consumes the generator only through this function, so replaying it with
    the same seed and the same number of trials per participant gives every participant's
    weights, and so every trial's choice probabilities, exactly (see
    :func:`socalign.data.socialworld.calibration.true_choice_probabilities`).
    """
    dim = len(weights)
    sigma = model.weight_noise
    for p in np.unique(participants):
        rows = np.flatnonzero(participants == p)
        w = weights * np.exp(sigma * rng.standard_normal(dim) - sigma**2 / 2)
        u = rng.random(len(rows))
        log_rt = rng.normal(np.log(2.2), 0.35, len(rows))
        yield int(p), rows, w, u, log_rt


def choice_probabilities(
    features: np.ndarray, w: np.ndarray, triplets: np.ndarray, model: ObserverModel
) -> np.ndarray:
    """(n, 3) probability that an observer with weights ``w`` picks each position as odd.

    Parameters
    ----------
    features : numpy.ndarray
        (N, D) all features the observers use.
    w : numpy.ndarray
        (D,) this observer's weights.
    triplets : numpy.ndarray
        (n, 3) video rows as shown.
    model : ObserverModel
        ``temperature`` and ``lapse`` are used.

    Returns
    -------
    numpy.ndarray
        Rows sum to 1: a softmax over the similarity of the pair that leaves out each
        position (temperature ``model.temperature``), mixed with a uniform lapse.
    """
    g = features * np.sqrt(w)
    g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    t = np.asarray(triplets)
    # Similarity of the pair that leaves out position 0, 1, 2.
    s = np.stack([
        np.sum(g[t[:, 1]] * g[t[:, 2]], axis=1),
        np.sum(g[t[:, 0]] * g[t[:, 2]], axis=1),
        np.sum(g[t[:, 0]] * g[t[:, 1]], axis=1),
    ], axis=1)
    z = (s - s.max(axis=1, keepdims=True)) / model.temperature
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    return (1 - model.lapse) * prob + model.lapse / 3


def judge(
    features: np.ndarray,
    weights: np.ndarray,
    triplets: np.ndarray,
    participants: np.ndarray,
    model: ObserverModel,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Odd-one-out positions (n,) and response times (n,) in seconds of simulated participants.

    Each participant's weights and draws come from :func:`observer_draws`, the choice
    probabilities from :func:`choice_probabilities`.

    Parameters
    ----------
    features : numpy.ndarray
        (N, D) all features the observers use.
    weights : numpy.ndarray
        (D,) population-mean weights.
    triplets : numpy.ndarray
        (n, 3) video rows as shown.
    participants : numpy.ndarray
        (n,) participant code of every trial.
    model : ObserverModel
        The observer parameters.
    rng : numpy.random.Generator
        The observers' generator.

    Returns
    -------
    tuple of numpy.ndarray
        ``(odd, rt)``: (n,) the chosen position 0..2 and (n,) response times in seconds,
        rounded to milliseconds (slower when the choice is close).
    """
    dim = features.shape[1]
    if weights.shape != (dim,):
        raise ValueError(f"weights must have shape ({dim},), got {weights.shape}")
    odd = np.empty(len(triplets), dtype=np.int64)
    rt = np.empty(len(triplets))
    for _, rows, w, u, log_rt in observer_draws(weights, participants, model, rng):
        prob = choice_probabilities(features, w, triplets[rows], model)
        odd[rows] = np.minimum((u[:, None] > np.cumsum(prob, axis=1)).sum(axis=1), 2)
        ranked = np.sort(prob, axis=1)
        margin = ranked[:, 2] - ranked[:, 1]
        rt[rows] = np.exp(log_rt) + 2.0 * (1 - margin)
    return odd, np.round(rt, 3)
