"""The dataset registry: DATASET (a folder or a registered name) to a loaded :class:`Benchmark`.

:func:`load_dataset` is socalign's one benchmark loader: the command line, the book, the
analyses, fine-tuning and the datasets' own checks all load through it. Each kind of dataset is
a :class:`Dataset` that registers itself from its own module (:func:`register_dataset`): how its
name is located (fetched when need be), how a folder of it is recognised and loaded, its default
video backbone and whether it has latent truth. :data:`BUILTIN_DATASETS` lists the modules that
register the built-in kinds (``garcia2025``: the paper's data; ``socialworld``: the procedural
benchmark); any other folder is read as the socalign layout (:data:`SOCALIGN_LAYOUT`). Adding a
dataset is one module that registers it (and its line in :data:`BUILTIN_DATASETS`).

Videos are attached by folder, through the dataset's own file names: garcia2025's
``video_mapping.csv`` names (``VIDEO_DIR/<video_name>``), a socalign-layout benchmark's ``file``
column (``VIDEO_DIR/<file>`` instead of ``DIR/<file>``). The folder comes from, in order: the
``videos`` argument of :func:`load_dataset`; the folder a command line attached to the dataset it
names (:func:`attached_videos`, what ``--videos DIR`` does); the dataset's own environment
variable (:attr:`Dataset.videos_env`, e.g. ``$SOCALIGN_GARCIA2025_VIDEOS``).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from socalign.data.errors import BenchmarkError
from socalign.data.types import Benchmark

DEFAULT_BACKBONE = "facebook/timesformer-base-finetuned-k400"
"""The video backbone of a dataset that names none: the paper's TimeSformer (Kinetics-400)."""

BUILTIN_DATASETS = ("socalign.data.garcia2025", "socalign.data.socialworld.dataset",
                    "socalign.data.phase.dataset")
"""The modules that register the built-in datasets (imported on the registry's first use)."""


@dataclass(frozen=True)
class Dataset:
    """A kind of dataset: how to find, recognise and load it, and what it offers.

    Attributes
    ----------
    name : str
        Its name (``garcia2025``, ``socialworld``).
    recognises : callable
        ``recognises(folder) -> bool``: whether a folder holds this dataset.
    load : callable
        ``load(folder, exclude_catch, videos) -> Benchmark``: read a recognised folder, with
        the video folder to attach (or None).
    describes : callable
        ``describes(benchmark) -> bool``: whether a loaded benchmark is of this dataset (from
        what it holds, e.g. its metadata).
    locate : callable or None, default None
        ``locate() -> Path``: the folder the name alone stands for (found, fetched, or
        generated into the cache: SocialWorld's demo world); None when the dataset is only
        ever a folder.
    default_backbone : str, default DEFAULT_BACKBONE
        The video backbone fine-tuning uses when none is named.
    latent_truth : bool, default False
        Whether the benchmark knows what generated its judgments (SocialWorld's latent
        features, its oracle and pixel references); a human dataset does not.
    videos_env : str or None, default None
        An environment variable naming the folder of its video files.
    """

    name: str
    recognises: Callable[[Path], bool]
    load: Callable[[Path, bool, Path | None], Benchmark]
    describes: Callable[[Benchmark], bool]
    locate: Callable[[], Path] | None = None
    default_backbone: str = DEFAULT_BACKBONE
    latent_truth: bool = False
    videos_env: str | None = None


_DATASETS: dict[str, Dataset] = {}
_LOADED: list[bool] = []  # set once the built-in datasets' modules were imported


def register_dataset(dataset: Dataset) -> Dataset:
    """Register a kind of dataset (called by the module that defines it, when imported).

    Parameters
    ----------
    dataset : Dataset
        The dataset; registering the same name again replaces it.

    Returns
    -------
    Dataset
        ``dataset``.
    """
    _DATASETS[dataset.name] = dataset
    return dataset


def registered_datasets() -> dict[str, Dataset]:
    """Every registered dataset by name (the built-in ones imported on first use).

    Returns
    -------
    dict of str to Dataset
        In registration order.
    """
    if not _LOADED:
        for module in BUILTIN_DATASETS:
            importlib.import_module(module)
        _LOADED.append(True)
    return dict(_DATASETS)


