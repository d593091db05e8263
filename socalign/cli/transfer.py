"""``socalign transfer``: a linear probe of each frozen backbone for labelled videos (PHASE).

The statistics are :mod:`socalign.analyses.transfer`'s; this module parses ``--backbones``,
embeds the videos once per backbone (:func:`socalign.analyses.transfer.backbone_embeddings`)
and prints the result.
"""

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
from socalign.cli.output import fmt, fmt_ci, fmt_p, format_table, join_blocks, rest, section
from socalign.cli.parser import add_command, progress_enabled
from socalign.progress import working

#: :mod:`socalign.analyses.transfer`'s ``PROTOCOLS``, ``DEFAULT_FOLDS`` and ``DEFAULT_REPEATS``,
#: written out so that building the parser imports no analysis (scipy, scikit-learn); a test
#: checks that they agree.
PROTOCOLS = ("auto", "paper", "cv")
DEFAULT_FOLDS = 5
DEFAULT_REPEATS = 20


def parse_backbones(value: str) -> dict[str, str]:
    """``--backbones LABEL=SOURCE[,LABEL=SOURCE...]`` -> {label: source}, in order.

    Parameters
    ----------
    value : str
        The argument, e.g. ``pretrained=toy,finetuned=runs/hybrid``.

    Returns
    -------
    dict of str to str
        Each label with its source (a model name or folder, a run or export folder, an
        embeddings file).

    Raises
    ------
    CliError
        An empty list, an item without ``=`` or with an empty side, a label given twice.
    """
    out: dict[str, str] = {}
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise CliError(f"--backbones: empty list {value!r}", "--backbones")
    for item in items:
        label, sep, source = item.partition("=")
        label, source = label.strip(), source.strip()
        if not sep or not label or not source:
            raise CliError(f"--backbones expects LABEL=SOURCE[,LABEL=SOURCE...] (e.g. "
                           f"pretrained=MODEL,finetuned=RUN_DIR), got {item!r}", "--backbones")
        if label in out:
            raise CliError(f"--backbones: label {label!r} given twice", "--backbones")
        out[label] = source
    return out


def transfer_command(args: argparse.Namespace) -> dict[str, Any]:
    """Probe each backbone's frozen embeddings of DATASET's videos for their labels.

    The ``--json`` object: ``dataset``; ``sources`` (label -> what ``--backbones`` named);
    ``protocol`` (``paper`` or ``cv``) and ``protocol_description`` (in words); ``classes``;
    ``chance`` (``uniform`` 1/K, ``majority`` the most frequent label's share of the evaluated
    videos, ``majority_label``, ``of``); ``n_train`` (paper; null under cv), ``n_test`` (the
    evaluated videos), ``folds`` and ``repeats`` (cv; null under paper); ``backbones``, one
    object per backbone: ``name``, ``accuracy``, ``ci`` [low, high], ``interval`` (what the
    interval is: Wilson under paper, a bootstrap over videos under cv), ``versus_chance``
    (words that follow the interval), ``n_videos``, ``n_correct`` (paper), ``n_features``,
    ``per_class`` (``label``, ``accuracy``, ``n_videos``), ``confusion`` (``labels``,
    ``counts`` with true labels as rows; under cv the mean over repeats), ``C`` (``chosen``:
    value -> fits, ``n_fits``, ``on_grid_edge``); ``comparisons``, one per pair (later minus
    earlier): ``of``, ``a``, ``b``, ``difference``, ``ci``, ``interval``, ``p_bootstrap``,
    ``verdict``, ``mcnemar`` (``a_only_correct``, ``b_only_correct``, ``p_value``, ``test``,
    ``on``); ``probe``; ``c_grid``; ``ci_level``; ``n_boot``; ``seed``; ``notes``;
    ``paper_v2`` (the paper's reported figures, ``measured_here: false``, never mixed with the
    measured rows).

    Parameters
    ----------
    args : argparse.Namespace
        ``dataset``, ``backbones``, ``protocol``, ``folds``, ``repeats``, ``n_boot``, ``seed``.

    Returns
    -------
    dict
        The object above.
    """
    from socalign.analyses.transfer import backbone_embeddings, plan_transfer, transfer_benchmark
    from socalign.data import load_dataset
    from socalign.progress import progress_bar

    sources = parse_backbones(args.backbones)
    if args.n_boot < 0:
        raise CliError(f"--n-boot must be >= 0, got {args.n_boot}", "--n-boot")
    if args.folds < 2:
        raise CliError(f"--folds must be >= 2, got {args.folds}", "--folds")
    if args.repeats < 1:
        raise CliError(f"--repeats must be >= 1, got {args.repeats}", "--repeats")
    benchmark = load_dataset(args.dataset)
    plan_transfer(benchmark, args.protocol, args.folds)  # the labels, before any embedding
    check_files_dataset(list(sources.values()), benchmark, args)
    show = progress_enabled(args)
    embeddings = {}
    for label in progress_bar(list(sources), "transfer: backbones", show, unit="backbone"):
        embeddings[label] = backbone_embeddings(benchmark, sources[label], progress=show)
    with working(f"transfer: fitting the probes ({args.protocol} protocol)", show):
        result = transfer_benchmark(benchmark, embeddings, args.protocol, folds=args.folds,
                                    repeats=args.repeats, n_boot=args.n_boot, seed=args.seed)
    return {"dataset": benchmark.name, "sources": sources, **result.to_dict()}


