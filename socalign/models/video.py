"""Video backbones through transformers: load by name or folder, preprocess clips, pool features.

The same three calls serve embedding and fine-tuning: :func:`load_backbone` (model + spec),
:func:`preprocess` (uint8 clips -> normalised ``(B, T, 3, S, S)``) and :func:`forward_features`
(a differentiable forward that returns one ``(B, D)`` vector per clip, optionally from a
chosen layer), which uses :func:`pool`. :func:`auto_device` and :func:`preprocess` are defined
in :mod:`socalign.models.frames` (below the toy backbone, which uses them) and re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from socalign.models.frames import auto_device, preprocess  # noqa: F401  (public names here)
from socalign.models.registry import TOY_NAME, BackboneSpec, get_spec


def load_backbone(
    name_or_path: str | Path,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    trust_remote_code: bool = False,
) -> tuple[torch.nn.Module, BackboneSpec]:
    """Load a video backbone (no task head) in eval mode, with its :class:`BackboneSpec`.

    ``name_or_path``: a Hugging Face name, a local checkpoint folder, or ``toy`` (the toy
    TimeSformer, pretrained and cached on first use). Remote code is off unless asked for.
    """
    import transformers

    spec = get_spec(name_or_path)
    model_class = getattr(transformers, spec.model_class)
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if dtype is not None:
        kwargs["dtype"] = dtype
    source = spec.source
    try:
        model = model_class.from_pretrained(source, **kwargs)
    except OSError as err:
        raise FileNotFoundError(
            f"cannot load {spec.model_class} from {source!r} ({err}); offline, pass a local "
            f"folder or {TOY_NAME!r}"
        ) from err
    model.eval()
    return model.to(auto_device(device)), spec


def pool(outputs: Any, spec: BackboneSpec, layer: int | None = None) -> torch.Tensor:
    """One vector per input from a transformers output: the spec's pooling over tokens.

    ``layer`` None: the model's final output (for CLIP the post-layernorm pooled CLS);
    otherwise ``hidden_states[layer]`` (the forward must have been run with
    ``output_hidden_states=True``). For frame-by-frame models the result is per frame;
    :func:`forward_features` averages it over frames.
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
