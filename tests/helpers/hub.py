"""A local Hugging Face hub cache with tiny TimeSformer snapshots."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers

from socalign.models.specs import KINETICS_MEAN, KINETICS_STD

REPO = "org/tiny-timesformer"


COMMIT_A, COMMIT_B = "a" * 40, "b" * 40


def add_snapshot(hub: Path, repo: str, commit: str, seed: int, refs: tuple[str, ...] = ("main",),
                 processor: bool = True) -> Path:
    """Write a tiny TimeSformer as ``repo``'s snapshot ``commit`` and point ``refs`` at it."""
    folder = hub / f"models--{repo.replace('/', '--')}"
    snapshot = folder / "snapshots" / commit
    torch.manual_seed(seed)
    config = transformers.TimesformerConfig(image_size=16, patch_size=8, num_frames=4,
                                            hidden_size=16, num_hidden_layers=2,
                                            num_attention_heads=2, intermediate_size=32)
    transformers.TimesformerModel(config).save_pretrained(snapshot)
    if processor:
        cls = (getattr(transformers, "VideoMAEImageProcessorPil", None)
               or transformers.VideoMAEImageProcessor)
        cls(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16},
            image_mean=list(KINETICS_MEAN), image_std=list(KINETICS_STD)).save_pretrained(snapshot)
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    for ref in refs:
        (folder / "refs" / ref).write_text(commit)
    return snapshot
