"""The paper's model at its real size on the CPU: one training step's time and peak memory.

The k400 TimeSformer's architecture (12 blocks, 768 wide, random weights: nothing is
downloaded) with the paper's LoRA (r 8 on its four targets) and head, fed 16 frames at 224²
(time embeddings interpolated from the checkpoint's 8), activation checkpointing on; one
training step (forward, triplet loss, backward, AdamW) at batch 1 and 2, each in a fresh
process (:func:`socalign.train.memory.probe_in_process`), so that the peak resident memory
growth is the step's own. Beside each it prints the memory model's prediction
(:func:`socalign.train.memory.step_memory`). ``--calibrate`` instead measures the small shapes
the memory model's coefficients were fitted to (1 to 3 blocks, 4 to 16 frames, 96 to 224 px,
checkpointing on and off) and prints the least-squares fit.

Usage: ``python benchmarks/real_size_step.py [--precision fp32 bf16] [--batches 1 2]
[--layers 12] [--out benchmarks/results/real_size_step.json]``. A step of the whole model takes
about 20 s at batch 1 and 42 s at batch 2 on 2 quiet CPU cores (over ten minutes on 2 cores
shared with other jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CALIBRATION = [  # (blocks, frames, size, checkpointing)
    *[(layers, t, s, False) for t, s in ((4, 96), (8, 160), (4, 224), (16, 96))
      for layers in (1, 2)],
    (3, 8, 160, True), (3, 16, 96, True),
]


def real_size(args: argparse.Namespace) -> dict:
    """One step per batch and precision, with the prediction beside it."""
    from socalign.train.memory import probe_in_process

    rows = []
    for precision in args.precision:
        for batch in args.batches:
            result = probe_in_process(n_layers=args.layers, n_frames=args.frames, batch=batch,
                                      precision=precision, checkpointing=not args.no_checkpointing,
                                      cpu=True)
            predicted = result["predicted"]
            own = sum(predicted[k] for k in ("activations", "optimizer", "overhead"))
            rows.append({
                "precision": precision, "batch": batch, "layers": result["layers"],
                "frames": result["n_frames"], "image_size": result["image_size"],
                "checkpointing": result["checkpointing"], "step_s": result["step_s"][0],
                "videos_per_s": batch / result["step_s"][0],
                "peak_rss_gib": result["peak_bytes"] / 2**30,
                "step_peak_gib": result["step_peak_bytes"] / 2**30,
                "predicted_step_peak_gib": own / 2**30,
                "predicted_total_gib": predicted["total"] / 2**30,
                "prediction_over_measured": own / result["step_peak_bytes"],
                "loss": result["loss"], "trainable": result["trainable"],
                "params": result["params"], "lora_modules": result["lora_modules"],
                "build_s": result["build_s"],
            })
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return {"rows": rows}


def calibrate(args: argparse.Namespace) -> dict:
    """The calibration shapes' steps, and the least-squares fit of the memory model."""
    from socalign.train.memory import probe_in_process

    fits = {}
    for precision in args.precision:
        rows = []
        for layers, frames, size, ckpt in CALIBRATION:
            result = probe_in_process(n_layers=layers, n_frames=frames, image_size=size, batch=2,
                                      precision=precision, checkpointing=ckpt, cpu=True)
            rows.append({"layers": layers, "frames": frames, "image_size": size,
                         "checkpointing": ckpt, "step_peak_bytes": result["step_peak_bytes"],
                         "step_s": result["step_s"][0]})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        if args.with_real_size:
            result = probe_in_process(n_layers=args.layers, n_frames=args.frames, batch=1,
                                      precision=precision, checkpointing=True, cpu=True)
            rows.append({"layers": result["layers"], "frames": args.frames, "image_size": 224,
                         "checkpointing": True, "batch": 1,
                         "step_peak_bytes": result["step_peak_bytes"],
                         "step_s": result["step_s"][0]})
        fits[precision] = {"rows": rows, **fit(rows)}
    return fits


def fit(rows: list[dict], hidden: int = 768, intermediate: int = 3072, heads: int = 12,
        patch: int = 16, batch: int = 2) -> dict:
    """Least-squares coefficients of :func:`socalign.train.memory.step_memory`'s model, in the
    order of :data:`socalign.train.memory.ACTIVATION_COEFFICIENTS` (a row may carry its
    ``batch``; ``--calibrate --with-real-size`` adds the real-size steps' rows)."""
    features, measured = [], []
    for row in rows:
        p = (row["image_size"] // patch) ** 2
        t = row["frames"]
        n = t * p + 1
        attention = heads * (p * t * t + t * (p + 1) ** 2)
        kept = min(2, row["layers"]) if row["checkpointing"] else row["layers"]
        stored = row["layers"] * n * hidden if row["checkpointing"] else 0
        b = row.get("batch", batch)
        features.append([b * kept * n * (hidden + intermediate), b * kept * attention,
                         b * n * hidden, b * stored, 1.0])
        measured.append(row["step_peak_bytes"])
    x, y = np.array(features), np.array(measured, dtype=float)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    predicted = x @ coef
    return {"coefficients": [float(c) for c in coef],
            "largest_error": float(np.max(np.abs(predicted / y - 1)))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", nargs="+", default=["fp32"],
                        choices=("fp32", "bf16"), help="precisions measured")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--layers", type=int, default=12, help="blocks (the checkpoint's 12)")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--no-checkpointing", action="store_true")
    parser.add_argument("--calibrate", action="store_true",
                        help="measure the memory model's calibration shapes and fit it")
    parser.add_argument("--with-real-size", action="store_true",
                        help="with --calibrate: also fit the real-size step (batch 1)")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    import torch

    began = time.perf_counter()
    result = {"device": "cpu", "cpu_threads": torch.get_num_threads(),
              "cpu_count": os.cpu_count(), "torch": torch.__version__,
              "model": "TimeSformer base (k400 config, random weights)",
              "lora": "r 8, alpha 16, dropout 0.1: qkv (time and space), attention.output.dense, "
                      "intermediate.dense, temporal_dense; head 768 -> 128",
              **(calibrate(args) if args.calibrate else real_size(args))}
    result["wall_s"] = time.perf_counter() - began
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
