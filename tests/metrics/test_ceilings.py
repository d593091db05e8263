"""Noise ceilings: split-half over participants (Spearman–Brown) and OOO consistency."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rsatoolbox.rdm import RDMs, compare_spearman

from socalign.metrics import (
    ooo_consistency,
    similarity_from_judgments,
    spearman_brown,
    split_half_ceiling,
)


def test_spearman_brown_hand_values() -> None:
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert spearman_brown(0.0) == 0.0
    assert spearman_brown(1.0) == pytest.approx(1.0)
    assert spearman_brown(0.25, factor=3) == pytest.approx(0.75 / 1.5)


def _planted(n_items: int = 10, n_trials: int = 2000, n_part: int = 8, noise: float = 0.5,
             seed: int = 0):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n_items, 2))
    triplets = np.array([rng.choice(n_items, 3, replace=False) for _ in range(n_trials)])
    p = pos[triplets]
    d = np.stack(
        [
            np.linalg.norm(p[:, 1] - p[:, 2], axis=1),
            np.linalg.norm(p[:, 0] - p[:, 2], axis=1),
            np.linalg.norm(p[:, 0] - p[:, 1], axis=1),
        ],
        axis=1,
    )  # d[:, k]: distance of the pair that leaves out k
    odd = np.argmin(d + rng.normal(scale=noise, size=d.shape), axis=1)
    participants = rng.integers(0, n_part, n_trials) * 10 + 7  # arbitrary codes
    return triplets, odd, participants


def test_fixed_split_equals_direct_computation_and_rsatoolbox() -> None:
    triplets, odd, participants = _planted()
    codes = np.unique(participants)
    halves = np.zeros((2, codes.size), dtype=bool)
    halves[0, [0, 2, 4, 6]] = True
    halves[1, [1, 2, 3, 5]] = True
    res = split_half_ceiling(triplets, odd, participants, 10, halves=halves)
    iu = np.triu_indices(10, 1)
    for k in range(2):
        in_a = np.isin(participants, codes[halves[k]])
        a = similarity_from_judgments(triplets[in_a], odd[in_a], 10)
        b = similarity_from_judgments(triplets[~in_a], odd[~in_a], 10)
        both = (a.observed & b.observed)[iu]
        va = np.where(both, 1 - a.similarity[iu], np.nan)[None]
        vb = np.where(both, 1 - b.similarity[iu], np.nan)[None]
        expected = compare_spearman(RDMs(va), RDMs(vb))[0, 0]
        assert res.split_r[k] == pytest.approx(expected)
    assert res.r == pytest.approx(res.split_r.mean())
    assert res.r_sb == pytest.approx(np.mean(spearman_brown(res.split_r)))
    assert res.r2_sb == pytest.approx(res.r_sb**2)
    assert res.r2_ceiling == pytest.approx(res.r_sb)
    assert res.n_splits == 2 and res.n_participants == 8


def test_random_splits_are_seeded_and_reliable_data_has_high_ceiling() -> None:
    triplets, odd, participants = _planted(noise=0.05)
    a = split_half_ceiling(triplets, odd, participants, 10, n_splits=20, rng=1)
    b = split_half_ceiling(triplets, odd, participants, 10, n_splits=20, rng=1)
    assert a.to_dict() == b.to_dict()
    assert a.r_sb > 0.8 and a.sd >= 0
    noisy = split_half_ceiling(*_planted(noise=50.0), 10, n_splits=20, rng=1)
    assert noisy.r_sb < a.r_sb - 0.3
    d = a.to_dict()
    for key in ("r", "r_sb", "r2_sb", "n_splits", "sd"):
        assert key in d
    with pytest.raises(ValueError, match="at least 2 participants"):
        split_half_ceiling(triplets, odd, np.zeros(len(odd)), 10)


def test_ooo_consistency_hand_case_with_ties() -> None:
    # triplet {0,1,2} shown 4 times, choices 0,0,1,2 (given in varying order); {3,4,5} twice,
    # choices 3,4; {6,7,8} once (not repeated).
    triplets = np.array(
        [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1], [3, 4, 5], [5, 4, 3], [6, 7, 8]]
    )
    chosen = np.array([0, 0, 1, 2, 3, 4, 6])
    odd = (triplets == chosen[:, None]).argmax(axis=1)
    res = ooo_consistency(triplets, odd)
    # trial 0 (0): others 0,1,2 -> 3-way tie, 0 among them -> 1/3; trial 1 likewise 1/3
    # trial 2 (1): others 0,0,2 -> majority 0 -> 0; trial 3 (2): others 0,0,1 -> 0
    # trial 4 (3): other 4 -> 0; trial 5 (4): other 3 -> 0
    np.testing.assert_allclose(res.agreement, [1 / 3, 1 / 3, 0, 0, 0, 0])
    assert res.loo_agreement == pytest.approx((2 / 3) / 6)
    assert res.n_trials == 6 and res.n_triplets == 2 and res.n_trials_total == 7
    unanimous = ooo_consistency(np.array([[0, 1, 2]] * 3), np.array([1, 1, 1]))
    assert unanimous.loo_agreement == 1.0
    two_way = ooo_consistency(np.array([[0, 1, 2]] * 3), np.array([0, 1, 0]))
    # trial 0: others (1, 0) tie, own 0 in it -> 1/2; trial 1: others (0,0) -> 0; trial 2 -> 1/2
    assert two_way.loo_agreement == pytest.approx(1 / 3)


@pytest.mark.realdata
def test_real_data_ceilings_and_speed(garcia_root: Path) -> None:
    frame = pd.read_csv(garcia_root / "data/interim/similarity/train_triplets.csv")
    t = frame[["stim1_name", "stim2_name", "stim3_name"]].to_numpy()
    odd = (t == frame["choice"].to_numpy()[:, None]).argmax(axis=1)
    ids = np.unique(t)
    start = time.perf_counter()
    res = split_half_ceiling(t, odd, frame["participation"].to_numpy(), 250, ids, 100, rng=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 10  # the benchmark holds the 5 s floor; this only guards a regression
    assert 0.3 < res.r_sb < 0.7 and res.n_participants == 215
    cons = ooo_consistency(t, odd)
    assert 0.4 < cons.loo_agreement < 0.8 and cons.n_trials > 5000


def test_ratio_ranks_equal_rankdata() -> None:
    from scipy import stats

    from socalign.metrics.ceilings import _ratio_ranks

    rng = np.random.default_rng(4)
    den = rng.integers(0, 7, (5, 60)).astype(float)
    num = np.floor(rng.random((5, 60)) * (den + 1))
    valid = (den > 0) & (rng.random((5, 60)) > 0.2)
    ranks = _ratio_ranks(num, den, valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = stats.rankdata(np.where(valid, num / den, np.nan), axis=1, nan_policy="omit")
    np.testing.assert_allclose(ranks[valid], ref[valid])


def test_pearson_split_half_matches_direct() -> None:
    triplets, odd, participants = _planted()
    codes = np.unique(participants)
    halves = np.zeros((1, codes.size), dtype=bool)
    halves[0, :4] = True
    res = split_half_ceiling(triplets, odd, participants, 10, halves=halves, correlation="pearson")
    in_a = np.isin(participants, codes[:4])
    a = similarity_from_judgments(triplets[in_a], odd[in_a], 10)
    b = similarity_from_judgments(triplets[~in_a], odd[~in_a], 10)
    both = np.triu(a.observed & b.observed, 1)
    expected = np.corrcoef(a.similarity[both], b.similarity[both])[0, 1]
    assert res.split_r[0] == pytest.approx(expected) and res.correlation == "pearson"


def test_benchmark_ceilings_all_is_the_whole_kept_data_with_fresh_halves(
    tiny_benchmark_dir: Path,
) -> None:
    """split "all" = every kept trial and video; the halves come from default_rng(seed) alone,
    so a caller that passed the same seed to split_half_ceiling gets the same reliability."""
    from socalign.data import load_dataset
    from socalign.metrics import benchmark_ceilings

    bench = load_dataset(tiny_benchmark_dir)
    kept = bench.kept
    res = benchmark_ceilings(bench, "all", n_splits=25, seed=5, n_draws=5_000)
    direct = split_half_ceiling(kept.triplets, kept.odd, kept.participants, len(bench.videos),
                                n_splits=25, rng=np.random.default_rng(5))
    assert res.split == "all" and res.n_trials == len(kept)
    assert res.reliability == direct.r_sb and res.r2_ceiling == direct.r2_ceiling
    assert res.to_dict()["split_half"] == direct.to_dict()
    # the reliability and the ceiling count the same repeated trials
    assert res.ooo.n_repeated_trials == res.consistency.n_trials > 0
    assert 1 / 3 < res.ooo_ceiling <= 1
