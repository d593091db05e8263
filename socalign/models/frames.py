"""Clips to a backbone's input tensor, on the best device (torch, no model loading).

Below both :mod:`socalign.models.video` (which re-exports these) and
:mod:`socalign.models.toy`, which preprocesses its pretraining clips with them: the toy never
imports the loader, which resolves the name ``toy`` by building it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from socalign.models.specs import BackboneSpec
from socalign.video import sample_frame_indices

__all__ = ["auto_device", "preprocess"]


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


def preprocess(clips_uint8: np.ndarray | Sequence[np.ndarray], spec: BackboneSpec) -> torch.Tensor:
    """uint8 RGB clips ``(B, T, H, W, 3)`` (or a list of ``(T, H, W, 3)`` of any sizes) ->
    float ``(B, spec.n_frames, 3, S, S)``.

    Frames are resampled uniformly to ``spec.n_frames``; the shortest edge is resized to
    ``spec.resize_size`` (bilinear, antialiased), centre-cropped to ``spec.image_size``, scaled
    to [0, 1] and normalised with the spec's mean and std.
    """
    out = []
    mean = torch.tensor(spec.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32).view(1, 3, 1, 1)
    for i, clip in enumerate(_as_clip_list(clips_uint8)):
        if clip.ndim != 4 or clip.shape[-1] != 3 or clip.dtype != np.uint8:
            raise ValueError(f"clip {i} must be (T, H, W, 3) uint8, got {clip.shape} {clip.dtype}")
        if clip.shape[0] != spec.n_frames:
            clip = clip[sample_frame_indices(clip.shape[0], spec.n_frames)]
        frames = torch.from_numpy(np.ascontiguousarray(clip)).permute(0, 3, 1, 2).float() / 255.0
        height, width = frames.shape[-2:]
        scale = spec.resize_size / min(height, width)
        new_h, new_w = max(spec.image_size, round(height * scale)), max(spec.image_size, round(width * scale))
        if (new_h, new_w) != (height, width):
            frames = F.interpolate(
                frames, size=(new_h, new_w), mode="bilinear", align_corners=False, antialias=True
            )
        top = (new_h - spec.image_size) // 2
        left = (new_w - spec.image_size) // 2
        frames = frames[..., top : top + spec.image_size, left : left + spec.image_size]
        out.append((frames - mean) / std)
    if not out:
        raise ValueError("no clips to preprocess")
    return torch.stack(out)
