"""Resolve DATASET (a folder or a registered name) to a loaded :class:`Benchmark`."""

from __future__ import annotations

from pathlib import Path

from socalign.data.errors import BenchmarkError
from socalign.data.types import Benchmark

REGISTERED = ("garcia2025",)


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


def load_dataset(dataset: str | Path, exclude_catch: bool = True) -> Benchmark:
    """Load DATASET: a registered name, a garcia2025 copy, or a folder in the socalign layout."""
    from socalign.data import garcia2025
    from socalign.data.layout import read_benchmark

    root = resolve_dataset(dataset)
    if garcia2025.is_garcia2025(root):
        return garcia2025.load(root, exclude_catch=exclude_catch)
    return read_benchmark(root, exclude_catch=exclude_catch)
