"""A study's trial schedule: which triplets each participant judges, before any judgment.

``socalign design`` writes a schedule folder, a documented sibling of the socalign layout
(:mod:`socalign.data.layout`; its ``videos.csv`` is the layout's, and ``schedule.csv`` is the
layout's ``trials.csv`` without the judgments, so that collected choices are added as the
``choice`` (and ``response_time``) columns to make ``trials.csv``)::

    DIR/
      schedule.json   {"layout": "socalign-schedule/1", summary ...}
      videos.csv      video_id, split, name[, file]
      schedule.csv    participant, trial, video_1, video_2, video_3, kind
      jspsych/participant_<code>.json   one jsPsych timeline per participant
                                        (:mod:`socalign.data.jspsych`)

``kind`` is ``cover`` (a first showing of a triplet), ``repeat`` (a further showing, to another
participant, or a showing of a triplet judged in an earlier batch: the OOO ceiling is estimated
from these) or ``catch`` (a video shown twice; its odd one out is the third video). The trials
come from :func:`socalign.data.socialworld.observers.make_schedule`, the set-cover design
SocialWorld's simulated study uses: every pair covered ``k`` times as the budget allows,
``repeat_share`` of the budget for repeats, catch trials per participant; or, for the next batch
of an adaptive study, from :func:`socalign.analyses.adaptive.plan_next_batch`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socalign.cache import sha256_file
from socalign.data.design import pair_counts, set_cover_triplets
from socalign.data.errors import BenchmarkError
from socalign.data.layout import atomic_write_text, ensure_fresh_output
from socalign.data.socialworld.observers import make_schedule

SCHEDULE_LAYOUT = "socalign-schedule/1"
SCHEDULE_FILE = "schedule.csv"
SCHEDULE_COLUMNS = ("participant", "trial", "video_1", "video_2", "video_3", "kind")
VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".gif")
KINDS = ("cover", "repeat", "catch")


class ScheduleError(ValueError):
    """A study that cannot be scheduled as asked (its message names the shortfall)."""


@dataclass(frozen=True)
class StudyVideos:
    """The videos of a study: names and (optionally) files, in video_id order."""

    names: list[str]
    files: list[str | None]

    def __len__(self) -> int:
        return len(self.names)

    def to_frame(self) -> pd.DataFrame:
        """The schedule's ``videos.csv``: video_id, split (``all``), name, file."""
        frame = pd.DataFrame({"video_id": np.arange(len(self)), "split": "all", "name": self.names})
        if any(f is not None for f in self.files):
            frame["file"] = [f or "" for f in self.files]
        return frame


def study_videos(source: str | Path) -> StudyVideos:
    """The videos named by ``source``: a folder of video files, a CSV, or a count.

    Parameters
    ----------
    source : str or path-like
        A folder (its files with a video extension, :data:`VIDEO_EXTENSIONS`, sorted by name);
        a CSV with a ``file`` or ``name`` column; or a positive integer (videos ``video_000``...).

    Returns
    -------
    StudyVideos
        Names and files.

    Raises
    ------
    ScheduleError
        Fewer than 3 videos, a duplicate (the same name or file twice in a CSV; two files with
        the same content in a folder), or a CSV without a usable column.
    FileNotFoundError
        When ``source`` is neither an integer nor an existing path.
    """
    text = str(source).strip()
    if text.isdigit():
        n = int(text)
        if n < 3:
            raise ScheduleError(f"--videos {n}: a triplet needs at least 3 videos")
        width = max(3, len(str(n - 1)))
        return StudyVideos([f"video_{i:0{width}d}" for i in range(n)], [None] * n)
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"--videos {text}: no such folder or CSV (or give a count of videos)")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)
        seen: dict[str, str] = {}
        for f in files:
            digest = sha256_file(f)
            if digest in seen:
                raise ScheduleError(f"{f}: duplicate video, the same content as {seen[digest]}")
            seen[digest] = f.name
        out = StudyVideos([f.stem for f in files], [f.name for f in files])
    else:
        frame = pd.read_csv(path)
        column = "file" if "file" in frame.columns else "name" if "name" in frame.columns else None
        if column is None:
            raise BenchmarkError("needs a 'file' or 'name' column naming the videos", path)
        values = frame[column].astype(str).str.strip()
        dup = values.duplicated(keep="first")
        if dup.any():
            row = int(np.flatnonzero(dup.to_numpy())[0])
            first = int(np.flatnonzero((values == values.iloc[row]).to_numpy())[0])
            raise BenchmarkError(
                f"duplicate video {values.iloc[row]!r} (also on line {first + 2})", path, line=row + 2, column=column)
        names = (frame["name"].astype(str).tolist() if "name" in frame.columns
                 else [Path(v).stem for v in values])
        out = StudyVideos(names, values.tolist() if column == "file" else [None] * len(values))
    if len(out) < 3:
        raise ScheduleError(f"{path}: {len(out)} video(s) found; a triplet needs at least 3")
    return out


