"""Fakes for the real path: a copy of the garcia2025 data, synthetic clips under its real video
names, and a tiny local TimeSformer checkpoint saved as the hub's are (config + processor).

Used by ``tests/contract/test_real_path_*.py``; the data copy is made from ../shared/data/garcia2025 (or
``$SOCALIGN_GARCIA2025``) when present, and the tests skip cleanly when it is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.tables import garcia_path

#: Frames and size of the fake clips (tiny: a fake set of 250 clips takes a few seconds).
N_FRAMES, SIZE = 16, 32
#: Frames of the tiny checkpoint: 8, as the k400 TimeSformer's (the paper profile feeds it 16).
CHECKPOINT_FRAMES = 8


def copy_garcia(dest: Path) -> Path:
    """A byte-identical copy of the garcia2025 data files (it verifies against the pinned hashes)."""
    from socalign.data import garcia2025

    source = garcia_path()
    if source is None:
        pytest.skip("garcia2025 data not available (../shared/data/garcia2025)")
    for rel in garcia2025.FILES:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, dest / rel)
    return garcia2025.verify(dest)


def fake_videos(root: Path, dest: Path, seed: int = 0) -> list[str]:
    """Write one synthetic clip per video of ``root``'s video_mapping.csv, under its real name.

    A clip's brightness follows the video's mean rating of ``valence`` (so a backbone sees
    something that varies with the judgments) plus noise.

    Returns
    -------
    list of str
        The video names, in video_mapping.csv order.
    """
    import pandas as pd

    from socalign.data.garcia2025 import UTILS
    from socalign.video import write_video

    names = pd.read_csv(root / UTILS / "video_mapping.csv")["video_name"].astype(str).tolist()
    ratings = pd.read_csv(root / UTILS / "annotations.csv").set_index("video_name")
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        level = 40 + 170 * float(ratings.loc[name, "rating-valence"])
        frames = np.clip(level + rng.normal(0, 20, (N_FRAMES, SIZE, SIZE, 3)), 0, 255)
        write_video(dest / name, frames.astype(np.uint8))
    return names


def tiny_timesformer(dest: Path, seed: int = 0) -> Path:
    """A random tiny TimeSformer saved like a hub checkpoint: config.json, weights and a
    VideoMAE image processor config (8 frames of 32 x 32, patch 16, one layer of width 32)."""
    import torch
    from transformers import TimesformerConfig, TimesformerModel

    from socalign.models.toy import ToySettings
    from socalign.models.toy.model import write_processor_config

    config = TimesformerConfig(image_size=SIZE, patch_size=16, num_frames=CHECKPOINT_FRAMES,
                               hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=64)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = TimesformerModel(config).eval()
    model.save_pretrained(dest)
    write_processor_config(dest, ToySettings(image_size=SIZE, n_frames=CHECKPOINT_FRAMES))
    return dest
