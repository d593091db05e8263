"""A benchmark's summary: the numbers ``socalign data info`` prints."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from socalign.data.quality import catch_performance, triplet_repeats
from socalign.data.types import Benchmark


@dataclass(frozen=True)
class BenchmarkInfo:
    """Counts of a benchmark as loaded (before exclusions) and per split (after).

    ``n_kept_outside_splits`` (in ``extra``) counts kept trials whose videos span two splits:
    they enter no split's trials, and are counted so that nothing disappears unreported.
    """

    name: str
    n_videos: int
    n_trials: int
    n_participants: int
    n_unique_triplets: int
    n_repeated_triplets: int
    n_catch_trials: int
    splits: dict[str, dict[str, int]]
    excluded: dict[str, int]
    attention_check: dict[str, Any]
    attributes: list[str]
    n_captions: int
    has_videos: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with the public keys of ``socalign data info --json``."""
        out = {k: v for k, v in self.__dict__.items() if k != "extra"}
        out.update(self.extra)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The per-split table."""
        return pd.DataFrame(self.splits).T.rename_axis("split")


def summarize(benchmark: Benchmark) -> BenchmarkInfo:
    """Summarize a loaded benchmark (``n_trials`` counts every trial as loaded)."""
    trials = benchmark.trials
    _, shown = triplet_repeats(trials)
    splits = {
        split: {
            "n_videos": int(benchmark.split_indices(split).size),
            "n_trials": len(benchmark.split_trials(split)),
        }
        for split in benchmark.videos.split_names
    }
    in_a_split = sum(s["n_trials"] for s in splits.values())
    extra: dict[str, Any] = {"n_kept_outside_splits": len(benchmark.kept) - in_a_split}
    if "calibration" in benchmark.metadata:
        extra["calibration"] = benchmark.metadata["calibration"]
    return BenchmarkInfo(
        name=benchmark.name,
        n_videos=len(benchmark.videos),
        n_trials=len(trials),
        n_participants=trials.n_participants,
        n_unique_triplets=int(shown.size),
        n_repeated_triplets=int((shown > 1).sum()),
        n_catch_trials=int(trials.is_catch.sum()),
        splits=splits,
        excluded=dict(benchmark.excluded),
        attention_check=catch_performance(trials).to_dict(),
        attributes=sorted(benchmark.videos.ratings),
        n_captions=sum(len(c) for c in benchmark.videos.captions),
        has_videos=benchmark.videos.has_files and all(
            Path(f).is_file() and Path(f).stat().st_size > 0 for f in benchmark.videos.files
        ),
        extra=extra,
    )


def check_video_files(benchmark: Benchmark, decode: bool = True) -> dict[str, Any]:
    """Which of the benchmark's listed videos have a file here, and which of those decode.

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark (its videos' ``files``; None where no file is attached).
    decode : bool
        Decode one frame of every file found (:func:`socalign.video.read_clip`).

    Returns
    -------
    dict
        ``n_listed`` (videos the dataset lists), ``n_found`` (files present and not empty),
        ``n_missing`` and ``missing`` (names of the videos without a file), ``n_undecodable``
        and ``undecodable`` (``{"name", "file", "reason"}`` per file that does not decode;
        empty when ``decode`` is false), ``decoded`` (whether decoding was checked) and
        ``folder`` (the common folder of the files, or None).
    """
    import os

    from socalign.video import VideoDecodeError, read_clip

    videos = benchmark.videos
    missing: list[str] = []
    found: list[tuple[str, Path]] = []
    for name, file in zip(videos.names, videos.files, strict=True):
        if file is not None and Path(file).is_file() and Path(file).stat().st_size > 0:
            found.append((name, Path(file)))
        else:
            missing.append(name)
    undecodable: list[dict[str, str]] = []
    if decode:
        for name, file in found:
            try:
                read_clip(file, 1)
            except VideoDecodeError as err:
                undecodable.append({"name": name, "file": str(file), "reason": err.reason})
    listed = [Path(f) for f in videos.files if f is not None]
    folder = None
    if listed:
        with contextlib.suppress(ValueError):
            folder = os.path.commonpath([str(p.parent) for p in listed])
    return {
        "n_listed": len(videos),
        "n_found": len(found),
        "n_missing": len(missing),
        "missing": missing,
        "n_undecodable": len(undecodable),
        "undecodable": undecodable,
        "decoded": bool(decode),
        "folder": folder,
    }
