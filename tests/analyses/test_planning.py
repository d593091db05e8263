"""Planning: SocialWorld's observers without rendering, the true expected similarity, power."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.analyses.planning import (
    ceiling_curve,
    filled_similarity,
    keep_probability,
    observer_world,
    population_probabilities,
    power_curve,
    quality,
    true_expected_similarity,
)
from socalign.data.socialworld.observers import choice_probabilities


@pytest.fixture(scope="module")
def small_world():
    return observer_world(seed=3, n_videos=16)


def test_the_world_is_the_synthesized_benchmarks(tmp_path) -> None:
    from socalign.data import load_dataset
    from socalign.data.socialworld.calibration import observer_inputs
    from socalign.data.socialworld.synth import synthesize

    synthesize(tmp_path / "w", n_videos=15, seed=2, n_frames=2, size=16, n_participants=4,
               trials_per_participant=20, calibrate=False)
    features, weights, model = observer_inputs(load_dataset(tmp_path / "w"))
    world = observer_world(seed=2, n_videos=15)
    # videos.csv rounds the colours to 4 decimals, which the replay reads back.
    np.testing.assert_allclose(world.features, features, atol=2e-3)
    np.testing.assert_array_equal(world.weights, weights)
    assert world.model == model
    # The same streams judge the same schedule exactly as the benchmark's people did.
    import pandas as pd

    from socalign.data.socialworld.generator import stream
    from socalign.data.socialworld.observers import make_schedule

    triplets, who = make_schedule(15, 4, 20, 2, stream(2, "design"))
    odd = world.judge(triplets, who, stream(2, "observers"))
    stored = pd.read_csv(tmp_path / "w" / "trials.csv")
    np.testing.assert_array_equal(triplets[np.arange(len(odd)), odd], stored["choice"].to_numpy())


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 9), temperature=st.floats(0.1, 2.0), lapse=st.floats(0.0, 0.5), seed=st.integers(0, 99))
def test_keep_probability_is_the_mean_over_third_items(n, temperature, lapse, seed) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(n, n))
    s = (s + s.T) / 2
    got = keep_probability(s, temperature, lapse)
    for i in range(n):
        for j in range(n):
            if i == j:
                assert got[i, j] == 1.0
                continue
            ps = []
            for c in range(n):
                if c in (i, j):
                    continue
                z = np.array([s[i, j], s[i, c], s[j, c]]) / temperature
                ps.append((1 - lapse) * np.exp(z[0] - z.max()) / np.exp(z - z.max()).sum() + lapse / 3)
            assert got[i, j] == pytest.approx(np.mean(ps), abs=1e-10)


def test_true_similarity_matches_choice_probabilities_and_simulated_people(small_world) -> None:
    w = small_world
    rng = np.random.default_rng(0)
    truth = true_expected_similarity(w, 8, np.random.default_rng(1))
    assert truth[np.triu_indices(w.n_items, 1)].mean() == pytest.approx(1 / 3, abs=1e-9)
    # Pair (0, 1): the population probability of keeping it, over every third video.
    triplets = np.array([[c, 0, 1] for c in range(2, w.n_items)])
    prob = population_probabilities(w, triplets, 8, np.random.default_rng(1))
    assert truth[0, 1] == pytest.approx(prob[:, 0].mean(), abs=1e-9)
    # Simulated people agree with it within sampling error.
    many = np.repeat(triplets, 400, axis=0)
    odd = w.judge(many, np.arange(len(many)) // 50, rng)
    assert (odd == 0).mean() == pytest.approx(truth[0, 1], abs=0.03)
    one = choice_probabilities(w.features, w.weights, triplets, w.model)
    assert one.shape == prob.shape


def test_filled_similarity_and_quality() -> None:
    t = np.array([[0, 1, 2], [0, 1, 3]])
    sim = filled_similarity(t, np.array([2, 2]), 4)
    assert sim[0, 1] == 1.0 and sim[2, 3] == pytest.approx(np.mean([1, 0, 0, 0, 0]))
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.random((6, 6)), rng.random((6, 6))
    a, b = a + a.T, b + b.T
    iu = np.triu_indices(6, 1)
    q = quality(a, b)
    assert q["spearman"] == pytest.approx(spearmanr(a[iu], b[iu]).statistic)
    assert q["r2"] == pytest.approx(q["spearman"] ** 2)


def test_power_grows_for_a_real_difference_and_stays_low_without_one(small_world) -> None:
    w = small_world
    oracle = w.features * np.sqrt(w.weights)
    from socalign.metrics.similarity import similarity_from_embeddings

    a = similarity_from_embeddings(oracle)
    b = similarity_from_embeddings(np.random.default_rng(0).normal(size=oracle.shape))
    real = power_curve(a, b, [30, 600], "ooo", "socialworld", world=w, n_studies=30,
                       trials_per_participant=30, rng=np.random.default_rng(0))
    assert real.table["power"].iloc[-1] >= 0.9 and real.needed in (30, 600)
    null = power_curve(a, a, [600], "ooo", world=w, n_studies=20, rng=np.random.default_rng(0))
    assert null.table["power"].iloc[0] == 0.0  # identical models never differ
    r2 = power_curve(a, b, [200, 1500], "r2", world=w, n_studies=20, rng=np.random.default_rng(1))
    assert r2.table["mean_difference"].iloc[-1] > 0


def test_power_from_pilot_resamples_participants(small_world) -> None:
    w = small_world
    rng = np.random.default_rng(2)
    from socalign.analyses.planning import _random_triplets

    t = _random_triplets(w.n_items, 2000, rng)
    who = np.arange(2000) // 100
    odd = w.judge(t, who, rng)
    oracle = w.features * np.sqrt(w.weights)
    from socalign.metrics.similarity import similarity_from_embeddings

    a = similarity_from_embeddings(oracle)
    b = similarity_from_embeddings(rng.normal(size=oracle.shape))
    curve = power_curve(a, b, [300, 1000], "ooo", "pilot", pilot=(t, odd, who), n_studies=20, rng=rng)
    assert set(curve.table["judgments"]) == {300, 1000} and curve.source == "pilot"
    ceil = ceiling_curve(w.n_items, [500, 2000], 0.05, "pilot", pilot=(t, odd, who), n_studies=10, rng=rng)
    hw = ceil.table["half_width"].to_numpy()
    assert hw[1] < hw[0]


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"source": "pilot"}, "pilot"), ({"source": "socialworld"}, "ObserverWorld"), ({"source": "x", "world": 1}, "source"),
])
def test_bad_sources_are_named(kwargs, fragment) -> None:
    with pytest.raises(ValueError, match=fragment):
        power_curve(np.eye(3), np.eye(3), [10], **kwargs)


def test_bad_world_size() -> None:
    with pytest.raises(ValueError, match="n_videos"):
        observer_world(0, 2)
