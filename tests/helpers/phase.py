"""Made-up PHASE copies for the tests: trajectory pickles in the published structure, response
files, and the real copy when it is here."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from socalign.data.phase import ratings, source
from socalign.data.phase.pins import GENERALIZATION_FILE, MAIN_FILE, RESPONSES

ROOT = Path(__file__).resolve().parents[2]
#: The project's copy of the SocialGNN files (``$SOCALIGN_PHASE`` names another).
SHARED_PHASE = ROOT.parent / "shared" / "data" / "socialgnn-phase"
#: The PHASE room's walls in the published files' form (two inner segments).
WALLS = [[(16, 12), (16, 22)], [(16, 12), (8.5, 12)]]
LANDMARKS = [(8.5, 19.5), (23.5, 19.5), (23.5, 4.5), (8.5, 4.5)]


def phase_path() -> Path | None:
    """The real copy: ``$SOCALIGN_PHASE``, else the project's shared copy; None when absent."""
    env = os.environ.get("SOCALIGN_PHASE", "").strip()
    path = Path(env) if env else SHARED_PHASE
    return path if source.is_phase_copy(path) else None


@pytest.fixture
def phase_root() -> Path:
    """The real copy, or the test is skipped."""
    path = phase_path()
    if path is None:
        pytest.skip("the PHASE copy (../shared/data/socialgnn-phase or $SOCALIGN_PHASE) is absent")
    return path


def entry(name: str, label: str, n_steps: int = 12, seed: int = 0, *,
          colour_code: dict[int, int] | None = None, object_steps: int | None = None) -> dict:
    """One video in the published structure: agents crossing the room's halves, objects drifting.

    Agent 0 moves in the upper half, agent 1 in the lower half (their circles never touch);
    positions are float64 arrays of shape (T, 5) as published (x, y and three state columns).
    """
    rng = np.random.default_rng(seed)

    def path(start: tuple[float, float], end: tuple[float, float], steps: int) -> np.ndarray:
        u = np.linspace(0, 1, steps)[:, None]
        xy = np.asarray(start) + u * (np.asarray(end) - np.asarray(start))
        xy = xy + rng.normal(0, 0.05, xy.shape)
        state = np.concatenate([rng.normal(0, 1, (steps, 2)), rng.normal(0, 1, (steps, 1))], 1)
        return np.concatenate([xy, state], axis=1)

    object_steps = n_steps if object_steps is None else object_steps
    agents = [path((8.0, 18.0), (24.0, 16.0), n_steps), path((24.0, 6.0), (9.0, 8.0), n_steps)]
    objects = [np.concatenate([path((12.0, 14.0), (13.0, 15.0), object_steps)[:, :2],
                               np.zeros((object_steps, 3))], axis=1),
               np.concatenate([path((20.0, 9.0), (19.5, 10.0), object_steps)[:, :2],
                               np.zeros((object_steps, 3))], axis=1)]
    return {
        "name": name,
        "trajectories": [*agents, *objects],
        "entity_sizes": [0.8, 1.01, 1.2000000000000002, 0.8],
        "entity_color_code": colour_code if colour_code is not None else {0: 0, 1: 1, 3: 3, 4: 2},
        "physical_goals": [["LMO", 0, 1, 1], ["LMO", 0, 1, 1]],
        "wall_segs": WALLS,
        "landmark_centers": LANDMARKS,
        "social_goals": label,
    }


def write_pickle(path: Path, videos: list[dict]) -> Path:
    """The videos as the published file holds them: a protocol-3 pickle of a list of dicts (its
    PROTO opcode says 3; under Python 3, protocol 2 would pickle array bytes through
    ``_codecs.encode``, a global the reader refuses)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(videos, protocol=3))
    return path


def session(participant: str, rated: dict[str, str], demographics: bool = True) -> str:
    """One response file's text: demographics, then one rating line per video."""
    lines = [json.dumps([["age", "30"], ["gender", "Female"], ["ethnicity", "White"]])] \
        if demographics else []
    for video, label in rated.items():
        lines.append(json.dumps([["video_name", video], ["time", "1/9/2021 @ 10:0:0"],
                                 ["subjectID", participant], ["csv_name", "condition_001.csv"],
                                 ["question_name", "relationship"], ["likert_response", label]]))
    return "\n".join(lines) + "\n"


def catch_ratings(correct: bool = True) -> dict[str, str]:
    """The three catch videos rated as intended (or the first one not)."""
    out = dict(ratings.CATCH_LABELS)
    if not correct:
        first = next(iter(out))
        out[first] = "neutral" if out[first] != "neutral" else "friendly"
    return out


def main_names(n: int) -> list[str]:
    """Made-up names of main-set videos."""
    return [f"D0901{k:02d}_main_e{k}.mp4" for k in range(n)]


def write_copy(root: Path, n_main: int = 4, n_generalization: int = 3, main_trajectories: bool = True,
               n_steps: int = 12) -> dict[str, list]:
    """A small PHASE copy: trajectories of both sets and complete sessions rating the main set.

    Four participants rate every main-set video (20 ratings are what a real session has; these
    sessions are shorter, so :data:`COMPLETE_RATINGS` must be patched to match:
    :func:`use_copy`). Returns the names and labels written.
    """
    labels = ["friendly", "adversarial", "neutral"]
    names = main_names(n_main)
    main_labels = [labels[k % 3] for k in range(n_main)]
    gen = [entry(f"D0902{k:02d}_gen_e{k}.mp4", labels[(k + 1) % 3], n_steps, seed=k)
           for k in range(n_generalization)]
    write_pickle(root / GENERALIZATION_FILE, gen)
    if main_trajectories:
        write_pickle(root / MAIN_FILE, [entry(n, lab, n_steps, seed=10 + k)
                                        for k, (n, lab) in enumerate(zip(names, main_labels, strict=True))])
    folder = root / RESPONSES
    folder.mkdir(parents=True, exist_ok=True)
    for p in range(4):
        rated = {n: (lab if p < 3 else labels[(labels.index(lab) + 1) % 3])
                 for n, lab in zip(names, main_labels, strict=True)}
        (folder / f"p{p}_2021-09-01.txt").write_text(session(f"p{p}", {**rated, **catch_ratings()}))
    return {"main": list(zip(names, main_labels, strict=True)),
            "generalization": [(g["name"], g["social_goals"]) for g in gen]}


def use_copy(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Read ``root``'s response files instead of the pinned ones, its sessions as complete."""
    files = sorted(p.relative_to(root).as_posix() for p in (root / RESPONSES).glob("*.txt"))
    monkeypatch.setattr(ratings, "RESPONSE_FILES", dict.fromkeys(files, ""))
    lengths = {len((root / f).read_text().splitlines()) - 1 for f in files}
    monkeypatch.setattr(ratings, "COMPLETE_RATINGS", max(lengths))


def colour_centroid(frame: np.ndarray, rgb: tuple[int, int, int], tolerance: float = 90.0
                    ) -> tuple[np.ndarray, int]:
    """The (column, row) centroid of a frame's pixels within ``tolerance`` of ``rgb``, and
    their count."""
    distance = np.linalg.norm(frame.astype(np.float64) - np.asarray(rgb, dtype=np.float64), axis=-1)
    rows, cols = np.nonzero(distance <= tolerance)
    if rows.size == 0:
        return np.array([np.nan, np.nan]), 0
    return np.array([cols.mean(), rows.mean()]), int(rows.size)
