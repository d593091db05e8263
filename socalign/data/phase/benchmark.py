"""PHASE as socalign benchmarks: a copy loaded as one, labels, the summary, and the rendered folder.

A copy of PHASE loads as a :class:`~socalign.data.types.Benchmark` of its 500 videos (the
registry's reader, :func:`read_copy`): video ids 0-399 the main set (by name; split ``train``)
and 400-499 the generalization set (file order; split ``test``), no odd-one-out trials, and
video files only when the original PHASE videos are attached (``--videos DIR``,
``$SOCALIGN_PHASE_VIDEOS``: ``DIR/<PHASE file name>``).

:func:`render_benchmark` (``socalign data render phase --out DIR``) writes a labelled
benchmark folder (:data:`socalign.data.layout.LABELS_LAYOUT_VERSION`): one mp4 per video at
``DIR/<PHASE file name>``, drawn from the trajectories (:mod:`socalign.data.phase.render`) or
copied from the originals (``--videos DIR``), and ``videos.csv`` with the columns

* ``video_id``, ``name`` (the PHASE file name), ``file``;
* ``split``: ``train`` for the main set, ``test`` for the generalization set;
* ``set`` (:data:`SET_COLUMN`): ``main`` or ``generalization``;
* ``label`` (:data:`LABEL_COLUMN`): ``friendly``, ``neutral`` or ``adversarial``.

Labels: the generalization set's come from its ``social_goals`` field; the main set's are the
majority of the raw responses (:mod:`socalign.data.phase.ratings`, the authors' exclusions and
tie rule). A copy without the main set's trajectories renders the generalization set only
(``benchmark.json`` says so under ``phase.absent_sets``). Read the labels of any PHASE
benchmark, a copy or a rendered folder, with :func:`video_labels`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socalign.cache import InputFileError, check_input, staged_folder
from socalign.data.errors import BenchmarkError
from socalign.data.layout import (
    LABEL_COLUMN,
    LABELS_LAYOUT_VERSION,
    SET_COLUMN,
    exclusions,
    no_trials,
    read_labels,
    write_labelled_benchmark,
)
from socalign.data.phase.pins import COMMIT, NAME, REPOSITORY
from socalign.data.phase.ratings import agreement, keep_ratings, majority_labels, read_responses
from socalign.data.phase.render import (
    DEFAULT_SIZE,
    STEPS_PER_SECOND,
    frame_rate,
    render_frames,
)
from socalign.data.phase.source import (
    LABELS,
    MAIN_FILE,
    SETS,
    SPLIT_OF_SET,
    has_main_trajectories,
    read_set,
)
from socalign.data.types import Benchmark, Videos
from socalign.outputs import check_output_folder
from socalign.progress import progress_bar

#: What a loaded PHASE benchmark's ``metadata["source"]`` holds.
SOURCE = f"{REPOSITORY}@{COMMIT}"
#: The version of the rendering, recorded in a rendered folder's ``benchmark.json``.
RENDERER = "socalign-phase-render/1"
#: How each set's labels are made (recorded with every summary).
LABEL_RULES = {
    "main": "majority of the raw responses after the authors' exclusions (incomplete sessions, "
            "participants who misrated a catch video); catch videos (_mm) excluded; a tie goes "
            "to the alphabetically first tied label (adversarial, friendly, neutral), as the "
            "authors' Series.mode().iloc[0]",
    "generalization": "the social_goals field of PHASE/Videos_Test_humanratings",
}


def video_table(root: Path | str, exclusions_applied: bool = True) -> pd.DataFrame:
    """One row per PHASE video of a copy: its id, name, set, split and label.

    Parameters
    ----------
    root : path-like
        A (verified) copy of PHASE's layout.
    exclusions_applied : bool, default True
        Make the main set's labels with the authors' exclusions
        (:func:`socalign.data.phase.ratings.keep_ratings`).

    Returns
    -------
    pandas.DataFrame
        Columns ``video_id``, ``name``, ``set``, ``split``, ``label``: the main set first (by
        name; ids from 0), then the generalization set (file order). ``attrs`` holds
        ``ratings`` (the counts of :class:`~socalign.data.phase.ratings.Kept`) and ``n_ties``.

    Raises
    ------
    BenchmarkError
        As the readers of the copy's files, or when a main-set video is named in both sets.
    """
    root = Path(root)
    kept = keep_ratings(read_responses(root), exclusions=exclusions_applied)
    main = majority_labels(kept.ratings)
    generalization = read_set(root, "generalization")
    both = set(main.index) & {v.name for v in generalization}
    if both:
        raise BenchmarkError(f"video {sorted(both)[0]!r} is in both sets", root)
    names = [*main.index, *(v.name for v in generalization)]
    sets = ["main"] * len(main) + ["generalization"] * len(generalization)
    table = pd.DataFrame({
        "video_id": np.arange(len(names), dtype=np.int64),
        "name": names,
        SET_COLUMN: sets,
        "split": [SPLIT_OF_SET[s] for s in sets],
        LABEL_COLUMN: [*main.to_numpy(), *(v.label for v in generalization)],
    })
    table.attrs["ratings"] = dict(kept.counts)
    table.attrs["n_ties"] = int(main.attrs["n_ties"])
    return table


def read_copy(root: Path | str, videos_dir: Path | str | None = None) -> Benchmark:
    """A copy of PHASE as a benchmark: the dataset registry's reader for ``phase``.

    Load it with ``socalign.data.load_dataset("phase")`` (located or fetched) or
    ``load_dataset(COPY)``, which come here.

    Parameters
    ----------
    root : path-like
        A (verified) copy of PHASE's layout.
    videos_dir : path-like or None, default None
        A folder of the original PHASE videos, each as ``videos_dir/<PHASE file name>``
        (None: no video files).

    Returns
    -------
    Benchmark
        The 500 videos (:func:`video_table`), no trials; its labels through
        :func:`video_labels`.
    """
    root = Path(root)
    table = video_table(root)
    names = table["name"].tolist()
    files: tuple[Path | None, ...] = tuple(
        (Path(videos_dir) / n) if videos_dir is not None else None for n in names)
    videos = Videos(
        ids=table["video_id"].to_numpy(),
        names=tuple(names),
        files=files,
        splits=table["split"].to_numpy(dtype=object).astype(str),
        captions=tuple(() for _ in names),
    )
    trials = no_trials()
    kept, excluded = exclusions(trials)
    return Benchmark(name=NAME, root=root, videos=videos, trials=trials, kept_mask=kept,
                     excluded=excluded, metadata={"source": SOURCE, "layout": "phase-copy"})


def is_phase_benchmark(benchmark: Benchmark) -> bool:
    """True for a benchmark of PHASE: a copy, or a folder :func:`render_benchmark` wrote.

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark.

    Returns
    -------
    bool
    """
    return benchmark.metadata.get("source") == SOURCE


def video_labels(benchmark: Benchmark) -> pd.DataFrame:
    """Every video's label and set, in the benchmark's video order.

    Parameters
    ----------
    benchmark : Benchmark
        A PHASE benchmark: a copy (:func:`read_copy`) or a rendered folder.

    Returns
    -------
    pandas.DataFrame
        Index ``video_id`` (``benchmark.videos.ids``); columns ``name``, ``set``, ``split``
        and ``label``.

    Raises
    ------
    BenchmarkError
        When the benchmark is not PHASE's, or its labels cannot be read.
    """
    if not is_phase_benchmark(benchmark) or benchmark.root is None:
        raise BenchmarkError(f"{benchmark.name!r} is not a PHASE benchmark (its metadata "
                             f"names no source {SOURCE})", benchmark.root)
    videos = benchmark.videos
    if benchmark.metadata.get("layout") == LABELS_LAYOUT_VERSION:
        labels = read_labels(benchmark, LABEL_COLUMN)
        sets = read_labels(benchmark, SET_COLUMN)
    else:
        table = video_table(benchmark.root).set_index("video_id").loc[videos.ids]
        labels, sets = table[LABEL_COLUMN].to_numpy(), table[SET_COLUMN].to_numpy()
    return pd.DataFrame({"name": list(videos.names), SET_COLUMN: sets, "split": videos.splits,
                         LABEL_COLUMN: labels}, index=pd.Index(videos.ids, name="video_id"))


def label_counts(labels: pd.DataFrame) -> dict[str, dict[str, int]]:
    """How many videos of each set carry each label.

    Parameters
    ----------
    labels : pandas.DataFrame
        :func:`video_labels`' table.

    Returns
    -------
    dict
        Set -> label -> count (every label, 0 where none), sets in :data:`SETS` order.
    """
    return {s: {label: int(((labels[SET_COLUMN] == s) & (labels[LABEL_COLUMN] == label)).sum())
                for label in LABELS}
            for s in SETS if (labels[SET_COLUMN] == s).any()}


def people_summary(root: Path | str, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """What people's raw ratings of the main set say: the counts, ties and agreement.

    Parameters
    ----------
    root : path-like
        A (verified) copy of PHASE's layout.
    n_boot : int, default 1000
        Bootstrap resamples of the videos for the agreement's interval.
    seed : int, default 0
        Seed of the resampling.

    Returns
    -------
    dict
        ``ratings`` (the counts of :class:`~socalign.data.phase.ratings.Kept`), ``n_ties``,
        ``agreement`` (:meth:`~socalign.data.phase.ratings.Agreement.to_dict`) and
        ``label_rules``; with the main set's trajectories present, also
        ``n_main_labels_differ_from_social_goals``.
    """
    root = Path(root)
    kept = keep_ratings(read_responses(root))
    labels = majority_labels(kept.ratings)
    out: dict[str, Any] = {
        "ratings": dict(kept.counts),
        "n_ties": int(labels.attrs["n_ties"]),
        "agreement": agreement(kept.ratings, n_boot=n_boot, seed=seed).to_dict(),
        "label_rules": dict(LABEL_RULES),
    }
    if has_main_trajectories(root):
        goals = {v.name: v.label for v in read_set(root, "main")}
        out["n_main_labels_differ_from_social_goals"] = int(sum(
            goals.get(name) != label for name, label in labels.items()))
    return out


def summary(benchmark: Benchmark, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """A PHASE benchmark's labels and people's agreement (``socalign data info``'s ``labels``).

    Parameters
    ----------
    benchmark : Benchmark
        A PHASE benchmark: a copy or a rendered folder.
    n_boot : int, default 1000
        Bootstrap resamples of the videos (a copy; a rendered folder reports what was measured
        when it was written).
    seed : int, default 0
        Seed of the resampling.

    Returns
    -------
    dict
        ``label_column``, ``set_column``, ``counts`` (:func:`label_counts`), and the entries of
        :func:`people_summary`.
    """
    counts = label_counts(video_labels(benchmark))
    out: dict[str, Any] = {"label_column": LABEL_COLUMN, "set_column": SET_COLUMN,
                           "counts": counts}
    if benchmark.metadata.get("layout") == LABELS_LAYOUT_VERSION:
        recorded = benchmark.metadata.get("phase")
        if isinstance(recorded, Mapping) and isinstance(recorded.get("people"), Mapping):
            out.update(recorded["people"])
    else:
        out.update(people_summary(benchmark.root, n_boot=n_boot, seed=seed))  # type: ignore[arg-type]
    return out


def _originals(table: pd.DataFrame, videos_dir: Path) -> list[Path]:
    """Each video's original file in ``videos_dir``, every one checked to be there."""
    files = [videos_dir / name for name in table["name"]]
    missing = [f for f in files if not os.path.lexists(f)]
    if missing:
        raise BenchmarkError(
            f"{len(missing)} of the {len(files)} PHASE videos are not in the video folder "
            f"(first: {missing[0].name}); it must hold every video under its PHASE file name",
            missing[0])
    for file in files:
        try:
            check_input(file, "video", videos_dir)
        except InputFileError as err:
            raise BenchmarkError(err.reason, file) from err
    return files


def render_benchmark(
    root: Path | str,
    out: Path | str,
    size: int | None = None,
    n_frames: int | None = None,
    videos_dir: Path | str | None = None,
    progress: bool = False,
    n_boot: int = 1000,
) -> dict[str, Any]:
    """Write PHASE as a labelled benchmark folder: an mp4 per video, ``videos.csv`` with labels.

    The folder must be new or empty (a file or a non-empty folder is refused, nothing
    written); it appears whole or not at all (written beside it, then renamed).

    Parameters
    ----------
    root : path-like
        A (verified) copy of PHASE's layout.
    out : path-like
        The benchmark folder to write.
    size : int or None, default None
        Frame side in pixels, even (None: :data:`~socalign.data.phase.render.DEFAULT_SIZE`);
        rendered videos only.
    n_frames : int or None, default None
        Frames per video, sampled evenly over the trajectory steps (None: one per step);
        rendered videos only.
    videos_dir : path-like or None, default None
        A folder of the original PHASE videos (``DIR/<PHASE file name>``): they are copied in
        instead of rendered, every video of both sets; ``size`` and ``n_frames`` must then be
        None.
    progress : bool, default False
        Show a progress bar.
    n_boot : int, default 1000
        Bootstrap resamples for people's agreement, recorded in ``benchmark.json``.

    Returns
    -------
    dict
        ``out``, ``n_videos``, ``videos`` (``"rendered"`` or ``"original"``), ``sets`` (videos
        per set), ``labels`` (per set and label), ``absent_sets`` (sets without trajectories,
        not rendered), ``size``, ``n_frames``, ``label_column`` and ``set_column``.

    Raises
    ------
    socalign.outputs.OutputFolderError
        ``out`` is a file or a non-empty folder.
    BenchmarkError
        A file of the copy is wrong; an original video is missing; or ``size``/``n_frames`` is
        given with ``videos_dir``.
    ValueError
        ``size`` is odd or under 16, or ``n_frames`` under 1.
    """
    out = check_output_folder(out, "benchmark", "benchmark.json")
    root = Path(root)
    if videos_dir is not None and (size is not None or n_frames is not None):
        raise BenchmarkError("--size and --frames apply to rendered videos; with --videos the "
                             "original PHASE videos are copied as they are", videos_dir)
    size = DEFAULT_SIZE if size is None else int(size)
    if videos_dir is None and (size < 16 or size % 2):
        raise ValueError(f"--size must be an even number of pixels, at least 16, got {size}")
    if n_frames is not None and n_frames < 1:
        raise ValueError(f"--frames must be at least 1, got {n_frames}")
    table = video_table(root)
    absent: list[str] = []
    sources: dict[str, Any] = {}
    if videos_dir is not None:
        originals = _originals(table, Path(videos_dir))
        sources = dict(zip(table["name"], originals, strict=True))
    else:
        for which in SETS:
            if which == "main" and not has_main_trajectories(root):
                absent.append(which)
                continue
            for video in read_set(root, which):
                sources[video.name] = video
        listed = set(table.loc[~table[SET_COLUMN].isin(absent), "name"])
        if set(sources) != listed:
            odd = sorted(set(sources) ^ listed)[0]
            raise BenchmarkError(f"video {odd!r} is not in both the trajectories and the "
                                 "responses", root / MAIN_FILE)
        table = table[~table[SET_COLUMN].isin(absent)].reset_index(drop=True)
    table.insert(2, "file", table["name"])
    people_record = people_summary(root, n_boot=n_boot)
    metadata = {
        "name": NAME,
        "source": SOURCE,
        "description": "PHASE (Netanyahu et al. 2021): 2-D animations of two agents labelled "
                       "friendly, neutral or adversarial by people; trajectories and labels "
                       f"from {SOURCE}",
        "phase": {
            "videos": "original" if videos_dir is not None else "rendered",
            "renderer": None if videos_dir is not None else RENDERER,
            "size": None if videos_dir is not None else size,
            "n_frames": n_frames,
            "steps_per_second": STEPS_PER_SECOND,
            "label_column": LABEL_COLUMN,
            "set_column": SET_COLUMN,
            "splits": dict(SPLIT_OF_SET),
            "absent_sets": absent,
            "people": people_record,
        },
    }
    with staged_folder(out) as stage:
        for name in progress_bar(table["name"], "phase videos", progress, unit="video"):
            source = sources[name]
            if isinstance(source, Path):
                shutil.copyfile(source, stage / name)
            else:
                from socalign.video import write_video

                write_video(stage / name, render_frames(source, size, n_frames),
                            fps=frame_rate(source, n_frames))
        write_labelled_benchmark(stage, table, metadata=metadata)
    labels = label_counts(table)
    return {
        "out": str(out),
        "n_videos": len(table),
        "videos": metadata["phase"]["videos"],  # type: ignore[index]
        "sets": {s: int((table[SET_COLUMN] == s).sum()) for s in SETS if s not in absent},
        "labels": labels,
        "absent_sets": absent,
        "size": None if videos_dir is not None else size,
        "n_frames": n_frames,
        "label_column": LABEL_COLUMN,
        "set_column": SET_COLUMN,
    }
