"""PHASE in the dataset registry: the name ``phase`` located (``$SOCALIGN_DATA``, the cache) or
fetched, a folder recognised by its layout (``PHASE/Videos_Test_humanratings``), loaded by
:func:`socalign.data.phase.benchmark.read_copy`.

A folder written by ``socalign data render phase`` is a labelled socalign-layout benchmark
(:data:`socalign.data.layout.LABELS_LAYOUT_VERSION`), read by the layout's reader; both are
described as PHASE (their metadata's ``source``). People's labels, not odd-one-out judgments:
no latent truth; the paper's backbone by default.
"""

from __future__ import annotations

from pathlib import Path

from socalign.data.phase.benchmark import is_phase_benchmark, read_copy
from socalign.data.phase.pins import NAME
from socalign.data.phase.source import VIDEOS_ENV, is_phase_copy, locate
from socalign.data.registry import Dataset, register_dataset
from socalign.data.types import Benchmark


def _load(root: Path, exclude_catch: bool, videos: Path | None) -> Benchmark:
    return read_copy(root, videos_dir=videos)


DATASET = register_dataset(Dataset(
    name=NAME, recognises=is_phase_copy, load=_load, describes=is_phase_benchmark, locate=locate,
    videos_env=VIDEOS_ENV,
))
"""PHASE in the dataset registry."""
