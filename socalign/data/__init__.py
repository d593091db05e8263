"""Benchmarks of odd-one-out judgments: types, the on-disk layout, validation, splits, datasets."""

from socalign.data.errors import BenchmarkError
from socalign.data.layout import write_benchmark
from socalign.data.registry import load_dataset, resolve_dataset
from socalign.data.types import Benchmark, Trials, Videos

__all__ = [
    "Benchmark",
    "BenchmarkError",
    "Trials",
    "Videos",
    "load_dataset",
    "resolve_dataset",
    "write_benchmark",
]
