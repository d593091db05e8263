"""Training data: the fit/validation split by video, triplets, and the similarity targets.

The targets are people's judgments (:func:`make_training_set`), or, for the language-distilled
control, a caption model's geometry on the same triplets and pairs
(:func:`language_targets`, :func:`with_language_targets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

SimilarityFn = Callable[[np.ndarray, np.ndarray, int], object]


@dataclass(frozen=True)
class TrainingSet:
    """What a trainer needs, in benchmark row indices (0..N-1).

    fit_videos / val_videos: the videos trained on and held out for validation;
    triplets (m, 3) and odd (m,): the judgments among fit videos;
    fit_similarity (N, N): human similarity from those judgments (NaN where unobserved);
    val_similarity (N, N): human similarity from the judgments among validation videos.
    """

    n_videos: int
    fit_videos: np.ndarray
    val_videos: np.ndarray
    triplets: np.ndarray
    odd: np.ndarray
    fit_similarity: np.ndarray
    val_similarity: np.ndarray

    @property
    def val_observed(self) -> np.ndarray:
        """Observed validation pairs (off-diagonal, finite)."""
        observed = np.isfinite(self.val_similarity)
        np.fill_diagonal(observed, False)
        return observed

    @property
    def fit_observed(self) -> np.ndarray:
        """Observed fit pairs (off-diagonal, finite)."""
        observed = np.isfinite(self.fit_similarity)
        np.fill_diagonal(observed, False)
        return observed


def split_by_video(
    videos: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Hold out ``fraction`` of ``videos`` (at least one each side); returns sorted (fit, val).

    Parameters
    ----------
    videos : numpy.ndarray
        The videos to split (benchmark rows), at least 2.
    fraction : float
        The share held out for validation, rounded to a count and clipped to 1..len(videos)-1.
    rng : numpy.random.Generator
        Draws the permutation that decides which videos are held out.

    Returns
    -------
    fit, val : numpy.ndarray
        The videos kept for fitting and those held out, each sorted.

    Raises
    ------
    ValueError
        When there are fewer than 2 videos.
    """
    videos = np.asarray(videos)
    if videos.size < 2:
        raise ValueError(f"need at least 2 training videos to hold some out, got {videos.size}")
    n_val = min(videos.size - 1, max(1, round(fraction * videos.size)))
    shuffled = rng.permutation(videos)
    return np.sort(shuffled[n_val:]), np.sort(shuffled[:n_val])


def triplets_within(triplets: np.ndarray, videos: np.ndarray) -> np.ndarray:
    """Boolean mask of triplets whose three videos all lie in ``videos``.

    Parameters
    ----------
    triplets : numpy.ndarray
        (m, 3) video rows (non-negative integers).
    videos : numpy.ndarray
        The video rows a triplet must lie within.

    Returns
    -------
    numpy.ndarray
        (m,) bool, True where all three videos of the triplet are in ``videos``.
    """
    member = np.zeros(max(int(triplets.max(initial=-1)), int(videos.max(initial=-1))) + 1, bool)
    member[videos] = True
    return member[triplets].all(axis=1)


def _default_similarity(triplets: np.ndarray, odd: np.ndarray, n: int) -> object:
    from socalign.metrics import similarity_from_judgments

    return similarity_from_judgments(triplets, odd, n)


def make_training_set(
    triplets: np.ndarray,
    odd: np.ndarray,
    train_videos: np.ndarray,
    n_videos: int,
    val_fraction: float,
    rng: np.random.Generator,
    similarity_fn: SimilarityFn = _default_similarity,
) -> TrainingSet:
    """Split ``train_videos`` into fit and validation videos and build both targets.

    Triplets that straddle fit and validation videos are used by neither.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) the split's kept trials, as benchmark row indices (n >= 1).
    odd : numpy.ndarray
        (n,) the position (0, 1, 2) of each trial's odd one out.
    train_videos : numpy.ndarray
        The training split's videos (rows), at least 2; they are split by
        :func:`split_by_video`.
    n_videos : int
        The number of videos N of the benchmark (the targets are (N, N)).
    val_fraction : float
        The share of ``train_videos`` held out for validation.
    rng : numpy.random.Generator
        Draws the fit/validation split.
    similarity_fn : callable, optional
        ``(triplets, odd, n_videos) -> result`` whose ``similarity`` field is the (N, N)
        human similarity (NaN where unobserved); called once for the fit and once for the
        validation trials. Default: :func:`socalign.metrics.similarity_from_judgments`.

    Returns
    -------
    TrainingSet
        The fit and validation videos, the fit triplets and odd positions, and the human
        similarity from the fit and from the validation judgments.

    Raises
    ------
    ValueError
        When the trials are not (n, 3) with n odd positions, there are none, there are fewer
        than 2 training videos, or no trial lies wholly among the fit (or the validation)
        videos.
    """
    triplets = np.asarray(triplets, dtype=np.int64)
    odd = np.asarray(odd, dtype=np.int64)
    if triplets.ndim != 2 or triplets.shape[1] != 3 or len(odd) != len(triplets):
        raise ValueError(f"triplets must be (n, 3) with n odd positions, got {triplets.shape}")
    if len(triplets) == 0:
        raise ValueError("the training split has no trials")
    fit, val = split_by_video(train_videos, val_fraction, rng)
    in_fit = triplets_within(triplets, fit)
    in_val = triplets_within(triplets, val)
    if not in_fit.any():
        raise ValueError("no trial has all three videos among the fit videos")
    if not in_val.any():
        raise ValueError(
            f"no trial has all three videos among the {len(val)} validation videos; "
            "raise val_fraction or use a benchmark with more trials per video"
        )
    fit_sim = np.asarray(similarity_fn(triplets[in_fit], odd[in_fit], n_videos).similarity)
    val_sim = np.asarray(similarity_fn(triplets[in_val], odd[in_val], n_videos).similarity)
    return TrainingSet(
        n_videos=n_videos,
        fit_videos=fit,
        val_videos=val,
        triplets=triplets[in_fit],
        odd=odd[in_fit],
        fit_similarity=fit_sim,
        val_similarity=val_sim,
    )


