"""``socalign embed`` (embeddings of a benchmark's videos) and ``socalign pretrain`` (the toy
video backbone)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from socalign.cli.common import CliError, add_command, add_dataset_argument


def _embed(args: argparse.Namespace) -> dict[str, Any]:
    from socalign.data import load_dataset
    from socalign.embeddings import save_embeddings
    from socalign.models.embed import embed

    out = Path(args.out)
    if out.suffix != ".npz":
        raise CliError(f"--out {out}: embeddings are written as .npz (ids + embeddings)")
    benchmark = load_dataset(args.dataset)
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
    )
    save_embeddings(
        out, result.ids, result.embeddings, model=args.model, kind=result.kind,
        layer=result.layer, pooling=result.pooling, n_frames=result.n_frames, dataset=benchmark.name,
    )
    return {"out": str(out), "dataset": benchmark.name, **result.to_dict()}


def _pretrain(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import replace

    from socalign.models.toy import TINY_SETTINGS, ToySettings, pretrain

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise CliError(f"--out {out}: the folder is not empty; refusing to overwrite")
    settings = TINY_SETTINGS if args.tiny else ToySettings()
    if args.epochs is not None:
        settings = replace(settings, epochs=args.epochs)
    result = pretrain(args.data, out, settings, seed=args.seed, device=args.device,
                      progress=not args.json)
    return result.to_dict()


def register(sub: argparse._SubParsersAction) -> None:
    """Add this topic's subcommands to the parser."""
    embed = add_command(
        sub, "embed", _embed,
        "embed a benchmark's videos with a language model (captions) or a video model (files)",
    )
    add_dataset_argument(embed)
    embed.add_argument("--model", required=True,
                       help="minilm, tfidf, a sentence-transformers name, toy, or a video model "
                            "name / local checkpoint folder")
    embed.add_argument("--kind", choices=("auto", "language", "video"), default="auto",
                       help="model kind when the name does not tell (default: auto)")
    embed.add_argument("--layer", type=int, default=None,
                       help="video models: hidden-state index (0 = patch embeddings; -1 = last)")
    embed.add_argument("--pooling", default=None,
                       help="captions: mean|first (default mean); video: cls|mean (default: the model's)")
    embed.add_argument("--batch-size", type=int, default=8, help="videos per batch (default 8)")
    embed.add_argument("--frames", type=int, default=None, help="frames per clip (default: the model's)")
    embed.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    embed.add_argument("--backend", choices=("auto", "pyav", "decord"), default="auto",
                       help="video decoder (default: decord when installed, else PyAV)")
    embed.add_argument("--skip-bad-videos", action="store_true",
                       help="skip videos that cannot be decoded and list them (default: fail)")
    embed.add_argument("--no-cache", action="store_true", help="recompute even when the embedding is cached (decoded clips stay cached)")
    embed.add_argument("--out", required=True, help="output .npz (ids + embeddings)")

    pre = add_command(
        sub, "pretrain", _pretrain,
        "pretrain the toy TimeSformer on a SocialWorld action set; reports held-out accuracy",
    )
    pre.add_argument("--data", required=True,
                     help="action set folder (socalign data synth socialworld-actions --out DIR)")
    pre.add_argument("--out", required=True, help="new folder for the checkpoint")
    pre.add_argument("--seed", type=int, default=0, help="initialisation and shuffling seed")
    pre.add_argument("--epochs", type=int, default=None, help="training epochs (default: the toy settings', 27)")
    pre.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    pre.add_argument("--tiny", action="store_true", help="a tiny model for quick checks (tests)")
