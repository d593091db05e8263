"""Bootstrap intervals, paired bootstraps and permutation p-values against plain loops."""

from __future__ import annotations

import numpy as np
import pytest
from rsatoolbox.rdm import RDMs, compare_spearman
from scipy import stats

from socalign.metrics import (
    bootstrap,
    bootstrap_alignment,
    paired_bootstrap,
    paired_bootstrap_alignment,
    permutation_pvalue,
)


def _matrices(n: int = 9, seed: int = 0, drop: float = 0.2):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    human = np.corrcoef(latent + rng.normal(scale=0.8, size=latent.shape))
    model = np.corrcoef(latent + rng.normal(scale=0.4, size=latent.shape))
    human, model = (human + human.T) / 2, (model + model.T) / 2  # exactly symmetric
    observed = rng.random((n, n)) > drop
    observed = np.triu(observed, 1)
    observed = observed | observed.T
    human = np.where(observed | np.eye(n, dtype=bool), human, np.nan)
    return model, human, observed


def test_bootstrap_mean_equals_explicit_resampling() -> None:
    values = np.random.default_rng(1).random(50)
    res = bootstrap(values, n_boot=200, rng=np.random.default_rng(5), level=0.9)
    draws = np.random.default_rng(5).integers(0, 50, size=(200, 50))
    expected = values[draws].mean(axis=1)
    np.testing.assert_allclose(res.samples, expected)
    assert res.low == pytest.approx(np.quantile(expected, 0.05))
    assert res.high == pytest.approx(np.quantile(expected, 0.95))
    assert res.estimate == pytest.approx(values.mean())
    d = res.to_dict()
    assert d["unit"] == "trials" and d["n_boot"] == 200 and d["level"] == 0.9
    const = bootstrap(np.full(10, 0.5), n_boot=50, rng=0)
    assert const.low == const.high == 0.5 and const.sd == 0.0


def test_paired_bootstrap() -> None:
    rng = np.random.default_rng(2)
    a = rng.random(300)
    same = paired_bootstrap(a, a, n_boot=100, rng=0)
    assert same.estimate == 0 and same.low == same.high == 0 and same.p_value == 1.0
    better = paired_bootstrap(a + 0.2, a + rng.normal(scale=0.05, size=300), 500, rng=0)
    assert better.low > 0.1 and better.p_value <= 2 / 501
    assert better.statistic == "difference of means"
    with pytest.raises(ValueError, match="differ in shape"):
        paired_bootstrap(a, a[:5])


def test_pairs_bootstrap_equals_loop() -> None:
    model, human, observed = _matrices()
    res = bootstrap_alignment(model, human, observed, unit="pairs", n_boot=40, rng=3)
    i, j = np.nonzero(np.triu(observed, 1))
    x, y = model[i, j], human[i, j]
    draws = np.random.default_rng(3).integers(0, i.size, size=(40, i.size))
    expected = [stats.spearmanr(x[d], y[d]).statistic for d in draws]
    np.testing.assert_allclose(res["spearman"].samples, expected, atol=1e-12)
    np.testing.assert_allclose(res["r2"].samples, np.square(expected), atol=1e-12)
    expected_r = [stats.pearsonr(x[d], y[d]).statistic for d in draws]
    np.testing.assert_allclose(res["pearson"].samples, expected_r, atol=1e-12)
    assert res["spearman"].unit == "pairs" and res["r2"].n_boot == 40


