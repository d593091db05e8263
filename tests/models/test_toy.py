"""The toy TimeSformer: pretraining on a tiny action set rendered here, saving, caching, loading,
and the registry lookup that never pretrains."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from socalign.data.socialworld import ActionSet, read_action_set
from socalign.models import toy
from socalign.models.pretrain import ensure_toy_backbone
from socalign.models.toy import TINY_SETTINGS
from socalign.models.toy import model as toy_model
from socalign.models.toy import weights as toy_weights
from socalign.models.toy.model import pretrain
from socalign.video import write_video

torch.set_num_threads(1)


def moving_square(direction: int, n: int = 8, size: int = 32, offset: int = 0) -> np.ndarray:
    """A bright 8-px square crossing the frame rightwards (+1) or leftwards (-1), at a row set
    by ``offset``, over a dark background."""
    frames = np.full((n, size, size, 3), 30, dtype=np.uint8)
    row = 2 + 6 * (offset % 4)
    for t in range(n):
        x = 3 * t if direction > 0 else size - 8 - 3 * t
        frames[t, row : row + 8, x : x + 8] = 230
    return frames


@pytest.fixture(scope="module")
def action_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two actions (left, right), 12 train and 8 test clips, in SocialWorld's action-set layout."""
    root = tmp_path_factory.mktemp("actions")
    rows = []
    for i in range(20):
        label = "right" if i % 2 else "left"
        name = f"clips/a{i:02d}.mp4"
        write_video(root / name, moving_square(1 if i % 2 else -1, offset=i))
        rows.append((name, label, "train" if i < 12 else "test"))
    pd.DataFrame(rows, columns=["file", "label", "split"]).to_csv(root / "actions.csv", index=False)
    (root / "actions.json").write_text(json.dumps({"labels": ["left", "right"]}))
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_reads_the_action_set(action_dir: Path) -> None:
    actions = read_action_set(action_dir)
    assert actions.label_names == ("left", "right")
    assert actions.labels[:4].tolist() == [0, 1, 0, 1]


def test_pretrain_learns_and_saves_a_loadable_timesformer(action_dir: Path, tmp_path: Path, cache) -> None:
    from transformers import AutoImageProcessor, TimesformerForVideoClassification

    from socalign.models.video import forward_features, load_backbone, preprocess

    actions = read_action_set(action_dir)
    out = tmp_path / "toy"
    result = pretrain(actions, out, TINY_SETTINGS, seed=0, device="cpu")
    assert (result.n_train, result.n_test, result.n_classes, result.chance) == (12, 8, 2, 0.5)
    assert result.train_accuracy >= 0.9  # the direction of motion is easy to learn
    assert result.accuracy >= 0.75
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert result.to_dict()["settings"]["n_frames"] == 4
    assert result.to_frame().loc[0, "accuracy"] == result.accuracy

    head = TimesformerForVideoClassification.from_pretrained(out)
    assert head.config.id2label == {0: "left", 1: "right"}
    assert list(AutoImageProcessor.from_pretrained(out).image_mean) == [0.45, 0.45, 0.45]
    model, spec = load_backbone(out, device="cpu")
    assert (spec.family, spec.n_frames, spec.image_size, spec.hidden_size) == ("timesformer", 4, 16, 16)
    clips = np.stack([moving_square(1), moving_square(-1)])
    with torch.inference_mode():
        feats = forward_features(model, spec, preprocess(clips, spec))
    assert feats.shape == (2, 16)

    again = pretrain(actions, tmp_path / "toy2", TINY_SETTINGS, seed=0, device="cpu")
    assert again.accuracy == result.accuracy  # same seed: same run
    a = TimesformerForVideoClassification.from_pretrained(tmp_path / "toy2").classifier.weight
    torch.testing.assert_close(a, head.classifier.weight)


def test_pretrain_needs_train_and_test(tmp_path: Path) -> None:
    actions = ActionSet((tmp_path / "a.mp4",), np.array([0]), ("x",), np.array(["train"]))
    with pytest.raises(ValueError, match="'train' and 'test'"):
        pretrain(actions, tmp_path / "out", TINY_SETTINGS)


def test_ensure_toy_backbone_caches_by_content(action_dir: Path, cache: Path, monkeypatch) -> None:
    first = ensure_toy_backbone(action_dir, seed=0, settings=TINY_SETTINGS, device="cpu")
    assert (first / "model.safetensors").is_file()
    assert first.parent == cache / "toy"

    def fail(*args, **kwargs):
        raise AssertionError("pretrained again")

    monkeypatch.setattr(toy_model, "pretrain", fail)
    assert ensure_toy_backbone(action_dir, seed=0, settings=TINY_SETTINGS) == first
    assert toy.toy_cache_key(action_dir, TINY_SETTINGS, 1) != first.name
    assert not list((cache / "toy").glob(".build-*"))  # the work folder is cleaned up


