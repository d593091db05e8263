"""``socalign ceiling`` and ``socalign evaluate``: noise ceilings and model scores on a split."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.arguments import (
    add_dataset_argument,
    add_dataset_mismatch_flag,
    check_files_dataset,
)
from socalign.cli.errors import CliError
from socalign.cli.output import fmt, fmt_ci, format_fields, format_table, join_blocks, rest, section
from socalign.cli.parser import add_command


def _split(value: str | None) -> str | None:
    return None if value in (None, "all") else value


def ceiling_command(args: argparse.Namespace) -> dict[str, Any]:
    """Noise ceilings and reliabilities of a split (:func:`socalign.scoring.ceilings`, that is
    :func:`socalign.metrics.benchmark_ceilings`).

    The result keeps ``split_half`` and ``ooo_consistency`` (the reliabilities) and adds
    ``ooo_ceiling`` (the empirical-Bayes OOO-accuracy ceiling) and ``ceilings`` (the R² ceiling,
    the reliability, the OOO reliability and the OOO ceiling, each with its rule and meaning).
    """
    from socalign.data import load_dataset
    from socalign.scoring import ceilings

    if args.n_splits < 1:
        raise CliError(f"--n-splits must be at least 1, got {args.n_splits}")
    benchmark = load_dataset(args.dataset)
    split = _split(args.split)
    if len(benchmark.split_trials(split)) == 0:
        raise CliError(f"split {args.split!r} has no trials")
    result = ceilings(benchmark, split, n_splits=args.n_splits, seed=args.seed)
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
    from socalign.models.embeddings import load_embeddings, load_similarity
    from socalign.scoring import evaluate

    if args.n_boot < 0:
        raise CliError(f"--n-boot must be >= 0, got {args.n_boot}")
    benchmark = load_dataset(args.dataset)
    split = _split(args.split)
    needed = benchmark.split_indices(split)
    check_files_dataset([args.embeddings, args.similarity], benchmark, args)
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


def _header(result: dict[str, Any], what: str) -> str:
    return f"{what}: {result.get('dataset')}, split {result.get('split')} (seed {result.get('seed')})"


_CEILING_KEYS = ("dataset", "split", "n_trials", "split_half", "ooo_consistency", "seed",
                 "ooo_ceiling", "ceilings")
_CEILING_NAMES = {
    "r2_ceiling": "R² ceiling",
    "reliability": "similarity reliability",
    "ooo_reliability": "OOO reliability",
    "ooo_ceiling": "OOO-accuracy ceiling",
}


def _wrapped(label: str, text: str, width: int = 96) -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent=f"{label}: ", subsequent_indent="    ")


def ceiling_text(result: dict[str, Any]) -> str:
    """``socalign ceiling`` for people: ceilings and reliabilities, each with its unit and rule.

    Parameters
    ----------
    result
        The ``ceiling --json`` object.

    Returns
    -------
    str
        A table of the ceilings and reliabilities, what each one is, then the details of the
        split-half and repeated-triplet estimates; keys it does not know are printed last.
    """
    half = result.get("split_half") or {}
    cons = result.get("ooo_consistency") or {}
    head = f"{_header(result, 'noise ceilings')}; {fmt(result.get('n_trials'))} trials"
    blocks = [head]
    ceilings = result.get("ceilings") or {}
    if ceilings:
        rows = [
            {"measure": _CEILING_NAMES.get(key, key),
             "estimate": fmt_ci(c.get("estimate"), c.get("low"), c.get("high")),
             "unit": c.get("unit"),
             "from": f"{fmt(c.get('n'))} {c.get('n_of', '')}".strip()}
            for key, c in ceilings.items()
        ]
        blocks.append(format_table(rows))
        blocks.append("\n".join(
            _wrapped(_CEILING_NAMES.get(key, key), f"{c.get('rule')}. {c.get('meaning')}.")
            for key, c in ceilings.items()
        ))
    if half:
        unit = half.get("unit", "participants (random halves)")
        blocks.append(section(
            f"split-half reliability of the judged similarity ({half.get('correlation')} "
            f"correlation over video pairs; {fmt(half.get('n_splits'))} random halves of "
            f"{fmt(half.get('n_participants'))} participants)",
            format_fields([
                ("r (one half vs the other)", fmt_ci(half.get("r")),
                 f"sd {fmt(half.get('sd_r'))} over splits"),
                ("r_sb (Spearman–Brown, all participants)",
                 fmt_ci(half.get("r_sb"), half.get("low"), half.get("high")),
                 f"[{half.get('interval', '2.5 and 97.5 percentiles over splits')}]"),
                ("r_sb²", fmt(half.get("r2_sb")), "squared reliability"),
                ("R² ceiling", fmt(half.get("r2_ceiling")),
                 "bound on a model's R² (squared Spearman): the reliability r_sb"),
                ("pairs per half (mean)", fmt(half.get("n_pairs_mean")), f"resampled: {unit}"),
            ]),
        ))
    if cons:
        blocks.append(section(
            "OOO consistency of repeated triplets (each trial vs the majority of the other "
            "repeats; argmax rule)",
            format_fields([
                ("leave-one-out agreement", fmt(cons.get("loo_agreement")),
                 f"chance {fmt(cons.get('chance'))}"),
                ("trials in repeated triplets", fmt(cons.get("n_trials")),
                 f"{fmt(cons.get('n_triplets'))} triplets, of {fmt(cons.get('n_trials_total'))} "
                 "trials"),
            ]) + ("\n" + _wrapped("ties", str(cons["ties"])) if cons.get("ties") else ""),
        ))
    ooo = result.get("ooo_ceiling") or {}
    if ooo:
        text = {k: v for k, v in ooo.items() if isinstance(v, str)}
        numbers = [(k.replace("_", " "), v) for k, v in ooo.items() if k not in text]
        body = format_fields(numbers)
        if text:
            body += "\n" + "\n".join(_wrapped(k, v) for k, v in text.items())
        blocks.append(section("OOO-accuracy ceiling (empirical Bayes over triplets)", body))
    blocks.append(rest(result, _CEILING_KEYS))
    return join_blocks(*blocks)


_STAT_LABELS = {
    "r2": "R² (squared Spearman over video pairs)",
    "spearman": "Spearman r (video pairs)",
    "pearson": "Pearson r (video pairs)",
}
_EVALUATE_KEYS = ("dataset", "embeddings", "similarity", "split", "metric", "r2", "spearman",
                  "pearson", "ooo_accuracy", "chance", "n_pairs", "n_trials", "n_videos", "ci",
                  "seed")


def evaluation_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per statistic of an evaluation dict: value, 95% interval, resampling unit."""
    ci = result.get("ci") or {}

    def row(label: str, value: Any, iv: dict[str, Any] | None) -> dict[str, Any]:
        iv = iv or {}
        level = iv.get("level")
        return {
            "statistic": label,
            "value": value,
            "interval": (f"[{fmt(iv.get('low'))}, {fmt(iv.get('high'))}]" if iv else ""),
            "level": (f"{fmt(100 * level, 2)}%" if level is not None else ""),
            "resampled": (f"{iv.get('unit')} x {iv.get('n_boot')}" if iv else "none"),
        }

    rows = [row(_STAT_LABELS[k], result.get(k), ci.get(k)) for k in ("r2", "spearman", "pearson")]
    chance = result.get("chance") or {}
    for rule, value in (result.get("ooo_accuracy") or {}).items():
        rows.append(row(f"OOO accuracy, {rule} rule (chance {fmt(chance.get(rule))})", value,
                        (ci.get("ooo_accuracy") or {}).get(rule)))
    return rows


