"""Tiny backbones, a learnable toy problem, and a short fit to compare runs by."""

from __future__ import annotations

import numpy as np
import torch

from socalign.train.config import TrainConfig
from socalign.train.data import make_training_set
from socalign.train.loop import fit
from socalign.train.model import LoraSettings, build_model

N_FRAMES, SIZE = 4, 32


def tiny_backbone(seed: int = 0) -> torch.nn.Module:
    """A random 2-layer TimeSformer (image 32, patch 8, 4 frames, hidden 32)."""
    from transformers import TimesformerConfig, TimesformerModel

    config = TimesformerConfig(image_size=SIZE, patch_size=8, num_frames=N_FRAMES, hidden_size=32,
                               num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return TimesformerModel(config).eval()


def toy_problem(n_videos: int = 24, n_trials: int = 600, seed: int = 0):
    """Clips whose brightness drives simulated judgments, and the TrainingSet built from them.

    Returns (clips float tensor (N, T, 3, S, S), TrainingSet).
    """
    rng = np.random.default_rng(seed)
    latent = rng.uniform(0, 1, n_videos)
    clips = torch.as_tensor(
        latent[:, None, None, None, None] + 0.3 * rng.standard_normal((n_videos, N_FRAMES, 3, SIZE, SIZE)),
        dtype=torch.float32,
    )
    triplets = np.stack([rng.choice(n_videos, 3, replace=False) for _ in range(n_trials)])
    x = latent[triplets]
    d = np.abs(x[:, [1, 0, 0]] - x[:, [2, 2, 1]])  # distance of the pair left when k is odd
    odd = np.argmin(d, axis=1)  # odd one: the one whose removal leaves the closest pair
    data = make_training_set(triplets, odd, np.arange(n_videos), n_videos, 0.34,
                             np.random.default_rng(seed))
    return clips, data


def inputs_from(clips: torch.Tensor):
    return lambda idx: clips[torch.as_tensor(idx)]


def loop_config(**changes) -> TrainConfig:
    base = dict(trainer="fast", epochs=3, lr=1e-3, batch_videos=8, max_steps_per_epoch=4,
                rsa_subset=10, rsa_grad_videos=4, rsa_steps_per_epoch=2, head_dim=16)
    base.update(changes)
    kind = base.pop("loss_kind", "hybrid")
    return TrainConfig(**base).with_changes(loss_kind=kind)


def run_loop(out, config: TrainConfig, **kwargs):
    clips, data = toy_problem()
    lora = LoraSettings(config.lora_r, config.lora_alpha, config.lora_dropout)
    model = build_model(tiny_backbone(), 32, lora, config.head_dim, config.head_dropout,
                        generator=torch.Generator().manual_seed(config.seed))
    return fit(model, inputs_from(clips), data, config, out, **kwargs), model, data


def loss_trace(result) -> list[tuple[float, float]]:
    return [(row["loss"], row["val_spearman"]) for row in result.history]
