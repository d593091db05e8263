"""The socalign on-disk layout for any odd-one-out benchmark: read, validate, write.

Benchmarks are loaded through :func:`socalign.data.load_dataset` (the dataset registry), which
reads a folder in this layout with :func:`read_layout`.

::

    DIR/
      benchmark.json  {"name": ..., "layout": "socalign-ooo/1", ...}    (optional metadata)
      videos.csv      video_id, split[, name, file, rating_<attribute> ...]  one row per video
      captions.csv    video_id, caption                            (optional; many per video)
      trials.csv      participant, video_1, video_2, video_3, choice[, response_time]

``video_id`` is a unique non-negative integer; ``file`` a path relative to DIR; ratings lie in
[0, 1] (empty = not rated); ``choice`` is the video id chosen as the odd one out and must be
one of the three. Errors name the file, line (header = line 1) and column.

A *labelled* benchmark (``"layout": "socalign-labels/1"``, :data:`LABELS_LAYOUT_VERSION`) has
people's labels of each video instead of odd-one-out judgments, as PHASE does: ``videos.csv``
needs a ``label`` column (no empty cell; other text columns, e.g. PHASE's ``set``, are kept
as written), ``trials.csv`` is optional (none: the benchmark has no trials), and
:func:`read_labels` reads such a column in the benchmark's video order. Commands that need
judgments (ceilings, similarity, fine-tuning) find no trials in it; embedding its videos does
not need any. Write one with :func:`write_labelled_benchmark`.

Every file is read through :func:`socalign.cache.open_input`: regular files only (a FIFO,
device or socket is refused by name), symlinks resolved and refused when they leave the
benchmark folder, sizes bounded (:data:`socalign.cache.INPUT_LIMITS`: 64 MiB of JSON, 1 GiB
per table) and ``benchmark.json`` nested at most :data:`socalign.cache.MAX_JSON_DEPTH` deep.
A video file listed in ``videos.csv`` is checked the same way when it is there.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from socalign.cache import InputFileError, check_input, read_input, read_json_input
from socalign.cache import atomic_write_text as write_text_atomically
from socalign.data.errors import BenchmarkError
from socalign.data.types import Benchmark, Trials, Videos
from socalign.outputs import OutputFolderError, check_output_folder

LAYOUT_VERSION = "socalign-ooo/1"
#: The layout of a benchmark with people's labels of each video and no odd-one-out trials.
LABELS_LAYOUT_VERSION = "socalign-labels/1"
#: The column of a labelled benchmark's ``videos.csv`` that holds the label.
LABEL_COLUMN = "label"
#: The optional column of a labelled benchmark's ``videos.csv`` naming the set a video is from
#: (PHASE: ``main`` or ``generalization``; the transfer analysis trains on one, tests on the other).
SET_COLUMN = "set"
VIDEO_COLUMNS = ("video_id", "split")
TRIAL_COLUMNS = ("participant", "video_1", "video_2", "video_3", "choice")
RATING_PREFIX = "rating_"


def read_csv(path: Path, required: Sequence[str], root: Path | None = None) -> pd.DataFrame:
    """Read a CSV, failing clearly on a missing, empty, incomplete or special file.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8).
    required : sequence of str
        The columns it must have.
    root : Path or None, default None
        The folder the file belongs to: a symlink leading outside it is refused (None: no
        such check).

    Returns
    -------
    pandas.DataFrame
        Its rows (at least one).

    Raises
    ------
    BenchmarkError
        Naming the file (and the line of a byte that is not UTF-8): it is missing, not a
        regular file, a symlink leaving ``root``, larger than 1 GiB, not UTF-8, empty, not a
        readable CSV, lacks a required column, or has a header but no rows.
    """
    if not os.path.lexists(path):
        raise BenchmarkError("file not found", path)
    raw = read_bytes(path, "csv", root)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise BenchmarkError(
            f"byte 0x{raw[err.start]:02x} is not UTF-8 text; save the file as UTF-8", path, line
        ) from err
    try:
        frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8")
    except pd.errors.EmptyDataError as err:
        raise BenchmarkError("the file is empty", path) from err
    except pd.errors.ParserError as err:
        raise BenchmarkError(f"not a readable CSV ({err})", path) from err
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise BenchmarkError(
            f"missing column(s) {missing}; found {list(frame.columns)}", path
        )
    if frame.empty:
        raise BenchmarkError("the file has a header but no rows", path)
    return frame


def read_bytes(path: Path, kind: str, root: Path | None = None) -> bytes:
    """A benchmark file's bytes through the one opener (:func:`socalign.cache.read_input`).

    Parameters
    ----------
    path : Path
        The file.
    kind : str
        Its kind, a key of :data:`socalign.cache.INPUT_LIMITS` (``"csv"``, ``"json"``).
    root : Path or None, default None
        The benchmark folder the file must stay inside (None: no such check).

    Returns
    -------
    bytes
        The content.

    Raises
    ------
    BenchmarkError
        Naming the file: not a regular file, a symlink leaving ``root``, too large, unreadable.
    """
    try:
        return read_input(path, kind, root)
    except InputFileError as err:
        raise BenchmarkError(err.reason, path) from err


def read_json(path: Path, root: Path | None = None) -> object:
    """A benchmark's JSON file, parsed (:func:`socalign.cache.read_json_input`).

    Parameters
    ----------
    path : Path
        The file (UTF-8).
    root : Path or None, default None
        The benchmark folder the file must stay inside (None: no such check).

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    BenchmarkError
        Naming the file: as :func:`read_bytes`, not UTF-8, not valid JSON, or nested too deep.
    """
    try:
        return read_json_input(path, root)
    except InputFileError as err:
        raise BenchmarkError(err.reason, path) from err


INT64_MAX = np.iinfo(np.int64).max


def cell_text(value: object) -> str:
    """A cell as the user wrote it, for messages: ``'x1'``, or ``an empty cell``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return "an empty cell"
    return repr(str(value))


