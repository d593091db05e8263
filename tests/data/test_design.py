"""Tests of the greedy set-cover triplet design."""

from __future__ import annotations

import numpy as np
import pytest

from socalign.data.design import pair_counts, set_cover_triplets


def test_pair_counts_hand_case() -> None:
    counts = pair_counts(np.array([[0, 1, 2], [0, 1, 3]]), 4)
    expected = np.array([[0, 2, 1, 1], [2, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]])
    np.testing.assert_array_equal(counts, expected)


def test_three_items_need_one_triplet() -> None:
    t = set_cover_triplets(3, 1, np.random.default_rng(1))
    assert t.shape == (1, 3)
    assert sorted(t[0].tolist()) == [0, 1, 2]


def test_seven_items_close_to_the_fano_bound() -> None:
    # 21 pairs / 3 per triplet = 7 is optimal (the Fano plane); greedy may need a few more.
    t = set_cover_triplets(7, 1, np.random.default_rng(0))
    assert 7 <= len(t) <= 10


@pytest.mark.parametrize(("n", "k"), [(12, 1), (30, 2), (41, 3)])
def test_every_pair_covered_k_times_with_balanced_use(n: int, k: int) -> None:
    t = set_cover_triplets(n, k, np.random.default_rng(0))
    assert t.dtype == np.int64 and t.shape[1] == 3
    assert (t[:, 0] != t[:, 1]).all() and (t[:, 1] != t[:, 2]).all() and (t[:, 0] != t[:, 2]).all()
    counts = pair_counts(t, n)
    off = counts[~np.eye(n, dtype=bool)]
    assert off.min() >= k
    lower_bound = k * n * (n - 1) / 6
    assert len(t) <= 1.15 * lower_bound + 3
    use = np.bincount(t.ravel(), minlength=n)
    assert use.max() - use.min() <= 3


def test_same_rng_same_design_other_rng_other_order() -> None:
    a = set_cover_triplets(20, 1, np.random.default_rng(5))
    b = set_cover_triplets(20, 1, np.random.default_rng(5))
    c = set_cover_triplets(20, 1, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


@pytest.mark.parametrize(("n", "k"), [(2, 1), (0, 1), (10, 0), (10, -1)])
def test_bad_arguments_are_refused(n: int, k: int) -> None:
    with pytest.raises(ValueError, match=r"n_items|k "):
        set_cover_triplets(n, k)


def test_non_integer_item_count_is_refused() -> None:
    with pytest.raises(TypeError, match="n_items"):
        set_cover_triplets(10.5)  # type: ignore[arg-type]
