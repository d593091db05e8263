"""The toy backbone's model: its transformers config, its files, and its two first recipes.

The toy is the same transformers class as the paper's backbone
(``TimesformerForVideoClassification``, saved with ``save_pretrained`` as safetensors + config +
image-processor config), small enough to train on a CPU in minutes. The *perception* recipe
(:func:`pretrain_perception`: where the agents are, which way each faces, how fast each moves)
is stage 1 of the vocabulary recipe (:func:`socalign.models.pretrain.pretrain_vocabulary`); the
*actions* recipe (:func:`pretrain`) trains on an action set. Pretraining is an explicit step:
``socalign pretrain``, or :func:`socalign.models.pretrain.ensure_toy_backbone`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from socalign.cache import staged_folder
from socalign.data.layout import atomic_write_text
from socalign.data.socialworld import ActionSet, read_action_set
from socalign.models.frames import auto_device, preprocess
from socalign.models.specs import KINETICS_MEAN, KINETICS_STD, make_spec
from socalign.models.toy.settings import (
    ACTION_SETTINGS,
    PERCEPTION_SETTINGS,
    ToySettings,
    perception_targets,
)
from socalign.models.toy.weights import TOY_MARKER
from socalign.outputs import check_output_folder


def write_processor_config(out: Path, settings: Any) -> Path:
    """Write the toy's ``preprocessor_config.json`` (the TimeSformer checkpoints' Kinetics
    normalisation at the toy's size) into ``out``.

    Written as JSON: instantiating the processor class would need torchvision or Pillow, which
    loading it later does not require of socalign.

    Parameters
    ----------
    out : Path
        The toy backbone's folder.
    settings : socalign.models.toy.ToySettings
        The toy's settings (its ``image_size`` is the resize and crop size).

    Returns
    -------
    Path
        The file written, atomically.
    """
    processor = {
        "image_processor_type": "VideoMAEImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": settings.image_size},
        "resample": 2,
        "do_center_crop": True,
        "crop_size": {"height": settings.image_size, "width": settings.image_size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": list(KINETICS_MEAN),
        "image_std": list(KINETICS_STD),
    }
    path = out / "preprocessor_config.json"
    atomic_write_text(path, json.dumps(processor, indent=2) + "\n")
    return path


@dataclass(frozen=True)
class PretrainResult:
    """Held-out action accuracy of a pretrained toy backbone (rule: argmax over classes)."""

    out: str
    accuracy: float
    chance: float
    n_train: int
    n_test: int
    n_classes: int
    train_accuracy: float
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """One-row table."""
        row = {k: v for k, v in self.to_dict().items() if k != "settings"}
        return pd.DataFrame([row])


def toy_config(settings: ToySettings, label_names: Sequence[str]) -> Any:
    """The ``TimesformerConfig`` of the toy backbone with its action labels.

    Parameters
    ----------
    settings : ToySettings
        The architecture (image, patch and hidden sizes, frames, layers, heads, init std).
    label_names : sequence of str
        The action labels, in label order (``id2label``/``label2id``).

    Returns
    -------
    transformers.TimesformerConfig
        The config.
    """
    from transformers import TimesformerConfig

    return TimesformerConfig(
        image_size=settings.image_size,
        patch_size=settings.patch_size,
        num_frames=settings.n_frames,
        hidden_size=settings.hidden_size,
        num_hidden_layers=settings.n_layers,
        num_attention_heads=settings.n_heads,
        intermediate_size=settings.intermediate_size,
        initializer_range=settings.init_std,
        id2label=dict(enumerate(label_names)),
        label2id={name: i for i, name in enumerate(label_names)},
    )


def _clips_tensor(files: Sequence[Path], settings: ToySettings, cache: bool) -> torch.Tensor:
    from socalign.video import cached_clip

    spec = make_spec("toy", "timesformer", n_frames=settings.n_frames, image_size=settings.image_size)
    clips = [cached_clip(f, settings.n_frames, cache=cache)[0] for f in files]
    return preprocess(clips, spec)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Label-preserving augmentation of a batch ``(B, T, 3, S, S)`` (normalised clips).

    Per clip, independently: a mirror image (left-right), time reversed, and the colour channels
    permuted. Every action pattern is symmetric under these, while a clip's background and
    colours change, so memorising a clip's look stops paying and its motion has to be learned.
    Hand-written: three tensor flips/indexing, no need for a video-augmentation library.

    Parameters
    ----------
    x : torch.Tensor
        (B, T, 3, S, S) normalised clips.
    generator : torch.Generator
        The CPU random stream of the flips and permutations (it continues).

    Returns
    -------
    torch.Tensor
        (B, T, 3, S, S) augmented clips, on ``x``'s device.
    """
    n = len(x)
    flip = torch.rand(n, generator=generator) < 0.5
    reverse = torch.rand(n, generator=generator) < 0.5
    perms = torch.stack([torch.randperm(3, generator=generator) for _ in range(n)])
    x = torch.where(flip.view(n, 1, 1, 1, 1).to(x.device), x.flip(-1), x)
    x = torch.where(reverse.view(n, 1, 1, 1, 1).to(x.device), x.flip(1), x)
    index = perms.to(x.device).view(n, 1, 3, 1, 1).expand(-1, x.shape[1], -1, x.shape[3], x.shape[4])
    return torch.gather(x, 2, index)


