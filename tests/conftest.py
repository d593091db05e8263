"""Shared fixtures: a tiny benchmark in the socalign layout, and the real data when present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.data.layout import write_benchmark

SHARED_GARCIA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "garcia2025"


def garcia_path() -> Path | None:
    """The real data (``$SOCALIGN_GARCIA2025`` or ../shared/data/garcia2025), or None."""
    env = os.environ.get("SOCALIGN_GARCIA2025")
    for candidate in (Path(env) if env else None, SHARED_GARCIA):
        if candidate is not None and (candidate / "data/interim/similarity/all_triplets.csv").exists():
            return candidate
    return None


@pytest.fixture
def garcia_root() -> Path:
    """The real garcia2025 copy; skips the test when it is absent."""
    root = garcia_path()
    if root is None:
        pytest.skip("garcia2025 data not available (../shared/data/garcia2025)")
    return root


def make_tables(n_videos: int = 12, n_trials: int = 300, seed: int = 0):
    """Small videos/trials/captions tables with a planted 2-cluster structure and 3 catch trials."""
    rng = np.random.default_rng(seed)
    ids = np.arange(100, 100 + n_videos)
    group = np.arange(n_videos) % 2
    videos = pd.DataFrame(
        {
            "video_id": ids,
            "name": [f"clip{i}" for i in ids],
            "split": np.where(np.arange(n_videos) < n_videos * 2 // 3, "train", "test"),
            "rating_valence": rng.uniform(0, 1, n_videos),
        }
    )
    rows = []
    for t in range(n_trials):
        trip = rng.choice(n_videos, size=3, replace=False)
        g = group[trip]
        # the odd one is the video whose group differs, if any; else random
        odd = int(np.flatnonzero(g != np.bincount(g).argmax())[0]) if len(set(g)) > 1 else int(rng.integers(3))
        rows.append((f"p{t % 5}", *ids[trip], ids[trip][odd], 1.0 + t % 7))
    for k in range(3):  # catch trials: a video repeated, the singleton chosen
        a, b = ids[k], ids[k + 3]
        rows.append((f"p{k}", a, a, b, b, 2.0))
    trials = pd.DataFrame(
        rows, columns=["participant", "video_1", "video_2", "video_3", "choice", "response_time"]
    )
    captions = pd.DataFrame(
        [(i, f"two agents {'chase' if g else 'talk'} {j}") for i, g in zip(ids, group, strict=True) for j in range(2)],
        columns=["video_id", "caption"],
    )
    return videos, trials, captions


@pytest.fixture
def tiny_benchmark_dir(tmp_path: Path) -> Path:
    """A valid 12-video benchmark in the socalign layout."""
    videos, trials, captions = make_tables()
    return write_benchmark(tmp_path / "tiny", videos, trials, captions, {"name": "tiny"})
