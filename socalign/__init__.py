"""socalign: aligning video models with human social judgments.

A companion library to Garcia & Isik (2025), "Aligning Video Models with Human Social
Judgments via Behavior-Guided Fine-Tuning" (arXiv 2510.01502). The folders follow the
paper's pipeline: ``data`` (benchmarks and judgments) -> ``metrics`` (similarity, OOO
accuracy, R², ceilings) -> ``models`` (encoders) -> ``train`` (losses, LoRA, trainers) ->
``analyses`` (variance partitioning, probes, rollout) -> the book.
"""

from __future__ import annotations

import re
from importlib import metadata as _metadata
from pathlib import Path as _Path

__all__ = ["__version__", "load_aligned"]

_PYPROJECT = _Path(__file__).resolve().parent.parent / "pyproject.toml"


def _version_from_pyproject(path: _Path = _PYPROJECT) -> str:
    """The ``[project] version`` of a source checkout's pyproject.toml ("0+unknown" if none).

    Parameters
    ----------
    path : pathlib.Path, optional
        The pyproject.toml to read (default: the one beside the package folder).

    Returns
    -------
    str
        The version string, or ``"0+unknown"`` when the file or the field is missing.
    """
    try:
        text = path.read_text()
    except OSError:
        return "0+unknown"
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the [project] table's version line
        project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        found = project and re.search(r'^version\s*=\s*["\']([^"\']+)["\']', project.group(1), re.M)
        return found.group(1) if found else "0+unknown"
    return str(tomllib.loads(text).get("project", {}).get("version", "0+unknown"))


def _version() -> str:
    """The installed distribution's version (its metadata: pyproject.toml is the one owner).

    Returns
    -------
    str
        ``importlib.metadata.version("socalign")``; for a source tree that is not installed,
        the version in its pyproject.toml.
    """
    try:
        return _metadata.version("socalign")
    except _metadata.PackageNotFoundError:
        return _version_from_pyproject()


__version__ = _version()


def __getattr__(name: str) -> object:
    """Lazy public names: ``load_aligned`` imports torch only when first used.

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    object
        :func:`socalign.train.export.load_aligned` for ``"load_aligned"``.

    Raises
    ------
    AttributeError
        Any other name.
    """
    if name == "load_aligned":
        from socalign.train.export import load_aligned

        return load_aligned
    raise AttributeError(f"module 'socalign' has no attribute {name!r}")
