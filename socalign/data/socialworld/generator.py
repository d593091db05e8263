"""The SocialWorld generator's version and its seeded random streams, one table.

Both the writer (:mod:`socalign.data.socialworld.synth`) and the replay of the observers
(:mod:`socalign.data.socialworld.calibration`) need them, so they live here, below both: the
calibration never imports the writer. The clips generated apart from any benchmark (the action
set, the toy's perception and vocabulary clips) draw from the same table.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GENERATOR", "STREAMS", "stream"]

GENERATOR = "socialworld/3"  # 2: framing camera, larger agents, richer captions; 3: captions calibrated to the paper's (wordings, relationship names)

STREAMS: dict[str, int] = {
    # a benchmark (socalign.data.socialworld.synth; "observers" also in calibration)
    "order": 0,  # the order of the interaction types over the videos
    "split": 1,  # the train/test split
    "scenes": 2,  # video i's trajectories
    "looks": 3,  # video i's appearance
    "captions": 4,  # video i's captions
    "design": 5,  # the triplet design (which videos each participant sees)
    "observers": 6,  # the simulated participants' choices and response times
    # the action set (socalign.data.socialworld.actions)
    "action-labels": 10,  # which label each clip shows
    "action-clips": 11,  # clip i's motion
    "action-looks": 12,  # clip i's appearance
    # the toy backbone's pretraining clips
    "perception": 20,  # perception clip i (socalign.data.socialworld.perception)
    "vocabulary": 21,  # vocabulary clip i (socalign.data.socialworld.vocabulary)
}
"""Every numbered stream of SocialWorld by name: stream ``name`` of seed ``s`` (index ``i``) is
``numpy.random.default_rng([s, STREAMS[name], i])``. The numbers are fixed: changing one would
change every world (and the toy's shipped weights) drawn from it. The numbers differ, so no two
streams of one seed coincide (``[s, k]`` is ``[s, k, 0]``: numpy pads a short seed with
zeros)."""


def stream(seed: int, name: str, index: int = 0, *sub_index: int) -> np.random.Generator:
    """The random generator of one stream of SocialWorld.

    Parameters
    ----------
    seed : int
        The benchmark's (or clip set's) seed.
    name : str
        Which stream: a name in :data:`STREAMS`.
    index : int, optional
        The video or clip index for per-video streams (0 for the others).
    *sub_index : int
        Further indices within the stream (e.g. a design's budget and draw), appended to the
        seed.

    Returns
    -------
    numpy.random.Generator
        Seeded by ``[seed, STREAMS[name], index, *sub_index]``, so a stream never depends on
        another's draws.

    Raises
    ------
    KeyError
        For a name not in :data:`STREAMS`.
    """
    if name not in STREAMS:
        raise KeyError(f"unknown SocialWorld stream {name!r}; the streams are {list(STREAMS)}")
    return np.random.default_rng([seed, STREAMS[name], index, *sub_index])
