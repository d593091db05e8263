"""``socalign finetune``: behaviour-guided LoRA fine-tuning with a before/after held-out report."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.arguments import add_dataset_argument
from socalign.cli.errors import CliError
from socalign.cli.parser import add_command
from socalign.profiles import PROFILES
from socalign.train.kinds import (  # = socalign.train.losses.LOSSES, without torch
    DEFAULT_LOSS,
    LOSSES,
    kinds_where,
)


def _named(name: str) -> str:
    """A kind as the help names it: ``budget = budget-matched triplet``, or just ``hybrid``."""
    label = LOSSES[name].label
    return name if label == name else f"{name} = {label}"


def _loss_help() -> str:
    """``--loss``'s help: every kind of :data:`socalign.train.losses.LOSSES` with its label."""
    kinds = "; ".join(f"{_named(name)}: {kind.description}" for name, kind in LOSSES.items())
    return f"the loss (default: {DEFAULT_LOSS}): {kinds}"


def _distill_help() -> str:
    """``--distill-model``'s help: which kinds take a caption model's targets (from the table)."""
    captions = " or ".join(f"{name} ({LOSSES[name].label})" if LOSSES[name].label != name
                           else name for name in kinds_where(targets="captions"))
    people = ", ".join(_named(name) for name in kinds_where(targets="people"))
    return (f"with --loss {captions}: the caption model whose odd ones and similarity replace "
            "people's (minilm, tfidf, a sentence-transformers name or folder; default: the "
            "profile's, demo minilm, paper "
            "sentence-transformers/paraphrase-multilingual-mpnet-base-v2); the other losses "
            f"({people}) train on people's judgments and take none")


_SEED_HELP = ("the run's seed, an integer >= 0 (default 0): every random stream of the run, the "
             "fit/validation split, each epoch's batches, the initialisation, dropout and the "
             "gain's bootstrap, is drawn from it and the stream's name, so no two coincide; the "
             "held-out evaluations resample from the seed itself, as socalign evaluate --seed "
             "does. Runs of one seed share their fit/validation split whatever their --loss")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``finetune`` to the parser."""
    parser = add_command(sub, "finetune", _finetune,
                         "fine-tune a video backbone with LoRA on the training judgments")
    add_dataset_argument(parser)
    parser.add_argument("--backbone", metavar="NAME|PATH", default=None,
                        help="registered name or model folder (default: the toy backbone on "
                        "SocialWorld, the paper's TimeSformer elsewhere); a hub id may be "
                        "pinned as NAME@REV")
    parser.add_argument("--revision", default=None, metavar="REV",
                        help="with a hub --backbone: the branch, tag or commit to load (the run "
                        "records NAME@REV)")
    parser.add_argument("--loss", choices=tuple(LOSSES), default=DEFAULT_LOSS, help=_loss_help())
    parser.add_argument("--distill-model", default=None, metavar="NAME", help=_distill_help())
    parser.add_argument("--triplet-loss", choices=("margin", "softmax"), default="margin",
                        help="triplet term: margin on cosine distance, or SPoSE-style softmax")
    parser.add_argument("--trainer", choices=("paper", "fast"), default=None,
                        help="default: the profile's (demo: fast, paper: paper)")
    parser.add_argument("--profile", choices=tuple(PROFILES), default="demo",
                        help="training settings (demo: minutes on a CPU; paper: the released ones)")
    parser.add_argument("--seed", type=int, default=0, help=_SEED_HELP)
    parser.add_argument("--epochs", type=int, default=None, help="override the profile's epochs")
    parser.add_argument("--lr", type=float, default=None, help="override the learning rate")
    parser.add_argument("--max-steps-per-epoch", type=int, default=None,
                        help="cap the steps of an epoch (0: no cap)")
    parser.add_argument("--val-fraction", type=float, default=None,
                        help="share of the training videos held out for validation (0.2)")
    parser.add_argument("--frames", type=int, default=None, metavar="N",
                        help="frames per clip fed to the backbone (default: the profile's; "
                        "paper: 16; 0: the backbone's own)")
    parser.add_argument("--lora-dropout", type=float, default=None, help="LoRA dropout (0.1)")
    parser.add_argument("--head-dropout", type=float, default=None, help="head dropout (0.3)")
    parser.add_argument("--out", required=True, help="output folder of the run")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _finetune(args: argparse.Namespace) -> dict[str, Any] | None:
    from dataclasses import replace

    from socalign.profiles import profile_settings
    from socalign.train.run import finetune

    changes: dict[str, Any] = {"seed": args.seed, "loss_kind": args.loss}
    if args.distill_model is not None:
        if LOSSES[args.loss].targets != "captions":
            takers = " or ".join(kinds_where(targets="captions"))
            raise CliError(f"--distill-model applies to --loss {takers} only (not {args.loss})",
                           "--distill-model")
        changes["distill_model"] = args.distill_model
    if args.trainer is not None:
        changes["trainer"] = args.trainer
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.lr is not None:
        changes["lr"] = args.lr
    for name in ("lora_dropout", "head_dropout", "val_fraction"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.max_steps_per_epoch is not None:
        changes["max_steps_per_epoch"] = args.max_steps_per_epoch or None
    if args.frames is not None:
        if args.frames < 0:
            raise CliError(f"--frames must be >= 0 (0: the backbone's own), got {args.frames}",
                           "--frames")
        changes["n_frames"] = args.frames or None
    config = profile_settings(args.profile).train_config(**changes)
    config = replace(config, loss=replace(config.loss, triplet=args.triplet_loss))
    backbone = args.backbone
    if args.revision is not None:
        from socalign.models.hub import with_revision

        if backbone is None:
            raise CliError("--revision needs --backbone (the hub id to pin, e.g. "
                           "--backbone facebook/timesformer-base-finetuned-k400)")
        try:
            backbone = with_revision(backbone, args.revision)
        except ValueError as err:
            raise CliError(str(err), "--revision") from err
    if backbone is not None:
        from socalign.models.hub import is_hub_id

        if is_hub_id(backbone):  # fetch an uncached hub backbone's config (cached from then on)
            from socalign.models.registry import get_spec

            get_spec(backbone)
    report = finetune(args.dataset, args.out, config, backbone=backbone, resume=args.resume,
                      n_boot=args.n_boot, progress=not args.no_progress)
    if not report.after:  # a non-main process under accelerate: nothing to print
        return None
    return {
        "out": args.out,
        "backbone": report.backbone,
        "trainer": config.trainer,
        "loss": args.loss,
        **({"distill_model": config.distill_model}
           if config.loss.targets == "captions" else {}),
        "seed": args.seed,
        "split": report.split,
        "before": {k: report.before[k] for k in ("r2", "spearman", "ooo_accuracy")},
        "after": {k: report.after[k] for k in ("r2", "spearman", "ooo_accuracy")},
        "gain": report.gain,
        "best_epoch": report.training["best_epoch"],
        "best_val_spearman": report.training["best_val_spearman"],
        "forward_train": report.training["forward_train"],
        "time_to_best_s": report.training["time_to_best_s"],
        "report": f"{args.out}/report.json",
    }
