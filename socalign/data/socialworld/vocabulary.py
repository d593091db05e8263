"""The toy's pretraining vocabulary: Kinetics-like action classes in SocialWorld's look.

A real video backbone is pretrained to name actions (Kinetics-400: 400 classes, most of one
person — "running", "jumping", "dancing ballet" — and a minority of two-person ones, such as
"hugging", "shaking hands" or "sword fighting"). The toy backbones are pretrained the same way
on clips generated here, from their own random streams, never from a benchmark's videos,
judgments, captions or ratings:

* :data:`SINGLE_AGENT` classes (9): the action set's motion patterns
  (:data:`socalign.data.socialworld.actions.ACTION_LABELS`: still; linear, circular, zigzag,
  jumping, each slow or fast). A clip of such a class shows two agents, each doing its own
  pattern, unaware of the other (both patterns are labelled: a multi-label clip, as in
  Kinetics clips with several people doing things);
* :data:`TWO_AGENT` classes (4 of 13, the minority): "chasing", "hugging", "sparring" and
  "dancing", written here with their own kinematics. :data:`RESEMBLES` says which of
  SocialWorld's interaction types each one looks like; the other seven types (converse, help,
  ignore, ... ) have no counterpart in the vocabulary.

The pooled embedding is also asked for each clip's :data:`VALUE_NAMES`: the agents' mean
speeds and how far apart they are on average (perception, as the first stage's targets).
Every clip also carries per-agent maps (where each agent is, which way it faces, how fast it
moves) at the backbone's patch grid (:func:`socalign.data.socialworld.perception.agent_fields`),
a dense auxiliary target for the patch tokens, never for the pooled embedding.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from socalign.data.socialworld.actions import ACTION_LABELS, ActionStyle, action_trajectory
from socalign.data.socialworld.generator import STREAMS, stream
from socalign.data.socialworld.perception import SPEED_SCALE, agent_fields
from socalign.data.socialworld.render import render_frames, sample_appearance
from socalign.data.socialworld.scenes import (
    DURATION,
    N_STEPS,
    Trajectory,
    frame_times,
    sample_trajectory,
)

SINGLE_AGENT: tuple[str, ...] = ACTION_LABELS
TWO_AGENT: tuple[str, ...] = ("chasing", "hugging", "sparring", "dancing")
VOCABULARY: tuple[str, ...] = SINGLE_AGENT + TWO_AGENT
#: Which SocialWorld interaction types each two-agent class resembles (for the model card).
RESEMBLES: dict[str, tuple[str, ...]] = {
    "chasing": ("chase", "flee", "follow"),
    "hugging": ("approach_meet",),
    "sparring": ("fight", "hinder"),
    "dancing": ("mirror", "play"),
}
#: The per-clip values the pooled embedding is asked for beside the classes (perception targets).
VALUE_NAMES: tuple[str, ...] = ("speed_slower", "speed_faster", "distance_mean")
CLIP_STREAM = STREAMS["vocabulary"]  # clip i of seed s: stream(s, "vocabulary", i) (a cache key)


def _unit(angle: np.ndarray | float) -> np.ndarray:
    return np.stack([np.cos(angle), np.sin(angle)], axis=-1)


def _facing(pos: np.ndarray) -> np.ndarray:
    """(S, 2) headings of each agent towards the other."""
    d = pos[:, 1] - pos[:, 0]
    towards = np.arctan2(d[:, 1], d[:, 0])
    return np.stack([towards, towards + np.pi], axis=1)


def _moving_or(pos: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Heading along each agent's velocity, ``fallback`` where it barely moves."""
    vel = np.gradient(pos, axis=0)
    heading = np.arctan2(vel[..., 1], vel[..., 0])
    return np.where(np.linalg.norm(vel, axis=-1) > 1e-3, heading, fallback)


