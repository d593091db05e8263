"""The pooled paired bootstrap of mean R² over several models per side, against its peer and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from socalign.metrics.resampling import (
    paired_bootstrap_alignment,
    pooled_paired_bootstrap_alignment,
)


def _symmetric(rng: np.random.Generator, n: int, latent: np.ndarray, noise: float) -> np.ndarray:
    """An exactly symmetric similarity of ``latent`` plus noise (continuous: no ties)."""
    feats = latent + rng.normal(scale=noise, size=latent.shape)
    sim = np.corrcoef(feats)
    return (sim + sim.T) / 2


def _world(n: int = 10, n_models: int = 4, seed: int = 0, drop: float = 0.25):
    """Random human similarity (NaN off the observed pairs), an observed mask, and model matrices."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    human = _symmetric(rng, n, latent, 0.8)
    observed = np.triu(rng.random((n, n)) > drop, 1)
    observed = observed | observed.T
    human = np.where(observed | np.eye(n, dtype=bool), human, np.nan)
    models = [_symmetric(rng, n, latent, noise) for noise in np.linspace(0.3, 2.0, n_models)]
    return models, human, observed


def _r2_by_hand(model: np.ndarray, human: np.ndarray, observed: np.ndarray,
                indices: np.ndarray | None) -> float:
    """scipy's squared Spearman over the observed pairs (i < j) among ``indices``."""
    idx = np.arange(len(human)) if indices is None else np.asarray(indices)
    a, b = np.triu_indices(idx.size, 1)
    i, j = idx[a], idx[b]
    keep = observed[i, j]
    return float(stats.spearmanr(model[i[keep], j[keep]], human[i[keep], j[keep]]).statistic) ** 2


@pytest.mark.parametrize("unit", ["videos", "pairs"])
@pytest.mark.parametrize("indices", [None, np.array([7, 0, 2, 3, 5, 8, 9, 1])])
def test_one_model_per_side_equals_the_paired_bootstraps_r2(unit: str, indices: np.ndarray | None) -> None:
    """With one model per side, the estimate, interval, samples and p-value equal paired_bootstrap_alignment's r2."""
    (a, b, *_), human, observed = _world()
    pooled = pooled_paired_bootstrap_alignment([a], [b], human, observed, indices, unit, 300, 11, 0.9)
    peer = paired_bootstrap_alignment(a, b, human, observed, indices, unit, 300, 11, 0.9)["r2"]
    assert pooled.estimate == pytest.approx(peer.estimate, abs=1e-12)
    assert pooled.low == pytest.approx(peer.low, abs=1e-12)
    assert pooled.high == pytest.approx(peer.high, abs=1e-12)
    np.testing.assert_allclose(pooled.samples, peer.samples, atol=1e-12)
    assert pooled.p_value == pytest.approx(peer.p_value)
    assert (pooled.unit, pooled.n_boot, pooled.n_valid, pooled.level) == (unit, 300, peer.n_valid, 0.9)


@pytest.mark.parametrize("indices", [None, np.array([9, 4, 0, 6, 2, 1, 3])])
def test_estimate_is_the_difference_of_mean_scipy_r2(indices: np.ndarray | None) -> None:
    """The estimate is mean scipy Spearman² over side A minus the same over side B (3 against 2 models)."""
    models, human, observed = _world(n_models=5, seed=3)
    side_a, side_b = models[:3], models[3:]
    res = pooled_paired_bootstrap_alignment(side_a, side_b, human, observed, indices, n_boot=50, rng=0)
    expected = (np.mean([_r2_by_hand(m, human, observed, indices) for m in side_a])
                - np.mean([_r2_by_hand(m, human, observed, indices) for m in side_b]))
    assert res.estimate == pytest.approx(expected, abs=1e-12)
    assert res.statistic == "mean r2 difference (a - b)"
    assert res.low <= res.high and res.p_value is not None and 0.0 < res.p_value <= 1.0


def test_the_first_resample_is_the_weighted_r2_difference_of_one_video_draw() -> None:
    """Resample 0 under 'videos' equals the mean weighted Spearman² difference for the first draw of the rng."""
    from socalign.metrics.rsa import pair_vectors, weighted_spearman

    models, human, observed = _world(n_models=3, seed=5)
    res = pooled_paired_bootstrap_alignment(models[:2], models[2:], human, observed, n_boot=4, rng=7)
    draw = np.random.default_rng(7).integers(0, 10, size=10)
    counts = np.bincount(draw, minlength=10).astype(float)
    r2 = []
    for m in models:
        x, y, i, j = pair_vectors(m, human, observed)
        r2.append(float(weighted_spearman(x, y, counts[i] * counts[j])[0]) ** 2)
    assert res.samples[0] == pytest.approx(np.mean(r2[:2]) - r2[2], abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_a=st.integers(1, 3),
    n_b=st.integers(1, 3),
    unit=st.sampled_from(["videos", "pairs"]),
    level=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_swapping_the_sides_negates_estimate_and_interval(seed: int, n_a: int, n_b: int, unit: str,
                                                          level: float) -> None:
    """Swapping A and B negates the estimate and the samples, and the bounds swap and negate."""
    models, human, observed = _world(n=8, n_models=n_a + n_b, seed=seed)
    side_a, side_b = models[:n_a], models[n_a:]
    ab = pooled_paired_bootstrap_alignment(side_a, side_b, human, observed, None, unit, 60, seed, level)
    ba = pooled_paired_bootstrap_alignment(side_b, side_a, human, observed, None, unit, 60, seed, level)
    assert ba.estimate == pytest.approx(-ab.estimate, abs=1e-12)
    np.testing.assert_allclose(ba.samples, -ab.samples, atol=1e-12)
    assert ba.low == pytest.approx(-ab.high, abs=1e-10)
    assert ba.high == pytest.approx(-ab.low, abs=1e-10)
    assert ba.n_valid == ab.n_valid
    assert ba.p_value == pytest.approx(ab.p_value)


@pytest.mark.parametrize("unit", ["videos", "pairs"])
def test_identical_sides_give_zero_and_a_zero_width_interval(unit: str) -> None:
    """The same models on both sides: estimate 0, interval [0, 0], p-value 1."""
    models, human, observed = _world(n_models=2, seed=1)
    res = pooled_paired_bootstrap_alignment(models, models, human, observed, None, unit, 200, 4)
    assert res.estimate == 0.0
    assert res.low == 0.0 and res.high == 0.0
    assert res.n_valid > 0 and res.p_value == 1.0


def test_an_empty_side_is_refused() -> None:
    """No model on a side raises ValueError, whichever side it is."""
    models, human, observed = _world(n_models=1)
    with pytest.raises(ValueError, match="at least one model"):
        pooled_paired_bootstrap_alignment([], models, human, observed)
    with pytest.raises(ValueError, match="at least one model"):
        pooled_paired_bootstrap_alignment(models, [], human, observed)
    with pytest.raises(ValueError, match="at least one model"):
        pooled_paired_bootstrap_alignment((), (), human, observed)