def test_videos_bootstrap_equals_loop_and_rsatoolbox() -> None:
    model, human, observed = _matrices(n=10, seed=4)
    indices = np.array([0, 2, 3, 5, 6, 7, 8, 9])
    res = bootstrap_alignment(model, human, observed, indices, "videos", n_boot=30, rng=7)
    draws = np.random.default_rng(7).integers(0, indices.size, size=(30, indices.size))
    for k, d in enumerate(draws):
        v = indices[d]
        a, b = np.triu_indices(v.size, 1)
        va, vb = v[a], v[b]
        keep = (va != vb) & observed[va, vb]
        xs, ys = model[va[keep], vb[keep]], human[va[keep], vb[keep]]
        expected = stats.spearmanr(xs, ys).statistic
        assert res["spearman"].samples[k] == pytest.approx(expected, abs=1e-12, nan_ok=True)
        if k < 3:  # rsatoolbox's pattern subsampling drops the pairs of a video with its copy
            iu = np.triu_indices(10, 1)
            h = RDMs(np.where(observed, 1 - human, np.nan)[iu][None])
            m = RDMs(np.where(observed, 1 - model, np.nan)[iu][None])
            h_s = h.subsample_pattern("index", v)
            m_s = m.subsample_pattern("index", v)
            assert compare_spearman(h_s, m_s)[0, 0] == pytest.approx(expected, abs=1e-12)
    assert res["spearman"].unit == "videos"


def test_paired_alignment_bootstrap() -> None:
    model, human, observed = _matrices(seed=5)
    same = paired_bootstrap_alignment(model, model, human, observed, n_boot=50, rng=0)
    assert same["spearman"].estimate == 0 and same["r2"].high == 0
    noise = np.random.default_rng(9).normal(size=model.shape)
    worse = model + 5 * (noise + noise.T)
    diff = paired_bootstrap_alignment(model, worse, human, observed, n_boot=200, rng=0)
    i, j = np.nonzero(np.triu(observed, 1))
    rho_a = stats.spearmanr(model[i, j], human[i, j]).statistic
    rho_b = stats.spearmanr(worse[i, j], human[i, j]).statistic
    assert diff["spearman"].estimate == pytest.approx(rho_a - rho_b)
    assert diff["r2"].estimate == pytest.approx(rho_a**2 - rho_b**2)
    assert 0 <= diff["spearman"].p_value <= 1


def test_permutation_pvalue_equals_loop() -> None:
    model, human, observed = _matrices(n=9, seed=6)
    res = permutation_pvalue(model, human, observed, n_perm=60, rng=11)
    perms = np.random.default_rng(11).permuted(np.tile(np.arange(9), (60, 1)), axis=1)
    i, j = np.nonzero(np.triu(observed, 1))
    obs = stats.spearmanr(model[i, j], human[i, j]).statistic
    null = np.array([stats.spearmanr(model[p[i], p[j]], human[i, j]).statistic for p in perms])
    np.testing.assert_allclose(res.null, null, atol=1e-12)
    assert res.observed == pytest.approx(obs)
    assert res.p_value == pytest.approx((1 + np.sum(null >= obs - 1e-12)) / 61)
    two = permutation_pvalue(model, human, observed, n_perm=60, rng=11, alternative="two-sided")
    assert two.p_value >= res.p_value or obs < 0


def test_permutation_detects_a_perfect_model() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(15, 4))
    human = np.corrcoef(X)
    observed = ~np.eye(15, dtype=bool)
    res = permutation_pvalue(human, human, observed, n_perm=199, rng=0)
    assert res.p_value == pytest.approx(1 / 200)
    assert res.to_dict()["unit"] == "videos (labels permuted)"


def test_errors() -> None:
    model, human, observed = _matrices()
    with pytest.raises(ValueError, match="unknown resampling unit"):
        bootstrap_alignment(model, human, observed, unit="trials", n_boot=5)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(np.ones(3), n_boot=0)
    with pytest.raises(ValueError, match="level"):
        bootstrap(np.ones(3), level=1.5)
    with pytest.raises(ValueError, match="NaN"):
        bootstrap(np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match="Generator or an int"):
        bootstrap(np.ones(3), rng="zero")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alternative"):
        permutation_pvalue(model, human, observed, alternative="less")


def test_permutation_with_tied_model_values_equals_loop() -> None:
    model, human, observed = _matrices(n=9, seed=8)
    model = np.round(model, 1)  # many ties: the rankdata path
    res = permutation_pvalue(model, human, observed, n_perm=40, rng=2)
    perms = np.random.default_rng(2).permuted(np.tile(np.arange(9), (40, 1)), axis=1)
    i, j = np.nonzero(np.triu(observed, 1))
    null = [stats.spearmanr(model[p[i], p[j]], human[i, j]).statistic for p in perms]
    np.testing.assert_allclose(res.null, null, atol=1e-12)


