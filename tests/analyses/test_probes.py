"""Linear probes: vectorised statistics against hand cases, planted signal and no signal."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import pearsonr

from socalign.analyses.probes import (
    DEFAULT_ALPHAS,
    bootstrap_r,
    pearson_rows,
    permutation_pvalue_r,
    probe_arrays,
    probe_benchmark,
)
from socalign.data.types import Benchmark, Trials, Videos


def test_pearson_rows_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    pred = rng.normal(size=12)
    targets = rng.normal(size=(3, 12))
    expected = [pearsonr(pred, t)[0] for t in targets]
    np.testing.assert_allclose(pearson_rows(pred, targets), expected)


def test_permutation_pvalue_of_three_points() -> None:
    # r = 1 only for the identity among 3! = 6 orderings, so p -> 1/6.
    p, r = permutation_pvalue_r(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 6000,
                                np.random.default_rng(0))
    assert r == pytest.approx(1.0)
    assert p == pytest.approx(1 / 6, abs=0.015)


def test_bootstrap_interval_brackets_r() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = x + rng.normal(size=60)
    lo, hi = bootstrap_r(x, y, 500, np.random.default_rng(2))
    assert lo < pearsonr(x, y)[0] < hi
    assert 0 < lo and hi < 1


def _split(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(0, int(0.7 * n)), np.arange(int(0.7 * n), n)


def test_permutation_and_bootstrap_are_pearsonrs_methods() -> None:
    """The p-value and interval are scipy's pearsonr(method=...) from the same Generator."""
    from scipy.stats import BootstrapMethod, PermutationMethod

    rng = np.random.default_rng(3)
    for n in (9, 30, 120):
        pred = rng.normal(size=n)
        target = 0.4 * pred + rng.normal(size=n)
        p, r = permutation_pvalue_r(pred, target, 999, np.random.default_rng(n))
        peer = pearsonr(pred, target, alternative="greater",
                        method=PermutationMethod(n_resamples=999, rng=np.random.default_rng(n)))
        assert (p, r) == pytest.approx((peer.pvalue, peer.statistic), abs=1e-12)
        lo, hi = bootstrap_r(pred, target, 999, np.random.default_rng(n), level=0.9)
        ci = pearsonr(pred, target).confidence_interval(0.9, method=BootstrapMethod(
            n_resamples=999, method="percentile", rng=np.random.default_rng(n)))
        assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_bootstrap_drops_resamples_where_r_is_undefined() -> None:
    # four videos: some resamples draw one video four times (r undefined); scipy's own
    # interval is then NaN, socalign's drops them as every socalign interval does
    pred, target = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 5.0])
    lo, hi = bootstrap_r(pred, target, 2000, np.random.default_rng(0))
    assert -1.0 <= lo < hi <= 1.0


def test_probe_finds_a_planted_linear_signal() -> None:
    rng = np.random.default_rng(3)
    n, d = 80, 40
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    signal = X @ w
    signal = (signal - signal.min()) / np.ptp(signal)
    train, test = _split(n)
    result = probe_arrays(X, {"valence": signal + 0.05 * rng.normal(size=n)}, train, test,
                          n_perm=1000, n_boot=200, seed=0)
    row = result.rows[0]
    assert row.r > 0.9
    assert row.p_value == pytest.approx(1 / 1001)
    assert row.ci[0] > 0.8
    assert row.alpha in DEFAULT_ALPHAS
    assert (row.n_train, row.n_test) == (56, 24)
    single = probe_arrays(X, {"v": signal}, train, test, alphas=(1.0,), n_perm=10, n_boot=0)
    assert single.rows[0].alpha_on_edge  # a one-value grid is all edge: flagged