def integer_column(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """A column as int64, naming the first row that is missing, not an integer, or beyond int64.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table read from ``path``.
    column : str
        The column to convert (integral floats such as ``3.0`` are accepted).
    path : Path
        The file the table came from, named in errors.

    Returns
    -------
    numpy.ndarray
        (len(frame),) int64.

    Raises
    ------
    BenchmarkError
        Naming the file, line and column of the first bad cell.
    """
    raw = frame[column]
    if raw.dtype == np.int64:
        return raw.to_numpy()
    out = np.zeros(len(raw), dtype=np.int64)
    for row, cell in enumerate(raw.tolist()):
        text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
        try:
            value = int(text.strip())
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if not (np.isfinite(number) and number == round(number)):
                raise BenchmarkError(
                    f"expected an integer, found {cell_text(cell)}", path, row + 2, column
                ) from None
            value = int(number)
        if abs(value) > INT64_MAX:
            raise BenchmarkError(
                f"integer {text.strip()} is beyond the 64-bit range", path, row + 2, column
            )
        out[row] = value
    return out


def float_column(
    frame: pd.DataFrame, column: str, path: Path, lo: float | None = None, hi: float | None = None,
    allow_nan: bool = True,
) -> np.ndarray:
    """A column as float64, naming the first non-numeric, NaN or out-of-range row.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table read from ``path``.
    column : str
        The column to convert.
    path : Path
        The file the table came from, named in errors.
    lo : float or None, default None
        The smallest value allowed (None: no lower bound).
    hi : float or None, default None
        The largest value allowed (None: no upper bound).
    allow_nan : bool, default True
        Accept empty cells (as NaN); a non-numeric cell is refused either way.

    Returns
    -------
    numpy.ndarray
        (len(frame),) float64.

    Raises
    ------
    BenchmarkError
        Naming the file, line and column of the first bad cell.
    """
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    not_numeric = np.isnan(values) & raw.notna().to_numpy()
    if not allow_nan:
        not_numeric |= np.isnan(values)
    if not_numeric.any():
        row = int(np.flatnonzero(not_numeric)[0])
        raise BenchmarkError(f"expected a number, found {cell_text(raw.iloc[row])}", path,
                             row + 2, column)
    out_of_range = np.zeros(len(values), dtype=bool)
    if lo is not None:
        out_of_range |= values < lo
    if hi is not None:
        out_of_range |= values > hi
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range)[0])
        raise BenchmarkError(
            f"value {values[row]} outside [{lo}, {hi}]", path, row + 2, column
        )
    return values


