"""The SocialWorld action set: clips labelled by one agent's motion pattern (no social relation).

It stands in for an action-recognition corpus such as Kinetics: a video model pretrained on it
learns to see motion (still, linear, circular, zigzag, jumping; slow or fast) in the same visual
world, with the same nuisance factors, but is never taught anything about two agents together.

Layout of ``DIR``::

    actions.csv   file, label, split      (file relative to DIR; label one of ACTION_LABELS)
    actions.json  {"labels": [...], "seed": ..., "n_frames": ..., "size": ..., ...}
    videos/       00000.mp4 ...
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from socalign.data.errors import BenchmarkError
from socalign.data.layout import atomic_write_text, read_csv
from socalign.data.socialworld.generator import stream
from socalign.data.socialworld.render import (
    AGENT_RADIUS,
    Appearance,
    frame_rate,
    reflect_into_arena,
    render_frames,
    sample_appearance,
)
from socalign.data.socialworld.scenes import DURATION, N_STEPS, frame_times
from socalign.data.socialworld.synth import check_clip_arguments, staged_output
from socalign.progress import bars_enabled
from socalign.video import write_video

PATTERNS: tuple[str, ...] = ("still", "linear", "circular", "zigzag", "jumping")
SPEEDS = {"slow": (0.06, 0.1), "fast": (0.18, 0.26)}  # arena units per second
ACTION_LABELS: tuple[str, ...] = ("still", *tuple(f"{p}_{s}" for p in PATTERNS[1:] for s in SPEEDS))


@dataclass(frozen=True)
class ActionStyle:
    """How action clips differ from SocialWorld's scenes: a pretraining set a tiny model can learn.

    The benchmark's nuisance factors (small agents, textured backgrounds, a moving distractor)
    are kept in kind but eased in degree: the agent is larger, textures fainter, the distractor
    still (so the only thing moving is the labelled agent), and periodic motions slow enough to
    be seen in 8 frames over 3 s.
    """

    agent_radius: tuple[float, float] = (0.09, 0.12)  # scenes: render.AGENT_RADIUS (arena units)
    texture_contrast: float = 0.4  # scale on the scene's texture contrast (1 = as in scenes)
    distractor_moves: bool = False
    zigzag_period: tuple[float, float] = (1.0, 1.5)  # seconds per zig and zag
    hops_per_speed: tuple[float, float] = (4.0, 6.0)  # hops per second per (arena unit / s)
    shutter: int = 1  # sub-frames averaged into each frame (motion blur over the frame interval)

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        return asdict(self)


SCENE_STYLE = ActionStyle(
    agent_radius=AGENT_RADIUS, texture_contrast=1.0, distractor_moves=True,
    zigzag_period=(0.5, 0.8), hops_per_speed=(8.0, 12.0),
)


@dataclass(frozen=True)
class ActionSet:
    """A labelled action set: files, integer labels into ``label_names``, and splits."""

    files: tuple[Path, ...]
    labels: np.ndarray
    label_names: tuple[str, ...]
    splits: np.ndarray

    def __len__(self) -> int:
        return len(self.files)

    def indices(self, split: str) -> np.ndarray:
        """Row indices of one split (``train`` or ``test``)."""
        if split not in set(self.splits.tolist()):
            raise KeyError(f"unknown split {split!r}; this set has {sorted(set(self.splits.tolist()))}")
        return np.flatnonzero(self.splits == split)


def action_trajectory(
    label: str, rng: np.random.Generator, n_frames: int, style: ActionStyle = ActionStyle()
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (T, 1, 2) and headings (T, 1) of one agent performing ``label``.

    Parameters
    ----------
    label : str
        One of :data:`ACTION_LABELS` (a pattern and, but for ``"still"``, a speed).
    rng : numpy.random.Generator
        Draws the speed, start, direction and the pattern's own parameters.
    n_frames : int
        T, the number of frames the path is sampled at (see
        :func:`socalign.data.socialworld.scenes.frame_times`).
    style : ActionStyle, default ActionStyle()
        The zigzag period and hop rate.

    Returns
    -------
    tuple of numpy.ndarray
        ``(positions, headings)``: (T, 1, 2) arena coordinates and (T, 1) headings in radians.
    """
    if label not in ACTION_LABELS:
        raise ValueError(f"unknown action {label!r}; choose from {list(ACTION_LABELS)}")
    pattern, _, speed_name = label.partition("_")
    t = np.linspace(0.0, DURATION, N_STEPS)
    speed = rng.uniform(*SPEEDS[speed_name]) if speed_name else 0.0
    start = rng.uniform(0.25, 0.75, 2)
    theta = rng.uniform(0, 2 * np.pi)
    along = np.array([np.cos(theta), np.sin(theta)])
    across = np.array([-along[1], along[0]])
    if pattern == "still":
        path = start + np.cumsum(rng.normal(0, 0.0015, (N_STEPS, 2)), axis=0)
    elif pattern == "linear":
        path = start + np.outer(speed * t, along)
    elif pattern == "circular":
        radius = rng.uniform(0.08, 0.16)
        omega = speed / radius * rng.choice([-1, 1])
        angle = omega * t + theta
        path = start + radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    elif pattern == "zigzag":
        period = rng.uniform(*style.zigzag_period)
        wave = 2 * np.abs(2 * (t / period - np.floor(t / period + 0.5))) - 1  # triangle in [-1, 1]
        path = start + np.outer(0.45 * speed * t, along) + np.outer(0.3 * speed * wave, across)
    else:  # jumping: hops up (y decreases) while drifting sideways
        hops = speed * rng.uniform(*style.hops_per_speed)  # hops per second grow with speed
        height = rng.uniform(0.06, 0.1)
        path = start + np.outer(0.3 * speed * t * rng.choice([-1, 1]), [1.0, 0.0])
        path[:, 1] -= height * np.abs(np.sin(np.pi * hops * t / 2))
    path = reflect_into_arena(path, 0.1, 0.9)
    vel = np.gradient(path, axis=0)
    heading = np.where(np.linalg.norm(vel, axis=1) > 1e-4, np.arctan2(vel[:, 1], vel[:, 0]), theta)
    times = frame_times(n_frames)
    pos = np.stack([np.interp(times, t, path[:, d]) for d in range(2)], axis=1)
    head = np.interp(times, t, np.unwrap(heading))
    return pos[:, None, :], head[:, None]