def test_probe_on_features_without_signal_is_not_significant() -> None:
    rng = np.random.default_rng(4)
    n, d = 60, 30
    train, test = _split(n)
    pvalues = []
    for seed in range(12):
        X = rng.normal(size=(n, d))
        y = rng.uniform(size=n)  # unrelated to X
        pvalues.append(probe_arrays(X, {"noise": y}, train, test, n_perm=1000, n_boot=0,
                                    seed=seed).rows[0].p_value)
    pvalues = np.array(pvalues)
    assert np.count_nonzero(pvalues < 0.05) <= 2
    assert 0.25 < np.median(pvalues) < 0.85


def test_nan_ratings_are_left_out_per_attribute() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 5))
    y = X[:, 0].copy()
    y[[0, 1, 35]] = np.nan
    result = probe_arrays(X, {"a": y}, np.arange(30), np.arange(30, 40), n_perm=100, n_boot=50)
    assert (result.rows[0].n_train, result.rows[0].n_test) == (28, 9)


def test_probe_errors() -> None:
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="overlap"):
        probe_arrays(X, {"a": np.zeros(10)}, np.arange(6), np.arange(5, 10))
    with pytest.raises(ValueError, match="'a' has shape"):
        probe_arrays(X, {"a": np.zeros(9)}, np.arange(5), np.arange(5, 10))


def _benchmark(n: int, rng: np.random.Generator) -> Benchmark:
    """A small in-memory benchmark with two ratings (no trials needed by the probes)."""
    videos = Videos(
        ids=np.arange(n),
        names=tuple(str(i) for i in range(n)),
        files=(None,) * n,
        splits=np.array(["train"] * (n - n // 4) + ["test"] * (n // 4)),
        captions=((),) * n,
        ratings={"valence": rng.uniform(size=n), "arousal": rng.uniform(size=n)},
    )
    trials = Trials(np.zeros((0, 3), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                    (), np.zeros(0), np.zeros(0, np.int64))
    return Benchmark("tiny", None, videos, trials, np.zeros(0, bool), {})


def test_probe_benchmark_names_unknown_attributes_and_returns_json() -> None:
    rng = np.random.default_rng(6)
    bench = _benchmark(40, rng)
    X = np.column_stack([bench.videos.ratings["valence"], rng.normal(size=(40, 3))])
    with pytest.raises(KeyError, match=r"unknown attribute\(s\) \['intimacy'\].*arousal"):
        probe_benchmark(bench, X, ["intimacy"])
    result = probe_benchmark(bench, X, ["valence", "arousal"], n_perm=200, n_boot=100,
                             embedding="toy.npz")
    out = json.loads(json.dumps(result.to_dict()))
    assert [a["attribute"] for a in out["attributes"]] == ["valence", "arousal"]
    assert out["attributes"][0]["r"] > 0.9
    assert out["ci_unit"] == "held-out videos" and out["n_perm"] == 200
    assert list(result.to_frame()["attribute"]) == ["valence", "arousal"]


def test_probe_change_is_paired_and_matches_scipy() -> None:
    """An embedding that carries valence beats one that does not, with an interval above 0; the
    reported r equal scipy's Pearson r of the held-out predictions; arousal, carried by
    neither, shows no detectable change."""
    from socalign.analyses.probes import fit_probe, probe_change

    rng = np.random.default_rng(3)
    bench = _benchmark(120, rng)
    noise = rng.normal(size=(120, 4))
    before = noise
    after = np.column_stack([bench.videos.ratings["valence"], noise])
    changes = {c.attribute: c for c in probe_change(bench, before, after, ["valence", "arousal"],
                                                     n_boot=300, seed=0)}
    val = changes["valence"]
    assert val.rose and val.low > 0 and val.after > 0.9
    train, test = bench.split_indices("train"), bench.split_indices("test")
    y = bench.videos.ratings["valence"]
    pred = fit_probe(after[train], y[train]).predict(after[test])
    assert val.after == pytest.approx(pearsonr(pred, y[test])[0])
    assert val.difference == pytest.approx(val.after - val.before)
    assert not changes["arousal"].rose and changes["arousal"].low < 0 < changes["arousal"].high
    with pytest.raises(KeyError, match="none of the attributes"):
        probe_change(bench, before, after, ["intimacy"])