def _frame(pos: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move the pair's mean to a random point and shrink it so both stay inside [0.12, 0.88]."""
    pos = pos - pos.reshape(-1, 2).mean(axis=0)
    extent = float(np.abs(pos).max())
    pos = pos * min(1.0, 0.3 / max(extent, 1e-9))
    room = 0.38 - float(np.abs(pos).max())
    return pos + 0.5 + rng.uniform(-room, room, 2)


def two_agent_trajectory(label: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positions (S, 2, 2) and headings (S, 2) of a two-agent class on the fine time grid.

    Parameters
    ----------
    label : str
        One of :data:`TWO_AGENT`.
    rng : numpy.random.Generator
        Draws the class's parameters, its direction and its place in the arena.

    Returns
    -------
    tuple of numpy.ndarray
        ``(positions, headings)`` in arena coordinates, :data:`N_STEPS` steps over
        :data:`DURATION` seconds.
    """
    t = np.linspace(0.0, DURATION, N_STEPS)
    u = _unit(rng.uniform(0, 2 * np.pi))
    v = np.array([-u[1], u[0]])
    pos = np.zeros((N_STEPS, 2, 2))
    if label == "chasing":  # B runs ahead along a bending path; A runs faster after it
        speed_b = rng.uniform(0.12, 0.2)
        bend = rng.uniform(-1.0, 1.0)
        heading = np.arctan2(u[1], u[0]) + bend * t
        step = speed_b * (DURATION / (N_STEPS - 1))
        pos[:, 1] = rng.uniform(0.2, 0.35) * u + np.cumsum(step * _unit(heading), axis=0)
        speed_a = speed_b * rng.uniform(1.3, 1.8) * (DURATION / (N_STEPS - 1))
        for s in range(1, N_STEPS):
            gap = pos[s - 1, 1] - pos[s - 1, 0]
            dist = float(np.linalg.norm(gap))
            pos[s, 0] = pos[s - 1, 0] + (min(speed_a, max(dist - 0.1, 0.0)) * gap / max(dist, 1e-9))
        head = _moving_or(pos, _facing(pos))
    elif label == "hugging":  # walk towards each other, meet, and stay pressed together
        start = rng.uniform(0.4, 0.6)
        meet = rng.uniform(1.2, 2.2)
        close = np.clip(t / meet, 0, 1) ** 1.5
        half = start / 2 - (start / 2 - 0.05) * close
        sway = 0.01 * np.sin(2 * np.pi * rng.uniform(0.5, 1.0) * t) * (t > meet)
        pos[:, 0] = -half[:, None] * u + sway[:, None] * v
        pos[:, 1] = half[:, None] * u + sway[:, None] * v
        head = _facing(pos)
    elif label == "sparring":  # face each other close by and take turns to lunge
        distance = rng.uniform(0.16, 0.26)
        phase = 2 * np.pi * rng.uniform(1.2, 2.5) * t + rng.uniform(0, 2 * np.pi)
        size = rng.uniform(0.03, 0.06)
        lunge_a = size * np.clip(np.sin(phase), 0, None)
        lunge_b = size * np.clip(-np.sin(phase), 0, None)
        pos[:, 0] = (-distance / 2 + lunge_a)[:, None] * u
        pos[:, 1] = (distance / 2 - lunge_b)[:, None] * u
        head = _facing(pos)
    elif label == "dancing":  # move in step, mirror images of each other across the line between them
        distance = rng.uniform(0.16, 0.3)
        phase = 2 * np.pi * rng.uniform(0.6, 1.2) * t + rng.uniform(0, 2 * np.pi)
        side = rng.uniform(0.03, 0.07) * np.sin(phase)
        along = rng.uniform(0.02, 0.05) * np.sin(2 * phase)
        pos[:, 0] = (-distance / 2 - along)[:, None] * u + side[:, None] * v
        pos[:, 1] = (distance / 2 + along)[:, None] * u + side[:, None] * v
        head = _facing(pos)
    else:
        raise ValueError(f"unknown two-agent class {label!r}; choose from {list(TWO_AGENT)}")
    return _frame(pos, rng), head


def vocabulary_clip(
    rng: np.random.Generator,
    n_frames: int,
    size: int,
    patch_grid: int,
    agent_radius: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pretraining clip: frames, its class labels, its agents' speeds and per-patch maps.

    The clip's class is drawn uniformly from :data:`VOCABULARY`; for a single-agent class the
    other agent does a single-agent pattern of its own (drawn uniformly), and both are labelled.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws everything about the clip.
    n_frames : int
        T, frames per clip.
    size : int
        S, the side of the square frames in pixels.
    patch_grid : int
        P, the side of the per-patch maps (the backbone's patches per side).
    agent_radius : tuple of float
        ``(low, high)`` range of the agents' radii in arena units.

    Returns
    -------
    tuple of numpy.ndarray
        ``(frames, labels, values, patch_maps)``: (T, S, S, 3) uint8, (len(VOCABULARY),) 0/1
        float32, (3,) :data:`VALUE_NAMES` (the agents' mean speeds, slower first, in units of
        the speed scale, and their mean distance apart in arena units) and (T, 4, P, P) float32
        maps.
    """
    k = int(rng.integers(len(VOCABULARY)))
    labels = np.zeros(len(VOCABULARY), dtype=np.float32)
    labels[k] = 1.0
    times = frame_times(n_frames)
    if VOCABULARY[k] in TWO_AGENT:
        positions, headings = sample_trajectory(Trajectory(*two_agent_trajectory(VOCABULARY[k], rng), {}),
                                                n_frames)
    else:
        other = int(rng.integers(len(SINGLE_AGENT)))
        labels[other] = 1.0
        style = ActionStyle(agent_radius=agent_radius, distractor_moves=True)
        paths = [action_trajectory(SINGLE_AGENT[j], rng, n_frames, style) for j in (k, other)]
        positions = np.concatenate([p for p, _ in paths], axis=1)
        headings = np.concatenate([h for _, h in paths], axis=1)
    app = sample_appearance(rng)
    radii = rng.uniform(*agent_radius, size=2)
    app = replace(app, sizes=(float(radii[0]), float(radii[1]), app.sizes[2]))
    frames = render_frames(app, positions, headings, times, size)
    speeds = np.linalg.norm(np.gradient(positions, times, axis=0), axis=-1)
    mean_speeds = np.sort(speeds.mean(axis=0)) / SPEED_SCALE
    distance = np.linalg.norm(positions[:, 0] - positions[:, 1], axis=-1).mean()
    values = np.append(mean_speeds, distance).astype(np.float32)
    patch = agent_fields(positions, headings, speeds, patch_grid, sigma=0.5 / patch_grid)
    return frames, labels, values, patch


def vocabulary_set(
    n_clips: int, seed: int, n_frames: int, size: int, patch_grid: int,
    agent_radius: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n_clips`` clips of :func:`vocabulary_clip`, stacked; clip ``i`` from stream
    ``(seed, "vocabulary", i)`` (:func:`socalign.data.socialworld.generator.stream`).

    Parameters
    ----------
    n_clips : int
        N, a positive number of clips.
    seed : int
        Seed of the clips' streams.
    n_frames, size, patch_grid : int
        As :func:`vocabulary_clip` takes them.
    agent_radius : tuple of float
        As :func:`vocabulary_clip` takes it.

    Returns
    -------
    tuple of numpy.ndarray
        ``(frames, labels, values, patch_maps)``, each stacked over the clips.
    """
    if not isinstance(n_clips, int | np.integer) or n_clips < 1:
        raise ValueError(f"n_clips must be a positive integer, got {n_clips}")
    out = [vocabulary_clip(stream(seed, "vocabulary", i), n_frames, size, patch_grid,
                           agent_radius) for i in range(n_clips)]
    return tuple(np.stack(parts) for parts in zip(*out, strict=True))  # type: ignore[return-value]


__all__ = ["RESEMBLES", "SINGLE_AGENT", "TWO_AGENT", "VALUE_NAMES", "VOCABULARY", "two_agent_trajectory",
           "vocabulary_clip", "vocabulary_set"]
