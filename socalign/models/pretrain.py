"""Pretraining the toy backbones, an explicit step, and its recipe for every family.

A registry lookup of a toy never pretrains it: its weights ship, or this module made them.
:func:`pretrain_backbone` pretrains a registered name (``toy-clip``) and caches it under that
name; :func:`ensure_toy_backbone` finds or pretrains any recipe (:mod:`socalign.models.toy`) and
caches it; ``socalign pretrain`` writes one to a folder.

The vocabulary recipe (:func:`pretrain_vocabulary`): a toy pretrained the way a Kinetics model is.

A video backbone of the registry's families (``timesformer``: divided space-time attention;
``videomae``: joint space-time attention over tubelets of two frames, mean-pooled, the
architecture of VideoMAE and V-JEPA 2; ``clip``: a frame-wise image transformer whose pooled
frames are averaged over time) is built
small and from random weights, then trained to name the actions of Kinetics-like clips
(:mod:`socalign.data.socialworld.vocabulary`: 9 single-agent classes and 4 two-agent ones,
multi-label), and to tell how fast its agents move. The class and speed heads read the pooled
embedding exactly as :func:`socalign.models.frames.forward_features` computes it, so the
geometry that pretraining shapes is the one socalign scores; a dense auxiliary head on the patch
tokens of hidden state ``patch_layer`` predicts where each agent is, which way it faces and how
fast it moves, and is discarded after training (it teaches the early layers to find the agents
in a few hundred steps). The backbone is saved without its heads (``save_pretrained``, safetensors)
beside a ``pretrain_report.json`` and a model card (``README.md``) that says what it saw.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socalign.cache import build_once, staged_folder
from socalign.data.layout import atomic_write_text
from socalign.models.frames import auto_device, preprocess
from socalign.models.specs import FAMILIES, KINETICS_MEAN, KINETICS_STD, SPEC_FILE, make_spec
from socalign.models.toy.model import write_processor_config
from socalign.models.toy.settings import ToySettings, perception_stage
from socalign.models.toy.weights import CACHE_MARKER, TOY_MARKER, cached_toy, shipped_toy_backbone


def build_backbone(settings: Any, family: str, label_names: list[str], n_frames: int) -> torch.nn.Module:
    """A randomly initialised backbone of ``family`` at the toy's size (no task head).

    Parameters
    ----------
    settings : socalign.models.toy.ToySettings
        Sizes (image, patch, frames, width, layers, heads, MLP) and ``init_std``.
    family : str
        ``timesformer``, ``videomae`` (tubelets of the registry's ``tubelet_frames``) or ``clip``.
    label_names : list of str
        The pretraining classes, recorded in the config's ``id2label``.
    n_frames : int
        Frames per clip (TimeSformer's time embeddings).

    Returns
    -------
    torch.nn.Module
        ``TimesformerModel``, ``VideoMAEModel`` or ``CLIPVisionModel``.
    """
    common = {"image_size": settings.image_size, "patch_size": settings.patch_size,
              "hidden_size": settings.hidden_size, "num_hidden_layers": settings.n_layers,
              "num_attention_heads": settings.n_heads, "intermediate_size": settings.intermediate_size,
              "initializer_range": settings.init_std,
              "id2label": dict(enumerate(label_names)),
              "label2id": {name: i for i, name in enumerate(label_names)}}
    if family == "timesformer":
        from transformers import TimesformerConfig, TimesformerModel

        return TimesformerModel(TimesformerConfig(num_frames=n_frames, **common))
    if family == "videomae":
        from transformers import VideoMAEConfig, VideoMAEModel

        return VideoMAEModel(VideoMAEConfig(num_frames=n_frames, tubelet_size=FAMILIES[family].tubelet_frames,
                                            use_mean_pooling=True, **common))
    if family == "clip":
        from transformers import CLIPVisionConfig, CLIPVisionModel

        return CLIPVisionModel(CLIPVisionConfig(num_channels=3, **common))
    raise ValueError(f"the vocabulary recipe builds 'timesformer', 'videomae' or 'clip' backbones, not {family!r}")


def load_base(folder: Path | str, family: str) -> torch.nn.Module:
    """The base model of ``family`` (no task head) from a checkpoint folder, e.g. a stage's
    weights saved with their classification head.

    Read with the family's transformers class directly (a stage's folder is no registered
    backbone, and its classification head is left out quietly).

    Parameters
    ----------
    folder : path-like
        A ``save_pretrained`` folder (safetensors).
    family : str
        A registry family (its ``model_class``).

    Returns
    -------
    torch.nn.Module
        The base model, in eval mode.
    """
    import transformers
    from transformers.utils import logging as hf_logging

    cls = getattr(transformers, FAMILIES[family].model_class)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # a head checkpoint's unused classifier is expected
    try:
        return cls.from_pretrained(str(folder), use_safetensors=True).eval()
    finally:
        hf_logging.set_verbosity(verbosity)


def patch_tokens(hidden: torch.Tensor, family: str, batch: int, n_frames: int) -> torch.Tensor:
    """(B, T', P, D) patch tokens from one hidden state of ``family``'s backbone.

    TimeSformer orders its tokens (CLS, patch-major then frame); a family without a CLS token
    (VideoMAE, V-JEPA 2: :attr:`Family.cls_token`) orders them tubelet-major (T' = T / its
    :attr:`Family.tubelet_frames`); a frame-wise model returns (B * T, 1 + P, D).

    Parameters
    ----------
    hidden : torch.Tensor
        The hidden state.
    family : str
        ``timesformer`` or a frame-by-frame family.
    batch, n_frames : int
        B and T.

    Returns
    -------
    torch.Tensor
        (B, T', P, D): T' is T, or the tubelets (:func:`token_times`).
    """
    if not FAMILIES[family].cls_token:
        n_times = token_times(family, n_frames)
        return hidden.reshape(batch, n_times, hidden.shape[1] // n_times, -1)
    tokens = hidden[:, 1:]
    if FAMILIES[family].frame_by_frame:
        return tokens.reshape(batch, n_frames, tokens.shape[1], -1)
    return tokens.reshape(batch, -1, n_frames, tokens.shape[-1]).transpose(1, 2)


def token_times(family: str, n_frames: int) -> int:
    """The time steps of ``family``'s patch tokens for clips of ``n_frames`` frames.

    Parameters
    ----------
    family : str
        A registry family.
    n_frames : int
        Frames per clip.

    Returns
    -------
    int
        ``n_frames`` over the family's frames per tubelet (:attr:`Family.tubelet_frames`).
    """
    return n_frames // FAMILIES[family].tubelet_frames


def maps_per_token(maps: torch.Tensor, n_times: int) -> torch.Tensor:
    """Per-frame maps ``(B, T, C, P, P)`` averaged over the frames of each token's time step.

    Parameters
    ----------
    maps : torch.Tensor
        (B, T, C, P, P).
    n_times : int
        The tokens' time steps T' (T for per-frame tokens; a divisor of T).

    Returns
    -------
    torch.Tensor
        (B, T', C, P, P).
    """
    batch, n_frames = maps.shape[:2]
    if n_times == n_frames:
        return maps
    return maps.reshape(batch, n_times, n_frames // n_times, *maps.shape[2:]).mean(2)


def encoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The transformer blocks of a backbone (``encoder.layer`` in TimeSformer, ``encoder.layers``
    in CLIP's vision tower, also under ``vision_model`` in older transformers).

    Parameters
    ----------
    model : torch.nn.Module
        A backbone of the registry's families.

    Returns
    -------
    torch.nn.ModuleList
        Its blocks, in order.
    """
    root = getattr(model, "vision_model", model)
    encoder = root.encoder
    layers = getattr(encoder, "layer", None)
    return layers if layers is not None else encoder.layers


@dataclass(frozen=True)
class VocabularyResult:
    """Held-out fit of a vocabulary-pretrained backbone (on a held-out tenth of its clips).

    ``top1``: share of clips whose highest-scoring class is one of their labels (chance about
    1/13 to 2/13); ``two_agent_top1``: the same on the clips of a two-agent class;
    ``explained_variance``: 1 - MSE / variance of the values (speeds, distance) and of the per-patch maps.
    """

    out: str
    family: str
    top1: float
    two_agent_top1: float
    explained_variance: dict[str, float]
    n_train: int
    n_test: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    seed: int = 0
    task: str = "vocabulary"
    init: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)


def model_card(result: VocabularyResult) -> str:
    """The toy's ``README.md``: what its pretraining saw, which classes resemble SocialWorld's
    interaction types, and how well it learned them (held out).

    Parameters
    ----------
    result : VocabularyResult
        The pretraining report.

    Returns
    -------
    str
        Markdown.
    """
    from socalign.data.socialworld.vocabulary import RESEMBLES, SINGLE_AGENT, TWO_AGENT

    s = result.settings
    resembling = "\n".join(f"| {name} | {', '.join(RESEMBLES[name])} |" for name in TWO_AGENT)
    family = {"timesformer": "TimeSformer (divided space-time attention)",
              "videomae": "VideoMAE-style transformer (joint space-time attention over two-frame tubelets, "
                          "tokens mean-pooled)",
              "clip": "frame-wise image transformer (CLIP vision tower), pooled frames averaged over time"}
    if result.init is not None:
        stage1 = (f"started from the perception stage's weights (`{result.init}`: "
                  f"`socalign pretrain --recipe perception`, {s['epochs']} epochs over "
                  f"{s['perception_clips']:,} clips of two independent agents at {s['n_frames']} frames)")
    else:
        stage1 = (f"trained from random weights, first on the perception stage ({s['epochs']} epochs "
                  f"over {s['perception_clips']:,} clips of two independent agents at {s['n_frames']} frames)")
    return f"""# socalign toy backbone: {family.get(result.family, result.family)}

A tiny video backbone ({s['n_layers']} layers of width {s['hidden_size']}, {s['image_size']} px
frames in {s['patch_size']} px patches, {s['vocabulary_frames']} frames), {stage1}, then on
socalign's Kinetics-like action vocabulary (`socalign.data.socialworld.vocabulary`, seed
{result.seed}): {result.n_train:,} clips generated for it in SocialWorld's look. Neither stage saw a
benchmark's videos, judgments, captions or ratings.

## What it saw
- {len(SINGLE_AGENT)} single-agent classes ({', '.join(SINGLE_AGENT)}): two agents in a clip,
  each doing its own motion pattern, unaware of the other; both patterns are labelled.
- {len(TWO_AGENT)} two-agent classes ({', '.join(TWO_AGENT)}), the minority, as Kinetics-400 has
  "hugging" or "shaking hands" among its 400 classes. They resemble these SocialWorld
  interaction types (the other types have no counterpart):

| pretraining class | resembles SocialWorld's |
|---|---|
{resembling}

Targets: the clip's classes (multi-label, from the pooled embedding), the two agents' mean
speeds and mean distance apart (from the pooled embedding), and per-patch maps of where each
agent is, which way it faces and how fast it moves (from the patch tokens of layer {s['patch_layer']}; that head is
discarded).

## Held-out fit ({result.n_test} clips)
- top-1 class is one of the clip's labels: {result.top1:.3f}; on two-agent clips: {result.two_agent_top1:.3f}
- explained variance: {', '.join(f'{k} {v:.3f}' for k, v in result.explained_variance.items())}

Remade by `socalign pretrain --recipe vocabulary --family {result.family} --out DIR`
({s['vocabulary_epochs']} epochs over {s['vocabulary_clips']:,} vocabulary clips, {result.seconds:.0f} s here).
"""


def resized_state(state: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with its time embeddings linearly resampled to ``target``'s frame count.

    So that a stage trained at T frames can start another at T' frames (as transformers does
    at inference, but stored); every other tensor must match in shape.

    Parameters
    ----------
    state : dict of str to torch.Tensor
        The starting weights.
    target : dict of str to torch.Tensor
        The new model's weights (only their shapes are read).

    Returns
    -------
    dict of str to torch.Tensor
        The weights to load.
    """
    out = dict(state)
    for name, value in state.items():
        if name.endswith("time_embeddings") and value.shape != target[name].shape:
            resampled = torch.nn.functional.interpolate(
                value.transpose(1, 2), size=target[name].shape[1], mode="linear", align_corners=True)
            out[name] = resampled.transpose(1, 2).contiguous()
    return out


@dataclass(frozen=True)
class StageData:
    """A pretraining stage's clips and targets: ``frames`` (N, T, S, S, 3) uint8; ``classes``
    (N, C) 0/1 labels (binary cross-entropy, C may be 0); ``values`` (N, R) regression targets
    (z-scored, MSE, weight ``clip_weight``); ``maps`` (N, T, 4, P, P) per-patch maps (MSE)."""

    frames: np.ndarray
    classes: np.ndarray
    values: np.ndarray
    maps: np.ndarray
    class_names: tuple[str, ...]
    value_names: tuple[str, ...]


def stage_data(stage: str, settings: Any, seed: int) -> StageData:
    """The clips and targets of one stage of the recipe.

    ``perception``: :func:`socalign.data.socialworld.perception.perception_set` (two independent
    agents; regression of where they are, which way they face and how fast they move, and which
    motion patterns are present); ``vocabulary``:
    :func:`socalign.data.socialworld.vocabulary.vocabulary_set` (the action classes and the
    agents' speeds and distance apart). Both come with per-patch maps at the backbone's patch grid.

    Parameters
    ----------
    stage : str
        ``perception`` or ``vocabulary``.
    settings : socalign.models.toy.ToySettings
        Frames, image and patch sizes, clip counts and agent radii.
    seed : int
        Seed of the clips' streams.

    Returns
    -------
    StageData
        The clips and targets.
    """
    grid = settings.image_size // settings.patch_size
    if stage == "perception":
        from socalign.data.socialworld.perception import PerceptionTargets, perception_set

        targets = PerceptionTargets(patch_grid=grid)
        frames, values, maps = perception_set(settings.perception_clips, seed, n_frames=settings.n_frames,
                                              targets=targets, agent_radius=settings.agent_radius)
        return StageData(frames, np.zeros((len(frames), 0), np.float32), values, maps, (),
                         tuple(targets.names()))
    if stage == "vocabulary":
        from socalign.data.socialworld.vocabulary import VALUE_NAMES, VOCABULARY, vocabulary_set

        frames, labels, values, maps = vocabulary_set(settings.vocabulary_clips, seed,
                                                      settings.vocabulary_frames, 64, grid, settings.agent_radius)
        return StageData(frames, labels, values, maps, VOCABULARY, VALUE_NAMES)
    raise ValueError(f"unknown pretraining stage {stage!r}; choose 'perception' or 'vocabulary'")


def train_stage(
    model: torch.nn.Module, family: str, data: StageData, settings: Any, seed: int,
    epochs: int, lr: float, value_weight: float, device: torch.device, progress: bool = False,
) -> dict[str, float]:
    """Train ``model`` (in place) on one stage's targets; return its held-out fit.

    The class and value heads read the pooled embedding
    (:func:`socalign.models.frames.forward_features`), the map head the patch tokens of hidden
    state ``settings.patch_layer``; the heads are discarded afterwards. AdamW with a one-cycle
    learning rate; the first tenth of the clips is held out.

    Parameters
    ----------
    model : torch.nn.Module
        A backbone of ``family`` (trained in place).
    family : str
        Its registry family.
    data : StageData
        The stage's clips and targets.
    settings : socalign.models.toy.ToySettings
        Batch size, weight decay, warmup, ``patch_layer`` and the sizes.
    seed : int
        Seeds the heads' initialisation and the batch order.
    epochs : int
        Passes over the training clips.
    lr : float
        The peak learning rate.
    value_weight : float
        Weight of the values' MSE (the classes' and the maps' losses weigh 1).
    device : torch.device
        Where to train.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    dict of str to float
        Held-out ``top1`` (share of clips whose best class is one of theirs; with classes
        only), ``two_agent_top1`` (vocabulary stage), and the explained variance (1 - MSE /
        variance) of the values and of the maps.
    """
    from tqdm.auto import tqdm

    from socalign.data.socialworld.vocabulary import TWO_AGENT
    from socalign.models.frames import forward_features
    from socalign.progress import bars_enabled

    n_frames = data.frames.shape[1]
    spec = make_spec("toy", family, n_frames=n_frames, image_size=settings.image_size,
                     n_layers=settings.n_layers, mean=KINETICS_MEAN, std=KINETICS_STD)
    x = preprocess(data.frames, spec)
    n = len(x)
    n_test = max(1, n // 10)
    test, train = np.arange(n_test), np.arange(n_test, n)
    classes = torch.from_numpy(data.classes.astype(np.float32))
    values = torch.from_numpy(data.values.astype(np.float32))
    values = (values - values[train].mean(0)) / (values[train].std(0) + 1e-3)
    n_times = token_times(family, n_frames)
    maps = maps_per_token(torch.from_numpy(data.maps), n_times)
    n_classes, n_values = classes.shape[1], values.shape[1]
    grid = settings.image_size // settings.patch_size
    n_channels = maps.shape[2]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = torch.nn.Linear(settings.hidden_size, n_classes + n_values).to(device)
        patch_head = torch.nn.Linear(settings.hidden_size, n_channels).to(device)
    model.to(device)
    params = [*model.parameters(), *head.parameters(), *patch_head.parameters()]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=settings.weight_decay)
    per_epoch = len(train) // settings.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=max(1, epochs * per_epoch), pct_start=settings.warmup
    )
    generator = torch.Generator().manual_seed(seed)
    patch_layer = encoder_layers(model)[settings.patch_layer - 1]

    def forward(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        captured: dict[str, torch.Tensor] = {}

        def keep(_module: Any, _inputs: Any, output: Any) -> None:
            captured["h"] = output[0] if isinstance(output, tuple) else output

        hook = patch_layer.register_forward_hook(keep)
        try:
            pooled = forward_features(model, spec, x[rows].to(device))
        finally:
            hook.remove()
        tokens = patch_tokens(captured["h"], family, len(rows), n_frames)
        pred = patch_head(tokens).permute(0, 1, 3, 2)  # (B, T', C, P)
        return head(pooled), pred.reshape(len(rows), n_times, n_channels, grid, grid)

    def loss_of(rows: torch.Tensor) -> torch.Tensor:
        out, pred = forward(rows)
        loss = torch.nn.functional.mse_loss(pred, maps[rows].to(device))
        if n_classes:
            loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                out[:, :n_classes], classes[rows].to(device))
        if n_values:
            loss = loss + value_weight * torch.nn.functional.mse_loss(
                out[:, n_classes:], values[rows].to(device))
        return loss

    for _ in tqdm(range(epochs), desc=f"pretrain toy ({family})",
                  disable=not bars_enabled(progress)):
        model.train()
        order = train[torch.randperm(len(train), generator=generator).numpy()]
        for start in range(0, per_epoch * settings.batch_size, settings.batch_size):
            loss = loss_of(torch.from_numpy(order[start : start + settings.batch_size]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

    model.eval()
    outs, map_error = [], 0.0
    with torch.inference_mode():
        for start in range(0, n_test, 64):
            rows = torch.from_numpy(test[start : start + 64])
            out, pred = forward(rows)
            outs.append(out.cpu())
            map_error += float(((pred.cpu() - maps[rows]) ** 2).sum())
    out = torch.cat(outs)
    fit: dict[str, float] = {}
    if n_classes:
        hit = classes[test][torch.arange(n_test), out[:, :n_classes].argmax(1)] > 0
        fit["top1"] = float(hit.float().mean())
        two = [data.class_names.index(c) for c in TWO_AGENT if c in data.class_names]
        if two:
            mask = classes[test][:, two].sum(1) > 0
            fit["two_agent_top1"] = float(hit[mask].float().mean()) if bool(mask.any()) else float("nan")
    if n_values:
        error = float(((out[:, n_classes:] - values[test]) ** 2).mean())
        fit["values"] = 1 - error / float(values[test].var(0).mean())
    fit["patch_maps"] = 1 - map_error / float(((maps[test] - maps[test].mean(0)) ** 2).sum())
    return fit


def pretrain_vocabulary(
    out: Path | str,
    settings: Any,
    seed: int = 0,
    device: str | None = None,
    progress: bool = False,
    init: Path | str | None = None,
) -> VocabularyResult:
    """Pretrain a toy backbone of ``settings.family`` the way a Kinetics model is made.

    Two stages, as a real video backbone (an ImageNet-pretrained ViT, then Kinetics): first
    *perception* (where the agents are, which way they face, how fast they move; for
    TimeSformer the weights of :func:`socalign.models.toy.pretrain_perception`, passed as
    ``init``), then the action *vocabulary* (:mod:`socalign.data.socialworld.vocabulary`).

    Parameters
    ----------
    out : path-like
        Folder to write (missing or empty; written whole or not at all).
    settings : socalign.models.toy.ToySettings
        The recipe (``task`` "vocabulary").
    seed : int, default 0
        Seeds the clips (perception stream ``(seed, 20, i)``, vocabulary ``(seed, 21, i)``), the
        initialisation and the batch order.
    device : str or None, default None
        cuda, mps or cpu (default: the best available).
    progress : bool, default False
        Show progress bars.
    init : path-like or None, default None
        A backbone of the same family and size to start from instead of the perception stage
        (its folder's name is recorded in the report).

    Returns
    -------
    VocabularyResult
        Held-out fit of the vocabulary stage (and of the perception stage when it ran), also
        written to ``out`` with a model card.
    """
    from socalign.data.socialworld.vocabulary import VALUE_NAMES, VOCABULARY
    from socalign.outputs import check_output_folder

    if settings.task != "vocabulary":
        raise ValueError(f"settings.task must be 'vocabulary' here, got {settings.task!r}")
    family = settings.family
    out = check_output_folder(out, "toy backbone", TOY_MARKER)
    started = time.perf_counter()
    dev = auto_device(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initialisation only; the global state is restored on exit
        model = build_backbone(settings, family, list(VOCABULARY), settings.vocabulary_frames)
        # stage 1 at its own frame count (VideoMAE's position table is fixed to its frames)
        start = None if init is not None else build_backbone(settings, family, list(VOCABULARY), settings.n_frames)
    fits: dict[str, float] = {}
    if start is None:
        start = load_base(init, family)
    else:
        perception = train_stage(start, family, stage_data("perception", settings, seed), settings, seed,
                                 settings.epochs, settings.lr, settings.clip_weight, dev, progress)
        fits.update({f"perception {k}": v for k, v in perception.items()})
    model.load_state_dict(resized_state(start.cpu().state_dict(), model.state_dict()))
    vocabulary = train_stage(model, family, stage_data("vocabulary", settings, seed), settings, seed,
                             settings.vocabulary_epochs, settings.vocabulary_lr,
                             settings.vocabulary_speed_weight, dev, progress)
    fits.update({f"vocabulary {k}": v for k, v in vocabulary.items() if k not in ("top1", "two_agent_top1")})
    result = VocabularyResult(
        out=str(out), family=family, top1=vocabulary["top1"], two_agent_top1=vocabulary["two_agent_top1"],
        explained_variance=fits, n_train=settings.vocabulary_clips - max(1, settings.vocabulary_clips // 10),
        n_test=max(1, settings.vocabulary_clips // 10), seconds=time.perf_counter() - started,
        settings=settings.to_dict(), labels=[*VOCABULARY, *VALUE_NAMES], seed=seed,
        init=None if init is None else Path(init).name,
    )
    with staged_folder(out) as stage:
        model.cpu().save_pretrained(stage, safe_serialization=True)
        write_processor_config(stage, settings)
        atomic_write_text(stage / TOY_MARKER, json.dumps(result.to_dict(), indent=2) + "\n")
        atomic_write_text(stage / "README.md", model_card(result))
        # the frames it was trained on, for every family (a frame-wise config has no count)
        atomic_write_text(stage / SPEC_FILE, json.dumps({"n_frames": settings.vocabulary_frames}) + "\n")
    return result


def ensure_toy_backbone(
    actions_dir: Path | str | None = None,
    seed: int = 0,
    settings: ToySettings | None = None,
    device: str | None = None,
    progress: bool = False,
    shipped: bool = True,
) -> Path:
    """The toy backbone's folder: the shipped weights when they match, else pretrained on first
    use and cached.

    The cached folder is checked against its size/sha256 manifest each time it is reused; a
    damaged one (e.g. a truncated ``model.safetensors``) is reported once, naming the file, then
    removed and pretrained again (:func:`socalign.cache.build_once`, which also makes a second
    process wait for the first one's build instead of building it too).

    Parameters
    ----------
    actions_dir
        An action set to pretrain on (``settings.task`` "actions"); None synthesizes the data.
    seed
        Pretraining seed.
    settings
        The recipe (None: the vocabulary recipe of the TimeSformer toy, ``ToySettings()``,
        whose seed-0 weights ship in the package).
    device
        cuda, mps or cpu for pretraining (default: the best available).
    progress
        Show progress bars while pretraining.
    shipped
        Use the shipped weights when they match (False: pretrain, or reuse the cache).

    Returns
    -------
    Path
        A folder loadable by ``socalign.models.video.load_backbone``.
    """
    settings = settings or ToySettings()
    if settings.task not in ("vocabulary", "perception", "actions"):
        raise ValueError(f"settings.task must be 'vocabulary', 'perception' or 'actions', got {settings.task!r}")
    if settings.task != "actions" and actions_dir is not None:
        raise ValueError(f"the {settings.task} recipe makes its own clips; pass no actions_dir")
    if shipped and actions_dir is None and settings.task != "actions":
        found = shipped_toy_backbone(settings, seed)
        if found is not None:
            return found
    actions_path = None if actions_dir is None else Path(actions_dir)
    target = cached_toy(settings, seed, actions_path)

    def build(out: Path) -> None:
        from socalign.models.toy.model import pretrain, pretrain_perception

        if settings.task == "vocabulary":
            init = None
            if settings.family == "timesformer":  # stage 1: the perception recipe's weights
                init = ensure_toy_backbone(seed=seed, settings=perception_stage(settings), device=device,
                                           progress=progress, shipped=shipped)
            pretrain_vocabulary(out, settings, seed, device, progress=progress, init=init)
            return
        if settings.task == "perception":
            pretrain_perception(out, settings, seed, device, progress=progress)
            return
        from socalign.data.socialworld import synthesize_actions

        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".actions-") as scratch:
            actions = actions_path
            if actions is None:
                actions = Path(scratch) / "actions"
                synthesize_actions(actions, n_clips=settings.action_clips, seed=seed, progress=progress)
            pretrain(actions, out, settings, seed, device, progress=progress)

    return build_once(target, CACHE_MARKER, build)

def pretrain_backbone(name: str, device: str | None = None, progress: bool = False) -> Path:
    """Pretrain the registered backbone called ``name`` (e.g. ``toy-clip``), or find its weights
    shipped or already pretrained: the explicit step a registry lookup never takes.

    The weights are cached under the name, so that ``name`` then loads everywhere
    (``--backbone``, ``--model``, a profile's ``video_model``).

    Parameters
    ----------
    name : str
        A registered name (:func:`socalign.models.registry.registered_names`).
    device : str or None, default None
        cuda, mps or cpu for pretraining (default: the best available).
    progress : bool, default False
        Show progress bars while pretraining.

    Returns
    -------
    Path
        The weights' folder.

    Raises
    ------
    ValueError
        When ``name`` is not a registered backbone's.
    """
    from socalign.models.registry import registered_names, resolver_for

    resolver = resolver_for(name)
    if resolver is None:
        raise ValueError(f"{name!r} is not a registered backbone (registered: {registered_names()})")
    return resolver.pretrain(name, device=device, progress=progress)
