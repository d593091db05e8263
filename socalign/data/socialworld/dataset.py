"""SocialWorld in the dataset registry: a socalign-layout folder whose ``benchmark.json`` holds a
``socialworld`` block (:data:`socalign.data.socialworld.features.METADATA_KEY`).

Any such folder (``socalign data synth socialworld --out DIR`` generates one) is read by the
socalign layout's reader; the name ``socialworld`` alone stands for the demo world
(:data:`NAMED_WORLD`, the demo profile's settings), synthesized once into the cache on its first
use (:func:`locate`) and read from there afterwards. The toy backbone is its default (it was
pretrained on clips of SocialWorld's look), and it has latent truth: the kinematic features and
interaction types that generated its judgments (the ``oracle`` and ``pixel`` references of the
gap table).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from socalign.cache import build_once, cache_dir, content_key
from socalign.data.layout import read_json
from socalign.data.registry import SOCALIGN_LAYOUT, Dataset, register_dataset
from socalign.data.socialworld.generator import GENERATOR
from socalign.data.socialworld.synth import METADATA_KEY, synthesize
from socalign.data.types import Benchmark
from socalign.progress import stderr_is_terminal

NAMED_WORLD: dict[str, Any] = {"n_videos": 250, "seed": 0, "n_frames": 16, "size": 64}
"""What the name ``socialworld`` stands for: the arguments of
:func:`socalign.data.socialworld.synth.synthesize`, the demo profile's world
(``socalign.profiles.PROFILES["demo"].socialworld``, which a test holds equal). Calibrated
without a caption model: ``socalign.data`` does not import ``socalign.models``, so the
calibration's MiniLM row says it was not measured (``socalign data synth socialworld`` measures
it)."""

CACHE_MARKER = "trials.csv"
"""A file every finished SocialWorld folder holds (:func:`socalign.cache.build_once`)."""

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


def named_world_folder() -> Path:
    """The cache folder of :data:`NAMED_WORLD` (keyed by its settings, the generator and the
    library version; it may not exist yet).

    Returns
    -------
    pathlib.Path
        ``<cache>/datasets/socialworld/<key>``.
    """
    from socalign import __version__

    key = content_key("socialworld", __version__, GENERATOR, dict(NAMED_WORLD))[:16]
    return cache_dir("datasets", "socialworld") / key


def locate() -> Path:
    """The folder the name ``socialworld`` stands for: :data:`NAMED_WORLD`, synthesized once.

    The first use writes it into the cache (:func:`socalign.cache.build_once`: staged,
    verified on reuse, one builder at a time) with a one-line note on stderr saying so and
    where; later uses read it.

    Returns
    -------
    pathlib.Path
        The SocialWorld folder.
    """
    target = named_world_folder()
    settings = dict(NAMED_WORLD)

    def build(out: Path) -> None:
        # build_once stages `out` beside `target` and renames it; where the cache cannot be
        # written it builds elsewhere (and says so), and the note names that folder instead
        where = target if out.parent.parent == target.parent else out
        print(f"socalign: note: synthesizing SocialWorld, the demo world "
              f"({settings.get('n_videos')} videos), into {where}, once: later uses read it",
              file=sys.stderr, flush=True)
        # a bar on a terminal only (a command line's own decision still holds: bars_enabled)
        synthesize(out, progress=stderr_is_terminal(), **settings)

    return build_once(target, CACHE_MARKER, build)


DATASET = register_dataset(Dataset(
    name="socialworld", recognises=is_socialworld_folder, load=SOCALIGN_LAYOUT.load, describes=describes,
    locate=locate, default_backbone=DEFAULT_BACKBONE, latent_truth=True,
))
"""SocialWorld in the dataset registry."""
