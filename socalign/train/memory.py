"""How much memory a fine-tuning step takes, and the largest batch that fits a device.

:func:`step_memory` is a memory model of one LoRA training step of a video transformer: the
backbone's weights, the adapters' gradients and AdamW moments, and the activations kept for
the backward pass, per video, from the backbone's shape (:class:`BackboneShape`: layers,
width, heads, patch, image size, frames), the precision and whether activation checkpointing
is on. Its per-layer activation coefficients (:data:`ACTIVATION_COEFFICIENTS`) were measured on
the CPU (:func:`measure_step` in fresh processes, ``benchmarks/real_size_step.py``) on shapes
other than those the tests check it on (``tests/train/test_memory.py``); a GPU run of
``benchmarks/gpu_finetune.py`` reports its prediction beside ``torch.cuda``'s measured peak.

:func:`plan_batch` picks the largest batch, up to the configured one, whose predicted peak fits
the device's free memory (:func:`free_memory`); :func:`check_fits` refuses a step that cannot
fit before a run starts, naming what to change (frames, batch, checkpointing, precision).
:func:`plan_config` applies them to a :class:`socalign.train.config.TrainConfig`: with
``batch="auto"`` the trainer's batch (fast: ``batch_videos``; paper: ``triplets_per_step``
and ``rsa_grad_videos``) is lowered to what fits; with ``batch="fixed"`` it is checked.

Importing this module does not import torch.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from socalign.train.precision import ELEMENT_BYTES

#: The memory model's measured coefficients: bytes per layer and video for each element of
#: ``tokens * (hidden + intermediate)`` (the linear layers' activations) and of the attention
#: matrices (heads x query x key positions); bytes per video for each element of ``tokens *
#: hidden`` outside the blocks (embeddings, pooling, head) and, with activation checkpointing,
#: kept per block (its input and what the checkpoint keeps with it); and a constant (the step's
#: allocator and thread buffers, bytes). Fitted by least squares to the peak resident memory
#: growth of fp32 CPU training steps in fresh processes (``benchmarks/real_size_step.py
#: --calibrate``): batch 2 of 1 to 3 blocks of the k400 TimeSformer at 4 to 16 frames and 96 to
#: 224 px, checkpointing on and off, and the real-size step (12 blocks, 16 frames at 224 px,
#: checkpointing, batch 1): all 11 within 10% of the fit. (Fitted without the real-size step,
#: the model under-predicted it by 34%.) With checkpointing two blocks' activations are
#: counted (one recomputed, beside the backward buffers of the next), one in a one-block
#: model: the one-block real-size step (``tests/models/test_video_real_size.py``, not in the
#: fit) was within 5% of that in one run, and 53% over the two-block count (a second run of
#: the same step grew by 1.20 GB against 0.65 GB: the CPU's resident peak varies between runs
#: on a shared machine, so these coefficients are rough). Re-measured on a quiet machine
#: (``benchmarks/results/real_size_step.json``), the real-size step took 1.63 GiB at batch 1
#: (this model: 1.60) and, held out, 2.40 GiB at batch 2, where this model's 3.14 GiB is 31%
#: over: on the CPU the model is conservative there (a planned batch is smaller than what
#: would fit, never larger); a GPU
#: run's per-batch peaks (``benchmarks/gpu_finetune.py``) are the check still to make. bf16 autocast on the CPU kept no less: at 4 frames of
#: 96 px its block took 7% more than fp32's (35.1 against 32.7 MB for 2 videos), so bf16 and
#: fp16 use fp32's coefficients until a GPU run of ``benchmarks/gpu_finetune.py`` measures them.
_FP32_FIT = (28.27, 11.41, 35.68, 24.43, 35.8e6)
ACTIVATION_COEFFICIENTS: dict[str, tuple[float, float, float, float, float]] = {
    "fp32": _FP32_FIT, "bf16": _FP32_FIT, "fp16": _FP32_FIT,
}
#: Share of the free memory a plan may use (the rest for the allocator's fragmentation, the
#: data and the evaluation passes).
USABLE_SHARE = 0.85


class MemoryPlanError(ValueError):
    """A step that does not fit the device's memory (a user error naming what to change)."""