def triplets_touching(triplets: np.ndarray, videos: np.ndarray, n_videos: int) -> np.ndarray:
    """Indices of triplets with at least one video in ``videos``.

    Parameters
    ----------
    triplets : numpy.ndarray
        (m, 3) video rows 0..n_videos-1.
    videos : numpy.ndarray
        The video rows to look for.
    n_videos : int
        The number of videos N (rows of ``triplets`` and ``videos`` are below it).

    Returns
    -------
    numpy.ndarray
        The positions in ``triplets`` of the triplets touching ``videos``, ascending.
    """
    member = np.zeros(n_videos, dtype=bool)
    member[videos] = True
    return np.flatnonzero(member[triplets].any(axis=1))


def language_targets(
    triplets: np.ndarray, embeddings: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A caption model's odd ones and similarity, in place of people's (language distillation).

    The odd one of a triplet is the video outside its most similar pair by the cosine
    similarity of the caption embeddings (a tie goes to the earlier position: the pair without
    video 0 first, then without 1, then without 2). The similarity is that cosine on the
    ``observed`` pairs and NaN on every other pair, so the RSA term and validation of a
    distilled run correlate over the very pairs people's similarity has. Nothing of people's
    choices enters: only which videos were shown together.

    Parameters
    ----------
    triplets : numpy.ndarray
        (m, 3) video rows 0..N-1 of the triplets (m may be 0).
    embeddings : numpy.ndarray
        (N, D) caption embeddings of every video, in benchmark row order (e.g.
        :func:`socalign.models.embed.embed_benchmark` of a language model). A zero row has
        cosine 0 with every other video.
    observed : numpy.ndarray
        (N, N) bool, the pairs to give a target (e.g. :attr:`TrainingSet.fit_observed`).

    Returns
    -------
    odd : numpy.ndarray
        (m,) int64, the position (0, 1, 2) of each triplet's odd one by the caption model.
    similarity : numpy.ndarray
        (N, N) float64, the caption cosine similarity where ``observed``, NaN elsewhere.

    Raises
    ------
    ValueError
        When the shapes disagree, ``embeddings`` are not finite, or a triplet names a video
        outside 0..N-1.
    """
    emb = np.asarray(embeddings, dtype=np.float64)
    triplets = np.asarray(triplets, dtype=np.int64).reshape(-1, 3)
    observed = np.asarray(observed, dtype=bool)
    if emb.ndim != 2 or observed.shape != (len(emb), len(emb)):
        raise ValueError(f"embeddings must be (N, D) and observed (N, N), got {emb.shape} and "
                         f"{observed.shape}")
    if not np.isfinite(emb).all():
        raise ValueError("the caption embeddings are not all finite")
    if len(triplets) and (triplets.min() < 0 or triplets.max() >= len(emb)):
        raise ValueError(f"a triplet names a video outside 0..{len(emb) - 1}")
    norm = np.linalg.norm(emb, axis=1, keepdims=True)
    unit = np.divide(emb, norm, out=np.zeros_like(emb), where=norm > 0)
    cosine = np.clip(unit @ unit.T, -1.0, 1.0)
    a, b, c = triplets[:, 0], triplets[:, 1], triplets[:, 2]
    # column k: the similarity of the pair without video k (k is odd when that pair is closest)
    pair = np.stack([cosine[b, c], cosine[a, c], cosine[a, b]], axis=1)
    odd = np.argmax(pair, axis=1).astype(np.int64) if len(triplets) else np.zeros(0, np.int64)
    return odd, np.where(observed, cosine, np.nan)


def with_language_targets(data: TrainingSet, embeddings: np.ndarray) -> TrainingSet:
    """``data`` with a caption model's targets in place of people's (the distilled control).

    The fit and validation videos and the fit triplets stay; the odd ones, the fit similarity
    (the RSA target) and the validation similarity (early stopping and the best epoch) become
    the caption model's, by :func:`language_targets`, on the pairs people's fit and validation
    similarities observe.

    Parameters
    ----------
    data : TrainingSet
        The training set built from people's judgments (:func:`make_training_set`).
    embeddings : numpy.ndarray
        (N, D) caption embeddings of every video, in benchmark row order.

    Returns
    -------
    TrainingSet
        A copy whose ``odd``, ``fit_similarity`` and ``val_similarity`` are the caption
        model's (NaN on the diagonal and on unobserved pairs).
    """
    odd, fit_similarity = language_targets(data.triplets, embeddings, data.fit_observed)
    _, val_similarity = language_targets(data.triplets[:0], embeddings, data.val_observed)
    return replace(data, odd=odd, fit_similarity=fit_similarity, val_similarity=val_similarity)
