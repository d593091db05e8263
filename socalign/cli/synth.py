"""``socalign data synth ...``: write a procedural benchmark (SocialWorld) or its action set."""

from __future__ import annotations

import argparse
from typing import Any

from socalign.cli.output import (
    MISSING,
    SPREAD_LABEL,
    fmt,
    format_fields,
    format_table,
    join_blocks,
    rest,
    section,
)
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


_WORLD_KEYS = ("out", "n_videos", "n_trials", "n_catch_trials", "n_participants", "splits",
               "times", "calibration")
_CALIBRATION_KEYS = ("consistency", "split_half", "scores", "targets", "checks", "ooo_rule",
                     "ooo_chance")


def _range(target: Any) -> str:
    """A target as text, as the calibration states it: ``0.5 to 0.7`` for a pair."""
    def show(x: Any) -> str:
        return f"{x:g}" if isinstance(x, int | float) and not isinstance(x, bool) else fmt(x)

    if isinstance(target, list | tuple) and len(target) == 2:
        return f"{show(target[0])} to {show(target[1])}"
    return show(target)


#: What each calibration check asks, from the targets (``socalign.data.socialworld.calibration``).
_CHECKS = {
    "loo_agreement_in_range": ("loo_agreement", "LOO agreement in {}"),
    "split_half_positive_below_one": ("split_half_r_sb", "split-half r_sb in {}"),
    "oracle_near_ceiling": ("oracle_share_of_ceiling",
                            "oracle test OOO accuracy >= {} x LOO agreement"),
    "pixels_near_chance": ("pixels_above_chance",
                           "|pixels test OOO accuracy - chance| < {}"),
    "minilm_above_pixels": ("minilm_above_pixels",
                            "minilm test OOO accuracy >= pixels' + {}"),
    "minilm_share_of_r2_ceiling": ("minilm_share_of_r2_ceiling",
                                   "minilm test R² / R² ceiling in {}"),
}


def _check_rows(calibration: dict[str, Any]) -> list[dict[str, Any]]:
    targets = calibration.get("targets") or {}
    rows = []
    for name, passed in (calibration.get("checks") or {}).items():
        target, rule = _CHECKS.get(name, (name, "{}"))
        rows.append({"check": name,
                     "asks": rule.format(_range(targets.get(target))) if target in targets
                     else MISSING,
                     "met": "not measured" if passed is None else fmt(bool(passed))})
    return rows


