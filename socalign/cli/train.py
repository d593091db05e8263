"""``socalign finetune``: behaviour-guided LoRA fine-tuning with a before/after held-out report."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from socalign.cli.arguments import add_dataset_argument
from socalign.cli.errors import CliError
from socalign.cli.output import (
    fmt,
    fmt_interval,
    fmt_p,
    format_fields,
    format_table,
    join_blocks,
    rest,
    section,
)
from socalign.cli.parser import add_command, describe_default
from socalign.profiles import PROFILES
from socalign.train.kinds import (  # = socalign.train.losses.LOSSES, without torch
    DEFAULT_LOSS,
    LOSSES,
    kinds_where,
)
from socalign.train.precision import PRECISIONS


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


def _profile_default(name: str, show: Callable[[Any], str] = str) -> Callable[[], str]:
    """The default of a training option as each ``--profile`` sets it (for ``--help``).

    The value is the profile's :class:`socalign.train.config.TrainConfig` field ``name``
    (:meth:`socalign.profiles.Profile.train_config`), per ``--trainer`` where the trainers
    differ; computed only when the help is shown (it imports torch).
    """

    def describe() -> str:
        from socalign.train.config import TRAINERS

        shown = {}
        for label, profile in PROFILES.items():
            values = {t: show(getattr(profile.train_config(trainer=t), name)) for t in TRAINERS}
            shown[label] = (next(iter(values.values())) if len(set(values.values())) == 1 else
                            ", ".join(f"{v} ({t} trainer)" for t, v in values.items()))
        if len(set(shown.values())) == 1:
            return f"{next(iter(shown.values()))}, every --profile's"
        return "the --profile's: " + "; ".join(f"{k} {v}" for k, v in shown.items())

    return describe


def _steps(value: Any) -> str:
    return "no cap" if value is None else str(value)


def _profile_trainer() -> str:
    """``--trainer``'s default: each profile's trainer."""
    return "the --profile's: " + ", ".join(
        f"{label} {profile.train_config().trainer}" for label, profile in PROFILES.items())


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``finetune`` to the parser."""
    parser = add_command(sub, "finetune", _finetune,
                         "fine-tune a video backbone with LoRA on the training judgments",
                         human=finetune_text)
    add_dataset_argument(parser)
    parser.add_argument("--backbone", metavar="NAME|PATH", default=None,
                        help="registered name or model folder (default: the toy backbone on "
                        "SocialWorld, the paper's TimeSformer elsewhere); a hub id may be "
                        "pinned as NAME@REV")
    parser.add_argument("--revision", default=None, metavar="REV",
                        help="with a hub --backbone: the branch, tag or commit to load (the run "
                        "records NAME@REV; default: the @REV of --backbone, else main)")
    parser.add_argument("--loss", choices=tuple(LOSSES), default=DEFAULT_LOSS, help=_loss_help())
    parser.add_argument("--distill-model", default=None, metavar="NAME", help=_distill_help())
    parser.add_argument("--triplet-loss", choices=("margin", "softmax"), default="margin",
                        help="triplet term: margin on cosine distance, or SPoSE-style softmax")
    describe_default(parser.add_argument(
        "--trainer", choices=("paper", "fast"), default=None,
        help="the training loop: paper (human triplets and RSA steps, the released protocol) or "
        "fast (unique videos per step against an embedding bank)"), _profile_trainer)
    parser.add_argument("--profile", choices=tuple(PROFILES), default="demo",
                        help="training settings (demo: minutes on a CPU; paper: the released ones)")
    parser.add_argument("--seed", type=int, default=0, help=_SEED_HELP)
    describe_default(parser.add_argument("--epochs", type=int, default=None,
                                         help="training epochs"), _profile_default("epochs"))
    describe_default(parser.add_argument("--lr", type=float, default=None,
                                         help="learning rate (AdamW)"),
                     _profile_default("lr", lambda v: f"{v:g}"))
    describe_default(parser.add_argument("--max-steps-per-epoch", type=int, default=None,
                                         help="cap the steps of an epoch (0: no cap)"),
                     _profile_default("max_steps_per_epoch", _steps))
    describe_default(parser.add_argument(
        "--val-fraction", type=float, default=None,
        help="share of the training videos held out for validation"),
        _profile_default("val_fraction"))
    describe_default(parser.add_argument(
        "--frames", type=int, default=None, metavar="N",
        help="frames per clip fed to the backbone (0: the backbone's own)"),
        _profile_default("n_frames", lambda v: "the backbone's own" if v is None else str(v)))
    describe_default(parser.add_argument("--lora-dropout", type=float, default=None,
                                         help="LoRA dropout"), _profile_default("lora_dropout"))
    describe_default(parser.add_argument("--head-dropout", type=float, default=None,
                                         help="dropout of the projection head"),
                     _profile_default("head_dropout"))
    describe_default(parser.add_argument(
        "--precision", choices=PRECISIONS, default=None,
        help="numeric precision (autocast through accelerate): auto is bf16 on a GPU that "
        "supports it, fp16 with loss scaling on one that does not (a T4), fp32 on the CPU; "
        "bf16 also runs on the CPU, fp16 needs a GPU. The run records the precision used and "
        "a resume must use the same"), _profile_default("precision"))
    describe_default(parser.add_argument(
        "--batch", default=None, metavar="auto|fixed|N",
        help="the step's batch: auto lowers the profile's to the largest that fits the "
        "device's free memory (a memory model of the backbone, frames, precision and "
        "checkpointing); fixed keeps it; N sets it (fast trainer: videos per step, at least 2; "
        "paper trainer: triplets per step). A batch that cannot fit is refused before "
        "training, naming what to change"), _profile_default("batch"))
    parser.add_argument("--out", required=True, help="output folder of the run")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--n-boot", type=int, default=1000,
                        help="bootstrap resamples of the held-out intervals and of the gain")
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
    if args.precision is not None:
        changes["precision"] = args.precision
    changes.update(_batch_changes(args.batch, changes.get("trainer") or
                                  profile_settings(args.profile).train_config().trainer))
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


