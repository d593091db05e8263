"""``socalign ceiling`` and ``socalign evaluate``: noise ceilings and model scores on a split."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from socalign.cli.arguments import (
    add_dataset_argument,
    add_dataset_mismatch_flag,
    check_files_dataset,
)
from socalign.cli.errors import CliError
from socalign.cli.output import (
    SPREAD_LABEL,
    fmt,
    format_fields,
    format_table,
    join_blocks,
    rest,
    section,
)
from socalign.cli.parser import add_command
from socalign.text import DIGITS


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
#: The R² ceiling and the similarity reliability are one number (r_sb): one row names both.
_R2_IS_RSB = "R² ceiling = r_sb (split-half reliability)"
#: The OOO ceiling's fields that the table and the lines about the three estimates show.
_OOO_SHOWN = ("ceiling", "repeated_ceiling", "prior_ceiling", "chance", "n_trials",
              "n_repeated_trials", "rule", "model")


def _wrapped(label: str, text: str, width: int = 96) -> str:
    return textwrap.fill(text, width=width, initial_indent=f"{label}: ", subsequent_indent="    ")


def _sentence(text: Any) -> str:
    text = str(text or "").strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else ""


def _ceiling_rows(ceilings: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The table's rows (each quantity once) and one line per row saying what it is."""
    r2, rel = ceilings.get("r2_ceiling"), ceilings.get("reliability")
    merged = bool(r2 and rel) and r2.get("estimate") == rel.get("estimate")
    rows, lines = [], []
    for key, c in ceilings.items():
        if merged and key == "reliability":
            continue
        label = _R2_IS_RSB if merged and key == "r2_ceiling" else _CEILING_NAMES.get(key, key)
        spread = (f"{fmt(c.get('low'))} to {fmt(c.get('high'))}"
                  if c.get("low") is not None or c.get("high") is not None else "")
        unit = c.get("unit")
        if merged and key == "r2_ceiling":
            unit = f"{rel.get('unit')}, the bound on R²"
        rows.append({"measure": label, "estimate": c.get("estimate"),
                     "spread over splits": spread, "unit": unit,
                     "from": f"{fmt(c.get('n'))} {c.get('n_of', '')}".strip()})
        if merged and key == "r2_ceiling":
            text = (f"{_sentence(rel.get('rule'))} {_sentence(rel.get('meaning'))} So it is also "
                    f"{r2.get('meaning')}.")
        else:
            text = f"{_sentence(c.get('rule'))} {_sentence(c.get('meaning'))}"
        lines.append(_wrapped(label, text))
    return rows, lines


def _ooo_ceiling_text(ooo: dict[str, Any]) -> str:
    """The OOO ceiling's three estimates (once when they print the same) and its fit."""
    values = {k: ooo.get(k) for k in ("ceiling", "repeated_ceiling", "prior_ceiling")}
    n, n_rep = fmt(ooo.get("n_trials")), fmt(ooo.get("n_repeated_trials"))
    if len({fmt(v) for v in values.values()}) == 1:
        lines = [textwrap.fill(
            f"The OOO-accuracy ceiling above is one value (to {DIGITS} significant digits) whether "
            f"averaged over all {n} trials, over the {n_rep} trials of repeated triplets only, or taken "
            "for a triplet shown once (the fitted prior alone).", width=96,
            subsequent_indent="    ")]
    else:
        lines = [format_fields([
            ("over repeated triplets only", values["repeated_ceiling"],
             f"the same mean over the {n_rep} trials of triplets shown twice or more"),
            ("for a triplet shown once", values["prior_ceiling"],
             "E[max p] under the fitted prior alone, what each once-shown triplet contributes"),
        ]), _wrapped("so", f"the ceiling above ({fmt(values['ceiling'])}, over all {n} trials) "
                     "lies between the two, weighing them by their trials")]
    numbers = [(k.replace("_", " "), v) for k, v in ooo.items()
               if k not in _OOO_SHOWN and not isinstance(v, str)]
    text = [_wrapped(k, str(v)) for k, v in ooo.items()
            if k not in _OOO_SHOWN and isinstance(v, str)]
    if ooo.get("model"):
        text.append(_wrapped("model", str(ooo["model"])))
    return "\n".join([*lines, format_fields(numbers), *text])


def ceiling_text(result: dict[str, Any]) -> str:
    """``socalign ceiling`` for people: each ceiling and reliability once, with unit and rule.

    Parameters
    ----------
    result
        The ``ceiling --json`` object.

    Returns
    -------
    str
        A table of the ceilings and reliabilities (the R² ceiling and the split-half
        reliability r_sb, one number, in one row naming both; the split-half's spread over
        splits labelled as such, not as a confidence interval), what each one is, then the
        details of the split-half, the repeated triplets and the OOO ceiling's fit (its three
        estimates once when they print the same, else one line each); keys it does not know
        are printed last.
    """
    half = result.get("split_half") or {}
    cons = result.get("ooo_consistency") or {}
    head = f"{_header(result, 'noise ceilings')}; {fmt(result.get('n_trials'))} trials"
    blocks = [head]
    ceilings = result.get("ceilings") or {}
    if ceilings:
        rows, lines = _ceiling_rows(ceilings)
        if not any(r["spread over splits"] for r in rows):
            for r in rows:
                del r["spread over splits"]
        blocks.append(format_table(rows))
        if any(r.get("spread over splits") for r in rows):
            lines.insert(0, textwrap.fill(
                f"{SPREAD_LABEL}: how much r_sb varies with which of the "
                f"{fmt(half.get('n_splits'))} random halves of these participants is drawn, "
                "not how it would vary with other participants", width=96,
                subsequent_indent="    "))
        blocks.append("\n".join(lines))
    if half:
        unit = half.get("unit", "participants (random halves)")
        blocks.append(section(
            f"split-half reliability of the judged similarity ({half.get('correlation')} "
            f"correlation over video pairs; {fmt(half.get('n_splits'))} random halves of "
            f"{fmt(half.get('n_participants'))} participants)",
            format_fields([
                ("r (one half vs the other)", fmt(half.get("r")),
                 f"sd {fmt(half.get('sd_r'))} over splits; r_sb = 2r / (1 + r) above"),
                ("r_sb²", fmt(half.get("r2_sb")),
                 "the squared reliability RSA papers quote; not the R² ceiling (which is r_sb)"),
                ("pairs per half (mean)", fmt(half.get("n_pairs_mean")), f"resampled: {unit}"),
            ]),
        ))
    if cons:
        blocks.append(section(
            "OOO reliability: each trial of a repeated triplet vs the majority of its other "
            "showings (argmax rule)",
            format_fields([
                ("trials in repeated triplets", fmt(cons.get("n_trials")),
                 f"{fmt(cons.get('n_triplets'))} triplets, of {fmt(cons.get('n_trials_total'))} "
                 "trials"),
            ]) + ("\n" + _wrapped("ties", str(cons["ties"])) if cons.get("ties") else ""),
        ))
    ooo = result.get("ooo_ceiling") or {}
    if ooo:
        blocks.append(section("OOO-accuracy ceiling (empirical Bayes over triplets)",
                              _ooo_ceiling_text(ooo)))
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
