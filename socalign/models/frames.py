"""Clips to a backbone's input tensor, on the best device, and the pooled forward (torch, no
model loading).

Below both :mod:`socalign.models.video` (which re-exports these) and the toy's pretraining
(:mod:`socalign.models.toy.model`, :mod:`socalign.models.pretrain`), which preprocesses its
clips with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from socalign.models.specs import BackboneSpec
from socalign.video import sample_frame_indices

__all__ = ["auto_device", "forward_features", "pool", "preprocess", "resized_size"]


def auto_device(device: str | torch.device | None = None) -> torch.device:
    """The requested device, or the best available one: cuda, then mps, then cpu."""
    if device is not None and str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _as_clip_list(clips: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(clips, np.ndarray):
        if clips.ndim != 5:
            raise ValueError(f"clips must be (B, T, H, W, 3), got shape {clips.shape}")
        return list(clips)
    return [np.asarray(c) for c in clips]


def resized_size(height: int, width: int, shortest_edge: int) -> tuple[int, int]:
    """The size a frame is resized to: shortest edge ``shortest_edge``, the aspect ratio kept.

    The longer edge is truncated, ``int(shortest_edge * long / short)``, as transformers'
    image processors (``get_resize_output_image_size(..., default_to_square=False)``) do.

    Parameters
    ----------
    height, width
        The frame's size.
    shortest_edge
        The target length of its shorter edge.

    Returns
    -------
    (int, int)
        The new height and width.
    """
    if height <= width:
        return shortest_edge, int(shortest_edge * width / height)
    return int(shortest_edge * height / width), shortest_edge


def _resize_uint8(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear, antialiased resize of 0..255 frames ``(T, 3, H, W)``, one axis at a time.

    Like PIL's ``Image.resize(..., BILINEAR)`` (the kernel transformers' image processors use):
    the width first, then the height, each pass rounded to whole grey levels.
    """
    height, width = frames.shape[-2:]
    new_h, new_w = size
    if new_w != width:
        frames = F.interpolate(frames, size=(height, new_w), mode="bilinear",
                               align_corners=False, antialias=True).round_().clamp_(0, 255)
    if new_h != height:
        frames = F.interpolate(frames, size=(new_h, new_w), mode="bilinear",
                               align_corners=False, antialias=True).round_().clamp_(0, 255)
    return frames


def preprocess(clips_uint8: np.ndarray | Sequence[np.ndarray], spec: BackboneSpec) -> torch.Tensor:
    """uint8 RGB clips ``(B, T, H, W, 3)`` (or a list of ``(T, H, W, 3)`` of any sizes) ->
    float ``(B, spec.n_frames, 3, S, S)``: the fast torch path (the toy, training).

    Frames are resampled uniformly to ``spec.n_frames``; the shortest edge is resized to
    ``spec.resize_size`` (the longer edge truncated, see :func:`resized_size`; bilinear,
    antialiased, width then height, each pass rounded to whole grey levels, as PIL does),
    centre-cropped to ``spec.image_size`` (offsets rounded down), scaled to [0, 1] and
    normalised with the spec's mean and std.

    This is the hub processors' recipe (``VideoMAEImageProcessor`` at TimeSformer settings:
    shortest edge 224, crop 224, bilinear) redone in torch; against that processor's PIL
    backend it differs by under 0.06 grey levels on average and by at most 2 (94.8-99.96% of
    values equal; measured on 240x320, 256x341, 360x640, 720x1280 and 500x375 clips in
    ``tests/models/test_hub_preprocess.py``), where hand-rounded sizes and a one-pass float resize
    gave 1.4 on average and 9 at most (issue 15's measurement). Hub checkpoints embedded by
    :func:`socalign.models.embed.embed` use their own processor
    (:func:`socalign.models.video.clip_preprocessor`).

    Parameters
    ----------
    clips_uint8 : numpy.ndarray or sequence of numpy.ndarray
        A (B, T, H, W, 3) uint8 array, or B uint8 clips (T, H, W, 3) of any lengths and sizes.
    spec : BackboneSpec
        The backbone's frame count, resize and crop sizes, mean and std.

    Returns
    -------
    torch.Tensor
        (B, spec.n_frames, 3, spec.image_size, spec.image_size) float32, on the CPU.

    Raises
    ------
    ValueError
        When a clip is not (T, H, W, 3) uint8 (or the array is not 5-D).
    """
    out = []
    mean = torch.tensor(spec.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32).view(1, 3, 1, 1)
    for i, clip in enumerate(_as_clip_list(clips_uint8)):
        if clip.ndim != 4 or clip.shape[-1] != 3 or clip.dtype != np.uint8:
            raise ValueError(f"clip {i} must be (T, H, W, 3) uint8, got {clip.shape} {clip.dtype}")
        if clip.shape[0] != spec.n_frames:
            clip = clip[sample_frame_indices(clip.shape[0], spec.n_frames)]
        frames = torch.from_numpy(np.ascontiguousarray(clip)).permute(0, 3, 1, 2).float()
        height, width = frames.shape[-2:]
        new_h, new_w = resized_size(height, width, spec.resize_size)
        new_h, new_w = max(new_h, spec.image_size), max(new_w, spec.image_size)
        if (new_h, new_w) != (height, width):
            frames = _resize_uint8(frames, (new_h, new_w))
        top = (new_h - spec.image_size) // 2
        left = (new_w - spec.image_size) // 2
        frames = frames[..., top : top + spec.image_size, left : left + spec.image_size] / 255.0
        out.append((frames - mean) / std)
    if not out:
        raise ValueError("no clips to preprocess")
    return torch.stack(out)


