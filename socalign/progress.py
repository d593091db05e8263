"""Progress of long library steps, for the terminal that runs them and for the book's build log.

A chapter runs in a Jupyter kernel whose output lands on the page, so a progress line printed
there would be published and the build's terminal would stay silent for minutes. Instead the
build sets :data:`PROGRESS_ENV` to a file; :func:`report` appends each line to it and the build
echoes the file while the chapter runs. Outside a build the lines go to the ``socalign``
logger (shown with ``--verbose`` on the command line). Hand-written because no library passes
messages out of a papermill kernel without also writing them into the notebook.

Progress *bars* are decided here too, in one place: :func:`bars_enabled`. The command line
decides once per command (:func:`bars`: bars only when stderr is a terminal, or under
``--progress``; never under ``--json`` without it) and every bar obeys: socalign's own tqdm
bars ask :func:`bars_enabled`, and those of transformers and huggingface_hub (model loading,
downloads) are switched off inside :func:`bars` when bars are off. Off a terminal, stderr then
holds only warnings and the one error line. Outside the command line a library call's own
``progress`` argument decides. The command line draws its own bars with :func:`progress_bar`
(a bar over an iterable) and :func:`working` (a ticking line for a step without a bar).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "PROGRESS_ENV",
    "bars",
    "bars_enabled",
    "follow",
    "progress_bar",
    "report",
    "stderr_is_terminal",
    "step",
    "working",
]

PROGRESS_ENV = "SOCALIGN_PROGRESS_FILE"
"""Environment variable naming the file that :func:`report` appends to (set by the build)."""

logger = logging.getLogger("socalign")

_DECIDED: list[bool] = []  # the decision of the command running now (innermost last)


def stderr_is_terminal(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (default: :data:`sys.stderr`) is a terminal.

    Parameters
    ----------
    stream : text stream or None, default None
        The stream to ask (None: the current ``sys.stderr``).

    Returns
    -------
    bool
        False for a file, a pipe, a closed stream or one without ``isatty``.
    """
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def bars_enabled(requested: bool = True) -> bool:
    """Whether a progress bar may be drawn: the one decision every bar of socalign asks.

    Parameters
    ----------
    requested : bool, default True
        The caller's own ``progress`` argument (False: never).

    Returns
    -------
    bool
        False when not ``requested``; inside :func:`bars` (a command of the command line), its
        decision; otherwise ``requested`` (a library call decides for itself).
    """
    if not requested:
        return False
    return _DECIDED[-1] if _DECIDED else True


def _library_bars(enabled: bool) -> Callable[[], None]:
    """Switch off the bars of huggingface_hub and transformers unless ``enabled``; returns the undo."""
    undo: list[Callable[[], None]] = []
    if enabled:
        return lambda: None
    try:
        from huggingface_hub import utils as hub
    except ImportError:  # pragma: no cover - a dependency of the models
        hub = None
    loaded = sys.modules.get("transformers.utils.logging")
    if hub is not None and not hub.are_progress_bars_disabled():
        hub.disable_progress_bars()
        undo.append(hub.enable_progress_bars)
        if loaded is None:  # imported inside the block, transformers reads hub's state: undo it
            undo.append(lambda: getattr(sys.modules.get("transformers.utils.logging"),
                                        "enable_progress_bar", lambda: None)())
    if loaded is not None and loaded.is_progress_bar_enabled():
        loaded.disable_progress_bar()
        undo.append(loaded.enable_progress_bar)

    def restore() -> None:
        for step_back in reversed(undo):
            with contextlib.suppress(Exception):
                step_back()
    return restore


@contextlib.contextmanager
def bars(enabled: bool) -> Iterator[None]:
    """Decide progress bars for the block: socalign's (:func:`bars_enabled`) and the libraries'.

    The command line runs every command inside this block with its one decision
    (``--progress``, else not ``--json`` and stderr a terminal).

    Parameters
    ----------
    enabled : bool
        Draw bars (False: none, neither socalign's nor those of transformers and
        huggingface_hub; they are restored afterwards).

    Yields
    ------
    None
        While the decision holds.
    """
    _DECIDED.append(bool(enabled))
    restore = _library_bars(bool(enabled))
    try:
        yield
    finally:
        restore()
        _DECIDED.pop()


def progress_bar(iterable: Iterable[Any], desc: str, enabled: bool = True,
                 total: int | None = None, unit: str = "it") -> Iterable[Any]:
    """``iterable`` wrapped in a tqdm bar on stderr when bars are drawn.

    Parameters
    ----------
    iterable : iterable
        What is iterated.
    desc : str
        The bar's label.
    enabled : bool, default True
        The caller's wish (:func:`bars_enabled` decides: inside :func:`bars`, its decision).
    total : int or None, default None
        The number of items, when ``iterable`` has no length.
    unit : str, default "it"
        What one item is called.

    Returns
    -------
    iterable
        ``iterable`` itself when no bar is drawn, else a tqdm bar over it.
    """
    if not bars_enabled(enabled):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False)


@contextlib.contextmanager
def _every(seconds: float, tick: Callable[[], None], name: str) -> Iterator[None]:
    """Call ``tick`` every ``seconds`` from a daemon thread while the block runs."""
    done = threading.Event()

    def loop() -> None:
        while not done.wait(seconds):
            tick()

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextlib.contextmanager
def working(desc: str, enabled: bool = True, every: float = 0.5) -> Iterator[None]:
    """A ticking ``desc: 00:12`` line on stderr while a step without its own bar runs.

    Parameters
    ----------
    desc : str
        The line's label.
    enabled : bool, default True
        The caller's wish (:func:`bars_enabled` decides: inside :func:`bars`, its decision).
    every : float, default 0.5
        Seconds between ticks.

    Yields
    ------
    None
        While the block runs.
    """
    if not bars_enabled(enabled):
        yield
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False)
    try:
        with _every(every, bar.refresh, name="socalign-working"):
            yield
    finally:
        bar.close()


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

    try:
        with _every(interval, drain, name="socalign-progress"):
            yield
    finally:
        drain()
        if saved is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = saved
