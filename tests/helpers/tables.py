"""Small tables and benchmarks the tests build, and where the real data lies."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from socalign.data.types import Benchmark, Trials, Videos

SHARED_GARCIA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "garcia2025"


def garcia_path() -> Path | None:
    """The real data (``$SOCALIGN_GARCIA2025`` or ../shared/data/garcia2025), or None."""
    env = os.environ.get("SOCALIGN_GARCIA2025")
    for candidate in (Path(env) if env else None, SHARED_GARCIA):
        if candidate is not None and (candidate / "data/interim/similarity/all_triplets.csv").exists():
            return candidate
    return None


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


def planted_benchmark(n_videos: int = 24, n_trials: int = 3000, seed: int = 0):
    """Videos with latent features Z; observers pick the odd one out by Z (with noise)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n_videos, 4))
    splits = np.where(np.arange(n_videos) < n_videos // 2, "train", "test")
    videos = Videos(
        ids=np.arange(100, 100 + n_videos), names=tuple(map(str, range(n_videos))),
        files=(None,) * n_videos, splits=splits, captions=((),) * n_videos,
    )
    triplets = np.empty((n_trials, 3), dtype=np.int64)
    for k in range(n_trials):
        pool = np.flatnonzero(splits == splits[rng.integers(n_videos)])
        triplets[k] = rng.choice(pool, 3, replace=False)
    z = Z[triplets]
    sims = np.stack([-np.linalg.norm(z[:, 1] - z[:, 2], axis=1),
                     -np.linalg.norm(z[:, 0] - z[:, 2], axis=1),
                     -np.linalg.norm(z[:, 0] - z[:, 1], axis=1)], axis=1)
    odd = np.argmax(sims + rng.gumbel(size=sims.shape) * 0.5, axis=1)
    participants = rng.integers(0, 20, n_trials)
    trials = Trials(triplets, odd, participants, tuple(f"p{i}" for i in range(20)),
                    np.full(n_trials, np.nan), np.arange(n_trials))
    bench = Benchmark("planted", None, videos, trials, np.ones(n_trials, bool), {})
    return bench, Z, rng


def stub_gap(models: dict[str, str]) -> object:
    """A stand-in for one benchmark's gap table: a row per model name with its kind
    (``language`` or ``video``), all that chapter 2's artifact tables read of it."""
    from types import SimpleNamespace

    return SimpleNamespace(rows=[SimpleNamespace(model=m, kind=k) for m, k in models.items()])
