"""LoRA model, projection head, save/load, and the training data split."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from socalign.profiles import profile_config  # noqa: E402
from socalign.train.config import TrainConfig  # noqa: E402
from socalign.train.data import make_training_set, split_by_video, triplets_within  # noqa: E402
from socalign.train.model import (  # noqa: E402
    AlignedVideoModel,
    LoraSettings,
    ProjectionHead,
    build_model,
    count_trainable,
)
from tests.helpers.training import N_FRAMES, SIZE, tiny_backbone  # noqa: E402


def _model(seed: int = 0):
    return build_model(tiny_backbone(), 32, LoraSettings(), head_dim=16,
                       generator=torch.Generator().manual_seed(seed))


def test_only_adapters_and_head_train() -> None:
    model = _model()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or n.startswith("head.") for n in trainable)
    targets = {n.split(".lora_")[0].rsplit(".", 1)[-1] for n in trainable if "lora_A" in n}
    assert targets == {"qkv", "dense", "temporal_dense"}
    n_train, n_total = count_trainable(model)
    assert 0 < n_train < n_total


def test_unknown_lora_target_is_named() -> None:
    with pytest.raises(ValueError, match="'to_q' matches no module"):
        build_model(tiny_backbone(), 32, LoraSettings(targets=("to_q",)))


def test_head_outputs_unit_vectors() -> None:
    head = ProjectionHead(8, 4, dropout=0.0)
    out = head(torch.randn(5, 8))
    assert out.shape == (5, 4)
    assert torch.allclose(out.norm(dim=1)[out.norm(dim=1) > 0], torch.ones(5)[out.norm(dim=1) > 0])
    assert (out >= 0).all()  # ReLU before normalisation


def test_same_seed_same_head_and_adapters() -> None:
    a, b = _model(3).trainable_state(), _model(3).trainable_state()
    assert all(torch.equal(a[k], b[k]) for k in a)
    c = _model(4).trainable_state()
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_save_and_reload_give_same_embeddings(tmp_path) -> None:
    model = _model()
    with torch.no_grad():  # move the adapters away from their zero start
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.add_(0.1)
    model.eval()
    x = torch.randn(3, N_FRAMES, 3, SIZE, SIZE)
    with torch.no_grad():
        before = model(x)
    assert model.save(tmp_path / "m", {"backbone": "tiny"}) == tmp_path / "m"
    assert (tmp_path / "m" / "adapter_model.safetensors").exists()
    loaded = AlignedVideoModel.load(tmp_path / "m", backbone=tiny_backbone())
    assert not loaded.training and loaded.source == str(tmp_path / "m")
    with torch.no_grad():
        after = loaded(x)
    assert torch.allclose(before, after, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="adapter_config.json not found"):
        AlignedVideoModel.load(tmp_path, backbone=tiny_backbone())
    with pytest.raises(ValueError, match="neither a socalign finetune run folder"):
        AlignedVideoModel.load(tmp_path / "m")  # no run, no export: the backbone is unknown


def test_load_checks_a_bare_saved_model_before_reading_a_weight(tmp_path, monkeypatch) -> None:
    """Without a run's record the files are checked against each other; pickles are refused."""
    from safetensors.torch import load_file, save_file

    from socalign.train.checkpoint import RunFileError

    model = _model()
    folder = model.save(tmp_path / "m")
    head = load_file(folder / "head.safetensors")
    save_file({**head, "linear.bias": torch.zeros(3)}, folder / "head.safetensors")
    with pytest.raises(RunFileError, match=r"head\.safetensors: tensor 'linear\.bias'"):
        AlignedVideoModel.load(folder, backbone=tiny_backbone())
    model.save(folder)
    torch.save(load_file(folder / "adapter_model.safetensors"), folder / "adapter_model.bin")
    (folder / "adapter_model.safetensors").unlink()

    def no_unpickling(*args, **kwargs):
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(RunFileError, match=r"adapter_model\.bin: pickle weights"):
        AlignedVideoModel.load(folder, backbone=tiny_backbone())


def test_split_by_video_is_seeded_and_disjoint() -> None:
    videos = np.arange(10, 30)
    fit, val = split_by_video(videos, 0.2, np.random.default_rng(1))
    assert len(val) == 4 and len(fit) == 16
    assert set(fit).isdisjoint(val) and set(fit) | set(val) == set(videos)
    _, val2 = split_by_video(videos, 0.2, np.random.default_rng(1))
    assert np.array_equal(val, val2)


def test_triplets_within_and_training_set() -> None:
    trip = np.array([[0, 1, 2], [0, 1, 5], [3, 4, 5]])
    assert triplets_within(trip, np.array([0, 1, 2, 3])).tolist() == [True, False, False]
    rng = np.random.default_rng(0)
    triplets = np.stack([rng.choice(12, 3, replace=False) for _ in range(400)])
    odd = rng.integers(0, 3, 400)
    data = make_training_set(triplets, odd, np.arange(12), 12, 0.34, np.random.default_rng(0))
    assert triplets_within(data.triplets, data.fit_videos).all()
    fit_pairs = data.fit_observed
    assert not fit_pairs[np.ix_(data.val_videos, data.val_videos)].any()
    assert data.val_observed[np.ix_(data.val_videos, data.val_videos)].any()
    with pytest.raises(ValueError, match="no trials"):
        make_training_set(triplets[:0], odd[:0], np.arange(12), 12, 0.2, rng)


def test_config_rejects_bad_values_and_round_trips() -> None:
    with pytest.raises(ValueError, match="unknown trainer 'slow'"):
        TrainConfig(trainer="slow")
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="unknown profile"):
        profile_config("huge")
    cfg = profile_config("demo", seed=3).with_changes(loss_kind="rsa")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown training option"):
        TrainConfig.from_dict({"epochz": 3})


def test_gradient_checkpointing_gives_the_same_gradients() -> None:
    x = torch.randn(2, N_FRAMES, 3, SIZE, SIZE)
    grads = []
    for checkpointing in (False, True):
        model = build_model(tiny_backbone(), 32, LoraSettings(dropout=0.0), 16, 0.0,
                            generator=torch.Generator().manual_seed(0),
                            gradient_checkpointing=checkpointing)
        model.train()
        base = model.backbone.get_base_model()
        on = (base.is_activation_checkpointing if hasattr(base, "is_activation_checkpointing")
              else base.is_gradient_checkpointing)
        assert on == checkpointing
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.fill_(0.05)
        model(x).sum().backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad})
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], atol=1e-6, rtol=1e-5)
