"""``socalign gap``, ``partition``, ``probe``, ``rollout``, ``retention``: what fine-tuning changed."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.common import CliError, add_command, add_dataset_argument


def _split(value: str | None) -> str | None:
    return None if value in (None, "all") else value


def _names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise CliError(f"empty list {value!r}")
    return names


def _check_boot(args: argparse.Namespace) -> None:
    if args.n_boot < 0:
        raise CliError(f"--n-boot must be >= 0, got {args.n_boot}")


def _layers(value: str | None, models: list[str] | None) -> dict[str, list[int]] | None:
    """``--choose-layer MODEL:0,1,2`` -> {MODEL: [0, 1, 2]}."""
    if value is None:
        return None
    model, _, layers = value.rpartition(":")
    if not model or not layers:
        raise CliError(f"--choose-layer expects MODEL:L1,L2,..., got {value!r}")
    try:
        chosen = [int(v) for v in layers.split(",")]
    except ValueError as err:
        raise CliError(f"--choose-layer: layers must be integers, got {layers!r}") from err
    if models is not None and model not in models:
        raise CliError(f"--choose-layer names {model!r}, which is not in --models {models}")
    return {model: chosen}


def gap_command(args: argparse.Namespace) -> dict[str, Any]:
    """The modality-gap table of a split."""
    from socalign.analyses.gap import run_gap
    from socalign.data import load_dataset

    _check_boot(args)
    benchmark = load_dataset(args.dataset)
    models = _names(args.models)
    result = run_gap(
        benchmark, models, split=_split(args.split), metric=args.metric, n_boot=args.n_boot,
        seed=args.seed, choose_layers=_layers(args.choose_layer, models),
        train_split=args.train_split,
    )
    return {"dataset": benchmark.name, **result.to_dict(), "split": args.split, "seed": args.seed}


def partition_command(args: argparse.Namespace) -> dict[str, Any]:
    """Variance partitioning (commonality analysis) of human similarity on 2–3 predictors."""
    from socalign.analyses.partition import partition_benchmark
    from socalign.data import load_dataset

    _check_boot(args)
    benchmark = load_dataset(args.dataset)
    result = partition_benchmark(
        benchmark, _names(args.predictors) or [], split=_split(args.split),
        regression=args.regression, metric=args.metric, n_boot=args.n_boot, seed=args.seed,
        names=_names(args.names),
    )
    return {"dataset": benchmark.name, **result.to_dict(), "split": args.split, "seed": args.seed}


def probe_command(args: argparse.Namespace) -> dict[str, Any]:
    """Ridge probes of per-video ratings from embeddings (train videos -> held-out videos)."""
    from socalign.analyses.gap import model_embeddings
    from socalign.analyses.probes import probe_benchmark
    from socalign.data import load_dataset

    _check_boot(args)
    if args.n_perm < 0:
        raise CliError(f"--n-perm must be >= 0, got {args.n_perm}")
    benchmark = load_dataset(args.dataset)
    embeddings = model_embeddings(benchmark, args.embeddings)
    result = probe_benchmark(
        benchmark, embeddings, _names(args.attributes), train_split=args.train_split,
        test_split=args.test_split, embedding=str(args.embeddings), n_perm=args.n_perm,
        n_boot=args.n_boot, seed=args.seed,
    )
    return {"dataset": benchmark.name, **result.to_dict(), "seed": args.seed}


def _backbone(value: str) -> Any:
    """A backbone name/folder, or a ``socalign finetune`` run folder (adapters merged in)."""
    from pathlib import Path

    from socalign.analyses.retention import finetuned_backbone

    path = Path(value)
    if (path / "config.json").exists() and (path / "model").is_dir():
        return finetuned_backbone(path)
    return value


def _labelled_backbones(value: str) -> dict[str, Any]:
    """``--backbones LABEL=NAME,LABEL=RUN_DIR`` -> {label: backbone}."""
    out: dict[str, Any] = {}
    for item in _names(value) or []:
        label, sep, source = item.partition("=")
        if not sep or not label or not source:
            raise CliError(f"--backbones expects LABEL=NAME_OR_FOLDER[,...], got {item!r}")
        if label in out:
            raise CliError(f"--backbones: label {label!r} given twice")
        out[label] = _backbone(source)
    return out


def rollout_command(args: argparse.Namespace) -> dict[str, Any]:
    """Attention rollout of each backbone on the split's clips, divergence and region shares."""
    from socalign.analyses.rollout import benchmark_rollout
    from socalign.data import load_dataset

    if args.max_clips is not None and args.max_clips < 1:
        raise CliError(f"--max-clips must be >= 1, got {args.max_clips}")
    benchmark = load_dataset(args.dataset)
    backbones = _labelled_backbones(args.backbones)
    result = benchmark_rollout(benchmark, backbones, split=_split(args.split),
                               max_clips=args.max_clips)
    return {"dataset": benchmark.name, **result.to_dict(), "split": args.split}


