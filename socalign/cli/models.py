"""``socalign embed`` (embeddings of a benchmark's videos) and ``socalign pretrain`` (the toy
video backbone)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from socalign.cli.arguments import add_dataset_argument
from socalign.cli.errors import CliError, note
from socalign.cli.output import (
    fmt,
    format_fields,
    format_mapping,
    format_table,
    join_blocks,
    rest,
    section,
)
from socalign.cli.parser import add_command, progress_enabled
from socalign.progress import working
from socalign.train.precision import PRECISIONS


def _embed(args: argparse.Namespace) -> dict[str, Any]:
    from socalign.data import load_dataset
    from socalign.models.embed import embed
    from socalign.models.embeddings import dataset_record, save_embeddings, written_by_socalign
    from socalign.outputs import check_output_file

    out = check_output_file(args.out, "embeddings", ".npz", written_by_socalign, args.force)
    if args.revision is not None:
        from socalign.models.hub import with_revision

        try:
            with_revision(args.model, args.revision)
        except ValueError as err:
            raise CliError(str(err), "--revision") from err
    benchmark = load_dataset(args.dataset)
    show = progress_enabled(args)
    if show:
        note(f"embedding {len(benchmark.videos)} videos of {benchmark.name} with {args.model} "
             "(loading the model first)")
    result = embed(
        benchmark,
        args.model,
        layer=args.layer,
        pooling=args.pooling,
        batch_size=args.batch_size,
        device=args.device,
        kind=args.kind,
        n_frames=args.frames,
        backend=args.backend,
        on_error="skip" if args.skip_bad_videos else "raise",
        cache=not args.no_cache,
        progress=not args.json,
        revision=args.revision,
        preprocessing=args.preprocessing,
        autocast_dtype=_autocast(args.precision, args.device),
    )
    save_embeddings(
        out, result.ids, result.embeddings, model=args.model, kind=result.kind,
        layer=result.layer, pooling=result.pooling, n_frames=result.n_frames,
        model_identity=result.identity, preprocessing=result.preprocessing,
        **dataset_record(benchmark),
    )
    return {"out": str(out), "dataset": benchmark.name, **result.to_dict(),
            "revision": args.revision}


def _autocast(precision: str, device: str | None) -> Any:
    """``--precision`` as the autocast dtype of ``embed`` on ``--device`` (None: fp32)."""
    from socalign.models.frames import auto_device
    from socalign.train.precision import autocast_dtype, resolve_precision

    return autocast_dtype(resolve_precision(precision, auto_device(device)))


def _pretrain(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import replace

    from socalign.models.toy import (
        ACTION_SETTINGS,
        PERCEPTION_SETTINGS,
        TINY_SETTINGS,
        perception_stage,
    )
    from socalign.models.toy.model import pretrain, pretrain_perception

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CliError(f"--out {out}: not empty (or not a folder); refusing to overwrite")
    if args.data is None and args.tiny:
        raise CliError("--tiny is the action recipe's tiny model: give --data ACTIONS_DIR too")
    recipe = "actions" if args.data is not None else args.recipe
    if args.data is not None and args.recipe != "vocabulary":
        raise CliError(f"--recipe {args.recipe}: --data is the actions recipe's input; give one of them")
    if args.clips is not None and (args.data is not None or args.clips < 20):
        raise CliError(f"--clips {args.clips}: the clips the recipe generates (>= 20), without --data")
    if args.family != "timesformer" and recipe != "vocabulary":
        raise CliError(f"--family {args.family}: only the vocabulary recipe builds other families")
    if recipe == "vocabulary":
        from socalign.models.toy import TOYS

        settings = next(s for s in TOYS.values() if s.family == args.family)
        if args.clips is not None:
            settings = replace(settings, vocabulary_clips=args.clips, perception_clips=args.clips)
        if args.epochs is not None:
            settings = replace(settings, vocabulary_epochs=args.epochs, epochs=args.epochs)
    elif recipe == "perception":
        settings = PERCEPTION_SETTINGS
        if args.clips is not None:
            settings = replace(settings, perception_clips=args.clips)
    else:
        settings = TINY_SETTINGS if args.tiny else ACTION_SETTINGS
    if args.epochs is not None and recipe != "vocabulary":
        settings = replace(settings, epochs=args.epochs)
    with working("pretrain: generating clips and training", progress_enabled(args)):
        if recipe == "vocabulary":
            from socalign.models.pretrain import ensure_toy_backbone, pretrain_vocabulary

            init = None
            if settings.family == "timesformer":  # stage 1: the perception recipe (shipped or cached)
                init = ensure_toy_backbone(seed=args.seed, settings=perception_stage(settings),
                                           device=args.device, progress=not args.json)
            return pretrain_vocabulary(out, settings, seed=args.seed, device=args.device,
                                       progress=not args.json, init=init).to_dict()
        if recipe == "perception":
            return pretrain_perception(out, settings, seed=args.seed, device=args.device,
                                       progress=not args.json).to_dict()
        return pretrain(args.data, out, settings, seed=args.seed, device=args.device,
                        progress=not args.json).to_dict()


_EMBED_KEYS = ("out", "dataset", "model", "kind", "layer", "pooling", "n_frames", "n_videos",
               "dim", "cached", "seconds", "key", "skipped", "model_identity", "preprocessing",
               "revision")


def embed_text(result: dict[str, Any]) -> str:
    """``socalign embed`` for people: what was embedded, how, where it went, what was skipped.

    Parameters
    ----------
    result
        The ``embed --json`` object.

    Returns
    -------
    str
        Aligned fields and the table of skipped videos (if any).
    """
    layer = result.get("layer")
    fields = format_fields([
        ("model", f"{result.get('model')} ({result.get('kind')})"),
        ("videos x dimensions", f"{fmt(result.get('n_videos'))} x {fmt(result.get('dim'))}"),
        ("layer", "n/a" if layer is None else fmt(layer), "hidden-state index"),
        ("pooling", str(result.get("pooling"))),
        ("frames per clip", result.get("n_frames")),
        ("time", f"{fmt(result.get('seconds'))} s",
         "from the embedding cache" if result.get("cached") else "computed"),
        ("cache key", str(result.get("key", ""))[:16]),
        *([("revision", str(result["revision"]))] if result.get("revision") else []),
        *([("weights", str(result["model_identity"]))]
          if str(result.get("model_identity", "")).startswith("video-hub:") else []),
        *([("preprocessing", str(result["preprocessing"]))] if result.get("preprocessing") else []),
    ])
    blocks = [f"embeddings of {result.get('dataset')} written to {result.get('out')}", fields]
    skipped = result.get("skipped") or []
    if skipped:
        blocks.append(section(f"skipped videos ({len(skipped)}, could not be decoded)",
                              format_table(skipped)))
    blocks.append(rest(result, _EMBED_KEYS))
    return join_blocks(*blocks)


def pretrain_text(result: dict[str, Any]) -> str:
    """``socalign pretrain`` for people: held-out score, sizes, time, then the settings."""
    if "top1" in result:
        score = join_blocks(
            format_fields([
                ("held-out top-1", result.get("top1"), "best class is one of the clip's labels"),
                ("two-agent top-1", result.get("two_agent_top1"), "the same, two-agent classes"),
            ]),
            section("held-out explained variance (per stage and target)",
                    format_fields(list((result.get("explained_variance") or {}).items()))))
    elif "explained_variance" in result:
        score = section("held-out explained variance (R² of the perception targets, per group)",
                        format_fields(list((result.get("explained_variance") or {}).items())))
    else:
        score = format_fields([
            ("held-out accuracy", result.get("accuracy"),
             f"argmax over {fmt(result.get('n_classes'))} actions; chance {fmt(result.get('chance'))}"),
            ("train accuracy", result.get("train_accuracy")),
        ])
    sizes = format_fields([
        ("clips", f"{fmt(result.get('n_train'))} train / {fmt(result.get('n_test'))} held out"),
        ("time", f"{fmt(result.get('seconds'))} s"),
        ("seed", result.get("seed")),
    ])
    known = ("out", "top1", "two_agent_top1", "explained_variance", "accuracy", "n_classes", "chance", "train_accuracy",
             "n_train", "n_test", "seconds", "seed", "settings")
    settings = result.get("settings") or {}
    return join_blocks(f"toy backbone written to {result.get('out')}", score, sizes,
                       section("settings", format_mapping(settings)) if settings else "",
                       rest(result, known))


def register(sub: argparse._SubParsersAction) -> None:
    """Add this topic's subcommands to the parser."""
    embed = add_command(
        sub, "embed", _embed,
        "embed a benchmark's videos with a language model (captions) or a video model (files)",
        human=embed_text,
    )
    add_dataset_argument(embed)
    embed.add_argument("--model", required=True,
                       help="minilm, tfidf, a sentence-transformers name, toy, or a video model "
                            "name / local checkpoint folder")
    embed.add_argument("--kind", choices=("auto", "language", "video"), default="auto",
                       help="model kind when the name does not tell (default: auto)")
    embed.add_argument("--layer", type=int, default=None,
                       help="video models: hidden-state index (0 = patch embeddings; -1 = last; "
                            "default: the model's output)")
    embed.add_argument("--pooling", default=None,
                       help="captions: mean|first (default mean); video: cls|mean (default: the model's)")
    embed.add_argument("--batch-size", type=int, default=8, help="videos per batch (default 8)")
    embed.add_argument("--frames", type=int, default=None, help="frames per clip (default: the model's)")
    embed.add_argument("--revision", default=None, metavar="REV",
                       help="hub video models: the branch, tag or commit to load (default main; "
                            "the cache key holds the commit it resolves to)")
    embed.add_argument("--preprocessing", choices=("auto", "hub", "fast"), default="auto",
                       help="video models: the checkpoint's own processor (hub), the fast torch "
                            "path (fast), or auto: hub checkpoints their processor, the toy and "
                            "folders without processor settings the fast path")
    embed.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    embed.add_argument("--precision", choices=PRECISIONS, default="auto",
                       help="video models' forward passes: auto is bf16 autocast on a GPU that "
                       "supports it, fp16 on one that does not, fp32 on the CPU; bf16 also runs "
                       "on the CPU, fp16 needs a GPU (a precision other than fp32 is part of the "
                       "cache key)")
    embed.add_argument("--backend", choices=("auto", "pyav", "decord"), default="auto",
                       help="video decoder (default: auto, decord when installed, else PyAV)")
    embed.add_argument("--skip-bad-videos", action="store_true",
                       help="skip videos that cannot be decoded and list them (default: fail)")
    embed.add_argument("--no-cache", action="store_true", help="recompute the embedding and decode the clips again, bypassing both caches")
    embed.add_argument("--out", required=True, help="output .npz (ids + embeddings)")
    embed.add_argument("--force", action="store_true",
                       help="replace --out even when socalign did not write it")

    pre = add_command(
        sub, "pretrain", _pretrain,
        "pretrain a toy backbone: by default the vocabulary recipe that the shipped weights come "
        "from (perception, then Kinetics-like action classes; reports held-out class accuracy and "
        "explained variance); --recipe perception: its first stage alone; with --data, action "
        "recognition on an action set (reports held-out accuracy)",
        human=pretrain_text,
    )
    pre.add_argument("--data", default=None,
                     help="an action set folder (socalign data synth socialworld-actions --out DIR) "
                          "for the action-recognition recipe (default: the perception recipe, "
                          "which makes its own clips)")
    pre.add_argument("--out", required=True, help="new folder for the checkpoint")
    pre.add_argument("--recipe", choices=("vocabulary", "perception"), default="vocabulary",
                     help="vocabulary (default; every toy's: toy, toy-videomae, toy-clip): perception, then "
                          "Kinetics-like action classes; perception: the first stage alone")
    from socalign.models.toy.settings import TOYS

    families = tuple(dict.fromkeys(s.family for s in TOYS.values()))  # the toys' families, in order
    pre.add_argument("--family", choices=families, default="timesformer",
                     help="vocabulary recipe: timesformer (the toy), videomae (toy-videomae, joint "
                          "space-time attention over two-frame tubelets) or clip (toy-clip, a "
                          "frame-wise image transformer whose frames are averaged)")
    pre.add_argument("--seed", type=int, default=0, help="clips, initialisation and shuffling seed")
    pre.add_argument("--epochs", type=int, default=None,
                     help="training epochs, each stage (default: the recipe's: 24 perception then "
                          "16 vocabulary, 27 actions)")
    pre.add_argument("--clips", type=int, default=None,
                     help="clips generated for each stage (default 5000; a tenth held out)")
    pre.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    pre.add_argument("--tiny", action="store_true", help="with --data: a tiny model for quick checks (tests)")
