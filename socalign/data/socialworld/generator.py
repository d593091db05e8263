"""The SocialWorld generator's version and its seeded random streams.

Both the writer (:mod:`socalign.data.socialworld.synth`) and the replay of the observers
(:mod:`socalign.data.socialworld.calibration`) need them, so they live here, below both: the
calibration never imports the writer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GENERATOR", "stream"]

GENERATOR = "socialworld/2"  # 2: framing camera, larger agents, richer captions


def stream(seed: int, number: int, index: int = 0) -> np.random.Generator:
    """The random generator of one stream of a SocialWorld benchmark.

    Parameters
    ----------
    seed : int
        The benchmark's seed.
    number : int
        Which stream: 0 order, 1 split, 2 scenes, 3 looks, 4 captions, 5 design, 6 observers.
    index : int, optional
        The video index for per-video streams (0 for the others).

    Returns
    -------
    numpy.random.Generator
        Seeded by ``[seed, number, index]``, so a stream never depends on another's draws.
    """
    return np.random.default_rng([seed, number, index])
