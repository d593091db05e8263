"""Social attributes computed from the rendered motion (never pasted on per interaction type).

:func:`kinematics` measures a trajectory (distance, speed, acceleration, facing, approach,
pursuit asymmetry, speed synchrony, co-motion, turn-taking, contact); :func:`social_ratings`
maps those measures to the paper's attribute names, each in [0, 1].
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from socalign.data.socialworld.scenes import DT, Trajectory

KINEMATIC_FEATURES: tuple[str, ...] = (
    "distance",
    "speed",
    "acceleration",
    "facing",
    "approach",
    "asymmetry",
    "pursuit",
    "speed_synchrony",
    "co_motion",
    "turn_taking",
    "contact",
)
SOCIAL_ATTRIBUTES: tuple[str, ...] = (
    "valence",
    "arousal",
    "dominance",
    "intimacy",
    "communication",
    "joint_action",
    "facingness",
    "agent_distance",
)
CONTACT_DISTANCE = 0.16  # arena units; the agents' radii are about 0.05 to 0.08


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation, 0 when either series is (nearly) constant."""
    sx, sy = x.std(), y.std()
    if sx < 1e-6 or sy < 1e-6:
        return 0.0
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average with edge padding (same length)."""
    padded = np.pad(x, width // 2, mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def kinematics(traj: Trajectory) -> dict[str, float]:
    """Motion measures of one trajectory (keys :data:`KINEMATIC_FEATURES`)."""
    pos = traj.positions
    vel = np.gradient(pos, DT, axis=0)  # (S, 2, 2)
    acc = np.gradient(vel, DT, axis=0)
    speed = np.linalg.norm(vel, axis=-1)  # (S, 2)
    between = pos[:, 1] - pos[:, 0]
    dist = np.linalg.norm(between, axis=-1)
    toward = between / np.maximum(dist, 1e-9)[:, None]  # unit vector A -> B
    heading = np.stack([np.cos(traj.headings), np.sin(traj.headings)], axis=-1)  # (S, 2, 2)
    facing_a = np.sum(heading[:, 0] * toward, axis=-1)
    facing_b = np.sum(heading[:, 1] * -toward, axis=-1)
    approach_a = np.sum(vel[:, 0] * toward, axis=-1)  # A's velocity towards B
    approach_b = np.sum(vel[:, 1] * -toward, axis=-1)
    moving = speed.min(axis=1) > 0.02
    cos_vel = np.sum(vel[:, 0] * vel[:, 1], axis=-1) / np.maximum(speed.prod(axis=1), 1e-9)
    # Turn-taking: the agents' activity (speed, smoothed over 0.25 s, minus its 1.5 s trend)
    # alternates in time.
    act = np.stack([_smooth(speed[:, i], 5) - _smooth(speed[:, i], 31) for i in range(2)], axis=1)
    return {
        "distance": float(dist.mean()),
        "speed": float(speed.mean()),
        "acceleration": float(np.linalg.norm(acc, axis=-1).mean()),
        "facing": float((facing_a.mean() + facing_b.mean()) / 2),
        "approach": float(-np.gradient(dist, DT).mean()),
        "asymmetry": float(np.mean(approach_a - approach_b)),
        "pursuit": float(np.mean(np.clip(np.minimum(approach_a, -approach_b), 0, None))
                         + np.mean(np.clip(np.minimum(approach_b, -approach_a), 0, None))),
        "speed_synchrony": _corr(speed[:, 0], speed[:, 1]),
        "co_motion": float(np.mean(np.where(moving, cos_vel, 0.0))),
        "turn_taking": max(0.0, -_corr(act[:, 0], act[:, 1])),
        "contact": float(np.mean(dist < CONTACT_DISTANCE)),
    }


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return expit(x)


def social_ratings(k: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map kinematic measures (arrays over videos) to the social attributes in [0, 1].

    The mapping is fixed (not fitted): each attribute is a logistic function of a few measures,
    chosen to follow their everyday meaning (e.g. arousal rises with speed and acceleration).
    """
    closeness = np.clip(1.0 - k["distance"] / 0.5, 0.0, 1.0)
    gentle = np.exp(-k["acceleration"] / 1.5)
    # Pursuit reads as hostile unless both move in step (playful); collisions read as hostile.
    in_step = np.clip(k["speed_synchrony"], 0.0, 1.0)
    conflict = 18.0 * k["pursuit"] * (1.0 - 0.8 * in_step) + 0.4 * k["contact"] * k["acceleration"]
    harmony = (1.2 * k["speed_synchrony"] + 1.0 * k["co_motion"] + 1.5 * k["turn_taking"]
               + 1.5 * k["co_motion"] * closeness)
    ratings = {
        "valence": _sigmoid(1.2 * harmony + 1.5 * closeness * gentle - 2.0 * conflict + 0.3),
        "arousal": _sigmoid(14.0 * (k["speed"] - 0.12) + 0.8 * (k["acceleration"] - 1.0)),
        "dominance": _sigmoid(10.0 * (np.abs(k["asymmetry"]) - 0.05) + 1.5 * k["contact"] * (1 - gentle)),
        "intimacy": _sigmoid(4.0 * closeness * gentle + 1.5 * k["facing"] - 2.5),
        "communication": _sigmoid(3.0 * k["turn_taking"] + 1.0 * k["facing"] - 8.0 * k["speed"] + 0.5),
        "joint_action": _sigmoid(2.5 * k["co_motion"] + 1.5 * k["speed_synchrony"] + 2.0 * closeness - 2.0),
        "facingness": (k["facing"] + 1.0) / 2.0,
        "agent_distance": np.clip(k["distance"] / 0.7, 0.0, 1.0),
    }
    return {name: np.clip(np.asarray(v, dtype=float), 0.0, 1.0) for name, v in ratings.items()}