def evaluate_text(result: dict[str, Any]) -> str:
    """``socalign evaluate`` for people: one row per statistic with its interval and unit."""
    source = result.get("embeddings") or result.get("similarity")
    what = "embeddings" if result.get("embeddings") else "similarity"
    metric = f" ({result.get('metric')} similarity)" if result.get("metric") else ""
    head = (f"{what} {source}{metric} vs human judgments of {result.get('dataset')}, split "
            f"{result.get('split')}: {fmt(result.get('n_videos'))} videos, "
            f"{fmt(result.get('n_pairs'))} judged pairs, {fmt(result.get('n_trials'))} trials "
            f"(seed {result.get('seed')})")
    table = format_table(evaluation_rows(result), {
        "statistic": "statistic", "value": "value", "interval": "interval", "level": "level",
        "resampled": "resampled (bootstrap)"})
    return join_blocks(head, table, rest(result, _EVALUATE_KEYS))


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ceiling`` and ``evaluate``."""
    p = add_command(
        sub, "ceiling", ceiling_command,
        "noise ceilings of a split: split-half over participants (Spearman–Brown) "
        "and OOO consistency of repeated triplets",
        human=ceiling_text,
    )
    add_dataset_argument(p)
    p.add_argument("--split", default="all", help="split name, or 'all'")
    p.add_argument("--n-splits", type=int, default=100, help="random participant splits")
    p.add_argument("--seed", type=int, default=0, help="random seed")

    p = add_command(
        sub, "evaluate", evaluate_command,
        "score embeddings or a model similarity against a split's human judgments "
        "(R² = squared Spearman, Pearson, OOO accuracy under the argmax and pair rules, CIs)",
        human=evaluate_text,
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
    p.add_argument("--split", default="all", help="split name, or 'all'")
    p.add_argument(
        "--metric", choices=("cosine", "correlation", "dot"), default="cosine",
        help="similarity of embeddings",
    )
    p.add_argument(
        "--n-boot", type=int, default=1000,
        help="bootstrap resamples (videos for correlations, trials for OOO); 0 = no CIs",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")
    add_dataset_mismatch_flag(p)
