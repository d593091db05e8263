"""``socalign data synth ...``: write a procedural benchmark (SocialWorld) or its action set."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.parser import add_command, add_group


def socialworld_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write a SocialWorld benchmark (videos, captions, ratings, judgments, calibration)."""
    from socalign.data.socialworld.synth import synthesize
    from socalign.models.language import encode_captions  # the calibration's MiniLM row

    result = synthesize(
        args.out,
        n_videos=args.videos,
        seed=args.seed,
        n_frames=args.frames,
        size=args.size,
        n_participants=args.participants,
        trials_per_participant=args.trials_per_participant,
        calibrate=not args.no_calibrate,
        progress=not args.json,
        caption_encoder=encode_captions,
    )
    return result.to_dict()


def actions_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write the SocialWorld action set (clips labelled by one agent's motion pattern)."""
    from socalign.data.socialworld.actions import synthesize_actions

    actions = synthesize_actions(
        args.out, n_clips=args.clips, seed=args.seed, n_frames=args.frames, size=args.size,
        progress=not args.json,
    )
    return {
        "out": str(args.out),
        "n_clips": len(actions),
        "labels": list(actions.label_names),
        "splits": {s: int((actions.splits == s).sum()) for s in ("train", "test")},
    }


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder (must be new or empty)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--frames", type=int, default=16, help="frames per video (default 16)")
    parser.add_argument("--size", type=int, default=64, help="frame side in pixels, even (default 64)")


def register(group: argparse._SubParsersAction) -> None:
    """Add ``data synth socialworld`` and ``data synth socialworld-actions`` to the ``data`` group."""
    synth = add_group(group, "synth", "write a procedural benchmark (SocialWorld) that runs offline")
    world = add_command(
        synth, "socialworld", socialworld_command,
        "write the SocialWorld benchmark: mp4 videos, captions, ratings, simulated OOO judgments",
    )
    _common(world)
    world.add_argument("--videos", type=int, default=250, help="number of videos (default 250)")
    world.add_argument(
        "--participants", type=int, default=None,
        help="simulated participants (default 214, scaled by (videos/250)^2 for other sizes)",
    )
    world.add_argument(
        "--trials-per-participant", type=int, default=231, help="trials each (default 231, 2 of them catch)"
    )
    world.add_argument(
        "--no-calibrate", action="store_true",
        help="skip the calibration measurement (it needs the torch extra for the MiniLM row)",
    )
    actions = add_command(
        synth, "socialworld-actions", actions_command,
        "write the SocialWorld action set (motion-pattern labels) for pretraining a toy backbone",
    )
    _common(actions)
    actions.add_argument(
        "--clips", type=int, default=1800,
        help="number of clips (default 1800, the toy backbone's pretraining set)",
    )