def test_bootstrap_is_scipys_bootstrap_bit_for_bit() -> None:
    """bootstrap() is scipy.stats.bootstrap (percentile) from the same Generator, chunks too."""
    from socalign.metrics import resampling

    values = (np.random.default_rng(3).random(700) < 0.6).astype(float)
    for n_boot in (2, 300, 7000):  # 7000 x 700 crosses CHUNK_ELEMENTS: several batches
        ours = bootstrap(values, n_boot, np.random.default_rng(11), level=0.9)
        peer = stats.bootstrap((values,), np.mean, n_resamples=n_boot, method="percentile",
                               confidence_level=0.9, rng=np.random.default_rng(11),
                               batch=resampling.CHUNK_ELEMENTS // 700, vectorized=True)
        np.testing.assert_array_equal(ours.samples, peer.bootstrap_distribution)
        # the same samples; the percentiles differ in the last bits of the interpolation
        assert ours.low == pytest.approx(peer.confidence_interval.low, abs=1e-12)
        assert ours.high == pytest.approx(peer.confidence_interval.high, abs=1e-12)
        assert ours.sd == pytest.approx(peer.standard_error, rel=1e-12)


def test_resample_indices_do_not_depend_on_the_chunks(monkeypatch) -> None:
    from socalign.metrics import resampling

    whole = np.concatenate(list(resampling.resample_indices(13, 50, np.random.default_rng(4))))
    monkeypatch.setattr(resampling, "CHUNK_ELEMENTS", 40)  # 3 rows a chunk
    chunks = list(resampling.resample_indices(13, 50, np.random.default_rng(4)))
    assert len(chunks) > 1 and sum(len(c) for c in chunks) == 50
    np.testing.assert_array_equal(np.concatenate(chunks), whole)
    rows = np.random.default_rng(4)
    np.testing.assert_array_equal(whole, np.stack([rows.integers(0, 13, 13) for _ in range(50)]))


def test_bootstrap_statistic_resamples_pairs_together() -> None:
    from socalign.metrics.resampling import bootstrap_statistic, pearson_rows

    rng = np.random.default_rng(6)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    got = bootstrap_statistic((x, y), pearson_rows, 200, np.random.default_rng(9))
    draws = np.random.default_rng(9).integers(0, 40, size=(200, 40))
    expected = [stats.pearsonr(x[d], y[d]).statistic for d in draws]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_pearson_permutation_test_is_pearsonr_permutation_method() -> None:
    from socalign.metrics.resampling import pearson_permutation_test

    rng = np.random.default_rng(8)
    for n in (12, 40, 150):
        x = rng.normal(size=n)
        y = 0.3 * x + rng.normal(size=n)
        for alternative in ("greater", "two-sided"):
            p, r = pearson_permutation_test(x, y, 999, np.random.default_rng(n), alternative)
            peer = stats.pearsonr(x, y, alternative=alternative, method=stats.PermutationMethod(
                n_resamples=999, rng=np.random.default_rng(n)))
            assert p == pytest.approx(peer.pvalue, abs=1e-12)
            assert r == pytest.approx(peer.statistic, abs=1e-12)
    # n! <= n_perm: every ordering, an exact p-value (r = 1 only for the identity of 3! = 6)
    p, r = pearson_permutation_test(np.arange(3.0), np.arange(3.0), 6000, 0)
    assert p == pytest.approx(1 / 6) and r == pytest.approx(1.0)
    assert np.isnan(pearson_permutation_test(np.ones(5), np.arange(5.0), 10, 0)).all()


def test_as_rng_is_the_one_seed_rule() -> None:
    from socalign.metrics.resampling import as_rng

    gen = np.random.default_rng(1)
    assert as_rng(gen) is gen
    assert as_rng(5).integers(1000) == np.random.default_rng(5).integers(1000)
    assert as_rng((5, 2)).integers(1000) == np.random.default_rng([5, 2]).integers(1000)
    for bad in (True, 1.5, np.random.RandomState(0), (), ("a",)):
        with pytest.raises(TypeError):
            as_rng(bad)
