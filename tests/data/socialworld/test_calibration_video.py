"""video_calibration on a tiny SocialWorld: oracle features as the video model, pixels as the caption model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from socalign.data import load_dataset
from socalign.data.socialworld import oracle_features, pixel_features, synthesize
from socalign.data.socialworld.calibration import VIDEO_TARGETS, VideoCalibration, video_calibration
from socalign.data.types import Benchmark
from socalign.scoring import compare, evaluate, model_similarity


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Benchmark:
    """A 30-video SocialWorld, half of it test videos (about 500 test trials, above MIN_TRIALS)."""
    out = tmp_path_factory.mktemp("sw") / "w"
    synthesize(out, n_videos=30, n_frames=4, size=16, n_participants=20, test_fraction=0.5, seed=0,
               calibrate=False)
    return load_dataset(out)


@pytest.fixture(scope="module")
def measured(bench: Benchmark) -> VideoCalibration:
    """Oracle features as the video model, pixel features as the one caption model."""
    return video_calibration(bench, oracle_features(bench), {"pixcap": pixel_features(bench)}, n_boot=200, seed=3)


def test_shares_equal_ratios_of_evaluate(bench: Benchmark, measured: VideoCalibration) -> None:
    """share = video R² / caption R² and pair_share = (video pair OOO - 0.5) / (caption's - 0.5), per evaluate()."""
    video = evaluate(bench, "test", embeddings=oracle_features(bench), n_boot=0)
    caption = evaluate(bench, "test", embeddings=pixel_features(bench), n_boot=0)
    assert np.isfinite([measured.share, measured.pair_share]).all()
    assert measured.share == pytest.approx(video.r2 / caption.r2, rel=1e-12)
    expected_pair = (video.ooo["pair"].accuracy - 0.5) / (caption.ooo["pair"].accuracy - 0.5)
    assert measured.pair_share == pytest.approx(expected_pair, rel=1e-12)
    assert measured.caption == "pixcap" and measured.split == "test"
    assert measured.scores["video"]["r2"] == pytest.approx(video.r2)
    assert set(measured.scores) == {"video", "pixels", "pixcap"}


def test_video_minus_pixels_is_the_paired_comparison(bench: Benchmark, measured: VideoCalibration) -> None:
    """video_minus_pixels is scoring.compare's R² interval (video - pixels) for the same seed and n_boot."""
    sim = model_similarity(bench, "test", oracle_features(bench))
    pix = model_similarity(bench, "test", pixel_features(bench))
    peer = compare(bench, "test", sim, pix, n_boot=200, seed=3).r2
    d = measured.video_minus_pixels
    assert (d["estimate"], d["low"], d["high"]) == pytest.approx((peer.estimate, peer.low, peer.high))
    assert d["unit"] == "videos" and d["n_boot"] == 200
    assert d["low"] > 0  # the oracle is far above colour histograms


def test_checks_are_booleans_consistent_with_the_targets(measured: VideoCalibration) -> None:
    """Each check is a bool and equals its VIDEO_TARGETS rule applied to the measured value."""
    assert set(measured.checks) == set(VIDEO_TARGETS)
    assert all(type(v) is bool for v in measured.checks.values())
    lo, hi = VIDEO_TARGETS["video_share_of_caption_r2"]
    assert measured.checks["video_share_of_caption_r2"] is (lo <= measured.share <= hi)
    assert measured.checks["video_above_pixels"] is (measured.video_minus_pixels["low"] > 0)
    assert measured.checks["video_pair_share_of_caption"] is (
        measured.pair_share >= VIDEO_TARGETS["video_pair_share_of_caption"])
    assert measured.checks["video_above_pixels"] is True


def test_to_frame_and_to_dict(measured: VideoCalibration) -> None:
    """to_frame has 3 rows (input, measured, target, met, value), met equal to the checks and value
    the number measured shows; to_dict is JSON-able."""
    frame = measured.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 3
    assert list(frame.columns) == ["input", "measured", "target", "met", "value"]
    assert list(frame["met"]) == [measured.checks[k] for k in VIDEO_TARGETS]
    assert list(frame["value"]) == [measured.share, measured.video_minus_pixels["low"], measured.pair_share]
    assert list(frame["measured"]) == [f"{v:.3g}" for v in frame["value"]]
    data = json.loads(json.dumps(measured.to_dict()))
    assert data["checks"] == measured.checks and data["caption"] == "pixcap"


def test_best_caption_model_is_chosen_on_train(bench: Benchmark) -> None:
    """With two caption models the one with the higher train R² is compared (oracle beats pixels)."""
    res = video_calibration(bench, pixel_features(bench),
                            {"pixcap": pixel_features(bench), "oraclecap": oracle_features(bench)}, n_boot=20)
    assert res.caption == "oraclecap"
    assert res.share == pytest.approx(res.scores["pixels"]["r2"] / res.scores["oraclecap"]["r2"])


def test_no_caption_model_is_refused(bench: Benchmark) -> None:
    """captions={} raises ValueError."""
    with pytest.raises(ValueError, match="at least one caption model"):
        video_calibration(bench, oracle_features(bench), {}, n_boot=10)


def test_a_split_under_min_trials_is_refused_with_a_reason(tmp_path) -> None:
    """A test split with fewer than MIN_TRIALS trials is refused with a ValueError that says why."""
    from socalign.data.socialworld.calibration import MIN_TRIALS

    synthesize(tmp_path / "w", n_videos=15, n_frames=4, size=16, n_participants=4, trials_per_participant=40,
               test_fraction=0.5, seed=0, calibrate=False)
    small = load_dataset(tmp_path / "w")
    assert 0 < len(small.split_trials("test")) < MIN_TRIALS
    with pytest.raises(ValueError, match=f"fewer than the {MIN_TRIALS}"):
        video_calibration(small, oracle_features(small), {"pixcap": pixel_features(small)}, n_boot=10)
