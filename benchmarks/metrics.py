"""Speed of the alignment metrics at the real data's size, beside plain per-trial Python loops.

    python benchmarks/metrics.py [--threads 2] [--json] [--synthetic]

Uses the garcia2025 train split (24,096 trials, 200 videos, 215 participants) when a local copy
is found ($SOCALIGN_GARCIA2025, $SOCALIGN_DATA, or ../shared/data/garcia2025), else a synthetic
set of the same size. Times, each beside a plain Python loop computing the same thing in the
same run: the similarity build, OOO accuracy (argmax rule), a 1,000-resample bootstrap of OOO
accuracy (unit: trials) and of R² (unit: videos), and a 100-split split-half ceiling. The slow
loops run on a subset of resamples/splits and are scaled up (the table says so). Floors: each
ratio >= 20x (the R² bootstrap's loop is per resample, not per trial, and is reported without a
floor); the 100-split ceiling < 5 s. Each time is the best of a few runs where cheap (the
machine may be shared); exit status 1 when a floor is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

FLOOR_RATIO = 20.0
FLOOR_CEILING_S = 5.0


def find_real() -> Path | None:
    here = Path(__file__).resolve().parents[1]
    for env in ("SOCALIGN_GARCIA2025", "SOCALIGN_DATA"):
        if os.environ.get(env):
            cand = Path(os.environ[env])
            if (cand / "data/interim/similarity/all_triplets.csv").exists():
                return cand
    cand = here.parent / "shared" / "data" / "garcia2025"
    return cand if (cand / "data/interim/similarity/all_triplets.csv").exists() else None


def load_data(np, synthetic: bool = False):
    """(triplets, odd, participants, n_items, indices, source)."""
    root = None if synthetic else find_real()
    if root is not None:
        from socalign.data import load_dataset

        bench = load_dataset(root)
        trials = bench.split_trials("train")
        return (trials.triplets, trials.odd, trials.participants, len(bench.videos),
                bench.split_indices("train"), f"garcia2025 train ({root})")
    rng = np.random.default_rng(0)
    n_items, n_trials = 200, 24096
    pos = rng.normal(size=(n_items, 3))
    triplets = np.array([rng.choice(n_items, 3, replace=False) for _ in range(n_trials)])
    p = pos[triplets]
    d = np.stack([np.linalg.norm(p[:, 1] - p[:, 2], axis=1),
                  np.linalg.norm(p[:, 0] - p[:, 2], axis=1),
                  np.linalg.norm(p[:, 0] - p[:, 1], axis=1)], axis=1)
    odd = np.argmin(d + rng.normal(scale=1.0, size=d.shape), axis=1)
    participants = rng.integers(0, 215, n_trials)
    return triplets, odd, participants, n_items, np.arange(n_items), "synthetic, same size"


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--synthetic", action="store_true",
                        help="use a synthetic set of the real size even when the data is present")
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))

    import numpy as np
    from scipy import stats

    from socalign.metrics import (
        bootstrap,
        bootstrap_alignment,
        ooo_accuracy,
        similarity_from_embeddings,
        similarity_from_judgments,
        split_half_ceiling,
    )

    triplets, odd, participants, n_items, indices, source = load_data(np, args.synthetic)
    n = len(odd)
    model = similarity_from_embeddings(np.random.default_rng(1).normal(size=(n_items, 64)))
    rows: list[dict] = []
    T = [tuple(int(v) for v in t) for t in triplets]  # plain Python data for the loops
    ODD = [int(o) for o in odd]

    def add(task: str, fast: float, slow: float, note: str, floor: float | None,
            same: bool) -> None:
        ratio = slow / fast
        ok = None if floor is None else ratio >= floor
        rows.append({"task": task, "vectorized_s": fast, "loop_s": slow, "loop_note": note,
                     "ratio": ratio, "floor": floor, "pass": ok, "same_result": same})

    # 1. similarity from judgments
    def loop_similarity():
        counts = [[0] * n_items for _ in range(n_items)]
        kept = [[0] * n_items for _ in range(n_items)]
        for (a, b, c), o in zip(T, ODD, strict=True):
            for x, y in ((a, b), (a, c), (b, c)):
                counts[x][y] += 1
                counts[y][x] += 1
            k1, k2 = [(b, c), (a, c), (a, b)][o]
            kept[k1][k2] += 1
            kept[k2][k1] += 1
        return [[kept[i][j] / counts[i][j] if counts[i][j] else float("nan")
                 for j in range(n_items)] for i in range(n_items)]

    fast, js = timed(lambda: similarity_from_judgments(triplets, odd, n_items), repeat=20)
    slow, ref = timed(loop_similarity, repeat=5)
    ref = np.array(ref)
    np.fill_diagonal(ref, 1.0)
    add("similarity from judgments", fast, slow, "all trials", FLOOR_RATIO,
        bool(np.allclose(ref, js.similarity, equal_nan=True)))

    # 2. OOO accuracy (argmax rule)
    S = model.tolist()

    def score(t: tuple[int, int, int], o: int) -> float:
        a, b, c = t
        s = (S[b][c], S[a][c], S[a][b])
        keep = s[o]
        return float(keep > s[(o + 1) % 3] and keep > s[(o + 2) % 3])

    def loop_ooo() -> float:
        return sum(score(t, o) for t, o in zip(T, ODD, strict=True)) / n

    fast, acc = timed(lambda: ooo_accuracy(model, triplets, odd, "argmax"), repeat=20)
    slow, acc_loop = timed(loop_ooo, repeat=5)
    add("OOO accuracy (argmax)", fast, slow, "all trials", FLOOR_RATIO,
        abs(acc.accuracy - acc_loop) < 1e-12)

    # 3a. 1,000-resample bootstrap of OOO accuracy (unit: trials)
    n_boot, k_boot = 1000, 20

    def loop_bootstrap(k: int) -> list[float]:
        rng = np.random.default_rng(0)
        out = []
        for _ in range(k):
            draw = rng.integers(0, n, n).tolist()
            out.append(sum(score(T[i], ODD[i]) for i in draw) / n)
        return out

    fast, boot = timed(lambda: bootstrap(acc.correct, n_boot, rng=0, unit="trials"))
    slow_k, loop_samples = timed(lambda: loop_bootstrap(k_boot))
    same = abs(np.mean(loop_samples) - boot.samples.mean()) < 4 * boot.sd
    add("bootstrap OOO accuracy, 1000 x trials", fast, slow_k * n_boot / k_boot,
        f"{k_boot} resamples x {n_boot // k_boot}", FLOOR_RATIO, bool(same))

    # 3b. 1,000-resample bootstrap of R² (unit: videos), loop over resamples with scipy
    k_vid = 10
    iu_i, iu_j = np.nonzero(np.triu(js.observed[np.ix_(indices, indices)], 1))

    def loop_video_bootstrap(k: int) -> list[float]:
        rng = np.random.default_rng(0)
        out = []
        for _ in range(k):
            v = indices[rng.integers(0, indices.size, indices.size)]
            a, b = np.triu_indices(v.size, 1)
            va, vb = v[a], v[b]
            keep = (va != vb) & js.observed[va, vb]
            lo, hi = np.minimum(va[keep], vb[keep]), np.maximum(va[keep], vb[keep])
            out.append(stats.spearmanr(model[lo, hi], js.similarity[lo, hi]).statistic ** 2)
        return out

    fast, vb = timed(lambda: bootstrap_alignment(
        model, js.similarity, js.observed, indices, "videos", n_boot, rng=0))
    slow_k, loop_r2 = timed(lambda: loop_video_bootstrap(k_vid))
    add("bootstrap R², 1000 x videos", fast, slow_k * n_boot / k_vid,
        f"{k_vid} resamples x {n_boot // k_vid}, loop over resamples (scipy)", None,
        bool(abs(np.mean(loop_r2) - vb["r2"].samples.mean()) < 4 * vb["r2"].sd + 1e-4))
    del iu_i, iu_j

    # 4. 100-split split-half ceiling
    n_splits, k_split = 100, 4
    codes = np.unique(participants, return_inverse=True)[1].tolist()
    n_part = max(codes) + 1
    idx_set = set(indices.tolist())

    def loop_ceiling(k: int) -> list[float]:
        rng = np.random.default_rng(0)
        out = []
        for _ in range(k):
            half = set(rng.permutation(n_part)[: n_part // 2].tolist())
            c = [{}, {}]
            kp = [{}, {}]
            for (a, b, cc), o, who in zip(T, ODD, codes, strict=True):
                h = 0 if who in half else 1
                for x, y in ((a, b), (a, cc), (b, cc)):
                    key = (min(x, y), max(x, y))
                    c[h][key] = c[h].get(key, 0) + 1
                k1, k2 = [(b, cc), (a, cc), (a, b)][o]
                key = (min(k1, k2), max(k1, k2))
                kp[h][key] = kp[h].get(key, 0) + 1
            pairs = [p for p in c[0] if p in c[1] and p[0] in idx_set and p[1] in idx_set]
            xa = [kp[0].get(p, 0) / c[0][p] for p in pairs]
            xb = [kp[1].get(p, 0) / c[1][p] for p in pairs]
            r = stats.spearmanr(xa, xb).statistic
            out.append(2 * r / (1 + r))
        return out

    fast, ceil = timed(lambda: split_half_ceiling(
        triplets, odd, participants, n_items, indices, n_splits, rng=0))
    slow_k, loop_rsb = timed(lambda: loop_ceiling(k_split))
    add(f"split-half ceiling, {n_splits} splits", fast, slow_k * n_splits / k_split,
        f"{k_split} splits x {n_splits // k_split}", FLOOR_RATIO,
        bool(abs(np.mean(loop_rsb) - ceil.r_sb) < 4 * ceil.sd + 1e-3))
    ceiling_ok = rows[-1]["vectorized_s"] < FLOOR_CEILING_S

    passed = all(r["pass"] is not False for r in rows) and ceiling_ok
    report = {
        "data": source, "n_trials": n, "n_items": int(indices.size),
        "threads": args.threads, "rows": rows,
        "ceiling_under_5s": ceiling_ok, "pass": passed,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"data: {source}; {n} trials, {indices.size} videos; {args.threads} threads")
        print(f"{'task':40s} {'vector s':>9s} {'loop s':>9s} {'ratio':>8s}  floor  ok   same  loop")
        for r in rows:
            floor = "-" if r["floor"] is None else f"{r['floor']:.0f}x"
            ok = "-" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL")
            print(f"{r['task']:40s} {r['vectorized_s']:9.4f} {r['loop_s']:9.2f} "
                  f"{r['ratio']:7.0f}x  {floor:>5s}  {ok:4s} {r['same_result']!s:5s} "
                  f"{r['loop_note']}")
        print(f"split-half ceiling, 100 splits: {rows[-1]['vectorized_s']:.2f} s "
              f"({'PASS' if ceiling_ok else 'FAIL'} < {FLOOR_CEILING_S:.0f} s); "
              f"r_sb = {ceil.r_sb:.3f} (loop estimate {np.mean(loop_rsb):.3f})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
