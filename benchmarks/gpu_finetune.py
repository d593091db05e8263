"""GPU check of the fine-tuning step: base-size TimeSformer (random init) with LoRA in bf16.

For each trainer (paper, fast) it times training steps on synthetic clips and judgments and
reports videos per second (video forward+backward passes per second of step time, no
validation) and peak GPU memory. One prepared script; prints one JSON object.

Usage on a GPU machine: ``python benchmarks/gpu_finetune.py [--steps 20] [--batch 32]
[--checkpointing] [--out results.json]``. ``--tiny`` runs a 2-layer model on the CPU (a smoke
test of the script itself, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def synthetic_problem(n_videos: int, n_trials: int, seed: int):
    """Random triplets whose odd one follows a hidden 1-D latent, and the TrainingSet."""
    from socalign.train.data import make_training_set

    rng = np.random.default_rng(seed)
    latent = rng.uniform(0, 1, n_videos)
    triplets = np.stack([rng.choice(n_videos, 3, replace=False) for _ in range(n_trials)])
    x = latent[triplets]
    odd = np.argmin(np.abs(x[:, [1, 0, 0]] - x[:, [2, 2, 1]]), axis=1)
    return make_training_set(triplets, odd, np.arange(n_videos), n_videos, 0.2,
                             np.random.default_rng(seed))


def build(tiny: bool, checkpointing: bool, seed: int):
    import torch
    from transformers import TimesformerConfig, TimesformerModel

    from socalign.train.model import LoraSettings, build_model

    if tiny:
        config = TimesformerConfig(image_size=32, patch_size=8, num_frames=4, hidden_size=32,
                                   num_hidden_layers=2, num_attention_heads=2,
                                   intermediate_size=64)
    else:
        config = TimesformerConfig()  # base: 224 px, 16 px patches, 8 frames, 768 wide, 12 layers
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        backbone = TimesformerModel(config)
    model = build_model(backbone, config.hidden_size, LoraSettings(),
                        generator=torch.Generator().manual_seed(seed),
                        gradient_checkpointing=checkpointing)
    return model, config


def time_trainer(trainer: str, args: argparse.Namespace) -> dict:
    import torch
    from accelerate import Accelerator

    from socalign.train import fast, paper
    from socalign.train.config import TrainConfig
    from socalign.train.loop import Context

    accelerator = Accelerator(mixed_precision="no" if args.tiny else "bf16", cpu=args.tiny)
    model, config = build(args.tiny, args.checkpointing, args.seed)
    data = synthetic_problem(args.videos, args.trials, args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    clips = torch.randn(args.videos, config.num_frames, 3, config.image_size, config.image_size,
                        generator=gen).to(accelerator.device)
    train_config = TrainConfig(trainer=trainer, batch_videos=args.batch,
                               max_steps_per_epoch=args.steps, seed=args.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    wrapped, optimizer = accelerator.prepare(model, optimizer)
    ctx = Context(wrapped, model, lambda idx: clips[torch.as_tensor(idx, device=clips.device)],
                  data, train_config, accelerator, optimizer, Path(args.tmp))
    step_fn = {"paper": paper.run_epoch, "fast": fast.run_epoch}[trainer]
    if trainer == "fast":
        ctx.bank = fast.fill_bank(ctx)
    cuda = accelerator.device.type == "cuda"
    # warm-up epoch of 2 steps (kernels, allocator), then the timed steps
    ctx.config = TrainConfig(trainer=trainer, batch_videos=args.batch, max_steps_per_epoch=2)
    step_fn(ctx, 0, np.random.default_rng(0))
    ctx.config = train_config
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    before = ctx.forward_train
    began = time.perf_counter()
    stats = step_fn(ctx, 1, np.random.default_rng(1))
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - began
    videos = ctx.forward_train - before
    return {
        "trainer": trainer,
        "steps": int(stats["steps"]),
        "videos_embedded": int(videos),
        "seconds": seconds,
        "videos_per_s": videos / seconds,
        "seconds_per_step": seconds / max(1, int(stats["steps"])),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
        "loss": stats["loss"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32, help="fast trainer: videos per step")
    parser.add_argument("--videos", type=int, default=250)
    parser.add_argument("--trials", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpointing", action="store_true", help="gradient checkpointing")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test of this script")
    parser.add_argument("--tmp", default="/tmp/socalign_gpu_finetune")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    import torch

    result = {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "precision": "fp32" if args.tiny else "bf16 autocast",
        "model": "tiny TimeSformer" if args.tiny else "TimeSformer base (random init)",
        "lora": "r 8, alpha 16, qkv/attention.output.dense/intermediate.dense/temporal_dense",
        "gradient_checkpointing": args.checkpointing,
        "trainers": [time_trainer(t, args) for t in ("paper", "fast")],
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
