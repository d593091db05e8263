"""Kinematics of two-agent interactions in the style of Heider & Simmel's animations.

Each interaction type is a small simulation on a fixed fine time grid (``N_STEPS`` steps over
``DURATION`` seconds) in arena coordinates (the unit square, x to the right, y downward as in
pixel rows). Continuous parameters (speeds, distances, curvature, rhythm, intensity) vary inside
each type, so that similarity between scenes is graded, not only categorical. A random rotation
and placement (a nuisance) is applied afterwards. Rendered frames are samples of this trajectory
(:func:`sample_trajectory`), and the social attributes are computed from it.

Agent 0 is the *actor* ("A": the chaser, the helper, the leader), agent 1 the *partner* ("B").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DURATION = 3.0  # seconds, as the paper's clips
N_STEPS = 60  # fine simulation grid: 20 steps per second
DT = DURATION / (N_STEPS - 1)
MARGIN = 0.1  # agents stay inside [MARGIN, 1 - MARGIN]
FRAMING_JITTER = 0.03  # sd of the pair's framed centre around the frame's middle (arena units)


@dataclass(frozen=True)
class Trajectory:
    """Positions (S, 2, 2) of both agents and their headings (S, 2) in radians, on a time grid."""

    positions: np.ndarray
    headings: np.ndarray
    params: dict[str, float]


def _unit(angle: np.ndarray | float) -> np.ndarray:
    return np.stack([np.cos(angle), np.sin(angle)], axis=-1)


def _angle(v: np.ndarray) -> np.ndarray:
    return np.arctan2(v[..., 1], v[..., 0])


def _smooth_noise(rng: np.random.Generator, n: int, scale: float, smooth: int = 9) -> np.ndarray:
    """A smooth random 2-D walk increment series (n, 2), moving-average filtered white noise."""
    raw = rng.normal(0.0, 1.0, size=(n + smooth - 1, 2))
    kernel = np.ones(smooth) / smooth
    out = np.stack([np.convolve(raw[:, d], kernel, mode="valid") for d in range(2)], axis=1)
    return out * scale


def _motion_heading(pos: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Heading along the velocity; where an agent barely moves, keep ``fallback``."""
    vel = np.gradient(pos, axis=0)
    speed = np.linalg.norm(vel, axis=-1)
    heading = _angle(vel)
    return np.where(speed > 1e-3, heading, fallback)


def _towards(pos: np.ndarray, i: int) -> np.ndarray:
    """Heading of agent ``i`` towards the other agent at every step."""
    return _angle(pos[:, 1 - i] - pos[:, i])


