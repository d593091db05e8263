"""Write a SocialWorld benchmark: scenes, frames, mp4 files, captions, ratings and judgments.

What ``DIR`` holds (the socalign layout, plus SocialWorld extras):

* ``videos/NNNN.mp4`` — lossless H.264, ``n_frames`` frames over 3 s, ``size`` x ``size``;
* ``videos.csv`` — ``video_id, name, file, split`` (train/test, stratified by type),
  ``interaction`` (the type), ``rating_<attribute>`` in [0, 1] (computed from the motion),
  ``latent_<measure>`` (the kinematic measures the ratings come from) and ``nuisance_*``
  (background, texture, brightness, each object's shape, colour and size);
* ``captions.csv`` — 8 captions per video (the paper's have 5 to 11); ``trials.csv`` —
  participant, the three videos,
  the choice, response time (catch trials included; the loader excludes them);
* ``scene.npz`` — per-frame object boxes (see :mod:`socalign.data.socialworld.scenefile`);
* ``benchmark.json`` — ``socialworld`` (generator settings, observer model, type and attribute
  names) and ``calibration`` (see :mod:`socalign.data.socialworld.calibration`).

Randomness: every video's scene, look and captions come from generators seeded by
``(seed, stream, video index)``, and the split, design and observers from their own streams, so
the same seed gives identical tables and identical decoded frames.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from socalign.data.layout import atomic_write_text, ensure_fresh_output, write_benchmark
from socalign.data.socialworld.attributes import (
    KINEMATIC_FEATURES,
    SOCIAL_ATTRIBUTES,
    kinematics,
    social_ratings,
)
from socalign.data.socialworld.captions import world_captions
from socalign.data.socialworld.features import METADATA_KEY
from socalign.data.socialworld.generator import GENERATOR
from socalign.data.socialworld.generator import stream as _stream
from socalign.data.socialworld.observers import (
    ObserverModel,
    appearance_features,
    judge,
    make_schedule,
    mean_weights,
    social_features,
)
from socalign.data.socialworld.render import (
    OBJECTS,
    frame_rate,
    object_boxes,
    render_frames,
    sample_appearance,
)
from socalign.data.socialworld.scenefile import SCENE_FILE, SceneBoxes, write_scene_boxes
from socalign.data.socialworld.scenes import (
    INTERACTION_TYPES,
    frame_times,
    sample_trajectory,
    simulate,
)
from socalign.progress import bars_enabled
from socalign.video import write_video

if TYPE_CHECKING:
    from socalign.data.socialworld.calibration import CaptionEncoder

DEFAULT_PARTICIPANTS = 214  # x 231 trials = 49,434 judgments, as the paper's ~49,500
MIN_VIDEOS = 15


@dataclass(frozen=True)
class StageTimes:
    """Wall-clock and CPU (process) seconds per stage of :func:`synthesize`."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Per-stage seconds, and the totals."""
        return {
            "wall_s": {k: round(v, 3) for k, v in self.wall.items()},
            "cpu_s": {k: round(v, 3) for k, v in self.cpu.items()},
            "total_wall_s": round(sum(self.wall.values()), 3),
            "total_cpu_s": round(sum(self.cpu.values()), 3),
        }


class _Timer:
    def __init__(self) -> None:
        self.times = StageTimes()

    def run(self, stage: str, fn: Callable[[], Any]) -> Any:
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        self.times.wall[stage] = self.times.wall.get(stage, 0.0) + time.perf_counter() - w
        self.times.cpu[stage] = self.times.cpu.get(stage, 0.0) + time.process_time() - c
        return out


