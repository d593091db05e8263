"""The test helpers themselves: the toy problem is learnable and split."""

from __future__ import annotations

from tests.helpers.training import *  # noqa: F403
from tests.helpers.training import N_FRAMES, SIZE, toy_problem


def test_toy_problem_is_learnable_and_split() -> None:
    clips, data = toy_problem(n_videos=12, n_trials=200)
    assert clips.shape == (12, N_FRAMES, 3, SIZE, SIZE)
    assert len(data.val_videos) == 4 and len(data.fit_videos) == 8
    assert data.val_observed.sum() > 0
