"""The dataset arguments of the command line: DATASET, ``--videos DIR``, and whether files
made from another dataset may be used on it (``--allow-dataset-mismatch``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socalign.cli.errors import note
from socalign.cli.parser import describe_help

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

VIDEOS_HELP = (
    "folder holding the benchmark's video files under its own file names (garcia2025: "
    "DIR/<video_name> of video_mapping.csv; a benchmark folder: DIR/<file> of videos.csv); "
    "default: $SOCALIGN_GARCIA2025_VIDEOS for garcia2025, else the files the dataset lists"
)


def video_folder(value: str) -> Path:
    """``--videos DIR`` as a path: an existing folder (else a usage error naming it)."""
    path = Path(value).expanduser()
    if not path.is_dir():
        reason = "is not a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"video folder {path} {reason}")
    return path


def _registered_names() -> str:
    """DATASET's names, from the dataset registry (read when the help is shown)."""
    from socalign.data.registry import locatable_names

    names = locatable_names()
    about = {"garcia2025": "the paper's data, fetched when absent",
             "socialworld": "the demo world, synthesized into the cache on first use"}
    return ": " + ", ".join(f"{n} ({about[n]})" if n in about else n for n in names)


def add_dataset_argument(parser: argparse.ArgumentParser) -> None:
    """DATASET (a benchmark folder or a registered name such as garcia2025) and ``--videos DIR``.

    Every command that reads a benchmark takes both from here; :func:`socalign.cli.run_command`
    attaches ``--videos`` to DATASET for the whole command
    (:func:`socalign.data.registry.attached_videos`), so each ``load_dataset(DATASET)`` it
    makes, in the handler or the library, gets the videos. Handlers may also load it
    explicitly with :func:`load_benchmark`.
    """
    describe_help(parser.add_argument(
        "dataset",
        metavar="DATASET",
        help="a benchmark folder, or a registered name",
    ), _registered_names)
    parser.add_argument("--videos", metavar="DIR", type=video_folder, default=None,
                        help=VIDEOS_HELP)


def load_benchmark(args: argparse.Namespace, exclude_catch: bool = True) -> Any:
    """The benchmark a command names: DATASET with ``--videos`` attached.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``dataset``, and ``videos`` when given).
    exclude_catch : bool
        Exclude catch trials from the kept trials.

    Returns
    -------
    socalign.data.types.Benchmark
    """
    from socalign.data import load_dataset

    return load_dataset(args.dataset, exclude_catch=exclude_catch,
                        videos=getattr(args, "videos", None))


def add_dataset_mismatch_flag(parser: argparse.ArgumentParser) -> None:
    """``--allow-dataset-mismatch``: use embedding files made from another dataset."""
    parser.add_argument(
        "--allow-dataset-mismatch", action="store_true",
        help="use embeddings/similarity files that record another dataset than DATASET",
    )


def check_files_dataset(paths: Iterable[str | Path | None], benchmark: Benchmark,
                        args: argparse.Namespace) -> None:
    """Refuse ``.npz`` files made from another dataset (exit 2); note files without a record.

    Parameters
    ----------
    paths : iterable of str or path-like or None
        Files or model names (None and entries that are not existing ``.npz`` files are skipped).
    benchmark : Benchmark
        The loaded benchmark they are used on.
    args : argparse.Namespace
        The command's arguments (``allow_dataset_mismatch``).

    Returns
    -------
    None

    Raises
    ------
    socalign.models.embeddings.DatasetMismatchError
        When a file records another dataset and ``--allow-dataset-mismatch`` is not given
        (:func:`socalign.models.embeddings.check_dataset`).
    """
    from socalign.models.embeddings import check_dataset

    allow = bool(getattr(args, "allow_dataset_mismatch", False))
    for path in paths:
        if path is None:
            continue
        message = check_dataset(path, benchmark, allow_mismatch=allow)
        if message:
            note(message)