@dataclass(frozen=True)
class SynthResult:
    """What :func:`synthesize` wrote, how long each stage took, and the calibration."""

    out: Path
    n_videos: int
    n_trials: int
    n_catch: int
    n_participants: int
    splits: dict[str, int]
    times: StageTimes
    calibration: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (``--json``)."""
        return {
            "out": str(self.out),
            "n_videos": self.n_videos,
            "n_trials": self.n_trials,
            "n_catch_trials": self.n_catch,
            "n_participants": self.n_participants,
            "splits": self.splits,
            "times": self.times.to_dict(),
            "calibration": self.calibration,
        }

    def to_frame(self) -> pd.DataFrame:
        """Per-stage times as a table."""
        t = self.times
        return pd.DataFrame({"wall_s": t.wall, "cpu_s": t.cpu}).rename_axis("stage").reset_index()


@contextmanager
def staged_output(out: Path | str) -> Iterator[Path]:
    """Yield a temporary sibling of ``out`` to write into; rename it to ``out`` on success.

    ``out`` must be new or empty (checked first). On an error the temporary folder is removed,
    so an interrupted run leaves no half-written benchmark.
    """
    existed = Path(out).exists()
    out = ensure_fresh_output(out)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        yield work
        os.replace(work, out)  # out is an empty folder: rename(2) replaces it
    finally:
        if work.exists():
            shutil.rmtree(work)
            if not existed:
                out.rmdir()  # created here and still empty


def check_arguments(n_videos: int, seed: int, n_frames: int, size: int, test_fraction: float) -> None:
    """Raise ValueError naming the argument for values the generator cannot honour.

    Parameters
    ----------
    n_videos : int
        Number of videos, at least :data:`MIN_VIDEOS`.
    seed : int
        A non-negative integer.
    n_frames : int
        Frames per video, at least 2.
    size : int
        Frame side in pixels, even and at least 16.
    test_fraction : float
        Strictly between 0 and 1.

    Returns
    -------
    None
    """
    if not isinstance(n_videos, int | np.integer) or n_videos < MIN_VIDEOS:
        raise ValueError(f"--videos must be an integer >= {MIN_VIDEOS} (train and test need triplets), got {n_videos}")
    check_clip_arguments(seed, n_frames, size, test_fraction)


def check_clip_arguments(seed: int, n_frames: int, size: int, test_fraction: float) -> None:
    """Raise ValueError naming the argument for a bad seed, frame count, frame size or split.

    Parameters
    ----------
    seed : int
        A non-negative integer.
    n_frames : int
        Frames per clip, at least 2.
    size : int
        Frame side in pixels, even and at least 16 (H.264 yuv420p).
    test_fraction : float
        Strictly between 0 and 1.

    Returns
    -------
    None
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {seed}")
    if not isinstance(n_frames, int | np.integer) or n_frames < 2:
        raise ValueError(f"--frames must be an integer >= 2, got {n_frames}")
    if not isinstance(size, int | np.integer) or size < 16 or size % 2:
        raise ValueError(f"--size must be an even number of pixels >= 16 (H.264 yuv420p), got {size}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")