@dataclass(frozen=True)
class BackboneShape:
    """What a step's memory depends on: the backbone's architecture and the clips fed to it.

    ``attention`` is ``"divided"`` (TimeSformer: time, then space), ``"joint"`` (one attention
    over every space-time token, VideoMAE and V-JEPA, with tubelets of ``tubelet`` frames) or
    ``"frames"`` (an image model applied to each frame). ``lora_rank`` and ``lora_linears``
    (``(in, out)`` of each adapted linear layer of one block) give the adapters' size;
    ``head_dim`` the projection head's; ``stored_frames`` the frames of the checkpoint's time
    embeddings (None: ``frames``).
    """

    layers: int
    hidden: int
    heads: int
    intermediate: int
    patch: int
    image: int
    frames: int
    attention: str = "divided"
    tubelet: int = 1
    lora_rank: int = 8
    lora_linears: tuple[tuple[int, int], ...] = ()
    head_dim: int = 128
    stored_frames: int | None = None

    def __post_init__(self) -> None:
        if self.attention not in ("divided", "joint", "frames"):
            raise ValueError(f"attention must be divided, joint or frames, got {self.attention!r}")
        for name in ("layers", "hidden", "heads", "intermediate", "patch", "image", "frames",
                     "tubelet", "lora_rank", "head_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def patches(self) -> int:
        """Patches per frame."""
        return (self.image // self.patch) ** 2

    @property
    def tokens(self) -> int:
        """Token positions per video in one layer (every frame's in a frame-wise model)."""
        if self.attention == "divided":
            return self.frames * self.patches + 1
        if self.attention == "joint":
            return -(-self.frames // self.tubelet) * self.patches  # tubelets: ceil(T / t)
        return self.frames * (self.patches + 1)

    @property
    def attention_elements(self) -> int:
        """Attention-matrix elements per video and layer (heads x query x key positions)."""
        p, t = self.patches, self.frames
        if self.attention == "divided":
            return self.heads * (p * t * t + t * (p + 1) ** 2)
        if self.attention == "joint":
            return self.heads * self.tokens**2
        return self.heads * t * (p + 1) ** 2

    @property
    def backbone_params(self) -> int:
        """Parameters of the backbone (weights and biases; patch and position embeddings)."""
        d, inner = self.hidden, self.intermediate
        block = 4 * d * d + 4 * d + 2 * d * inner + inner + d + 4 * d  # attention, MLP, 2 norms
        if self.attention == "divided":
            block += 4 * d * d + 4 * d + d * d + d + 2 * d  # temporal attention, dense, norm
        embed = 3 * self.patch**2 * d * self.tubelet + d + d + (self.patches + 1) * d
        if self.attention == "divided":  # time embeddings (the checkpoint's; interpolated)
            embed += (self.stored_frames or self.frames) * d
        return self.layers * block + embed + 2 * d

    @property
    def trainable_params(self) -> int:
        """LoRA adapters (rank x (in + out) per adapted linear) and the projection head."""
        lora = self.layers * sum(self.lora_rank * (i + o) for i, o in self.lora_linears)
        head = self.hidden * self.head_dim + self.head_dim + 2 * self.head_dim
        return lora + head

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        out = asdict(self)
        out["lora_linears"] = [list(pair) for pair in self.lora_linears]
        return out


def lora_linears(module: Any, targets: tuple[str, ...], layer_prefix: str) -> tuple[tuple[int, int], ...]:
    """``(in, out)`` of each linear layer of the first block that LoRA ``targets`` adapt.

    Parameters
    ----------
    module : torch.nn.Module
        The backbone (before wrapping).
    targets : tuple of str
        LoRA target names (a module matches by name or dotted suffix, as peft matches them).
    layer_prefix : str
        The dotted name of the first block (``"encoder.layer.0."``).

    Returns
    -------
    tuple of (int, int)
    """
    import torch

    found = []
    for name, sub in module.named_modules():
        if not name.startswith(layer_prefix) or not isinstance(sub, torch.nn.Linear):
            continue
        if any(name == t or name.endswith("." + t) for t in targets):
            found.append((int(sub.in_features), int(sub.out_features)))
    return tuple(found)


def shape_of(config: Any, spec: Any, lora_rank: int = 8, head_dim: int = 128,
             targets: tuple[str, ...] | None = None) -> BackboneShape:
    """The :class:`BackboneShape` of a transformers config and socalign spec (no weights).

    Parameters
    ----------
    config : transformers.PretrainedConfig
        The backbone's config (its ``hidden_size``, ``num_hidden_layers``,
        ``num_attention_heads``, ``intermediate_size``, ``patch_size``; a CLIP model's vision
        config).
    spec : socalign.models.specs.BackboneSpec
        Its spec: the image size and frames fed (a run's ``n_frames``), its family, targets.
    lora_rank : int, default 8
        The adapters' rank.
    head_dim : int, default 128
        The projection head's width.
    targets : tuple of str or None, default None
        LoRA targets (None: the spec's).

    Returns
    -------
    BackboneShape
    """
    config = getattr(config, "vision_config", config)
    d = int(config.hidden_size)
    inner = int(getattr(config, "intermediate_size", 4 * d))
    family = str(getattr(spec, "family", "") or getattr(config, "model_type", ""))
    targets = tuple(targets if targets is not None else spec.lora_targets)
    if spec.frame_by_frame:
        attention, tubelet = "frames", 1
    elif family == "timesformer" or getattr(config, "model_type", "") == "timesformer":
        attention, tubelet = "divided", 1
    else:
        attention, tubelet = "joint", int(getattr(config, "tubelet_size", 2) or 2)
    linears = _family_linears(attention, d, inner, targets)
    return BackboneShape(int(config.num_hidden_layers), d, int(config.num_attention_heads), inner,
                         int(config.patch_size), int(spec.image_size), int(spec.n_frames),
                         attention, tubelet, int(lora_rank), linears, int(head_dim),
                         getattr(config, "num_frames", None))


def _family_linears(attention: str, d: int, inner: int, targets: tuple[str, ...]
                    ) -> tuple[tuple[int, int], ...]:
    """The adapted linears of one block, from the target names (transformers' module names)."""
    out: list[tuple[int, int]] = []
    names = {  # module name in a block -> (in, out)
        "divided": {"attention.attention.qkv": (d, 3 * d),
                    "temporal_attention.attention.qkv": (d, 3 * d),
                    "attention.output.dense": (d, d),
                    "temporal_attention.output.dense": (d, d),
                    "intermediate.dense": (d, inner), "output.dense": (inner, d),
                    "temporal_dense": (d, d)},
        "joint": {"attention.attention.query": (d, d), "attention.attention.key": (d, d),
                  "attention.attention.value": (d, d), "attention.output.dense": (d, d),
                  "intermediate.dense": (d, inner), "output.dense": (inner, d)},
        "frames": {"self_attn.q_proj": (d, d), "self_attn.k_proj": (d, d),
                   "self_attn.v_proj": (d, d), "self_attn.out_proj": (d, d),
                   "mlp.fc1": (d, inner), "mlp.fc2": (inner, d)},
    }[attention]
    for name, size in names.items():
        if any(name == t or name.endswith("." + t) or t == name.split(".")[-1] for t in targets):
            out.append(size)
    return tuple(out)


def step_memory(shape: BackboneShape, batch: int, precision: str, checkpointing: bool
                ) -> dict[str, int]:
    """Predicted bytes of one training step with ``batch`` videos carrying gradients.

    Parameters
    ----------
    shape : BackboneShape
        The backbone and clips.
    batch : int
        Videos embedded with gradients in the step (>= 1).
    precision : str
        ``"bf16"``, ``"fp16"`` or ``"fp32"`` (resolved).
    checkpointing : bool
        Activation checkpointing: only each block's input is kept, and one block's
        activations are recomputed at a time in the backward pass.

    Returns
    -------
    dict of str to int
        ``weights`` (the backbone in fp32), ``optimizer`` (the adapters' and head's weights,
        gradients and two AdamW moments), ``inputs`` (the clips), ``overhead`` (the step's
        constant buffers), ``activations`` (kept for the backward pass, and the backward's
        buffers, the batch's), ``per_video`` (activations of one video) and ``total``.
    """
    if precision not in ELEMENT_BYTES:
        raise ValueError(f"not a resolved precision: {precision!r}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    c_lin, c_att, c_out, c_kept, overhead = ACTIVATION_COEFFICIENTS[precision]
    n, d = shape.tokens, shape.hidden
    layer = c_lin * n * (d + shape.intermediate) + c_att * shape.attention_elements
    outside = c_out * n * d
    if checkpointing:  # what each block keeps, then one block recomputed beside the next's
        per_video = shape.layers * c_kept * n * d + min(2, shape.layers) * layer + outside
    else:
        per_video = shape.layers * layer + outside
    inputs = batch * shape.frames * 3 * shape.image**2 * 4
    out = {"weights": 4 * shape.backbone_params, "optimizer": 16 * shape.trainable_params,
           "inputs": inputs, "overhead": int(overhead), "activations": int(batch * per_video),
           "per_video": int(per_video)}
    out["total"] = (out["weights"] + out["optimizer"] + out["inputs"] + out["overhead"]
                    + out["activations"])
    return out


def free_memory(device: Any) -> int:
    """Bytes free for a run on ``device``: CUDA's free memory, or the RAM available.

    Parameters
    ----------
    device : torch.device or str
        ``"cuda"``, ``"cuda:N"`` or ``"cpu"`` (anything else: the RAM available).

    Returns
    -------
    int
    """
    kind = str(getattr(device, "type", device)).split(":")[0]
    if kind == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    import psutil  # accelerate's own dependency

    return int(psutil.virtual_memory().available)


def plan_batch(shape: BackboneShape, precision: str, checkpointing: bool, free: int,
               most: int) -> int:
    """The largest batch, at most ``most``, whose predicted step fits ``free`` (0: none).

    Parameters
    ----------
    shape : BackboneShape
        The backbone and clips.
    precision : str
        Resolved precision.
    checkpointing : bool
        Activation checkpointing on.
    free : int
        Bytes free (:func:`free_memory`); :data:`USABLE_SHARE` of it is planned with.
    most : int
        The largest batch wanted (the configured one).

    Returns
    -------
    int
        Between 0 and ``most``.
    """
    budget = USABLE_SHARE * free
    fixed = step_memory(shape, 1, precision, checkpointing)
    per = fixed["per_video"] + fixed["inputs"]
    room = budget - fixed["weights"] - fixed["optimizer"] - fixed["overhead"]
    if room < per:
        return 0
    return int(min(most, math.floor(room / per)))


def _gib(value: float) -> str:
    return f"{value / 2**30:.3g} GiB"


def check_fits(shape: BackboneShape, batch: int, precision: str, checkpointing: bool,
               free: int, what: str = "the step") -> dict[str, int]:
    """Refuse a step whose predicted peak exceeds the usable free memory, before it starts.

    Parameters
    ----------
    shape : BackboneShape
        The backbone and clips.
    batch : int
        Videos with gradients per step.
    precision : str
        Resolved precision.
    checkpointing : bool
        Activation checkpointing on.
    free : int
        Bytes free (:func:`free_memory`).
    what : str, default "the step"
        Named in the message.

    Returns
    -------
    dict of str to int
        :func:`step_memory`'s prediction.

    Raises
    ------
    MemoryPlanError
        Naming the prediction, the memory free, and what would fit: the largest batch, fewer
        frames, activation checkpointing, a lower precision.
    """
    need = step_memory(shape, batch, precision, checkpointing)
    budget = USABLE_SHARE * free
    if need["total"] <= budget:
        return need
    hints = []
    fits = plan_batch(shape, precision, checkpointing, free, batch)
    if fits:
        hints.append(f"a batch of {fits} (--batch {fits}, or --batch auto)")
    for frames in (shape.frames // 2, shape.frames // 4):
        if frames >= 1 and plan_batch(_with(shape, frames=frames), precision, checkpointing,
                                      free, batch) >= batch:
            hints.append(f"--frames {frames}")
            break
    if not checkpointing and plan_batch(shape, precision, True, free, batch) >= batch:
        hints.append("activation checkpointing (on by default on a GPU)")
    if precision == "fp32" and plan_batch(shape, "bf16", checkpointing, free, batch) >= batch:
        hints.append("--precision bf16 (fp16 on a GPU without bf16)")
    advice = "; ".join(hints) if hints else ("none of fewer frames, a batch of 1, "
                                             "checkpointing or bf16 alone fits: use a device "
                                             "with more memory")
    raise MemoryPlanError(
        f"{what} does not fit: about {_gib(need['total'])} predicted ({batch} video(s) of "
        f"{shape.frames} frames at {shape.image}px, {precision}, checkpointing "
        f"{'on' if checkpointing else 'off'}), {_gib(budget)} usable of {_gib(free)} free; "
        f"would fit: {advice}")


def _with(shape: BackboneShape, **changes: Any) -> BackboneShape:
    from dataclasses import replace

    return replace(shape, **changes)


def videos_per_step(config: Any) -> int:
    """Videos a step of ``config``'s trainer embeds with gradients (its batch, in videos)."""
    if config.trainer == "fast":
        return int(config.batch_videos)
    return max(3 * int(config.triplets_per_step), int(config.rsa_grad_videos))


def plan_config(config: Any, shape: BackboneShape, device: Any, checkpointing: bool,
                free: int | None = None) -> Any:
    """``config`` with a batch that fits ``device``: planned (``batch="auto"``) or checked.

    Parameters
    ----------
    config : socalign.train.config.TrainConfig
        The run's settings (resolved precision).
    shape : BackboneShape
        The backbone and clips.
    device : torch.device or str
        Where the run trains.
    checkpointing : bool
        Activation checkpointing on.
    free : int or None, default None
        Bytes free (None: :func:`free_memory` of ``device``).

    Returns
    -------
    socalign.train.config.TrainConfig
        Unchanged when the configured batch fits; with ``batch="auto"``, the largest batch
        that fits, below the configured one: ``batch_videos`` (fast trainer, at least 2) or
        ``triplets_per_step`` and ``rsa_grad_videos`` (paper trainer).

    Raises
    ------
    MemoryPlanError
        The configured batch does not fit (``fixed``), or not even the smallest one (``auto``).
    """
    precision = config.precision if config.precision != "auto" else "fp32"
    free = free_memory(device) if free is None else int(free)
    wanted = videos_per_step(config)
    if config.batch == "fixed":
        check_fits(shape, wanted, precision, checkpointing, free, "a training step")
        return config
    smallest = 2 if config.trainer == "fast" else 3
    fits = plan_batch(shape, precision, checkpointing, free, wanted)
    if fits < smallest:
        check_fits(shape, smallest, precision, checkpointing, free,
                   f"the smallest {config.trainer}-trainer step")
    if fits >= wanted:
        return config
    if config.trainer == "fast":
        return config.with_changes(batch_videos=fits)
    return config.with_changes(triplets_per_step=max(1, fits // 3),
                               rsa_grad_videos=min(config.rsa_grad_videos, fits))


def recorded_batch(config: Any, out: Any) -> Any:
    """``config`` with the batch the run in ``out`` planned (``batch="auto"``), for a resume.

    Parameters
    ----------
    config : socalign.train.config.TrainConfig
        The settings asked for now.
    out : path-like
        The run folder.

    Returns
    -------
    socalign.train.config.TrainConfig
        With ``batch_videos``, ``triplets_per_step`` and ``rsa_grad_videos`` as the run
        recorded them when both plan the batch; otherwise ``config`` (the resume checks then
        compare as usual).
    """
    from socalign.train.runfiles import read_run_marker

    folder = Path(out)
    marker = read_run_marker(folder) if folder.is_dir() else None
    train = (marker or {}).get("train") or {}
    if config.batch != "auto" or train.get("batch") != "auto":
        return config
    keys = ("batch_videos", "triplets_per_step", "rsa_grad_videos")
    return config.with_changes(**{k: train[k] for k in keys if isinstance(train.get(k), int)})


# --- measuring a step (for the memory model's checks and the benchmarks) -----------------------


def _reset_peak_rss() -> bool:
    """Reset this process's peak resident memory (Linux: ``/proc/self/clear_refs``), if allowed.

    The peak otherwise counts everything since the process began (building the model, reading
    weights), so its growth over a step overstates the step when those peaked higher.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (since the last :func:`_reset_peak_rss`)."""
    import resource

    status = Path("/proc/self/status")
    lines = status.read_text().splitlines() if status.is_file() else []
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux: since start


def measure_step(core: Any, clips: Any, accelerator: Any, steps: int = 1) -> dict[str, Any]:
    """Run training steps of ``core`` on ``clips`` and measure time, loss and peak memory.

    Each step embeds ``clips`` (with gradients, under the accelerator's autocast), scores them
    with the triplet margin loss against two fixed random embeddings (as the fast trainer
    scores a batch against its bank), back-propagates and takes an AdamW step.

    Parameters
    ----------
    core : socalign.train.model.AlignedVideoModel
        The model (LoRA-wrapped backbone and head), in train mode.
    clips : torch.Tensor
        ``(B, T, 3, S, S)`` preprocessed clips.
    accelerator : accelerate.Accelerator
        Decides the device and precision.
    steps : int, default 1
        Steps taken; the times of each are returned.

    Returns
    -------
    dict
        ``loss`` (the last), ``step_s`` (wall seconds of each step), ``peak_bytes`` (CUDA:
        ``max_memory_allocated`` during the steps; CPU: the growth of the process's peak
        resident memory over the steps, the peak reset first where Linux allows, else
        meaningful only in a fresh process; ``peak_reset`` says whether it was), ``device`` and
        ``precision``.
    """
    import torch

    from socalign.train.losses import triplet_margin_loss
    from socalign.train.precision import accelerator_precision

    params = [p for p in core.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    model, optimizer = accelerator.prepare(core, optimizer)
    model.train()
    device = accelerator.device
    clips = clips.to(device)
    generator = torch.Generator().manual_seed(0)
    dim = int(core.head.dim)
    bank = torch.nn.functional.normalize(torch.randn(2, dim, generator=generator), dim=-1)
    bank = bank.to(device)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    import psutil  # accelerate's own dependency

    rss_before = psutil.Process().memory_info().rss
    peak_reset = not cuda and _reset_peak_rss()  # building the model's peak is not the step's
    times, value = [], float("nan")
    for _ in range(steps):
        started = time.perf_counter()
        with accelerator.autocast():
            emb = model(clips).float()
        n = emb.shape[0]
        loss = triplet_margin_loss(emb, bank[0].expand(n, -1), bank[1].expand(n, -1), 2.0)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        optimizer.step()
        if cuda:
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - started)
        value = float(loss.detach())
    if cuda:
        peak = int(torch.cuda.max_memory_allocated(device))
        step_peak = peak - base
    else:
        peak = _peak_rss()
        step_peak = peak - rss_before
    return {"loss": value, "step_s": times, "peak_bytes": int(peak),
            "step_peak_bytes": int(step_peak), "peak_reset": peak_reset, "device": str(device),
            "precision": accelerator_precision(accelerator)}


PAPER_BACKBONE = "facebook/timesformer-base-finetuned-k400"
"""The paper's backbone, whose architecture :func:`probe_step` builds (random weights)."""


def probe_step(n_layers: int | None = None, n_frames: int = 16, image_size: int | None = None,
               batch: int = 1, precision: str = "fp32", checkpointing: bool = True,
               steps: int = 1, backbone: str = PAPER_BACKBONE, cpu: bool | None = None,
               seed: int = 0) -> dict[str, Any]:
    """One training step of the paper's model at its real size (random weights), measured.

    Builds the backbone's architecture (:func:`socalign.models.video.random_backbone`: the
    k400 TimeSformer's config, nothing downloaded), applies the paper's LoRA (r 8, alpha 16,
    dropout 0.1, the spec's targets) and head, feeds ``batch`` random clips of ``n_frames``
    frames (time embeddings interpolated from the checkpoint's 8) and takes ``steps`` steps
    (:func:`measure_step`).

    Parameters
    ----------
    n_layers : int or None, default None
        Blocks (None: the checkpoint's 12; fewer checks the same wiring for less time).
    n_frames : int, default 16
        Frames per clip (the paper's).
    image_size : int or None, default None
        Frame size (None: the checkpoint's 224).
    batch : int, default 1
        Clips per step.
    precision : str, default "fp32"
        One of :data:`socalign.train.precision.PRECISIONS`.
    checkpointing : bool, default True
        Activation checkpointing.
    steps : int, default 1
        Steps taken.
    backbone : str, default PAPER_BACKBONE
        A registered TimeSformer.
    cpu : bool or None, default None
        Force the CPU (None: CUDA when available).
    seed : int, default 0
        Seeds the weights, adapters and clips.

    Returns
    -------
    dict
        :func:`measure_step`'s entries, with ``shape`` (:class:`BackboneShape`),
        ``predicted`` (:func:`step_memory`), ``trainable`` and ``params`` (counted on the
        model), ``lora_modules`` (adapted linear layers), the settings and ``build_s``.
    """
    import torch

    from socalign.models.video import forward_features, random_backbone
    from socalign.train.model import LoraSettings, build_model, count_trainable
    from socalign.train.precision import make_accelerator

    started = time.perf_counter()
    module, spec = random_backbone(backbone, n_layers, n_frames, image_size, seed)
    lora = LoraSettings(8, 16, 0.1, tuple(spec.lora_targets))
    shape = shape_of(module.config, spec, lora.r, 128, lora.targets)
    params = sum(p.numel() for p in module.parameters())

    def features(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        return forward_features(model, spec, x)

    core = build_model(module, int(spec.hidden_size), lora, 128, 0.3, features,
                       generator=torch.Generator().manual_seed(seed),
                       gradient_checkpointing=checkpointing)
    trainable, _total = count_trainable(core)
    adapted = sum(1 for name, _ in core.named_modules() if name.endswith(".lora_A"))
    accelerator = make_accelerator(precision, cpu=cpu)
    generator = torch.Generator().manual_seed(seed + 1)
    clips = torch.randn(batch, spec.n_frames, 3, spec.image_size, spec.image_size,
                        generator=generator)
    build_s = time.perf_counter() - started
    measured = measure_step(core, clips, accelerator, steps)
    predicted = step_memory(shape, batch, measured["precision"], checkpointing)
    return {**measured, "shape": shape.to_dict(), "predicted": predicted,
            "trainable": int(trainable), "params": int(params), "lora_modules": int(adapted),
            "batch": batch, "n_frames": spec.n_frames, "image_size": spec.image_size,
            "layers": shape.layers, "checkpointing": checkpointing, "build_s": build_s}


def probe_in_process(timeout: float = 1800, **settings: Any) -> dict[str, Any]:
    """:func:`probe_step` in a fresh Python process (so its peak memory is the step's own).

    Parameters
    ----------
    timeout : float, default 1800
        Seconds before the process is stopped.
    **settings
        :func:`probe_step`'s arguments (JSON-able).

    Returns
    -------
    dict
        :func:`probe_step`'s result.

    Raises
    ------
    RuntimeError
        The process failed (its last lines of output are in the message).
    """
    import json
    import subprocess
    import sys

    code = ("import json, sys; from socalign.train.memory import probe_step; "
            "print('@@' + json.dumps(probe_step(**json.loads(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(settings)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    if done.returncode != 0 or not lines:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise RuntimeError(f"probe_step({settings}) failed (exit {done.returncode}):\n{tail}")
    return json.loads(lines[-1][2:])
