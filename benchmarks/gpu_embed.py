"""GPU embedding check: a base-size TimeSformer (random init; no weights are fetched) in bf16.

    python benchmarks/gpu_embed.py [--clips 250] [--batch-size 16] [--frames 16] [--dtype bf16]
                                   [--precision auto] [--json] [--tiny]

Builds ``TimesformerConfig()`` (the paper's base architecture: 12 layers, 768 wide, 8 frames of
224 px, as the k400 checkpoint), saves it with ``save_pretrained`` and loads it back through
``socalign.models.video.load_backbone`` in the chosen dtype, fed ``--frames`` frames (the
paper protocol's 16: the time embeddings are interpolated, as for the real checkpoint). It
then embeds ``--clips`` random uint8 clips (frames x 256 x 340, so the resize and centre crop
run) through ``preprocess`` and ``forward_features`` on the GPU, and reports clips/s (after one
warm-up batch; preprocessing included) and the peak GPU memory allocated. Exits with status 3
when no CUDA device is present. Not run in the task that wrote it (no GPU there).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--dtype", choices=("bf16", "fp16", "fp32"), default="bf16",
                        help="the dtype the weights are loaded in")
    parser.add_argument("--precision", choices=("auto", "bf16", "fp16", "fp32"), default=None,
                        help="instead: fp32 weights under autocast, as `socalign embed "
                        "--precision` runs (auto: bf16, or fp16 on a GPU without bf16)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--frames", type=int, default=16,
                        help="frames per clip fed to the 8-frame backbone (the paper's 16)")
    parser.add_argument("--tiny", "--smoke-cpu", dest="smoke_cpu", action="store_true",
                        help="check the script on the CPU with a tiny config (no GPU numbers)")
    args = parser.parse_args()

    import numpy as np
    import torch
    import transformers

    from socalign.models.video import forward_features, load_backbone, preprocess

    device = "cpu" if args.smoke_cpu else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: this check needs a GPU (or --smoke-cpu)", file=sys.stderr)
        return 3
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    mixed = None
    if args.precision is not None:  # fp32 weights, autocast as `socalign embed --precision`
        from socalign.train.precision import autocast_dtype, resolve_precision

        resolved = resolve_precision(args.precision, device)
        dtype, mixed = torch.float32, autocast_dtype(resolved)
        args.dtype = f"fp32 weights, {resolved} autocast"
    config = transformers.TimesformerConfig()  # base size, as the paper's checkpoint
    if args.smoke_cpu:
        config = transformers.TimesformerConfig(image_size=32, patch_size=16, hidden_size=32,
                                                num_hidden_layers=1, num_attention_heads=2,
                                                intermediate_size=64)
    with tempfile.TemporaryDirectory(prefix="socalign-gpu-embed-") as tmp:
        torch.manual_seed(0)
        transformers.TimesformerModel(config).save_pretrained(Path(tmp))
        model, spec = load_backbone(tmp, device=device, dtype=dtype, n_frames=args.frames)
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, (args.batch_size, spec.n_frames, 256, 340, 3), dtype=np.uint8)
    n_params = sum(p.numel() for p in model.parameters())

    def run_batch(n: int) -> torch.Tensor:
        pixels = preprocess(clips[:n], spec).to(device, non_blocking=True)
        with torch.inference_mode(), torch.autocast(device, dtype=mixed,
                                                    enabled=mixed is not None):
            return forward_features(model, spec, pixels)

    run_batch(args.batch_size)  # warm-up (kernels, allocator)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    done = 0
    start = time.perf_counter()
    while done < args.clips:
        n = min(args.batch_size, args.clips - done)
        features = run_batch(n)
        done += n
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    report = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu (smoke test)",
        "dtype": args.dtype,
        "params_millions": round(n_params / 1e6, 3),
        "clips": done,
        "batch_size": args.batch_size,
        "frames": spec.n_frames,
        "image_size": spec.image_size,
        "seconds": round(seconds, 3),
        "clips_per_s": round(done / seconds, 1),
        "peak_memory_gib": (round(torch.cuda.max_memory_allocated() / 2**30, 2)
                            if device == "cuda" else None),
        "feature_dim": int(features.shape[1]),
        "finite": bool(torch.isfinite(features.float()).all()),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
