"""The fine-tuned model: a video backbone with LoRA adapters (peft) and a projection head.

Only the adapters and the head train. :class:`AlignedVideoModel` has the one save/load pair:
:meth:`AlignedVideoModel.save` writes peft's own format (adapter safetensors +
``adapter_config.json``) beside ``head.safetensors`` and ``head.json``, and
:meth:`AlignedVideoModel.load` reads a run folder, an exported folder or a saved folder back,
its files checked first (:mod:`socalign.train.modelfiles`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from socalign.models.registry import TIMESFORMER_LORA_TARGETS  # the one definition (spec default)

Features = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class LoraSettings:
    """LoRA rank, scaling alpha, dropout and target module names (paper: 8, 16, 0.1)."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.1
    targets: tuple[str, ...] = TIMESFORMER_LORA_TARGETS

    def __post_init__(self) -> None:
        if self.r < 1 or self.alpha <= 0 or not 0 <= self.dropout < 1 or not self.targets:
            raise ValueError(f"bad LoRA settings {self}")


class ProjectionHead(nn.Module):
    """hidden -> dim, LayerNorm, ReLU, dropout, then L2 normalisation."""

    def __init__(self, hidden: int, dim: int = 128, dropout: float = 0.3) -> None:
        super().__init__()
        self.hidden, self.dim, self.dropout_p = hidden, dim, dropout
        self.linear = nn.Linear(hidden, dim)
        self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project pooled features to unit-length embeddings."""
        return F.normalize(self.dropout(torch.relu(self.norm(self.linear(x)))), dim=-1)


@contextlib.contextmanager
def _peft_quietly() -> Iterator[None]:
    """Silence peft's read of transformers' deprecated ``is_gradient_checkpointing`` (not ours)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing",
                                category=FutureWarning)
        yield


def _spec_features(spec: Any) -> Features:
    """The pooled features a backbone's spec names (``socalign.models.video.forward_features``)."""
    from socalign.models.video import forward_features

    return lambda module, pixel_values: forward_features(module, spec, pixel_values)


def cls_features(backbone: nn.Module, pixel_values: torch.Tensor) -> torch.Tensor:
    """TimeSformer-style features: the CLS token of ``last_hidden_state``.

    For registered backbones pass ``socalign.models.video.forward_features`` bound to the spec.

    Parameters
    ----------
    backbone : torch.nn.Module
        The (LoRA-wrapped) backbone, called with ``pixel_values=``.
    pixel_values : torch.Tensor
        (B, T, 3, S, S) preprocessed clips.

    Returns
    -------
    torch.Tensor
        (B, hidden) CLS features.
    """
    return backbone(pixel_values=pixel_values).last_hidden_state[:, 0]


def add_lora(backbone: nn.Module, settings: LoraSettings) -> nn.Module:
    """Wrap ``backbone`` with peft LoRA adapters; every base weight is frozen.

    Parameters
    ----------
    backbone : torch.nn.Module
        The pretrained backbone.
    settings : LoraSettings
        Rank, alpha, dropout and target module names (each must match a module, by name or
        dotted suffix).

    Returns
    -------
    torch.nn.Module
        The peft model wrapping ``backbone``.

    Raises
    ------
    ValueError
        When a target matches no module of ``backbone``.
    """
    from peft import LoraConfig, get_peft_model

    names = [name for name, _ in backbone.named_modules()]
    for target in settings.targets:
        if not any(n == target or n.endswith("." + target) for n in names):
            raise ValueError(
                f"LoRA target {target!r} matches no module of {type(backbone).__name__}"
            )
    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.targets),
        bias="none",
    )
    with _peft_quietly():
        return get_peft_model(backbone, config)


