"""The minimal detectable effect and power, checked against scipy's power by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from socalign.metrics.detectable import (
    detectable_change,
    paired_accuracy_se,
    power_at,
    se_from_interval,
)


def z_test_pvalue(se: float):
    """A two-sided z-test of one estimate with known standard error, as scipy.stats.power takes it."""
    def test(x, axis=-1):
        return 2 * stats.norm.sf(np.abs(np.mean(x, axis=axis)) / se)
    return test


@pytest.mark.parametrize("se", [0.01, 0.05, 0.2])
def test_power_at_the_detectable_change_matches_scipy_simulation(se: float) -> None:
    effect = detectable_change(se)
    rng = np.random.default_rng(0)
    simulated = stats.power(z_test_pvalue(se), lambda size: rng.normal(effect, se, size=size),
                            n_observations=(1,), significance=0.05, n_resamples=40000,
                            vectorized=True).power
    assert float(np.squeeze(simulated)) == pytest.approx(0.8, abs=0.01)
    assert power_at(effect, se) == pytest.approx(0.8, abs=1e-3)  # (other tail: ~1e-5)


@pytest.mark.parametrize("effect", [0.0, 0.02, 0.1])
def test_power_at_matches_scipy_simulation(effect: float) -> None:
    se = 0.04
    rng = np.random.default_rng(1)
    simulated = stats.power(z_test_pvalue(se), lambda size: rng.normal(effect, se, size=size),
                            n_observations=(1,), significance=0.05, n_resamples=40000,
                            vectorized=True).power
    assert power_at(effect, se) == pytest.approx(float(np.squeeze(simulated)), abs=0.01)


def test_detectable_change_at_the_usual_settings() -> None:
    # (1.95996 + 0.84162) standard errors: the textbook 2.80
    assert detectable_change(1.0) == pytest.approx(2.8016, abs=1e-4)
    # a 95% interval of width w: 0.715 w
    assert detectable_change(se_from_interval(-1.0, 1.0)) == pytest.approx(2.8016 / 1.95996, abs=1e-4)


@given(st.floats(-1e3, 1e3), st.floats(1e-6, 1e3), st.floats(0.5, 0.999))
@settings(max_examples=100, deadline=None)
def test_se_from_interval_inverts_a_normal_interval(centre: float, se: float, level: float) -> None:
    z = stats.norm.ppf((1 + level) / 2)
    assert se_from_interval(centre - z * se, centre + z * se, level) == pytest.approx(se, rel=1e-6)


@given(st.floats(1e-4, 10.0), st.floats(0.01, 0.2), st.floats(0.5, 0.99))
@settings(max_examples=100, deadline=None)
def test_power_at_the_detectable_change_is_the_power_asked(se: float, alpha: float, power: float) -> None:
    effect = detectable_change(se, alpha, power)
    assert power_at(effect, se, alpha) == pytest.approx(power, abs=alpha / 2 + 1e-9)
    assert power_at(effect, se, alpha) >= power - 1e-9
    assert power_at(-effect, se, alpha) == pytest.approx(power_at(effect, se, alpha))


def test_paired_accuracy_se_matches_the_variance_of_paired_outcomes() -> None:
    rng = np.random.default_rng(2)
    n = 200
    before = rng.random(n) < 0.42
    after = np.where(rng.random(n) < 0.7, before, rng.random(n) < 0.3)
    diff = after.astype(float) - before.astype(float)
    discordant = float(np.mean(before != after))
    got = paired_accuracy_se(before.mean(), after.mean(), discordant, n)
    assert got == pytest.approx(np.std(diff) / math.sqrt(n), rel=1e-9)


@pytest.mark.parametrize("call", [
    lambda: se_from_interval(1.0, 0.0),
    lambda: se_from_interval(0.0, 1.0, level=1.0),
    lambda: detectable_change(-1.0),
    lambda: detectable_change(1.0, alpha=0.0),
    lambda: power_at(0.1, -1.0),
    lambda: paired_accuracy_se(0.5, 0.6, 0.05, 10),
    lambda: paired_accuracy_se(0.5, 0.6, 0.2, 0),
])
def test_bad_input_is_refused(call) -> None:
    with pytest.raises(ValueError):
        call()


def test_non_finite_input_gives_nan() -> None:
    assert math.isnan(se_from_interval(float("nan"), 1.0))
    assert math.isnan(detectable_change(float("nan")))
    assert math.isnan(power_at(0.1, float("inf")))