def read_videos(root: Path) -> Videos:
    """Read and validate ``videos.csv`` (and ``captions.csv`` when present)."""
    path = root / "videos.csv"
    frame = read_csv(path, VIDEO_COLUMNS, root)
    ids = integer_column(frame, "video_id", path)
    if (ids < 0).any():
        row = int(np.flatnonzero(ids < 0)[0])
        raise BenchmarkError(f"negative video id {ids[row]}", path, row + 2, "video_id")
    duplicated = pd.Index(ids).duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise BenchmarkError(f"duplicate video id {ids[row]}", path, row + 2, "video_id")
    splits = frame["split"]
    if splits.isna().any():
        row = int(np.flatnonzero(splits.isna().to_numpy())[0])
        raise BenchmarkError("empty split", path, row + 2, "split")
    names = (
        frame["name"].astype(str).tolist() if "name" in frame else [str(i) for i in ids]
    )
    files: list[Path | None] = [None] * len(frame)
    if "file" in frame:
        files = [video_file(root, f, path, row + 2) for row, f in enumerate(frame["file"])]
        for row, file in enumerate(files):
            if file is not None and os.path.lexists(file):
                try:
                    check_input(file, "video", root)
                except InputFileError as err:
                    raise BenchmarkError(f"video file {err}", path, row + 2, "file") from err
    ratings = {
        c[len(RATING_PREFIX):]: float_column(frame, c, path, 0.0, 1.0)
        for c in frame.columns
        if c.startswith(RATING_PREFIX)
    }
    captions = read_captions(root / "captions.csv", ids, root)
    return Videos(
        ids=ids,
        names=tuple(names),
        files=tuple(files),
        splits=splits.astype(str).to_numpy(),
        captions=captions,
        ratings=ratings,
    )


