"""SocialWorld in the dataset registry: a socalign-layout folder whose ``benchmark.json`` holds a
``socialworld`` block (:data:`socalign.data.socialworld.synth.METADATA_KEY`).

It is only ever a folder (``socalign data synth socialworld --out DIR`` generates one), read by
the socalign layout's reader; the toy backbone is its default (it was pretrained on clips of
SocialWorld's look), and it has latent truth: the kinematic features and interaction types that
generated its judgments (the ``oracle`` and ``pixel`` references of the gap table).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from socalign.data.layout import read_json
from socalign.data.registry import SOCALIGN_LAYOUT, Dataset, register_dataset
from socalign.data.socialworld.synth import METADATA_KEY
from socalign.data.types import Benchmark

DEFAULT_BACKBONE = "toy"
"""SocialWorld's default video backbone: the toy (see :mod:`socalign.models.toy`)."""


def is_socialworld_folder(folder: Path) -> bool:
    """True when ``folder``'s ``benchmark.json`` holds a ``socialworld`` block.

    Parameters
    ----------
    folder : pathlib.Path
        A benchmark folder.

    Returns
    -------
    bool
        False when it has no ``benchmark.json`` or that holds no such block.

    Raises
    ------
    socalign.data.errors.BenchmarkError
        When ``benchmark.json`` cannot be read (as loading the folder would raise).
    """
    meta_path = Path(folder) / "benchmark.json"
    if not os.path.lexists(meta_path):
        return False
    metadata = read_json(meta_path, Path(folder))
    return isinstance(metadata, Mapping) and isinstance(metadata.get(METADATA_KEY), Mapping)


def describes(benchmark: Benchmark) -> bool:
    """True for a loaded SocialWorld benchmark (its metadata holds the ``socialworld`` block).

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark.

    Returns
    -------
    bool
    """
    return isinstance(benchmark.metadata.get(METADATA_KEY), Mapping)


DATASET = register_dataset(Dataset(
    name="socialworld", recognises=is_socialworld_folder, load=SOCALIGN_LAYOUT.load, describes=describes,
    default_backbone=DEFAULT_BACKBONE, latent_truth=True,
))
"""SocialWorld in the dataset registry."""
