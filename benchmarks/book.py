"""Time the book build: a cold build (empty cache, new build folder) and a rebuild with nothing
changed, against the floors of issue 7 (cold demo < 20 min, unchanged rebuild < 60 s on 2 cores),
issue 21 (cold demo at most 20 min), issue 24 (chapter 6, PHASE rendered and probed, at most 3 min),
issue 25 (each lab at most 5 min; the site under 50 MB) and issue 27 (chapter 7 at most 2 min).

    python benchmarks/book.py [--profile demo] [--out DIR] [--json] [--record FILE]

With ``$SOCALIGN_DATA`` naming a folder that holds ``socialgnn-phase`` (PHASE's public files),
chapter 6 renders and probes PHASE in the cold build, so its floor covers PHASE's cost.

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
PAGE_FLOORS = {"book/06_transfer.py": 180.0, "book/07_planning.py": 120.0, "book/labs/": 300.0}
"""Seconds a cold build may spend executing a page (a folder's floor holds for each page in it)."""
SITE_FLOOR_MB = 50.0


def page_floor(source: str) -> float | None:
    """The floor of a chapter source, or None."""
    for prefix, floor in PAGE_FLOORS.items():
        if source == prefix or (prefix.endswith("/") and source.startswith(prefix)):
            return floor
    return None


def site_megabytes(html: Path) -> float:
    """The built site's size: the bytes of every file under ``html``, in MB (10**6)."""
    return sum(f.stat().st_size for f in html.rglob("*") if f.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", choices=("ci", "demo", "paper"))
    parser.add_argument("--out", type=Path, default=None, help="build folder (default: temporary)")
    parser.add_argument("--root", type=Path, default=None, help="book root (default: found from here)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="an empty folder for $SOCALIGN_CACHE (default: temporary, removed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--record", type=Path, default=None,
                        help="also write the JSON object here (e.g. benchmarks/results/book.json)")
    args = parser.parse_args(argv)
    from socalign.book import build_book

    load_at_start = round(os.getloadavg()[0], 2)
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
        site_mb = site_megabytes(cold.html) if cold.html is not None else float("nan")
        t0 = time.perf_counter()
        warm = build_book(args.root, profile=args.profile, out=out, log=log)
        warm_s = time.perf_counter() - t0
    pages = [{"source": c.source, "seconds": round(c.seconds, 1), "floor_s": page_floor(c.source)}
             for c in cold.chapters if page_floor(c.source) is not None]
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
        "pages_cold": pages,
        "phase_in_build": not cold.datasets.get("PHASE", "not found").startswith("not found"),
        "site_mb": round(site_mb, 1),
        "site_floor_mb": SITE_FLOOR_MB,
        "datasets": cold.to_dict()["datasets"],
        "load_average_at_start": load_at_start,
    }
    if args.record is not None:
        args.record.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(cold.report())
        for key in ("cold", "rebuild"):
            print(f"{key:8s} {result[f'{key}_s']:8.1f} s  floor {FLOORS[key]:6.0f} s  "
                  f"ratio {result[f'{key}_ratio']:.3f}")
        for page in pages:
            print(f"{page['source']:32s} {page['seconds']:8.1f} s  floor {page['floor_s']:6.0f} s")
        print(f"{'site':32s} {site_mb:8.1f} MB floor {SITE_FLOOR_MB:6.0f} MB"
              f"  (PHASE {'in' if result['phase_in_build'] else 'not in'} the build)")
    ok = (cold_s < FLOORS["cold"] and warm_s < FLOORS["rebuild"] and warm.executed == 0
          and all(p["seconds"] <= p["floor_s"] for p in pages) and site_mb < SITE_FLOOR_MB)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
