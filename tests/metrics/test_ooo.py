"""OOO accuracy under the argmax and pair rules: hand cases, ties, order invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.metrics import ooo_accuracy, ooo_accuracy_embeddings
from socalign.metrics.ooo import CHANCE

# Items 0..3. s(0,1)=.9, s(0,2)=.5, s(1,2)=.2, s(0,3)=.5, s(1,3)=.5, s(2,3)=.1
S = np.array(
    [
        [1.0, 0.9, 0.5, 0.5],
        [0.9, 1.0, 0.2, 0.5],
        [0.5, 0.2, 1.0, 0.1],
        [0.5, 0.5, 0.1, 1.0],
    ]
)


def test_hand_cases_both_rules() -> None:
    triplets = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 3]])
    # trial 0: human odd = 2 (keeps 0,1 at .9 > .5, .2): argmax right, pair 1
    # trial 1: human odd = 1 (keeps 0,2 at .5): argmax wrong; pair: .5 > s(0,1)=.9? no; .5 > s(2,1)=.2 yes -> 1/2
    # trial 2: human odd = 0 (keeps 1,2 at .2): .2 > .9 no, .2 > .5 no -> 0
    # trial 3: human odd = 3 (keeps 0,1 at .9 > .5, .5): argmax right, pair 1
    odd = np.array([2, 1, 0, 2])
    arg = ooo_accuracy(S, triplets, odd, "argmax")
    pair = ooo_accuracy(S, triplets, odd, "pair")
    np.testing.assert_array_equal(arg.correct, [1, 0, 0, 1])
    np.testing.assert_array_equal(pair.correct, [1, 0.5, 0, 1])
    assert arg.accuracy == 0.5 and pair.accuracy == 0.625
    assert arg.rule == "argmax" and arg.chance == pytest.approx(1 / 3) and arg.n_trials == 4
    assert pair.chance == 0.5
    assert arg.to_dict()["rule"] == "argmax"


def test_ties_count_as_wrong() -> None:
    # triplet (0,2,3) ... use (1,3,0): pairs s(3,0)=.5, s(1,0)=.9, s(1,3)=.5
    # human odd = item 1 (position 0): kept pair (3,0)=.5 ties with (1,3)=.5 -> argmax wrong
    triplets = np.array([[1, 3, 0]])
    odd = np.array([0])
    assert ooo_accuracy(S, triplets, odd, "argmax").accuracy == 0.0
    # pair rule: .5 > s(3,1)=.5 no (tie); .5 > s(0,1)=.9 no -> 0
    assert ooo_accuracy(S, triplets, odd, "pair").accuracy == 0.0
    flat = np.ones((3, 3))
    assert ooo_accuracy(flat, np.array([[0, 1, 2]]), np.array([1]), "argmax").accuracy == 0.0
    assert ooo_accuracy(flat, np.array([[0, 1, 2]]), np.array([1]), "pair").accuracy == 0.0


def test_chance_levels_on_random_model() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 8))
    triplets = np.array([rng.choice(40, 3, replace=False) for _ in range(3000)])
    odd = rng.integers(0, 3, 3000)
    for rule in ("argmax", "pair"):
        acc = ooo_accuracy_embeddings(X, triplets, odd, rule)
        assert abs(acc.accuracy - CHANCE[rule]) < 0.03


def test_embedding_version_matches_similarity_version() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 4))
    triplets = np.array([rng.choice(10, 3, replace=False) for _ in range(50)])
    odd = rng.integers(0, 3, 50)
    for metric in ("cosine", "correlation", "dot"):
        a = ooo_accuracy_embeddings(X, triplets, odd, "pair", metric)
        from socalign.metrics import similarity_from_embeddings

        b = ooo_accuracy(similarity_from_embeddings(X, metric), triplets, odd, "pair")
        np.testing.assert_array_equal(a.correct, b.correct)


def test_errors() -> None:
    with pytest.raises(ValueError, match="unknown OOO rule"):
        ooo_accuracy(S, np.array([[0, 1, 2]]), np.array([0]), "vote")
    nan = S.copy()
    nan[0, 1] = nan[1, 0] = np.nan
    with pytest.raises(ValueError, match="trial 0"):
        ooo_accuracy(nan, np.array([[0, 1, 2]]), np.array([0]))
    with pytest.raises(ValueError, match="no trials"):
        ooo_accuracy(S, np.zeros((0, 3), dtype=int), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="square"):
        ooo_accuracy(S[:3], np.array([[0, 1, 2]]), np.array([0]))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**31 - 1),
    st.permutations([0, 1, 2]),
    st.sampled_from(["argmax", "pair"]),
)
def test_invariant_to_order_inside_triplets(seed: int, perm: list[int], rule: str) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    sim = rng.integers(0, 4, size=(n, n)).astype(float)  # small ints: ties happen
    sim = (sim + sim.T) / 2
    triplets = np.array([rng.choice(n, 3, replace=False) for _ in range(30)])
    odd = rng.integers(0, 3, 30)
    p = np.array(perm)
    base = ooo_accuracy(sim, triplets, odd, rule)
    moved = ooo_accuracy(sim, triplets[:, p], np.argsort(p)[odd], rule)
    np.testing.assert_array_equal(base.correct, moved.correct)
    # argmax-correct implies pair-correct
    if rule == "argmax":
        pair = ooo_accuracy(sim, triplets, odd, "pair")
        assert (pair.correct[base.correct == 1] == 1).all()
