"""The identities ``socalign ceiling`` prints by (issue 28): the R² ceiling *is* the split-half
reliability r_sb (one number, printed once under both names), and the OOO ceiling over all
trials is the trial-weighted mean of its value over repeated triplets and the prior's (so it
lies between the two, as the printed line says)."""

from __future__ import annotations

import numpy as np
import pytest

from socalign.metrics import benchmark_ceilings, ooo_ceiling
from tests.helpers.tables import make_tables


def _trials(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Triplets of 30 items: some shown 2-4 times, most once; choices from planted p."""
    rng = np.random.default_rng(seed)
    triplets, odd = [], []
    for _triplet in range(400):
        items = rng.choice(30, 3, replace=False)
        p = rng.dirichlet([0.7] * 3)
        for _ in range(int(rng.choice([1, 1, 1, 2, 3, 4]))):
            triplets.append(rng.permutation(items))
            odd.append(int(rng.choice(3, p=p)))
    return np.array(triplets), np.array(odd)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ooo_ceiling_weighs_repeated_triplets_and_the_prior_by_their_trials(seed: int) -> None:
    triplets, odd = _trials(seed)
    res = ooo_ceiling(triplets, odd, n_draws=20_000, rng=seed)
    once = res.n_trials - res.n_repeated_trials
    assert 0 < once and 0 < res.n_repeated_trials
    weighted = (res.n_repeated_trials * res.repeated_ceiling + once * res.prior_ceiling) / res.n_trials
    assert res.ceiling == pytest.approx(weighted, rel=1e-12)
    low, high = sorted([res.repeated_ceiling, res.prior_ceiling])
    assert low <= res.ceiling <= high


def test_r2_ceiling_and_reliability_are_one_number_with_one_spread(tmp_path) -> None:
    from socalign.data import load_dataset
    from socalign.data.layout import write_benchmark

    videos, trials, captions = make_tables(n_videos=18, n_trials=1200, seed=3)
    bench = load_dataset(write_benchmark(tmp_path / "b", videos, trials, captions, {"name": "b"}))
    quantities = benchmark_ceilings(bench, None, n_splits=20, seed=1, n_draws=2000).quantities()
    r2, reliability = quantities["r2_ceiling"], quantities["reliability"]
    assert np.isfinite(r2["estimate"])
    for key in ("estimate", "low", "high", "n"):
        assert r2[key] == reliability[key], key
    assert r2["low"] < r2["estimate"] < r2["high"]  # a spread over the splits, not a point
