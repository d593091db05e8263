"""Output folders: socalign never overwrites or deletes what it did not write.

Every command that writes a folder (``data synth``, ``pretrain``, ``finetune``) checks its
``--out`` here before any compute: a missing or empty folder is written (atomically, through
:func:`socalign.cache.staged_folder`, so that it appears whole or not at all); a file, or a
non-empty folder that socalign did not write, is refused and left untouched. A folder socalign
wrote is recognised by its marker (a benchmark's ``benchmark.json``, a toy backbone's
``pretrain_report.json``, a fine-tuning run's ``config.json`` holding its configuration); what
a command may do with its own folder (refuse it, or resume the run in it) is its own rule.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

FolderState = Literal["new", "empty", "own", "foreign"]


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
