"""The observers' graded interaction types (``type_grading``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.socialworld.attributes import SOCIAL_ATTRIBUTES
from socalign.data.socialworld.observers import social_features, type_embedding
from socalign.data.socialworld.scenes import CONFUSABLE, INTERACTION_TYPES

PAIRS = sorted({tuple(sorted((kind, other))) for kind, alike in CONFUSABLE.items() for other in alike})


def test_no_grading_is_the_one_hot() -> None:
    assert np.array_equal(type_embedding(INTERACTION_TYPES, 0.0), np.eye(len(INTERACTION_TYPES)))


@settings(max_examples=30, deadline=None)
@given(low=st.floats(0.0, 0.5), step=st.floats(0.01, 0.05))
def test_confusable_types_grow_alike_with_the_grading(low: float, step: float) -> None:
    """Unit rows, a symmetric geometry, and every confusable pair (in either direction of the
    table) more alike under a larger grading up to 0.55 (the first pair to turn does so near a
    grading of 0.64, beyond which a type with several neighbours leans towards all of them)."""
    index = {t: i for i, t in enumerate(INTERACTION_TYPES)}
    gram = {g: type_embedding(INTERACTION_TYPES, g) @ type_embedding(INTERACTION_TYPES, g).T
            for g in (low, low + step)}
    for similarity in gram.values():
        np.testing.assert_allclose(np.diag(similarity), 1.0)
        np.testing.assert_allclose(similarity, similarity.T)
        assert (similarity <= 1.0 + 1e-12).all()
    for a, b in PAIRS:
        assert gram[low + step][index[a], index[b]] > gram[low][index[a], index[b]]


def test_types_with_nothing_in_common_stay_apart() -> None:
    """Two types neither confused with each other nor sharing a confusable type stay orthogonal."""
    index = {t: i for i, t in enumerate(INTERACTION_TYPES)}
    neighbours = {t: {t} for t in INTERACTION_TYPES}
    for a, b in PAIRS:
        neighbours[a].add(b)
        neighbours[b].add(a)
    rows = type_embedding(INTERACTION_TYPES, 0.9)
    for a in INTERACTION_TYPES:
        for b in INTERACTION_TYPES:
            if not neighbours[a] & neighbours[b]:
                assert rows[index[a]] @ rows[index[b]] == 0.0


@pytest.mark.parametrize("grading", [-0.1, float("nan"), float("inf")])
def test_a_grading_that_is_not_a_finite_non_negative_number_is_refused(grading: float) -> None:
    with pytest.raises(ValueError, match="type_grading"):
        type_embedding(INTERACTION_TYPES, grading)


def test_social_features_carry_the_graded_types_centred() -> None:
    rng = np.random.default_rng(0)
    interactions = list(rng.choice(INTERACTION_TYPES, 40))
    ratings = {a: rng.random(40) for a in SOCIAL_ATTRIBUTES}
    plain, names = social_features(ratings, interactions, INTERACTION_TYPES)
    graded, _ = social_features(ratings, interactions, INTERACTION_TYPES, type_grading=0.5)
    n = len(SOCIAL_ATTRIBUTES)
    np.testing.assert_array_equal(plain[:, :n], graded[:, :n])
    onehot = (np.asarray(interactions)[:, None] == np.asarray(INTERACTION_TYPES)[None, :]).astype(float)
    np.testing.assert_array_equal(plain[:, n:], onehot - onehot.mean(axis=0))
    expected = onehot @ type_embedding(INTERACTION_TYPES, 0.5)
    np.testing.assert_allclose(graded[:, n:], expected - expected.mean(axis=0))
    assert names[n:] == [f"type:{t}" for t in INTERACTION_TYPES]
