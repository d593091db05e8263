"""The toy video backbone: a tiny TimeSformer pretrained on SocialWorld's action-recognition set.

It is the ``demo`` profile's "pretrained video model": the same transformers class as the
paper's backbone (``TimesformerForVideoClassification``, saved with ``save_pretrained`` as
safetensors + config + image-processor config), small enough to train on a CPU in minutes.
Load it with ``load_backbone(path)`` (the backbone) or ``from_pretrained`` (with its head).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from socalign import __version__
from socalign.cache import build_once, cache_dir, content_key
from socalign.data.socialworld import ActionSet, read_action_set, synthesize_actions
from socalign.data.socialworld.actions import ActionStyle
from socalign.models.registry import KINETICS_MEAN, KINETICS_STD, make_spec
from socalign.models.video import auto_device, preprocess

TOY_CACHE_VERSION = "socalign-toy/2"


@dataclass(frozen=True)
class ToySettings:
    """Architecture and training settings of the toy TimeSformer (and, when ``ensure_toy_backbone``
    makes it, the size of the synthesized action set).

    Why the defaults (measured on the 9-label action set, 2 CPU cores; see the module notes):
    32 px in 8-px patches (16 tokens a frame, SocialWorld's action agents ~6 px wide) trains as
    well as 64 px in 16-px patches at a third of the cost; ``init_std`` 0.2 instead of BERT's 0.02
    (tuned for width 768; at width 64 the temporal-attention path, three 0.02-scaled matrices in
    a row, starts near zero and the loss sat at chance); label-preserving augmentation and many
    clips keep the model from memorising backgrounds; ~2,400 small steps.
    """

    image_size: int = 32
    patch_size: int = 8
    n_frames: int = 8
    hidden_size: int = 64
    n_layers: int = 2
    n_heads: int = 4
    intermediate_size: int = 128
    init_std: float = 0.2  # TimesformerConfig.initializer_range
    epochs: int = 27
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup: float = 0.15  # fraction of the steps with a rising learning rate (one-cycle)
    augment: bool = True  # mirror, time reversal, colour-channel permutation (see ``augment``)
    action_clips: int = 1800  # clips in the action set ``ensure_toy_backbone`` synthesizes

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)


# The CI profile's tiny model (and the unit tests' two-direction set, which mirroring and time
# reversal would relabel): the earlier recipe, no augmentation.
TINY_SETTINGS = ToySettings(
    image_size=16, patch_size=8, n_frames=4, hidden_size=16, n_layers=1, n_heads=2,
    intermediate_size=32, init_std=0.02, epochs=40, batch_size=4, lr=3e-3, weight_decay=0.05,
    warmup=0.3, augment=False, action_clips=600,
)


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
    """The ``TimesformerConfig`` of the toy backbone with its action labels."""
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
    settings: ToySettings = ToySettings(),
    seed: int = 0,
    device: str | None = None,
    cache: bool = True,
    progress: bool = False,
) -> PretrainResult:
    """Train the toy TimeSformer on the action set's ``train`` split; report ``test`` accuracy.

    Saves ``TimesformerForVideoClassification`` (safetensors + config) and its image-processor
    config to ``out``. Randomness (init, shuffling) comes from ``seed`` only.
    """
    from tqdm.auto import tqdm
    from transformers import TimesformerForVideoClassification

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
    for _ in tqdm(range(settings.epochs), desc="pretrain toy", disable=not progress):
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

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.cpu().save_pretrained(out, safe_serialization=True)
    # the image-processor config, written as JSON: instantiating the processor class would
    # need torchvision or Pillow, which loading it later does not require of socalign
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
    (out / "preprocessor_config.json").write_text(json.dumps(processor, indent=2) + "\n")
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
    (out / "pretrain_report.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def toy_cache_key(actions_dir: Path | None, settings: ToySettings, seed: int) -> str:
    """Cache key: settings, seed, socalign version and (when given) the action set's content."""
    items: list[Any] = [TOY_CACHE_VERSION, __version__, settings.to_dict(), seed]
    if actions_dir is not None:
        items += [Path(p) for p in sorted(Path(actions_dir).rglob("*")) if p.is_file()]
    else:
        items += ["synthesized-actions", ActionStyle().to_dict()]
    return content_key(*items)[:24]


def ensure_toy_backbone(
    actions_dir: Path | str | None = None,
    seed: int = 0,
    settings: ToySettings = ToySettings(),
    device: str | None = None,
    progress: bool = False,
) -> Path:
    """The cached toy backbone folder, pretraining it (and making the action set) on first use."""
    actions_path = None if actions_dir is None else Path(actions_dir)
    target = cache_dir("toy") / toy_cache_key(actions_path, settings, seed)

    def build(out: Path) -> None:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".actions-") as scratch:
            actions = actions_path
            if actions is None:
                actions = Path(scratch) / "actions"
                synthesize_actions(actions, n_clips=settings.action_clips, seed=seed, progress=progress)
            pretrain(actions, out, settings, seed, device, progress=progress)

    return build_once(target, "config.json", build)
