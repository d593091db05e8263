"""The socalign package's own source files, and keys that change when they change.

The book re-executes a chapter when any of the library changes
(:func:`library_fingerprint` of everything) and trains a cached run again when the code that
decides it changes (of ``socalign.book.artifacts.TRAINING_CODE``).
"""

from __future__ import annotations

from pathlib import Path

import socalign as socalign_package
from socalign import __version__
from socalign.cache import content_key

__all__ = ["library_files", "library_fingerprint"]


def library_files() -> list[Path]:
    """Every source file of the socalign package (not only of :mod:`socalign.book`).

    Returns
    -------
    list of pathlib.Path
        The package's ``.py`` files, sorted.
    """
    package = Path(socalign_package.__file__).resolve().parent
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def library_fingerprint(parts: tuple[str, ...] | None = None) -> str:
    """A key for the library's version and source: any edit to socalign re-executes chapters.

    Parameters
    ----------
    parts : tuple of str or None, default None
        Only the files under these paths of the package (subpackages such as ``"train"`` or
        modules such as ``"scoring.py"``); None: every file.

    Returns
    -------
    str
        The key (hex).
    """
    package = Path(socalign_package.__file__).resolve().parent
    files = library_files()
    if parts is not None:
        files = [f for f in files
                 if any(f.relative_to(package).parts[: len(Path(part).parts)] == Path(part).parts
                        for part in parts)]
    return content_key(__version__, *[str(p.relative_to(package)) for p in files], *files)
