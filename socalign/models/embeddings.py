"""Embedding and similarity files: ``.npz`` with video ids (matched to a benchmark) or ``.npy``.

An ``.npz`` written by :func:`save_embeddings` holds ``ids`` (on-disk video ids),
``embeddings`` (N, D) and ``meta`` (a JSON string). A plain ``.npy`` must already be in the
benchmark's video row order. Similarity files are alike: ``.npy`` (N, N) or ``.npz`` with
``ids`` and ``similarity``. No torch here.

An ``.npz``'s ``meta`` records the dataset it was made from: ``dataset`` (its name) and
``dataset_videos_key`` (:func:`videos_key`, a content key of its videos table).
:func:`check_dataset` compares that record with the benchmark a file is used on, so that
embeddings of one dataset are not scored against another's judgments because their integer
video ids happen to overlap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from socalign.cache import atomic_save_npz, content_key, read_npy, read_npz

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

#: Version tag of :func:`videos_key` (change it when the hashed fields change).
VIDEOS_KEY_VERSION = "socalign-videos/1"
#: ``meta`` key of the dataset's name and of its videos table's content key.
DATASET_META = "dataset"
VIDEOS_KEY_META = "dataset_videos_key"


class HasIds(Protocol):
    """Anything with the benchmark's video ids in row order (e.g. ``Benchmark.videos``)."""

    ids: np.ndarray


class DatasetMismatchError(ValueError):
    """An embeddings or similarity file made from another dataset than the one it is used on.

    Parameters
    ----------
    message
        One line naming the file, both datasets and the way out.
    path
        The file.
    """

    def __init__(self, message: str, path: Path | str) -> None:
        super().__init__(message)
        self.where = str(path)


def videos_key(videos: Any) -> str:
    """A content key (sha256 hex) of a benchmark's videos table.

    Hashes what identifies the videos, not where they are: the ids in row order, names,
    splits, captions and ratings (file paths are left out, so a moved copy keeps its key).

    Parameters
    ----------
    videos
        A :class:`socalign.data.types.Videos` (``Benchmark.videos``).

    Returns
    -------
    str
        64 hex digits.
    """
    ratings = getattr(videos, "ratings", {}) or {}
    return content_key(
        VIDEOS_KEY_VERSION,
        np.asarray(videos.ids, dtype=np.int64),
        [str(name) for name in getattr(videos, "names", ())],
        [str(split) for split in np.asarray(getattr(videos, "splits", ()))],
        [list(map(str, caps)) for caps in getattr(videos, "captions", ())],
        sorted(ratings),
        *[np.asarray(ratings[name], dtype=np.float64) for name in sorted(ratings)],
    )


def dataset_record(benchmark: Benchmark) -> dict[str, str]:
    """The ``meta`` entries that record the dataset a file is made from.

    Parameters
    ----------
    benchmark
        A loaded :class:`socalign.data.types.Benchmark`.

    Returns
    -------
    dict
        ``{"dataset": name, "dataset_videos_key": videos_key(benchmark.videos)}``.
    """
    return {DATASET_META: str(benchmark.name), VIDEOS_KEY_META: videos_key(benchmark.videos)}


def check_dataset(path: Path | str, benchmark: Benchmark, allow_mismatch: bool = False) -> str | None:
    """Check that an ``.npz`` embeddings/similarity file was made from ``benchmark``.

    Parameters
    ----------
    path : path-like
        The file (a ``.npy``, or a file that does not exist, carries no record and is not
        checked).
    benchmark : Benchmark
        The benchmark the file is about to be used on.
    allow_mismatch : bool, default False
        Accept a file of another dataset (the returned message says so) instead of raising.

    Returns
    -------
    str or None
        None when the record matches (or for a ``.npy``); otherwise a one-line notice: the
        file records no dataset (older files), or, with ``allow_mismatch``, the mismatch.

    Raises
    ------
    DatasetMismatchError
        The file records another dataset (by content key, or by name where it records no key).
    """
    path = Path(path)
    if path.suffix != ".npz" or not path.exists():
        return None
    meta = read_meta(path)
    name, key = meta.get(DATASET_META), meta.get(VIDEOS_KEY_META)
    if name is None and key is None:
        return (f"{path} records no dataset (made before socalign recorded it); its rows are "
                f"matched to {benchmark.name!r} by video id only")
    here = videos_key(benchmark.videos)
    if key is not None:
        same = key == here
        made = f"{name!r} (videos key {str(key)[:12]})" if name is not None else f"videos key {str(key)[:12]}"
        used = f"{benchmark.name!r} (videos key {here[:12]})"
    else:
        same = str(name) == str(benchmark.name)
        made, used = repr(name), repr(benchmark.name)
    if same:
        return None if key is not None else (
            f"{path} records dataset {name!r} but no content key of its videos; "
            "it is matched by name and video id only")
    if name is not None and str(name) == str(benchmark.name) and key is not None:
        message = (f"{path} was made from another version of dataset {benchmark.name!r} "
                   f"(videos key {str(key)[:12]}, here {here[:12]})")
    else:
        message = f"{path} was made from dataset {made}, not from {used}"
    if allow_mismatch:
        return f"{message}; used anyway (--allow-dataset-mismatch)"
    raise DatasetMismatchError(
        f"{message}: recompute it from this dataset (socalign embed), or pass "
        "--allow-dataset-mismatch to use it anyway", path)


