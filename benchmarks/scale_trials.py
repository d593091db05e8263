"""Time and peak memory of ``socalign ceiling`` and ``socalign evaluate`` as the trials grow.

    python benchmarks/scale_trials.py [--sizes 250k,1M,2M] [--videos 40,250] [--n-boot 1000]
        [--n-splits 100] [--n-draws 50000] [--threads 2] [--json]

For every number of videos and of trials, a synthetic benchmark is drawn with numpy (uniform
random triplets, so with 40 videos each of the 9,880 triplets recurs hundreds of times; choices
by a Luce rule on distances in a hidden 3-D space; 100 trials per participant; SocialWorld's own
schedule, ``socialworld.observers.make_schedule``, is not used: its set cover takes about 30 s
per 2 M trials) and each path runs in a fresh subprocess, as the CLI runs it after loading the
data: ``socalign.scoring.ceilings`` (``socalign ceiling``: split-half over 100 participant
halves, OOO reliability, empirical-Bayes OOO ceiling with 50,000 Monte Carlo draws per distinct
posterior) and ``socalign.scoring.evaluate`` (``socalign evaluate --embeddings``: R², Spearman,
Pearson, OOO accuracy under both rules, 1,000 bootstrap resamples each), then ``to_dict()`` as
the CLI's ``--json`` does. Printed per run: seconds, the peak resident memory of the whole
process (``resource.getrusage``: interpreter, libraries, the trials and the computation) and
the resident memory once the data was drawn, and, against the previous size, the log-log slope
of time and of peak memory less the interpreter's and libraries' (1 = linear).

Floor (issue 22): 2 M trials fit in 2 GB, i.e. every run at 2 M trials peaks below 2 GB; it is
printed beside the measured value, and the exit status is 1 when it is missed (not checked when
2 M is not among ``--sizes``). The Monte Carlo of the OOO ceiling costs a few ms per distinct
posterior (pattern of choice counts); there are at most as many as there are distinct
triplets, so its time stops growing once the triplets recur (40 videos: 9,880 triplets).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

FLOOR_TRIALS = 2_000_000
FLOOR_GB = 2.0
TRIALS_PER_PARTICIPANT = 100
PATHS = ("ceiling", "evaluate")
DRAW_CHUNK = 250_000


def parse_size(text: str) -> int:
    """``250k``, ``1M``, ``2M`` or a plain count, as an int."""
    text = text.strip()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    number = text[:-1] if scale > 1 else text
    return round(float(number) * scale)


def label(n: int) -> str:
    """A trial count as ``250k`` / ``2M``."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def synthetic_benchmark(n_trials: int, n_videos: int, seed: int = 0):
    """(benchmark, embeddings): random triplets and Luce choices over a hidden 3-D space."""
    import numpy as np

    from socalign.data.types import Benchmark, Trials, Videos

    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(n_videos, 3))
    triplets = np.empty((n_trials, 3), dtype=np.int64)
    odd = np.empty(n_trials, dtype=np.int64)
    # In chunks, so that drawing the data does not set the process's peak memory.
    for lo in range(0, n_trials, DRAW_CHUNK):
        m = min(DRAW_CHUNK, n_trials - lo)
        # Three distinct videos per trial, uniformly: a, then b != a, then c not in {a, b}.
        a = rng.integers(0, n_videos, m)
        b = (a + rng.integers(1, n_videos, m)) % n_videos
        c = rng.integers(0, n_videos - 2, m)
        c += c >= np.minimum(a, b)
        c += c >= np.maximum(a, b)
        t = triplets[lo:lo + m]
        t[:, 0], t[:, 1], t[:, 2] = a, b, c
        # The pair left when position k is odd: the closer, the likelier k is the odd one.
        dist = np.stack([np.linalg.norm(hidden[b] - hidden[c], axis=1),
                         np.linalg.norm(hidden[a] - hidden[c], axis=1),
                         np.linalg.norm(hidden[a] - hidden[b], axis=1)], axis=1)
        odd[lo:lo + m] = np.argmax(-2.0 * dist + rng.gumbel(size=dist.shape), axis=1)
    n_participants = max(2, n_trials // TRIALS_PER_PARTICIPANT)
    participants = np.repeat(np.arange(n_participants), -(-n_trials // n_participants))[:n_trials]
    videos = Videos(
        ids=np.arange(n_videos), names=tuple(f"v{i}" for i in range(n_videos)),
        files=(None,) * n_videos, splits=np.array(["all"] * n_videos),
        captions=((),) * n_videos,
    )
    trials = Trials(
        triplets=triplets, odd=odd, participants=participants,
        participant_names=tuple(str(i) for i in range(n_participants)),
        response_time=np.full(n_trials, np.nan), row=np.arange(n_trials),
    )
    bench = Benchmark(name=f"synthetic-{n_videos}v-{label(n_trials)}", root=None, videos=videos,
                      trials=trials, kept_mask=np.ones(n_trials, dtype=bool), excluded={})
    embeddings = np.concatenate([hidden, 0.5 * rng.normal(size=(n_videos, 13))], axis=1)
    return bench, embeddings


def rss_gb() -> float:
    """Resident memory of this process now, in GB (the peak where /proc is absent)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (OSError, ValueError, IndexError):
        return peak_rss_gb()


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB (ru_maxrss is in KB on Linux)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak * (1 if sys.platform == "darwin" else 1024) / 1e9  # bytes on macOS


def worker(args: argparse.Namespace) -> int:
    """One path on one synthetic benchmark; prints one JSON line."""
    from socalign.scoring import ceilings, evaluate

    base_gb = rss_gb()  # the interpreter and the libraries
    start = time.perf_counter()
    bench, embeddings = synthetic_benchmark(args.trials, args.n_videos, seed=args.seed)
    data_s = time.perf_counter() - start
    data_gb = rss_gb()
    start = time.perf_counter()
    if args.worker == "ceiling":
        result = ceilings(bench, None, n_splits=args.n_splits, seed=0, n_draws=args.n_draws)
        out = result.to_dict()
        summary = {"r_sb": out["split_half"].get("r_sb"),
                   "ooo_reliability": out["ooo_consistency"]["loo_agreement"],
                   "ooo_ceiling": out["ooo_ceiling"]["ceiling"]}
    else:
        result = evaluate(bench, None, embeddings=embeddings, metric="cosine",
                          n_boot=args.n_boot, seed=0)
        out = result.to_dict()
        summary = {"r2": out["r2"], "ooo_argmax": out["ooo_accuracy"]["argmax"],
                   "ooo_pair": out["ooo_accuracy"]["pair"]}
    seconds = time.perf_counter() - start
    print(json.dumps({
        "path": args.worker, "n_videos": args.n_videos, "n_trials": args.trials,
        "seconds": seconds, "data_seconds": data_s, "peak_rss_gb": peak_rss_gb(),
        "data_rss_gb": data_gb, "base_rss_gb": base_gb, "summary": summary,
    }))
    return 0


def run_one(path: str, n_trials: int, n_videos: int, args: argparse.Namespace) -> dict:
    """Run one worker in a fresh interpreter and return its JSON line."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, str(args.threads))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", path, "--trials", str(n_trials),
           "--n-videos", str(n_videos), "--n-boot", str(args.n_boot),
           "--n-splits", str(args.n_splits), "--n-draws", str(args.n_draws),
           "--seed", str(args.seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"path": path, "n_videos": n_videos, "n_trials": n_trials,
                "error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def slope(new: float, old: float, n_new: int, n_old: int) -> float:
    """Log-log slope between two sizes (1 = linear)."""
    if new <= 0 or old <= 0 or n_new == n_old:
        return float("nan")
    return math.log(new / old) / math.log(n_new / n_old)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250k,1M,2M",
                        help="comma-separated trial counts (250k, 1M, 2M, 125000, ...)")
    parser.add_argument("--videos", default="40,250", help="comma-separated numbers of videos")
    parser.add_argument("--paths", default=",".join(PATHS), help="ceiling, evaluate or both")
    parser.add_argument("--n-boot", type=int, default=1000, help="evaluate's resamples (CLI: 1000)")
    parser.add_argument("--n-splits", type=int, default=100, help="ceiling's halves (CLI: 100)")
    parser.add_argument("--n-draws", type=int, default=50_000,
                        help="OOO ceiling's Monte Carlo draws per posterior (CLI: 50000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic trials")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--trials", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--n-videos", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    videos = [int(v) for v in args.videos.split(",") if v.strip()]
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    bad = [p for p in paths if p not in PATHS]
    if bad or not sizes or not videos:
        parser.error(f"--paths must name {PATHS}; --sizes and --videos must not be empty")
    rows: list[dict] = []
    for n_videos in videos:
        for path in paths:
            previous: dict | None = None
            for n in sizes:
                row = run_one(path, n, n_videos, args)
                if previous is not None and "error" not in row and "error" not in previous:
                    row["time_slope"] = slope(row["seconds"], previous["seconds"], n,
                                              previous["n_trials"])
                    # the growth of the memory the data and the computation take (peak less
                    # the interpreter and libraries, measured before the data is drawn)
                    row["memory_slope"] = slope(row["peak_rss_gb"] - row["base_rss_gb"],
                                                previous["peak_rss_gb"] - previous["base_rss_gb"],
                                                n, previous["n_trials"])
                rows.append(row)
                previous = row
                if not args.json:
                    print(format_row(row), flush=True)

    at_floor = [r for r in rows if r["n_trials"] == FLOOR_TRIALS]
    failed = [r for r in rows if "error" in r]
    if at_floor and not any("error" in r for r in at_floor):
        worst = max(at_floor, key=lambda r: r["peak_rss_gb"])
        floor = {"floor": f"{label(FLOOR_TRIALS)} trials fit in {FLOOR_GB:g} GB",
                 "measured_gb": worst["peak_rss_gb"],
                 "worst_run": f"{worst['path']}, {worst['n_videos']} videos",
                 "met": worst["peak_rss_gb"] < FLOOR_GB}
    elif at_floor:
        floor = {"floor": f"{label(FLOOR_TRIALS)} trials fit in {FLOOR_GB:g} GB",
                 "measured_gb": None, "worst_run": "a run at the floor's size failed",
                 "met": False}
    else:
        floor = {"floor": f"{label(FLOOR_TRIALS)} trials fit in {FLOOR_GB:g} GB",
                 "measured_gb": None, "worst_run": "not run (2M not among --sizes)", "met": None}
    if args.json:
        print(json.dumps({"runs": rows, "floor": floor}, indent=2))
    else:
        measured = ("—" if floor["measured_gb"] is None
                    else f"{floor['measured_gb']:.2f} GB peak ({floor['worst_run']})")
        verdict = {True: "met", False: "NOT MET", None: "not checked"}[floor["met"]]
        print(f"\nfloor: {floor['floor']}   measured: {measured}   -> {verdict}")
        for r in failed:
            print(f"failed: {r['path']} {r['n_videos']} videos {label(r['n_trials'])}: {r['error']}")
    return 1 if failed or floor["met"] is False else 0


HEADER_PRINTED = False


def format_row(row: dict) -> str:
    """One table line (the header before the first)."""
    global HEADER_PRINTED
    head = ""
    if not HEADER_PRINTED:
        HEADER_PRINTED = True
        head = (f"{'path':<9} {'videos':>6} {'trials':>7} {'time s':>8} {'us/trial':>9} "
                f"{'peak GB':>8} {'data GB':>8} {'t slope':>8} {'mem slope':>9}  result\n")
    if "error" in row:
        return head + (f"{row['path']:<9} {row['n_videos']:>6} {label(row['n_trials']):>7} "
                       f"FAILED: {row['error']}")

    def fmt_slope(key: str) -> str:
        value = row.get(key)
        return "" if value is None or not math.isfinite(value) else f"{value:.2f}"

    summary = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                        for k, v in row["summary"].items())
    return head + (
        f"{row['path']:<9} {row['n_videos']:>6} {label(row['n_trials']):>7} "
        f"{row['seconds']:>8.2f} {1e6 * row['seconds'] / row['n_trials']:>9.2f} "
        f"{row['peak_rss_gb']:>8.3f} {row['data_rss_gb']:>8.3f} {fmt_slope('time_slope'):>8} "
        f"{fmt_slope('memory_slope'):>9}  {summary}"
    )


if __name__ == "__main__":
    sys.exit(main())