def action_appearance(rng: np.random.Generator, style: ActionStyle = ActionStyle()) -> Appearance:
    """SocialWorld's nuisance factors for one action clip, eased as ``style`` says.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the nuisance factors and the agent's radius.
    style : ActionStyle, default ActionStyle()
        The agent's radius range, the texture contrast scale and whether the distractor moves.

    Returns
    -------
    socalign.data.socialworld.render.Appearance
        Both agent sizes set to the one drawn radius.
    """
    app = sample_appearance(rng)
    freq, angle, contrast = app.texture_params
    radius = float(rng.uniform(*style.agent_radius))
    return replace(
        app,
        texture_params=(freq, angle, contrast * style.texture_contrast),
        sizes=(radius, radius, app.sizes[2]),
        distractor_velocity=app.distractor_velocity if style.distractor_moves else (0.0, 0.0),
    )


def synthesize_actions(
    out: Path | str,
    n_clips: int = 600,
    seed: int = 0,
    n_frames: int = 16,
    size: int = 64,
    test_fraction: float = 0.2,
    progress: bool = False,
    style: ActionStyle = ActionStyle(),
    labels: tuple[str, ...] = ACTION_LABELS,
) -> ActionSet:
    """Write a balanced action set (``n_clips`` clips over ``labels``, by default all of
    :data:`ACTION_LABELS`) to ``out``.

    Parameters
    ----------
    out : path-like
        The folder to write, new or empty; it is written under a temporary name and renamed.
    n_clips : int, default 600
        Number of clips, at least two per label; labels are spread evenly over the clips.
    seed : int, default 0
        Seed of the labels, split, paths and looks.
    n_frames : int, default 16
        Frames per clip.
    size : int, default 64
        Side of the square frames in pixels (even, at least 16).
    test_fraction : float, default 0.2
        Share of each label's clips in the test split (at least one).
    progress : bool, default False
        Show a progress bar.
    style : ActionStyle, default ActionStyle()
        How the clips' look and motion are eased relative to SocialWorld's scenes.
    labels : tuple of str, default ACTION_LABELS
        Two or more distinct names from :data:`ACTION_LABELS`.

    Returns
    -------
    ActionSet
        The set as read back from ``out``.
    """
    unknown = [label for label in labels if label not in ACTION_LABELS]
    if unknown or len(set(labels)) != len(labels) or len(labels) < 2:
        raise ValueError(f"labels must be two or more distinct names from {list(ACTION_LABELS)}, got {list(labels)}")
    if not isinstance(n_clips, int | np.integer) or n_clips < 2 * len(labels):
        raise ValueError(f"--clips must be an integer >= {2 * len(labels)} (two per label), got {n_clips}")
    check_clip_arguments(seed, n_frames, size, test_fraction)
    with staged_output(out) as work:
        _write_actions(work, n_clips, seed, n_frames, size, test_fraction, progress, style, tuple(labels))
    return read_action_set(out)


