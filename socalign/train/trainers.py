"""What a trainer is given, and the table of trainers by name.

A trainer decides only what one epoch's steps are: a function ``run_epoch(ctx, epoch, rng)``
returning the epoch's mean loss terms; ``rng`` is the run's ``"epoch"`` stream of that epoch
(:func:`socalign.metrics.resampling.stream`), the only random numbers a trainer draws besides
torch's dropout. A trainer branches on the loss kind's fields (``cfg.loss.uses_triplet``,
``uses_rsa``, ``uses_hard``), never on its name, so a kind added to
:data:`socalign.train.kinds.LOSSES` runs on every trainer. It works on a :class:`Context` with :func:`embed` and
:func:`optimizer_step`, which live here, below both the trainers and the loop: the trainer
modules (``paper``, ``fast``) import this module and register themselves with
:func:`register`, and :mod:`socalign.train.loop` imports them and looks a trainer up with
:func:`get_trainer`. Nothing here imports the loop, so there is no import cycle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socalign.train.checkpoint import last_checkpoint
from socalign.train.config import TrainConfig
from socalign.train.data import TrainingSet
from socalign.train.model import AlignedVideoModel

__all__ = [
    "Context",
    "EpochFn",
    "Inputs",
    "StepHook",
    "TrainingDiverged",
    "embed",
    "get_trainer",
    "optimizer_step",
    "register",
    "registered",
]

Inputs = Callable[[np.ndarray], torch.Tensor]
StepHook = Callable[[int, int], None]


class TrainingDiverged(RuntimeError):
    """A non-finite loss: the message names the epoch and step and the last good checkpoint."""


@dataclass
class Context:
    """The running state a trainer's epoch works on."""

    model: torch.nn.Module
    core: AlignedVideoModel
    inputs: Inputs
    data: TrainingSet
    config: TrainConfig
    accelerator: Any
    optimizer: Any
    out: Path
    bank: torch.Tensor | None = None
    forward_train: int = 0
    forward_val: int = 0
    on_step: StepHook | None = None
    fit_index: dict[str, Any] = field(default_factory=dict)
    steps_done: int = 0
    after_step: Callable[[], None] | None = None

    @property
    def world(self) -> int:
        """Number of processes."""
        return int(self.accelerator.num_processes)

    @property
    def rank(self) -> int:
        """This process's index."""
        return int(self.accelerator.process_index)

    @property
    def device(self) -> torch.device:
        """This process's device."""
        return self.accelerator.device


EpochFn = Callable[[Context, int, np.random.Generator], dict[str, Any]]
"""One epoch of a trainer: ``(ctx, epoch, rng) -> {loss term: mean value, ...}``."""

_TRAINERS: dict[str, EpochFn] = {}


def register(name: str) -> Callable[[EpochFn], EpochFn]:
    """Register an epoch function as the trainer ``name`` (a decorator).

    Parameters
    ----------
    name : str
        The trainer's name, as in ``TrainConfig.trainer``.

    Returns
    -------
    Callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValueError
        When another function is already registered under ``name``.
    """

    def decorate(run_epoch: EpochFn) -> EpochFn:
        known = _TRAINERS.get(name)
        if known is not None and known is not run_epoch:
            raise ValueError(f"a trainer named {name!r} is already registered ({known.__module__})")
        _TRAINERS[name] = run_epoch
        return run_epoch

    return decorate


def get_trainer(name: str) -> EpochFn:
    """The epoch function of the registered trainer ``name``.

    Parameters
    ----------
    name : str
        A registered trainer's name (``paper`` and ``fast`` once :mod:`socalign.train.loop`
        is imported).

    Returns
    -------
    EpochFn
        Its ``run_epoch``.

    Raises
    ------
    ValueError
        When no trainer of that name is registered (the message lists those that are).
    """
    try:
        return _TRAINERS[name]
    except KeyError:
        raise ValueError(f"unknown trainer {name!r}; registered: {list(_TRAINERS)}") from None