def stratified_split(interactions: np.ndarray, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Train/test labels, stratified by interaction type (or any label; largest-remainder rounding).

    Parameters
    ----------
    interactions : numpy.ndarray
        (n,) each video's type (or label), the strata.
    test_fraction : float
        Share of the videos labelled ``test`` (``round(test_fraction * n)`` of them).
    rng : numpy.random.Generator
        Draws the order within each stratum and the sampling offset.

    Returns
    -------
    numpy.ndarray
        (n,) ``"train"`` or ``"test"``.
    """
    n = len(interactions)
    n_test = round(test_fraction * n)
    order = rng.permutation(n)
    # Sorting a random order by type, then taking every (n / n_test)-th video, stratifies.
    order = order[np.argsort(interactions[order], kind="stable")]
    picks = np.floor(np.arange(n_test) * n / n_test + rng.uniform(0, n / n_test)).astype(int)
    split = np.full(n, "train", dtype=object)
    split[order[np.minimum(picks, n - 1)]] = "test"
    return split.astype(str)


def synthesize(
    out: Path | str,
    n_videos: int = 250,
    seed: int = 0,
    n_frames: int = 16,
    size: int = 64,
    n_participants: int | None = None,
    trials_per_participant: int = 231,
    catch_per_participant: int = 2,
    test_fraction: float = 0.2,
    n_captions: int = 8,
    observer: ObserverModel | None = None,
    calibrate: bool = True,
    progress: bool = False,
    caption_encoder: CaptionEncoder | None = None,
) -> SynthResult:
    """Write a SocialWorld benchmark to the empty (or new) folder ``out``.

    n_participants defaults to 214 scaled by (n_videos / 250)^2 (at least 4), so the pairs are
    covered about as densely as at the default size. ``calibrate`` measures the calibration
    (see :mod:`socalign.data.socialworld.calibration`) and stores it in benchmark.json; its
    MiniLM row embeds the captions with ``caption_encoder`` (captions in, one row per video
    out), e.g. :func:`socalign.models.language.encode_captions` as ``socalign data synth``
    passes it. Without an encoder that row is stored as not measured: ``socalign.data`` does
    not import ``socalign.models``.

    Parameters
    ----------
    out : path-like
        The folder to write, new or empty; it is written under a temporary name and renamed.
    n_videos : int, default 250
        Number of videos, at least :data:`MIN_VIDEOS`; interaction types are spread evenly.
    seed : int, default 0
        Seed of everything generated (the same seed gives the same files).
    n_frames : int, default 16
        Frames per video (over 3 s).
    size : int, default 64
        Side of the square frames in pixels (even, at least 16).
    n_participants : int, optional
        Simulated participants; the default is described above.
    trials_per_participant : int, default 231
        Trials per participant, catch trials included; must exceed ``catch_per_participant``.
    catch_per_participant : int, default 2
        Catch trials per participant.
    test_fraction : float, default 0.2
        Share of the videos in the test split, stratified by interaction type.
    n_captions : int, default 8
        Captions per video, at least 1.
    observer : ObserverModel, optional
        The simulated observers' model; None: ``ObserverModel()``.
    calibrate : bool, default True
        Measure the calibration and store it in benchmark.json.
    progress : bool, default False
        Show a progress bar while rendering.
    caption_encoder : CaptionEncoder, optional
        Embeds captions for the calibration's MiniLM row.

    Returns
    -------
    SynthResult
        Counts, splits, per-stage times and the calibration.
    """
    check_arguments(n_videos, seed, n_frames, size, test_fraction)
    if n_participants is None:
        n_participants = max(4, round(DEFAULT_PARTICIPANTS * (n_videos / 250) ** 2))
    if not isinstance(n_participants, int | np.integer) or n_participants < 1:
        raise ValueError(f"--participants must be a positive integer, got {n_participants}")
    if not isinstance(trials_per_participant, int | np.integer) or trials_per_participant <= catch_per_participant:
        raise ValueError(
            f"--trials-per-participant must exceed the {catch_per_participant} catch trials, got {trials_per_participant}"
        )
    if n_captions < 1:
        raise ValueError(f"n_captions must be at least 1, got {n_captions}")
    observer = observer or ObserverModel()
    final = Path(out)
    with staged_output(final) as work:
        result = _write(
            work, final, int(n_videos), int(seed), int(n_frames), int(size), int(n_participants),
            int(trials_per_participant), int(catch_per_participant), float(test_fraction),
            int(n_captions), observer, calibrate, progress, caption_encoder,
        )
    return result


def _write(
    out: Path, final: Path, n: int, seed: int, n_frames: int, size: int, n_participants: int,
    trials_per_participant: int, catch_per_participant: int, test_fraction: float,
    n_captions: int, observer: ObserverModel, calibrate: bool, progress: bool,
    caption_encoder: CaptionEncoder | None = None,
) -> SynthResult:
    """Write every file of the benchmark into ``out`` (a staging folder renamed to ``final``)."""
    (out / "videos").mkdir()
    timer = _Timer()
    interactions = np.resize(np.asarray(INTERACTION_TYPES), n)
    interactions = interactions[_stream(seed, "order").permutation(n)]
    splits = stratified_split(interactions, test_fraction, _stream(seed, "split"))
    times = frame_times(n_frames)

    def simulate_all() -> tuple[list, list, list]:
        trajs, apps = [], []
        for i in range(n):
            trajs.append(simulate(str(interactions[i]), _stream(seed, "scenes", i)))
            apps.append(sample_appearance(_stream(seed, "looks", i)))
        kin = [kinematics(t) for t in trajs]
        return trajs, apps, kin

    trajs, apps, kin = timer.run("simulate", simulate_all)
    kin_table = {k: np.array([row[k] for row in kin]) for k in KINEMATIC_FEATURES}
    ratings = timer.run("simulate", lambda: social_ratings(kin_table))

    boxes = np.empty((n, n_frames, len(OBJECTS), 4), dtype=np.float32)
    positions = np.empty((n, n_frames, 2, 2), dtype=np.float32)
    headings = np.empty((n, n_frames, 2), dtype=np.float32)
    for i in tqdm(range(n), desc="render + encode", disable=not bars_enabled(progress)):
        def render_one(i: int = i) -> np.ndarray:
            pos, head = sample_trajectory(trajs[i], n_frames)
            boxes[i] = object_boxes(apps[i], pos, times, size)
            positions[i], headings[i] = pos, head
            return render_frames(apps[i], pos, head, times, size)

        frames = timer.run("render", render_one)
        timer.run("encode", lambda i=i, frames=frames: write_video(
            out / "videos" / f"{i:04d}.mp4", frames, fps=frame_rate(len(frames)), qp=0))

    captions = timer.run("simulate", lambda: world_captions(seed, list(interactions), ratings, n_captions, apps))

    def judge_all() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        social, _ = social_features(ratings, list(interactions), INTERACTION_TYPES, observer.type_grading)
        bg = appearance_features(np.array([a.background_rgb for a in apps]))
        weights = mean_weights(observer, len(SOCIAL_ATTRIBUTES), len(INTERACTION_TYPES), bg.shape[1])
        triplets, who = make_schedule(
            n, n_participants, trials_per_participant, catch_per_participant, _stream(seed, "design")
        )
        odd, rt = judge(np.hstack([social, bg]), weights, triplets, who, observer, _stream(seed, "observers"))
        return triplets, who, odd, rt

    triplets, who, odd, rt = timer.run("judge", judge_all)

    videos = pd.DataFrame({
        "video_id": np.arange(n),
        "name": [f"socialworld_{i:04d}" for i in range(n)],
        "file": [f"videos/{i:04d}.mp4" for i in range(n)],
        "split": splits,
        "interaction": interactions,
    })
    for a in SOCIAL_ATTRIBUTES:
        videos[f"rating_{a}"] = np.round(ratings[a], 6)
    for k in KINEMATIC_FEATURES:
        videos[f"latent_{k}"] = np.round(kin_table[k], 6)
    videos = pd.concat([videos, pd.DataFrame([a.to_row() for a in apps])], axis=1)
    width = len(str(n_participants))
    trials = pd.DataFrame({
        "participant": [f"sw{p:0{width}d}" for p in who],
        "video_1": triplets[:, 0],
        "video_2": triplets[:, 1],
        "video_3": triplets[:, 2],
        "choice": triplets[np.arange(len(odd)), odd],
        "response_time": rt,
    })
    metadata: dict[str, Any] = {
        "name": "socialworld",
        "description": "SocialWorld: procedural two-agent social interaction videos with simulated "
        "odd-one-out judgments (socalign)",
        METADATA_KEY: {
            "generator": GENERATOR,
            "seed": int(seed),
            "n_videos": n,
            "n_frames": int(n_frames),
            "size": int(size),
            "duration_s": float(times[-1]),
            "n_participants": int(n_participants),
            "trials_per_participant": int(trials_per_participant),
            "catch_per_participant": int(catch_per_participant),
            "test_fraction": float(test_fraction),
            "interaction_types": list(INTERACTION_TYPES),
            "attributes": list(SOCIAL_ATTRIBUTES),
            "latent_features": list(KINEMATIC_FEATURES),
            "observer": observer.to_dict(),
            "scene_file": SCENE_FILE,
        },
    }

    def write_all() -> None:
        write_scene_boxes(
            out / SCENE_FILE,
            SceneBoxes(np.arange(n), OBJECTS, boxes, positions, headings, times, int(size)),
        )
        write_benchmark(out, videos, trials, captions, metadata)

    timer.run("write", write_all)
    calibration = None
    if calibrate:
        from socalign.data.registry import load_dataset
        from socalign.data.socialworld.calibration import calibrate as run_calibration

        bench = load_dataset(out)
        calibration = timer.run(
            "calibrate",
            lambda: run_calibration(bench, seed=seed, caption_encoder=caption_encoder).to_dict(),
        )
        meta_path = out / "benchmark.json"
        stored = json.loads(meta_path.read_text())
        stored["calibration"] = calibration
        atomic_write_text(meta_path, json.dumps(stored, indent=2) + "\n")
    n_catch = int((triplets[:, 0] == triplets[:, 1]).sum() + (triplets[:, 1] == triplets[:, 2]).sum()
                  + (triplets[:, 0] == triplets[:, 2]).sum())
    return SynthResult(
        out=final,
        n_videos=n,
        n_trials=len(trials),
        n_catch=n_catch,
        n_participants=int(n_participants),
        splits={s: int((splits == s).sum()) for s in ("train", "test")},
        times=timer.times,
        calibration=calibration,
    )