@dataclass(frozen=True)
class Schedule:
    """A study's trials and what they promise.

    Attributes
    ----------
    table : pandas.DataFrame
        ``schedule.csv``'s rows (:data:`SCHEDULE_COLUMNS`), video ids as in ``videos.csv``.
    summary : dict
        Pairs covered, showings per pair, repeats, catch trials and the ceiling's expected
        precision (:func:`plan_schedule`).
    """

    table: pd.DataFrame
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The summary."""
        return dict(self.summary)


def check_budget(participants: int, trials_per_participant: int, catch_per_participant: int, repeat_share: float) -> None:
    """Refuse a study's counts that cannot make a schedule (the message names the argument).

    Parameters
    ----------
    participants, trials_per_participant, catch_per_participant : int
        As :func:`plan_schedule`'s.
    repeat_share : float
        As :func:`plan_schedule`'s.

    Raises
    ------
    ScheduleError
        A count that is not an integer or too small, a share outside [0, 1), or no regular trial
        left beside the catch trials.
    """
    for name, value, low in (("--participants", participants, 1), ("--trials-per-participant", trials_per_participant, 1),
                             ("--catch", catch_per_participant, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ScheduleError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0 <= repeat_share < 1:
        raise ScheduleError(f"--repeat-share must lie in [0, 1), got {repeat_share}")
    if trials_per_participant <= catch_per_participant:
        raise ScheduleError(
            f"--trials-per-participant ({trials_per_participant}) must exceed the catch trials "
            f"({catch_per_participant})")


def cover_size(n_videos: int, rng: np.random.Generator | None = None) -> int:
    """Triplets of the greedy set cover of every pair of ``n_videos`` once (the minimum budget).

    Parameters
    ----------
    n_videos : int
        Number of videos, at least 3.
    rng : numpy.random.Generator, optional
        Breaks the cover's ties (its size barely depends on them).

    Returns
    -------
    int
        ``len(set_cover_triplets(n_videos, 1, rng))``.
    """
    return len(set_cover_triplets(int(n_videos), 1, rng))


def plan_schedule(
    n_videos: int,
    participants: int,
    trials_per_participant: int,
    catch_per_participant: int = 2,
    repeat_share: float = 0.3,
    seed: int = 0,
) -> Schedule:
    """The set-cover schedule of a study, refusing a budget that cannot cover every pair.

    Parameters
    ----------
    n_videos : int
        Number of videos, at least 3.
    participants : int
        Participants, at least 1.
    trials_per_participant : int
        Trials per participant, catch trials included.
    catch_per_participant : int, default 2
        Catch trials per participant (a video shown twice).
    repeat_share : float, default 0.3
        Share of the regular trials kept for repeated triplets (``make_schedule``).
    seed : int, default 0
        Seed of the cover, the repeats, the catch trials and the order.

    Returns
    -------
    Schedule
        The trials and their summary.

    Raises
    ------
    ScheduleError
        Naming the shortfall: too few regular trials to cover every pair once, a bad count.
    """
    check_budget(participants, trials_per_participant, catch_per_participant, repeat_share)
    n = int(n_videos)
    regular = trials_per_participant - catch_per_participant
    budget = participants * regular
    need = cover_size(n, np.random.default_rng(seed))
    n_pairs = n * (n - 1) // 2
    if budget < need:
        short = need - budget
        more = math.ceil(short / regular)
        raise ScheduleError(
            f"budget too small to cover every pair: {participants} participants x {regular} regular "
            f"trials = {budget} trials, but covering all {n_pairs} pairs of {n} videos needs {need} "
            f"triplets (lower bound {math.ceil(n_pairs / 3)}); short by {short} trials, e.g. "
            f"{more} more participant(s) or {math.ceil(need / participants) + catch_per_participant} "
            "trials per participant")
    rng = np.random.default_rng(seed)
    triplets, who = make_schedule(n, participants, trials_per_participant, catch_per_participant, rng, repeat_share)
    table = schedule_table(triplets, who)
    summary = schedule_summary(table, n)
    if summary["pairs_covered"] < n_pairs:  # the schedule's own cover drew other ties
        raise ScheduleError(
            f"budget too small to cover every pair: {budget} regular trials cover "
            f"{summary['pairs_covered']} of {n_pairs} pairs; add participants or trials")
    return Schedule(table, summary)


def schedule_table(triplets: np.ndarray, participants: np.ndarray, shown_before: np.ndarray | None = None) -> pd.DataFrame:
    """``schedule.csv``'s rows of dealt trials, each marked cover, repeat or catch.

    Parameters
    ----------
    triplets : numpy.ndarray
        (n, 3) video ids as shown, grouped by participant in trial order.
    participants : numpy.ndarray
        (n,) participant codes.
    shown_before : numpy.ndarray, optional
        (m, 3) triplets judged in an earlier batch: a showing of one of them is a ``repeat``.

    Returns
    -------
    pandas.DataFrame
        :data:`SCHEDULE_COLUMNS`; ``trial`` numbers each participant's trials from 0.
    """
    triplets = np.asarray(triplets, dtype=np.int64)
    who = np.asarray(participants)
    catch = (triplets[:, 0] == triplets[:, 1]) | (triplets[:, 1] == triplets[:, 2]) | (triplets[:, 0] == triplets[:, 2])
    key = np.sort(triplets, axis=1)
    order = np.arange(len(triplets))
    first = pd.DataFrame(key).assign(order=order).groupby([0, 1, 2])["order"].transform("min").to_numpy()
    repeat = first != order
    if shown_before is not None and len(shown_before):
        before = pd.MultiIndex.from_arrays(np.sort(np.asarray(shown_before, dtype=np.int64), axis=1).T)
        repeat |= pd.MultiIndex.from_arrays(key.T).isin(before)
    kind = np.where(catch, "catch", np.where(repeat, "repeat", "cover"))
    trial = np.zeros(len(who), dtype=np.int64)
    for p in np.unique(who):
        rows = np.flatnonzero(who == p)
        trial[rows] = np.arange(len(rows))
    return pd.DataFrame({"participant": who, "trial": trial, "video_1": triplets[:, 0],
                         "video_2": triplets[:, 1], "video_3": triplets[:, 2], "kind": kind})


def schedule_summary(table: pd.DataFrame, n_videos: int) -> dict[str, Any]:
    """What a schedule promises: pairs covered, showings per pair, repeats, ceiling precision.

    Parameters
    ----------
    table : pandas.DataFrame
        ``schedule.csv``'s rows.
    n_videos : int
        Number of videos.

    Returns
    -------
    dict
        ``pairs`` and ``pairs_covered``; ``showings_per_pair`` (min, mean, max over pairs);
        ``repeated_triplets`` and ``repeat_showings`` (triplets shown more than once, and
        their showings); ``ooo_agreement_se_max`` (the largest standard error of the pair
        agreement the OOO ceiling is fitted to, 0.5 / sqrt(pairs of showings of the same
        triplet)); counts of trials of each kind.
    """
    regular = table[table["kind"] != "catch"]
    t = regular[["video_1", "video_2", "video_3"]].to_numpy(dtype=np.int64)
    counts = pair_counts(t, n_videos)
    upper = counts[np.triu_indices(n_videos, 1)]
    key = np.sort(t, axis=1)
    _, size = np.unique(key, axis=0, return_counts=True) if len(key) else (None, np.zeros(0, int))
    rep = size[size > 1]
    agreement_pairs = int((rep * (rep - 1) // 2).sum())
    return {
        "layout": SCHEDULE_LAYOUT,
        "n_videos": int(n_videos),
        "participants": int(table["participant"].nunique()),
        "trials": len(table),
        "trials_by_kind": {k: int((table["kind"] == k).sum()) for k in KINDS},
        "pairs": len(upper),
        "pairs_covered": int((upper > 0).sum()),
        "showings_per_pair": {"min": int(upper.min()), "mean": float(upper.mean()), "max": int(upper.max())},
        "repeated_triplets": len(rep),
        "repeat_showings": int(rep.sum()),
        "ooo_agreement_se_max": float(0.5 / math.sqrt(agreement_pairs)) if agreement_pairs else None,
    }


def write_schedule(out: str | Path, videos: StudyVideos, schedule: Schedule, timelines: dict[str, Any] | None = None) -> Path:
    """Write a schedule folder (see the module docstring) to the new or empty folder ``out``.

    Parameters
    ----------
    out : path-like
        The folder, new or empty.
    videos : StudyVideos
        The study's videos (video_id = position).
    schedule : Schedule
        The trials.
    timelines : dict, optional
        ``{file name: JSON object}`` written under ``jspsych/``.

    Returns
    -------
    Path
        ``out``.
    """
    root = ensure_fresh_output(out, "schedule", "schedule.json")
    atomic_write_text(root / "videos.csv", videos.to_frame().to_csv(index=False))
    atomic_write_text(root / SCHEDULE_FILE, schedule.table[list(SCHEDULE_COLUMNS)].to_csv(index=False))
    if timelines:
        (root / "jspsych").mkdir(exist_ok=True)
        for name, obj in timelines.items():
            atomic_write_text(root / "jspsych" / name, json.dumps(obj, indent=1) + "\n")
    atomic_write_text(root / "schedule.json", json.dumps(schedule.summary, indent=2) + "\n")
    return root


def read_schedule(root: str | Path) -> pd.DataFrame:
    """Read a schedule folder's ``schedule.csv`` (checked columns and kinds).

    Parameters
    ----------
    root : path-like
        A folder written by :func:`write_schedule`.

    Returns
    -------
    pandas.DataFrame
        Its rows.

    Raises
    ------
    BenchmarkError
        A missing column or an unknown kind, naming the file.
    """
    path = Path(root) / SCHEDULE_FILE
    frame = pd.read_csv(path)
    missing = [c for c in SCHEDULE_COLUMNS if c not in frame.columns]
    if missing:
        raise BenchmarkError(f"lacks column(s) {missing}", path)
    bad = ~frame["kind"].isin(KINDS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BenchmarkError(f"unknown kind {frame['kind'].iloc[row]!r}", path, line=row + 2, column="kind")
    return frame
