"""Reference embeddings for the modality-gap table: the latent-feature oracle and a pixel baseline.

* :func:`oracle_features`: the latent social features weighted as the average simulated observer
  weights them (appearance left out), so cosine similarity approximates the mean observer; its
  parts (the graded attributes, the interaction type) tell what a description carrying only
  one of them could reach.
* :func:`pixel_features`: colour histograms of the frames (4 bins per RGB channel, 64 bins,
  averaged over frames), a baseline that sees only pixel statistics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socalign.data.errors import BenchmarkError
from socalign.data.socialworld.attributes import SOCIAL_ATTRIBUTES
from socalign.data.socialworld.observers import ObserverModel, social_features
from socalign.data.socialworld.render import read_mp4
from socalign.data.types import Benchmark

HISTOGRAM_BINS = 4
METADATA_KEY = "socialworld"  # benchmark.json's block of generator settings: marks SocialWorld


def socialworld_metadata(benchmark: Benchmark) -> dict[str, Any]:
    """The ``socialworld`` block of benchmark.json, or a clear error for another benchmark."""
    meta = benchmark.metadata.get(METADATA_KEY)
    if not isinstance(meta, dict):
        raise BenchmarkError(
            "not a SocialWorld benchmark (benchmark.json has no 'socialworld' block)",
            None if benchmark.root is None else Path(benchmark.root) / "benchmark.json",
        )
    return meta


def interactions(benchmark: Benchmark) -> np.ndarray:
    """The interaction type of every video, in benchmark row order (from videos.csv)."""
    if benchmark.root is None:
        raise BenchmarkError("the benchmark has no folder, so videos.csv cannot be read")
    path = Path(benchmark.root) / "videos.csv"
    frame = pd.read_csv(path, usecols=["video_id", "interaction"])
    lookup = frame.set_index("video_id")["interaction"]
    missing = np.setdiff1d(benchmark.videos.ids, lookup.index.to_numpy())
    if missing.size:
        raise BenchmarkError(f"no interaction for video id {int(missing[0])}", path)
    return lookup.loc[benchmark.videos.ids].astype(str).to_numpy()


#: the parts of the oracle: every latent feature, the attributes only, the interaction type only
ORACLE_PARTS = ("all", "attributes", "types")


def oracle_features(benchmark: Benchmark, part: str = "all") -> np.ndarray:
    """Latent social features scaled by the square root of the mean observer weights.

    Parameters
    ----------
    benchmark : Benchmark
        A SocialWorld benchmark.
    part : {"all", "attributes", "types"}, default "all"
        Every feature (8 + K columns), only the 8 graded attributes, or only the K interaction-type
        columns. A part tells how much of the observers' similarity a description that carries
        only it could reach (the interaction type alone is what a caption naming only the action
        carries).

    Returns
    -------
    numpy.ndarray
        (N, 8 + K), (N, 8) or (N, K) features in benchmark row order.

    Raises
    ------
    ValueError
        When ``part`` is not one of :data:`ORACLE_PARTS`.
    """
    if part not in ORACLE_PARTS:
        raise ValueError(f"unknown oracle part {part!r}; choose from {list(ORACLE_PARTS)}")
    meta = socialworld_metadata(benchmark)
    model = ObserverModel(**meta["observer"])
    types = list(meta["interaction_types"])
    ratings = benchmark.videos.ratings
    missing = [a for a in SOCIAL_ATTRIBUTES if a not in ratings]
    if missing:
        raise BenchmarkError(f"videos.csv lacks rating column(s) {['rating_' + a for a in missing]}")
    feats, _ = social_features(ratings, list(interactions(benchmark)), types, model.type_grading)
    scale = np.concatenate([
        np.full(len(SOCIAL_ATTRIBUTES), np.sqrt(model.attribute_weight)),
        np.full(len(types), np.sqrt(model.type_weight)),
    ])
    scaled = feats * scale
    n_attributes = len(SOCIAL_ATTRIBUTES)
    return {"all": scaled, "attributes": scaled[:, :n_attributes], "types": scaled[:, n_attributes:]}[part]


def colour_histograms(clips: np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """(N, bins**3) joint RGB histograms of uint8 clips (N, T, H, W, 3), averaged over frames.

    Parameters
    ----------
    clips : numpy.ndarray
        (N, T, H, W, 3) uint8 RGB clips.
    bins : int, default HISTOGRAM_BINS
        Bins per colour channel.

    Returns
    -------
    numpy.ndarray
        (N, bins**3) histograms, each row summing to 1.
    """
    clips = np.asarray(clips)
    if clips.ndim != 5 or clips.shape[-1] != 3:
        raise ValueError(f"clips must be (N, T, H, W, 3), got shape {clips.shape}")
    q = (clips.astype(np.int64) * bins) // 256
    code = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    flat = code.reshape(len(clips), -1)
    offsets = np.arange(len(clips))[:, None] * bins**3
    counts = np.bincount((flat + offsets).ravel(), minlength=len(clips) * bins**3)
    hist = counts.reshape(len(clips), bins**3).astype(float)
    return hist / flat.shape[1]


def pixel_features(source: Benchmark | np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """Colour histograms of a benchmark's videos (decoded with PyAV) or of clips (N, T, H, W, 3).

    Parameters
    ----------
    source : Benchmark or numpy.ndarray
        A benchmark with video files (every frame of each is decoded), or (N, T, H, W, 3) uint8
        clips.
    bins : int, default HISTOGRAM_BINS
        Bins per colour channel.

    Returns
    -------
    numpy.ndarray
        (N, bins**3) histograms (see :func:`colour_histograms`), one row per video.
    """
    if isinstance(source, Benchmark):
        files = source.videos.files
        if not source.videos.has_files:
            raise BenchmarkError("the benchmark has no video files to compute pixel features from")
        return np.vstack([colour_histograms(read_mp4(f)[None], bins) for f in files])  # type: ignore[arg-type]
    return colour_histograms(source, bins)
