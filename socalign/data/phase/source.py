"""PHASE's files: verification, location, the pinned download, and the safe trajectory reader.

A copy of PHASE is ``Isik-lab/SocialGNN`` at :data:`~socalign.data.phase.pins.COMMIT` (a clone,
or the files :func:`fetch` downloads) with its layout kept: ``PHASE/Videos_Test_humanratings``
(the generalization set), ``PHASE/Videos_humanratings`` (the main set; optional here) and
``PHASE/Human_Experiment_Files/responses/*.txt`` (people's raw ratings of the main set). Every
file is checked against its pin before it is read (:func:`verify`).

The trajectory files are Python pickles. They are read by :func:`unpickle_trajectories`, an
unpickler that resolves three globals only — ``numpy.core.multiarray._reconstruct`` (numpy 2
also spells it ``numpy._core.multiarray._reconstruct``), ``numpy.ndarray`` and ``numpy.dtype``
— and refuses every other one by name, so a crafted file cannot run code: the most it can do is
fail to load. ``numpy.ndarray`` is only accepted as the class argument of ``_reconstruct`` with
an empty shape (how numpy pickles an array, whose data then comes from the file), so no array
larger than the file is made. The bytes are read first through
:func:`socalign.cache.read_input` (a regular file, at most
:data:`socalign.cache.INPUT_LIMITS` ``["pickle"]``).

``$SOCALIGN_DATA``, when set, is the only place looked at (its ``socialgnn-phase`` or ``phase``
folder, or itself), as for garcia2025: a copy there that lacks a file or whose file differs is
an error naming the variable and the file, never a reason to download.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socalign.cache import InputFileError, read_input
from socalign.data.errors import BenchmarkError
from socalign.data.phase.pins import (
    BASE_URL,
    COMMIT,
    FILES,
    GENERALIZATION_FILE,
    MAIN_FILE,
    NAME,
    REPOSITORY,
    REQUIRED,
)
from socalign.data.pinned import (  # the shared machinery, named here too
    DATA_ENV,
    NotFoundError,
    commit_cache,
    fetch_pinned,
    file_pin,
    locate_copy,
    pin_kind,
    pin_text,
)

logger = logging.getLogger(__name__)

URL_ENV = "SOCALIGN_PHASE_URL"
#: A folder of the original PHASE videos, each under its PHASE file name (used when none is given).
VIDEOS_ENV = "SOCALIGN_PHASE_VIDEOS"
#: The folders of ``$SOCALIGN_DATA`` that may hold the copy (else the variable names it itself).
FOLDER_NAMES = ("socialgnn-phase", "phase")

#: People's three labels, in the order the authors broke ties in (alphabetical: pandas' mode).
LABELS = ("adversarial", "friendly", "neutral")
#: The two sets: the main set (400 videos, the transfer's training split) and the
#: generalization set (100 videos, its test split).
MAIN_SET = "main"
GENERALIZATION_SET = "generalization"
SETS = (MAIN_SET, GENERALIZATION_SET)
#: Each set's split in a benchmark.
SPLIT_OF_SET = {"main": "train", "generalization": "test"}
#: Each set's trajectory file.
SET_FILES = {"main": MAIN_FILE, "generalization": GENERALIZATION_FILE}
#: The entities of a video, in trajectory order: two agents, then two objects.
ENTITIES = ("agent_0", "agent_1", "object_0", "object_1")

#: The globals a trajectory pickle may name: numpy's array reconstructor (both spellings), the
#: array class and the dtype class.
ALLOWED_GLOBALS = (
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.ndarray",
    "numpy.dtype",
)


# ---------------------------------------------------------------------------- the safe reader


class _ArrayClass:
    """What ``numpy.ndarray`` resolves to in a trajectory pickle: a token, not the class.

    It is only accepted as the first argument of ``_reconstruct``; calling it (a pickle that
    would make an array of any shape) fails, and so does setting its state (no ``__dict__``).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "numpy.ndarray"


_ARRAY_CLASS = _ArrayClass()


