"""GPU check of fine-tuning: base-size TimeSformer (random init) with LoRA, bf16 against fp32.

For each precision (``--precision``, default bf16 and fp32) and trainer (paper, fast) it times training steps on synthetic clips and judgments
(``--frames`` x ``--image-size``², default 16 x 224²) and reports videos per second (video
forward+backward passes per second of step time, no validation), peak GPU memory, and the
physical estimate beside it: the analytic FLOPs of one forward pass (``forward_flops``), three
times that for forward+backward, and the videos per second that the device's peak rate
(``--peak-tflops``, default an H200's ≈790 TFLOP/s bf16) would allow. With ``--time-to-target``
it also trains both trainers with :func:`socalign.train.loop.fit` on the synthetic problem (the
clips carry the latent that drives the judgments, so there is something to learn) and reports
the time each needs to first reach the paper trainer's best validation Spearman, measured as in
``benchmarks/finetune.py``. ``--memory-batches`` (default 1 2 4 8 16) measures one step's peak
GPU memory per batch beside the memory model's prediction
(:func:`socalign.train.memory.step_memory`) with its MFU, then runs the batch the planner
(:func:`socalign.train.memory.plan_batch`) picks for the free memory, which must not run out
of memory. One prepared script; prints one JSON object.

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


def planner_shape(config):
    """The memory model's :class:`socalign.train.memory.BackboneShape` of ``config``, with the
    paper's LoRA targets and head (:func:`socalign.train.memory.shape_of`)."""
    from dataclasses import replace

    from socalign.models.registry import get_spec
    from socalign.train.memory import shape_of

    spec = replace(get_spec("facebook/timesformer-base-finetuned-k400"),
                   image_size=config.image_size, n_frames=config.num_frames)
    return shape_of(config, spec)


def time_trainer(trainer: str, args: argparse.Namespace, precision: str = "bf16") -> dict:
    import torch

    from socalign.train import fast, paper
    from socalign.train.config import TrainConfig
    from socalign.train.loop import Context
    from socalign.train.memory import step_memory, videos_per_step
    from socalign.train.precision import make_accelerator

    accelerator = make_accelerator("fp32" if args.tiny else precision, cpu=args.tiny)
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
    predicted = step_memory(planner_shape(config), videos_per_step(train_config),
                            "fp32" if args.tiny else precision, args.checkpointing)
    return {
        "trainer": trainer,
        "precision": "fp32" if args.tiny else precision,
        "videos_with_grad_per_step": videos_per_step(train_config),
        "predicted_peak_gib": predicted["total"] / 2**30,
        "steps": int(stats["steps"]),
        "videos_embedded": int(videos),
        "seconds": seconds,
        "videos_per_s": videos / seconds,
        "seconds_per_step": seconds / max(1, int(stats["steps"])),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
        "loss": stats["loss"],
    }


def memory_per_batch(args: argparse.Namespace, precision: str) -> dict:
    """One step per batch (:func:`socalign.train.memory.probe_step`): measured peak memory,
    the memory model's prediction, the time and MFU; then the planner's batch for the free
    memory, measured too (it must run without running out of memory)."""
    import torch

    from socalign.models.video import random_backbone
    from socalign.train.memory import free_memory, plan_batch, probe_step, shape_of

    layers = 1 if args.tiny else None  # --tiny: one base-width block on 4 frames of 32 px
    frames, size = (4, 32) if args.tiny else (args.frames, args.image_size)
    rows = []
    config = model_config(args.tiny, args.frames, args.image_size)
    flops = forward_flops(config)
    for batch in args.memory_batches:
        try:
            result = probe_step(n_layers=layers, n_frames=frames, image_size=size, batch=batch,
                                precision=precision, checkpointing=args.checkpointing,
                                steps=3, cpu=args.tiny)
        except torch.OutOfMemoryError:
            rows.append({"batch": batch, "out_of_memory": True})
            torch.cuda.empty_cache()
            continue
        seconds = float(np.median(result["step_s"][1:] or result["step_s"]))
        rows.append({"batch": batch, "peak_gib": result["peak_bytes"] / 2**30,
                     "predicted_gib": result["predicted"]["total"] / 2**30,
                     "predicted_over_measured": result["predicted"]["total"]
                     / max(1, result["peak_bytes"]),
                     "seconds_per_step": seconds, "videos_per_s": batch / seconds,
                     "mfu": batch / seconds * 3 * flops / (args.peak_tflops * 1e12)})
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    module, spec = random_backbone("facebook/timesformer-base-finetuned-k400", layers, frames,
                                   size)
    shape = shape_of(module.config, spec)
    device = "cpu" if args.tiny else "cuda"
    free = free_memory(device)
    planned = plan_batch(shape, precision, args.checkpointing, free, 1024)
    check = None
    if planned and not args.tiny:
        try:
            result = probe_step(n_frames=frames, image_size=size, batch=planned,
                                precision=precision, checkpointing=args.checkpointing, steps=2)
            check = {"peak_gib": result["peak_bytes"] / 2**30, "out_of_memory": False,
                     "predicted_gib": result["predicted"]["total"] / 2**30}
        except torch.OutOfMemoryError:
            check = {"out_of_memory": True}
    return {"precision": precision, "per_batch": rows,
            "planner": {"free_gib": free / 2**30, "planned_batch": planned, "measured": check}}


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
    parser.add_argument("--precision", nargs="+", default=None,
                        choices=("bf16", "fp16", "fp32"),
                        help="precisions compared (default bf16 and fp32; --tiny: fp32)")
    parser.add_argument("--memory-batches", nargs="*", type=int, default=None,
                        help="batches whose peak memory is measured beside the memory model's "
                        "prediction, then the planner's batch for the free memory is run "
                        "(default 1 2 4 8 16; --tiny: none)")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test of this script")
    parser.add_argument("--tmp", default="/tmp/socalign_gpu_finetune")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.precision is None:
        args.precision = ["fp32"] if args.tiny else ["bf16", "fp32"]
    if args.memory_batches is None:
        args.memory_batches = [] if args.tiny else [1, 2, 4, 8, 16]

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
        "precision": "fp32" if args.tiny else " and ".join(args.precision) + " autocast",
        "model": "tiny TimeSformer" if args.tiny else "TimeSformer base (random init)",
        "lora": "r 8, alpha 16, qkv/attention.output.dense/intermediate.dense/temporal_dense",
        "gradient_checkpointing": args.checkpointing,
        "trainers": [time_trainer(t, args, p) for p in args.precision
                     for t in ("paper", "fast")],
    }
    for row in result["trainers"]:  # model FLOPs utilisation (MFU)
        row["share_of_peak"] = row["videos_per_s"] / result["physical_estimate"][
            "videos_per_s_at_peak"]
    if args.memory_batches:
        result["memory"] = [memory_per_batch(args, p) for p in args.precision]
    if args.time_to_target:
        result["time_to_target"] = time_to_target(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
