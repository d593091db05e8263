"""Resolve DATASET (a folder or a registered name) to a loaded :class:`Benchmark`, with its videos.

Videos are attached by folder, through the dataset's own file names: garcia2025's
``video_mapping.csv`` names (``VIDEO_DIR/<video_name>``), a socalign-layout benchmark's ``file``
column (``VIDEO_DIR/<file>`` instead of ``DIR/<file>``). The folder comes from, in order: the
``videos`` argument of :func:`load_dataset`; the folder a command line attached to the dataset it
names (:func:`attached_videos`, what ``--videos DIR`` does); for garcia2025,
``$SOCALIGN_GARCIA2025_VIDEOS``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from socalign.data.errors import BenchmarkError
from socalign.data.types import Benchmark

REGISTERED = ("garcia2025",)

#: (the dataset as a command named it, its video folder): set by :func:`attached_videos`.
_ATTACHED: contextvars.ContextVar[tuple[str, Path] | None] = contextvars.ContextVar(
    "socalign_attached_videos", default=None)


def resolve_dataset(dataset: str | Path) -> Path:
    """The folder that holds DATASET: a path as given, or a registered name located or fetched."""
    if str(dataset) == "garcia2025":
        from socalign.data import garcia2025

        return garcia2025.locate(download=True)
    path = Path(dataset).expanduser()
    if not path.exists():
        raise BenchmarkError(
            f"dataset path does not exist (and it is not a registered name: {list(REGISTERED)})",
            path,
        )
    return path


def check_video_folder(videos: Path | str) -> Path:
    """``videos`` as a path, refusing one that does not exist or is not a folder.

    Parameters
    ----------
    videos : path-like
        The folder of video files.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        Naming the folder.
    """
    path = Path(videos).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"video folder {path} does not exist")
    if not path.is_dir():
        raise NotADirectoryError(f"video folder {path} is not a folder")
    return path


@contextlib.contextmanager
def attached_videos(dataset: str | Path, videos: Path | str | None) -> Iterator[None]:
    """Attach ``videos`` to ``dataset`` for every :func:`load_dataset` of it inside the block.

    What ``--videos DIR`` does for a command: the handler and the library code it calls (a
    fine-tuning run loads its DATASET itself) load DATASET with the videos, while other datasets
    are untouched. ``videos=None`` attaches nothing.

    Parameters
    ----------
    dataset : str or path-like
        The dataset as named (a registered name or a folder).
    videos : path-like or None
        The folder of its video files.

    Yields
    ------
    None
        While the videos are attached.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        When ``videos`` does not exist or is not a folder.
    """
    if videos is None:
        yield
        return
    token = _ATTACHED.set((str(dataset), check_video_folder(videos)))
    try:
        yield
    finally:
        _ATTACHED.reset(token)


def _same_dataset(named: str, dataset: str | Path) -> bool:
    if str(dataset) == named:
        return True
    if named in REGISTERED or str(dataset) in REGISTERED:
        return False
    try:
        return Path(named).expanduser().resolve() == Path(dataset).expanduser().resolve()
    except OSError:
        return False


def videos_for(dataset: str | Path, root: Path, videos: Path | str | None = None) -> Path | None:
    """The video folder to attach to ``dataset`` (located at ``root``), or None.

    Parameters
    ----------
    dataset : str or path-like
        The dataset as named.
    root : pathlib.Path
        Its resolved folder.
    videos : path-like or None
        An explicit folder (wins over the attached one and the environment).

    Returns
    -------
    pathlib.Path or None
    """
    from socalign.data import garcia2025

    if videos is not None:
        return check_video_folder(videos)
    attached = _ATTACHED.get()
    if attached is not None and _same_dataset(attached[0], dataset):
        return attached[1]
    env = os.environ.get(garcia2025.VIDEOS_ENV, "").strip()
    if env and garcia2025.is_garcia2025(root):
        try:
            return check_video_folder(env)
        except OSError as err:
            raise type(err)(f"${garcia2025.VIDEOS_ENV}: {err}") from err
    return None


def load_dataset(
    dataset: str | Path, exclude_catch: bool = True, videos: Path | str | None = None,
) -> Benchmark:
    """Load DATASET: a registered name, a garcia2025 copy, or a folder in the socalign layout.

    Parameters
    ----------
    dataset : str or path-like
        ``"garcia2025"`` (located or fetched), a copy of the authors' layout, or a benchmark
        folder in the socalign layout.
    exclude_catch : bool
        Exclude catch trials from the kept trials.
    videos : path-like or None
        A folder holding the video files under the dataset's own names (see the module's
        docstring); None: the attached folder or ``$SOCALIGN_GARCIA2025_VIDEOS`` (garcia2025),
        else the files the dataset lists itself (none for garcia2025).

    Returns
    -------
    Benchmark
    """
    from socalign.data import garcia2025
    from socalign.data.layout import read_benchmark

    root = resolve_dataset(dataset)
    folder = videos_for(dataset, root, videos)
    if garcia2025.is_garcia2025(root):
        return garcia2025.load(root, exclude_catch=exclude_catch, videos_dir=folder)
    benchmark = read_benchmark(root, exclude_catch=exclude_catch)
    return benchmark if folder is None else with_video_folder(benchmark, folder)


def with_video_folder(benchmark: Benchmark, videos: Path) -> Benchmark:
    """``benchmark`` with each listed file looked up in ``videos`` (same relative path).

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark in the socalign layout whose ``videos.csv`` has a ``file`` column.
    videos : pathlib.Path
        The folder that replaces the benchmark folder as the files' base.

    Returns
    -------
    Benchmark

    Raises
    ------
    BenchmarkError
        When the benchmark lists no file names to look up.
    """
    files = benchmark.videos.files
    if benchmark.root is None or any(f is None for f in files):
        raise BenchmarkError(
            "lists no video file for every video (videos.csv needs a 'file' column), so "
            f"--videos {videos} has no file names to look up", (benchmark.root or Path(".")) /
            "videos.csv",
        )
    root = Path(benchmark.root)
    moved = tuple(videos / Path(f).relative_to(root) for f in files if f is not None)
    return replace(benchmark, videos=replace(benchmark.videos, files=moved))
