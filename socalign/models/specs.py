"""Backbone families and specs: how to feed and read a video backbone (no I/O, no torch).

The lowest layer of :mod:`socalign.models`: :class:`Family` (per-architecture facts),
:class:`BackboneSpec` (one checkpoint's preprocessing, pooling, layers and LoRA targets) and
:func:`make_spec`. Name and folder resolution is :mod:`socalign.models.registry`, which re-exports everything
here; a lookup there never builds a backbone (the toy's plug-in registers with it, and its
pretraining, :mod:`socalign.models.pretrain`, is an explicit step).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "CLIP_MEAN",
    "CLIP_STD",
    "FAMILIES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "KINETICS_MEAN",
    "KINETICS_STD",
    "MODEL_TYPES",
    "SPEC_FILE",
    "TIMESFORMER_LORA_TARGETS",
    "BackboneSpec",
    "Family",
    "make_spec",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
KINETICS_MEAN = (0.45, 0.45, 0.45)  # the TimeSformer checkpoints' preprocessor
KINETICS_STD = (0.225, 0.225, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SPEC_FILE = "socalign_spec.json"
"""A checkpoint folder's socalign settings that its ``config.json`` cannot hold (``n_frames``:
the frames a fine-tuning run fed the backbone, written beside a merged backbone, or a toy's
training frames)."""
# The paper's LoRA targets for TimeSformer (see FAMILIES); also LoraSettings' default.
TIMESFORMER_LORA_TARGETS = ("qkv", "attention.output.dense", "intermediate.dense", "temporal_dense")


@dataclass(frozen=True)
class Family:
    """Per-architecture facts shared by every checkpoint of that architecture."""

    model_class: str  # transformers class that loads the backbone (no task head)
    input_name: str  # keyword of the pixel tensor in ``forward``
    pooling: str  # "cls" (first token / pooler) or "mean" (over tokens)
    frame_by_frame: bool  # an image model applied to each frame, then averaged over frames
    lora_targets: tuple[str, ...]  # module-name suffixes for peft ``target_modules``
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resize_ratio: float = 1.0  # shortest edge = round(image_size * ratio), then centre crop
    tubelet_frames: int = 1  # frames per patch token's time step (VideoMAE's and V-JEPA 2's tubelets: 2)
    cls_token: bool = True  # a CLS token leads the patch tokens (VideoMAE and V-JEPA 2 have none)


FAMILIES: dict[str, Family] = {
    # TimeSformer: divided space-time attention. The paper's LoRA targets: qkv (the fused
    # projection of both the spatial and the temporal attention), the spatial attention's output
    # dense, the MLP's intermediate dense and the temporal dense layer.
    "timesformer": Family(
        "TimesformerModel", "pixel_values", "cls", False,
        TIMESFORMER_LORA_TARGETS, KINETICS_MEAN, KINETICS_STD,
    ),
    "videomae": Family(
        "VideoMAEModel", "pixel_values", "mean", False, ("query", "key", "value"),
        IMAGENET_MEAN, IMAGENET_STD, tubelet_frames=2, cls_token=False,
    ),
    "vjepa2": Family(
        "VJEPA2Model", "pixel_values_videos", "mean", False, ("query", "key", "value"),
        IMAGENET_MEAN, IMAGENET_STD, resize_ratio=256 / 224, tubelet_frames=2, cls_token=False,
    ),
    "clip": Family(
        "CLIPVisionModel", "pixel_values", "cls", True, ("q_proj", "k_proj", "v_proj"),
        CLIP_MEAN, CLIP_STD,
    ),
}
MODEL_TYPES = {
    "timesformer": "timesformer",
    "videomae": "videomae",
    "vjepa2": "vjepa2",
    "clip": "clip",
    "clip_vision_model": "clip",
}


@dataclass(frozen=True)
class BackboneSpec:
    """How to feed and read one backbone.

    source: the Hugging Face name or local folder to load; n_frames, image_size, resize_size,
    mean, std: preprocessing (uniform frames; shortest edge to ``resize_size``, centre crop to
    ``image_size``, scale to [0, 1], normalise); pooling: "cls" or "mean"; n_layers: transformer
    blocks (hidden states 0..n_layers, 0 = patch embeddings); lora_targets: peft target modules;
    revision: the hub branch, tag or commit to load ``source`` at (None: ``main``; hub ids only).
    """

    name: str
    family: str
    source: str
    model_class: str
    input_name: str
    n_frames: int
    image_size: int
    resize_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    pooling: str
    frame_by_frame: bool
    n_layers: int | None
    hidden_size: int | None
    lora_targets: tuple[str, ...]
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)

    def check_layer(self, layer: int | None) -> int | None:
        """Validate a hidden-state index (None: the model's output); negatives count from the end."""
        if layer is None or self.n_layers is None:
            return layer
        if not -(self.n_layers + 1) <= layer <= self.n_layers:
            raise ValueError(
                f"layer {layer} out of range for {self.name}: hidden states 0..{self.n_layers} "
                "(0 = patch embeddings; negatives count from the end)"
            )
        return layer % (self.n_layers + 1)


def make_spec(
    name: str,
    family: str,
    source: str | None = None,
    n_frames: int = 8,
    image_size: int = 224,
    n_layers: int | None = None,
    hidden_size: int | None = None,
    mean: tuple[float, float, float] | None = None,
    std: tuple[float, float, float] | None = None,
    resize_size: int | None = None,
    revision: str | None = None,
) -> BackboneSpec:
    """A spec from a family's defaults and the checkpoint's numbers.

    Parameters
    ----------
    name : str
        The spec's name.
    family : str
        A backbone family of :data:`FAMILIES` (model class, input name, pooling, LoRA targets,
        default mean/std and resize ratio).
    source : str or None, default None
        Where the weights are loaded from (``name`` when None).
    n_frames : int, default 8
        Frames per clip.
    image_size : int, default 224
        The square crop's side in pixels.
    n_layers : int or None, default None
        Hidden layers (None: unknown; layers cannot then be checked).
    hidden_size : int or None, default None
        Width of the hidden states (None: unknown).
    mean : tuple of 3 float or None, default None
        Per-channel normalisation mean (the family's when None).
    std : tuple of 3 float or None, default None
        Per-channel normalisation std (the family's when None).
    resize_size : int or None, default None
        The shortest edge before the crop (``image_size`` times the family's resize ratio,
        rounded, when None).
    revision : str or None, default None
        A hub revision the spec records.

    Returns
    -------
    BackboneSpec
        The spec.

    Raises
    ------
    ValueError
        When ``family`` is unknown.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown backbone family {family!r}; known: {sorted(FAMILIES)}")
    fam = FAMILIES[family]
    return BackboneSpec(
        name=name,
        family=family,
        source=source or name,
        model_class=fam.model_class,
        input_name=fam.input_name,
        n_frames=int(n_frames),
        image_size=int(image_size),
        resize_size=int(resize_size or round(image_size * fam.resize_ratio)),
        mean=tuple(mean or fam.mean),  # type: ignore[arg-type]
        std=tuple(std or fam.std),  # type: ignore[arg-type]
        pooling=fam.pooling,
        frame_by_frame=fam.frame_by_frame,
        n_layers=n_layers,
        hidden_size=hidden_size,
        lora_targets=fam.lora_targets,
        revision=revision,
    )
