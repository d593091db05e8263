"""Progress of long library steps, for the terminal that runs them and for the book's build log.

A chapter runs in a Jupyter kernel whose output lands on the page, so a progress line printed
there would be published and the build's terminal would stay silent for minutes. Instead the
build sets :data:`PROGRESS_ENV` to a file; :func:`report` appends each line to it and the build
echoes the file while the chapter runs. Outside a build the lines go to the ``socalign``
logger (shown with ``--verbose`` on the command line). Hand-written because no library passes
messages out of a papermill kernel without also writing them into the notebook.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["PROGRESS_ENV", "follow", "report", "step"]

PROGRESS_ENV = "SOCALIGN_PROGRESS_FILE"
"""Environment variable naming the file that :func:`report` appends to (set by the build)."""

logger = logging.getLogger("socalign")


def report(message: str) -> None:
    """Report one line of progress (``"training hybrid, seed 1"``).

    Parameters
    ----------
    message : str
        One line, without a newline.
    """
    logger.info(message)
    target = os.environ.get(PROGRESS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(message.replace("\n", " ") + "\n")


@contextlib.contextmanager
def step(message: str) -> Iterator[None]:
    """Report ``message`` when a long step starts and its duration when it ends.

    Parameters
    ----------
    message : str
        What the step does (``"fine-tuning hybrid, seed 0"``).
    """
    start = time.perf_counter()
    report(f"{message} ...")
    yield
    report(f"{message}: done in {time.perf_counter() - start:.0f} s")


@contextlib.contextmanager
def follow(path: Path, echo: Callable[[str], None], interval: float = 0.5) -> Iterator[None]:
    """Set :data:`PROGRESS_ENV` to ``path`` and pass each line appended to it to ``echo``.

    Used by the book build around one chapter's execution; the previous value of the
    variable is restored afterwards and every line written before the exit is echoed.

    Parameters
    ----------
    path : pathlib.Path
        The file to create and follow (truncated first).
    echo : callable
        Called with each new line (without its newline).
    interval : float, default 0.5
        Seconds between reads of the file.

    Yields
    ------
    None
        Inside the block the variable names ``path``.
    """
    path.write_text("", encoding="utf-8")
    saved = os.environ.get(PROGRESS_ENV)
    os.environ[PROGRESS_ENV] = str(path)
    done = threading.Event()
    position = 0

    def drain() -> None:
        nonlocal position
        with open(path, encoding="utf-8") as handle:
            handle.seek(position)
            while True:
                line = handle.readline()
                if not line.endswith("\n"):
                    break  # nothing new, or a line still being written
                position = handle.tell()
                echo(line.rstrip("\n"))

    def watch() -> None:
        while not done.wait(interval):
            drain()

    thread = threading.Thread(target=watch, name="socalign-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        drain()
        if saved is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = saved
