"""SocialWorld's own transfer set: a labelled world in a held-out look (``socalign-labels/1``).

The demo's analogue of PHASE (:mod:`socalign.data.phase`), so that the transfer question (does
fine-tuning on SocialWorld's judgments help a frozen encoder read who is friendly to whom in
animations that look different?) runs fully offline. :func:`synthesize_transfer_set` writes a
SocialWorld drawn from its own seed, in a look that training never used
(:data:`socalign.data.socialworld.render.LOOKS`; by default ``"phase"``, PHASE's room), and
labels every video ``friendly``, ``neutral`` or ``adversarial`` (PHASE's labels,
:data:`socalign.data.phase.source.LABELS`) by its interaction type's latent valence:

* a type's latent valence is the mean ``valence`` rating
  (:func:`socalign.data.socialworld.attributes.social_ratings`, computed from the motion) of
  :data:`REFERENCE_SCENES` scenes of that type drawn from a fixed reference stream
  (:func:`type_valence`), so a type's label never depends on the set being labelled;
* :func:`valence_label` cuts the valence scale [0, 1] in thirds (:data:`VALENCE_THRESHOLDS`):
  below 1/3 ``adversarial``, above 2/3 ``friendly``, ``neutral`` between.

The labels follow the motion, not the type's name: ``hinder`` and ``help`` move in ways whose
latent valence is middling, so they are ``neutral`` here (the labels per type are recorded in
``benchmark.json`` and :func:`type_labels` gives them).

The folder (:func:`socalign.data.layout.write_labelled_benchmark`) holds ``videos/NNNN.mp4``
(lossless, as SocialWorld's) and ``videos.csv`` with ``video_id``, ``name``, ``file``,
``split``, ``set`` (:data:`~socalign.data.layout.SET_COLUMN`: ``main`` or ``generalization``,
stratified by label; ``train``/``test`` as PHASE's), ``label``
(:data:`~socalign.data.layout.LABEL_COLUMN`), ``interaction`` and ``valence`` (the video's own
latent valence). ``socalign transfer`` reads it as it reads rendered PHASE: under the ``paper``
protocol a probe trained on the ``main`` set is scored on the ``generalization`` set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socalign.data.layout import LABEL_COLUMN, SET_COLUMN, write_labelled_benchmark
from socalign.data.phase.source import GENERALIZATION_SET, LABELS, MAIN_SET, SPLIT_OF_SET
from socalign.data.socialworld.attributes import KINEMATIC_FEATURES, kinematics, social_ratings
from socalign.data.socialworld.generator import GENERATOR, stream
from socalign.data.socialworld.render import (
    check_look,
    frame_rate,
    render_frames,
    sample_appearance,
)
from socalign.data.socialworld.scenes import (
    INTERACTION_TYPES,
    frame_times,
    sample_trajectory,
    simulate,
)
from socalign.data.socialworld.synth import check_clip_arguments, staged_output, stratified_split
from socalign.progress import progress_bar

__all__ = ["DEFAULT_LOOK", "METADATA_KEY", "REFERENCE_SCENES", "REFERENCE_SEED",
           "VALENCE_THRESHOLDS", "TransferSet", "read_transfer_set", "synthesize_transfer_set", "type_labels",
           "type_valence", "valence_label"]

METADATA_KEY = "socialworld_transfer"
"""``benchmark.json``'s block of a transfer set's settings (not SocialWorld's own block: the
folder has labels, no judgments)."""
DEFAULT_LOOK = "phase"
"""The look a transfer set is drawn in unless told otherwise: held out from every training clip."""
VALENCE_THRESHOLDS = (1 / 3, 2 / 3)
"""The valence scale [0, 1] in thirds: below the first ``adversarial``, above the second
``friendly``, ``neutral`` between (both bounds ``neutral``)."""
REFERENCE_SCENES = 100
"""Scenes per type of the reference sample that gives each type its latent valence."""
REFERENCE_SEED = 0
"""Seed of the reference sample: stream ``(REFERENCE_SEED, "scenes", k)`` of
:func:`socalign.data.socialworld.generator.stream`, scenes ``k`` of type ``i`` at
``k = 1_000_000 + i * REFERENCE_SCENES + j`` (indices no benchmark of fewer videos reaches)."""
_REFERENCE_OFFSET = 1_000_000
MIN_TRANSFER_VIDEOS = 30
"""Fewest videos of a transfer set (each label needs training and test videos)."""


def valence_label(valence: float | np.ndarray) -> np.ndarray:
    """The label of a latent valence: :data:`VALENCE_THRESHOLDS` cut [0, 1] in thirds.

    Parameters
    ----------
    valence : float or numpy.ndarray
        Valences in [0, 1].

    Returns
    -------
    numpy.ndarray
        Labels (``adversarial``, ``neutral``, ``friendly``) of ``valence``'s shape.

    Raises
    ------
    ValueError
        A valence outside [0, 1] or not finite.
    """
    v = np.asarray(valence, dtype=float)
    if not np.all(np.isfinite(v)) or np.any((v < 0) | (v > 1)):
        raise ValueError(f"valence must lie in [0, 1]; got {v[~((v >= 0) & (v <= 1))][:3]}")
    low, high = VALENCE_THRESHOLDS
    return np.where(v < low, "adversarial", np.where(v > high, "friendly", "neutral"))


def type_valence(n_per_type: int = REFERENCE_SCENES, seed: int = REFERENCE_SEED) -> dict[str, float]:
    """Each interaction type's latent valence: the mean valence rating of a reference sample.

    Parameters
    ----------
    n_per_type : int, default REFERENCE_SCENES
        Scenes per type.
    seed : int, default REFERENCE_SEED
        Seed of the reference stream (see :data:`REFERENCE_SEED`).

    Returns
    -------
    dict of str to float
        Type -> mean valence, in :data:`INTERACTION_TYPES` order.
    """
    if n_per_type < 1:
        raise ValueError(f"n_per_type must be at least 1, got {n_per_type}")
    out = {}
    for i, kind in enumerate(INTERACTION_TYPES):
        kin = [kinematics(simulate(kind, stream(seed, "scenes", _REFERENCE_OFFSET + i * n_per_type + j)))
               for j in range(n_per_type)]
        table = {k: np.array([row[k] for row in kin]) for k in KINEMATIC_FEATURES}
        out[kind] = float(np.mean(social_ratings(table)["valence"]))
    return out


def type_labels(valences: dict[str, float] | None = None) -> dict[str, str]:
    """Each interaction type's label: :func:`valence_label` of its latent valence.

    Parameters
    ----------
    valences : dict of str to float or None, default None
        Type -> latent valence (None: :func:`type_valence`).

    Returns
    -------
    dict of str to str
        Type -> ``friendly``, ``neutral`` or ``adversarial``.
    """
    valences = type_valence() if valences is None else valences
    return {kind: str(valence_label(v)) for kind, v in valences.items()}


@dataclass(frozen=True)
class TransferSet:
    """What :func:`synthesize_transfer_set` wrote."""

    out: Path
    n_videos: int
    look: str
    counts: dict[str, dict[str, int]]
    type_valence: dict[str, float]
    type_labels: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {"out": str(self.out), "n_videos": self.n_videos, "look": self.look,
                "label_column": LABEL_COLUMN, "set_column": SET_COLUMN, "counts": self.counts,
                "thresholds": list(VALENCE_THRESHOLDS), "type_valence": self.type_valence,
                "type_labels": self.type_labels}

    def count_frame(self) -> pd.DataFrame:
        """Videos per set (rows) and label (columns), with totals."""
        frame = pd.DataFrame(self.counts).T.reindex(columns=list(LABELS), fill_value=0)
        frame.loc["total"] = frame.sum()
        frame["total"] = frame.sum(axis=1)
        return frame.rename_axis("set")


def read_transfer_set(folder: Path | str) -> TransferSet:
    """The summary of a transfer set folder, from its ``benchmark.json``.

    Parameters
    ----------
    folder : path-like
        A folder :func:`synthesize_transfer_set` wrote.

    Returns
    -------
    TransferSet

    Raises
    ------
    socalign.data.errors.BenchmarkError
        Naming ``benchmark.json`` when it is unreadable or holds no transfer-set block.
    """
    from socalign.data.errors import BenchmarkError
    from socalign.data.layout import read_json

    folder = Path(folder)
    meta = read_json(folder / "benchmark.json", folder)
    block = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    if not isinstance(block, dict):
        raise BenchmarkError(f"no {METADATA_KEY!r} block: not a SocialWorld transfer set",
                             folder / "benchmark.json")
    return TransferSet(folder, int(block["n_videos"]), str(block["look"]),
                       {s: dict(c) for s, c in block["counts"].items()},
                       dict(block["type_valence"]), dict(block["type_labels"]))


def synthesize_transfer_set(
    out: Path | str,
    n_videos: int = 250,
    seed: int = 1,
    n_frames: int = 16,
    size: int = 64,
    look: str = DEFAULT_LOOK,
    generalization_fraction: float = 0.2,
    progress: bool = False,
) -> TransferSet:
    """Write a labelled SocialWorld transfer set to the empty (or new) folder ``out``.

    Video ``i``'s scene comes from stream ``(seed, "scenes", i)`` and its look from
    ``(seed, "looks", i)`` (:func:`socalign.data.socialworld.generator.stream`), the types'
    order from ``(seed, "order")`` and the sets from ``(seed, "split")``, as in
    :func:`socalign.data.socialworld.synth.synthesize`: give it a seed other than the training
    world's. The folder appears whole or not at all.

    Parameters
    ----------
    out : path-like
        The folder to write, new or empty.
    n_videos : int, default 250
        Videos, at least :data:`MIN_TRANSFER_VIDEOS`; the interaction types are spread evenly.
    seed : int, default 1
        Seed of everything drawn.
    n_frames : int, default 16
        Frames per video (over 3 s).
    size : int, default 64
        Frame side in pixels (even, at least 16).
    look : str, default "phase"
        One of :data:`socalign.data.socialworld.render.LOOKS`.
    generalization_fraction : float, default 0.2
        Share of the videos in the ``generalization`` set (the probe's test videos), stratified
        by label.
    progress : bool, default False
        A progress bar while rendering.

    Returns
    -------
    TransferSet
        The counts per set and label, and each type's latent valence and label.

    Raises
    ------
    ValueError
        Naming the argument: too few videos, a bad seed, frame count, size, fraction or look.
    """
    if not isinstance(n_videos, int | np.integer) or n_videos < MIN_TRANSFER_VIDEOS:
        raise ValueError(f"--videos must be an integer >= {MIN_TRANSFER_VIDEOS}, got {n_videos}")
    check_clip_arguments(seed, n_frames, size, generalization_fraction)
    check_look(look)
    valences = type_valence()
    labels_of = type_labels(valences)
    n = int(n_videos)
    interactions = np.resize(np.asarray(INTERACTION_TYPES), n)
    interactions = interactions[stream(seed, "order").permutation(n)]
    labels = np.array([labels_of[str(t)] for t in interactions])
    splits = stratified_split(labels, generalization_fraction, stream(seed, "split"))
    sets = np.where(splits == "test", GENERALIZATION_SET, MAIN_SET)
    times = frame_times(n_frames)
    kin = []
    final = Path(out)
    with staged_output(final) as work:
        (work / "videos").mkdir()
        from socalign.video import write_video

        for i in progress_bar(range(n), "transfer set", progress, unit="video"):
            traj = simulate(str(interactions[i]), stream(seed, "scenes", i))
            kin.append(kinematics(traj))
            pos, head = sample_trajectory(traj, n_frames)
            app = sample_appearance(stream(seed, "looks", i), look)
            frames = render_frames(app, pos, head, times, size)
            write_video(work / "videos" / f"{i:04d}.mp4", frames, fps=frame_rate(n_frames), qp=0)
        valence = social_ratings({k: np.array([row[k] for row in kin]) for k in KINEMATIC_FEATURES})["valence"]
        videos = pd.DataFrame({
            "video_id": np.arange(n),
            "name": [f"transfer_{i:04d}" for i in range(n)],
            "file": [f"videos/{i:04d}.mp4" for i in range(n)],
            "split": [SPLIT_OF_SET[s] for s in sets],
            SET_COLUMN: sets,
            LABEL_COLUMN: labels,
            "interaction": interactions,
            "valence": np.round(valence, 6),
        })
        counts = {s: {label: int(((sets == s) & (labels == label)).sum()) for label in LABELS}
                  for s in (MAIN_SET, GENERALIZATION_SET)}
        metadata = {
            "name": "socialworld-transfer",
            "description": f"SocialWorld, synthetic, {look}-look: {n} videos labelled friendly / "
                           "neutral / adversarial by their interaction type's latent valence",
            METADATA_KEY: {
                "generator": GENERATOR, "seed": int(seed), "n_videos": n,
                "n_frames": int(n_frames), "size": int(size), "look": look,
                "generalization_fraction": float(generalization_fraction),
                "thresholds": list(VALENCE_THRESHOLDS), "reference_scenes": REFERENCE_SCENES,
                "reference_seed": REFERENCE_SEED, "type_valence": valences,
                "type_labels": labels_of, "counts": counts,
                "label_column": LABEL_COLUMN, "set_column": SET_COLUMN,
            },
        }
        write_labelled_benchmark(work, videos, metadata=metadata)
    return TransferSet(final, n, look, counts, valences, labels_of)