def registered() -> tuple[str, ...]:
    """The names of the registered trainers, in registration order."""
    return tuple(_TRAINERS)


def embed(ctx: Context, indices: np.ndarray, grad: bool, count: str = "train") -> torch.Tensor:
    """Embed videos (benchmark rows), each process a contiguous shard; all get every row.

    Only this process's own shard carries gradients; the others are gathered copies, so a
    loss on the result must be multiplied by the number of processes (DDP averages).

    Parameters
    ----------
    ctx : Context
        The running state (model, inputs, accelerator; its forward counters are updated).
    indices : numpy.ndarray
        Benchmark rows to embed.
    grad : bool
        Whether this process's shard carries gradients.
    count : str, optional
        ``"train"`` or ``"val"``: which forward-pass counter the videos add to.

    Returns
    -------
    torch.Tensor
        ``(len(indices), D)`` embeddings in the order of ``indices``.

    Raises
    ------
    ValueError
        When there are fewer videos than processes.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if count == "train":
        ctx.forward_train += len(indices)
    else:
        ctx.forward_val += len(indices)
    shards = np.array_split(indices, ctx.world)
    mine = shards[ctx.rank]
    if len(mine) == 0:
        raise ValueError(f"{len(indices)} videos cannot be shared by {ctx.world} processes")
    with torch.set_grad_enabled(grad), ctx.accelerator.autocast():
        local = ctx.model(ctx.inputs(mine).to(ctx.device)).float()
    if ctx.world == 1:
        return local
    longest = max(len(s) for s in shards)
    padded = torch.zeros(longest, local.shape[1], device=local.device, dtype=local.dtype)
    padded[: len(mine)] = local.detach()
    gathered = ctx.accelerator.gather(padded)
    parts = [gathered[r * longest : r * longest + len(s)] for r, s in enumerate(shards)]
    parts[ctx.rank] = local
    return torch.cat(parts)


def optimizer_step(ctx: Context, loss: torch.Tensor, epoch: int, step: int) -> float:
    """Check the loss is finite, back-propagate (scaled for DDP), clip and step.

    With ``lr_warmup_steps`` = k the learning rate of optimizer step s < k is
    ``lr * (s + 1) / k`` (then ``lr``, left to the plateau schedule). After the step
    ``ctx.steps_done`` grows by one and ``ctx.after_step`` (the loop's validation every
    ``val_every_steps``) is called.

    Parameters
    ----------
    ctx : Context
        The running state (model, optimizer, accelerator, configuration).
    loss : torch.Tensor
        The step's scalar loss.
    epoch, step : int
        Where the step is (named in the error).

    Returns
    -------
    float
        The loss's value.

    Raises
    ------
    TrainingDiverged
        When the loss is not finite (the message names the last good checkpoint).
    """
    value = float(loss.detach())
    if not math.isfinite(value):
        last = last_checkpoint(ctx.out / "checkpoints")
        raise TrainingDiverged(
            f"non-finite loss ({value}) at epoch {epoch}, step {step}; stopped. "
            f"Last good checkpoint: {last if last else 'none (failed in the first epoch)'}"
        )
    ctx.optimizer.zero_grad(set_to_none=True)
    ctx.accelerator.backward(loss * ctx.world)
    if ctx.config.grad_clip:
        params = [p for p in ctx.model.parameters() if p.requires_grad]
        ctx.accelerator.clip_grad_norm_(params, ctx.config.grad_clip)
    warmup = ctx.config.lr_warmup_steps
    if warmup and ctx.steps_done <= warmup:
        scale = min(1.0, (ctx.steps_done + 1) / warmup)
        for group in ctx.optimizer.param_groups:
            group["lr"] = ctx.config.lr * scale
    ctx.optimizer.step()
    ctx.steps_done += 1
    if ctx.after_step is not None:
        ctx.after_step()
    return value
