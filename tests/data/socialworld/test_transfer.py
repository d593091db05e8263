"""SocialWorld's transfer set: labels from the types' latent valence, the labelled layout, sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socalign.analyses.transfer import plan_transfer, read_transfer_labels
from socalign.data import load_dataset
from socalign.data.layout import LABEL_COLUMN, LABELS_LAYOUT_VERSION, SET_COLUMN
from socalign.data.phase.source import GENERALIZATION_SET, LABELS, MAIN_SET, SPLIT_OF_SET
from socalign.data.socialworld.render import read_mp4
from socalign.data.socialworld.scenes import INTERACTION_TYPES
from socalign.data.socialworld.transfer import (
    VALENCE_THRESHOLDS,
    read_transfer_set,
    synthesize_transfer_set,
    type_labels,
    type_valence,
    valence_label,
)

SMALL = {"n_videos": 33, "n_frames": 4, "size": 32}


@pytest.fixture(scope="module")
def tset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("transfer") / "set"
    synthesize_transfer_set(out, seed=3, **SMALL)
    return out


@given(v=st.floats(0.0, 1.0))
def test_valence_label_cuts_the_scale_in_thirds(v: float) -> None:
    low, high = VALENCE_THRESHOLDS
    want = "adversarial" if v < low else "friendly" if v > high else "neutral"
    assert valence_label(v) == want


def test_valence_label_bounds_and_refusals() -> None:
    assert list(valence_label([0.0, 1 / 3, 0.5, 2 / 3, 1.0])) == [
        "adversarial", "neutral", "neutral", "neutral", "friendly"]
    for bad in (-0.01, 1.01, float("nan")):
        with pytest.raises(ValueError, match=r"valence must lie in \[0, 1\]"):
            valence_label(bad)


def test_type_labels_follow_the_reference_valence() -> None:
    """Every type gets the label of its own mean valence; all three labels occur."""
    valences = type_valence(n_per_type=8)
    labels = type_labels(valences)
    assert list(labels) == list(INTERACTION_TYPES)
    for kind, v in valences.items():
        assert labels[kind] == valence_label(v)
    assert set(labels.values()) == set(LABELS)
    assert labels["fight"] == "adversarial" and labels["converse"] == "friendly"


def test_transfer_set_is_a_labelled_benchmark_with_both_sets(tset: Path) -> None:
    bench = load_dataset(tset)
    assert bench.metadata["layout"] == LABELS_LAYOUT_VERSION
    assert len(bench.videos) == SMALL["n_videos"] and len(bench.trials) == 0
    videos = pd.read_csv(tset / "videos.csv")
    summary = read_transfer_set(tset)
    # each video's label is its type's; sets and splits agree
    assert (videos[LABEL_COLUMN] == videos["interaction"].map(summary.type_labels)).all()
    assert (videos["split"] == videos[SET_COLUMN].map(SPLIT_OF_SET)).all()
    # the counts reported are the counts written, and each label is in both sets
    for s in (MAIN_SET, GENERALIZATION_SET):
        for label in LABELS:
            n = int(((videos[SET_COLUMN] == s) & (videos[LABEL_COLUMN] == label)).sum())
            assert summary.counts[s][label] == n
            assert n >= 1, (s, label)
    frame = summary.count_frame()
    assert frame.loc["total", "total"] == SMALL["n_videos"]
    assert round(len(videos) * 0.2) == int((videos[SET_COLUMN] == GENERALIZATION_SET).sum())
    # socalign transfer reads it as it reads rendered PHASE: the paper protocol
    found, protocol = plan_transfer(bench)
    assert protocol == "paper"
    assert list(found.labels) == list(read_transfer_labels(bench).labels)


def test_transfer_set_videos_are_in_the_phase_look(tset: Path) -> None:
    frames = read_mp4(tset / "videos" / "0000.mp4")
    assert frames.shape == (SMALL["n_frames"], SMALL["size"], SMALL["size"], 3)
    # the room's floor (most of the frame) is near white, the outer wall ring (pixel 0 at 32 px)
    # near black: not SocialWorld's own coloured, textured backgrounds
    assert np.median(frames[0].reshape(-1, 3), axis=0).min() > 200
    assert frames[0, 0, 10:20].max() < 60


def test_same_seed_same_files_other_seed_other_files(tset: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synthesize_transfer_set(again, seed=3, **SMALL)
    assert (again / "videos.csv").read_text() == (tset / "videos.csv").read_text()
    assert np.array_equal(read_mp4(again / "videos" / "0005.mp4"), read_mp4(tset / "videos" / "0005.mp4"))
    other = tmp_path / "other"
    synthesize_transfer_set(other, seed=4, **SMALL)
    assert (other / "videos.csv").read_text() != (tset / "videos.csv").read_text()


@pytest.mark.parametrize(("change", "message"), [
    ({"n_videos": 10}, "--videos must be an integer >= 30"),
    ({"look": "cartoon"}, "--look must be one of"),
    ({"size": 15}, "--size must be an even number"),
    ({"generalization_fraction": 1.0}, "test_fraction must lie strictly between 0 and 1"),
])
def test_bad_arguments_are_refused_before_writing(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthesize_transfer_set(tmp_path / "x", **{**SMALL, **change})
    assert not (tmp_path / "x").exists()
