"""Speed of the linear probes: 1,000-permutation probes, 5 attributes, 250 videos x 768 features.

Prints the wall time of ``socalign.analyses.probes.probe_arrays`` (ridge with CV, vectorised
permutations and bootstrap) and, beside it, the permutation step alone done the vectorised way
and as a naive loop calling ``scipy.stats.pearsonr`` once per permutation, with their ratio.
Run: ``python benchmarks/analyses.py [--threads 2]``.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=250)
    parser.add_argument("--features", type=int, default=768)
    parser.add_argument("--attributes", type=int, default=5)
    parser.add_argument("--perm", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))

    import numpy as np
    from scipy.stats import pearsonr

    from socalign.analyses.probes import permutation_pvalue_r, probe_arrays

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.videos, args.features))
    weights = rng.normal(size=(args.features, args.attributes))
    Y = X @ weights + 20 * rng.normal(size=(args.videos, args.attributes))
    targets = {f"attr{i}": Y[:, i] for i in range(args.attributes)}
    n_train = int(0.8 * args.videos)
    train, test = np.arange(n_train), np.arange(n_train, args.videos)

    start = time.perf_counter()
    result = probe_arrays(X, targets, train, test, n_perm=args.perm, n_boot=1000, seed=0)
    full = time.perf_counter() - start
    print(f"probe_arrays: {args.attributes} attributes, {args.videos} videos x {args.features} "
          f"features, {args.perm} permutations + 1000 bootstrap: {full:.2f} s "
          f"({'PASS' if full < 10 else 'FAIL'} < 10 s)")
    print("  r per attribute:", ", ".join(f"{row.r:.2f}" for row in result.rows))

    pred = rng.normal(size=test.size)
    target = Y[test, 0]
    start = time.perf_counter()
    for _ in range(args.attributes):
        permutation_pvalue_r(pred, target, args.perm, np.random.default_rng(1))
    vectorised = time.perf_counter() - start
    start = time.perf_counter()
    loop_rng = np.random.default_rng(1)
    for _ in range(args.attributes):
        observed = pearsonr(pred, target)[0]
        hits = sum(pearsonr(pred, loop_rng.permutation(target))[0] >= observed
                   for _ in range(args.perm))
        _ = (1 + hits) / (1 + args.perm)
    naive = time.perf_counter() - start
    print(f"permutations only: vectorised {vectorised * 1e3:.1f} ms, naive loop "
          f"{naive * 1e3:.1f} ms, ratio {naive / vectorised:.0f}x")


if __name__ == "__main__":
    main()