def _write_actions(
    out: Path, n_clips: int, seed: int, n_frames: int, size: int, test_fraction: float, progress: bool,
    style: ActionStyle, names: tuple[str, ...],
) -> None:
    """Render, encode and list the clips into ``out`` (a staging folder)."""
    (out / "videos").mkdir()
    labels = np.resize(np.arange(len(names)), n_clips)
    labels = labels[stream(seed, "action-labels").permutation(n_clips)]
    # Stratified split: within each label, the first test_fraction (in random order) is test.
    splits = np.full(n_clips, "train", dtype=object)
    for k in range(len(names)):
        rows = np.flatnonzero(labels == k)
        n_test = max(1, round(test_fraction * len(rows)))
        splits[rows[:n_test]] = "test"
    files = []
    for i in tqdm(range(n_clips), desc="actions", disable=not bars_enabled(progress)):
        rng = stream(seed, "action-clips", i)
        app = action_appearance(stream(seed, "action-looks", i), style)
        frames = _render_action(names[labels[i]], rng, app, n_frames, size, style)
        name = f"videos/{i:05d}.mp4"
        write_video(out / name, frames, fps=frame_rate(len(frames)), qp=0)
        files.append(name)
    table = pd.DataFrame({"file": files, "label": [names[k] for k in labels], "split": splits})
    meta = {
        "name": "socialworld-actions",
        "labels": list(names),
        "seed": int(seed),
        "n_clips": int(n_clips),
        "n_frames": int(n_frames),
        "size": int(size),
        "test_fraction": float(test_fraction),
        "style": style.to_dict(),
    }
    atomic_write_text(out / "actions.json", json.dumps(meta, indent=2) + "\n")
    atomic_write_text(out / "actions.csv", table.to_csv(index=False))


def _render_action(
    label: str, rng: np.random.Generator, app: Appearance, n_frames: int, size: int, style: ActionStyle
) -> np.ndarray:
    """Frames (T, S, S, 3) uint8 of one clip; with ``style.shutter`` = k > 1 each frame averages
    k renders spread over the interval around it (motion blur, as a camera's open shutter)."""
    k = style.shutter
    n_fine = (n_frames - 1) * k + 1
    pos, head = action_trajectory(label, rng, n_fine, style)
    fine = render_frames(app, pos, head, frame_times(n_fine), size).astype(np.float32)
    if k == 1:
        return fine.astype(np.uint8)
    centres = np.arange(n_frames) * k
    offsets = np.arange(k) - (k - 1) // 2
    index = np.clip(centres[:, None] + offsets[None, :], 0, n_fine - 1)
    return np.round(fine[index].mean(axis=1)).astype(np.uint8)


def read_action_set(root: Path | str) -> ActionSet:
    """Read ``DIR/actions.csv`` (labels in :data:`ACTION_LABELS` order, or actions.json's list)."""
    root = Path(root)
    path = root / "actions.csv"
    frame = read_csv(path, ("file", "label", "split"))
    names = ACTION_LABELS
    meta_path = root / "actions.json"
    if meta_path.exists():
        names = tuple(json.loads(meta_path.read_text())["labels"])
    lookup = {name: k for k, name in enumerate(names)}
    codes = frame["label"].astype(str).map(lookup)
    if codes.isna().any():
        row = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise BenchmarkError(f"unknown label {frame['label'].iloc[row]!r}; expected one of {list(names)}", path, row + 2, "label")
    files = tuple(root / str(f) for f in frame["file"])
    missing = [i for i, f in enumerate(files) if not f.exists()]
    if missing:
        raise BenchmarkError(f"video file {files[missing[0]]} not found", path, missing[0] + 2, "file")
    return ActionSet(
        files=files,
        labels=codes.to_numpy().astype(np.int64),
        label_names=tuple(names),
        splits=frame["split"].astype(str).to_numpy(),
    )
