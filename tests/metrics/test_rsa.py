"""Alignment (R² = squared Spearman over observed pairs) and weighted rank correlations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rsatoolbox.rdm import RDMs, compare_correlation, compare_spearman
from scipy import stats

from socalign.metrics import alignment, weighted_spearman
from socalign.metrics.rsa import observed_pairs, weighted_pearson, weighted_ranks


def _sym(values: np.ndarray, n: int) -> np.ndarray:
    out = np.eye(n)
    iu = np.triu_indices(n, 1)
    out[iu] = values
    out[iu[1], iu[0]] = values
    return out


def test_hand_case_uses_only_observed_upper_pairs() -> None:
    # 4 items, pairs (0,1),(0,2),(0,3),(1,2),(1,3),(2,3)
    human = _sym(np.array([0.9, 0.5, np.nan, 0.2, 0.4, 0.1]), 4)
    observed = ~np.isnan(human)
    np.fill_diagonal(observed, False)
    model = _sym(np.array([0.8, 0.6, -5.0, 0.1, 0.3, 0.2]), 4)
    a = alignment(model, human, observed)
    # observed pairs: human (.9,.5,.2,.4,.1) model (.8,.6,.1,.3,.2)
    # ranks human 5,4,2,3,1 model 5,4,1,3,2 -> d^2 = 0+0+1+0+1 = 2 -> rho = 1 - 6*2/(5*24) = 0.9
    assert a.spearman == pytest.approx(0.9)
    assert a.r2 == pytest.approx(0.81)
    assert a.n_pairs == 5 and a.n_items == 4
    assert a.pearson == pytest.approx(
        stats.pearsonr([0.8, 0.6, 0.1, 0.3, 0.2], [0.9, 0.5, 0.2, 0.4, 0.1]).statistic
    )
    sub = alignment(model, human, observed, indices=np.array([0, 1, 2]))
    assert sub.n_pairs == 3 and sub.spearman == pytest.approx(1.0)  # (.9,.5,.2) vs (.8,.6,.1)


def test_matches_rsatoolbox() -> None:
    rng = np.random.default_rng(3)
    n = 12
    latent = rng.normal(size=(n, 3))
    human = np.corrcoef(latent + rng.normal(scale=0.7, size=latent.shape))
    model = np.corrcoef(latent)
    iu = np.triu_indices(n, 1)
    drop = rng.random(iu[0].size) < 0.3
    observed = np.ones((n, n), dtype=bool)
    observed[iu[0][drop], iu[1][drop]] = observed[iu[1][drop], iu[0][drop]] = False
    np.fill_diagonal(observed, False)
    ours = alignment(model, human, observed)
    h = np.where(observed, 1 - human, np.nan)[iu][None]
    m = np.where(observed, 1 - model, np.nan)[iu][None]  # rsatoolbox wants equal NaNs
    assert ours.spearman == pytest.approx(compare_spearman(RDMs(h), RDMs(m))[0, 0])
    assert ours.pearson == pytest.approx(compare_correlation(RDMs(h), RDMs(m))[0, 0])


def test_errors_name_the_problem() -> None:
    human = _sym(np.array([0.9, 0.5, 0.4, 0.2, 0.4, 0.1]), 4)
    obs = np.ones((4, 4), dtype=bool)
    np.fill_diagonal(obs, False)
    bad = human.copy()
    bad[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"model_similarity is NaN or infinite on observed pair \(0, 2\)"):
        alignment(bad, human, obs)
    with pytest.raises(ValueError, match="expected 4x4"):
        alignment(np.eye(3), human, obs)
    with pytest.raises(ValueError, match="constant"):
        alignment(np.ones((4, 4)), human, obs)
    with pytest.raises(ValueError, match="at least 3"):
        alignment(human, human, obs, indices=np.array([0, 1]))
    with pytest.raises(ValueError, match="repeat"):
        observed_pairs(obs, np.array([0, 0, 1]))


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**31 - 1),
    st.integers(3, 25),
)
def test_weighted_spearman_equals_expanded_sample(seed: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, m).astype(float)  # many ties
    y = x + rng.integers(0, 3, m)
    w = rng.integers(0, 4, (4, m))
    w[:, :3] += 1  # at least three units in each row
    got = weighted_spearman(x, y, w)
    for row, wi in zip(got, w, strict=True):
        xe, ye = np.repeat(x, wi), np.repeat(y, wi)
        if np.ptp(xe) == 0 or np.ptp(ye) == 0:
            assert np.isnan(row)
        else:
            assert row == pytest.approx(stats.spearmanr(xe, ye).statistic, abs=1e-12)
    ranks = weighted_ranks(x, w[:1])[0]
    expanded = stats.rankdata(np.repeat(x, w[0]))
    np.testing.assert_allclose(np.repeat(ranks, w[0]), expanded)
    np.testing.assert_allclose(
        weighted_pearson(x, y, np.ones((1, m)))[0],
        np.corrcoef(x, y)[0, 1] if np.ptp(x) and np.ptp(y) else np.nan,
    )


@pytest.mark.parametrize("kind", ["distinct", "ties"])
def test_weighted_ranks_many_values_paths(kind: str) -> None:
    # > FEW_VALUES distinct values: the sort path (with and without ties)
    rng = np.random.default_rng(8)
    x = rng.normal(size=700)
    if kind == "ties":
        x[:100] = x[100]
    w = rng.integers(0, 3, (3, 700))
    ranks = weighted_ranks(x, w)
    for k in range(3):
        np.testing.assert_allclose(np.repeat(ranks[k], w[k]), stats.rankdata(np.repeat(x, w[k])))


def test_metrics_import_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, socalign.metrics, socalign.scoring, socalign.models.embeddings; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