def retention_command(args: argparse.Namespace) -> dict[str, Any]:
    """Held-out action accuracy of a linear probe before vs after fine-tuning."""
    from socalign.analyses.retention import action_retention

    _check_boot(args)
    result = action_retention(args.actions, _backbone(args.before), _backbone(args.after),
                              n_boot=args.n_boot, seed=args.seed)
    return {"actions": str(args.actions), "before": args.before, "after": args.after,
            **result.to_dict(), "seed": args.seed}


def _common(p: argparse.ArgumentParser, split: bool = True) -> None:
    add_dataset_argument(p)
    if split:
        p.add_argument("--split", default="test", help="held-out split (default test; 'all')")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of all resampling")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``gap``, ``partition``, ``probe``, ``rollout`` and ``retention``."""
    p = add_command(
        sub, "gap", gap_command,
        "the modality-gap table: R² and OOO accuracy (both rules) per model with bootstrap "
        "CIs, noise ceilings, and paired tests of the best language vs the best video model",
    )
    _common(p)
    p.add_argument(
        "--models", default=None,
        help="comma-separated models: tfidf, minilm, pixel, oracle, toy, a model name or "
        "folder, or an embeddings file (.npz/.npy). Default: SocialWorld pixel,toy,tfidf,"
        "minilm,oracle; otherwise tfidf,minilm",
    )
    p.add_argument("--metric", default="cosine", help="embedding similarity (cosine, correlation, dot)")
    p.add_argument(
        "--choose-layer", default=None, metavar="MODEL:L1,L2",
        help="choose MODEL's layer among these by R² on --train-split videos (never the test split)",
    )
    p.add_argument("--train-split", default="train", help="split used to choose a layer")

    p = add_command(
        sub, "partition", partition_command,
        "variance partitioning (commonality analysis) of human similarity on 2-3 model "
        "similarities: unique and shared R² with bootstrap CIs over videos",
    )
    _common(p)
    p.add_argument(
        "--predictors", required=True,
        help="2-3 comma-separated embeddings/similarity files (.npz/.npy) or model names",
    )
    p.add_argument("--names", default=None, help="comma-separated names for the predictors")
    p.add_argument(
        "--regression", choices=("ols_ranks", "ols_raw"), default="ols_ranks",
        help="OLS on ranks (default, Spearman-like) or on raw similarity values",
    )
    p.add_argument("--metric", default="cosine", help="similarity of embeddings files")

    p = add_command(
        sub, "probe", probe_command,
        "ridge probes of per-video ratings: penalty by CV in train videos, Pearson r on "
        "held-out videos, permutation p-values and bootstrap CIs",
    )
    _common(p, split=False)
    p.add_argument(
        "--embeddings", required=True,
        help="embeddings file (.npz/.npy) or a model name (minilm, tfidf, pixel, oracle, toy)",
    )
    p.add_argument("--attributes", default=None, help="comma-separated ratings (default: all)")
    p.add_argument("--n-perm", type=int, default=1000, help="permutations per attribute")
    p.add_argument("--train-split", default="train", help="videos the probe is fitted on")
    p.add_argument("--test-split", default="test", help="held-out videos")

    p = add_command(
        sub, "rollout", rollout_command,
        "attention rollout (TimeSformer, VideoMAE) of one or two backbones on a split's clips: "
        "map divergence, and on SocialWorld the share of attention on the agents and distractor",
    )
    add_dataset_argument(p)
    p.add_argument("--split", default="test", help="clips of this split (default test; 'all')")
    p.add_argument(
        "--backbones", required=True,
        help="comma-separated LABEL=SOURCE; SOURCE is a backbone name/folder or a finetune run "
        "folder (its adapters merged in), e.g. pretrained=toy_dir,finetuned=runs/hybrid",
    )
    p.add_argument("--max-clips", type=int, default=None, help="only the split's first N clips")

    p = add_command(
        sub, "retention", retention_command,
        "action retention: a logistic probe of SocialWorld's action labels on the backbone "
        "before and after fine-tuning, held-out accuracy and a paired bootstrap of the change",
    )
    p.add_argument("actions", metavar="ACTIONS_DIR",
                   help="an action set (socalign data synth socialworld-actions --out DIR)")
    p.add_argument("--before", required=True, help="backbone name/folder before fine-tuning")
    p.add_argument("--after", required=True,
                   help="a finetune run folder (adapters merged in) or a backbone name/folder")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling")
