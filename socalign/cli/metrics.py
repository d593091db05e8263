"""``socalign ceiling`` and ``socalign evaluate``: noise ceilings and model scores on a split."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.common import CliError, add_command, add_dataset_argument


def _split(value: str | None) -> str | None:
    return None if value in (None, "all") else value


def ceiling_command(args: argparse.Namespace) -> dict[str, Any]:
    """Noise ceilings and reliabilities of a split (:func:`socalign.metrics.benchmark_ceilings`).

    The result keeps ``split_half`` and ``ooo_consistency`` (the reliabilities) and adds
    ``ooo_ceiling`` (the empirical-Bayes OOO-accuracy ceiling) and ``ceilings`` (the R² ceiling,
    the reliability, the OOO reliability and the OOO ceiling, each with its rule and meaning).
    """
    from socalign.data import load_dataset
    from socalign.metrics import benchmark_ceilings

    if args.n_splits < 1:
        raise CliError(f"--n-splits must be at least 1, got {args.n_splits}")
    benchmark = load_dataset(args.dataset)
    split = _split(args.split)
    if len(benchmark.split_trials(split)) == 0:
        raise CliError(f"split {args.split!r} has no trials")
    result = benchmark_ceilings(benchmark, split, n_splits=args.n_splits, seed=args.seed)
    if result.split_half is None:
        raise ValueError(result.split_half_error)
    out = result.to_dict()
    return {
        "dataset": benchmark.name,
        "split": args.split,
        "n_trials": result.n_trials,
        "split_half": out["split_half"],
        "ooo_consistency": out["ooo_consistency"],
        "seed": args.seed,
        "ooo_ceiling": out["ooo_ceiling"],
        "ceilings": out["ceilings"],
    }


def evaluate_command(args: argparse.Namespace) -> dict[str, Any]:
    """Score embeddings or a similarity matrix against a split's human judgments."""
    from socalign.data import load_dataset
    from socalign.embeddings import load_embeddings, load_similarity
    from socalign.evaluate import evaluate

    if args.n_boot < 0:
        raise CliError(f"--n-boot must be >= 0, got {args.n_boot}")
    benchmark = load_dataset(args.dataset)
    split = _split(args.split)
    needed = benchmark.split_indices(split)
    if args.embeddings is not None:
        emb = load_embeddings(args.embeddings, benchmark.videos, required=needed)
        result = evaluate(
            benchmark, split, embeddings=emb, metric=args.metric, n_boot=args.n_boot,
            seed=args.seed,
        )
        source = {"embeddings": str(args.embeddings)}
    else:
        sim = load_similarity(args.similarity, benchmark.videos, required=needed)
        result = evaluate(benchmark, split, similarity=sim, n_boot=args.n_boot, seed=args.seed)
        source = {"similarity": str(args.similarity)}
    out = result.to_dict()
    out["split"] = args.split
    return {"dataset": benchmark.name, **source, **out, "seed": args.seed}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ceiling`` and ``evaluate``."""
    p = add_command(
        sub, "ceiling", ceiling_command,
        "noise ceilings of a split: split-half over participants (Spearman–Brown) "
        "and OOO consistency of repeated triplets",
    )
    add_dataset_argument(p)
    p.add_argument("--split", default="all", help="split name, or 'all' (default)")
    p.add_argument("--n-splits", type=int, default=100, help="random participant splits (100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")

    p = add_command(
        sub, "evaluate", evaluate_command,
        "score embeddings or a model similarity against a split's human judgments "
        "(R² = squared Spearman, Pearson, OOO accuracy under the argmax and pair rules, CIs)",
    )
    add_dataset_argument(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--embeddings", metavar="FILE",
        help=".npy (N, D) rows in dataset video order, or .npz with 'ids' and 'embeddings'",
    )
    source.add_argument(
        "--similarity", metavar="FILE",
        help=".npy (N, N) in dataset video order, or .npz with 'ids' and 'similarity'",
    )
    p.add_argument("--split", default="all", help="split name, or 'all' (default)")
    p.add_argument(
        "--metric", choices=("cosine", "correlation", "dot"), default="cosine",
        help="similarity of embeddings (cosine)",
    )
    p.add_argument(
        "--n-boot", type=int, default=1000,
        help="bootstrap resamples (videos for correlations, trials for OOO); 0 = no CIs",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