def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> float:
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            logits = model(pixel_values=x[start : start + batch_size]).logits
            correct += int((logits.argmax(-1) == y[start : start + batch_size]).sum())
    return correct / max(len(x), 1)


def pretrain(
    actions: ActionSet | Path | str,
    out: Path | str,
    settings: ToySettings = ACTION_SETTINGS,
    seed: int = 0,
    device: str | None = None,
    cache: bool = True,
    progress: bool = False,
) -> PretrainResult:
    """Train the toy TimeSformer on the action set's ``train`` split; report ``test`` accuracy.

    Saves ``TimesformerForVideoClassification`` (safetensors + config) and its image-processor
    config to ``out``, which must be missing or empty (checked before any compute; it is
    written whole or not at all). Randomness (init, shuffling) comes from ``seed`` only.

    Parameters
    ----------
    actions : ActionSet or path-like
        The action set, or its folder (:func:`socalign.data.socialworld.read_action_set`);
        it needs ``train`` and ``test`` clips.
    out : path-like
        The output folder (missing or empty).
    settings : ToySettings, default ACTION_SETTINGS
        Architecture and training settings.
    seed : int, default 0
        The seed of the initialisation, shuffling and augmentation.
    device : str or None, default None
        Where to train (None: cuda, then mps, then cpu).
    cache : bool, default True
        Read and write the decoded-clip cache.
    progress : bool, default False
        Show a progress bar over the epochs.

    Returns
    -------
    PretrainResult
        Held-out (test) and train accuracy, chance, the clip and class counts, the time
        taken, the settings and seed (also written to ``out``).

    Raises
    ------
    ValueError
        When the action set lacks ``train`` or ``test`` clips.
    socalign.outputs.OutputFolderError
        When ``out`` is a file or a non-empty folder.
    """
    from tqdm.auto import tqdm
    from transformers import TimesformerForVideoClassification

    from socalign.progress import bars_enabled

    out = check_output_folder(out, "toy backbone", TOY_MARKER)
    started = time.perf_counter()
    if not isinstance(actions, ActionSet):
        actions = read_action_set(actions)
    train_rows = np.flatnonzero(actions.splits == "train")
    test_rows = np.flatnonzero(actions.splits == "test")
    if len(train_rows) == 0 or len(test_rows) == 0:
        raise ValueError(
            f"the action set needs 'train' and 'test' clips; found splits {sorted(set(actions.splits))}"
        )
    dev = auto_device(device)
    x = _clips_tensor(actions.files, settings, cache)
    y = torch.from_numpy(actions.labels)
    x_train, y_train = x[train_rows].to(dev), y[train_rows].to(dev)
    x_test, y_test = x[test_rows].to(dev), y[test_rows].to(dev)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initialisation only; the global state is restored on exit
        model = TimesformerForVideoClassification(toy_config(settings, actions.label_names))
    model.to(dev)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    steps = settings.epochs * int(np.ceil(len(train_rows) / settings.batch_size))
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.lr, total_steps=steps, pct_start=settings.warmup
    )
    generator = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(settings.epochs), desc="pretrain toy", disable=not bars_enabled(progress)):
        model.train()
        order = torch.randperm(len(train_rows), generator=generator).to(dev)
        for start in range(0, len(order), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            inputs = augment(x_train[batch], generator) if settings.augment else x_train[batch]
            loss = model(pixel_values=inputs, labels=y_train[batch]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    accuracy = _accuracy(model, x_test, y_test, settings.batch_size)
    train_accuracy = _accuracy(model, x_train, y_train, settings.batch_size)

    result = PretrainResult(
        out=str(out),
        accuracy=accuracy,
        chance=1.0 / len(actions.label_names),
        n_train=len(train_rows),
        n_test=len(test_rows),
        n_classes=len(actions.label_names),
        train_accuracy=train_accuracy,
        seconds=time.perf_counter() - started,
        settings=settings.to_dict(),
        seed=seed,
    )
    _save_toy(out, model, settings, result.to_dict())
    return result


def _save_toy(out: Path, model: Any, settings: ToySettings, report: dict[str, Any]) -> None:
    """Write the model (safetensors + config), its processor config and its report to ``out``
    through a staging folder, so that ``out`` appears whole or not at all."""
    with staged_folder(out) as stage:
        model.cpu().save_pretrained(stage, safe_serialization=True)
        write_processor_config(stage, settings)
        atomic_write_text(stage / TOY_MARKER, json.dumps(report, indent=2) + "\n")


@dataclass(frozen=True)
class PerceptionResult:
    """Held-out fit of a perception-pretrained toy backbone: explained variance (1 - MSE / var)
    of the z-scored clip-level targets on held-out clips, by target group, and of the per-patch
    maps."""

    out: str
    explained_variance: dict[str, float]
    n_train: int
    n_test: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    task: str = "perception"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """One row per target group."""
        return pd.DataFrame(
            {"target": list(self.explained_variance), "explained_variance": list(self.explained_variance.values())}
        )


def _target_groups(names: Sequence[str]) -> dict[str, np.ndarray]:
    """Column indices of each clip-target group: one per map channel, speeds, patterns."""
    groups: dict[str, list[int]] = {}
    for k, name in enumerate(names):
        if "@" in name:
            group = f"{name.split('@')[0]} map"
        else:
            group = "patterns" if name.startswith("pattern:") else "agent speeds"
        groups.setdefault(group, []).append(k)
    return {g: np.asarray(v) for g, v in groups.items()}


def pretrain_perception(
    out: Path | str,
    settings: ToySettings = PERCEPTION_SETTINGS,
    seed: int = 0,
    device: str | None = None,
    progress: bool = False,
) -> PerceptionResult:
    """Train the toy TimeSformer from scratch on perception clips; report held-out fit.

    Parameters
    ----------
    out
        Folder to write (``TimesformerForVideoClassification`` as safetensors + config, its
        image-processor config and ``pretrain_report.json``): missing or empty (checked
        before any compute; it is written whole or not at all).
    settings
        Architecture and training settings (``task`` must be "perception").
    seed
        Seeds the clips (stream ``(seed, 20, i)``), the initialisation and the batch order.
    device
        cuda, mps or cpu (default: the best available).
    progress
        Show a progress bar.

    Returns
    -------
    PerceptionResult
        Held-out explained variance of each target group on the held-out tenth of the clips.

    Notes
    -----
    The clips (:mod:`socalign.data.socialworld.perception`) have SocialWorld's look but two
    agents that do not interact; the targets are per-agent (where, facing which way, how fast,
    summed over agents), never a relation between the agents, a type, a caption or a judgment.
    The classifier head reads the CLS token and predicts the z-scored clip-level targets; a
    linear head on the patch tokens of hidden state ``patch_layer`` predicts the per-patch maps
    and is discarded after training. Hand-written loop: a few lines of AdamW and one-cycle, no
    trainer library needed for two regression losses.
    """
    from tqdm.auto import tqdm
    from transformers import TimesformerForVideoClassification

    from socalign.data.socialworld.perception import FIELD_CHANNELS, perception_set
    from socalign.progress import bars_enabled

    if settings.task != "perception":
        raise ValueError(f"settings.task must be 'perception' here, got {settings.task!r} (use pretrain)")
    out = check_output_folder(out, "toy backbone", TOY_MARKER)
    if not 0 < settings.patch_layer <= settings.n_layers:
        raise ValueError(f"patch_layer must be in 1..{settings.n_layers}, got {settings.patch_layer}")
    started = time.perf_counter()
    targets = perception_targets(settings)
    frames, clip_targets, patch_targets = perception_set(
        settings.perception_clips, seed, n_frames=settings.n_frames, targets=targets
    )
    spec = make_spec("toy", "timesformer", n_frames=settings.n_frames, image_size=settings.image_size)
    dev = auto_device(device)
    x = preprocess(frames, spec)
    del frames
    n_test = max(1, settings.perception_clips // 10)
    test, train = np.arange(n_test), np.arange(n_test, settings.perception_clips)
    y = torch.from_numpy(clip_targets)
    mean, std = y[train].mean(0), y[train].std(0) + 1e-3
    y = (y - mean) / std
    patch = torch.from_numpy(patch_targets)
    names = targets.names()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initialisation only; the global state is restored on exit
        model = TimesformerForVideoClassification(toy_config(settings, names))
        patch_head = torch.nn.Linear(settings.hidden_size, len(FIELD_CHANNELS))
    model.to(dev)
    patch_head.to(dev)
    params = [*model.parameters(), *patch_head.parameters()]
    optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    per_epoch = len(train) // settings.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.lr, total_steps=settings.epochs * per_epoch, pct_start=settings.warmup
    )
    generator = torch.Generator().manual_seed(seed)
    grid = targets.patch_grid

    def patch_prediction(hidden: torch.Tensor) -> torch.Tensor:
        # TimeSformer orders tokens patch-major, then frame: (CLS, p0t0, p0t1, ...)
        tokens = hidden[:, 1:]
        pred = patch_head(tokens).view(len(tokens), grid * grid, settings.n_frames, -1)
        return pred.permute(0, 2, 3, 1).reshape(len(tokens), settings.n_frames, -1, grid, grid)

    for _ in tqdm(range(settings.epochs), desc="pretrain toy", disable=not bars_enabled(progress)):
        model.train()
        order = train[torch.randperm(len(train), generator=generator).numpy()]
        for start in range(0, per_epoch * settings.batch_size, settings.batch_size):
            batch = torch.from_numpy(order[start : start + settings.batch_size])
            outputs = model(pixel_values=x[batch].to(dev), output_hidden_states=True)
            clip_loss = torch.nn.functional.mse_loss(outputs.logits, y[batch].to(dev))
            patch_loss = torch.nn.functional.mse_loss(
                patch_prediction(outputs.hidden_states[settings.patch_layer]), patch[batch].to(dev)
            )
            loss = settings.clip_weight * clip_loss + patch_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

    model.eval()
    predictions, patch_error = [], 0.0
    with torch.inference_mode():
        for start in range(0, n_test, 64):
            rows = torch.from_numpy(test[start : start + 64])
            outputs = model(pixel_values=x[rows].to(dev), output_hidden_states=True)
            predictions.append(outputs.logits.cpu())
            pred = patch_prediction(outputs.hidden_states[settings.patch_layer]).cpu()
            patch_error += float(((pred - patch[rows]) ** 2).sum())
    predicted = torch.cat(predictions).numpy()
    truth = y[test].numpy()
    explained = {}
    for group, cols in _target_groups(names).items():
        residual = ((predicted[:, cols] - truth[:, cols]) ** 2).mean()
        explained[group] = float(1 - residual / truth[:, cols].var(axis=0).mean())
    patch_var = float(((patch[test] - patch[test].mean(0)) ** 2).sum())
    explained["patch_maps"] = 1 - patch_error / patch_var

    result = PerceptionResult(
        out=str(out), explained_variance=explained, n_train=len(train), n_test=n_test,
        seconds=time.perf_counter() - started, settings=settings.to_dict(),
        targets=targets.to_dict(), seed=seed,
    )
    _save_toy(out, model, settings, result.to_dict())
    return result
