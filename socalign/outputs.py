"""Outputs: socalign never overwrites or deletes what it did not write.

The one output rule of every command that writes, checked here before any compute:

- **Folders** (``data synth``, ``pretrain``, ``finetune``, ``export``, ``book``): a missing or
  empty folder is written (atomically, through :func:`socalign.cache.staged_folder`, so that it
  appears whole or not at all); a file, or a non-empty folder that socalign did not write, is
  refused and left untouched. A folder socalign wrote is recognised by its marker (a
  benchmark's ``benchmark.json``, a toy backbone's ``pretrain_report.json``, a fine-tuning
  run's ``config.json`` holding its configuration, a book build's manifest); what a command may
  do with its own folder (refuse it, resume the run in it, rebuild the book) is its own rule.
- **Files** (``embed``, ``data similarity``): a file output replaces only a file socalign
  wrote (recognised by the command's own test), or any file under ``--force``; it is written
  atomically (write, then rename).
- **Never inside a benchmark**: no output, file or folder, lands inside a benchmark folder (one
  holding ``benchmark.json``), whose files a benchmark's readers trust.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

FolderState = Literal["new", "empty", "own", "foreign"]

#: The file that makes a folder a benchmark (written by :mod:`socalign.data.layout`; named here,
#: below it in the import order, so that every output check can see it).
BENCHMARK_MARKER = "benchmark.json"


class OutputFolderError(FileExistsError):
    """An output path socalign refuses to write (the message names it and what to do).

    Parameters
    ----------
    path
        The refused path.
    reason
        What is wrong with it and what to do, written to follow the path.
    option
        The command-line option that named it.
    """

    def __init__(self, path: Path | str, reason: str, option: str = "--out") -> None:
        self.path = Path(path)
        self.reason = reason
        self.where = option
        super().__init__(f"{option} {path} {reason}")
        self.filename = str(path)

    def __str__(self) -> str:
        return str(self.args[0])


def folder_state(out: Path | str, is_own: Callable[[Path], bool]) -> FolderState:
    """What ``out`` is: missing ("new"), an empty folder, socalign's own folder, or another's.

    Parameters
    ----------
    out : path-like
        The output path.
    is_own : callable
        True for a folder that holds the writing command's marker.

    Returns
    -------
    str
        "new", "empty", "own" or "foreign".

    Raises
    ------
    OutputFolderError
        When ``out`` exists and is not a folder.
    """
    out = Path(out)
    refuse_inside_benchmark(out)
    if not out.exists():
        return "new"
    if not out.is_dir():
        raise OutputFolderError(out, "is a file, not a folder; it is left untouched: choose "
                                     "another --out")
    if not any(out.iterdir()):
        return "empty"
    return "own" if is_own(out) else "foreign"


def foreign_folder_error(out: Path | str, what: str, marker: str) -> OutputFolderError:
    """The refusal of a non-empty folder that socalign did not write.

    Parameters
    ----------
    out : path-like
        The folder.
    what : str
        What the command writes (e.g. "run", "benchmark").
    marker : str
        The marker file a folder of that kind holds.

    Returns
    -------
    OutputFolderError
        The error to raise.
    """
    return OutputFolderError(
        out, f"is not empty; refusing to overwrite a folder socalign did not write (no {what} "
             f"{marker} in it); it is left untouched: choose a new or empty folder",
    )


def check_output_folder(
    out: Path | str,
    what: str,
    marker: str,
    is_own: Callable[[Path], bool] | None = None,
) -> Path:
    """Refuse ``out`` unless it is missing or an empty folder; nothing is written.

    A folder socalign wrote (it holds ``marker``) is refused too, with a message that says so:
    commands that write a folder do not overwrite their own earlier output either.

    Parameters
    ----------
    out : path-like
        The output folder.
    what : str
        What the command writes (e.g. "benchmark", "toy backbone").
    marker : str
        The file a folder of that kind holds (e.g. ``benchmark.json``).
    is_own : callable, optional
        Recognises such a folder (default: ``marker`` is a file in it).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    OutputFolderError
        ``out`` is a file or a non-empty folder (which is left untouched).
    """
    out = Path(out)
    state = folder_state(out, is_own or (lambda folder: (folder / marker).is_file()))
    if state == "foreign":
        raise foreign_folder_error(out, what, marker)
    if state == "own":
        raise OutputFolderError(
            out, f"is not empty; refusing to overwrite the socalign {what} in it ({marker}); "
                 "it is left untouched: choose a new or empty folder",
        )
    return out


def enclosing_benchmark(path: Path | str) -> Path | None:
    """The benchmark folder that ``path`` lies in, strictly below it (None: none).

    Parameters
    ----------
    path : path-like
        A file or folder, existing or not; symbolic links of its existing part are resolved.

    Returns
    -------
    Path or None
        The nearest folder above ``path`` that holds :data:`BENCHMARK_MARKER`.
    """
    resolved = Path(path).resolve()
    for folder in resolved.parents:
        if (folder / BENCHMARK_MARKER).is_file():
            return folder
    return None


def refuse_inside_benchmark(out: Path | str, option: str = "--out") -> None:
    """Refuse an output path inside a benchmark folder; nothing is written.

    Parameters
    ----------
    out : path-like
        The output file or folder.
    option : str, default "--out"
        The command-line option that named it.

    Raises
    ------
    OutputFolderError
        ``out`` lies inside a benchmark folder.
    """
    benchmark = enclosing_benchmark(out)
    if benchmark is not None:
        raise OutputFolderError(
            out, f"lies inside the benchmark folder {benchmark}; socalign never writes into a "
                 "benchmark: choose a path outside it", option,
        )


def check_output_file(
    out: Path | str,
    what: str,
    suffix: str,
    is_own: Callable[[Path], bool],
    force: bool = False,
    option: str = "--out",
) -> Path:
    """Check a file output before any compute; nothing is written.

    Parameters
    ----------
    out : path-like
        The output file.
    what : str
        What the command writes (e.g. "embeddings"), for the messages.
    suffix : str
        The suffix the file must have (e.g. ``".npz"``).
    is_own : callable
        True for an existing file that this kind of command wrote (it may be replaced).
    force : bool, default False
        Replace an existing regular file whoever wrote it (``--force``).
    option : str, default "--out"
        The command-line option that named it.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    OutputFolderError
        A wrong suffix; a path inside a benchmark folder; an existing folder, special file or
        symbolic link; an existing file socalign did not write, without ``force`` (all left
        untouched).
    """
    out = Path(out)
    if out.suffix != suffix:
        raise OutputFolderError(out, f"must end in {suffix} ({what} are written as {suffix})",
                                option)
    refuse_inside_benchmark(out, option)
    if out.is_symlink():
        raise OutputFolderError(out, "is a symbolic link; it is left untouched: choose another "
                                     f"{option}", option)
    if not out.exists():
        return out
    if not out.is_file():
        raise OutputFolderError(out, f"exists and is not a regular file; it is left untouched: "
                                     f"choose another {option}", option)
    if not force and not is_own(out):
        raise OutputFolderError(
            out, f"exists and socalign did not write it ({what}); it is left untouched: choose "
                 f"another {option}, or pass --force to replace it", option,
        )
    return out
