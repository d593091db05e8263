"""The training loop both trainers share: embedding across processes, steps, validation,
early stopping, ReduceLROnPlateau, per-epoch checkpoints and resume, and the metrics log.

A trainer (``paper`` or ``fast``) only decides what one epoch's steps are; losses, validation,
checkpointing and stopping are the same for both. The trainers register themselves in
:mod:`socalign.train.trainers` (which also holds the :class:`Context` they work on); the loop
imports them and looks the configured one up there.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from socalign.cache import atomic_write_bytes
from socalign.metrics.resampling import stream
from socalign.train import fast, paper  # noqa: F401  (importing them registers them)
from socalign.train.checkpoint import (
    BEST,
    CheckpointError,
    check_state,
    check_trainable,
    load_latest,
    load_state,
    save_checkpoint,
    save_state,
)
from socalign.train.config import TrainConfig
from socalign.train.data import TrainingSet
from socalign.train.model import AlignedVideoModel
from socalign.train.precision import (
    make_accelerator,
    restore_scaler,
    scaler_state,
    with_accelerator_precision,
)
from socalign.train.runfiles import (
    CHECKPOINTS_DIR,
    HISTORY_FILE,
    HISTORY_JSON_FILE,
    VALIDATIONS_FILE,
)
from socalign.train.trainers import (  # noqa: F401  (Context, embed, ... stay importable here)
    Context,
    Inputs,
    StepHook,
    TrainingDiverged,
    embed,
    get_trainer,
    optimizer_step,
)


def cosine_similarity_matrix(embeddings: torch.Tensor) -> np.ndarray:
    """(N, N) cosine similarity of embeddings, as float64 numpy."""
    unit = torch.nn.functional.normalize(embeddings.detach().float(), dim=-1)
    return (unit @ unit.T).cpu().numpy().astype(np.float64)


def validation_spearman(ctx: Context) -> float:
    """Spearman between model cosine similarity and human similarity on validation pairs.

    (scipy directly: the loop needs one number per epoch, no intervals.)
    """
    val = ctx.data.val_videos
    was_training = ctx.model.training
    ctx.model.eval()
    with torch.no_grad():
        emb = embed(ctx, val, grad=False, count="val")
    ctx.model.train(was_training)
    model_sim = cosine_similarity_matrix(emb)
    human = ctx.data.val_similarity[np.ix_(val, val)]
    upper = np.triu(np.isfinite(human), k=1)
    if upper.sum() < 3:
        raise ValueError(f"only {int(upper.sum())} observed validation pairs; need >= 3")
    rho = spearmanr(model_sim[upper], human[upper]).statistic
    return float(rho) if np.isfinite(rho) else float("nan")


@dataclass(frozen=True)
class FitResult:
    """What a fit produced: the per-epoch history and the best epoch's validation score.

    ``validations`` lists every validation in order (``kind`` "start" before training when
    ``val_every_steps`` is set, "step" every k steps, "epoch" at each epoch's end), each with
    the optimizer steps and forward passes done and three clocks: ``elapsed_s`` (wall, all of
    it), ``train_s`` (wall inside the trainer's steps, validations and checkpoints left out)
    and ``train_cpu_s`` (this process's CPU time inside the steps: what other processes on the
    machine barely change).
    """

    history: tuple[dict[str, Any], ...]
    best_epoch: int
    best_val_spearman: float
    forward_train: int
    forward_val: int
    time_to_best_s: float
    elapsed_s: float
    stopped_early: bool
    validations: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_epoch": self.best_epoch,
            "best_val_spearman": self.best_val_spearman,
            "forward_train": self.forward_train,
            "forward_val": self.forward_val,
            "time_to_best_s": self.time_to_best_s,
            "elapsed_s": self.elapsed_s,
            "stopped_early": self.stopped_early,
            "epochs": [dict(row) for row in self.history],
            "validations": [dict(row) for row in self.validations],
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.history))


class Clock:
    """Wall time since the start, and wall and CPU time spent inside training steps.

    Parameters
    ----------
    elapsed, train, train_cpu : float
        The totals carried over from before a resume.
    """

    def __init__(self, elapsed: float = 0.0, train: float = 0.0, train_cpu: float = 0.0) -> None:
        self._began = time.perf_counter() - elapsed
        self._train, self._train_cpu = train, train_cpu
        self._since: tuple[float, float] | None = None

    def start(self) -> None:
        """Training steps begin (until :meth:`stop`)."""
        self._since = (time.perf_counter(), time.process_time())

    def stop(self) -> None:
        """Training steps pause (validation, checkpoints)."""
        if self._since is not None:
            self._train += time.perf_counter() - self._since[0]
            self._train_cpu += time.process_time() - self._since[1]
            self._since = None

    def read(self) -> dict[str, float]:
        """``elapsed_s``, ``train_s`` and ``train_cpu_s`` now."""
        train, cpu = self._train, self._train_cpu
        if self._since is not None:
            train += time.perf_counter() - self._since[0]
            cpu += time.process_time() - self._since[1]
        return {"elapsed_s": time.perf_counter() - self._began, "train_s": train,
                "train_cpu_s": cpu}


def _write_log(out: Path, history: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(history)
    atomic_write_bytes(out / HISTORY_FILE, frame.to_csv(index=False).encode())
    strict = [{k: (v if not isinstance(v, float) or math.isfinite(v) else None)
               for k, v in row.items()} for row in history]  # strict JSON: NaN -> null
    atomic_write_bytes(out / HISTORY_JSON_FILE,
                       json.dumps(strict, indent=2, allow_nan=False).encode())


def _write_table(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_bytes(path, pd.DataFrame(rows).to_csv(index=False).encode())



def rng_state() -> dict[str, Any]:
    """torch's random states for a checkpoint: the CPU generator, and every CUDA device's.

    Returns
    -------
    dict
        ``torch_rng`` (a ByteTensor) and ``cuda_rng`` (a list of ByteTensors, one per visible
        device; empty without CUDA).
    """
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {"torch_rng": torch.get_rng_state(), "cuda_rng": list(cuda)}


def restore_rng(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved (CUDA states when CUDA is here and they were saved).

    Parameters
    ----------
    state : dict
        A checkpoint's state (``torch_rng``, optionally ``cuda_rng``).

    Warns
    -----
    UserWarning
        The checkpoint holds CUDA states for another number of devices than are visible: they
        are left as they are, and the resumed run is not the uninterrupted one draw for draw.
    """
    torch.set_rng_state(state["torch_rng"])
    cuda = list(state.get("cuda_rng") or [])
    if cuda and torch.cuda.is_available():
        if len(cuda) != torch.cuda.device_count():
            warnings.warn(f"the checkpoint holds random states of {len(cuda)} CUDA device(s), "
                          f"{torch.cuda.device_count()} are visible: CUDA's random states are "
                          "not restored", stacklevel=2)
            return
        torch.cuda.set_rng_state_all(cuda)

def fit(
    core: AlignedVideoModel,
    inputs: Inputs,
    data: TrainingSet,
    config: TrainConfig,
    out: Path | str,
    accelerator: Any = None,
    resume: bool = False,
    progress: bool = False,
    on_step: StepHook | None = None,
    run_id: str | None = None,
) -> FitResult:
    """Train ``core`` with the configured trainer; checkpoints and logs go under ``out``.

    On return the model holds the best epoch's weights (by validation Spearman), also saved as
    ``out/best.safetensors``. With ``resume`` the run continues from ``out/checkpoints``' last
    epoch. With ``val_every_steps`` the model is also validated before training and after every
    k optimizer steps: a measurement (when a target is first reached), not a selection. These
    validations run in eval mode and draw no random numbers, and the best weights, patience and
    the plateau schedule still follow the epochs' validations, so the run is the same as
    without them. (Selecting on them was measured: the paper trainer then kept a noise spike of
    an early validation and stopped after about 6 of 16 epochs on the demo.) Every validation
    is listed in ``out/validations.csv``.

    Parameters
    ----------
    core : AlignedVideoModel
        The model trained (its trainable parameters); it is prepared with ``accelerator``.
    inputs : Inputs
        Benchmark rows -> preprocessed clips tensor, for every video the trainer embeds.
    data : TrainingSet
        The fit and validation videos, fit triplets and human similarity targets.
    config : TrainConfig
        The training settings (trainer, optimizer, schedule, stopping, validation).
    out : path-like
        The run folder for checkpoints, the metrics log and ``best.safetensors``.
    accelerator : accelerate.Accelerator or None, default None
        The accelerator to train with (None: a new one running ``config.precision``, on the
        CPU unless CUDA is available, :func:`socalign.train.precision.make_accelerator`). Its
        mixed precision must be the configuration's (``auto`` takes the accelerator's).
    resume : bool, default False
        Continue from the last checkpoint in ``out/checkpoints`` when there is one (it must
        have been written with the same configuration; fp16's loss scaler is restored too).
    progress : bool, default False
        Show a progress bar over the epochs (on the main process).
    on_step : StepHook or None, default None
        Called as ``on_step(epoch, step)`` after each training step.
    run_id : str or None, default None
        The run's id (:func:`socalign.train.identity.run_identity`): written into every
        checkpoint and ``best.safetensors``; a checkpoint resumed from must carry it.

    Returns
    -------
    FitResult
        The per-epoch history, the best epoch and its validation Spearman, the forward passes,
        the times, whether training stopped early, and every validation.

    Raises
    ------
    ValueError
        When the checkpoint resumed from was written with another configuration or by another
        run, a field of it is missing, of another type or a tensor of another shape
        (:func:`socalign.train.checkpoint.check_state`, naming the file and field), or fewer
        than 3 validation pairs are observed.
    TrainingDiverged
        When a loss is not finite, or no epoch produced a finite validation score.
    socalign.train.precision.PrecisionError
        When the accelerator's precision is not the configuration's.
    """
    trainer = get_trainer(config.trainer)
    accelerator = accelerator or make_accelerator(config.precision)
    config = with_accelerator_precision(config, accelerator)
    out = Path(out)
    ckpt_dir = out / CHECKPOINTS_DIR
    main = accelerator.is_main_process
    if main:
        ckpt_dir.mkdir(parents=True, exist_ok=True)

    params = [p for p in core.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="max", factor=config.plateau_factor, patience=config.plateau_patience
    )
    history: list[dict[str, Any]] = []
    validations: list[dict[str, Any]] = []
    best, best_epoch, bad, start, time_to_best = -math.inf, -1, 0, 0, 0.0
    clock = Clock()
    bank: torch.Tensor | None = None
    counts, steps_done = (0, 0), 0
    found = load_latest(ckpt_dir) if resume else None
    if found is None:
        # dropout (LoRA, head) draws from torch's global generator: seed it from the run's
        # "dropout" stream
        torch.manual_seed(int(stream(config.seed, "dropout").integers(2**63)))
    else:
        last, state = found
        check_state(state, last, {k: tuple(v.shape) for k, v in core.trainable_state().items()},
                    [tuple(p.shape) for p in params],
                    None if state.get("bank") is None else (data.n_videos, config.head_dim))
        if state["config"] != config.fingerprint():
            raise ValueError(f"{last} was written with another configuration; cannot resume")
        if run_id is not None and state.get("run_id") != run_id:
            raise CheckpointError(f"{last}: run id {state.get('run_id')!r} is not this run's "
                                  f"({run_id!r}): the checkpoint belongs to another run")
        core.load_trainable_state(state["trainable"])
        restore_scaler(accelerator, state.get("scaler"), last)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        restore_rng(state)
        history = list(state["history"])
        best, best_epoch, bad = state["best"], state["best_epoch"], state["bad"]
        start, time_to_best = state["epoch"] + 1, state["time_to_best"]
        clock = Clock(state["elapsed"], state.get("train_s", 0.0), state.get("train_cpu_s", 0.0))
        bank, counts = state["bank"], state["counts"]
        validations = list(state.get("validations", []))
        steps_done = int(state.get("steps_done", 0))
    model, optimizer = accelerator.prepare(core, optimizer)
    ctx = Context(model, core, inputs, data, config, accelerator, optimizer, out, on_step=on_step)
    ctx.forward_train, ctx.forward_val = counts
    ctx.steps_done = steps_done
    ctx.bank = bank.to(accelerator.device) if bank is not None else None
    where = {"epoch": start}

    def validate(kind: str) -> float:
        """Validate now and list it; an epoch's validation keeps the weights when best so far."""
        nonlocal best, best_epoch, time_to_best
        clock.stop()
        last_row = validations[-1] if validations else None
        if last_row is not None and last_row["step"] == ctx.steps_done and kind == "epoch":
            score = last_row["val_spearman"]  # validated at this very step already
        else:
            score = validation_spearman(ctx)
        times = clock.read()
        validations.append({"epoch": where["epoch"], "step": ctx.steps_done, "kind": kind,
                            "val_spearman": score, "forward_train": ctx.forward_train,
                            "forward_val": ctx.forward_val, **times})
        if kind == "epoch" and math.isfinite(score) and score > best:
            best, best_epoch, time_to_best = score, where["epoch"], times["elapsed_s"]
            if main:
                save_state(out / BEST, {"trainable": core.trainable_state(),
                                        "epoch": where["epoch"],
                                        **({"run_id": run_id} if run_id else {})})
        if kind == "step":
            clock.start()
        return score

    every = config.val_every_steps
    if every is not None:
        ctx.after_step = lambda: validate("step") if ctx.steps_done % every == 0 else None
    stopped = bad >= config.patience
    epochs = range(start, config.epochs) if not stopped else range(0)
    if every is not None and start == 0 and not stopped:
        validate("start")
    bar = None
    from socalign.progress import bars_enabled  # the one decision of progress bars

    if bars_enabled(progress) and main:
        from tqdm import tqdm

        bar = tqdm(total=config.epochs, initial=start, desc=f"finetune ({config.trainer})")
    for epoch in epochs:
        where["epoch"] = epoch
        best_before = best
        model.train()
        clock.start()
        stats = trainer(ctx, epoch, stream(config.seed, "epoch", epoch))
        score = validate("epoch")
        scheduler.step(score if math.isfinite(score) else -math.inf)
        bad = 0 if best > best_before else bad + 1
        times = clock.read()
        row = {"epoch": epoch, **stats, "val_spearman": score,
               "lr": optimizer.param_groups[0]["lr"], "forward_train": ctx.forward_train,
               "forward_val": ctx.forward_val, **times}
        history.append(row)
        if main:
            _write_log(out, history)
            _write_table(out / VALIDATIONS_FILE, validations)
            save_checkpoint(ckpt_dir, epoch, {
                "config": config.fingerprint(), "epoch": epoch,
                "trainable": core.trainable_state(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), **rng_state(),
                "history": history, "best": best, "best_epoch": best_epoch, "bad": bad,
                "elapsed": times["elapsed_s"], "train_s": times["train_s"],
                "train_cpu_s": times["train_cpu_s"], "time_to_best": time_to_best,
                "bank": None if ctx.bank is None else ctx.bank.detach().cpu(),
                "counts": (ctx.forward_train, ctx.forward_val),
                "validations": validations, "steps_done": ctx.steps_done,
                **({"run_id": run_id} if run_id else {}),
                **({"scaler": scaled} if (scaled := scaler_state(accelerator)) else {}),
            })
        accelerator.wait_for_everyone()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(val_spearman=f"{score:.3f}", loss=f"{stats.get('loss', float('nan')):.3f}")
        if bad >= config.patience:
            stopped = True
            break
    if bar is not None:
        bar.close()
    if best_epoch < 0:
        raise TrainingDiverged("no epoch produced a finite validation score")
    accelerator.wait_for_everyone()
    best_state = load_state(out / BEST)
    check_trainable(best_state.get("trainable"), out / BEST,
                    {k: tuple(v.shape) for k, v in core.trainable_state().items()})
    if run_id is not None and best_state.get("run_id") != run_id:
        raise CheckpointError(f"{out / BEST}: run id {best_state.get('run_id')!r} is not this "
                              f"run's ({run_id!r}): it belongs to another run")
    core.load_trainable_state(best_state["trainable"])
    final_elapsed = history[-1]["elapsed_s"] if history else clock.read()["elapsed_s"]
    return FitResult(tuple(history), best_epoch, best, ctx.forward_train, ctx.forward_val,
                     time_to_best, final_elapsed, stopped, tuple(validations))