def _numpy_reconstruct() -> Callable[..., np.ndarray]:
    """numpy's own ``_reconstruct`` (``numpy._core`` in numpy 2, ``numpy.core`` before)."""
    try:
        from numpy._core.multiarray import _reconstruct  # type: ignore[attr-defined]
    except ImportError:  # numpy 1
        from numpy.core.multiarray import _reconstruct  # type: ignore[attr-defined,no-redef]
    return _reconstruct


class _Reconstruct:
    """``_reconstruct`` as numpy's own pickles call it: the array class and shape ``(0,)``
    (the data then comes from the file); a callable without state a pickle could set."""

    __slots__ = ()

    def __call__(self, cls: object, shape: object, dtype: object) -> np.ndarray:
        if cls is not _ARRAY_CLASS or not isinstance(shape, tuple) or shape != (0,):
            raise pickle.UnpicklingError(
                f"_reconstruct({cls!r}, {shape!r}, ...) is not how numpy pickles an array")
        return _numpy_reconstruct()(np.ndarray, (0,), dtype)


_RECONSTRUCT = _Reconstruct()


class _TrajectoryUnpickler(pickle.Unpickler):
    """An unpickler that resolves :data:`ALLOWED_GLOBALS` only and refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        """The object a global names, when it is one of :data:`ALLOWED_GLOBALS`.

        Parameters
        ----------
        module : str
            The global's module.
        name : str
            Its name.

        Returns
        -------
        object
            The checking ``_reconstruct``, the array-class token, or ``numpy.dtype``.

        Raises
        ------
        pickle.UnpicklingError
            For any other global (named in the message).
        """
        qualified = f"{module}.{name}"
        if qualified in ALLOWED_GLOBALS[:2]:
            return _RECONSTRUCT
        if qualified == "numpy.ndarray":
            return _ARRAY_CLASS
        if qualified == "numpy.dtype":
            return np.dtype
        raise pickle.UnpicklingError(
            f"refused the global {qualified}: a PHASE trajectory file may only name "
            f"{', '.join(ALLOWED_GLOBALS)}")


def unpickle_trajectories(data: bytes, path: Path | str) -> Any:
    """Unpickle a trajectory file's bytes, resolving only numpy's array globals.

    Parameters
    ----------
    data : bytes
        The file's content.
    path : path-like
        The file, named in errors.

    Returns
    -------
    object
        What the pickle holds (for PHASE: a list of dicts of numbers, strings and arrays).

    Raises
    ------
    BenchmarkError
        Naming the file: a global other than :data:`ALLOWED_GLOBALS` (named), or a file that
        is not a readable pickle of them.
    """
    unpickler = _TrajectoryUnpickler(io.BytesIO(data), encoding="latin1")
    try:
        return unpickler.load()
    except pickle.UnpicklingError as err:
        raise BenchmarkError(f"not a safe PHASE trajectory file: {err}", path) from err
    except (EOFError, TypeError, ValueError, AttributeError, IndexError, KeyError,
            MemoryError, RecursionError) as err:
        raise BenchmarkError(
            f"not a readable PHASE trajectory file ({type(err).__name__}: {err})", path) from err


@dataclass(frozen=True)
class PhaseVideo:
    """One PHASE video as its trajectory file describes it (the authors' preprocessing kept).

    Attributes
    ----------
    name : str
        The PHASE video file name (``D0830..._e18.mp4``).
    positions : tuple of numpy.ndarray
        Per entity (agents 0 and 1, then objects 0 and 1): (T_e, 2) positions x, y in PHASE's
        world units (the room spans x 6-26, y 2-22), one row per trajectory step (the authors
        averaged 5 simulation steps). The agents' trajectories end where the authors trimmed
        the video (motion stop + 2 s); the objects' may run longer.
    sizes : numpy.ndarray
        (4,) radii of the entities, in world units.
    colour_code : dict of int to int
        PHASE's ``entity_color_code`` as stored.
    walls : numpy.ndarray
        (W, 2, 2) inner wall segments as point pairs (the room's outer walls are not listed).
    landmarks : numpy.ndarray
        (4, 2) centres of the four coloured landmarks.
    label : str
        ``social_goals``: the label people gave (one of :data:`LABELS`).
    """

    name: str
    positions: tuple[np.ndarray, ...]
    sizes: np.ndarray
    colour_code: dict[int, int]
    walls: np.ndarray
    landmarks: np.ndarray
    label: str

    @property
    def n_steps(self) -> int:
        """The video's length in trajectory steps: the longer of the two agents' trajectories."""
        return max(len(self.positions[0]), len(self.positions[1]))

    def positions_at(self, steps: np.ndarray) -> np.ndarray:
        """Every entity's position at ``steps`` (an entity whose trajectory ended stays put).

        Parameters
        ----------
        steps : numpy.ndarray
            (K,) trajectory steps, 0 to :attr:`n_steps` - 1.

        Returns
        -------
        numpy.ndarray
            (K, 4, 2) positions x, y.
        """
        steps = np.asarray(steps, dtype=np.int64)
        return np.stack([p[np.minimum(steps, len(p) - 1)] for p in self.positions], axis=1)


def _fail(path: Path, index: int, name: object, what: str) -> BenchmarkError:
    label = f"video {index}" + (f" ({name})" if isinstance(name, str) else "")
    return BenchmarkError(f"{label}: {what}", path)


def _points(value: object, shape: tuple[int, ...], path: Path, index: int, name: object,
            key: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise _fail(path, index, name, f"{key} is not an array of numbers ({err})") from err
    if array.size == 0 and shape[0] == -1:
        return array.reshape(0, *shape[1:])
    if array.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, array.shape, strict=True)):
        raise _fail(path, index, name, f"{key} has shape {array.shape}, expected {shape}")
    if not np.isfinite(array).all():
        raise _fail(path, index, name, f"{key} holds NaN or infinite values")
    return array


def _video(entry: object, path: Path, index: int) -> PhaseVideo:
    """One entry of a trajectory file, checked: its keys, shapes, numbers and label."""
    if not isinstance(entry, dict):
        raise _fail(path, index, None, f"is a {type(entry).__name__}, not a dict")
    name = entry.get("name")
    keys = ("name", "trajectories", "entity_sizes", "entity_color_code", "wall_segs",
            "landmark_centers", "social_goals")
    missing = [k for k in keys if k not in entry]
    if missing:
        raise _fail(path, index, name, f"lacks {missing}")
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
        raise _fail(path, index, None, f"name {name!r} is not a file name")
    trajectories = entry["trajectories"]
    if not isinstance(trajectories, list | tuple) or len(trajectories) != len(ENTITIES):
        raise _fail(path, index, name, f"trajectories must list {len(ENTITIES)} arrays")
    positions = []
    for k, trajectory in enumerate(trajectories):
        if not isinstance(trajectory, np.ndarray) or trajectory.dtype.kind not in "fiu":
            raise _fail(path, index, name, f"trajectory {k} is not a numeric array")
        if trajectory.ndim != 2 or trajectory.shape[0] < 1 or trajectory.shape[1] < 2:
            raise _fail(path, index, name, f"trajectory {k} has shape {trajectory.shape}, "
                                           "expected (T, 2 or more)")
        xy = trajectory[:, :2].astype(np.float64)
        if not np.isfinite(xy).all():
            raise _fail(path, index, name, f"trajectory {k} holds NaN or infinite positions")
        positions.append(xy)
    sizes = _points(entry["entity_sizes"], (len(ENTITIES),), path, index, name, "entity_sizes")
    if (sizes <= 0).any():
        raise _fail(path, index, name, "entity_sizes must be positive")
    code = entry["entity_color_code"]
    if not isinstance(code, dict) or not all(
            isinstance(k, int) and isinstance(v, int) for k, v in code.items()) or not code:
        raise _fail(path, index, name, "entity_color_code must map integers to integers")
    walls = _points(entry["wall_segs"], (-1, 2, 2), path, index, name, "wall_segs")
    landmarks = _points(entry["landmark_centers"], (4, 2), path, index, name, "landmark_centers")
    label = entry["social_goals"]
    if label not in LABELS:
        raise _fail(path, index, name, f"social_goals {label!r} is not one of {list(LABELS)}")
    return PhaseVideo(name=name, positions=tuple(positions), sizes=sizes,
                      colour_code=dict(code), walls=walls, landmarks=landmarks, label=str(label))


def read_trajectory_file(path: Path | str, root: Path | str | None = None) -> list[PhaseVideo]:
    """A PHASE trajectory file (``PHASE/Videos_Test_humanratings`` or
    ``PHASE/Videos_humanratings``), read safely and checked.

    Parameters
    ----------
    path : path-like
        The file.
    root : path-like or None, default None
        The copy it belongs to: a symbolic link leading outside it is refused (None: no such
        check).

    Returns
    -------
    list of PhaseVideo
        In file order.

    Raises
    ------
    BenchmarkError
        Naming the file (and the video): not a regular file, too large, a refused global, not
        a list of PHASE videos, a malformed or duplicate entry.
    """
    path = Path(path)
    try:
        data = read_input(path, "pickle", root)
    except InputFileError as err:
        raise BenchmarkError(err.reason, path) from err
    content = unpickle_trajectories(data, path)
    if not isinstance(content, list) or not content:
        raise BenchmarkError("must hold a non-empty list of PHASE videos", path)
    videos = [_video(entry, path, k) for k, entry in enumerate(content)]
    seen: set[str] = set()
    for k, video in enumerate(videos):
        if video.name in seen:
            raise _fail(path, k, video.name, "is listed twice")
        seen.add(video.name)
    return videos


# ------------------------------------------------------------------ verification and location


def is_phase_copy(folder: Path) -> bool:
    """True when ``folder`` holds PHASE's layout (its generalization-set trajectories).

    Parameters
    ----------
    folder : pathlib.Path
        A folder.

    Returns
    -------
    bool
    """
    return os.path.lexists(Path(folder) / GENERALIZATION_FILE)


def _kind(rel: str) -> str:
    """The input kind a pinned file is read as (its size bound)."""
    return "json" if rel.endswith((".txt", "LICENSE")) else "pickle"


def verify(root: Path | str) -> Path:
    """Check a copy's files against their pins: every required file, and the optional ones
    (the main set's trajectories, the licence) that are present.

    Parameters
    ----------
    root : path-like
        A copy of PHASE's layout.

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    BenchmarkError
        Naming the first required file that is missing, or the first file that is not a
        regular file, is too large, or differs from its pin.
    """
    root = Path(root)
    for rel, pin in FILES.items():
        path = root / rel
        if not os.path.lexists(path):
            if rel in REQUIRED:
                raise BenchmarkError("file of phase is missing", path)
            continue
        try:
            actual = file_pin(path, pin, _kind(rel))
        except InputFileError as err:
            raise BenchmarkError(err.reason, path) from err
        if actual != pin:
            raise BenchmarkError(
                f"{pin_kind(pin)} {pin_text(actual).split()[-1]} does not match the pinned "
                f"{pin_text(pin).split()[-1]} (commit {COMMIT[:12]}); the copy differs from the "
                "published data", path)
    return root


def has_main_trajectories(root: Path | str) -> bool:
    """True when a copy holds the main set's trajectories (``PHASE/Videos_humanratings``).

    Parameters
    ----------
    root : path-like
        A copy of PHASE's layout.

    Returns
    -------
    bool
    """
    return os.path.lexists(Path(root) / MAIN_FILE)


def default_cache(create: bool = True) -> Path:
    """Where downloads go: ``<socalign cache>/phase/<commit>``.

    Parameters
    ----------
    create : bool, default True
        Create the folder.

    Returns
    -------
    Path
    """
    return commit_cache(NAME, COMMIT, create)


def _offline_hint(folder: Path) -> str:
    return (f"Either set ${DATA_ENV} to a folder holding a local copy of phase (a clone of "
            f"{REPOSITORY} at commit {COMMIT[:12]}, or its socialgnn-phase folder), or copy its "
            f"files into {folder} (they are verified against the pinned hashes)")


def fetch(
    dest: Path | str | None = None,
    base_url: str | None = None,
    progress: bool = False,
    files: dict[str, str] | None = None,
) -> Path:
    """Download PHASE's pinned files (:data:`~socalign.data.phase.pins.FILES`) with pooch,
    verifying each (:func:`socalign.data.pinned.fetch_pinned`).

    Parameters
    ----------
    dest : path-like or None, default None
        The folder to download into (None: :func:`default_cache`).
    base_url : str or None, default None
        Replaces the raw-file address, e.g. a mirror (None: ``$SOCALIGN_PHASE_URL``, else
        :data:`~socalign.data.phase.pins.BASE_URL`).
    progress : bool, default False
        Show pooch's progress bar for each download.
    files : dict of str to str or None, default None
        Relative path -> pin, replacing the pinned registry (for tests and mirrors).

    Returns
    -------
    Path
        The folder holding the verified files.

    Raises
    ------
    FileExistsError
        When ``dest`` is a file, or a file in it differs from its pin.
    socalign.data.pinned.FetchError
        When a download fails (offline or unreachable), naming the URL and the ways out.
    """
    root = Path(dest) if dest is not None else default_cache(create=False)
    url = base_url or os.environ.get(URL_ENV) or BASE_URL
    return fetch_pinned(root, url, FILES if files is None else files, dataset=NAME,
                        offline_hint=_offline_hint, progress=progress, log=logger)



def _env_copy(env: str) -> Path:
    """The verified copy that ``$SOCALIGN_DATA`` names (a folder of it, or itself)."""
    base = Path(env).expanduser()
    candidates = (*(base / n for n in FOLDER_NAMES), base)
    root = next((c for c in candidates if is_phase_copy(c)), None)
    if root is None:
        problem = ("the folder does not exist" if not base.exists() else
                   f"neither it nor its {' or '.join(FOLDER_NAMES)} folder holds "
                   f"{GENERALIZATION_FILE}")
        raise BenchmarkError(
            f"${DATA_ENV}={env}: no local copy of phase there: {problem}. Put a clone of "
            f"{REPOSITORY} at commit {COMMIT[:12]} there (as {FOLDER_NAMES[0]}/), or unset "
            f"${DATA_ENV} to use the cache or `socalign data fetch phase`", base)
    logger.info("phase: the copy in $%s, %s", DATA_ENV, root)
    try:
        return verify(root)
    except BenchmarkError as err:
        raise BenchmarkError(
            f"${DATA_ENV}={env}: the local copy of phase there is wrong: {err}", err.path
        ) from err


def locate(download: bool = True) -> Path:
    """Find PHASE: ``$SOCALIGN_DATA`` when set (only there), else the cache, else a download.

    Parameters
    ----------
    download : bool, default True
        Download into the cache when ``$SOCALIGN_DATA`` is unset and the cache has no copy.

    Returns
    -------
    Path
        The verified copy.

    Raises
    ------
    BenchmarkError
        ``$SOCALIGN_DATA`` holds no copy or a wrong one (nothing is downloaded instead), or a
        copy fails verification.
    NotFoundError
        No copy and ``download`` is False.
    socalign.data.pinned.FetchError
        The download failed.
    """
    return locate_copy(NAME, FILES, _env_copy, default_cache(create=False), verify, fetch,
                       download)


def available() -> Path | None:
    """The verified local copy if one is found ($SOCALIGN_DATA or the cache), else None.

    Never downloads; a copy that fails verification, and a ``$SOCALIGN_DATA`` that holds no
    copy or a wrong one, still raise.

    Returns
    -------
    Path or None
    """
    try:
        return locate(download=False)
    except NotFoundError:
        return None


def read_set(root: Path | str, which: str) -> list[PhaseVideo]:
    """One set's videos from a copy: ``"main"`` or ``"generalization"``.

    Parameters
    ----------
    root : path-like
        A (verified) copy of PHASE's layout.
    which : str
        ``"main"`` or ``"generalization"`` (:data:`SETS`).

    Returns
    -------
    list of PhaseVideo
        In file order.

    Raises
    ------
    BenchmarkError
        As :func:`read_trajectory_file`, or when the file is absent (the main set's is
        optional in a copy).
    """
    if which not in SET_FILES:
        raise ValueError(f"unknown PHASE set {which!r}; the sets are {list(SETS)}")
    root = Path(root)
    path = root / SET_FILES[which]
    if not os.path.lexists(path):
        raise BenchmarkError(
            f"the {which} set's trajectories are not in this copy; `socalign data fetch phase` "
            "downloads them", path)
    return read_trajectory_file(path, root)
