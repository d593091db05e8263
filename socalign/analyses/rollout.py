"""Attention rollout for ViT-style video backbones: where in each frame does a model look?

Rollout (Abnar & Zuidema 2020) multiplies, layer by layer, the head-averaged attention with
the residual stream added (``0.5 A + 0.5 I``) and reads the row of the pooled token.

* Joint space–time attention (VideoMAE; TimeSformer ``joint_space_time``): one (N, N) matrix per
  layer; the source is the CLS token, or the mean over tokens for models that mean-pool.
* TimeSformer's divided space–time attention: each layer first attends over time (each patch
  over its T copies) and then over space (each frame's patches plus the CLS token, which is
  copied into every frame and averaged back). transformers returns only the spatial
  attentions (``output_attentions=True``, shape (B·T, heads, 1+P, 1+P)); the temporal ones
  are captured here with forward hooks. The CLS row is propagated backwards through these
  structured matrices as a vector, so nothing of size (1+P·T)² is ever built.

Maps are normalised to sum to 1 over all patches of a clip ("rollout mass"). Torch is
imported inside the functions that run a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from socalign.data.types import Benchmark


def _normalise(maps: np.ndarray) -> np.ndarray:
    total = maps.sum()
    if total <= 0:
        raise ValueError("rollout map has no positive mass")
    return maps / total


def rollout_joint(
    attentions: np.ndarray,
    grid: tuple[int, ...],
    source: str = "cls",
    residual: float = 0.5,
) -> np.ndarray:
    """Rollout through (L, N, N) head-averaged joint attentions of one clip.

    Parameters
    ----------
    attentions : numpy.ndarray
        (L, N, N) attention of each layer, averaged over heads, in layer order.
    grid : tuple of int
        The token grid of the patch tokens in their order (e.g. (T', h, w) for VideoMAE); its
        product is the number of patch tokens.
    source : {"cls", "mean"}, default "cls"
        ``"cls"``: token 0 is CLS, the rest are patches; ``"mean"``: no CLS, the model
        mean-pools, so the source row is the mean over tokens.
    residual : float, default 0.5
        Weight of the identity added to each layer's attention (``residual I + (1 - residual) A``).

    Returns
    -------
    numpy.ndarray
        The source token's rollout over the patches, shaped ``grid`` and summing to 1.
    """
    attentions = np.asarray(attentions, dtype=np.float64)
    if attentions.ndim != 3 or attentions.shape[1] != attentions.shape[2]:
        raise ValueError(f"attentions must be (layers, N, N), got {attentions.shape}")
    n = attentions.shape[1]
    n_patches = int(np.prod(grid))
    offset = {"cls": 1, "mean": 0}.get(source)
    if offset is None:
        raise ValueError(f"source must be 'cls' or 'mean', got {source!r}")
    if n != n_patches + offset:
        raise ValueError(f"{n} tokens do not fit grid {grid} with source {source!r}")
    v = np.zeros(n)
    if source == "cls":
        v[0] = 1.0
    else:
        v[:] = 1.0 / n
    eye = np.eye(n)
    for a in attentions[::-1]:  # v_{l-1} = v_l (residual*I + (1-residual)*A_l)
        v = v @ (residual * eye + (1 - residual) * a)
    return _normalise(v[offset:].reshape(grid))


def rollout_divided(
    spatial: np.ndarray,
    temporal: np.ndarray,
    grid: tuple[int, int],
    residual: float = 0.5,
) -> np.ndarray:
    """Rollout through TimeSformer's divided space–time attention for one clip.

    Within each layer temporal attention acts first. Token (p, t) is patch p of frame t; P = h·w.

    Parameters
    ----------
    spatial : numpy.ndarray
        (L, T, 1+P, 1+P) per-frame attention over [CLS, patches of that frame], heads averaged.
    temporal : numpy.ndarray
        (L, P, T, T) per-patch attention over frames, heads averaged.
    grid : tuple of int
        ``(h, w)``, the patch grid of one frame.
    residual : float, default 0.5
        Weight of the identity added to each attention matrix.

    Returns
    -------
    numpy.ndarray
        The (T, h, w) map of the CLS token's rollout over the patches, summing to 1.
    """
    spatial = np.asarray(spatial, dtype=np.float64)
    temporal = np.asarray(temporal, dtype=np.float64)
    n_layers, n_frames, n_tok, _ = spatial.shape
    n_patches = n_tok - 1
    if n_patches != grid[0] * grid[1]:
        raise ValueError(f"spatial attention has {n_patches} patches, grid {grid} has {grid[0] * grid[1]}")
    if temporal.shape != (n_layers, n_patches, n_frames, n_frames):
        raise ValueError(
            f"temporal attention has shape {temporal.shape}, expected "
            f"{(n_layers, n_patches, n_frames, n_frames)}"
        )
    c = 1.0  # relevance of the CLS token
    V = np.zeros((n_patches, n_frames))  # relevance of patch p in frame t
    for layer in range(n_layers - 1, -1, -1):
        S = spatial[layer]
        # v @ A_spatial: the CLS output is the mean over frames of each frame's CLS row.
        new_c = c * S[:, 0, 0].mean() + np.einsum("pt,tp->", V, S[:, 1:, 0])
        new_V = c * S[:, 0, 1:].T / n_frames + np.einsum("pt,tpq->qt", V, S[:, 1:, 1:])
        c = residual * c + (1 - residual) * new_c
        V = residual * V + (1 - residual) * new_V
        # v @ A_temporal: patch p of frame t draws on patch p of frame s; CLS untouched.
        V = residual * V + (1 - residual) * np.einsum("pt,pts->ps", V, temporal[layer])
    return _normalise(V.T.reshape(n_frames, *grid))


def _heads_mean(probs: Any) -> np.ndarray:
    return probs.float().mean(dim=1).detach().cpu().numpy()


def _find_layers(model: Any, class_name: str) -> list[Any]:
    return [m for m in model.modules() if type(m).__name__ == class_name]


def timesformer_attentions(model: Any, pixel_values: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Spatial (B, L, T, 1+P, 1+P) and temporal (B, L, P, T, T) attentions of a TimeSformer.

    Works on ``TimesformerModel``, ``TimesformerForVideoClassification`` and PEFT-wrapped ones:
    forward hooks on each layer's two ``TimesformerSelfAttention`` modules recompute the
    attention probabilities from their inputs (transformers does not return the temporal ones).

    Parameters
    ----------
    model : torch.nn.Module
        A TimeSformer with ``divided_space_time`` attention; it is run once, without gradients.
    pixel_values : torch.Tensor
        (B, T, 3, H, W) preprocessed clips, on the model's device and dtype.

    Returns
    -------
    tuple
        ``(spatial, temporal, grid)``: the two attention arrays (heads averaged) and ``(h, w)``,
        the patch grid of a frame.
    """
    import torch

    layers = _find_layers(model, "TimesformerLayer")
    if not layers:
        raise ValueError("no TimesformerLayer found in the model")
    config = layers[0].config
    if config.attention_type != "divided_space_time":
        raise ValueError(f"timesformer_attentions needs divided_space_time, got {config.attention_type!r}")
    captured: dict[tuple[int, str], np.ndarray] = {}

    def hook(key: tuple[int, str]):
        def fn(module: Any, args: tuple, output: Any) -> None:
            x = args[0]
            b, n, d = x.shape
            qkv = module.qkv(x).reshape(b, n, 3, module.num_heads, d // module.num_heads)
            q, k = qkv[:, :, 0].transpose(1, 2), qkv[:, :, 1].transpose(1, 2)
            captured[key] = _heads_mean(((q @ k.transpose(-2, -1)) * module.scale).softmax(-1))
        return fn

    handles = []
    for i, layer in enumerate(layers):
        handles.append(layer.temporal_attention.attention.register_forward_hook(hook((i, "t"))))
        handles.append(layer.attention.attention.register_forward_hook(hook((i, "s"))))
    try:
        with torch.no_grad():
            model(pixel_values)
    finally:
        for h in handles:
            h.remove()
    n_frames = config.num_frames
    batch = pixel_values.shape[0]
    side_w = config.image_size // config.patch_size
    spatial = np.stack([captured[(i, "s")] for i in range(len(layers))], axis=1)
    # (B*T, L, 1+P, 1+P) -> (B, L, T, 1+P, 1+P)
    spatial = spatial.reshape(batch, n_frames, len(layers), *spatial.shape[-2:]).transpose(0, 2, 1, 3, 4)
    n_patches = spatial.shape[-1] - 1
    temporal = np.stack([captured[(i, "t")] for i in range(len(layers))], axis=1)
    temporal = temporal.reshape(batch, n_patches, len(layers), n_frames, n_frames).transpose(0, 2, 1, 3, 4)
    return spatial, temporal, (n_patches // side_w, side_w)


def videomae_attentions(model: Any, pixel_values: Any) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Joint attentions (B, L, N, N) of a VideoMAE model (eager attention) and its token grid.

    Parameters
    ----------
    model : torch.nn.Module
        A VideoMAE model; it is switched to eager attention where it can be, and run once
        without gradients.
    pixel_values : torch.Tensor
        (B, T, 3, H, W) preprocessed clips, on the model's device and dtype.

    Returns
    -------
    tuple
        ``(attentions, grid)``: the (B, L, N, N) head-averaged attentions and the token grid
        ``(T / tubelet_size, h, w)``.
    """
    import torch

    config = model.config
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    with torch.no_grad():
        out = model(pixel_values, output_attentions=True)
    if not out.attentions or out.attentions[0] is None:
        raise ValueError("the model returned no attentions (needs eager attention)")
    att = np.stack([_heads_mean(a) for a in out.attentions], axis=1)
    side = config.image_size // config.patch_size
    grid = (pixel_values.shape[1] // config.tubelet_size, side, side)
    return att, grid


def attention_rollout(model: Any, pixel_values: Any, residual: float = 0.5) -> np.ndarray:
    """Per-clip rollout maps (B, T', h, w) of a TimeSformer (divided or joint) or VideoMAE model.

    Parameters
    ----------
    model : torch.nn.Module
        A TimeSformer with divided space–time attention or a VideoMAE model (PEFT-wrapped ones
        too). It is run in eval mode; its training flag is restored afterwards.
    pixel_values : torch.Tensor
        (B, T, 3, H, W) preprocessed clips, on the model's device and dtype.
    residual : float, default 0.5
        Weight of the identity added to each layer's attention.

    Returns
    -------
    numpy.ndarray
        (B, T', h, w) maps, each clip's summing to 1.
    """
    model_type = getattr(model.config, "model_type", "")
    was_training = model.training
    model.eval()
    try:
        if model_type == "timesformer" and model.config.attention_type == "divided_space_time":
            spatial, temporal, grid = timesformer_attentions(model, pixel_values)
            return np.stack([rollout_divided(s, t, grid, residual) for s, t in zip(spatial, temporal, strict=True)])
        if model_type == "videomae":
            att, grid = videomae_attentions(model, pixel_values)
            source = "cls" if att.shape[-1] == int(np.prod(grid)) + 1 else "mean"
            return np.stack([rollout_joint(a, grid, source, residual) for a in att])
    finally:
        model.train(was_training)
    raise ValueError(f"attention rollout supports TimeSformer (divided) and VideoMAE, not {model_type!r}")


def map_divergence(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 − Pearson r between two models' maps, per clip: (B, ...) and (B, ...) -> (B,).

    Parameters
    ----------
    a, b : numpy.ndarray
        (B, ...) maps of the same clips, of the same shape.

    Returns
    -------
    numpy.ndarray
        (B,) one minus the Pearson correlation of each clip's flattened maps.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"maps differ in shape: {a.shape} vs {b.shape}")
    a = a.reshape(a.shape[0], -1)
    b = b.reshape(b.shape[0], -1)
    ac = a - a.mean(axis=1, keepdims=True)
    bc = b - b.mean(axis=1, keepdims=True)
    r = (ac * bc).sum(1) / np.sqrt((ac * ac).sum(1) * (bc * bc).sum(1))
    return 1.0 - r


def upsample_map(maps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Spread each patch's mass evenly over the pixels it covers: (T, h, w) -> (T, H, W).

    Assumes the model saw the whole frame (resize, no crop); H and W must be multiples of h, w.

    Parameters
    ----------
    maps : numpy.ndarray
        (T, h, w) mass of one clip.
    shape : tuple of int
        ``(H, W)``, the frame size in pixels.

    Returns
    -------
    numpy.ndarray
        (T, H, W) mass with the same total.
    """
    _, h, w = maps.shape
    H, W = shape
    if H % h or W % w:
        raise ValueError(f"frame size {shape} is not a multiple of the patch grid {(h, w)}")
    fy, fx = H // h, W // w
    return np.repeat(np.repeat(maps, fy, axis=1), fx, axis=2) / (fy * fx)


def region_shares(maps: np.ndarray, regions: Mapping[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Share of rollout mass and of area in each region, and what falls in none ("background").

    A pixel in several regions counts for the first listed.

    Parameters
    ----------
    maps : numpy.ndarray
        (T, h, w) mass of one clip.
    regions : mapping of str to numpy.ndarray
        Name -> (T, H, W) boolean masks at pixel resolution (frames the model saw).

    Returns
    -------
    dict
        Name (and ``"background"``) -> ``{"mass", "area", "enrichment"}``, with enrichment =
        mass / area (NaN for an empty region).
    """
    maps = np.asarray(maps, dtype=float)
    if not regions:
        raise ValueError("no regions given")
    shape = next(iter(regions.values())).shape
    if shape[0] != maps.shape[0]:
        raise ValueError(f"regions have {shape[0]} frames, the maps {maps.shape[0]}")
    mass = upsample_map(maps, shape[1:])
    mass = mass / mass.sum()
    taken = np.zeros(shape, dtype=bool)
    out: dict[str, dict[str, float]] = {}
    for name, mask in [*regions.items(), ("background", None)]:
        if mask is None:
            region = ~taken
        else:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != shape:
                raise ValueError(f"region {name!r} has shape {mask.shape}, expected {shape}")
            region = mask & ~taken
        taken |= region
        m, a = float(mass[region].sum()), float(region.mean())
        out[name] = {"mass": m, "area": a, "enrichment": m / a if a > 0 else float("nan")}
    return out


@dataclass(frozen=True)
class RolloutResult:
    """Rollout maps of one or two models on the same clips, their divergence and region shares.

    ``maps``: model -> (B, T', h, w) arrays (not in ``to_dict``); ``divergence``: per-clip
    1 − r between the first two models' maps; ``regions``: model -> region -> mean share of
    mass and area over clips.
    """

    models: tuple[str, ...]
    maps: Mapping[str, np.ndarray]
    divergence: np.ndarray | None = None
    regions: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    clip_mass: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)

    def mass_change(self, region: str = "agents", n_boot: int = 1000, seed: int = 0) -> dict:
        """Paired bootstrap over clips of the second model's minus the first model's share of
        rollout mass on ``region`` (e.g. fine-tuned - pretrained on the agents).

        Parameters
        ----------
        region : str, default "agents"
            A region of the masks (``"agents"``, ``"distractor"``, ``"background"``).
        n_boot : int, default 1000
            Bootstrap resamples of the clips.
        seed : int, default 0
            Seed of the resampling.

        Returns
        -------
        dict
            ``region``, ``difference`` (``"second - first"``), ``baseline`` (the first
            model's mean share, what the change is relative to) and the fields of the
            bootstrap interval (estimate, low, high, level, p_value, ...).
        """
        from socalign.metrics.resampling import paired_bootstrap

        if len(self.models) < 2 or not self.clip_mass:
            raise ValueError("mass_change needs two models and region masks")
        first, second = self.models[:2]
        interval = paired_bootstrap(self.clip_mass[second][region], self.clip_mass[first][region],
                                    n_boot, seed, unit="clips")
        return {"region": region, "difference": f"{second} - {first}",
                "baseline": float(np.mean(self.clip_mass[first][region])), **interval.to_dict()}

    def to_dict(self) -> dict:
        """A JSON-able summary."""
        first = self.maps[self.models[0]]
        return {
            "models": list(self.models),
            "n_clips": int(first.shape[0]),
            "grid": list(first.shape[1:]),
            "divergence_mean": None if self.divergence is None else float(np.mean(self.divergence)),
            "divergence": None if self.divergence is None else self.divergence.tolist(),
            "regions": {m: {r: dict(v) for r, v in regs.items()} for m, regs in self.regions.items()},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per model and region: mass share, area share, enrichment."""
        rows = [
            {"model": m, "region": r, **v}
            for m, regs in self.regions.items()
            for r, v in regs.items()
        ]
        return pd.DataFrame(rows, columns=["model", "region", "mass", "area", "enrichment"])


def summarise_rollout(
    maps: Mapping[str, np.ndarray],
    regions: Sequence[Mapping[str, np.ndarray]] | Mapping[str, Sequence[Mapping[str, np.ndarray]]] | None = None,
) -> RolloutResult:
    """Compare models' maps on the same clips.

    Parameters
    ----------
    maps : mapping of str to numpy.ndarray
        Model -> (B, T', h, w) rollout maps of the same clips; the divergence compares the
        first two.
    regions : sequence or mapping, optional
        Per clip, name -> (T, H, W) masks; or model -> such a list, when the models saw the
        frames at different sizes or frame counts. None: no region shares.

    Returns
    -------
    RolloutResult
    """
    names = tuple(maps)
    if not names:
        raise ValueError("no maps given")
    divergence = map_divergence(maps[names[0]], maps[names[1]]) if len(names) >= 2 else None
    summary: dict[str, dict[str, dict[str, float]]] = {}
    clip_mass: dict[str, dict[str, np.ndarray]] = {}
    if regions is not None:
        for name in names:
            own = regions[name] if isinstance(regions, Mapping) else regions
            if len(own) != maps[name].shape[0]:
                raise ValueError(f"{len(own)} region sets for {maps[name].shape[0]} clips")
            per_clip = [region_shares(m, r) for m, r in zip(maps[name], own, strict=True)]
            summary[name] = {
                reg: {k: float(np.nanmean([c[reg][k] for c in per_clip])) for k in per_clip[0][reg]}
                for reg in per_clip[0]
            }
            clip_mass[name] = {reg: np.array([c[reg]["mass"] for c in per_clip]) for reg in per_clip[0]}
    return RolloutResult(names, dict(maps), divergence, summary, clip_mass)


def masks_to_model_frames(masks: np.ndarray, resize_size: int, image_size: int) -> np.ndarray:
    """Apply the model's shortest-edge resize (nearest) and centre crop to (T, H, W) pixel masks.

    The same geometry as :func:`socalign.models.video.preprocess`, so a mask lines up with the
    pixels the model saw.

    Parameters
    ----------
    masks : numpy.ndarray
        (T, H, W) boolean masks.
    resize_size : int
        The length the shortest edge is resized to.
    image_size : int
        The side of the square centre crop.

    Returns
    -------
    numpy.ndarray
        (T, image_size, image_size) boolean masks.
    """
    masks = np.asarray(masks, dtype=bool)
    _, height, width = masks.shape
    scale = resize_size / min(height, width)
    new_h = max(image_size, round(height * scale))
    new_w = max(image_size, round(width * scale))
    rows = np.minimum((np.arange(new_h) + 0.5) * height / new_h, height - 1).astype(int)
    cols = np.minimum((np.arange(new_w) + 0.5) * width / new_w, width - 1).astype(int)
    resized = masks[:, rows][:, :, cols]
    top, left = (new_h - image_size) // 2, (new_w - image_size) // 2
    return resized[:, top : top + image_size, left : left + image_size]


def _per_token_frames(masks: np.ndarray, n_maps: int) -> np.ndarray:
    """Group (T, S, S) frame masks into ``n_maps`` time steps (a tubelet's mask: any of its frames)."""
    if len(masks) == n_maps:
        return masks
    if len(masks) % n_maps:
        raise ValueError(f"{len(masks)} frames cannot be grouped into {n_maps} time steps")
    return masks.reshape(n_maps, -1, *masks.shape[1:]).any(axis=1)


def benchmark_rollout(
    benchmark: Benchmark,
    backbones: Mapping[str, Any],
    split: str | None = "test",
    max_clips: int | None = None,
    batch_size: int = 4,
    regions: bool | None = None,
) -> RolloutResult:
    """Rollout maps of a benchmark's clips (``split``, the first ``max_clips``) for each backbone,
    and their divergence; with ``regions`` also where the mass falls: on the two agents, on the
    distractor, or on the background (needs SocialWorld's ``scene.npz``; None: when present).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark whose video files are read.
    backbones : mapping
        Label -> a name/folder for :func:`socalign.models.video.load_backbone` (loaded on the
        CPU), or a ``(model, spec)`` pair already loaded (e.g. a fine-tuned, merged model).
    split : str or None, default "test"
        The split whose clips are used; None: all videos.
    max_clips : int, optional
        Use only the first this many clips of the split.
    batch_size : int, default 4
        Clips per forward pass.
    regions : bool or None, default None
        Whether to compute region shares; True without ``scene.npz`` is an error.

    Returns
    -------
    RolloutResult
    """
    from socalign.models.video import load_backbone, preprocess
    from socalign.video import load_clips

    rows = benchmark.split_indices(split)
    if max_clips is not None:
        rows = rows[:max_clips]
    has_scene = benchmark.root is not None and (Path(benchmark.root) / "scene.npz").exists()
    if regions and not has_scene:
        raise ValueError("region shares need SocialWorld's scene.npz (object boxes), which "
                         f"{benchmark.name} does not have")
    region_masks = _scene_masks(benchmark, rows) if (has_scene if regions is None else regions) else None
    files = [benchmark.videos.files[r] for r in rows]
    maps: dict[str, np.ndarray] = {}
    model_regions: dict[str, list[dict[str, np.ndarray]]] = {}
    for label, source in backbones.items():
        model, spec = source if isinstance(source, tuple) else load_backbone(source, device="cpu")
        clips = load_clips(files, spec.n_frames)
        out = []
        for start in range(0, len(clips), batch_size):
            pixels = preprocess(clips[start : start + batch_size], spec)
            param = next(model.parameters())
            out.append(attention_rollout(model, pixels.to(param.device, param.dtype)))
        maps[label] = np.concatenate(out)
        if region_masks is not None:
            model_regions[label] = _model_regions(region_masks, spec, maps[label].shape[1])
    return summarise_rollout(maps, model_regions if region_masks is not None else None)


def _scene_masks(benchmark: Benchmark, rows: np.ndarray) -> dict[str, np.ndarray]:
    """(clips, S, H, W) pixel masks of the agents and the distractor from ``scene.npz``."""
    from socalign.data.socialworld import read_scene_boxes

    scene = read_scene_boxes(benchmark.root)
    position = {int(v): i for i, v in enumerate(scene.ids)}
    missing = [int(benchmark.videos.ids[r]) for r in rows if int(benchmark.videos.ids[r]) not in position]
    if missing:
        raise ValueError(f"scene.npz has no boxes for video id {missing[0]}")
    scene_rows = np.array([position[int(benchmark.videos.ids[r])] for r in rows])
    return {"agents": scene.masks(("agent_a", "agent_b"))[scene_rows],
            "distractor": scene.masks(("distractor",))[scene_rows]}


def _model_regions(masks: Mapping[str, np.ndarray], spec: Any, n_steps: int) -> list[dict[str, np.ndarray]]:
    """Per clip, the region masks at the frames, size and crop the model saw."""
    from socalign.video import sample_frame_indices

    n_clips, n_scene_frames = next(iter(masks.values())).shape[:2]
    picks = sample_frame_indices(n_scene_frames, spec.n_frames)
    return [
        {name: _per_token_frames(masks_to_model_frames(m[i][picks], spec.resize_size, spec.image_size), n_steps)
         for name, m in masks.items()}
        for i in range(n_clips)
    ]


def socialworld_rollout(
    benchmark: Benchmark,
    backbones: Mapping[str, Any],
    split: str | None = "test",
    max_clips: int | None = None,
    batch_size: int = 4,
) -> RolloutResult:
    """:func:`benchmark_rollout` with region shares, which a SocialWorld benchmark always has.

    Parameters
    ----------
    benchmark : Benchmark
        A SocialWorld benchmark loaded from its folder (which holds ``scene.npz``).
    backbones : mapping
        Label -> a backbone name/folder, or a ``(model, spec)`` pair, as for
        :func:`benchmark_rollout`.
    split : str or None, default "test"
        The split whose clips are used; None: all videos.
    max_clips : int, optional
        Use only the first this many clips of the split.
    batch_size : int, default 4
        Clips per forward pass.

    Returns
    -------
    RolloutResult
    """
    if benchmark.root is None:
        raise ValueError("the benchmark has no folder, so its scene boxes cannot be read")
    return benchmark_rollout(benchmark, backbones, split, max_clips, batch_size, regions=True)