def _batch_changes(value: str | None, trainer: str) -> dict[str, Any]:
    """``--batch``'s training options: ``auto``/``fixed``, or a number in the trainer's unit."""
    from socalign.train.config import BATCH_CHOICES  # (imports torch: only when run)

    if value is None:
        return {}
    if value in BATCH_CHOICES:
        return {"batch": value}
    try:
        number = int(value)
    except ValueError:
        raise CliError(f"--batch takes auto, fixed or a number, got {value!r}", "--batch") from None
    smallest = 2 if trainer == "fast" else 1
    if number < smallest:
        raise CliError(f"--batch {number}: the {trainer} trainer takes at least {smallest}",
                       "--batch")
    key = "batch_videos" if trainer == "fast" else "triplets_per_step"
    return {"batch": "fixed", key: number}


_FINETUNE_KEYS = ("out", "backbone", "trainer", "loss", "distill_model", "seed", "split", "before",
                  "after", "gain", "best_epoch", "best_val_spearman", "forward_train",
                  "time_to_best_s", "report")
_FINETUNE_ROWS = (
    ("r2", None, "R² (squared Spearman over video pairs)"),
    ("spearman", None, "Spearman r (video pairs)"),
    ("ooo_accuracy", "argmax", "OOO accuracy, argmax rule"),
    ("ooo_accuracy", "pair", "OOO accuracy, pair rule"),
)


def finetune_text(result: dict[str, Any]) -> str:
    """``socalign finetune`` for people: the run, the held-out scores before and after, the gain.

    Parameters
    ----------
    result : dict
        The ``finetune --json`` object.

    Returns
    -------
    str
        A header naming the backbone, the loss, the trainer, the seed and the run folder; one
        row per statistic with its value before and after fine-tuning and the gain with its
        paired 95% bootstrap interval, p-value and resampling unit; the training's best epoch
        and time; the report's path. Keys it does not know are printed last.
    """

    def pick(side: Any, key: str, rule: str | None) -> Any:
        value = (side or {}).get(key)
        return (value or {}).get(rule) if rule is not None else value

    rows = []
    for key, rule, label in _FINETUNE_ROWS:
        gain = pick(result.get("gain"), key, rule) or {}
        rows.append({
            "statistic": label,
            "before": pick(result.get("before"), key, rule),
            "after": pick(result.get("after"), key, rule),
            "gain [95% CI]": fmt_interval(gain),
            "p (two-sided)": fmt_p(gain.get("p_value")) if gain else "n/a",
            "resampled": f"{gain.get('unit')} x {gain.get('n_boot')}" if gain else "none",
        })
    loss = str(result.get("loss"))
    if result.get("distill_model"):
        loss += f" (targets from {result['distill_model']})"
    head = (f"fine-tuned {result.get('backbone')} with the {loss} loss, {result.get('trainer')} "
            f"trainer, seed {result.get('seed')}: run folder {result.get('out')}")
    seed = result.get("seed")
    legend = (f"held-out split {result.get('split')}, before and after fine-tuning; gain = after "
              "- before, a paired percentile bootstrap (the same resamples of videos for R² and "
              "Spearman, of trials for OOO accuracy). The before and after intervals are in the "
              f"report, as `socalign evaluate --split {result.get('split')} --seed {seed}` "
              "prints them for embeddings_before.npz and embeddings_after.npz.")
    training = format_fields([
        ("best epoch (from 0)", result.get("best_epoch")),
        ("best validation Spearman", result.get("best_val_spearman")),
        ("forward passes in training", result.get("forward_train")),
        ("time to the best epoch", f"{fmt(result.get('time_to_best_s'))} s"),
    ])
    return join_blocks(head, format_table(rows), _wrap(legend), section("training", training),
                       f"report: {result.get('report')}", rest(result, _FINETUNE_KEYS))


def _wrap(text: str, width: int = 96) -> str:
    import textwrap

    return textwrap.fill(text, width=width)