class AlignedVideoModel(nn.Module):
    """Backbone (with LoRA) -> pooling -> projection head -> unit-length embedding.

    ``spec`` (a :class:`socalign.models.specs.BackboneSpec`, set by the loaders) says how to
    preprocess clips for :meth:`embed_clips`; ``source`` records where the model was loaded
    from (a run folder, an exported folder or a hub repository).
    """

    def __init__(
        self, backbone: nn.Module, head: ProjectionHead, features: Features = cls_features,
        spec: Any = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.features_fn = features
        self.spec = spec
        self.source: str | None = None

    def embed_clips(self, clips_uint8: Any, batch_size: int = 8) -> Any:
        """Unit-length embeddings of uint8 clips, preprocessed as in training (the fast path).

        Parameters
        ----------
        clips_uint8 : numpy.ndarray or sequence of numpy.ndarray
            ``(B, T, H, W, 3)`` uint8 RGB clips, or a list of ``(T, H, W, 3)`` of any sizes.
        batch_size : int, default 8
            Clips per forward pass.

        Returns
        -------
        numpy.ndarray
            float32 ``(B, dim)``.

        Raises
        ------
        ValueError
            The model has no ``spec`` (built by hand, not loaded).
        """
        import numpy as np

        from socalign.models.frames import _as_clip_list, preprocess

        if self.spec is None:
            raise ValueError("this model has no spec: load it with socalign.load_aligned")
        clips = _as_clip_list(clips_uint8)
        param = next(self.parameters())
        out = []
        with torch.inference_mode():
            for start in range(0, len(clips), batch_size):
                pixels = preprocess(clips[start:start + batch_size], self.spec)
                out.append(self(pixels.to(param.device)).float().cpu().numpy())
        if not out:
            raise ValueError("no clips to embed")
        return np.concatenate(out).astype(np.float32)

    def features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features (B, hidden)."""
        return self.features_fn(self.backbone, pixel_values)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Unit-length embeddings (B, dim)."""
        return self.head(self.features(pixel_values))

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The parameters that train (adapters and head), detached copies."""
        return {n: p.detach().clone() for n, p in self.named_parameters() if p.requires_grad}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        """Load adapter and head parameters saved by :meth:`trainable_state`."""
        own = dict(self.named_parameters())
        missing = [n for n, p in own.items() if p.requires_grad and n not in state]
        unknown = [n for n in state if n not in own]
        if missing or unknown:
            raise KeyError(f"checkpoint does not fit the model: missing {missing[:3]}, unknown {unknown[:3]}")
        with torch.no_grad():
            for name, value in state.items():
                own[name].copy_(value)

    def save(self, folder: Path | str, meta: dict[str, Any] | None = None) -> Path:
        """Save the adapters (peft's format, safetensors) and the head (safetensors + json).

        Written into a temporary folder that is then renamed to ``folder`` (replacing an
        older one); :meth:`load` reads it back.

        Parameters
        ----------
        folder : path-like
            The folder to write (its parent is created when missing).
        meta : dict of str to Any or None, default None
            Extra entries of ``head.json`` (beside ``hidden``, ``dim`` and ``dropout``; values
            that are not JSON-able are written as strings), e.g. the run's id.

        Returns
        -------
        Path
            ``folder``.
        """
        from safetensors.torch import save

        from socalign.train.runfiles import HEAD_CONFIG_FILE, HEAD_FILE

        out = Path(folder)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
        try:
            self.backbone.save_pretrained(str(tmp), safe_serialization=True)
            head = self.head
            state = {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
            (tmp / HEAD_FILE).write_bytes(save(state))
            info = {"hidden": head.hidden, "dim": head.dim, "dropout": head.dropout_p,
                    **(meta or {})}
            (tmp / HEAD_CONFIG_FILE).write_text(json.dumps(info, indent=2, default=str))
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out

    @classmethod
    def load(cls, folder: Path | str, device: str | None = "cpu",
             backbone: nn.Module | tuple[nn.Module, Any] | None = None) -> AlignedVideoModel:
        """The one loader of a fine-tuned model: its files checked, then its backbone adapted.

        Every file is checked before a weight is read
        (:class:`socalign.train.modelfiles.SavedModel`): the adapters' settings and tensor
        shapes and the head's sizes against the run's own record, pickle weights refused.
        Then the pretrained backbone is loaded (unless given), checked against the adapters,
        and wrapped with them (peft's ``PeftModel.from_pretrained``) and the head.

        Parameters
        ----------
        folder : path-like
            A ``socalign finetune`` run folder (its ``model/``), a folder ``socalign export``
            wrote, or, with ``backbone``, a folder :meth:`save` wrote.
        device : str or None, default "cpu"
            Where to load the backbone and put the model (None: left where it is loaded).
        backbone : torch.nn.Module or tuple of (torch.nn.Module, BackboneSpec) or None
            The pretrained backbone already loaded (it is wrapped, not copied), with its spec
            when the features are the spec's (``socalign.models.video.forward_features``);
            None: the one the run records, loaded here.

        Returns
        -------
        AlignedVideoModel
            In eval mode, with ``spec`` (the backbone's, as trained) and ``source``
            (``folder``).

        Raises
        ------
        FileNotFoundError
            A missing file (or a run without its saved model).
        ValueError
            A folder that is neither a run nor an export (without ``backbone``); or
            (:class:`socalign.train.checkpoint.RunFileError`) a saved model that disagrees
            with the run's record, a malformed JSON file, or pickle weights (``.bin``,
            ``.pt``) in place of the safetensors files, which are never loaded.
        """
        from peft import PeftModel
        from safetensors.torch import load

        from socalign.train.modelfiles import SavedModel, hidden_of
        from socalign.train.runfiles import HEAD_FILE

        saved = SavedModel.of(folder, plain=backbone is not None)
        saved.check()  # before anything is loaded
        if backbone is None:
            from socalign.models.video import load_backbone

            base, spec = load_backbone(str(saved.backbone), device=device,
                                       revision=saved.revision, n_frames=saved.n_frames)
        else:
            base, spec = backbone if isinstance(backbone, tuple) else (backbone, None)
        info = saved.check(hidden_of(base, spec), base)
        with _peft_quietly():
            wrapped = PeftModel.from_pretrained(base, str(saved.weights))
        head = ProjectionHead(int(info["hidden"]), int(info["dim"]), float(info["dropout"]))
        head.load_state_dict(load((saved.weights / HEAD_FILE).read_bytes()))
        model = cls(wrapped, head, cls_features if spec is None else _spec_features(spec), spec)
        model.source = str(folder)
        return model.to(device).eval() if device is not None else model.eval()


def build_model(
    backbone: nn.Module,
    hidden: int,
    lora: LoraSettings,
    head_dim: int = 128,
    head_dropout: float = 0.3,
    features: Features = cls_features,
    generator: torch.Generator | None = None,
    gradient_checkpointing: bool = False,
) -> AlignedVideoModel:
    """LoRA-wrap ``backbone`` and add a freshly initialised head (seeded by ``generator``).

    Parameters
    ----------
    backbone : torch.nn.Module
        The pretrained backbone.
    hidden : int
        Width of the backbone's pooled features (the head's input).
    lora : LoraSettings
        The adapters' settings (:func:`add_lora`).
    head_dim : int, default 128
        Width of the embedding the head outputs.
    head_dropout : float, default 0.3
        Dropout inside the head.
    features : callable, default cls_features
        ``(backbone, pixel_values) -> (B, hidden)`` pooled features.
    generator : torch.Generator or None, default None
        Seeds the adapters' and head's initialisation (one integer drawn from it, the global
        random state restored after); None uses the global random state.
    gradient_checkpointing : bool, default False
        Switched on after wrapping (non-reentrant), because peft's input-gradient hook does
        not fit TimeSformer's tuple-returning embeddings.

    Returns
    -------
    AlignedVideoModel
        The model, without a ``spec``.
    """
    fork = [generator.device] if generator is not None and generator.device.type != "cpu" else []
    with torch.random.fork_rng(devices=fork):
        if generator is not None:
            torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))
        wrapped = add_lora(backbone, lora)
        head = ProjectionHead(hidden, head_dim, head_dropout)
    if gradient_checkpointing:
        base = wrapped.get_base_model()
        if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5 names it so
            base.activation_checkpointing_enable(
                activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            base.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False})
    return AlignedVideoModel(wrapped, head, features)


def count_trainable(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad), total