def _check_ids(ids: np.ndarray, path: Path | str) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{path}: 'ids' must be a 1-D integer array, got {ids.dtype} {ids.shape}")
    values, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{path}: video id {values[counts > 1][0]} appears more than once")
    return ids.astype(np.int64)


def _check_finite(array: np.ndarray, what: str, path: Path | str) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.flatnonzero(bad.reshape(len(array), -1).any(axis=1))[0])
        raise ValueError(f"{path}: {what} row {row} holds a NaN or infinite value")


def save_embeddings(path: Path | str, ids: np.ndarray, embeddings: np.ndarray, **meta: Any) -> Path:
    """Write ``ids`` and (N, D) ``embeddings`` (plus JSON-able ``meta``) to an ``.npz`` atomically.

    Parameters
    ----------
    path : path-like
        The file; its name must end in ``.npz``.
    ids : numpy.ndarray
        (N,) distinct integer on-disk video ids, one per row.
    embeddings : numpy.ndarray
        (N, D) finite embeddings.
    **meta
        JSON-able entries stored as the file's ``meta`` (e.g. :func:`dataset_record`).

    Returns
    -------
    Path
        ``path``, as written.

    Raises
    ------
    ValueError
        When the name is not ``.npz``, the ids are not distinct integers, the shapes do not
        match, a value is not finite, or ``meta`` is not JSON-able.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"{path}: embeddings are saved as .npz (with ids); use a .npz name")
    ids = _check_ids(ids, path)
    embeddings = np.asarray(embeddings)
    if embeddings.ndim != 2 or embeddings.shape[0] != ids.size:
        raise ValueError(
            f"{path}: embeddings must be ({ids.size}, D) to match the ids, got {embeddings.shape}"
        )
    _check_finite(embeddings, "embeddings", path)
    try:
        meta_json = json.dumps(meta, sort_keys=True)
    except TypeError as err:
        raise ValueError(f"{path}: meta must be JSON-able ({err})") from err
    return atomic_save_npz(path, ids=ids, embeddings=embeddings, meta=np.array(meta_json))


def read_meta(path: Path | str) -> dict[str, Any]:
    """The ``meta`` dict stored by :func:`save_embeddings` (empty when absent)."""
    data = read_npz(path)
    if "meta" not in data:
        return {}
    try:
        meta = json.loads(str(data["meta"]))
    except ValueError as err:
        raise ValueError(f"{path}: 'meta' is not valid JSON ({err})") from err
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: 'meta' must be a JSON object, got {type(meta).__name__}")
    return meta


def written_by_socalign(path: Path | str) -> bool:
    """True when ``path`` is an ``.npz`` that socalign wrote (it holds a JSON ``meta`` object).

    The test :func:`socalign.outputs.check_output_file` asks before an ``embed`` or
    ``data similarity`` output replaces an existing file: a user's own ``.npz`` (``ids`` and
    ``embeddings`` without socalign's ``meta``) is never replaced without ``--force``.

    Parameters
    ----------
    path : path-like
        An existing file.

    Returns
    -------
    bool
        False for anything unreadable or without socalign's record.
    """
    try:
        return bool(read_meta(path))
    except (OSError, ValueError, KeyError, EOFError):  # not an npz socalign can read: not ours
        return False


def _reorder(
    path: Path, file_ids: np.ndarray, videos: HasIds, required: np.ndarray | None
) -> np.ndarray:
    """Position in the file of each benchmark video in row order (-1 where absent).

    Every video in ``required`` (row indices; all when None) must be present.
    """
    want = np.asarray(videos.ids, dtype=np.int64)
    order = np.argsort(file_ids)
    found = np.minimum(np.searchsorted(file_ids, want, sorter=order), file_ids.size - 1)
    pos = order[found]
    present = file_ids[pos] == want
    need = np.ones(want.size, dtype=bool) if required is None else np.isin(
        np.arange(want.size), required
    )
    missing = need & ~present
    if missing.any():
        raise ValueError(
            f"{path}: no row for {int(missing.sum())} of the {int(need.sum())} videos needed "
            f"(first missing video id {want[missing][0]})"
        )
    return np.where(present, pos, -1)


def _load(
    path: Path | str, videos: HasIds, key: str, square: bool, required: np.ndarray | None
) -> np.ndarray:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    n = len(videos.ids)
    if path.suffix == ".npy":
        array = read_npy(path)
        if square:
            ok = array.shape == (n, n)
            expected = f"({n}, {n})"
        else:
            ok = array.ndim == 2 and array.shape[0] == n
            expected = f"({n}, D)"
        if not ok:
            raise ValueError(
                f"{path}: a .npy must hold {expected} rows in the benchmark's video order, "
                f"got shape {array.shape}"
            )
    elif path.suffix == ".npz":
        data = read_npz(path)
        lacking = [k for k in ("ids", key) if k not in data]
        if lacking:
            raise ValueError(f"{path}: missing array(s) {lacking}; found {sorted(data)}")
        file_ids = _check_ids(data["ids"], path)
        array = data[key]
        if array.ndim != 2 or array.shape[0] != file_ids.size or (
            square and array.shape[1] != file_ids.size
        ):
            raise ValueError(
                f"{path}: {key!r} has shape {array.shape}, which does not match "
                f"{file_ids.size} ids"
            )
        pos = _reorder(path, file_ids, videos, required)
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"{path}: {key} must be numeric, got dtype {array.dtype}")
        array = array.astype(np.float64)
        absent = pos < 0
        pos = np.where(absent, 0, pos)
        array = array[np.ix_(pos, pos)] if square else array[pos]
        array[absent] = np.nan
        if square:
            array[:, absent] = np.nan
    else:
        raise ValueError(f"{path}: expected a .npy or .npz file")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{path}: {key} must be numeric, got dtype {array.dtype}")
    array = array.astype(np.float64)
    rows = np.arange(n) if required is None else np.asarray(required, dtype=np.int64)
    block = array[np.ix_(rows, rows)] if square else array[rows]
    # A similarity may be NaN on pairs it does not cover (evaluation names any pair it needs).
    bad = np.isinf(block) if square else ~np.isfinite(block)
    bad = bad.reshape(len(rows), -1).any(axis=1)
    if bad.any():
        what = "an infinite value" if square else "a NaN or infinite value"
        raise ValueError(f"{path}: {key} of video id {videos.ids[rows[bad][0]]} holds {what}")
    return array


def load_embeddings(
    path: Path | str, videos: HasIds, required: np.ndarray | None = None
) -> np.ndarray:
    """(N, D) embeddings in the benchmark's video row order (matched by ``ids`` for .npz).

    Parameters
    ----------
    path : path-like
        An ``.npz`` with ``ids`` and ``embeddings``, or an (N, D) ``.npy`` already in row order.
    videos : HasIds
        The benchmark's videos (anything with ``ids`` in row order, e.g. ``Benchmark.videos``).
    required : numpy.ndarray or None, default None
        Row indices that must be present and finite (default all); for an .npz, rows of
        other videos that the file lacks are NaN.

    Returns
    -------
    numpy.ndarray
        (N, D) float64.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        When the file is malformed, lacks a required video, or a required row is not finite.
    """
    return _load(path, videos, "embeddings", False, required)


def load_similarity(
    path: Path | str, videos: HasIds, required: np.ndarray | None = None
) -> np.ndarray:
    """(N, N) model similarity in the benchmark's video row order (matched by ``ids`` for .npz).

    NaN is allowed (e.g. a judged similarity's unobserved pairs);
    :func:`socalign.scoring.evaluate` fails naming any NaN pair it needs.

    Parameters
    ----------
    path : path-like
        An ``.npz`` with ``ids`` and ``similarity``, or an (N, N) ``.npy`` already in row order.
    videos : HasIds
        The benchmark's videos (anything with ``ids`` in row order).
    required : numpy.ndarray or None, default None
        As in :func:`load_embeddings`: row indices that must be present (default all); their
        rows may hold NaN but not an infinite value.

    Returns
    -------
    numpy.ndarray
        (N, N) float64.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        When the file is malformed, lacks a required video, or a required row holds an
        infinite value.
    """
    return _load(path, videos, "similarity", True, required)