_KEYS = ("dataset", "sources", "protocol", "protocol_description", "classes", "chance",
         "n_train", "n_test", "folds", "repeats", "backbones", "comparisons", "probe", "c_grid",
         "ci_level", "n_boot", "seed", "notes", "paper_v2")


def _chosen(c: dict[str, Any]) -> str:
    chosen = c.get("chosen") or {}
    if len(chosen) == 1:
        return next(iter(chosen))
    return ", ".join(f"{value} ({n})" for value, n in chosen.items())


def transfer_text(result: dict[str, Any]) -> str:
    """``socalign transfer`` for people: accuracies, per-class accuracy, comparisons, the paper.

    Parameters
    ----------
    result
        The ``transfer --json`` object.

    Returns
    -------
    str
        The protocol in words, one line per backbone (accuracy with its interval, against
        chance), per-class accuracy, the paired comparisons, the paper's figures in their own
        block (reported, not measured here), notes.
    """
    level = f"{fmt(100 * (result.get('ci_level') or 0.95), 2)}%"
    chance = result.get("chance") or {}
    classes = result.get("classes") or []
    paper = result.get("protocol") == "paper"
    rows, per_class = [], []
    for b in result.get("backbones") or []:
        ci = b.get("ci") or [None, None]
        row = {"backbone": b.get("name"), f"accuracy [{level} CI]": fmt_ci(b.get("accuracy"), *ci),
               "against chance": b.get("versus_chance")}
        if paper:
            row["correct"] = f"{b.get('n_correct')}/{b.get('n_videos')}"
        row.update({"features": b.get("n_features"), "C": _chosen(b.get("C") or {})})
        rows.append(row)
        per_class.append({"backbone": b.get("name"),
                          **{f"{c.get('label')} (n={fmt(c.get('n_videos'))})": c.get("accuracy")
                             for c in b.get("per_class") or []}})
    head = (f"transfer: {result.get('dataset')}, {len(classes)} labels ({', '.join(classes)}); "
            f"{result.get('protocol_description')} (seed {result.get('seed')})")
    blocks = [head, format_table(rows)]
    blocks.append(section("accuracy per label (share of its videos the probe labels correctly)",
                          format_table(per_class)))
    comparisons = []
    for c in result.get("comparisons") or []:
        test = c.get("mcnemar") or {}
        comparisons.append({
            "comparison": c.get("of"), f"difference [{level} CI]": fmt_ci(c.get("difference"),
                                                                          *(c.get("ci") or [None, None])),
            "verdict": c.get("verdict"), "McNemar": fmt_p(test.get("p_value")),
            f"only {c.get('b')} right": test.get("b_only_correct"),
            f"only {c.get('a')} right": test.get("a_only_correct"),
        })
    if comparisons:
        blocks.append(section("paired comparisons (same videos)", format_table(comparisons)))
    first = (result.get("backbones") or [{}])[0]
    cmp = (result.get("comparisons") or [{}])[0]
    legend = (f"accuracy: share of the {'test videos' if paper else 'videos (out of fold)'} whose "
              f"label the probe predicts; {level} interval: {first.get('interval')}; chance: "
              f"{fmt(chance.get('uniform'))} (1/{len(classes)}) and the majority-class share "
              f"{fmt(chance.get('majority'))} ({chance.get('majority_label')}); the words follow "
              f"the interval. Probe: {result.get('probe')}.")
    if comparisons:
        legend += (f" Differences: {cmp.get('interval')}; McNemar's exact test on "
                   f"{(cmp.get('mcnemar') or {}).get('on')}.")
    blocks.append(textwrap.fill(legend, width=96))
    reported = result.get("paper_v2") or {}
    if reported:
        table = [{"model": r.get("model"),
                  "accuracy [95% CI]": fmt_ci(r.get("accuracy"), *(r.get("ci") or [None, None]))}
                 for r in reported.get("rows") or []]
        blocks.append(section(
            f"the paper's (v2) figures: reported, not measured here ({reported.get('protocol')}; "
            f"chance {fmt(reported.get('chance'))})", format_table(table)))
    notes = result.get("notes") or []
    if notes:
        blocks.append(section("notes", "\n".join(f"- {n}" for n in notes)))
    blocks.append(rest(result, _KEYS))
    return join_blocks(*blocks)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``transfer``."""

    p = add_command(
        sub, "transfer", transfer_command,
        "transfer to labelled videos (PHASE): a logistic probe on each frozen backbone, "
        "held-out accuracy with its interval, per-label accuracy, and paired comparisons "
        "(McNemar's exact test, a paired bootstrap); the paper's figures beside",
        human=transfer_text,
    )
    add_dataset_argument(p)
    add_dataset_mismatch_flag(p)
    p.add_argument(
        "--backbones", required=True, metavar="LABEL=SOURCE[,...]",
        help="comma-separated LABEL=SOURCE; SOURCE is a model name or folder (toy, a hub id), a "
        "socalign finetune run or socalign export folder (its encoder, adapters in), or an "
        "embeddings file (.npz/.npy), e.g. pretrained=MODEL,finetuned=RUN_DIR",
    )
    p.add_argument(
        "--protocol", choices=PROTOCOLS, default="auto",
        help="paper: train on the 'main' set, test on the 'generalization' set (videos.csv "
        "column 'set'); cv: repeated stratified k-fold within the videos; auto: paper when "
        "both sets are there, else cv",
    )
    p.add_argument("--folds", type=int, default=DEFAULT_FOLDS, help="cv protocol: folds")
    p.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                   help="cv protocol: repeats of the k-fold partition")
    p.add_argument("--n-boot", type=int, default=1000,
                   help="bootstrap resamples of videos (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and resamples")
