"""Time the book build: a cold build (empty cache, new build folder) and a rebuild with nothing
changed, against the floors of issue 7 (cold demo < 20 min, unchanged rebuild < 60 s on 2 cores).

    python benchmarks/book.py [--profile demo] [--out DIR] [--json]

The cold build runs with ``$SOCALIGN_CACHE`` pointed at a fresh (temporary or ``--cache``) folder, so SocialWorld,
the toy backbone, the embeddings and every chapter are made from scratch (``$SOCALIGN_DATA``, if
set, still supplies garcia2025). Prints each time, its floor and the ratio time / floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

FLOORS = {"cold": 20 * 60.0, "rebuild": 60.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", choices=("ci", "demo", "paper"))
    parser.add_argument("--out", type=Path, default=None, help="build folder (default: temporary)")
    parser.add_argument("--root", type=Path, default=None, help="book root (default: found from here)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="an empty folder for $SOCALIGN_CACHE (default: temporary, removed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from socalign.book import build_book

    with tempfile.TemporaryDirectory(prefix="socalign-book-bench-") as tmp:
        cache = args.cache or Path(tmp) / "cache"
        if cache.exists() and any(cache.iterdir()):
            raise SystemExit(f"{cache}: not empty; a cold build needs an empty cache folder")
        os.environ["SOCALIGN_CACHE"] = str(cache)
        out = args.out or Path(tmp) / "build"
        log = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
        t0 = time.perf_counter()
        cold = build_book(args.root, profile=args.profile, out=out, log=log)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = build_book(args.root, profile=args.profile, out=out, log=log)
        warm_s = time.perf_counter() - t0
    result = {
        "profile": args.profile,
        "cpu_count": os.cpu_count(),
        "cold_s": round(cold_s, 1),
        "cold_floor_s": FLOORS["cold"],
        "cold_ratio": round(cold_s / FLOORS["cold"], 3),
        "rebuild_s": round(warm_s, 1),
        "rebuild_floor_s": FLOORS["rebuild"],
        "rebuild_ratio": round(warm_s / FLOORS["rebuild"], 3),
        "rebuild_executed": warm.executed,
        "rebuild_render": warm.render,
        "chapters_cold": cold.to_dict()["chapters"],
        "render_cold_s": round(cold.render_seconds, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(cold.report())
        for key in ("cold", "rebuild"):
            print(f"{key:8s} {result[f'{key}_s']:8.1f} s  floor {FLOORS[key]:6.0f} s  "
                  f"ratio {result[f'{key}_ratio']:.3f}")
    ok = cold_s < FLOORS["cold"] and warm_s < FLOORS["rebuild"] and warm.executed == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