def test_default_settings_build_a_working_model() -> None:
    from transformers import TimesformerForVideoClassification

    settings = toy.ToySettings()
    assert settings.image_size % settings.patch_size == 0
    assert settings.hidden_size % settings.n_heads == 0
    model = TimesformerForVideoClassification(toy_model.toy_config(settings, ["a", "b", "c"]))
    x = torch.zeros(1, settings.n_frames, 3, settings.image_size, settings.image_size)
    with torch.inference_mode():
        assert model(pixel_values=x).logits.shape == (1, 3)
    assert toy_model.toy_config(settings, ["a", "b"]).label2id == {"a": 0, "b": 1}


def test_action_recipe_learns_socialworld_motion_on_held_out_clips(tmp_path: Path, cache) -> None:
    """The action-recognition recipe, scaled down (three actions, 300 clips of 32 px, 20 epochs: ~25 s),
    beats chance on held-out SocialWorld action clips by a clear margin (measured 0.53 vs 1/3)."""
    from dataclasses import replace

    from scipy.stats import binomtest

    from socalign.data.socialworld import synthesize_actions

    labels = ("still", "linear_fast", "circular_fast")
    actions = synthesize_actions(tmp_path / "a", n_clips=300, seed=0, n_frames=8, size=32, labels=labels)
    result = pretrain(actions, tmp_path / "toy", replace(toy.ACTION_SETTINGS, epochs=20), seed=0, device="cpu")
    assert (result.n_classes, result.n_test) == (3, 60)
    correct = round(result.accuracy * result.n_test)
    assert result.accuracy >= result.chance + 0.15, result.to_dict()
    assert binomtest(correct, result.n_test, result.chance, alternative="greater").pvalue < 0.01


def test_shipped_weights_are_the_default_backbone_and_are_checked(tmp_path: Path, cache, monkeypatch) -> None:
    """The default recipe's seed-0 weights ship in the package: no pretraining on first use,
    a damaged copy is refused, and other settings or seeds are not given the shipped weights."""
    import shutil
    from dataclasses import replace

    def fail(*args, **kwargs):
        raise AssertionError("pretrained although the weights ship")

    monkeypatch.setattr(toy_model, "pretrain_perception", fail)
    assert ensure_toy_backbone(settings=toy.PERCEPTION_SETTINGS) == toy.SHIPPED_TOY
    report = json.loads((toy.SHIPPED_TOY / "pretrain_report.json").read_text())
    assert report["settings"] == toy.PERCEPTION_SETTINGS.to_dict() and report["seed"] == 0
    assert toy.shipped_toy_backbone(toy.PERCEPTION_SETTINGS, seed=1) is None
    assert toy.shipped_toy_backbone(replace(toy.PERCEPTION_SETTINGS, epochs=1)) is None
    damaged = tmp_path / "toy"
    shutil.copytree(toy.SHIPPED_TOY, damaged)
    data = bytearray((damaged / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (damaged / "model.safetensors").write_bytes(bytes(data))
    monkeypatch.setattr(toy_weights, "SHIPPED_TOY", damaged)
    monkeypatch.setattr(toy_weights, "SHIPPED_WEIGHTS", tmp_path / "none")
    with pytest.raises(OSError, match="checksum mismatch"):
        toy.shipped_toy_backbone(toy.PERCEPTION_SETTINGS)


def test_small_perception_pretraining_reproduces_the_recipe(tmp_path: Path, cache) -> None:
    """The perception recipe, scaled down (1,200 clips, 6 epochs: ~40 s), starts to learn where
    the agents are on held-out clips, in the same target groups as the shipped run (5,000 clips,
    24 epochs: occupancy maps 0.78). Measured for this small run: occupancy maps 0.157, per-patch
    maps 0.26; a broken recipe stays at 0 or below."""
    from dataclasses import replace

    from transformers import TimesformerForVideoClassification

    settings = replace(toy.PERCEPTION_SETTINGS, perception_clips=1200, epochs=6)
    result = toy_model.pretrain_perception(tmp_path / "toy", settings, seed=0, device="cpu")
    shipped = json.loads((toy.SHIPPED_TOY / "pretrain_report.json").read_text())
    assert set(result.explained_variance) == set(shipped["explained_variance"])
    assert result.explained_variance["occupancy map"] >= 0.08, result.explained_variance
    assert result.explained_variance["patch_maps"] >= 0.15, result.explained_variance
    assert shipped["explained_variance"]["occupancy map"] >= 0.75
    assert (result.n_train, result.n_test) == (1080, 120)
    model = TimesformerForVideoClassification.from_pretrained(tmp_path / "toy")
    assert model.config.num_labels == len(toy.perception_targets(settings).names())
