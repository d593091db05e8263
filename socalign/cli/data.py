"""``socalign data ...``: fetch, describe and summarise benchmarks (and ``data synth``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from socalign.cli import synth
from socalign.cli.common import CliError, add_command, add_dataset_argument, add_group


def fetch_command(args: argparse.Namespace) -> dict[str, Any]:
    """Download a registered dataset from its pinned source, verifying hashes."""
    from socalign.data import garcia2025

    if args.name != "garcia2025":
        raise CliError(f"unknown dataset {args.name!r}; registered: ['garcia2025']")
    root = garcia2025.fetch(args.dest, base_url=args.url, progress=not args.json)
    garcia2025.verify(root)
    return {
        "dataset": args.name,
        "path": str(root),
        "commit": garcia2025.COMMIT,
        "n_files": len(garcia2025.FILES),
        "verified": True,
    }


def info_command(args: argparse.Namespace) -> dict[str, Any]:
    """Summarise a benchmark: counts, splits, exclusions, attention check, calibration."""
    from socalign.data import load_dataset
    from socalign.data.summary import summarize

    return summarize(load_dataset(args.dataset)).to_dict()


def similarity_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write the judged similarity of a split's videos (NaN on pairs never shown together)."""
    from socalign.cache import atomic_save_npz
    from socalign.data import load_dataset
    from socalign.metrics import similarity_from_judgments

    benchmark = load_dataset(args.dataset)
    trials = benchmark.split_trials(args.split)
    indices = benchmark.split_indices(args.split)
    judged = similarity_from_judgments(trials.triplets, trials.odd, len(benchmark.videos))
    sub = judged.similarity[indices][:, indices]
    counts = judged.counts[indices][:, indices]
    out = Path(args.out)
    if out.suffix != ".npz":
        raise CliError(f"--out must end in .npz, got {out}")
    atomic_save_npz(out, ids=benchmark.videos.ids[indices], similarity=sub, counts=counts)
    observed = judged.observed[indices][:, indices]
    return {
        "out": str(out),
        "split": args.split,
        "n_videos": int(indices.size),
        "n_trials": len(trials),
        "n_observed_pairs": int(observed.sum() // 2),
        "n_pairs": int(indices.size * (indices.size - 1) // 2),
    }


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``data fetch|info|similarity|synth``."""
    group = add_group(sub, "data", "fetch, describe and build odd-one-out benchmarks")
    fetch = add_command(group, "fetch", fetch_command, "download a registered dataset (pinned, verified)")
    fetch.add_argument("name", choices=["garcia2025"], help="dataset name")
    fetch.add_argument("--dest", type=Path, default=None, help="folder (default: the user cache)")
    fetch.add_argument("--url", default=None, help="base URL of a mirror of the pinned files")
    info = add_command(group, "info", info_command, "summarise a benchmark")
    add_dataset_argument(info)
    similarity = add_command(
        group, "similarity", similarity_command, "similarity from judgments of a split (.npz)"
    )
    add_dataset_argument(similarity)
    similarity.add_argument("--split", default="train", help="split name, or 'all' (default train)")
    similarity.add_argument("--out", required=True, help="output .npz (ids, similarity, counts)")
    synth.register(group)
