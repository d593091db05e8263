"""Decoding and embedding speed, as ratios measured in one run.

    python benchmarks/embed.py [--videos 24] [--size 64] [--frames 48] [--threads 1] [--json]

1. Decoding: clips/s of decord and of PyAV reading the same files (8 uniformly sampled frames
   of each, no cache); the ratio decord / PyAV. Skipped (reported as null) without decord.
2. Embedding: ``socalign.models.embed.embed`` of a benchmark of the same videos with a small
   randomly initialised TimeSformer (the toy's architecture), videos/s when cold (empty caches:
   decode + forward), with decoded clips cached (forward only), and fully cached (the embedding
   cache); the ratios cached / cold.

The videos are written here (moving squares, H.264) into a temporary folder; caches go to a
temporary ``$SOCALIGN_CACHE``, so nothing of the user's cache is read or touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def make_videos(root: Path, n: int, size: int, frames: int):
    import numpy as np

    from socalign.video import write_video

    rng = np.random.default_rng(0)
    files = []
    for k in range(n):
        clip = np.full((frames, size, size, 3), rng.integers(0, 80), dtype=np.uint8)
        step = rng.integers(1, 4)
        for t in range(frames):
            x = (k + step * t) % (size - size // 4)
            clip[t, size // 3 : size // 3 + size // 4, x : x + size // 4] = 200
        files.append(write_video(root / "videos" / f"{k}.mp4", clip, fps=frames // 3 or 1))
    return files


def make_benchmark(root: Path, files):
    import pandas as pd

    from socalign.data import load_dataset
    from socalign.data.layout import write_benchmark

    n = len(files)
    videos = pd.DataFrame({"video_id": range(n), "split": "test",
                           "file": [f.relative_to(root).as_posix() for f in files]})
    trials = pd.DataFrame([("p0", i, (i + 1) % n, (i + 2) % n, i) for i in range(n)],
                          columns=["participant", "video_1", "video_2", "video_3", "choice"])
    write_benchmark(root, videos, trials, metadata={"name": "bench-embed"})
    return load_dataset(root)


def time_decode(files, backend: str, n_frames: int) -> float:
    from socalign.video import read_clip

    start = time.perf_counter()
    for f in files:
        read_clip(f, n_frames, backend=backend)
    return len(files) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=24)
    parser.add_argument("--size", type=int, default=64, help="frame side in pixels")
    parser.add_argument("--frames", type=int, default=48, help="frames per video file (3 s)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="socalign-bench-embed-"))
    os.environ["SOCALIGN_CACHE"] = str(tmp / "cache")
    from socalign.models.embed import embed
    from socalign.video import decord_available

    files = make_videos(tmp / "bench", args.videos, args.size, args.frames)
    time_decode(files[:2], "pyav", 8)  # warm-up (imports)
    pyav = time_decode(files, "pyav", 8)
    decord = time_decode(files, "decord", 8) if decord_available() else None

    bench = make_benchmark(tmp / "bench", files)
    torch.manual_seed(0)
    cfg = transformers.TimesformerConfig(image_size=32, patch_size=8, num_frames=8, hidden_size=64,
                                         num_hidden_layers=2, num_attention_heads=4,
                                         intermediate_size=128)
    model_dir = tmp / "model"
    transformers.TimesformerModel(cfg).save_pretrained(model_dir)
    rates = {}
    for label, kwargs in (("cold", {}), ("clips_cached", {"cache": False}), ("cached", {})):
        start = time.perf_counter()
        result = embed(bench, str(model_dir), device="cpu", batch_size=8, **kwargs)
        rates[label] = args.videos / (time.perf_counter() - start)
        assert result.cached == (label == "cached"), label
    report = {
        "videos": args.videos, "size": args.size, "frames_per_file": args.frames,
        "threads": args.threads,
        "decode_clips_per_s": {"pyav": round(pyav, 1),
                               "decord": None if decord is None else round(decord, 1)},
        "decode_ratio_decord_over_pyav": None if decord is None else round(decord / pyav, 2),
        "embed_videos_per_s": {k: round(v, 1) for k, v in rates.items()},
        "embed_ratio_clips_cached_over_cold": round(rates["clips_cached"] / rates["cold"], 2),
        "embed_ratio_cached_over_cold": round(rates["cached"] / rates["cold"], 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
