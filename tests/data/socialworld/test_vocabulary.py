"""The toy's pretraining vocabulary: its classes, its two-agent kinematics and its clips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.socialworld.scenes import INTERACTION_TYPES
from socalign.data.socialworld.vocabulary import (
    RESEMBLES,
    SINGLE_AGENT,
    TWO_AGENT,
    VALUE_NAMES,
    VOCABULARY,
    two_agent_trajectory,
    vocabulary_clip,
    vocabulary_set,
)


def test_two_agent_classes_are_a_minority_that_name_real_interaction_types() -> None:
    assert len(TWO_AGENT) < len(SINGLE_AGENT)
    assert VOCABULARY == SINGLE_AGENT + TWO_AGENT
    assert set(RESEMBLES) == set(TWO_AGENT)
    named = {t for types in RESEMBLES.values() for t in types}
    assert named <= set(INTERACTION_TYPES)
    assert set(INTERACTION_TYPES) - named  # some types have no counterpart, as in Kinetics


def _distance(pos: np.ndarray) -> np.ndarray:
    return np.linalg.norm(pos[:, 0] - pos[:, 1], axis=-1)


@settings(max_examples=40, deadline=None)
@given(label=st.sampled_from(TWO_AGENT), seed=st.integers(0, 2**32 - 1))
def test_two_agent_kinematics_stay_in_the_arena_and_do_what_they_say(label: str, seed: int) -> None:
    pos, head = two_agent_trajectory(label, np.random.default_rng(seed))
    assert pos.shape[1:] == (2, 2) and head.shape == pos.shape[:2]
    assert np.isfinite(pos).all() and np.isfinite(head).all()
    assert pos.min() >= 0.1 and pos.max() <= 0.9  # inside the walls
    d = _distance(pos)
    if label == "chasing":  # the chaser closes in
        assert d[-1] < d[0]
    elif label == "hugging":  # they meet and stay together
        assert d[-1] < 0.5 * d[0]
        assert d[-1] < 0.12
    elif label == "sparring":  # close by throughout
        assert d.max() < 0.3
    else:  # dancing: mirror images across the line between them, so that line keeps its direction
        axis = (pos[:, 1] - pos[:, 0]) / d[:, None]
        assert np.allclose(np.abs(axis @ axis[0]), 1.0, atol=1e-6)


def test_unknown_two_agent_class_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown two-agent class 'waltz'"):
        two_agent_trajectory("waltz", np.random.default_rng(0))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_a_clip_has_one_two_agent_label_or_one_to_two_single_agent_labels(seed: int) -> None:
    frames, labels, values, maps = vocabulary_clip(np.random.default_rng(seed), 4, 32, 4, (0.06, 0.085))
    assert frames.shape == (4, 32, 32, 3) and frames.dtype == np.uint8
    assert maps.shape == (4, 4, 4, 4)
    assert values.shape == (len(VALUE_NAMES),) and values[0] <= values[1]
    assert 0 < values[2] < np.sqrt(2)  # the agents' mean distance apart, inside the unit arena
    two = labels[len(SINGLE_AGENT):].sum()
    one = labels[: len(SINGLE_AGENT)].sum()
    assert set(np.unique(labels)) <= {0.0, 1.0}
    assert (two == 1 and one == 0) or (two == 0 and 1 <= one <= 2)


def test_the_set_is_reproducible_and_covers_the_vocabulary() -> None:
    first = vocabulary_set(60, 3, 4, 16, 2, (0.06, 0.085))
    again = vocabulary_set(60, 3, 4, 16, 2, (0.06, 0.085))
    other = vocabulary_set(60, 4, 4, 16, 2, (0.06, 0.085))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    assert first[1].sum(0)[len(SINGLE_AGENT):].min() >= 1  # every two-agent class appears
    with pytest.raises(ValueError, match="positive integer"):
        vocabulary_set(0, 0, 4, 16, 2, (0.06, 0.085))
