"""Perception clips: SocialWorld's look with two agents that do *not* interact, and what is where.

The toy backbone's pretraining data, standing in for the large video corpora a real backbone
sees: clips in SocialWorld's visual world (same shapes, colours, textures, moving distractor,
brightness) in which two agents each perform an independent motion pattern of the action set
(:data:`socalign.data.socialworld.actions.ACTION_LABELS`), placed anywhere in the arena. They are
generated from their own random streams, never from a benchmark's videos.

The targets say what a video model should see, agent by agent, and nothing about the two
agents together: *where* the agents are over time, *which way* each one faces and *how fast*
each one moves, as smooth maps on a coarse grid (a sum over agents, so agent identity does not
matter), and the set of motion patterns present. No relation between the agents (distance,
approach, facing each other, pursuit), no interaction type, caption, rating or judgment enters a
target. Every map is built by :func:`agent_fields`, so the clip-level and per-patch targets are
one definition at two resolutions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from socalign.data.socialworld.actions import (
    ACTION_LABELS,
    PATTERNS,
    ActionStyle,
    action_trajectory,
)
from socalign.data.socialworld.generator import stream
from socalign.data.socialworld.render import AGENT_RADIUS, render_frames, sample_appearance
from socalign.data.socialworld.scenes import frame_times

FIELD_CHANNELS: tuple[str, ...] = ("occupancy", "heading_x", "heading_y", "speed")
SPEED_SCALE = 0.25  # arena units per second mapped to 1 in the speed channel


@dataclass(frozen=True)
class PerceptionTargets:
    """How the targets of a perception clip are laid out.

    grid: side of the clip-level maps; time_bins: frames are averaged into this many bins;
    patch_grid: side of the per-patch maps (the backbone's patches per side, 0 for none).
    """

    grid: int = 6
    time_bins: int = 4
    patch_grid: int = 8

    def names(self) -> list[str]:
        """Names of the clip-level outputs, in order: maps, sorted agent speeds, patterns."""
        maps = [f"{c}@t{t}:{y}{x}" for c in FIELD_CHANNELS for t in range(self.time_bins)
                for y in range(self.grid) for x in range(self.grid)]
        return maps + ["speed_slower", "speed_faster"] + [f"pattern:{p}" for p in PATTERNS]

    def to_dict(self) -> dict[str, int]:
        """JSON-able fields."""
        return asdict(self)


def agent_fields(
    positions: np.ndarray, headings: np.ndarray, speeds: np.ndarray, grid: int, sigma: float
) -> np.ndarray:
    """Maps ``(T, 4, grid, grid)`` of agents (positions (T, K, 2), headings (T, K), speeds (T, K)).

    Channels (:data:`FIELD_CHANNELS`): occupancy (a Gaussian bump of width ``sigma`` at each
    agent, summed over agents), the occupancy-weighted heading (cos, sin) and the
    occupancy-weighted speed (in units of :data:`SPEED_SCALE`). Sums over agents: the maps do
    not depend on which agent is which.

    Parameters
    ----------
    positions : numpy.ndarray
        (T, K, 2) agent centres in arena coordinates.
    headings : numpy.ndarray
        (T, K) headings in radians.
    speeds : numpy.ndarray
        (T, K) speeds in arena units per second.
    grid : int
        Side of the maps; cell centres are spread evenly over the unit square.
    sigma : float
        Width of each agent's Gaussian bump, in arena units.

    Returns
    -------
    numpy.ndarray
        (T, 4, grid, grid) float32 maps.
    """
    centres = (np.arange(grid) + 0.5) / grid
    dy = centres[None, None, :, None] - positions[..., 1, None, None]
    dx = centres[None, None, None, :] - positions[..., 0, None, None]
    bump = np.exp(-(dx**2 + dy**2) / (2 * sigma**2))  # (T, K, G, G)
    weights = np.stack([np.ones_like(headings), np.cos(headings), np.sin(headings),
                        speeds / SPEED_SCALE], axis=2)  # (T, K, 4)
    return np.einsum("tkc,tkyx->tcyx", weights, bump).astype(np.float32)


def _speeds(positions: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per-frame speeds (T, K) in arena units per second."""
    velocity = np.gradient(positions, times, axis=0)
    return np.linalg.norm(velocity, axis=-1)


def perception_clip(
    rng: np.random.Generator,
    n_frames: int,
    size: int,
    targets: PerceptionTargets,
    agent_radius: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One clip: frames (T, S, S, 3) uint8, clip targets (len(targets.names()),) and per-patch
    targets (T, 4, P, P) (P = ``targets.patch_grid``; empty when 0).

    Two agents, each an independent motion pattern (drawn uniformly from the action labels), the
    scene's nuisance factors (``sample_appearance``) with agent radii in ``agent_radius``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws everything about the clip.
    n_frames : int
        T, frames per clip.
    size : int
        S, the side of the square frames in pixels.
    targets : PerceptionTargets
        The layout of the targets.
    agent_radius : tuple of float
        ``(low, high)`` range of the agents' radii in arena units.

    Returns
    -------
    tuple of numpy.ndarray
        ``(frames, clip_targets, patch_targets)``.
    """
    style = ActionStyle(agent_radius=agent_radius, distractor_moves=True)
    labels = rng.choice(len(ACTION_LABELS), size=2)
    paths = [action_trajectory(ACTION_LABELS[k], rng, n_frames, style) for k in labels]
    positions = np.concatenate([p for p, _ in paths], axis=1)  # (T, 2, 2)
    headings = np.concatenate([h for _, h in paths], axis=1)  # (T, 2)
    app = sample_appearance(rng)
    radii = rng.uniform(*agent_radius, size=2)
    app = replace(app, sizes=(float(radii[0]), float(radii[1]), app.sizes[2]))
    times = frame_times(n_frames)
    frames = render_frames(app, positions, headings, times, size)
    speeds = _speeds(positions, times)
    fields = agent_fields(positions, headings, speeds, targets.grid, sigma=1.0 / targets.grid)
    bins = np.array_split(np.arange(n_frames), targets.time_bins)
    binned = np.stack([fields[b].mean(axis=0) for b in bins], axis=0)  # (B, 4, G, G)
    clip_maps = binned.transpose(1, 0, 2, 3).ravel()  # channel, time bin, y, x
    mean_speeds = np.sort(speeds.mean(axis=0)) / SPEED_SCALE
    patterns = np.zeros(len(PATTERNS), dtype=np.float32)
    for k in labels:
        patterns[PATTERNS.index(ACTION_LABELS[k].partition("_")[0])] = 1.0
    clip_targets = np.concatenate([clip_maps, mean_speeds, patterns]).astype(np.float32)
    if targets.patch_grid:
        patch = agent_fields(positions, headings, speeds, targets.patch_grid,
                             sigma=0.5 / targets.patch_grid)
    else:
        patch = np.zeros((n_frames, len(FIELD_CHANNELS), 0, 0), dtype=np.float32)
    return frames, clip_targets, patch


def perception_set(
    n_clips: int,
    seed: int,
    n_frames: int = 8,
    size: int = 64,
    targets: PerceptionTargets = PerceptionTargets(),
    agent_radius: tuple[float, float] = AGENT_RADIUS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_clips`` perception clips in memory: frames (N, T, S, S, 3) uint8, clip targets (N, D),
    per-patch targets (N, T, 4, P, P). Clip ``i`` comes from the stream ``(seed, "perception", i)``
    (:func:`socalign.data.socialworld.generator.stream`).

    Parameters
    ----------
    n_clips : int
        N, a positive number of clips.
    seed : int
        Seed of the clips' streams.
    n_frames : int, default 8
        T, frames per clip.
    size : int, default 64
        S, the side of the square frames in pixels.
    targets : PerceptionTargets, default PerceptionTargets()
        The layout of the targets.
    agent_radius : tuple of float, default AGENT_RADIUS
        ``(low, high)`` range of the agents' radii in arena units.

    Returns
    -------
    tuple of numpy.ndarray
        ``(frames, clip_targets, patch_targets)``, each stacked over the clips.
    """
    if not isinstance(n_clips, int | np.integer) or n_clips < 1:
        raise ValueError(f"n_clips must be a positive integer, got {n_clips}")
    out = [perception_clip(stream(seed, "perception", i), n_frames, size, targets, agent_radius)
           for i in range(n_clips)]
    frames, clip_targets, patch = (np.stack(parts) for parts in zip(*out, strict=True))
    return frames, clip_targets, patch


__all__ = ["FIELD_CHANNELS", "PerceptionTargets", "agent_fields", "perception_clip", "perception_set"]
