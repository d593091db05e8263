"""GPU check of fine-tuning: base-size TimeSformer (random init) with LoRA in bf16.

For each trainer (paper, fast) it times training steps on synthetic clips and judgments
(``--frames`` x ``--image-size``², default 16 x 224²) and reports videos per second (video
forward+backward passes per second of step time, no validation), peak GPU memory, and the
physical estimate beside it: the analytic FLOPs of one forward pass (``forward_flops``), three
times that for forward+backward, and the videos per second that the device's peak rate
(``--peak-tflops``, default an H200's ≈790 TFLOP/s bf16) would allow. With ``--time-to-target``
it also trains both trainers with :func:`socalign.train.loop.fit` on the synthetic problem (the
clips carry the latent that drives the judgments, so there is something to learn) and reports
the time each needs to first reach the paper trainer's best validation Spearman, measured as in
``benchmarks/finetune.py``. One prepared script; prints one JSON object.

Usage on a GPU machine: ``python benchmarks/gpu_finetune.py [--steps 20] [--batch 32]
[--checkpointing] [--time-to-target --epochs 6] [--out results.json]``. ``--tiny`` runs a
2-layer model on the CPU (a smoke test of the script itself, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import shutil
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


def synthetic_clips(args: argparse.Namespace, config):
    """Noise clips brightened by the hidden latent of :func:`synthetic_problem`."""
    import torch

    latent = np.random.default_rng(args.seed).uniform(0, 1, args.videos)
    gen = torch.Generator().manual_seed(args.seed)
    noise = torch.randn(args.videos, config.num_frames, 3, config.image_size, config.image_size,
                        generator=gen)
    return noise + 2.0 * torch.as_tensor(latent, dtype=torch.float32)[:, None, None, None, None]


def forward_flops(config) -> float:
    """Analytic FLOPs of one TimeSformer forward pass (divided space-time attention).

    Per token and layer: the temporal qkv, output and temporal dense layers, the spatial qkv
    and output layers and the MLP (17 d² multiply-adds with a 4x MLP), plus the attention
    products over the T frames (temporal) and the P patches (spatial); 2 FLOPs a multiply-add.
    """
    d, layers = config.hidden_size, config.num_hidden_layers
    frames = config.num_frames
    patches = (config.image_size // config.patch_size) ** 2
    tokens = frames * patches + 1
    dense = (3 + 1 + 1 + 3 + 1) * d * d + 2 * d * config.intermediate_size
    attention = 2 * (frames + patches) * d
    return 2.0 * tokens * layers * (dense + attention)


def model_config(tiny: bool, frames: int = 8, size: int = 224):
    """The tiny 2-layer TimeSformer's configuration, or base size (16 px patches, 768 wide,
    12 layers) at ``frames`` x ``size``²."""
    from transformers import TimesformerConfig

    if tiny:
        return TimesformerConfig(image_size=32, patch_size=8, num_frames=4, hidden_size=32,
                                 num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=64)
    return TimesformerConfig(num_frames=frames, image_size=size)


def build(tiny: bool, checkpointing: bool, seed: int, frames: int = 8, size: int = 224):
    import torch
    from transformers import TimesformerModel

    from socalign.train.model import LoraSettings, build_model

    config = model_config(tiny, frames, size)
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
    model, config = build(args.tiny, args.checkpointing, args.seed, args.frames, args.image_size)
    data = synthetic_problem(args.videos, args.trials, args.seed)
    clips = synthetic_clips(args, config).to(accelerator.device)
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


def time_to_target(args: argparse.Namespace) -> dict:
    """Both trainers trained with ``fit``; time to the paper trainer's best validation."""
    import torch
    from accelerate import Accelerator

    from socalign.train.config import TrainConfig
    from socalign.train.loop import fit

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from finetune import time_to_target as first_reached

    runs = {}
    for trainer in ("paper", "fast"):
        accelerator = Accelerator(mixed_precision="no" if args.tiny else "bf16", cpu=args.tiny)
        model, config = build(args.tiny, args.checkpointing, args.seed, args.frames,
                              args.image_size)
        data = synthetic_problem(args.videos, args.trials, args.seed)
        clips = synthetic_clips(args, config).to(accelerator.device)
        train_config = TrainConfig(trainer=trainer, batch_videos=args.batch, epochs=args.epochs,
                                   max_steps_per_epoch=args.steps, seed=args.seed,
                                   lr=args.lr, val_every_steps=args.val_every)
        out = Path(args.tmp) / f"fit-{trainer}"
        shutil.rmtree(out, ignore_errors=True)
        result = fit(model, lambda idx, c=clips: c[torch.as_tensor(idx, device=c.device)], data,
                     train_config, out, accelerator)
        runs[trainer] = result
    target = runs["paper"].best_val_spearman
    out = {"target": target}
    for trainer, result in runs.items():
        out[trainer] = {"best_val_spearman": result.best_val_spearman,
                        "forward_train": result.forward_train,
                        "train_s": result.history[-1]["train_s"],
                        "to_target": first_reached(list(result.validations), target)}
    paper_s, fast = out["paper"]["to_target"]["train_s"], out["fast"]["to_target"]
    out["fast_over_paper_train_s"] = (fast["train_s"] / paper_s if fast["reached"] and paper_s
                                      else float("inf"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32, help="fast trainer: videos per step")
    parser.add_argument("--videos", type=int, default=250)
    parser.add_argument("--trials", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpointing", action="store_true", help="gradient checkpointing")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--peak-tflops", type=float, default=790.0,
                        help="the device's peak bf16 rate, for the physical estimate")
    parser.add_argument("--time-to-target", action="store_true",
                        help="also train both trainers and time them to the paper's best")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--val-every", type=int, default=5)
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test of this script")
    parser.add_argument("--tmp", default="/tmp/socalign_gpu_finetune")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    import torch

    config = model_config(args.tiny, args.frames, args.image_size)
    flops = forward_flops(config)
    result = {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "clip": f"{config.num_frames} x {config.image_size}²",
        "physical_estimate": {
            "forward_tflop": flops / 1e12, "forward_backward_tflop": 3 * flops / 1e12,
            "peak_tflops": args.peak_tflops,
            "videos_per_s_at_peak": args.peak_tflops * 1e12 / (3 * flops),
        },
        "precision": "fp32" if args.tiny else "bf16 autocast",
        "model": "tiny TimeSformer" if args.tiny else "TimeSformer base (random init)",
        "lora": "r 8, alpha 16, qkv/attention.output.dense/intermediate.dense/temporal_dense",
        "gradient_checkpointing": args.checkpointing,
        "trainers": [time_trainer(t, args) for t in ("paper", "fast")],
    }
    for row in result["trainers"]:
        row["share_of_peak"] = row["videos_per_s"] / result["physical_estimate"][
            "videos_per_s_at_peak"]
    if args.time_to_target:
        result["time_to_target"] = time_to_target(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
