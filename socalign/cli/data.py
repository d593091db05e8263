"""``socalign data ...``: fetch, describe and summarise benchmarks (and ``data synth``,
``data render``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from socalign.cli import synth
from socalign.cli.arguments import add_dataset_argument, load_benchmark
from socalign.cli.errors import CliError
from socalign.cli.output import (
    fmt,
    fmt_interval,
    format_fields,
    format_mapping,
    format_table,
    join_blocks,
    rest,
    section,
)
from socalign.cli.parser import add_command, add_group

#: The datasets ``data fetch`` downloads: name -> the module with ``fetch``, ``verify``,
#: ``COMMIT`` and ``FILES``.
FETCHABLE = {"garcia2025": "socalign.data.garcia2025", "phase": "socalign.data.phase"}


def fetch_command(args: argparse.Namespace) -> dict[str, Any]:
    """Download a registered dataset from its pinned source, verifying hashes."""
    import importlib

    if args.name not in FETCHABLE:
        raise CliError(f"unknown dataset {args.name!r}; registered: {sorted(FETCHABLE)}")
    dataset = importlib.import_module(FETCHABLE[args.name])
    root = dataset.fetch(args.dest, base_url=args.url, progress=not args.json)
    dataset.verify(root)
    return {
        "dataset": args.name,
        "path": str(root),
        "commit": dataset.COMMIT,
        "n_files": len(dataset.FILES),
        "verified": True,
    }


def info_command(args: argparse.Namespace) -> dict[str, Any]:
    """Summarise a benchmark: counts, splits, exclusions, attention check, calibration (and a
    labelled dataset's labels and people's agreement: PHASE)."""
    from socalign.data.phase.benchmark import is_phase_benchmark
    from socalign.data.phase.benchmark import summary as phase_summary
    from socalign.data.summary import check_video_files, summarize

    benchmark = load_benchmark(args)
    info = {**summarize(benchmark).to_dict(),
            "video_files": check_video_files(benchmark, decode=not args.no_decode)}
    if is_phase_benchmark(benchmark):
        info["labels"] = phase_summary(benchmark)
    return info


def render_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write PHASE as a labelled benchmark folder: an mp4 per video and videos.csv with labels."""
    from socalign.data.phase.benchmark import render_benchmark
    from socalign.data.phase.source import is_phase_copy
    from socalign.data.registry import resolve_dataset, videos_for

    root = resolve_dataset(args.dataset)
    if not is_phase_copy(root):
        raise CliError(f"DATASET {args.dataset} is not PHASE (a copy of Isik-lab/SocialGNN, or "
                       "the name phase); only PHASE is rendered from trajectories", "DATASET")
    return render_benchmark(
        root, args.out, size=args.size, n_frames=args.frames,
        videos_dir=videos_for(args.dataset, root, args.videos), progress=not args.json,
    )


