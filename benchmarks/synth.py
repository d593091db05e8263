"""Speed of ``socalign data synth socialworld`` at the default size, with the per-stage split.

Usage: ``python benchmarks/synth.py [--videos 250] [--frames 16] [--size 64] [--calibrate]``.
Prints wall-clock and CPU seconds per stage (simulate, render, encode, judge, write, and
calibrate when asked) and the total against the 60-second target for render + encode + judge
(the whole generation without calibration). Threads are pinned to one per library so the
numbers describe a small shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from socalign.data.socialworld.synth import synthesize  # noqa: E402

TARGET_S = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=250)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calibrate", action="store_true", help="also time the calibration")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.calibrate:
        import torch

        torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        result = synthesize(
            os.path.join(tmp, "socialworld"), n_videos=args.videos, seed=args.seed,
            n_frames=args.frames, size=args.size, calibrate=args.calibrate,
        )
    times = result.times.to_dict()
    generation = sum(v for k, v in result.times.wall.items() if k != "calibrate")
    summary = {
        "n_videos": result.n_videos,
        "n_trials": result.n_trials,
        **times,
        "generation_wall_s": round(generation, 3),
        "target_s": TARGET_S,
        "ratio_to_target": round(generation / TARGET_S, 3),
        "calibration_checks": None if result.calibration is None else result.calibration["checks"],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"SocialWorld: {result.n_videos} videos, {result.n_trials} trials")
    print(f"{'stage':<10} {'wall s':>8} {'cpu s':>8}")
    for stage, wall in result.times.wall.items():
        print(f"{stage:<10} {wall:8.2f} {result.times.cpu[stage]:8.2f}")
    print(f"{'total':<10} {times['total_wall_s']:8.2f} {times['total_cpu_s']:8.2f}")
    print(f"generation (no calibration): {generation:.1f} s wall = {generation / TARGET_S:.2f} x the {TARGET_S:.0f} s target")
    if result.calibration is not None:
        print("calibration checks:", json.dumps(result.calibration["checks"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