def _score_rows(calibration: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for model, per_split in (calibration.get("scores") or {}).items():
        for split, score in (per_split or {}).items():
            reason = score.get("not_measured") or score.get("reason")
            rows.append({"model": model, "split": "-" if split == "status" else split,
                         "OOO argmax": score.get("ooo_argmax"), "OOO pair": score.get("ooo_pair"),
                         "R²": score.get("r2"), "trials": score.get("n_trials"),
                         "pairs": score.get("n_pairs"),
                         "note": f"not measured: {reason.removeprefix('not measured: ')}"
                         if reason else ""})
    return rows


def calibration_text(calibration: dict[str, Any]) -> str:
    """A SocialWorld calibration (``benchmark.json``'s ``calibration``) for people.

    Parameters
    ----------
    calibration : dict
        The calibration as :meth:`socalign.data.socialworld.calibration.Calibration.to_dict`
        writes it.

    Returns
    -------
    str
        The reliabilities with their targets, the reference models' scores per split, and
        each target check (met, not met, or not measured); keys it does not know last.
    """
    cons = calibration.get("consistency") or {}
    half = calibration.get("split_half") or {}
    targets = calibration.get("targets") or {}
    fields: list[Any] = [
        ("LOO agreement of repeated triplets", cons.get("loo_agreement"),
         f"{fmt(cons.get('n_trials'))} trials of {fmt(cons.get('n_triplets'))} triplets; "
         f"chance {fmt(cons.get('chance'))}; target {_range(targets.get('loo_agreement'))}"),
    ]
    if half.get("not_measured"):
        fields.append(("split-half reliability r_sb", MISSING, f"not measured: "
                                                               f"{half['not_measured']}"))
    else:
        fields.append(("split-half reliability r_sb = R² ceiling", half.get("r_sb"),
                       f"{fmt(half.get('n_splits'))} random halves of "
                       f"{fmt(half.get('n_participants'))} participants; target "
                       f"{_range(targets.get('split_half_r_sb'))}"))
        if half.get("low") is not None:
            fields.append(("", f"{fmt(half.get('low'))} to {fmt(half.get('high'))}",
                           SPREAD_LABEL))
    rule = calibration.get("ooo_rule", "argmax")
    scores = format_table(_score_rows(calibration), {
        "model": "model", "split": "split", "OOO argmax": f"OOO accuracy ({rule})",
        "OOO pair": "OOO accuracy (pair)", "R²": "R²", "trials": "trials", "pairs": "pairs",
        "note": ""})
    return join_blocks(
        format_fields(fields),
        section("reference models (cosine similarity; R² = squared Spearman over the split's "
                f"judged pairs; OOO chance {fmt(calibration.get('ooo_chance'))} argmax, 0.5 "
                "pair)", scores),
        section("targets", format_table(_check_rows(calibration))),
        rest(calibration, _CALIBRATION_KEYS),
    )


def socialworld_text(result: dict[str, Any]) -> str:
    """``socalign data synth socialworld`` for people: what was written, the times, the calibration.

    Parameters
    ----------
    result : dict
        The ``data synth socialworld --json`` object.

    Returns
    -------
    str
        One line of counts, a table of the stages' wall-clock and CPU seconds, then the
        calibration (:func:`calibration_text`, or why it is missing); keys it does not know last.
    """
    splits = result.get("splits") or {}
    split_text = ", ".join(f"{name} {fmt(n)}" for name, n in splits.items())
    head = (f"SocialWorld written to {result.get('out')}: {fmt(result.get('n_videos'))} videos "
            f"({split_text}), {fmt(result.get('n_trials'))} trials "
            f"({fmt(result.get('n_catch_trials'))} of them catch trials) by "
            f"{fmt(result.get('n_participants'))} simulated participants")
    times = result.get("times") or {}
    wall, cpu = times.get("wall_s") or {}, times.get("cpu_s") or {}
    rows = [{"stage": stage, "wall s": wall.get(stage), "CPU s": cpu.get(stage)}
            for stage in dict.fromkeys([*wall, *cpu])]
    if rows:
        rows.append({"stage": "total", "wall s": times.get("total_wall_s"),
                     "CPU s": times.get("total_cpu_s")})
    calibration = result.get("calibration")
    calibrated = (section("calibration (every kept trial; OOO accuracy by the "
                          f"{calibration.get('ooo_rule', 'argmax')} rule)",
                          calibration_text(calibration)) if calibration
                  else "calibration: not measured (--no-calibrate)")
    return join_blocks(head, format_table(rows), calibrated, rest(result, _WORLD_KEYS))


def actions_text(result: dict[str, Any]) -> str:
    """``socalign data synth socialworld-actions`` for people: the clips, labels and splits.

    Parameters
    ----------
    result : dict
        The ``data synth socialworld-actions --json`` object.

    Returns
    -------
    str
        One line of counts and splits, the labels; keys it does not know last.
    """
    splits = result.get("splits") or {}
    labels = result.get("labels") or []
    head = (f"SocialWorld action set written to {result.get('out')}: "
            f"{fmt(result.get('n_clips'))} clips ("
            + ", ".join(f"{name} {fmt(n)}" for name, n in splits.items()) + ")")
    body = format_fields([("motion patterns", len(labels), ", ".join(map(str, labels)))])
    return join_blocks(head, body, rest(result, ("out", "n_clips", "labels", "splits")))


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
        human=socialworld_text,
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
        human=actions_text,
    )
    _common(actions)
    actions.add_argument(
        "--clips", type=int, default=1800,
        help="number of clips (default 1800, the toy backbone's pretraining set)",
    )