def similarity_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write the judged similarity of a split's videos (NaN on pairs never shown together)."""
    from socalign.cache import atomic_save_npz
    from socalign.metrics import similarity_from_judgments
    from socalign.models.embeddings import written_by_socalign
    from socalign.outputs import check_output_file

    out = check_output_file(args.out, "similarity matrices", ".npz", written_by_socalign,
                            args.force)
    benchmark = load_benchmark(args)
    trials = benchmark.split_trials(args.split)
    indices = benchmark.split_indices(args.split)
    judged = similarity_from_judgments(trials.triplets, trials.odd, len(benchmark.videos))
    sub = judged.similarity[indices][:, indices]
    counts = judged.counts[indices][:, indices]
    import json

    from socalign.models.embeddings import dataset_record

    meta = json.dumps({"kind": "judged", "split": args.split, **dataset_record(benchmark)},
                      sort_keys=True)
    atomic_save_npz(out, ids=benchmark.videos.ids[indices], similarity=sub, counts=counts,
                    meta=np.array(meta))
    observed = judged.observed[indices][:, indices]
    return {
        "out": str(out),
        "split": args.split,
        "n_videos": int(indices.size),
        "n_trials": len(trials),
        "n_observed_pairs": int(observed.sum() // 2),
        "n_pairs": int(indices.size * (indices.size - 1) // 2),
    }


_INFO_KEYS = ("name", "n_videos", "n_trials", "n_participants", "n_unique_triplets",
              "n_repeated_triplets", "n_catch_trials", "splits", "excluded", "attention_check",
              "attributes", "n_captions", "has_videos", "n_kept_outside_splits", "calibration",
              "video_files", "labels")
#: How many names of missing or undecodable videos the text lists (--json lists them all).
_SHOWN = 5


def info_text(info: dict[str, Any]) -> str:
    """``socalign data info`` for people: counts, the per-split table, exclusions, checks.

    Parameters
    ----------
    info
        The ``data info --json`` object.

    Returns
    -------
    str
        Aligned text; keys it does not know are printed last.
    """
    counts = format_fields([
        ("videos", info.get("n_videos"), f"{fmt(info.get('n_captions'))} captions; video files "
         f"{'present' if info.get('has_videos') else 'absent'}"),
        ("trials", info.get("n_trials"), "as loaded, before exclusions"),
        ("participants", info.get("n_participants")),
        ("unique triplets", info.get("n_unique_triplets"),
         f"{fmt(info.get('n_repeated_triplets'))} shown more than once"),
        ("catch trials", info.get("n_catch_trials")),
        ("kept trials outside every split", info.get("n_kept_outside_splits"),
         "their videos span two splits"),
    ])
    splits = [{"split": name, "videos": v.get("n_videos"), "trials (kept)": v.get("n_trials")}
              for name, v in (info.get("splits") or {}).items()]
    excluded = info.get("excluded") or {}
    check = info.get("attention_check") or {}
    blocks = [f"benchmark {info.get('name')}", counts, format_table(splits)]
    blocks.append(section("excluded trials", format_fields(
        [(k.replace("_", " "), v) for k, v in excluded.items()]) or "none"))
    if check:
        blocks.append(section("attention check (catch trials)", format_fields([
            ("mean accuracy", check.get("mean_accuracy"),
             f"over {fmt(check.get('n_participants_with_catch'))} participants with catch trials"),
            ("below threshold", check.get("n_participants_below"),
             f"participants under {fmt(check.get('threshold'))}"),
            *[(k.replace("_", " "), v) for k, v in check.items()
              if k not in ("mean_accuracy", "n_participants_below", "threshold",
                           "n_participants_with_catch", "n_catch_trials")],
        ])))
    blocks.append(section("ratings", ", ".join(info.get("attributes") or []) or "none"))
    if info.get("video_files"):
        blocks.append(section("video files", video_files_text(info["video_files"])))
    if info.get("calibration"):
        blocks.append(section("calibration", format_mapping(info["calibration"])))
    if info.get("labels"):
        blocks.append(section("labels (people's)", labels_text(info["labels"])))
    blocks.append(rest(info, _INFO_KEYS))
    return join_blocks(*blocks)


def labels_text(labels: dict[str, Any]) -> str:
    """The ``labels`` of ``data info`` (PHASE): videos per set and label, people's agreement.

    Parameters
    ----------
    labels
        The ``labels`` object of ``data info --json``.

    Returns
    -------
    str
        A table of counts, then the agreement with its interval and what it is.
    """
    counts = labels.get("counts") or {}
    table = format_table([{"set": name, **per} for name, per in counts.items()])
    ratings = labels.get("ratings") or {}
    agreement = labels.get("agreement") or {}
    fields: list[Any] = []
    if agreement:
        fields.append((
            "agreement with the majority", fmt_interval(agreement),
            f"each rating against the others' majority, mean over "
            f"{fmt(agreement.get('n_videos'))} main-set videos; {_percent(agreement.get('level'))} "
            "percentile bootstrap interval over videos"))
    if ratings:
        fields.append(("ratings kept", ratings.get("n_ratings"),
                       f"of {fmt(ratings.get('n_participants'))} participants "
                       f"({fmt(ratings.get('n_files_kept'))} of {fmt(ratings.get('n_files'))} "
                       "sessions: the authors' exclusions)"))
    if "n_ties" in labels:
        fields.append(("tied majorities", labels.get("n_ties"),
                       "main-set videos; the alphabetically first tied label"))
    return join_blocks(table, format_fields(fields))


def _percent(level: Any) -> str:
    return f"{float(level):.0%}" if isinstance(level, int | float) else fmt(level)


def render_text(result: dict[str, Any]) -> str:
    """``socalign data render`` for people: what was written, per set and label."""
    absent = result.get("absent_sets") or []
    how = ("copied from the original PHASE videos" if result.get("videos") == "original" else
           f"rendered from the trajectories at {fmt(result.get('size'))} px, "
           + ("one frame per trajectory step" if result.get("n_frames") is None else
              f"{fmt(result.get('n_frames'))} frames each"))
    counts = result.get("labels") or {}
    blocks = [
        f"PHASE benchmark written to {result.get('out')}: {fmt(result.get('n_videos'))} videos "
        f"{how}",
        format_table([{"set": name, **per} for name, per in counts.items()]),
        format_fields([(f"{name} set", "not written",
                        "its trajectories (PHASE/Videos_humanratings) are not in the copy: "
                        "`socalign data fetch phase` downloads them")
                       for name in absent]),
        f"columns: {result.get('label_column')} (the label), {result.get('set_column')} "
        "(main / generalization); splits train / test",
        rest(result, ("out", "n_videos", "videos", "sets", "labels", "absent_sets", "size",
                      "n_frames", "label_column", "set_column")),
    ]
    return join_blocks(*blocks)


def _some(names: list[str]) -> str:
    more = len(names) - _SHOWN
    return ", ".join(names[:_SHOWN]) + (f" and {more} more (--json lists all)" if more > 0 else "")


def video_files_text(files: dict[str, Any]) -> str:
    """The ``video_files`` of ``data info``: found, missing and undecodable files, for people.

    Parameters
    ----------
    files
        The ``video_files`` object of ``data info --json``.

    Returns
    -------
    str
        Aligned fields; at most five names per list.
    """
    listed = files.get("n_listed")
    undecodable = files.get("undecodable") or []
    fields: list[Any] = [
        ("found", files.get("n_found"), f"of {fmt(listed)} listed videos"
         + (f", in {files['folder']}" if files.get("folder") else "")),
        ("missing", files.get("n_missing"), _some(files.get("missing") or [])),
    ]
    if files.get("decoded"):
        fields.append(("cannot be decoded", files.get("n_undecodable"),
                       _some([f"{u['name']} ({u['reason']})" for u in undecodable])))
    else:
        fields.append(("cannot be decoded", "not checked", "--no-decode"))
    if files.get("n_missing") == listed and not files.get("folder"):
        fields.append(("attach them", "--videos DIR",
                       "or $SOCALIGN_GARCIA2025_VIDEOS for garcia2025, $SOCALIGN_PHASE_VIDEOS "
                       "for phase"))
    return format_fields(fields)


def similarity_text(result: dict[str, Any]) -> str:
    """``socalign data similarity`` for people."""
    observed, pairs = result.get("n_observed_pairs"), result.get("n_pairs")
    share = observed / pairs if observed is not None and pairs else None
    return join_blocks(
        f"judged similarity of split {result.get('split')} written to {result.get('out')}",
        format_fields([
            ("videos", result.get("n_videos")),
            ("trials", result.get("n_trials")),
            ("pairs judged", observed, f"of {fmt(pairs)} ({fmt(share)}); the others are NaN"),
        ]),
        rest(result, ("out", "split", "n_videos", "n_trials", "n_observed_pairs", "n_pairs")),
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``data fetch|info|similarity|synth|render``."""
    group = add_group(sub, "data", "fetch, describe and build odd-one-out benchmarks")
    fetch = add_command(group, "fetch", fetch_command, "download a registered dataset (pinned, verified)")
    fetch.add_argument("name", choices=sorted(FETCHABLE), help="dataset name")
    fetch.add_argument("--dest", type=Path, default=None, help="folder (default: the user cache)")
    fetch.add_argument("--url", default=None,
                       help="base URL of a mirror of the pinned files (default: "
                            "$SOCALIGN_GARCIA2025_URL or $SOCALIGN_PHASE_URL, else the pinned "
                            "commit's raw-file address on GitHub)")
    info = add_command(group, "info", info_command, "summarise a benchmark", human=info_text)
    add_dataset_argument(info)
    info.add_argument("--no-decode", action="store_true",
                      help="do not decode a frame of each video file found (faster)")
    similarity = add_command(
        group, "similarity", similarity_command, "similarity from judgments of a split (.npz)",
        human=similarity_text,
    )
    add_dataset_argument(similarity)
    similarity.add_argument("--split", default="train", help="split name, or 'all'")
    similarity.add_argument("--out", required=True, help="output .npz (ids, similarity, counts)")
    similarity.add_argument("--force", action="store_true",
                            help="replace --out even when socalign did not write it")
    synth.register(group)
    render = add_command(
        group, "render", render_command,
        "write PHASE as a labelled benchmark folder: one mp4 per video (drawn from its "
        "trajectories, or the original videos with --videos) and videos.csv with label and set",
        human=render_text,
    )
    add_dataset_argument(render)
    render.add_argument("--out", required=True, help="output folder (must be new or empty)")
    render.add_argument("--size", type=int, default=None,
                        help="frame side in pixels, even (default 224, the paper's backbones' "
                             "input)")
    render.add_argument("--frames", type=int, default=None,
                        help="frames per video, sampled evenly over its trajectory (default: one "
                             "per trajectory step, 33-101)")