def video_file(root: Path, value: object, path: Path, line: int) -> Path | None:
    """A ``file`` cell as a path inside ``root``; absolute paths and ``..`` are refused.

    Parameters
    ----------
    root : Path
        The benchmark folder.
    value : object
        The cell (None, NaN or empty: no file).
    path : Path
        The table the cell came from, named in errors.
    line : int
        The cell's line in that file, named in errors.

    Returns
    -------
    Path or None
        ``root / value``, or None for an empty cell (the file need not exist).

    Raises
    ------
    BenchmarkError
        When the cell is an absolute path or contains ``..``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == "":
        return None
    text = str(value)
    relative = Path(text)
    if relative.is_absolute() or text.startswith(("/", "\\")) or ".." in relative.parts:
        raise BenchmarkError(
            f"file {text!r} is not a path relative to the benchmark folder (absolute paths and "
            "'..' are refused: a benchmark only reads files inside its folder)",
            path, line, "file",
        )
    return root / relative


def read_captions(
    path: Path, ids: np.ndarray, root: Path | None = None
) -> tuple[tuple[str, ...], ...]:
    """Captions per video, in the order of ``ids`` (empty tuples when there is no file).

    Parameters
    ----------
    path : Path
        ``captions.csv`` (columns ``video_id`` and ``caption``); it may be absent.
    ids : numpy.ndarray
        The on-disk video ids of ``videos.csv``, in table order.
    root : Path or None, default None
        The benchmark folder the file must stay inside (None: no such check).

    Returns
    -------
    tuple of tuple of str
        One tuple per video, its captions in file order.

    Raises
    ------
    BenchmarkError
        When a caption names a video id not in ``ids``, or a caption is empty.
    """
    if not os.path.lexists(path):
        return tuple(() for _ in ids)
    frame = read_csv(path, ("video_id", "caption"), root)
    video_ids = integer_column(frame, "video_id", path)
    position = pd.Index(ids).get_indexer(video_ids)
    if (position < 0).any():
        row = int(np.flatnonzero(position < 0)[0])
        raise BenchmarkError(
            f"video id {video_ids[row]} is not in videos.csv", path, row + 2, "video_id"
        )
    empty = frame["caption"].isna().to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise BenchmarkError("empty caption", path, row + 2, "caption")
    per_video: list[list[str]] = [[] for _ in ids]
    for pos, caption in zip(position, frame["caption"].astype(str), strict=True):
        per_video[pos].append(caption)
    return tuple(tuple(c) for c in per_video)


def trials_from_frame(frame: pd.DataFrame, videos: Videos, path: Path) -> Trials:
    """Validate a trials table (on-disk video ids) and convert it to :class:`Trials`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, with ``participant``, ``video_1``, ``video_2``, ``video_3`` and ``choice``
        (an on-disk video id), and optionally ``response_time``.
    videos : Videos
        The benchmark's videos, mapping on-disk ids to row indices.
    path : Path
        The file the table came from, named in errors.

    Returns
    -------
    Trials
        Triplets as video row indices; ``odd`` the position (0-2) of the chosen video in its
        triplet (the first match where a video repeats); participants coded in order of first
        appearance; response times NaN when there is no such column.

    Raises
    ------
    BenchmarkError
        Naming the file, line and column of an unknown video id, a choice that is not one of
        the three videos, an empty participant or a bad response time.
    """
    columns = ("video_1", "video_2", "video_3")
    raw_ids = np.column_stack([integer_column(frame, c, path) for c in columns])
    lookup = pd.Index(videos.ids)
    triplets = lookup.get_indexer(raw_ids.ravel()).reshape(raw_ids.shape)
    if (triplets < 0).any():
        row, col = (int(x[0]) for x in np.nonzero(triplets < 0))
        raise BenchmarkError(
            f"unknown video id {raw_ids[row, col]} (not in videos.csv)", path, row + 2, columns[col]
        )
    choice = integer_column(frame, "choice", path)
    matches = raw_ids == choice[:, None]
    not_in = ~matches.any(axis=1)
    if not_in.any():
        row = int(np.flatnonzero(not_in)[0])
        raise BenchmarkError(
            f"choice {choice[row]} is not one of the three videos {raw_ids[row].tolist()}",
            path, row + 2, "choice",
        )
    odd = matches.argmax(axis=1)
    # In a catch trial (one video twice) the odd one is the singleton: the choice that matches once.
    participants_raw = frame["participant"]
    if participants_raw.isna().any():
        row = int(np.flatnonzero(participants_raw.isna().to_numpy())[0])
        raise BenchmarkError("empty participant", path, row + 2, "participant")
    codes, uniques = pd.factorize(participants_raw.astype(str), sort=False)
    if "response_time" in frame:
        rt = float_column(frame, "response_time", path, lo=0.0)
    else:
        rt = np.full(len(frame), np.nan)
    return Trials(
        triplets=triplets.astype(np.int64),
        odd=odd.astype(np.int64),
        participants=codes.astype(np.int64),
        participant_names=tuple(uniques),
        response_time=rt,
        row=np.arange(len(frame), dtype=np.int64),
    )


def exclusions(trials: Trials, exclude_catch: bool = True) -> tuple[np.ndarray, dict[str, int]]:
    """The kept mask and the count of each exclusion reason (every exclusion is counted).

    Parameters
    ----------
    trials : Trials
        The benchmark's trials.
    exclude_catch : bool, default True
        Exclude catch trials (a video repeated inside the triplet).

    Returns
    -------
    kept : numpy.ndarray
        (len(trials),) bool, True for a kept trial.
    excluded : dict of str to int
        Reason -> number of trials excluded for it (``catch_trial`` when ``exclude_catch``,
        even when 0).
    """
    kept = np.ones(len(trials), dtype=bool)
    excluded: dict[str, int] = {}
    if exclude_catch:
        catch = trials.is_catch
        excluded["catch_trial"] = int(catch.sum())
        kept &= ~catch
    return kept, excluded


def read_layout(root: Path | str, exclude_catch: bool = True) -> Benchmark:
    """Read a benchmark folder in the socalign layout, validating every file.

    The dataset registry's reader for socalign-layout folders (SocialWorld's among them); load
    a benchmark with :func:`socalign.data.load_dataset`, which comes here for such a folder.

    Parameters
    ----------
    root : path-like
        The benchmark folder (``videos.csv``, ``trials.csv``, optionally ``captions.csv`` and
        ``benchmark.json``).
    exclude_catch : bool, default True
        Exclude catch trials from the kept trials.

    Returns
    -------
    Benchmark
        Named by ``benchmark.json``'s ``name`` (else the folder's name), with its metadata.

    Raises
    ------
    BenchmarkError
        Naming the file (and line and column) of the first problem found.
    """
    root = Path(root)
    if not root.exists():
        raise BenchmarkError("dataset path does not exist", root)
    if not root.is_dir():
        raise BenchmarkError("dataset path is not a folder", root)
    meta_path = root / "benchmark.json"
    metadata: dict[str, object] = {}
    if os.path.lexists(meta_path):
        metadata = read_json(meta_path, root)  # type: ignore[assignment]
        if not isinstance(metadata, dict):
            raise BenchmarkError(
                f"must hold a JSON object, found a {type(metadata).__name__}", meta_path
            )
    videos = read_videos(root)
    trials_path = root / "trials.csv"
    labelled = metadata.get("layout") == LABELS_LAYOUT_VERSION
    if labelled and not os.path.lexists(trials_path):
        trials = no_trials()
    else:
        trials = trials_from_frame(read_csv(trials_path, TRIAL_COLUMNS, root), videos, trials_path)
    kept, excluded = exclusions(trials, exclude_catch)
    benchmark = Benchmark(
        name=str(metadata.get("name", root.name)),
        root=root,
        videos=videos,
        trials=trials,
        kept_mask=kept,
        excluded=excluded,
        metadata=metadata,
    )
    if labelled:
        read_labels(benchmark)  # a labelled benchmark's labels are checked when it is loaded
    return benchmark


def no_trials() -> Trials:
    """The trials of a benchmark that has none (a labelled benchmark without ``trials.csv``).

    Returns
    -------
    Trials
        Zero trials.
    """
    return Trials(
        triplets=np.zeros((0, 3), dtype=np.int64),
        odd=np.zeros(0, dtype=np.int64),
        participants=np.zeros(0, dtype=np.int64),
        participant_names=(),
        response_time=np.zeros(0),
        row=np.zeros(0, dtype=np.int64),
    )


def read_labels(benchmark: Benchmark, column: str = LABEL_COLUMN) -> np.ndarray:
    """A text column of a benchmark's ``videos.csv`` (its labels), in the benchmark's video order.

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark loaded from a folder in the socalign layout.
    column : str, default LABEL_COLUMN
        The column (``label``; PHASE's ``set`` too).

    Returns
    -------
    numpy.ndarray
        (n_videos,) object array of strings, row i the value of ``benchmark.videos.ids[i]``.

    Raises
    ------
    BenchmarkError
        Naming ``videos.csv`` (and the line): the benchmark has no folder, the column is
        missing, or a cell is empty.
    """
    if benchmark.root is None:
        raise BenchmarkError(f"the benchmark has no folder, so its {column!r} column cannot be read")
    root = Path(benchmark.root)
    path = root / "videos.csv"
    frame = read_csv(path, ("video_id", column), root)
    values = frame[column]
    empty = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise BenchmarkError(f"empty {column}", path, row + 2, column)
    ids = integer_column(frame, "video_id", path)
    position = pd.Index(ids).get_indexer(benchmark.videos.ids)
    if (position < 0).any():
        missing = benchmark.videos.ids[position < 0][0]
        raise BenchmarkError(f"video id {missing} has no row", path, column="video_id")
    return values.astype(str).to_numpy(dtype=object)[position]


def ensure_fresh_output(
    root: Path | str, what: str = "benchmark", marker: str = "benchmark.json"
) -> Path:
    """Create ``root``, refusing a file or a folder that already holds files (nothing is
    overwritten; see :func:`socalign.outputs.check_output_folder`).

    Parameters
    ----------
    root
        The output folder.
    what
        What is written there (named in the refusal).
    marker
        The file a folder of that kind written by socalign holds (named in the refusal).

    Returns
    -------
    Path
        ``root``, an existing empty folder.

    Raises
    ------
    BenchmarkError
        Naming ``root``: it is a file, or a folder that is not empty.
    """
    root = Path(root)
    try:
        check_output_folder(root, what, marker)
    except OutputFolderError as err:
        raise BenchmarkError(f"output folder {err.reason}", root) from err
    root.mkdir(parents=True, exist_ok=True)
    return root


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write a file through a temporary name and a rename, so a crash leaves no half file
    (:func:`socalign.cache.atomic_write_text`).

    Parameters
    ----------
    path : path-like
        The file.
    text : str
        Its content (UTF-8).

    Returns
    -------
    None
    """
    write_text_atomically(path, text)


def write_benchmark(
    root: Path | str,
    videos: pd.DataFrame,
    trials: pd.DataFrame,
    captions: pd.DataFrame | None = None,
    metadata: Mapping[str, object] | None = None,
) -> Path:
    """Write tables in the socalign layout (columns as in the module docstring) and validate them.

    The tables are validated by reading them back; call :func:`ensure_fresh_output` first
    when the folder must not hold anything else.

    Parameters
    ----------
    root : path-like
        The benchmark folder (created when missing; files of the same names are replaced).
    videos : pandas.DataFrame
        The ``videos.csv`` table (at least ``video_id`` and ``split``).
    trials : pandas.DataFrame
        The ``trials.csv`` table (at least ``participant``, ``video_1``, ``video_2``,
        ``video_3`` and ``choice``).
    captions : pandas.DataFrame or None, default None
        The ``captions.csv`` table (None: no captions file is written).
    metadata : mapping of str to object or None, default None
        Extra entries of ``benchmark.json``, over ``layout`` and ``name`` (the folder's name).

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    BenchmarkError
        When a table lacks a required column, or what was written does not read back.
    """
    return _write_tables(Path(root), LAYOUT_VERSION,
                         {"videos.csv": (videos, VIDEO_COLUMNS), "trials.csv": (trials, TRIAL_COLUMNS)},
                         captions, metadata)


def _write_tables(root: Path, layout: str, tables: Mapping[str, tuple[pd.DataFrame, Sequence[str]]],
                  captions: pd.DataFrame | None, metadata: Mapping[str, object] | None) -> Path:
    """Check each table's required columns, write ``benchmark.json``, the tables and the
    captions, and validate what was written by reading it back (both layouts' one writer)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, (frame, required) in tables.items():
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise BenchmarkError(f"table to write lacks column(s) {missing}", root / name)
    meta = {"layout": layout, "name": root.name, **dict(metadata or {})}
    meta["layout"] = layout  # the layout written is the one the tables are in
    atomic_write_text(root / "benchmark.json", json.dumps(meta, indent=2) + "\n")
    for name, (frame, _) in tables.items():
        atomic_write_text(root / name, frame.to_csv(index=False))
    if captions is not None:
        atomic_write_text(root / "captions.csv", captions.to_csv(index=False))
    read_layout(root)  # validate what was written
    return root


def write_labelled_benchmark(
    root: Path | str,
    videos: pd.DataFrame,
    captions: pd.DataFrame | None = None,
    metadata: Mapping[str, object] | None = None,
) -> Path:
    """Write a labelled benchmark (:data:`LABELS_LAYOUT_VERSION`: no trials) and validate it.

    Parameters
    ----------
    root : path-like
        The benchmark folder (created when missing; files of the same names are replaced).
    videos : pandas.DataFrame
        The ``videos.csv`` table: at least ``video_id``, ``split`` and ``label``.
    captions : pandas.DataFrame or None, default None
        The ``captions.csv`` table (None: no captions file is written).
    metadata : mapping of str to object or None, default None
        Extra entries of ``benchmark.json``, over ``layout`` and ``name`` (the folder's name).

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    BenchmarkError
        When the table lacks a required column, or what was written does not read back.
    """
    return _write_tables(Path(root), LABELS_LAYOUT_VERSION,
                         {"videos.csv": (videos, (*VIDEO_COLUMNS, LABEL_COLUMN))}, captions, metadata)


def benchmark_tables(benchmark: Benchmark) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The videos, trials and captions tables of a loaded benchmark, in the socalign layout."""
    v = benchmark.videos
    videos = pd.DataFrame({"video_id": v.ids, "name": list(v.names), "split": v.splits})
    if v.has_files and benchmark.root is not None:
        videos["file"] = [os.path.relpath(f, benchmark.root) for f in v.files]
    for attr, values in v.ratings.items():
        videos[RATING_PREFIX + attr] = values
    captions = pd.DataFrame(
        [(vid, c) for vid, caps in zip(v.ids, v.captions, strict=True) for c in caps],
        columns=["video_id", "caption"],
    )
    return videos, benchmark.trials.to_frame(v), captions