def pool(outputs: Any, spec: BackboneSpec, layer: int | None = None) -> torch.Tensor:
    """One vector per input from a transformers output: the spec's pooling over tokens.

    For frame-by-frame models the result is per frame; :func:`forward_features` averages it
    over frames.

    Parameters
    ----------
    outputs : transformers.utils.ModelOutput
        The backbone's forward output.
    spec : BackboneSpec
        The backbone's spec (its pooling, ``cls`` or ``mean``, and layer count).
    layer : int or None, default None
        None: the model's final output (for CLIP the post-layernorm pooled CLS); otherwise
        ``hidden_states[layer]`` (the forward must have been run with
        ``output_hidden_states=True``; negatives count from the end).

    Returns
    -------
    torch.Tensor
        (B, D) pooled features (B frames for a frame-by-frame model).

    Raises
    ------
    ValueError
        When the layer is out of range, ``outputs`` holds no hidden states for a layer, or the
        pooling is unknown.
    """
    layer = spec.check_layer(layer)
    if layer is None:
        if spec.pooling == "cls" and getattr(outputs, "pooler_output", None) is not None:
            return outputs.pooler_output
        hidden = outputs.last_hidden_state
    else:
        if getattr(outputs, "hidden_states", None) is None:
            raise ValueError("layer given but the outputs hold no hidden_states")
        hidden = outputs.hidden_states[layer]
    if spec.pooling == "cls":
        return hidden[:, 0]
    if spec.pooling == "mean":
        return hidden.mean(dim=1)
    raise ValueError(f"unknown pooling {spec.pooling!r} (expected 'cls' or 'mean')")


def forward_features(
    model: torch.nn.Module, spec: BackboneSpec, pixel_values: torch.Tensor, layer: int | None = None
) -> torch.Tensor:
    """Run the backbone on preprocessed clips ``(B, T, 3, S, S)`` and pool to ``(B, D)``.

    Differentiable (wrap in ``torch.inference_mode()`` to embed). Frame-by-frame models see
    ``B * T`` images and their features are averaged over the ``T`` frames.

    Parameters
    ----------
    model : torch.nn.Module
        The backbone (:func:`load_backbone`); the inputs are moved to its parameters' device
        and dtype.
    spec : BackboneSpec
        Its spec.
    pixel_values : torch.Tensor
        (B, T, 3, S, S) preprocessed clips.
    layer : int or None, default None
        The hidden state to pool (None: the final output), as :func:`pool` takes it.

    Returns
    -------
    torch.Tensor
        (B, D) features, in the model's dtype.

    Raises
    ------
    ValueError
        When ``pixel_values`` is not 5-D, or as :func:`pool` raises.
    """
    if pixel_values.ndim != 5:
        raise ValueError(f"pixel_values must be (B, T, 3, S, S), got {tuple(pixel_values.shape)}")
    batch, n_frames = pixel_values.shape[:2]
    param = next(model.parameters())
    inputs = pixel_values.flatten(0, 1) if spec.frame_by_frame else pixel_values
    inputs = inputs.to(device=param.device, dtype=param.dtype)
    kwargs: dict[str, Any] = {spec.input_name: inputs}
    if layer is not None:
        kwargs["output_hidden_states"] = True
    if spec.family == "vjepa2":
        kwargs["skip_predictor"] = True
    features = pool(model(**kwargs), spec, layer)
    if spec.frame_by_frame:
        features = features.view(batch, n_frames, -1).mean(dim=1)
    return features
