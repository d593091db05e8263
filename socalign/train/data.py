"""Training data: the fit/validation split by video, triplets, and the human similarity targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    """Hold out ``fraction`` of ``videos`` (at least one each side); returns sorted (fit, val)."""
    videos = np.asarray(videos)
    if videos.size < 2:
        raise ValueError(f"need at least 2 training videos to hold some out, got {videos.size}")
    n_val = min(videos.size - 1, max(1, round(fraction * videos.size)))
    shuffled = rng.permutation(videos)
    return np.sort(shuffled[n_val:]), np.sort(shuffled[:n_val])


def triplets_within(triplets: np.ndarray, videos: np.ndarray) -> np.ndarray:
    """Boolean mask of triplets whose three videos all lie in ``videos``."""
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

    ``triplets``/``odd`` are the split's kept trials (row indices); triplets that straddle
    fit and validation videos are used by neither. ``similarity_fn`` is
    ``socalign.metrics.similarity_from_judgments`` (its ``similarity`` field is used).
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
    """Indices of triplets with at least one video in ``videos``."""
    member = np.zeros(n_videos, dtype=bool)
    member[videos] = True
    return np.flatnonzero(member[triplets].any(axis=1))
