"""Attention rollout: structured vs dense rollout, constructed attention on a known patch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from socalign.analyses.rollout import (
    map_divergence,
    region_shares,
    rollout_divided,
    rollout_joint,
    summarise_rollout,
    upsample_map,
)


def _random_stochastic(rng: np.random.Generator, *shape: int) -> np.ndarray:
    a = rng.uniform(size=shape)
    return a / a.sum(axis=-1, keepdims=True)


def _dense_divided(spatial: np.ndarray, temporal: np.ndarray) -> np.ndarray:
    """The full (1+P·T)² matrices of divided attention, token (p, t) at 1 + p·T + t."""
    n_layers, n_frames, n_tok, _ = spatial.shape
    P = n_tok - 1
    N = 1 + P * n_frames
    eye = np.eye(N)
    R = np.eye(N)
    for layer in range(n_layers):
        S, Tm = spatial[layer], temporal[layer]
        As = np.zeros((N, N))
        At = np.zeros((N, N))
        At[0, 0] = 1
        As[0, 0] = S[:, 0, 0].mean()
        for t in range(n_frames):
            for p in range(P):
                i = 1 + p * n_frames + t
                As[0, i] = S[t, 0, 1 + p] / n_frames
                As[i, 0] = S[t, 1 + p, 0]
                for q in range(P):
                    As[i, 1 + q * n_frames + t] = S[t, 1 + p, 1 + q]
                for s in range(n_frames):
                    At[i, 1 + p * n_frames + s] = Tm[p, t, s]
        R = (0.5 * eye + 0.5 * As) @ (0.5 * eye + 0.5 * At) @ R
    return R


def test_divided_rollout_equals_dense_matrix_product() -> None:
    rng = np.random.default_rng(0)
    L, T, h, w = 3, 4, 2, 3
    spatial = _random_stochastic(rng, L, T, 1 + h * w, 1 + h * w)
    temporal = _random_stochastic(rng, L, h * w, T, T)
    R = _dense_divided(spatial, temporal)
    expected = R[0, 1:].reshape(h * w, T).T.reshape(T, h, w)
    got = rollout_divided(spatial, temporal, (h, w))
    np.testing.assert_allclose(got, expected / expected.sum())
    assert R.sum(axis=1) == pytest.approx(np.ones(len(R)))  # rows stay stochastic


def test_divided_rollout_concentrates_on_attended_patch() -> None:
    L, T, h, w, k = 4, 2, 3, 3, 5
    spatial = np.zeros((L, T, 10, 10))
    spatial[..., 1 + k] = 1.0  # every token in every frame attends to patch k
    temporal = np.broadcast_to(np.eye(T), (L, 9, T, T)).copy()
    maps = rollout_divided(spatial, temporal, (h, w))
    assert maps.sum() == pytest.approx(1.0)
    flat = maps.reshape(T, -1)
    assert (flat.argmax(axis=1) == k).all()
    assert flat[:, k].sum() > 0.9


def test_joint_rollout_hand_case() -> None:
    # One layer, 2 patches + CLS; CLS attends fully to patch 2 -> rollout row = 0.5*e0 + 0.5*e2.
    a = np.array([[[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    np.testing.assert_allclose(rollout_joint(a, (1, 2)), [[0.0, 1.0]])
    # Mean-pooled source without CLS: uniform over 2 tokens, token 0 attends to token 1.
    b = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    np.testing.assert_allclose(rollout_joint(b, (2,), source="mean"), [0.25, 0.75])
    with pytest.raises(ValueError, match="do not fit grid"):
        rollout_joint(a, (2, 2))


def test_divergence_and_region_shares() -> None:
    a = np.array([[[1.0, 0.0], [0.0, 0.0]]])[None]  # (B=1, T=1, 2, 2)
    assert map_divergence(a, a) == pytest.approx([0.0])
    assert map_divergence(a, 1 - a) == pytest.approx([2.0])
    maps = np.array([[[0.5, 0.25], [0.25, 0.0]]])  # (T=1, 2, 2)
    up = upsample_map(maps, (4, 4))
    assert up.sum() == pytest.approx(1.0) and up[0, 0, 0] == pytest.approx(0.125)
    agent = np.zeros((1, 4, 4), bool)
    agent[0, :2, :2] = True  # the top-left patch
    distractor = np.zeros((1, 4, 4), bool)
    distractor[0, :2, :] = True  # top row; overlap with the agent counts for the agent
    shares = region_shares(maps, {"agents": agent, "distractor": distractor})
    assert shares["agents"] == pytest.approx({"mass": 0.5, "area": 0.25, "enrichment": 2.0})
    assert shares["distractor"]["mass"] == pytest.approx(0.25)
    assert shares["background"]["mass"] == pytest.approx(0.25)
    assert shares["background"]["area"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="not a multiple"):
        upsample_map(maps, (5, 4))


def test_masks_follow_the_model_resize_and_crop() -> None:
    from socalign.analyses.rollout import _per_token_frames, masks_to_model_frames

    masks = np.zeros((2, 4, 8), bool)  # a wide frame: resize the short edge 4 -> 8, crop 8 wide
    masks[:, :2, 6:] = True  # the top of the right quarter (cropped away after resizing)
    masks[1, 2:, 3:5] = True  # bottom-centre block of frame 1
    out = masks_to_model_frames(masks, resize_size=8, image_size=8)
    assert out.shape == (2, 8, 8)
    assert not out[0].any()  # the right quarter fell outside the centre crop
    # by hand: resized to 8x16, crop columns 4..11 = original columns 2..5; the block
    # (rows 2-3, columns 3-4) lands on rows 4-7, columns 2-5 of the crop.
    expected = np.zeros((8, 8), bool)
    expected[4:, 2:6] = True
    np.testing.assert_array_equal(out[1], expected)
    grouped = _per_token_frames(out, 1)
    np.testing.assert_array_equal(grouped[0], out[0] | out[1])
    with pytest.raises(ValueError, match="cannot be grouped"):
        _per_token_frames(np.zeros((3, 2, 2), bool), 2)


def test_summarise_rollout_to_dict() -> None:
    rng = np.random.default_rng(1)
    m1 = rng.uniform(size=(2, 1, 2, 2))
    m2 = rng.uniform(size=(2, 1, 2, 2))
    mask = np.zeros((1, 2, 2), bool)
    mask[0, 0, 0] = True
    result = summarise_rollout({"pre": m1, "ft": m2}, [{"agents": mask}] * 2)
    out = json.loads(json.dumps(result.to_dict()))
    assert out["models"] == ["pre", "ft"] and out["n_clips"] == 2 and out["grid"] == [1, 2, 2]
    assert out["divergence"] == pytest.approx(map_divergence(m1, m2).tolist())
    assert set(result.to_frame()["region"]) == {"agents", "background"}


def test_mass_change_is_a_paired_bootstrap_over_clips() -> None:
    """The second model puts more mass on the agents' cell in every clip: the paired interval
    lies above 0 and its estimate is the mean per-clip difference of mass shares."""
    rng = np.random.default_rng(2)
    pre = rng.uniform(0.5, 1.0, size=(12, 1, 2, 2))
    ft = pre.copy()
    ft[:, :, 0, 0] *= 3.0
    mask = np.zeros((1, 2, 2), bool)
    mask[0, 0, 0] = True
    result = summarise_rollout({"pre": pre, "ft": ft}, [{"agents": mask}] * 12)
    change = result.mass_change("agents", n_boot=200, seed=0)
    share = lambda m: m[:, 0, 0, 0] / m.reshape(12, -1).sum(axis=1)  # noqa: E731
    assert change["estimate"] == pytest.approx(float(np.mean(share(ft) - share(pre))))
    assert change["low"] > 0 and change["difference"] == "ft - pre" and change["unit"] == "clips"
    with pytest.raises(ValueError, match="two models"):
        summarise_rollout({"pre": pre}).mass_change()


torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _focused_timesformer(k: int, num_frames: int = 2):
    """A tiny TimeSformer whose spatial attention is built to land on patch ``k``.

    Patch and CLS embeddings are zero, only patch k's position embedding is non-zero, value
    and MLP weights are zero (hidden states never change), and in every head the query bias
    times the key weight makes every token's score large for patch k alone.
    """
    config = transformers.TimesformerConfig(
        image_size=16, patch_size=4, num_channels=3, num_frames=num_frames, hidden_size=8,
        num_hidden_layers=2, num_attention_heads=2, intermediate_size=8, qkv_bias=True,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    model = transformers.TimesformerModel(config).eval()
    d = config.hidden_size
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for name, p in model.named_parameters():
            if "layernorm" in name and name.endswith("weight"):
                p.fill_(1.0)
        model.embeddings.position_embeddings[0, 1 + k, 0] = 10.0
        for layer in model.encoder.layer:
            for att in (layer.attention.attention, layer.temporal_attention.attention):
                # each head's query is 20 on its first dim; its key there is input dim 0
                for head_start in (0, d // 2):
                    att.qkv.bias[head_start] = 20.0
                    att.qkv.weight[d + head_start, 0] = 1.0
    return model


def test_timesformer_rollout_finds_the_constructed_patch() -> None:
    from socalign.analyses.rollout import attention_rollout, timesformer_attentions

    k = 6
    model = _focused_timesformer(k)
    pixels = torch.rand(2, 2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    spatial, temporal, grid = timesformer_attentions(model, pixels)
    assert spatial.shape == (2, 2, 2, 17, 17) and temporal.shape == (2, 2, 16, 2, 2)
    assert grid == (4, 4)
    # Our recomputed spatial attention matches what transformers returns.
    out = model(pixels, output_attentions=True)
    returned = out.attentions[0].mean(1).detach().numpy().reshape(2, 2, 17, 17)
    np.testing.assert_allclose(spatial[:, 0], returned, atol=1e-6)
    maps = attention_rollout(model, pixels)
    assert maps.shape == (2, 2, 4, 4)
    flat = maps.reshape(2, 2, -1)
    assert (flat.argmax(-1) == k).all()
    assert flat[..., k].sum(-1) == pytest.approx([1.0, 1.0], abs=0.1)


def test_videomae_rollout_shapes() -> None:
    from socalign.analyses.rollout import attention_rollout

    config = transformers.VideoMAEConfig(
        image_size=16, patch_size=4, num_channels=3, num_frames=4, tubelet_size=2,
        hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=8,
        use_mean_pooling=True,
    )
    model = transformers.VideoMAEModel(config)
    pixels = torch.rand(1, 4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    maps = attention_rollout(model, pixels)
    assert maps.shape == (1, 2, 4, 4)
    assert maps.sum() == pytest.approx(1.0)


def test_socialworld_rollout_puts_the_mass_where_the_model_looks(tmp_path, monkeypatch) -> None:
    """A tiny SocialWorld; the focused model's mass lands on patch k's pixels, region by region."""
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))  # decoded clips stay here
    from socalign.analyses.rollout import masks_to_model_frames, socialworld_rollout
    from socalign.data import load_dataset
    from socalign.data.socialworld import read_scene_boxes
    from socalign.data.socialworld.synth import synthesize
    from socalign.models.registry import get_spec
    from socalign.video import sample_frame_indices

    synthesize(tmp_path / "sw", n_videos=15, n_frames=4, size=16, n_participants=4,
               trials_per_participant=20, calibrate=False)
    bench = load_dataset(tmp_path / "sw")
    k = 5  # patch row 1, column 1 of the 4x4 grid: pixels 4..7 x 4..7
    focused = _focused_timesformer(k, num_frames=4)
    focused.save_pretrained(tmp_path / "tiny")
    spec = get_spec(tmp_path / "tiny")
    result = socialworld_rollout(bench, {"focused": (focused, spec), "saved": tmp_path / "tiny"})
    test_rows = bench.split_indices("test")
    assert result.maps["focused"].shape == (len(test_rows), 4, 4, 4)
    assert result.divergence == pytest.approx(np.zeros(len(test_rows)), abs=1e-6)  # same weights
    shares = result.regions["focused"]
    assert sum(v["mass"] for v in shares.values()) == pytest.approx(1.0)
    assert sum(v["area"] for v in shares.values()) == pytest.approx(1.0)
    # Expected: the share of patch k's pixels inside the agents' boxes, averaged over clips.
    scene = read_scene_boxes(bench.root)
    agents = scene.masks(("agent_a", "agent_b"))[test_rows][:, sample_frame_indices(4, 4)]
    expected = np.mean([
        masks_to_model_frames(a, spec.resize_size, spec.image_size)[:, 4:8, 4:8].mean()
        for a in agents
    ])
    assert shares["agents"]["mass"] == pytest.approx(expected, abs=0.05)


def test_benchmark_rollout_without_scene_boxes_gives_maps_only(tmp_path, monkeypatch) -> None:
    """A benchmark without scene.npz (real videos): maps and divergence, no region shares."""
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    from socalign.analyses.rollout import benchmark_rollout
    from socalign.data import load_dataset
    from socalign.data.socialworld.synth import synthesize
    from socalign.models.registry import get_spec

    synthesize(tmp_path / "sw", n_videos=15, n_frames=4, size=16, n_participants=4,
               trials_per_participant=20, calibrate=False)
    (tmp_path / "sw" / "scene.npz").unlink()
    bench = load_dataset(tmp_path / "sw")
    focused = _focused_timesformer(5, num_frames=4)
    focused.save_pretrained(tmp_path / "tiny")
    spec = get_spec(tmp_path / "tiny")
    result = benchmark_rollout(bench, {"a": (focused, spec), "b": (focused, spec)}, max_clips=2)
    assert result.maps["a"].shape == (2, 4, 4, 4) and dict(result.regions) == {}
    assert result.divergence == pytest.approx(np.zeros(2), abs=1e-6)
    with pytest.raises(ValueError, match="scene.npz"):
        benchmark_rollout(bench, {"a": (focused, spec)}, max_clips=2, regions=True)

