"""Paired change of a partition's parts over videos and seeds."""

from __future__ import annotations

import numpy as np
import pytest

from socalign.analyses.partition import (
    PARTS,
    partition_change_similarity,
    partition_similarity,
)


def world(n: int = 30, seed: int = 0):
    """A latent similarity, a language model that sees half of it and noisy video models."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 4))

    def sim(x: np.ndarray) -> np.ndarray:
        s = x @ x.T
        return (s + s.T) / 2

    human = sim(points)
    language = sim(points[:, :2] + 0.3 * rng.normal(size=(n, 2)))
    observed = ~np.eye(n, dtype=bool)
    return rng, points, human, language, observed, sim


def test_no_change_gives_zero_change_and_a_zero_interval() -> None:
    rng, points, human, language, observed, sim = world()
    video = [sim(points[:, 2:] + rng.normal(size=(30, 2))) for _ in range(2)]
    out = partition_change_similarity(human, observed, video, video, language, n_boot=30, seed=0)
    for part in PARTS:
        row = out.rows[part]
        assert row["change"] == pytest.approx(0.0, abs=1e-12)
        assert row["ci_low"] == pytest.approx(0.0, abs=1e-12)
        assert row["ci_high"] == pytest.approx(0.0, abs=1e-12)


def test_point_estimates_are_the_seed_means_of_partition_similarity() -> None:
    rng, points, human, language, observed, sim = world(seed=1)
    before = [sim(points[:, 2:] + 2 * rng.normal(size=(30, 2))) for _ in range(3)]
    after = [sim(points[:, :2] + 0.5 * rng.normal(size=(30, 2))) for _ in range(3)]
    out = partition_change_similarity(human, observed, before, after, language, n_boot=0)
    for which, mats in (("before", before), ("after", after)):
        shared = np.mean([
            partition_similarity(human, {"v": m, "o": language}, observed, n_boot=0)
            .components["v & o"] for m in mats])
        assert out.rows["shared"][which] == pytest.approx(shared)
    assert np.isnan(out.rows["shared"]["ci_low"])
    assert out.n_seeds == 3 and out.n_pairs == 30 * 29 // 2


def test_a_video_model_that_learns_what_language_knows_gains_shared_variance() -> None:
    rng, points, human, language, observed, sim = world(n=40, seed=2)
    # before: sees the dimensions language misses; after: the ones language sees
    before = [sim(points[:, 2:] + 0.5 * rng.normal(size=(40, 2))) for _ in range(3)]
    after = [sim(points[:, :2] + 0.5 * rng.normal(size=(40, 2))) for _ in range(3)]
    out = partition_change_similarity(human, observed, before, after, language, n_boot=200,
                                      seed=0)
    shared = out.rows["shared"]
    assert shared["ci_low"] > 0 and shared["change"] > 0
    assert shared["ci_low"] <= shared["change"] <= shared["ci_high"]
    assert out.to_frame()["part"].tolist() == list(PARTS)


def test_seed_resampling_widens_the_interval() -> None:
    rng, points, human, language, observed, sim = world(n=30, seed=3)
    before = [sim(points[:, 2:] + 0.5 * rng.normal(size=(30, 2)))] * 3
    same = [sim(points[:, :2] + 0.5 * rng.normal(size=(30, 2)))] * 3
    spread = [sim(points[:, :2] + s * rng.normal(size=(30, 2))) for s in (0.1, 1.0, 3.0)]
    narrow = partition_change_similarity(human, observed, before, same, language, n_boot=200)
    wide = partition_change_similarity(human, observed, before, spread, language, n_boot=200)

    def width(p):
        return p.rows["full R²"]["ci_high"] - p.rows["full R²"]["ci_low"]

    assert width(wide) > width(narrow)


def test_mismatched_seeds_are_refused() -> None:
    _, _, human, language, observed, _ = world()
    with pytest.raises(ValueError, match="one similarity per seed"):
        partition_change_similarity(human, observed, [language], [], language)
