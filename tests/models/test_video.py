"""Video backbones offline: tiny configs of the real transformers classes, saved and reloaded by
local path through the same ``load_backbone``; registry specs; preprocessing; pooling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers

from socalign.models.registry import KNOWN, get_spec, is_video_model, spec_from_config
from socalign.models.video import auto_device, forward_features, load_backbone, pool, preprocess

torch.set_num_threads(1)

TINY = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32}


def tiny_model(family: str) -> transformers.PreTrainedModel:
    """A tiny randomly initialised model of the real class of each family."""
    torch.manual_seed(0)
    if family == "timesformer":
        cfg = transformers.TimesformerConfig(image_size=16, patch_size=8, num_frames=4, **TINY)
        return transformers.TimesformerModel(cfg)
    if family == "videomae":
        cfg = transformers.VideoMAEConfig(
            image_size=16, patch_size=8, num_frames=4, tubelet_size=2, **TINY
        )
        return transformers.VideoMAEModel(cfg)
    if family == "vjepa2":
        cfg = transformers.VJEPA2Config(
            crop_size=16, patch_size=8, frames_per_clip=4, tubelet_size=2, hidden_size=16,
            num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2.0, pred_hidden_size=16,
            pred_num_hidden_layers=1, pred_num_attention_heads=2,
        )
        return transformers.VJEPA2Model(cfg)
    if family == "clip":
        cfg = transformers.CLIPVisionConfig(image_size=16, patch_size=8, **TINY)
        return transformers.CLIPVisionModel(cfg)
    raise AssertionError(family)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("backbones")
    out = {}
    for family in ("timesformer", "videomae", "vjepa2", "clip"):
        tiny_model(family).save_pretrained(root / family)
        out[family] = root / family
    return out


def random_clips(b: int = 2, t: int = 6, h: int = 20, w: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (b, t, h, w, 3), dtype=np.uint8)


def test_known_paper_backbone_spec() -> None:
    spec = get_spec("facebook/timesformer-base-finetuned-k400")
    assert (spec.family, spec.model_class, spec.n_frames, spec.image_size) == (
        "timesformer", "TimesformerModel", 8, 224)
    assert spec.pooling == "cls" and spec.lora_targets == (
        "qkv", "attention.output.dense", "intermediate.dense", "temporal_dense")
    assert spec.mean == (0.45, 0.45, 0.45)
    vjepa = KNOWN["facebook/vjepa2-vitl-fpc64-256"]
    assert (vjepa.image_size, vjepa.resize_size, vjepa.pooling) == (256, 293, "mean")
    assert KNOWN["openai/clip-vit-base-patch32"].frame_by_frame


@pytest.mark.parametrize(
    ("family", "frames", "pooling", "targets"),
    [("timesformer", 4, "cls",
      ("qkv", "attention.output.dense", "intermediate.dense", "temporal_dense")), ("videomae", 4, "mean", ("query", "key", "value")),
     ("vjepa2", 4, "mean", ("query", "key", "value")), ("clip", 8, "cls", ("q_proj", "k_proj", "v_proj"))],
)
def test_spec_from_local_folder(saved, family, frames, pooling, targets) -> None:
    spec = get_spec(saved[family])
    assert spec.family == family
    assert (spec.n_frames, spec.image_size, spec.n_layers, spec.hidden_size) == (frames, 16, 2, 16)
    assert spec.pooling == pooling and spec.lora_targets == targets
    assert is_video_model(saved[family])


def test_lora_targets_exist_in_each_model() -> None:
    for family in ("timesformer", "videomae", "vjepa2", "clip"):
        names = [n for n, _ in tiny_model(family).named_modules()]
        spec = spec_from_config(family, {"model_type": family})
        for target in spec.lora_targets:  # peft's rule: the whole name or a dotted suffix
            assert any(n == target or n.endswith("." + target) for n in names), (family, target)


def test_spec_errors_name_the_problem(tmp_path: Path) -> None:
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ValueError, match="'bert' is not a supported video backbone"):
        get_spec(tmp_path / "bert")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        get_spec(tmp_path / "empty")
    assert not is_video_model(tmp_path / "bert")


def test_check_layer_counts_from_the_end() -> None:
    spec = KNOWN["MCG-NJU/videomae-base"]  # 12 layers: hidden states 0..12
    assert spec.check_layer(-1) == 12 and spec.check_layer(0) == 0 and spec.check_layer(None) is None
    with pytest.raises(ValueError, match="out of range"):
        spec.check_layer(13)


def test_preprocess_resizes_crops_normalises() -> None:
    spec = spec_from_config("x", {"model_type": "videomae", "image_size": 8, "num_frames": 3})
    # a constant clip of value 255*mean[c] in channel c normalises to 0 everywhere
    clip = np.zeros((1, 6, 10, 14, 3), dtype=np.uint8)
    clip[..., :] = np.round(np.array(spec.mean) * 255).astype(np.uint8)
    out = preprocess(clip, spec)
    assert out.shape == (1, 3, 3, 8, 8) and out.dtype == torch.float32
    assert out.abs().max() < 0.01
    # frames are resampled uniformly: 6 -> 3 frames picks 1, 3, 5
    ramp = np.zeros((1, 6, 8, 8, 3), dtype=np.uint8)
    ramp[:, :, :, :, 0] = np.arange(6, dtype=np.uint8)[None, :, None, None] * 40
    red = preprocess(ramp, spec)[0, :, 0, 0, 0] * spec.std[0] + spec.mean[0]
    np.testing.assert_allclose(red.numpy() * 255, [40, 120, 200], atol=1e-3)


def test_preprocess_centre_crop_keeps_the_middle() -> None:
    spec = spec_from_config("x", {"model_type": "videomae", "image_size": 4, "num_frames": 1})
    clip = np.zeros((1, 1, 4, 8, 3), dtype=np.uint8)  # short edge 4: no resize, crop cols 2..5
    clip[0, 0, :, 2:6] = 255
    out = preprocess(list(clip), spec)
    white = (1.0 - np.array(spec.mean)) / np.array(spec.std)
    np.testing.assert_allclose(out[0, 0].permute(1, 2, 0).numpy(), np.broadcast_to(white, (4, 4, 3)),
                               rtol=1e-5)


def test_preprocess_rejects_bad_clips() -> None:
    spec = KNOWN["MCG-NJU/videomae-base"]
    with pytest.raises(ValueError, match=r"\(B, T, H, W, 3\)"):
        preprocess(np.zeros((2, 8, 8, 3), dtype=np.uint8), spec)
    with pytest.raises(ValueError, match="clip 0 must be"):
        preprocess([np.zeros((2, 8, 8, 3), dtype=np.float32)], spec)


@pytest.mark.parametrize("family", ["timesformer", "videomae", "vjepa2", "clip"])
def test_load_preprocess_forward_each_family(saved, family) -> None:
    model, spec = load_backbone(saved[family], device="cpu")
    assert type(model).__name__ == spec.model_class
    assert not model.training
    pixels = preprocess(random_clips(), spec)
    assert pixels.shape == (2, spec.n_frames, 3, 16, 16)
    with torch.inference_mode():
        last = forward_features(model, spec, pixels)
        first = forward_features(model, spec, pixels, layer=0)
        again = forward_features(model, spec, pixels)
    assert last.shape == (2, 16) and first.shape == (2, 16)
    assert torch.isfinite(last).all()
    torch.testing.assert_close(last, again)  # eval mode: deterministic
    assert not torch.allclose(last, first)


def test_pool_timesformer_is_cls_and_layer_is_hidden_state(saved) -> None:
    model, spec = load_backbone(saved["timesformer"], device="cpu")
    pixels = preprocess(random_clips(b=1), spec)
    with torch.inference_mode():
        out = model(pixel_values=pixels, output_hidden_states=True)
    torch.testing.assert_close(pool(out, spec), out.last_hidden_state[:, 0])
    torch.testing.assert_close(pool(out, spec, layer=1), out.hidden_states[1][:, 0])


def test_clip_frame_by_frame_is_the_mean_over_frames(saved) -> None:
    model, spec = load_backbone(saved["clip"], device="cpu")
    pixels = preprocess(random_clips(b=1), spec)
    with torch.inference_mode():
        video = forward_features(model, spec, pixels)
        per_frame = model(pixel_values=pixels[0]).pooler_output
    torch.testing.assert_close(video[0], per_frame.mean(dim=0))


def test_forward_features_is_differentiable(saved) -> None:
    model, spec = load_backbone(saved["timesformer"], device="cpu")
    feats = forward_features(model, spec, preprocess(random_clips(b=1), spec))
    feats.sum().backward()
    assert model.encoder.layer[0].attention.attention.qkv.weight.grad is not None


def test_trust_remote_code_is_off_by_default(saved, monkeypatch) -> None:
    seen = {}
    original = transformers.TimesformerModel.from_pretrained

    def spy(source, **kwargs):
        seen.update(kwargs)
        return original(source, **kwargs)

    monkeypatch.setattr(transformers.TimesformerModel, "from_pretrained", spy)
    load_backbone(saved["timesformer"], device="cpu")
    assert seen["trust_remote_code"] is False


def test_load_backbone_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises((FileNotFoundError, ValueError), match="nothing-here"):
        load_backbone(tmp_path / "nothing-here" / "sub", device="cpu")


def test_auto_device_prefers_requested() -> None:
    assert auto_device("cpu").type == "cpu"
    assert auto_device(None).type in {"cuda", "mps", "cpu"}


def test_a_classification_checkpoint_loads_as_a_backbone_quietly(tmp_path, capfd, caplog) -> None:
    """The k400 TimeSformer carries a classifier a backbone leaves out: no transformers load
    report on the terminal, one info line in socalign's log; weights the checkpoint lacks warn."""
    import logging
    import warnings

    from safetensors.torch import load_file, save_file

    cfg = transformers.TimesformerConfig(image_size=16, patch_size=8, num_frames=4, num_labels=3,
                                         **TINY)
    torch.manual_seed(0)
    transformers.TimesformerForVideoClassification(cfg).save_pretrained(tmp_path / "k400like")
    capfd.readouterr()
    with caplog.at_level(logging.INFO, logger="socalign.models.video"), warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is missing: no warning
        load_backbone(tmp_path / "k400like", device="cpu")
    assert "LOAD REPORT" not in capfd.readouterr().err
    assert any("not used by the backbone (first: classifier." in r.getMessage()
               for r in caplog.records)
    # a checkpoint that lacks a backbone weight is not quiet
    tiny_model("timesformer").save_pretrained(tmp_path / "partial")
    weights = tmp_path / "partial" / "model.safetensors"
    state = load_file(weights)
    del state["layernorm.weight"]
    save_file(state, weights, metadata={"format": "pt"})
    with pytest.warns(UserWarning, match=r"1 backbone weight\(s\) are not in the checkpoint "
                                         r"and start at random \(first: layernorm.weight\)"):
        load_backbone(tmp_path / "partial", device="cpu")
