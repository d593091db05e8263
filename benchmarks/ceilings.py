"""OOO ceilings that are ceilings: the estimators against SocialWorld's true ceiling, and the
ceilings of the paper's data.

    python benchmarks/ceilings.py [--socialworld DIR] [--replicates 200] [--json]

SocialWorld (the demo profile's instance, synthesized into the cache when absent, or
``--socialworld DIR``): the simulated observers give every trial's choice probabilities, so the
true OOO ceiling of a split is known (the mean over trials of the largest population choice
probability of the trial's triplet; ``socalign.data.socialworld.calibration.true_ooo_ceiling``).
For the test and train splits the script prints the truth beside two estimators, on the
benchmark's own choices and over choice sets re-drawn from the true per-trial probabilities
(``ceiling_bias``): the OOO *reliability* (leave-one-out agreement of repeated triplets) and the
OOO *ceiling* (``socalign.metrics.ooo_ceiling``, empirical-Bayes Dirichlet-multinomial). Floors,
on every split: |bias of the ceiling| < 0.03, and smaller than the reliability's |bias|.

Then ``benchmark_ceilings`` (the one function behind ``socalign ceiling`` and the book) on the
test and train splits of SocialWorld and of garcia2025 (``$SOCALIGN_GARCIA2025``,
``$SOCALIGN_DATA`` or ../shared/data/garcia2025; skipped when absent): R² ceiling, reliability,
OOO reliability and OOO ceiling. Exit status 1 when a floor is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

FLOOR_BIAS = 0.03
SPLITS = ("test", "train")


sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import find_real  # noqa: E402  (the benchmarks' one lookup of a local garcia2025)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socialworld", type=Path, help="a SocialWorld folder (default: demo)")
    parser.add_argument("--replicates", type=int, default=200,
                        help="re-drawn choice sets for the test split (train: a fifth)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))

    from socalign.data import load_dataset
    from socalign.data.socialworld.calibration import ceiling_bias
    from socalign.metrics import benchmark_ceilings

    if args.socialworld is None:
        from socalign.book.artifacts import socialworld_benchmark
        from socalign.profiles import profile_settings

        world = socialworld_benchmark(profile_settings("demo"))
    else:
        world = args.socialworld
    sw = load_dataset(world)
    bias_rows = []
    for split in SPLITS:
        n_rep = args.replicates if split == "test" else max(1, args.replicates // 5)
        start = time.perf_counter()
        b = ceiling_bias(sw, split, n_replicates=n_rep, seed=0).to_dict()
        new, old = b["ooo_ceiling"], b["ooo_reliability"]
        b["pass"] = bool(abs(new["bias"]) < FLOOR_BIAS and abs(new["bias"]) < abs(old["bias"]))
        b["seconds"] = time.perf_counter() - start
        bias_rows.append(b)

    benchmarks = {"SocialWorld": sw}
    real = find_real()
    if real is not None:
        benchmarks["garcia2025"] = load_dataset(real)
    ceiling_rows = []
    for name, bench in benchmarks.items():
        for split in SPLITS:
            start = time.perf_counter()
            c = benchmark_ceilings(bench, split, n_splits=100, seed=0)
            q = c.quantities()
            ceiling_rows.append({
                "benchmark": name, "split": split, "n_trials": c.n_trials,
                **{k: v["estimate"] for k, v in q.items()},
                "ooo_concentration": c.ooo.concentration,
                "n_repeated_trials": c.ooo.n_repeated_trials,
                "repeats_mean": c.ooo.repeats_mean,
                "seconds": time.perf_counter() - start,
            })
    passed = all(r["pass"] for r in bias_rows)
    report = {
        "socialworld": str(world),
        "garcia2025": None if real is None else str(real),
        "floor": {"abs_bias_below": FLOOR_BIAS, "and_below_reliability_abs_bias": True},
        "bias": bias_rows,
        "ceilings": ceiling_rows,
        "pass": passed,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if passed else 1
    print(f"SocialWorld: {world}")
    print("OOO accuracy ceiling estimators vs the truth (argmax rule; bias = mean over re-drawn "
          "choice sets - truth)")
    print(f"{'split':6s} {'trials':>6s} {'truth':>6s} {'per-trial':>9s}   "
          f"{'reliability: obs':>16s} {'bias':>7s} {'sd':>6s}   "
          f"{'ceiling: obs':>12s} {'bias':>7s} {'sd':>6s}   {'reps':>4s}  floor")
    for b in bias_rows:
        old, new = b["ooo_reliability"], b["ooo_ceiling"]
        print(f"{b['split']:6s} {b['n_trials']:6d} {b['truth']:6.3f} {b['truth_per_trial']:9.3f}   "
              f"{old['observed']:16.3f} {old['bias']:+7.3f} {old['sd']:6.3f}   "
              f"{new['observed']:12.3f} {new['bias']:+7.3f} {new['sd']:6.3f}   "
              f"{b['n_replicates']:4d}  {'PASS' if b['pass'] else 'FAIL'} "
              f"(|ceiling bias| < {FLOOR_BIAS} and < |reliability bias|)")
    print()
    print("benchmark_ceilings (100 participant splits, seed 0); R² ceiling = reliability r_SB")
    print(f"{'benchmark':12s} {'split':6s} {'trials':>6s} {'R2 ceil':>7s} {'reliab':>7s} "
          f"{'OOO rel':>7s} {'OOO ceil':>8s} {'a':>6s} {'rep. trials':>11s} {'repeats':>7s}")
    for r in ceiling_rows:
        print(f"{r['benchmark']:12s} {r['split']:6s} {r['n_trials']:6d} {r['r2_ceiling']:7.3f} "
              f"{r['reliability']:7.3f} {r['ooo_reliability']:7.3f} {r['ooo_ceiling']:8.3f} "
              f"{r['ooo_concentration']:6.3f} {r['n_repeated_trials']:11d} {r['repeats_mean']:7.2f}")
    if real is None:
        print("garcia2025: not found ($SOCALIGN_GARCIA2025, $SOCALIGN_DATA or "
              "../shared/data/garcia2025): skipped")
    print(f"{'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