def _pursuit(
    rng: np.random.Generator, p: dict[str, float], flee_only: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Agent 0 pursues agent 1 (chase), or agent 1 runs from a slow agent 0 (flee)."""
    pos = np.zeros((N_STEPS, 2, 2))
    pos[0, 0] = (-p["start_distance"] / 2, 0.0)
    pos[0, 1] = (p["start_distance"] / 2, 0.0)
    run_dir = 0.0
    for s in range(1, N_STEPS):
        a, b = pos[s - 1]
        away = b - a
        dist = np.linalg.norm(away) + 1e-9
        run_dir = run_dir + p["curvature"] * DT + rng.normal(0, 0.15)
        flee_vec = 0.6 * away / dist + 0.4 * _unit(run_dir)
        flee_vec /= np.linalg.norm(flee_vec)
        if flee_only:
            # The partner bolts once the actor comes near; the actor slows and stops.
            t = s * DT
            v_a = p["speed_a"] * max(0.0, 1.0 - t / p["stop_time"])
            v_b = p["speed_b"] * min(1.0, t / 0.6)
        else:
            v_a, v_b = p["speed_a"], p["speed_b"]
        step_a = v_a * DT * away / dist if dist > 0.09 else 0.0
        pos[s, 0] = a + step_a
        pos[s, 1] = b + v_b * DT * flee_vec
    headings = np.stack(
        [_motion_heading(pos[:, 0], _towards(pos, 0)), _motion_heading(pos[:, 1], _towards(pos, 1) + np.pi)],
        axis=1,
    )
    return pos, headings


def chase(rng: np.random.Generator) -> Trajectory:
    """A runs after B and closes in (A faster than B); B runs away along a curving path."""
    p = {
        "start_distance": rng.uniform(0.35, 0.55),
        "speed_b": rng.uniform(0.12, 0.22),
        "curvature": rng.uniform(-1.5, 1.5),
    }
    p["speed_a"] = p["speed_b"] * rng.uniform(1.4, 2.0)
    pos, head = _pursuit(rng, p, flee_only=False)
    return Trajectory(pos, head, p)


def flee(rng: np.random.Generator) -> Trajectory:
    """A advances slowly and stops; B bolts away from A, so the distance grows."""
    p = {
        "start_distance": rng.uniform(0.15, 0.3),
        "speed_a": rng.uniform(0.05, 0.12),
        "speed_b": rng.uniform(0.15, 0.3),
        "stop_time": rng.uniform(0.8, 2.0),
        "curvature": rng.uniform(-1.0, 1.0),
    }
    pos, head = _pursuit(rng, p, flee_only=True)
    head[:, 0] = _towards(pos, 0)
    return Trajectory(pos, head, p)


def approach_meet(rng: np.random.Generator) -> Trajectory:
    """Both walk towards each other, meet, stop and face each other."""
    p = {
        "start_distance": rng.uniform(0.45, 0.7),
        "meet_distance": rng.uniform(0.11, 0.18),
        "meet_time": rng.uniform(1.4, 2.6),
        "skew": rng.uniform(0.3, 0.7),  # share of the way walked by A
    }
    t = np.linspace(0, DURATION, N_STEPS)
    progress = np.clip(t / p["meet_time"], 0, 1)
    progress = progress * progress * (3 - 2 * progress)  # ease in and out
    closing = (p["start_distance"] - p["meet_distance"]) * progress
    pos = np.zeros((N_STEPS, 2, 2))
    pos[:, 0, 0] = -p["start_distance"] / 2 + closing * p["skew"]
    pos[:, 1, 0] = p["start_distance"] / 2 - closing * (1 - p["skew"])
    pos[:, :, 1] = _smooth_noise(rng, N_STEPS, 0.002).cumsum(axis=0)[:, None, 0]
    head = np.stack([_towards(pos, 0), _towards(pos, 1)], axis=1)
    return Trajectory(pos, head, p)


def fight(rng: np.random.Generator) -> Trajectory:
    """Close together, facing, alternating fast lunges at each other with jerky recoils."""
    p = {
        "distance": rng.uniform(0.14, 0.24),
        "lunge_rate": rng.uniform(1.5, 3.0),  # lunges per second
        "lunge_size": rng.uniform(0.04, 0.08),
        "drift": rng.uniform(0.0, 0.08),
    }
    t = np.linspace(0, DURATION, N_STEPS)
    phase = 2 * np.pi * p["lunge_rate"] * t + rng.uniform(0, 2 * np.pi)
    lunge_a = p["lunge_size"] * np.clip(np.sin(phase), 0, None) ** 0.5
    lunge_b = p["lunge_size"] * np.clip(np.sin(phase + np.pi), 0, None) ** 0.5
    jitter = _smooth_noise(rng, N_STEPS, 0.01, smooth=3).reshape(N_STEPS, 2)
    centre = _smooth_noise(rng, N_STEPS, p["drift"] * DT * 3).cumsum(axis=0)
    pos = np.zeros((N_STEPS, 2, 2))
    pos[:, 0, 0] = -p["distance"] / 2 + lunge_a
    pos[:, 1, 0] = p["distance"] / 2 - lunge_b
    pos += centre[:, None, :]
    pos[:, 0] += jitter
    pos[:, 1] -= jitter[::-1]
    head = np.stack([_towards(pos, 0), _towards(pos, 1)], axis=1)
    return Trajectory(pos, head, p)


def play(rng: np.random.Generator) -> Trajectory:
    """Both circle a shared centre with bouncy radial swings, taking turns to dart in and out."""
    p = {
        "radius": rng.uniform(0.1, 0.2),
        "turn_rate": rng.uniform(0.25, 0.6) * rng.choice([-1, 1]),  # revolutions per second
        "bounce_rate": rng.uniform(1.0, 2.0),
        "bounce": rng.uniform(0.02, 0.06),
    }
    t = np.linspace(0, DURATION, N_STEPS)
    angle = 2 * np.pi * p["turn_rate"] * t + rng.uniform(0, 2 * np.pi)
    bounce = p["bounce"] * np.sin(2 * np.pi * p["bounce_rate"] * t)
    pos = np.zeros((N_STEPS, 2, 2))
    pos[:, 0] = (p["radius"] + bounce)[:, None] * _unit(angle)
    pos[:, 1] = (p["radius"] + bounce)[:, None] * _unit(angle + np.pi * 0.6)
    head = np.stack(
        [_motion_heading(pos[:, 0], _towards(pos, 0)), _motion_heading(pos[:, 1], _towards(pos, 1))],
        axis=1,
    )
    return Trajectory(pos, head, p)


def converse(rng: np.random.Generator) -> Trajectory:
    """Standing, facing each other; they take turns to gesture (small bobs) as in a conversation."""
    p = {
        "distance": rng.uniform(0.18, 0.32),
        "turn_length": rng.uniform(0.5, 1.0),  # seconds per speaking turn
        "gesture": rng.uniform(0.006, 0.012),
        "gesture_rate": rng.uniform(2.0, 3.0),
    }
    t = np.linspace(0, DURATION, N_STEPS)
    first = int(rng.integers(0, 2))
    speaking = ((t / p["turn_length"]).astype(int) + first) % 2  # who speaks: 0 or 1
    bob = p["gesture"] * np.sin(2 * np.pi * p["gesture_rate"] * t)
    pos = np.zeros((N_STEPS, 2, 2))
    pos[:, 0, 0] = -p["distance"] / 2
    pos[:, 1, 0] = p["distance"] / 2
    pos[:, 0, 1] = bob * (speaking == 0)
    pos[:, 1, 1] = bob * (speaking == 1)
    pos[:, 0, 0] += 0.4 * bob * (speaking == 0)
    pos[:, 1, 0] -= 0.4 * bob * (speaking == 1)
    head = np.stack([_towards(pos, 0), _towards(pos, 1)], axis=1)
    return Trajectory(pos, head, p)


def follow(rng: np.random.Generator) -> Trajectory:
    """B walks a smooth winding path; A walks the same path some distance behind."""
    p = {
        "speed": rng.uniform(0.08, 0.18),
        "lag": rng.uniform(0.5, 1.2),  # seconds behind
        "curvature": rng.uniform(-1.2, 1.2),
    }
    lag_steps = round(p["lag"] / DT)
    n = N_STEPS + lag_steps
    direction = np.cumsum(np.full(n, p["curvature"] * DT) + rng.normal(0, 0.05, n))
    path = np.cumsum(p["speed"] * DT * _unit(direction), axis=0)
    pos = np.zeros((N_STEPS, 2, 2))
    pos[:, 1] = path[lag_steps:]
    pos[:, 0] = path[:N_STEPS]
    pos -= pos.reshape(-1, 2).mean(axis=0)
    head = np.stack(
        [_motion_heading(pos[:, 0], _towards(pos, 0)), _motion_heading(pos[:, 1], _towards(pos, 1) + np.pi)],
        axis=1,
    )
    return Trajectory(pos, head, p)


def help_(rng: np.random.Generator) -> Trajectory:
    """B struggles towards a goal; A comes alongside and they move on to the goal together."""
    p = {
        "start_distance": rng.uniform(0.25, 0.4),
        "join_time": rng.uniform(0.8, 1.5),
        "speed": rng.uniform(0.08, 0.15),
        "struggle": rng.uniform(0.01, 0.025),
    }
    t = np.linspace(0, DURATION, N_STEPS)
    goal_dir = np.array([0.0, -1.0])
    pos = np.zeros((N_STEPS, 2, 2))
    joined = t >= p["join_time"]
    wobble = p["struggle"] * np.sin(2 * np.pi * 2.5 * t)
    b_progress = np.where(joined, p["speed"] * (t - p["join_time"]), 0.0) + 0.01 * t
    pos[:, 1] = np.outer(b_progress, goal_dir)
    pos[:, 1, 0] += np.where(joined, 0.0, wobble)
    # A comes from the side and behind, then pushes from just behind B.
    start = np.array([-p["start_distance"], p["start_distance"] * 0.5])
    target = pos[:, 1] + np.array([-0.05, 0.1])
    reach = np.clip(t / p["join_time"], 0, 1)[:, None]
    pos[:, 0] = (1 - reach) * start + reach * target
    head = np.stack([_towards(pos, 0), _motion_heading(pos[:, 1], np.full(N_STEPS, -np.pi / 2))], axis=1)
    head[joined, 0] = -np.pi / 2
    return Trajectory(pos, head, p)


def hinder(rng: np.random.Generator) -> Trajectory:
    """B heads for a goal; A steps into its way, faces it and pushes it back."""
    p = {
        "speed_b": rng.uniform(0.08, 0.16),
        "block_time": rng.uniform(0.7, 1.4),
        "push": rng.uniform(0.05, 0.12),
        "speed_a": rng.uniform(0.15, 0.3),
    }
    t = np.linspace(0, DURATION, N_STEPS)
    pos = np.zeros((N_STEPS, 2, 2))
    advance = np.where(t < p["block_time"], p["speed_b"] * t, p["speed_b"] * p["block_time"])
    pushed = np.clip(t - p["block_time"], 0, None)
    back = p["push"] * (1 - np.exp(-2.5 * pushed))
    shove = 0.015 * np.sin(2 * np.pi * 2.0 * pushed) * (pushed > 0)
    pos[:, 1, 1] = 0.2 - advance + back + shove
    start = np.array([-0.3 * rng.choice([-1, 1]), -0.15])
    arrive = np.clip(t / p["block_time"], 0, 1) ** 0.7
    block_point = pos[:, 1] + np.array([0.0, -0.11])
    pos[:, 0] = (1 - arrive[:, None]) * start + arrive[:, None] * block_point
    head = np.stack([_towards(pos, 0), np.full(N_STEPS, -np.pi / 2)], axis=1)
    return Trajectory(pos, head, p)


def ignore(rng: np.random.Generator) -> Trajectory:
    """Each wanders on its own, apart, neither looking at nor reacting to the other."""
    p = {
        "distance": rng.uniform(0.4, 0.65),
        "speed_a": rng.uniform(0.0, 0.12),
        "speed_b": rng.uniform(0.0, 0.12),
    }
    pos = np.zeros((N_STEPS, 2, 2))
    for i, side in ((0, -1), (1, 1)):
        direction = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.2, N_STEPS))
        walk = np.cumsum(p[f"speed_{'ab'[i]}"] * DT * _unit(direction), axis=0)
        pos[:, i] = walk - walk.mean(axis=0) + np.array([side * p["distance"] / 2, 0.0])
    away = np.stack([_towards(pos, 0), _towards(pos, 1)], axis=1) + np.pi
    away += rng.uniform(-1.0, 1.0, size=2)
    head = np.stack([_motion_heading(pos[:, i], away[:, i]) for i in range(2)], axis=1)
    return Trajectory(pos, head, p)


def mirror(rng: np.random.Generator) -> Trajectory:
    """A dance: the two move in mirror symmetry about a shared axis, in step, facing each other."""
    p = {
        "distance": rng.uniform(0.15, 0.35),
        "rate": rng.uniform(0.6, 1.4),  # cycles per second
        "amplitude": rng.uniform(0.04, 0.1),
        "sway": rng.uniform(0.02, 0.08),
    }
    t = np.linspace(0, DURATION, N_STEPS)
    phase = 2 * np.pi * p["rate"] * t + rng.uniform(0, 2 * np.pi)
    pos = np.zeros((N_STEPS, 2, 2))
    lateral = p["sway"] * np.sin(phase)
    vertical = p["amplitude"] * np.sin(2 * phase)
    pos[:, 0, 0] = -p["distance"] / 2 - lateral
    pos[:, 1, 0] = p["distance"] / 2 + lateral
    pos[:, :, 1] = vertical[:, None]
    head = np.stack([_towards(pos, 0), _towards(pos, 1)], axis=1)
    return Trajectory(pos, head, p)


INTERACTIONS: dict[str, Callable[[np.random.Generator], Trajectory]] = {
    "chase": chase,
    "flee": flee,
    "approach_meet": approach_meet,
    "fight": fight,
    "play": play,
    "converse": converse,
    "follow": follow,
    "help": help_,
    "hinder": hinder,
    "ignore": ignore,
    "mirror": mirror,
}
INTERACTION_TYPES: tuple[str, ...] = tuple(INTERACTIONS)
#: The interaction types people take each type for (hand-written, from what the motions share):
#: a caption names one of them instead (:func:`socalign.data.socialworld.captions.make_captions`)
#: and observers with ``type_grading`` > 0 see them as alike
#: (:func:`socalign.data.socialworld.observers.type_embedding`).
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "chase": ("follow", "flee"),
    "flee": ("chase",),
    "approach_meet": ("converse", "follow"),
    "fight": ("play", "hinder"),
    "play": ("fight", "mirror"),
    "converse": ("approach_meet",),
    "follow": ("chase", "help"),
    "help": ("follow", "hinder"),
    "hinder": ("fight", "help"),
    "ignore": ("converse",),
    "mirror": ("play",),
}


def place(traj: Trajectory, rng: np.random.Generator) -> Trajectory:
    """Rotate the scene by a random angle and frame it as a camera operator would.

    The pair's mean position lands near the middle of the frame (jittered by
    :data:`FRAMING_JITTER`), as the paper's clips are framed on the two people; the scene is
    shrunk if needed so that both agents stay inside the margins. The framing is what lets a
    model that sees *where each agent is* in the frame also tell how far apart they are.

    Parameters
    ----------
    traj : Trajectory
        The simulated scene, in its own coordinates.
    rng : numpy.random.Generator
        Draws the rotation and the framing jitter.

    Returns
    -------
    Trajectory
        The placed scene, its ``params`` extended with ``rotation`` and ``scale``.
    """
    angle = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pos = traj.positions - traj.positions.reshape(-1, 2).mean(axis=0)
    pos = pos @ rot.T
    extent = np.abs(pos).reshape(-1, 2).max(axis=0)
    room = 0.5 - MARGIN
    scale = min(1.0, float(room / max(extent.max(), 1e-9)))
    pos = pos * scale
    extent = extent * scale
    # after shrinking, an extent can exceed the room by a rounding error: clamp the bounds
    low = 0.5 - room + extent
    high = np.maximum(low, 0.5 + room - extent)
    centre = np.clip(0.5 + rng.normal(0.0, FRAMING_JITTER, 2), low, high)
    params = {**traj.params, "rotation": float(angle), "scale": scale}
    return Trajectory(pos + centre, traj.headings + angle, params)


def simulate(interaction: str, rng: np.random.Generator) -> Trajectory:
    """Simulate one scene of ``interaction`` (one of :data:`INTERACTION_TYPES`) and place it.

    Parameters
    ----------
    interaction : str
        One of :data:`INTERACTION_TYPES`.
    rng : numpy.random.Generator
        Draws the scene and its placement.

    Returns
    -------
    Trajectory
        The scene after :func:`place`.
    """
    if interaction not in INTERACTIONS:
        raise ValueError(f"unknown interaction {interaction!r}; choose from {list(INTERACTION_TYPES)}")
    traj = INTERACTIONS[interaction](rng)
    return place(traj, rng)


def frame_times(n_frames: int) -> np.ndarray:
    """Times (s) of ``n_frames`` frames spread evenly over the clip."""
    return np.linspace(0.0, DURATION, n_frames)


def sample_trajectory(traj: Trajectory, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (T, 2, 2) and headings (T, 2) at ``n_frames`` frame times (linear interpolation).

    Parameters
    ----------
    traj : Trajectory
        A simulated scene.
    n_frames : int
        T, the number of frames (see :func:`frame_times`).

    Returns
    -------
    tuple of numpy.ndarray
        ``(positions, headings)``: (T, 2, 2) arena coordinates and (T, 2) headings in radians
        (interpolated unwrapped, so not folded into one turn).
    """
    grid = np.linspace(0.0, DURATION, N_STEPS)
    times = frame_times(n_frames)
    flat = traj.positions.reshape(N_STEPS, -1)
    pos = np.stack([np.interp(times, grid, flat[:, c]) for c in range(flat.shape[1])], axis=1)
    unwrapped = np.unwrap(traj.headings, axis=0)
    head = np.stack([np.interp(times, grid, unwrapped[:, i]) for i in range(2)], axis=1)
    return pos.reshape(n_frames, 2, 2), head
