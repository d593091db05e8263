"""Commonality analysis: hand-computed cases and planted unique/shared variance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from socalign.analyses.partition import commonality, partition_similarity, r2_ols


def test_r2_ols_matches_squared_correlation() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    x = np.array([1.0, 2.0, 3.0, 5.0])
    # by hand: sum(xc*yc) = 6.5, sum(xc²) = 8.75, sum(yc²) = 5, so r² = 6.5² / 43.75
    assert r2_ols(y, x) == pytest.approx(42.25 / 43.75)


def test_orthogonal_predictors_have_no_shared_part() -> None:
    # a and b are centred and orthogonal, so R²(a)+R²(b) = R²(a,b) and the shared part is 0.
    a = np.array([1.0, -1.0, 1.0, -1.0])
    b = np.array([1.0, 1.0, -1.0, -1.0])
    y = 2 * a + b
    r2, comps = commonality(y, {"A": a, "B": b}, regression="ols_raw")
    assert r2[("A",)] == pytest.approx(0.8)  # 4 / (4 + 1)
    assert r2[("B",)] == pytest.approx(0.2)
    assert r2[("A", "B")] == pytest.approx(1.0)
    assert comps[("A",)] == pytest.approx(0.8)
    assert comps[("B",)] == pytest.approx(0.2)
    assert comps[("A", "B")] == pytest.approx(0.0, abs=1e-12)


def test_identical_predictors_share_everything() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    y = x + rng.normal(size=50)
    r2, comps = commonality(y, {"A": x, "B": x.copy()}, regression="ols_raw")
    assert comps[("A",)] == pytest.approx(0.0, abs=1e-10)
    assert comps[("B",)] == pytest.approx(0.0, abs=1e-10)
    assert comps[("A", "B")] == pytest.approx(r2[("A",)])


def test_three_predictors_planted_parts() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    shared, ua, ub, uc = rng.normal(size=(4, n))
    A, B, C = shared + ua, shared + ub, uc
    y = A + B + C  # variance 2² + 1 + 1 + 1 = 7
    r2, comps = commonality(y, {"A": A, "B": B, "C": C}, regression="ols_raw")
    assert sum(comps.values()) == pytest.approx(r2[("A", "B", "C")])
    # The fit is exact, so R²(all)=1; C is independent of A and B, so its unique part is 1/7.
    assert r2[("A", "B", "C")] == pytest.approx(1.0)
    assert comps[("C",)] == pytest.approx(1 / 7, abs=0.03)
    assert comps[("A", "C")] == pytest.approx(0.0, abs=0.03)
    assert comps[("A", "B", "C")] == pytest.approx(0.0, abs=0.03)
    assert comps[("A", "B")] > 0.1  # A and B share ``shared``


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="regression"):
        commonality(np.ones(3), {"A": np.ones(3)}, regression="ridge")
    with pytest.raises(ValueError, match="'B' has 2 values"):
        commonality(np.arange(3.0), {"A": np.arange(3.0), "B": np.ones(2)})
    with pytest.raises(ValueError, match="1 to 3 predictors"):
        commonality(np.arange(3.0), {k: np.arange(3.0) for k in "ABCD"})


def _planted_matrices(n: int, rng: np.random.Generator):
    shared = rng.normal(size=(n, 3))
    only_a = rng.normal(size=(n, 3))
    noise = rng.normal(size=(n, 3))

    def sim(x):
        return -np.linalg.norm(x[:, None] - x[None], axis=-1)

    human = sim(np.hstack([shared, only_a]))
    a = sim(np.hstack([shared, only_a]))
    b = sim(np.hstack([shared, noise]))
    return human, a, b


def test_partition_similarity_over_videos_with_bootstrap() -> None:
    rng = np.random.default_rng(2)
    human, a, b = _planted_matrices(30, rng)
    observed = ~np.eye(30, dtype=bool)
    observed[0, 1] = observed[1, 0] = False
    result = partition_similarity(
        human, {"language": a, "video": b}, observed, indices=np.arange(20),
        n_boot=50, seed=0, split="test",
    )
    assert result.n_pairs == 20 * 19 // 2 - 1
    assert result.regression == "ols_ranks"
    # human == a, so a explains everything (ranks preserved) and b adds nothing unique.
    assert result.r2["language"] == pytest.approx(1.0)
    assert result.components["video"] == pytest.approx(0.0, abs=1e-9)
    assert sum(result.components.values()) == pytest.approx(result.r2_full)
    lo, hi = result.ci["language & video"]
    assert lo <= result.components["language & video"] <= hi
    out = json.loads(json.dumps(result.to_dict()))
    assert out["ci_unit"] == "videos" and out["n_boot"] == 50
    assert {c["component"] for c in out["components"]} == {"language", "video", "language & video"}
    frame = result.to_frame()
    assert list(frame["kind"]) == ["unique", "unique", "shared"]


def test_partition_similarity_shape_errors() -> None:
    with pytest.raises(ValueError, match="'v' has shape"):
        partition_similarity(np.eye(3), {"v": np.eye(4)}, np.ones((3, 3), bool), n_boot=0)


def test_bootstrap_resamples_without_enough_pairs_are_counted_not_fatal() -> None:
    """A resample of few videos can leave too few observed pairs: NaN there, and counted."""
    rng = np.random.default_rng(0)
    n = 4  # 6 pairs; a resample of 2 distinct videos (1 + 3 copies) leaves only 3 pairs
    a = rng.normal(size=(n, n))
    a = a + a.T
    human = a + rng.normal(size=(n, n)) * 0.1
    human = human + human.T
    b = rng.normal(size=(n, n))
    b = b + b.T
    observed = ~np.eye(n, dtype=bool)
    from socalign.analyses.partition import partition_similarity

    result = partition_similarity(human, {"A": a, "B": b}, observed, n_boot=200, seed=0)
    assert result.n_boot_degenerate > 0
    assert result.to_dict()["n_boot_degenerate"] == result.n_boot_degenerate
    lo, hi = result.ci["A"]
    assert np.isfinite(lo) and np.isfinite(hi)
