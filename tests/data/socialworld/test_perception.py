"""SocialWorld's perception clips (the toy's pretraining data), the framing camera, and the
perception floor of the shipped toy backbone on a small world."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.data.socialworld import perception
from socalign.data.socialworld.perception import PerceptionTargets, agent_fields, perception_clip
from socalign.data.socialworld.scenes import FRAMING_JITTER, INTERACTION_TYPES, MARGIN, simulate


def test_agent_fields_do_not_depend_on_which_agent_is_which() -> None:
    rng = np.random.default_rng(0)
    pos, head, speed = rng.uniform(0.1, 0.9, (5, 2, 2)), rng.uniform(-3, 3, (5, 2)), rng.uniform(0, 0.3, (5, 2))
    maps = agent_fields(pos, head, speed, grid=6, sigma=1 / 6)
    swapped = agent_fields(pos[:, ::-1], head[:, ::-1], speed[:, ::-1], grid=6, sigma=1 / 6)
    assert maps.shape == (5, len(perception.FIELD_CHANNELS), 6, 6)
    np.testing.assert_allclose(maps, swapped, rtol=1e-6)
    # occupancy peaks at the agent: one agent at the centre of cell (2, 3)
    one = agent_fields(np.array([[[3.5 / 6, 2.5 / 6]]]), np.zeros((1, 1)), np.zeros((1, 1)), 6, 1 / 6)
    assert np.unravel_index(one[0, 0].argmax(), (6, 6)) == (2, 3)
    np.testing.assert_allclose(one[0, 1], one[0, 0], rtol=1e-6)  # heading 0: cos = 1
    np.testing.assert_allclose(one[0, 2], 0, atol=1e-7)  # sin = 0


def test_perception_clip_is_deterministic_and_laid_out_as_named() -> None:
    targets = PerceptionTargets(grid=4, time_bins=2, patch_grid=4)
    frames, clip, patch = perception_clip(np.random.default_rng([3, 20, 0]), 6, 32, targets, (0.06, 0.085))
    again = perception_clip(np.random.default_rng([3, 20, 0]), 6, 32, targets, (0.06, 0.085))
    assert frames.shape == (6, 32, 32, 3) and frames.dtype == np.uint8
    assert clip.shape == (len(targets.names()),) and patch.shape == (6, 4, 4, 4)
    np.testing.assert_array_equal(frames, again[0])
    np.testing.assert_array_equal(clip, again[1])
    names = targets.names()
    patterns = clip[[k for k, n in enumerate(names) if n.startswith("pattern:")]]
    assert set(np.unique(patterns)) <= {0.0, 1.0} and 1 <= patterns.sum() <= 2
    slower, faster = clip[names.index("speed_slower")], clip[names.index("speed_faster")]
    assert 0 <= slower <= faster
    # no target names a relation between the agents, a type, a rating or a caption
    forbidden = ("distance", "approach", "facing", "pursuit", "contact", *INTERACTION_TYPES)
    assert not [n for n in names if any(word in n for word in forbidden)]


def test_perception_set_rejects_a_bad_count() -> None:
    with pytest.raises(ValueError, match="n_clips"):
        perception.perception_set(0, seed=0)


def test_the_camera_frames_the_pair_near_the_middle() -> None:
    """The framing camera puts the pair's mean position within a few jitter sds of the frame's
    middle, and both agents stay inside the margins."""
    centres = []
    for i in range(110):
        traj = simulate(INTERACTION_TYPES[i % len(INTERACTION_TYPES)], np.random.default_rng([0, 2, i]))
        assert traj.positions.min() >= MARGIN - 1e-9 and traj.positions.max() <= 1 - MARGIN + 1e-9
        centres.append(traj.positions.reshape(-1, 2).mean(axis=0))
    offsets = np.abs(np.asarray(centres) - 0.5)
    assert np.median(offsets) < 2 * FRAMING_JITTER
    assert offsets.max() < 0.5 - MARGIN


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from socalign.data.socialworld import synthesize

    root = tmp_path_factory.mktemp("sw") / "world"
    synthesize(root, n_videos=150, seed=3, n_frames=16, size=64, n_participants=40, calibrate=False)
    return root


def test_shipped_toy_sees_the_agents_on_a_small_world(small_world: Path, tmp_path: Path, monkeypatch) -> None:
    """A fast proxy of the perception floor, on a 150-video world of another seed than the demo's:
    the frozen shipped toy (the default, ``toy``) decodes how far apart the agents are, how fast
    they move and which way they face (benchmarks/demo_story.py checks the floor itself on the
    demo), and far better than colour histograms do. Measured by 5-fold cross-validation over
    all 150 videos: its 30 test videos alone were too few (the same toy's distance probe read
    r = 0.338 on them and 0.745 cross-validated)."""
    pytest.importorskip("torch")
    from socalign.analyses.perception import PERCEPTION_FLOOR
    from socalign.data import load_dataset
    from socalign.models.embed import embed_benchmark
    from socalign.models.toy import toy_backbone

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    bench = load_dataset(small_world)
    emb = embed_benchmark(bench, str(toy_backbone("toy")), cache=False)
    latent = pd.read_csv(small_world / "videos.csv")  # benchmark row order
    r = {m: _cross_validated_r(emb, latent[f"latent_{m}"].to_numpy()) for m in ("distance", "speed", "facing")}
    assert r["distance"] >= PERCEPTION_FLOOR["distance"] - 0.2, r
    assert r["speed"] >= PERCEPTION_FLOOR["speed"] - 0.1, r
    assert r["facing"] >= PERCEPTION_FLOOR["facing"] - 0.1, r
    pixels = _cross_validated_r(_histograms(bench), latent["latent_distance"].to_numpy())
    assert pixels < r["distance"] - 0.3  # the pixels do not see it


def _cross_validated_r(features: np.ndarray, target: np.ndarray) -> float:
    """Pearson r of a standardised ridge probe's 5-fold out-of-fold predictions (one shuffle)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    predicted = cross_val_predict(probe, features, target, cv=KFold(5, shuffle=True, random_state=0))
    return float(np.corrcoef(predicted, target)[0, 1])


def _histograms(bench):
    from socalign.data.socialworld.features import pixel_features

    return pixel_features(bench)