def _read_layout(root: Path, exclude_catch: bool, videos: Path | None) -> Benchmark:
    from socalign.data.layout import read_layout

    benchmark = read_layout(root, exclude_catch=exclude_catch)
    return benchmark if videos is None else with_video_folder(benchmark, videos)


SOCALIGN_LAYOUT = Dataset(
    name="socalign-layout",
    recognises=lambda folder: True,
    load=_read_layout,
    describes=lambda benchmark: True,
)
"""Any other benchmark folder: the socalign layout (:mod:`socalign.data.layout`), the paper's
backbone by default, no latent truth."""


def locatable_names() -> list[str]:
    """The names DATASET may be instead of a folder (datasets that can locate themselves)."""
    return [name for name, d in registered_datasets().items() if d.locate is not None]


def dataset_in(folder: Path) -> Dataset:
    """The dataset a folder holds: the first registered one that recognises it, else
    :data:`SOCALIGN_LAYOUT`.

    Parameters
    ----------
    folder : pathlib.Path
        A dataset folder.

    Returns
    -------
    Dataset
    """
    found = (d for d in registered_datasets().values() if d.recognises(folder))
    return next(found, SOCALIGN_LAYOUT)


def dataset_of(benchmark: Benchmark) -> Dataset:
    """The dataset a loaded benchmark is of: the first registered one that describes it, else
    :data:`SOCALIGN_LAYOUT` (its default backbone, whether it has latent truth).

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark.

    Returns
    -------
    Dataset
    """
    found = (d for d in registered_datasets().values() if d.describes(benchmark))
    return next(found, SOCALIGN_LAYOUT)


def resolve_dataset(dataset: str | Path) -> Path:
    """The folder that holds DATASET: a path as given, or a registered name located or fetched.

    Parameters
    ----------
    dataset : str or path-like
        A registered name (:func:`locatable_names`) or a folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    BenchmarkError
        When it is neither an existing path nor a registered name.
    """
    named = registered_datasets().get(str(dataset))
    if named is not None and named.locate is not None:
        return named.locate()
    path = Path(dataset).expanduser()
    if not path.exists():
        raise BenchmarkError(
            f"dataset path does not exist (and it is not a registered name: {locatable_names()})",
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


#: (the dataset as a command named it, its video folder): set by :func:`attached_videos`.
_ATTACHED: contextvars.ContextVar[tuple[str, Path] | None] = contextvars.ContextVar(
    "socalign_attached_videos", default=None)


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
    names = locatable_names()
    if named in names or str(dataset) in names:
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
    if videos is not None:
        return check_video_folder(videos)
    attached = _ATTACHED.get()
    if attached is not None and _same_dataset(attached[0], dataset):
        return attached[1]
    env_name = dataset_in(root).videos_env
    env = os.environ.get(env_name, "").strip() if env_name else ""
    if env:
        try:
            return check_video_folder(env)
        except OSError as err:
            raise type(err)(f"${env_name}: {err}") from err
    return None


def load_dataset(
    dataset: str | Path, exclude_catch: bool = True, videos: Path | str | None = None,
) -> Benchmark:
    """Load DATASET: a registered name or a folder of any registered dataset (socalign's one
    benchmark loader).

    Parameters
    ----------
    dataset : str or path-like
        ``"garcia2025"`` (located or fetched), a copy of the authors' layout, a SocialWorld
        benchmark, or any benchmark folder in the socalign layout.
    exclude_catch : bool
        Exclude catch trials from the kept trials.
    videos : path-like or None
        A folder holding the video files under the dataset's own names (see the module's
        docstring); None: the attached folder or the dataset's environment variable
        (``$SOCALIGN_GARCIA2025_VIDEOS``), else the files the dataset lists itself (none for
        garcia2025).

    Returns
    -------
    Benchmark

    Raises
    ------
    BenchmarkError
        Naming the file (and line and column) of the first problem found, or a path that
        does not exist.
    """
    root = resolve_dataset(dataset)
    folder = videos_for(dataset, root, videos)
    return dataset_in(root).load(root, exclude_catch, folder)


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
