"""A ``socalign finetune`` run folder, read through one type: :class:`Run`.

This module owns the folder's file names (the constants below); :func:`socalign.train.run.finetune`
writes them and every reader (the CLI, the analyses, the book's chapters) opens the folder with
:meth:`Run.open` instead of joining file names itself::

    run = Run.open("runs/hybrid")
    run.config                     # the TrainConfig it was trained with
    run.report.gain_of("r2")       # the R² gain's paired interval (an Interval)
    run.history()                  # metrics.csv, one row per epoch
    run.embeddings("after", benchmark.videos)
    model, spec = run.load_model()
    run.merged_backbone(folder)    # the backbone with its adapters merged, as a checkpoint folder
    run.export(folder)             # what push_to_hub would upload, with a filled model card

:func:`load_aligned` returns the fine-tuned model in one call from a run folder, an exported
folder (:func:`export_run`) or a hub repository holding one. An exported folder holds the
peft adapters and the head at its root (so ``peft`` reads it as it is), the backbone's name
and revision (or, for a local checkpoint, a copy of it under ``backbone/``) in
:data:`EXPORT_MARKER`, the run's configuration and report, and a model card (``README.md``)
filled from the report. socalign itself uploads nothing.

A folder is a run when its ``config.json`` is a run's marker (see :func:`read_run_marker`).
Importing this module does not import torch; the model methods do.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from socalign.train.checkpoint import Fields, ListOf, RunFileError, check_fields, read_json
from socalign.train.config import TrainConfig

if TYPE_CHECKING:
    from socalign.evaluate import Comparison, Evaluation
    from socalign.metrics import Interval
    from socalign.models.embeddings import HasIds

CONFIG_FILE = "config.json"
"""The run's marker: dataset, backbone, training settings, LoRA targets, fit/validation videos."""
RUN_MARKER = CONFIG_FILE
REPORT_FILE = "report.json"
"""Held-out alignment before and after, the gain and the training summary (a finished run)."""
HISTORY_FILE = "metrics.csv"
"""One row per epoch (``metrics.json`` holds the same as strict JSON)."""
HISTORY_JSON_FILE = "metrics.json"
VALIDATIONS_FILE = "validations.csv"
"""Every validation in order (per epoch, and every ``val_every_steps`` steps when set)."""
MODEL_DIR = "model"
"""The peft adapters and the projection head (``socalign.train.model.save_model``)."""
ADAPTER_FILE = "adapter_model.safetensors"
"""The adapter weights inside :data:`MODEL_DIR`."""
CHECKPOINTS_DIR = "checkpoints"
BEST_FILE = "best.safetensors"
EMBEDDINGS_FILES = {"before": "embeddings_before.npz", "after": "embeddings_after.npz"}
"""Every video's embeddings with the pretrained (``before``) and fine-tuned (``after``) model."""

RUN_LOCK = ".socalign-run.lock"
"""The lock a writer holds on its run folder (:func:`run_lock`); removed when it is done."""
RUN_RECORD = "identity"
"""The key of ``config.json`` (and ``report.json``) holding the run's identity (:func:`run_identity`)."""
DATASET_KEY_VERSION = "socalign-run-dataset/1"
"""Version tag of :func:`dataset_fingerprint` (change it when the hashed content changes)."""
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
"""Weight files written by ``torch.save`` or pickle: never loaded (they can run code)."""

Which = Literal["before", "after"]


# --- reading a run folder's JSON files: one reader (socalign.train.checkpoint.read_json) -----

CONFIG_FIELDS: Fields = {
    "backbone": (str, True), "train": (dict, True), "dataset": (str, False),
    "lora_targets": (ListOf(str), False), "fit_videos": (ListOf(int), False),
    "val_videos": (ListOf(int), False), RUN_RECORD: (dict, False),
}
"""``config.json`` (the run's marker)."""
IDENTITY_FIELDS: Fields = {"run_id": (str, True), "seed": (int, True),
                           "dataset": (dict, True), "backbone": (dict, True)}
"""A run's identity record (:func:`run_identity`)."""
_DATASET_ID_FIELDS: Fields = {"name": (str, True), "fingerprint": (str, True)}
_BACKBONE_ID_FIELDS: Fields = {"source": (str, True), "name": (str, True),
                               "fingerprint": ((str, type(None)), True)}
REPORT_FIELDS: Fields = {
    "dataset": (str, True), "backbone": (str, True), "split": (str, True),
    "config": (dict, True), "before": (dict, True), "after": (dict, True),
    "gain": (dict, True), "training": (dict, True), RUN_RECORD: (dict, False),
}
"""``report.json``."""
HEAD_FIELDS: Fields = {"hidden": (int, True), "dim": (int, True), "dropout": (float, True),
                       "run_id": (str, False)}
"""``model/head.json``."""
ADAPTER_FIELDS: Fields = {"r": (int, True), "lora_alpha": (float, True),
                          "target_modules": ((ListOf(str), str), True),
                          "peft_type": (str, False), "rank_pattern": (dict, False),
                          "alpha_pattern": (dict, False)}
"""``model/adapter_config.json`` (peft's), the fields socalign checks."""
EXPORT_FIELDS: Fields = {"format": (str, True), "backbone": (dict, True), "spec": (dict, True),
                         "lora_targets": (ListOf(str), False), "head_dim": (int, False)}
"""An exported folder's marker (:data:`EXPORT_MARKER`)."""


def read_marker(path: Path | str) -> dict[str, Any]:
    """A run's ``config.json`` read strictly: its fields, its identity and its settings' types.

    Parameters
    ----------
    path : path-like
        The ``config.json`` file (of a run, or ``run_config.json`` of an export).

    Returns
    -------
    dict
        The marker.

    Raises
    ------
    FileNotFoundError, RunFileError
        As :func:`read_json`; also an identity record or a training setting of the wrong type.
    """
    path = Path(path)
    marker = read_json(path, CONFIG_FIELDS)
    identity = marker.get(RUN_RECORD)
    if identity is not None:
        check_identity_fields(identity, path)
    try:
        TrainConfig.from_dict(marker["train"])
    except (ValueError, TypeError) as err:
        raise RunFileError(path, f"field 'train': {err}", "train") from None
    return marker


def check_identity_fields(identity: Any, path: Path | str, prefix: str = RUN_RECORD) -> None:
    """Check an identity record's fields and types (see :func:`run_identity`).

    Parameters
    ----------
    identity : Any
        The parsed record.
    path : path-like
        The file holding it (named in the error).
    prefix : str, default "identity"
        Its key in the file.

    Returns
    -------
    None

    Raises
    ------
    RunFileError
        Naming the file and the field.
    """
    check_fields(identity, IDENTITY_FIELDS, path, f"{prefix}.")
    check_fields(identity["dataset"], _DATASET_ID_FIELDS, path, f"{prefix}.dataset.")
    check_fields(identity["backbone"], _BACKBONE_ID_FIELDS, path, f"{prefix}.backbone.")


def read_run_marker(out: Path | str) -> dict[str, Any] | None:
    """The configuration a ``socalign finetune`` run folder holds, or None when it is not one.

    A run folder is recognised by its ``config.json`` marker: a JSON object with the run's
    ``backbone`` and ``train`` settings (a model folder's ``config.json`` is not one). This
    only recognises a run; :meth:`Run.open` reads it strictly (:func:`read_marker`).

    Parameters
    ----------
    out
        A folder.

    Returns
    -------
    dict or None
        The parsed marker, or None when ``out/config.json`` is missing or not a run's.
    """
    path = Path(out) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        marker = read_json(path)
    except (RunFileError, OSError):
        return None
    if not isinstance(marker.get("train"), dict):
        return None
    return marker if isinstance(marker.get("backbone"), str) else None


# --- a run's identity: its dataset and backbone fingerprints, its seed and id ----------------


class RunMismatchError(RunFileError):
    """A file of a run that belongs to another run, dataset or backbone (exit status 2)."""


def dataset_fingerprint(benchmark: Any) -> str:
    """A content key (sha256 hex) of what a run trains and is scored on.

    The videos table (:func:`socalign.models.embeddings.videos_key`: ids, names, splits,
    captions, ratings; file paths left out), every trial (videos shown, choice, participant),
    which trials are kept, and the size of each video file (so a re-encoded video changes it).

    Parameters
    ----------
    benchmark
        A loaded :class:`socalign.data.types.Benchmark`.

    Returns
    -------
    str
        64 hex digits.
    """
    from socalign.cache import content_key
    from socalign.models.embeddings import videos_key

    trials = benchmark.trials
    sizes = [Path(f).stat().st_size if f is not None and Path(f).is_file() else -1
             for f in benchmark.videos.files]
    return content_key(
        DATASET_KEY_VERSION, videos_key(benchmark.videos),
        np.asarray(trials.triplets, dtype=np.int64), np.asarray(trials.odd, dtype=np.int64),
        np.asarray(trials.participants, dtype=np.int64),
        np.asarray(benchmark.kept_mask, dtype=bool), np.asarray(sizes, dtype=np.int64),
    )


def backbone_identity(backbone: str) -> dict[str, Any]:
    """A backbone's identity: where it comes from and a fingerprint of its weights.

    Parameters
    ----------
    backbone : str
        The run's backbone: ``toy``, a local checkpoint folder, or a hub id (``@REV``).

    Returns
    -------
    dict
        ``source`` and ``name`` as :func:`backbone_record` gives them, and ``fingerprint``:
        the sha256 of the folder's config and weight files (toy, local folder), or the hub
        snapshot's commit (None when it cannot be resolved here; ``revision`` is kept).
    """
    from socalign.cache import content_key

    record = backbone_record(backbone)
    out: dict[str, Any] = {"source": record["source"], "name": record["name"]}
    if record["source"] == "hub":
        out.update(revision=record["revision"], fingerprint=record.get("commit"))
    else:
        out["fingerprint"] = content_key(record["files"])
    return out


def run_identity(benchmark: Any, backbone: str, seed: int, run_id: str | None = None
                 ) -> dict[str, Any]:
    """The identity a run folder records in ``config.json`` and every file it writes.

    Parameters
    ----------
    benchmark
        The benchmark trained on.
    backbone : str
        The backbone trained from.
    seed : int
        The run's seed.
    run_id : str or None, default None
        The run's id (None: a new random one).

    Returns
    -------
    dict
        ``run_id``, ``seed``, ``dataset`` (``name``, ``fingerprint``:
        :func:`dataset_fingerprint`) and ``backbone`` (:func:`backbone_identity`).
    """
    import uuid

    return {"run_id": run_id or uuid.uuid4().hex, "seed": int(seed),
            "dataset": {"name": str(benchmark.name), "fingerprint": dataset_fingerprint(benchmark)},
            "backbone": backbone_identity(backbone)}


def check_identity(recorded: Mapping[str, Any], expected: Mapping[str, Any], path: Path | str,
                   run_id: bool = True) -> None:
    """The one identity check (resume, export, load): raise naming the field that differs.

    Parameters
    ----------
    recorded : mapping
        The identity a file records.
    expected : mapping
        The identity it must have: the run's own, or the one computed now (dataset and
        backbone fingerprints, seed).
    path : path-like
        The file holding ``recorded`` (named in the error).
    run_id : bool, default True
        Compare the run ids too (False when ``expected`` is computed now, for a resume).

    Returns
    -------
    None

    Raises
    ------
    RunMismatchError
        Naming the file, the field, both values, and what it means.
    """
    if run_id and recorded.get("run_id") != expected.get("run_id"):
        raise RunMismatchError(path, f"run id {recorded.get('run_id')!r} is not this run's "
                               f"({expected.get('run_id')!r}): the file belongs to another run",
                               "run_id")
    if recorded.get("seed") != expected.get("seed"):
        raise RunMismatchError(path, f"seed {recorded.get('seed')!r} there, "
                               f"{expected.get('seed')!r} here", "seed")
    have, want = recorded.get("dataset") or {}, expected.get("dataset") or {}
    if have.get("fingerprint") != want.get("fingerprint"):
        raise RunMismatchError(
            path, f"dataset {have.get('name')!r} (fingerprint {str(have.get('fingerprint'))[:12]}) "
            f"there, {want.get('name')!r} (fingerprint {str(want.get('fingerprint'))[:12]}) "
            "here: the trials, videos or splits differ", "dataset.fingerprint")
    have, want = recorded.get("backbone") or {}, expected.get("backbone") or {}
    for key in ("source", "name", "revision"):
        if have.get(key) != want.get(key):
            raise RunMismatchError(path, f"backbone {key} {have.get(key)!r} there, "
                                   f"{want.get(key)!r} here", f"backbone.{key}")
    a, b = have.get("fingerprint"), want.get("fingerprint")
    if a != b and (have.get("source") != "hub" or (a is not None and b is not None)):
        what = "commit" if have.get("source") == "hub" else "weights (sha256 of its files)"
        raise RunMismatchError(
            path, f"backbone {have.get('name')!r}: its {what} {str(a)[:12]} there, "
            f"{str(b)[:12]} here: the backbone's weights changed", "backbone.fingerprint")


# --- one writer at a time ---------------------------------------------------------------------


class RunBusyError(FileExistsError):
    """Another process is writing the run folder (it holds :data:`RUN_LOCK`)."""


@contextlib.contextmanager
def run_lock(out: Path | str) -> Iterator[None]:
    """Hold the run folder's writer lock while the block runs; fail at once when it is held.

    The folder is created when missing (and removed again, with the parents created for it,
    when the block fails and it holds nothing but the lock). The lock file
    (:data:`RUN_LOCK`, an OS lock through ``filelock``, so a killed writer holds nothing) is
    removed when the block ends. A path that exists and is not a folder is left to the
    block's own checks.

    Parameters
    ----------
    out : path-like
        The run folder.

    Yields
    ------
    None
        While the lock is held.

    Raises
    ------
    RunBusyError
        Another writer holds the lock (nothing is changed).
    """
    from filelock import FileLock, Timeout

    out = Path(out)
    if out.exists() and not out.is_dir():
        yield
        return
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    path = out / RUN_LOCK
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
        fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
        if fd is not None and (not path.exists() or os.stat(path).st_ino != os.fstat(fd).st_ino):
            lock.release()  # the file was removed by a writer finishing meanwhile: not ours
            raise Timeout(str(path))
    except Timeout:
        _remove_created(created, path, ours=False)
        raise RunBusyError(
            17, f"{out} is being written by another socalign finetune (it holds the lock "
            f"{path}); wait for it to finish or choose another --out; nothing was changed",
            str(out)) from None
    ok = False
    try:
        yield
        ok = True
    finally:
        path.unlink(missing_ok=True)
        lock.release()
        if not ok:
            _remove_created(created, path, ours=True)


def _remove_created(created: list[Path], lock: Path, ours: bool) -> None:
    """Remove the folders :func:`run_lock` created, when they hold nothing (or only the lock)."""
    for folder in created:
        try:
            if ours and folder == lock.parent:
                lock.unlink(missing_ok=True)
            folder.rmdir()
        except OSError:
            return


def run_entries(out: Path) -> list[Path]:
    """What a run folder holds, besides a writer's lock file (empty for a missing folder)."""
    return [p for p in out.iterdir() if p.name != RUN_LOCK] if out.is_dir() else []


# --- a saved model's files, checked against the run's own record before anything is loaded ---


def _tensor_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape in a safetensors file, from its header (nothing is unpickled)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            return {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}
    except Exception as err:  # safetensors raises its own error type for bad bytes
        raise RunFileError(path, f"unreadable safetensors file ({type(err).__name__}: "
                           f"{one_line(err)})") from None


def one_line(err: Any) -> str:
    """A message folded into one line."""
    return " ".join(str(err).split())


def refuse_pickles(folder: Path, name: str) -> Path:
    """``folder / name`` (a safetensors file), refusing pickle weights found in its place.

    Parameters
    ----------
    folder : Path
        A saved model's folder.
    name : str
        The safetensors file it must hold.

    Returns
    -------
    Path
        The file.

    Raises
    ------
    RunFileError
        The file is missing and ``folder`` holds pickle weights (``.bin``, ``.pt``, ...), which
        are never loaded because unpickling can run code.
    FileNotFoundError
        The file is missing (and no pickle weights are there).
    """
    path = folder / name
    if path.is_file():
        return path
    pickles = sorted(p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES) \
        if folder.is_dir() else []
    if pickles:
        raise RunFileError(folder / pickles[0], f"pickle weights, which socalign never loads "
                           f"(unpickling can run code); {name} is missing from {folder}")
    raise FileNotFoundError(2, f"{path} not found: not a complete saved model", str(path))


def adapter_shapes(trainable: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """The adapter tensors' shapes by their key in :data:`ADAPTER_FILE`, from a training state.

    Parameters
    ----------
    trainable : mapping
        A state's ``trainable`` tensors (``best.safetensors``), named as in the model
        (``backbone.base_model.model.<module>.lora_A.default.weight``).

    Returns
    -------
    dict
        ``base_model.model.<module>.lora_A.weight`` -> shape, as peft saves them.
    """
    out = {}
    for name, value in trainable.items():
        if name.startswith("backbone.") and ".lora_" in name and hasattr(value, "shape"):
            key = name[len("backbone."):].replace(".default.", ".")
            out[key] = tuple(int(n) for n in value.shape)
    return out


def _check_against_base(base: Any, key: str, shape: tuple[int, ...], rank: int,
                        path: Path) -> None:
    """Refuse an adapter tensor whose module is not in ``base`` or does not fit its sizes."""
    module_path = key.split(".lora_")[0].removeprefix("base_model.model.")
    try:
        module = base.get_submodule(module_path)
    except AttributeError:
        raise RunMismatchError(path, f"tensor {key!r}: the backbone has no module "
                               f"{module_path!r}", key) from None
    inputs, outputs = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if inputs is None or outputs is None:
        return
    wanted = (rank, int(inputs)) if ".lora_A." in key else (int(outputs), rank)
    if shape != wanted:
        raise RunMismatchError(path, f"tensor {key!r} has shape {list(shape)}, the backbone's "
                               f"module and r = {rank} need {list(wanted)}", key)


def model_record(marker: Mapping[str, Any]) -> dict[str, Any]:
    """What a run's ``config.json`` says its saved model must be (for :func:`check_model_files`).

    Parameters
    ----------
    marker : mapping
        The run's ``config.json`` (or an export's ``run_config.json``).

    Returns
    -------
    dict
        ``r``, ``alpha``, ``targets`` (None when the run did not record them), ``dim``,
        ``dropout`` (the head's) and ``run_id`` (None for a run older than the record).
    """
    config = TrainConfig.from_dict(marker["train"])
    targets = marker.get("lora_targets")
    identity = marker.get(RUN_RECORD) or {}
    return {"r": config.lora_r, "alpha": config.lora_alpha,
            "targets": None if targets is None else sorted(targets),
            "dim": config.head_dim, "dropout": config.head_dropout,
            "run_id": identity.get("run_id")}


def check_model_files(folder: Path, record: Mapping[str, Any], record_file: Path | str,
                      hidden: int | None = None,
                      shapes: Mapping[str, tuple[int, ...]] | None = None,
                      base: Any = None) -> dict[str, Any]:
    """Check a saved model (adapters + head) against the run's record; nothing is loaded.

    Parameters
    ----------
    folder : Path
        The folder holding ``adapter_config.json``, :data:`ADAPTER_FILE`, ``head.json`` and
        ``head.safetensors`` (a run's ``model/`` or an exported folder).
    record : mapping
        :func:`model_record` of the run's configuration.
    record_file : path-like
        The file the record comes from (named in messages).
    hidden : int or None, default None
        The backbone's hidden size, when known (the head's input).
    shapes : mapping or None, default None
        Every adapter tensor's shape by its key, as the run trained it
        (:func:`adapter_shapes` of its ``best.safetensors``); None: not compared.
    base : torch.nn.Module or None, default None
        The pretrained backbone, when loaded: each adapter's module must be in it, with the
        input and output sizes its tensors have.

    Returns
    -------
    dict
        ``head.json``.

    Raises
    ------
    RunFileError
        Naming the file and field that disagrees with the record (rank, alpha, target
        modules, a tensor's shape, the head's dimensions, the run id), a malformed file, or
        pickle weights in place of the safetensors file.
    FileNotFoundError
        A file is missing.
    """
    adapter_path = folder / "adapter_config.json"
    adapter = read_json(adapter_path, ADAPTER_FIELDS)
    weights = refuse_pickles(folder, ADAPTER_FILE)
    head_weights = refuse_pickles(folder, "head.safetensors")
    head_path = folder / "head.json"
    head = read_json(head_path, HEAD_FIELDS)

    def differs(path: Path, field: str, found: Any, wanted: Any) -> RunMismatchError:
        return RunMismatchError(path, f"{field} {found!r} differs from the run's record "
                                f"{wanted!r} ({record_file})", field)

    if adapter.get("peft_type", "LORA") != "LORA":
        raise differs(adapter_path, "peft_type", adapter["peft_type"], "LORA")
    if adapter["r"] != record["r"]:
        raise differs(adapter_path, "r", adapter["r"], record["r"])
    if adapter["lora_alpha"] != record["alpha"]:
        raise differs(adapter_path, "lora_alpha", adapter["lora_alpha"], record["alpha"])
    for key in ("rank_pattern", "alpha_pattern"):
        if adapter.get(key):
            raise differs(adapter_path, key, adapter[key], {})
    targets = adapter["target_modules"]
    targets = sorted([targets] if isinstance(targets, str) else targets)
    if record.get("targets") is not None and targets != record["targets"]:
        raise differs(adapter_path, "target_modules", targets, record["targets"])
    rank = record["r"]
    found = _tensor_shapes(weights)
    if shapes is not None:
        missing = sorted(set(shapes) - set(found))
        if missing:
            raise RunMismatchError(weights, f"tensor {missing[0]!r} is missing (the run trained "
                                   f"{len(shapes)} adapter tensors)", missing[0])
    for key, shape in found.items():
        if shapes is not None and key not in shapes:
            raise RunMismatchError(weights, f"tensor {key!r} is not one the run trained", key)
        if shapes is not None and tuple(shapes[key]) != shape:
            raise RunMismatchError(weights, f"tensor {key!r} has shape {list(shape)}, the run "
                                   f"trained {list(shapes[key])}", key)
        if base is not None:
            _check_against_base(base, key, shape, rank, weights)
        module = key.split(".lora_")[0]
        if ".lora_" not in key or not any(module == t or module.endswith("." + t)
                                          for t in targets):
            raise RunMismatchError(weights, f"tensor {key!r} is not a LoRA weight of the "
                                   f"target modules {targets}", key)
        bad = (len(shape) != 2 or (".lora_A." in key and shape[0] != rank)
               or (".lora_B." in key and shape[1] != rank))
        if bad:
            raise RunMismatchError(weights, f"tensor {key!r} has shape {list(shape)}, which "
                                   f"rank r = {rank} ({record_file}) does not allow", key)
    if head["dim"] != record["dim"]:
        raise differs(head_path, "dim", head["dim"], record["dim"])
    if head["dropout"] != record["dropout"]:
        raise differs(head_path, "dropout", head["dropout"], record["dropout"])
    if hidden is not None and head["hidden"] != hidden:
        raise RunMismatchError(head_path, f"hidden {head['hidden']} differs from the backbone's "
                               f"hidden size {hidden}", "hidden")
    if record.get("run_id") is not None and head.get("run_id") != record["run_id"]:
        raise RunMismatchError(head_path, f"run id {head.get('run_id')!r} is not this run's "
                               f"({record['run_id']!r}, {record_file}): the model belongs to "
                               "another run", "run_id")
    dim, width = head["dim"], head["hidden"]
    wanted = {"linear.weight": (dim, width), "linear.bias": (dim,), "norm.weight": (dim,),
              "norm.bias": (dim,)}
    shapes = _tensor_shapes(head_weights)
    for key, shape in wanted.items():
        if shapes.get(key) != shape:
            found = "missing" if key not in shapes else f"shape {list(shapes[key])}"
            raise RunMismatchError(head_weights, f"tensor {key!r}: {found}, not "
                                   f"{list(shape)} (head.json: hidden {width}, dim {dim})", key)
    extra = sorted(set(shapes) - set(wanted))
    if extra:
        raise RunMismatchError(head_weights, f"unknown tensor {extra[0]!r}", extra[0])
    return head


def _which(which: str) -> str:
    if which not in EMBEDDINGS_FILES:
        raise ValueError(f"which must be 'before' or 'after', got {which!r}")
    return which


@dataclass(frozen=True)
class FinetuneReport:
    """Held-out alignment before and after fine-tuning, the gain, and the training summary.

    The fields hold ``report.json`` as written (and as ``socalign finetune --json`` prints it):
    ``before`` / ``after`` are :meth:`socalign.evaluate.Evaluation.to_dict` dicts (R², OOO
    accuracy under both rules, bootstrap CIs); ``gain`` holds paired bootstraps of after -
    before (Spearman and R² resampling videos, OOO accuracy resampling trials), i.e. a
    :class:`socalign.evaluate.Comparison` without its ``split`` and ``difference`` entries,
    empty when the run had no bootstrap. The typed views are :meth:`evaluation`,
    :meth:`comparison` and :meth:`gain_of`.
    """

    dataset: str
    backbone: str
    split: str
    config: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    gain: dict[str, Any]
    training: dict[str, Any]
    identity: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``report.json``'s content (the public JSON format; ``identity`` when recorded)."""
        out = {
            "dataset": self.dataset, "backbone": self.backbone, "split": self.split,
            "config": self.config, "before": self.before, "after": self.after,
            "gain": self.gain, "training": self.training,
        }
        if self.identity:
            out[RUN_RECORD] = self.identity
        return out

    def evaluation(self, which: Which) -> Evaluation:
        """The held-out evaluation before or after fine-tuning, typed.

        Parameters
        ----------
        which
            ``"before"`` (the pretrained backbone) or ``"after"`` (the fine-tuned model).

        Returns
        -------
        socalign.evaluate.Evaluation
            Its values are the report's (per-trial scores and bootstrap samples are not stored).

        Raises
        ------
        ValueError
            An unknown ``which``, or a report without evaluations (a non-main process's).
        """
        from socalign.evaluate import Evaluation

        data = self.before if _which(which) == "before" else self.after
        if not data:
            raise ValueError(f"this report holds no {which!r} evaluation")
        return Evaluation.from_dict(data)

    def comparison(self) -> Comparison:
        """The gain (after - before) as a :class:`socalign.evaluate.Comparison`.

        Raises
        ------
        ValueError
            When the run had no bootstrap (``n_boot=0``), so the report holds no gain.
        """
        from socalign.evaluate import Comparison

        if not self.gain:
            raise ValueError("this report holds no gain (the run had no bootstrap, n_boot=0)")
        return Comparison.from_dict(self.gain, split=self.split)

    def gain_of(self, statistic: str, rule: str | None = None) -> Interval:
        """One statistic's gain with its paired interval.

        Parameters
        ----------
        statistic
            ``"r2"``, ``"spearman"`` or ``"ooo_accuracy"``.
        rule
            With ``"ooo_accuracy"``: ``"argmax"`` or ``"pair"``.

        Returns
        -------
        socalign.metrics.Interval
            The estimate (after - before), its interval, unit, resamples and p-value.

        Raises
        ------
        ValueError
            An unknown statistic or rule, or a report without a gain.
        """
        comparison = self.comparison()
        if statistic == "ooo_accuracy":
            if rule not in comparison.ooo_accuracy:
                raise ValueError(f"ooo_accuracy needs rule= one of "
                                 f"{sorted(comparison.ooo_accuracy)}, got {rule!r}")
            return comparison.ooo_accuracy[rule]
        if statistic not in ("r2", "spearman") or rule is not None:
            raise ValueError(f"gain_of: statistic must be 'r2', 'spearman' or 'ooo_accuracy' "
                             f"(rule only with ooo_accuracy), got {statistic!r}, rule={rule!r}")
        return getattr(comparison, statistic)

    @property
    def best_epoch(self) -> int:
        """The epoch whose weights were kept."""
        return int(self.training["best_epoch"])

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: before, after, gain and the gain's interval."""
        rows = []
        for stat in ("r2", "spearman"):
            g = self.gain[stat]
            rows.append({"statistic": stat, "before": self.before[stat],
                         "after": self.after[stat], "gain": g["estimate"], "gain_low": g["low"],
                         "gain_high": g["high"], "unit": g["unit"], "n_boot": g["n_boot"]})
        for rule, acc in self.after["ooo_accuracy"].items():
            g = self.gain["ooo_accuracy"][rule]
            rows.append({"statistic": f"ooo_accuracy ({rule})",
                         "before": self.before["ooo_accuracy"][rule], "after": acc,
                         "gain": g["estimate"], "gain_low": g["low"], "gain_high": g["high"],
                         "unit": g["unit"], "n_boot": g["n_boot"]})
        return pd.DataFrame(rows)

    @classmethod
    def read(cls, out: Path | str) -> FinetuneReport:
        """Read ``out/report.json`` (``out`` a finished run folder; see :meth:`Run.report`).

        Raises
        ------
        FileNotFoundError, RunFileError
            As :func:`read_json` (the file named; a field missing or of another type).
        """
        path = Path(out) / REPORT_FILE
        data = read_json(path, REPORT_FIELDS)
        if RUN_RECORD in data:
            check_identity_fields(data[RUN_RECORD], path)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Run:
    """A ``socalign finetune`` run folder; open one with :meth:`Run.open`.

    Attributes
    ----------
    path
        The folder.
    marker
        Its ``config.json``, parsed (see :func:`read_run_marker`).
    """

    path: Path
    marker: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def open(cls, path: Path | str) -> Run:
        """Open a run folder, checking that it is one.

        Parameters
        ----------
        path
            A folder ``socalign finetune --out`` wrote (finished or not).

        Returns
        -------
        Run

        Raises
        ------
        FileNotFoundError
            ``path`` is not a folder, or has no ``config.json``.
        ValueError
            Its ``config.json`` is not a run's (e.g. a model checkpoint folder's).
        """
        path = Path(path)
        marker_path = path / CONFIG_FILE
        if not path.is_dir():
            raise FileNotFoundError(f"{path} is not a folder: not a socalign finetune run folder")
        if not marker_path.is_file():
            raise FileNotFoundError(f"{marker_path} not found: not a socalign finetune run folder")
        data = read_json(marker_path)
        if not isinstance(data.get("train"), dict) or "backbone" not in data:
            raise ValueError(
                f"{marker_path} is not a run's configuration (it needs 'backbone' and 'train' "
                "entries; a model folder's config.json is not one): not a socalign finetune run "
                "folder"
            )
        return cls(path, read_marker(marker_path))

    @staticmethod
    def is_run(path: Path | str) -> bool:
        """Whether ``path`` is a run folder (its ``config.json`` is a run's marker)."""
        return Path(path).is_dir() and read_run_marker(path) is not None

    # --- the configuration -------------------------------------------------------------------

    @property
    def config(self) -> TrainConfig:
        """The training settings the run was started with."""
        return TrainConfig.from_dict(self.marker["train"])

    @property
    def backbone(self) -> str:
        """The backbone the run started from (a name or checkpoint folder)."""
        return str(self.marker["backbone"])

    @property
    def dataset(self) -> str | None:
        """The benchmark it was trained on, as given to ``finetune``."""
        value = self.marker.get("dataset")
        return None if value is None else str(value)

    @property
    def lora_targets(self) -> tuple[str, ...]:
        """The modules the LoRA adapters were put on."""
        return tuple(self.marker.get("lora_targets") or ())

    @property
    def finished(self) -> bool:
        """Whether the run has its report (training, embeddings and scoring are done)."""
        return self.report_path.is_file()

    # --- the files -----------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE

    @property
    def history_path(self) -> Path:
        return self.path / HISTORY_FILE

    @property
    def model_dir(self) -> Path:
        return self.path / MODEL_DIR

    @property
    def adapter_path(self) -> Path:
        """The adapter weights (e.g. for a cache key of something built from them)."""
        return self.model_dir / ADAPTER_FILE

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / CHECKPOINTS_DIR

    def embeddings_path(self, which: Which) -> Path:
        """The ``.npz`` of every video's embeddings before or after fine-tuning.

        Parameters
        ----------
        which
            ``"before"`` or ``"after"``.

        Returns
        -------
        Path
            The file (checked to exist).

        Raises
        ------
        ValueError
            An unknown ``which``.
        FileNotFoundError
            The run has not written it (not finished).
        """
        return self._need(self.path / EMBEDDINGS_FILES[_which(which)])

    def _need(self, path: Path) -> Path:
        if not path.exists():
            state = "finished" if self.finished else "unfinished"
            raise FileNotFoundError(f"{path} not found in the {state} run folder {self.path}")
        return path

    # --- what it holds -------------------------------------------------------------------------

    @property
    def report(self) -> FinetuneReport:
        """The held-out report (``report.json``), typed.

        Raises
        ------
        FileNotFoundError
            The run is not finished.
        """
        return FinetuneReport.read(self._need(self.report_path).parent)

    def history(self) -> pd.DataFrame:
        """One row per epoch (``metrics.csv``): ``epoch``, the losses, the validation scores."""
        return pd.read_csv(self._need(self.history_path))

    def validations(self) -> pd.DataFrame:
        """Every validation of the run in order (``validations.csv``), with its step and time."""
        return pd.read_csv(self._need(self.path / VALIDATIONS_FILE))

    def embeddings(
        self, which: Which, videos: HasIds, required: np.ndarray | None = None
    ) -> np.ndarray:
        """(N, D) embeddings before or after fine-tuning, in a benchmark's video order.

        Parameters
        ----------
        which
            ``"before"`` or ``"after"``.
        videos
            The benchmark's videos (``benchmark.videos``); rows are matched by video id.
        required
            Row indices that must be present and finite (default all), as in
            :func:`socalign.models.embeddings.load_embeddings`.

        Returns
        -------
        numpy.ndarray
        """
        from socalign.models.embeddings import load_embeddings

        return load_embeddings(self.embeddings_path(which), videos, required)

    # --- its identity: every file belongs to this run --------------------------------------

    @property
    def identity(self) -> dict[str, Any] | None:
        """The run's identity record (:func:`run_identity`); None for a run older than it."""
        value = self.marker.get(RUN_RECORD)
        return dict(value) if isinstance(value, dict) else None

    def check_model(self, hidden: int | None = None, base: Any = None) -> dict[str, Any]:
        """Check ``model/`` against the run's record before anything is loaded.

        Parameters
        ----------
        hidden : int or None, default None
            The backbone's hidden size, when it is loaded (the head's input).
        base : torch.nn.Module or None, default None
            The pretrained backbone, when loaded (the adapters' modules and sizes).

        Returns
        -------
        dict
            ``model/head.json``.

        Raises
        ------
        FileNotFoundError, RunFileError
            As :func:`check_model_files`: a missing file, pickle weights in place of the
            safetensors, or a field or tensor shape that disagrees with ``config.json``.
        """
        from socalign.train.checkpoint import check_trainable, load_state

        shapes = None
        best = self.path / BEST_FILE
        if best.is_file():
            shapes = adapter_shapes(check_trainable(load_state(best).get("trainable"), best))
        return check_model_files(self._need(self.model_dir), model_record(self.marker),
                                 self.config_path, hidden, shapes, base)

    def verify(self) -> None:
        """Check that config, report, checkpoints and model all belong to this one run.

        Compares ``report.json`` (dataset, backbone, settings, identity), the newest
        checkpoint (settings, run id), ``best.safetensors`` (run id) and ``model/``
        (:meth:`check_model`) with ``config.json``. A run older than the identity record is
        checked by its names and settings only; a file that does carry a record then is
        another run's.

        Returns
        -------
        None

        Raises
        ------
        FileNotFoundError
            The run is not finished.
        RunFileError
            Naming the first file (and field) that disagrees, or that is malformed.
        """
        report = self.report
        path = self.report_path
        for key, mine, theirs in (("dataset", self.dataset, report.dataset),
                                  ("backbone", self.backbone, report.backbone)):
            if mine is not None and mine != theirs:
                raise RunMismatchError(path, f"{key} {theirs!r} differs from {mine!r} "
                                       f"({self.config_path}): the report is another run's", key)
        settings = json.loads(json.dumps(self.marker["train"]))
        changed = sorted(k for k in set(settings) | set(report.config)
                         if settings.get(k) != report.config.get(k))
        if changed:
            key = changed[0]
            raise RunMismatchError(path, f"config.{key} {report.config.get(key)!r} differs from "
                                   f"{settings.get(key)!r} ({self.config_path}): the report is "
                                   "another run's", f"config.{key}")
        identity = self.identity
        self._check_run_id(path, (report.identity or {}).get("run_id"), identity)
        if identity is not None and report.identity:
            check_identity(report.identity, identity, path)
        from socalign.train.checkpoint import last_checkpoint, load_state

        newest = last_checkpoint(self.checkpoints_dir) if self.checkpoints_dir.is_dir() else None
        fingerprint = self.config.fingerprint()
        if newest is not None:
            state = load_state(newest)
            if state.get("config") != fingerprint:
                raise RunMismatchError(newest, "written with other training settings than "
                                       f"{self.config_path}: the checkpoint is another run's",
                                       "config")
            self._check_run_id(newest, state.get("run_id"), identity)
        best = self.path / BEST_FILE
        if best.is_file():
            self._check_run_id(best, load_state(best).get("run_id"), identity)
        self.check_model()

    def _check_run_id(self, path: Path, found: Any, identity: Mapping[str, Any] | None) -> None:
        """Refuse a file whose run id is not the run's (or that has one the run lacks)."""
        if identity is None:
            if found is not None:
                raise RunMismatchError(path, f"run id {found!r}, but {self.config_path} predates "
                                       "the run identity record: the file is another run's",
                                       "run_id")
            return
        if found != identity["run_id"]:
            raise RunMismatchError(path, f"run id {found!r} is not this run's "
                                   f"({identity['run_id']!r}, {self.config_path}): the file "
                                   "belongs to another run", "run_id")

    # --- models --------------------------------------------------------------------------------

    def load_model(
        self, device: str | None = "cpu", backbone: tuple[Any, Any] | None = None
    ) -> tuple[Any, Any]:
        """The fine-tuned model (backbone with adapters + projection head) in eval mode.

        Parameters
        ----------
        device
            Where to put it.
        backbone
            The run's pretrained backbone already loaded, as ``(module, spec)`` from
            ``socalign.models.video.load_backbone(run.backbone)`` (it is wrapped, not copied);
            loaded here when None.

        Returns
        -------
        (socalign.train.model.AlignedVideoModel, socalign.models.video.BackboneSpec)
            Its forward pass gives the run's ``after`` embeddings.
        """
        from socalign.models.video import forward_features, load_backbone
        from socalign.train.model import load_model

        self.check_model()
        base, spec = backbone if backbone is not None else load_backbone(
            self.backbone, device=device, n_frames=self.config.n_frames)
        self.check_model(_hidden_of(base, spec), base)
        model = load_model(base, self._need(self.model_dir),
                           lambda m, x: forward_features(m, spec, x), spec)
        model.source = str(self.path)
        return model.to(device).eval() if device is not None else model.eval(), spec

    def load_merged(self, device: str | None = "cpu") -> tuple[Any, Any]:
        """The run's backbone with its LoRA adapters merged in (no head), and its spec.

        Parameters
        ----------
        device
            Where to load the pretrained backbone.

        Returns
        -------
        (torch.nn.Module, socalign.models.video.BackboneSpec)
            A plain backbone (eval mode), usable wherever a pretrained one is.
        """
        from socalign.models.video import load_backbone
        from socalign.train.model import load_model

        self.check_model()
        base, spec = load_backbone(self.backbone, device=device, n_frames=self.config.n_frames)
        self.check_model(_hidden_of(base, spec), base)
        aligned = load_model(base, self._need(self.model_dir))
        return aligned.backbone.merge_and_unload().eval(), spec

    def merged_backbone(self, out: Path | str) -> Path:
        """Write the merged backbone (see :meth:`load_merged`) as a plain checkpoint folder.

        The folder loads like any backbone (``socalign.models.video.load_backbone``), so the
        retention and attention analyses treat the pretrained and the fine-tuned backbone
        alike. The base checkpoint's other ``*.json`` files (its preprocessing settings) are
        copied beside the weights. Caching is the caller's (e.g. ``socalign.cache.build_once``
        with ``config.json`` as the marker and :attr:`adapter_path` in the key).

        Parameters
        ----------
        out
            A missing or empty folder; created.

        Returns
        -------
        Path
            ``out``.

        Raises
        ------
        FileExistsError
            ``out`` exists and is not an empty folder (nothing is written).
        """
        from socalign.cache import atomic_write_text
        from socalign.models.registry import SPEC_FILE, get_spec

        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise FileExistsError(f"{out} exists and is not an empty folder; nothing was written")
        merged, _ = self.load_merged(device="cpu")
        out.mkdir(parents=True, exist_ok=True)
        source = Path(str(get_spec(self.backbone).source))
        if source.is_dir():  # keep the preprocessing files of the base checkpoint
            for extra in source.glob("*.json"):
                if extra.name != "config.json":
                    shutil.copy(extra, out / extra.name)
        merged.save_pretrained(str(out), safe_serialization=True)
        if self.config.n_frames is not None:  # fed as trained (config.json keeps the base's)
            atomic_write_text(out / SPEC_FILE, json.dumps({"n_frames": self.config.n_frames}))
        return out

    def export(self, out: Path | str, ceiling: bool = True) -> Path:
        """Write the shareable model folder (see :func:`export_run`).

        Parameters
        ----------
        out : path-like
            A missing or empty folder (a non-empty one is refused, even an earlier export).
        ceiling : bool, default True
            Compute the held-out split's noise ceiling for the model card (needs the benchmark).

        Returns
        -------
        Path
            ``out``.
        """
        return export_run(self, out, ceiling=ceiling)


# --- sharing a run: the exported folder, its model card, and loading it back -----------------

EXPORT_MARKER = "socalign_model.json"
"""An exported model folder's marker: format, backbone (name, revision, commit), spec, settings."""
EXPORT_FORMAT = "socalign-aligned/1"
CARD_FILE = "README.md"
"""The model card (what the hub shows)."""
RUN_CONFIG_FILE = "run_config.json"
"""The run's ``config.json`` (its marker), renamed: a root ``config.json`` is a transformers model's."""
BACKBONE_DIR = "backbone"
"""A local backbone checkpoint's copy inside an exported folder."""
_MODEL_FILES = ("adapter_config.json", ADAPTER_FILE, "head.safetensors", "head.json")
_TEMPLATE_TEXT = "More Information Needed"


def is_export(path: Path | str) -> bool:
    """Whether ``path`` is a folder :func:`export_run` wrote (it holds :data:`EXPORT_MARKER`)."""
    marker = Path(path) / EXPORT_MARKER
    if not marker.is_file():
        return False
    try:
        return read_json(marker).get("format") == EXPORT_FORMAT
    except (RunFileError, OSError):
        return False


def backbone_record(backbone: str) -> dict[str, Any]:
    """How an exported folder names its backbone, so that another machine loads the same one.

    Parameters
    ----------
    backbone
        The run's backbone: a hub id (``owner/name`` or ``owner/name@REV``), ``toy``, or a
        local checkpoint folder.

    Returns
    -------
    dict
        ``source`` "hub" with ``name``, ``revision`` and ``commit`` (the snapshot's, None
        when it cannot be resolved here); "socalign" for the toy (shipped with the package),
        with the sha256 of its files; "bundled" for a local folder, copied to
        :data:`BACKBONE_DIR`, with the sha256 of its config and weight files.
    """
    from socalign.models.embed import folder_files
    from socalign.models.hub import is_hub_id, resolve_commit, split_revision

    name, revision = split_revision(backbone)
    from socalign.models.toy import is_toy, toy_backbone

    if is_toy(name):
        return {"source": "socalign", "name": name, "files": folder_files(toy_backbone(name))}
    path = Path(name).expanduser()
    if path.is_dir():
        return {"source": "bundled", "name": path.name, "path": BACKBONE_DIR,
                "files": folder_files(path)}
    if not is_hub_id(name):
        raise ValueError(f"backbone {backbone!r} is neither a hub id, the toy, nor a folder here")
    try:
        commit: str | None = resolve_commit(name, revision)
    except FileNotFoundError:
        commit = None
    return {"source": "hub", "name": name, "revision": revision or "main", "commit": commit}


def _hidden_of(base: Any, spec: Any) -> int | None:
    """A loaded backbone's hidden size (the head's input), None when it does not say."""
    hidden = getattr(spec, "hidden_size", None) or getattr(getattr(base, "config", None),
                                                           "hidden_size", None)
    return int(hidden) if isinstance(hidden, int) and not isinstance(hidden, bool) else None


def _cell(section: dict[str, Any], statistic: str, rule: str | None = None) -> str:
    """``estimate [low, high]`` of one statistic of a report's before/after/gain entry."""
    from socalign.text import interval, sig

    if rule is None:
        estimate = section.get(statistic)
        ci = (section.get("ci") or {}).get(statistic) or {}
    else:
        estimate = (section.get("ooo_accuracy") or {}).get(rule)
        ci = ((section.get("ci") or {}).get("ooo_accuracy") or {}).get(rule) or {}
    if isinstance(estimate, dict):  # a gain entry: the estimate and interval together
        ci, estimate = estimate, estimate.get("estimate")
    if estimate is None:
        return "n/a"
    low, high = ci.get("low"), ci.get("high")
    if low is None or high is None:
        return sig(estimate)
    return interval(estimate, low, high)


def _gain_cell(gain: dict[str, Any], statistic: str, rule: str | None = None) -> str:
    from socalign.text import interval, sig

    entry = gain.get(statistic) if rule is None else (gain.get("ooo_accuracy") or {}).get(rule)
    if not entry:
        return "n/a"
    text = (interval(entry["estimate"], entry["low"], entry["high"])
            if entry.get("low") is not None and entry.get("high") is not None
            else sig(entry.get("estimate")))
    p_value = entry.get("p_value")
    return text if p_value is None else f"{text} (p = {sig(p_value)})"


def _ceiling_lines(ceilings: Any) -> list[str]:
    """The card's ceiling paragraph from :func:`socalign.metrics.benchmark_ceilings`."""
    from socalign.text import interval, sig

    q = ceilings.quantities()
    r2 = q["r2_ceiling"]
    r2_text = ("not available (" + str(ceilings.split_half_error) + ")"
               if ceilings.split_half is None else
               interval(r2["estimate"], r2["low"], r2["high"]) if r2["low"] is not None
               else sig(r2["estimate"]))
    return [
        f"Noise ceilings of the {ceilings.split} split ({sig(ceilings.n_trials)} trials; "
        "socalign.metrics.benchmark_ceilings, seed "
        f"{ceilings.seed}):",
        "",
        f"- R² ceiling: {r2_text} ({r2['rule']})",
        f"- OOO accuracy ceiling (argmax rule): {sig(q['ooo_ceiling']['estimate'])} "
        "(empirical Bayes: the expected accuracy of each triplet's most likely choice)",
        f"- OOO reliability: {sig(q['ooo_reliability']['estimate'])} (leave-one-out agreement "
        "of repeated triplets)",
    ]


def model_card(run: Run, record: dict[str, Any] | None = None, ceilings: Any = None,
               dataset_name: str | None = None, n_frames: int | None = None) -> str:
    """The exported folder's ``README.md``: a model card filled from the run's report.

    Parameters
    ----------
    run
        A finished run.
    record
        Its backbone's :func:`backbone_record` (computed when None).
    ceilings
        The test split's :class:`socalign.metrics.BenchmarkCeilings`, or None (the card says
        the ceiling was not computed).
    dataset_name
        The benchmark's own name (default: the name or folder name ``finetune`` was given).
    n_frames
        The frames per clip the model is fed (the exported spec's); None: the run's setting,
        else "the backbone's own".

    Returns
    -------
    str
        Markdown with a YAML header (``library_name``, ``base_model`` for a hub backbone,
        tags): the model, how to load it, data and split, training (loss, trainer, LoRA,
        seeds), held-out R² and OOO accuracy with 95% intervals before and after and the
        paired gain, the ceiling, the limitations.
    """
    from socalign import __version__
    from socalign.text import sig

    report = run.report
    config = run.config
    record = record or backbone_record(run.backbone)
    marker = run.marker
    head = read_json(run.model_dir / "head.json", HEAD_FIELDS)
    given = str(run.dataset or report.dataset)
    dataset = dataset_name or Path(given).name or given
    where = ("a local benchmark folder" if Path(given).expanduser().exists()
             else f"`{given}` as given to `socalign finetune`")
    if record["source"] == "hub":
        commit = record.get("commit")
        base = f"`{record['name']}` at revision `{record['revision']}`" + (
            f" (commit `{commit}`)" if commit else "")
    elif record["source"] == "socalign":
        base = "socalign's toy TimeSformer (`toy`, shipped with the package)"
    else:
        base = (f"the local checkpoint `{record['name']}`, copied into `{BACKBONE_DIR}/` "
                "(not on the hub)")
    header = ["---", "library_name: peft"]
    if record["source"] == "hub":
        header.append(f"base_model: {record['name']}")
    header += ["pipeline_tag: feature-extraction", "tags:", "- socalign", "- lora",
               "- video", "- human-alignment", "- social-perception", "---", ""]
    loss = config.loss
    n_boot = (report.before.get("ci") or {}).get("r2", {}).get("n_boot")
    rows = [
        ("R²", "r2", None),
        ("Spearman", "spearman", None),
        ("OOO accuracy (argmax)", None, "argmax"),
        ("OOO accuracy (pair)", None, "pair"),
    ]
    table = ["| held-out statistic | before | after | gain (after − before) |",
             "|---|---|---|---|"]
    for label, stat, rule in rows:
        key = stat or "ooo_accuracy"
        table.append(f"| {label} | {_cell(report.before, key, rule)} | "
                     f"{_cell(report.after, key, rule)} | {_gain_cell(report.gain, key, rule)} |")
    training = report.training
    lines = [
        *header,
        f"# {Path(str(report.backbone)).name or report.backbone} aligned with human similarity "
        f"judgments on {dataset}",
        "",
        f"A video backbone fine-tuned with LoRA adapters and a projection head on {dataset}'s "
        "odd-one-out (triplet) judgments, by behaviour-guided fine-tuning as in Garcia & Isik "
        "(2025), *Aligning Video Models with Human Social Judgments via Behavior-Guided "
        f"Fine-Tuning* (arXiv 2510.01502), with socalign {__version__}.",
        "",
        "## Model",
        "",
        f"- Backbone: {base}.",
        f"- Adapters: LoRA r = {config.lora_r}, alpha = {config.lora_alpha}, dropout = "
        f"{config.lora_dropout} on {', '.join(f'`{t}`' for t in run.lora_targets)} "
        "(`adapter_config.json`, `adapter_model.safetensors`).",
        f"- Head: linear {head.get('hidden', '?')} → {config.head_dim}, "
        f"LayerNorm, ReLU, dropout {config.head_dropout}, L2-normalised (`head.safetensors`, "
        "`head.json`).",
        "- Input: " + (f"{n_frames or config.n_frames} frames per clip"
                       if n_frames or config.n_frames else "the backbone's own frame count per clip")
        + ", sampled uniformly, preprocessed as in training (`embed_clips`).",
        "- Output: one unit-length embedding per clip; the similarity of two clips is the "
        "cosine of theirs.",
        "",
        "## How to load",
        "",
        "```python",
        "import socalign",
        "",
        'model = socalign.load_aligned("THIS_FOLDER_OR_REPO_ID")  # backbone + adapters + head',
        "embeddings = model.embed_clips(clips)  # uint8 (B, T, H, W, 3) -> (B, "
        f"{config.head_dim})",
        "```",
        "",
        "Clips are preprocessed as in training (socalign's fast torch path, "
        "`socalign.models.frames.preprocess`).",
        "",
        "## Training data and split",
        "",
        f"- Dataset: {dataset} ({where}).",
        f"- Training judgments: the `train` split's trials; {len(marker.get('fit_videos') or [])} "
        f"videos to fit, {len(marker.get('val_videos') or [])} held out for validation "
        f"(val_fraction {config.val_fraction}; early stopping on validation Spearman).",
        f"- Held-out evaluation: the `{report.split}` split "
        f"({sig(report.after.get('n_videos'))} videos, {sig(report.after.get('n_trials'))} "
        "trials), never seen in training.",
        "",
        "## Training",
        "",
        f"- Loss: {loss.kind}" + (f" ({loss.spec.label})" if loss.spec.label != loss.kind
                                   else "")
        + f" (triplet term: {loss.triplet}, margin {loss.margin}"
        + (f", alpha {loss.alpha}" if loss.uses_triplet and loss.uses_rsa else "") + ")."
        + (f" Its targets are the caption model {config.distill_model}'s, not people's: each "
           "training triplet's odd one is the video outside the pair whose captions are most "
           "similar, the RSA and validation targets are the captions' cosine similarity on the "
           "pairs people judged; the held-out results below are against people."
           if loss.targets == "captions" else ""),
        f"- Trainer: {config.trainer}; {config.epochs} epochs at most (patience "
        f"{config.patience}), learning rate {config.lr}, weight decay {config.weight_decay}; "
        f"best epoch {training.get('best_epoch')} (validation Spearman "
        f"{sig(training.get('best_val_spearman'))}).",
        f"- Seeds: {config.seed} (initialisation and batches), [{config.seed}, 1] "
        f"(fit/validation split of the training videos), {config.seed} (bootstrap).",
        "- Full settings: `run_config.json` (the run's configuration), `report.json`, "
        "`metrics.csv` (one row per epoch).",
        "",
        "## Results (held-out)",
        "",
        f"Before: the pretrained backbone's features; after: the fine-tuned model. 95% "
        f"percentile bootstrap intervals ({sig(n_boot) if n_boot else 'no'} resamples; R² and "
        "Spearman over videos, OOO accuracy over trials; the gain's are paired). R² is the "
        "squared Spearman correlation of model and human similarity over the split's pairs.",
        "",
        *table,
        "",
        "## Noise ceiling",
        "",
        *(_ceiling_lines(ceilings) if ceilings is not None else
          ["Not computed for this export (the benchmark was not at hand, or "
           "`--no-ceiling`); `socalign ceiling` computes it."]),
        "",
        "## Limitations",
        "",
        f"- Trained and evaluated on one benchmark ({dataset}); alignment with other stimuli, "
        "other participants or other judgment tasks is not established.",
        "- Held-out intervals resample videos or trials of one split; they do not cover "
        "variation over training seeds (one seed was run).",
        "- The embedding serves similarity judgments; it is not a classifier, and the "
        "fine-tuning may reduce what the backbone retains of other tasks (see "
        "`socalign retention`).",
        "- Human similarity judgments carry the biases of the participant pool and of the "
        "stimuli; the model inherits them.",
        "",
        "## Files",
        "",
        f"`{EXPORT_MARKER}` (format, backbone name and revision, spec), `adapter_config.json` "
        f"and `adapter_model.safetensors` (peft), `head.safetensors` and `head.json`, "
        f"`{RUN_CONFIG_FILE}`, `{REPORT_FILE}`, `{HISTORY_FILE}`"
        + (f", `{BACKBONE_DIR}/`" if record["source"] == "bundled" else "") + ".",
        "",
        "## Citation",
        "",
        "Garcia, K., & Isik, L. (2025). Aligning Video Models with Human Social Judgments via "
        "Behavior-Guided Fine-Tuning. arXiv:2510.01502.",
        "",
    ]
    return "\n".join(lines)


def _benchmark_facts(run: Run, ceiling: bool) -> tuple[str | None, Any]:
    """The benchmark's name and its held-out split's ceilings (None where it cannot be loaded)."""
    import logging

    from socalign.data import load_dataset
    from socalign.metrics import benchmark_ceilings

    try:
        benchmark = load_dataset(str(run.dataset))
    except (FileNotFoundError, ValueError, KeyError, OSError) as err:
        logging.getLogger(__name__).info("benchmark of %s not loaded: %s", run.path, err)
        return None, None
    if not ceiling:
        return str(benchmark.name), None
    try:
        return str(benchmark.name), benchmark_ceilings(benchmark, split=run.report.split)
    except (ValueError, KeyError) as err:
        logging.getLogger(__name__).info("no ceiling for the model card: %s", err)
        return str(benchmark.name), None


def export_run(run: Run | Path | str, out: Path | str, ceiling: bool = True) -> Path:
    """Write a finished run as a shareable model folder: what ``push_to_hub`` would upload.

    The folder holds the peft adapters and the head at its root, :data:`EXPORT_MARKER` (the
    format, the backbone's name and revision or a copy of a local backbone, the spec), the
    run's configuration (:data:`RUN_CONFIG_FILE`), ``report.json``, ``metrics.csv`` and a
    model card (``README.md``) filled from the report instead of peft's template. It is
    written atomically (:func:`socalign.cache.staged_folder`); nothing is uploaded.

    Parameters
    ----------
    run
        A finished run (or its folder).
    out
        A missing or empty folder (a non-empty one is refused, even an earlier export).
    ceiling
        Compute the held-out split's noise ceiling for the card (needs the benchmark).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    FileNotFoundError
        The run is not finished.
    RunFileError
        A file of the run is malformed or belongs to another run (:meth:`Run.verify`).
    socalign.outputs.OutputFolderError
        ``out`` is a file or a non-empty folder (left untouched).
    """
    from socalign.cache import atomic_write_text, staged_folder
    from socalign.models.registry import get_spec, with_frames
    from socalign.outputs import check_output_folder

    run = run if isinstance(run, Run) else Run.open(run)
    if not run.finished:
        raise FileNotFoundError(f"{run.report_path} not found: the run in {run.path} is not "
                                "finished (export needs its report)")
    for name in _MODEL_FILES:
        run._need(run.model_dir / name)
    run.verify()
    out = check_output_folder(out, "exported model", EXPORT_MARKER, is_export)
    record = backbone_record(run.backbone)
    spec = with_frames(get_spec(run.backbone), run.config.n_frames)
    dataset_name, ceilings = _benchmark_facts(run, ceiling)
    with staged_folder(out) as stage:
        for name in _MODEL_FILES:
            shutil.copy2(run.model_dir / name, stage / name)
        adapter = read_json(stage / "adapter_config.json", ADAPTER_FIELDS)
        if record["source"] == "hub":
            adapter["base_model_name_or_path"] = record["name"]
            adapter["revision"] = record.get("commit") or record["revision"]
        else:
            adapter["base_model_name_or_path"] = (
                BACKBONE_DIR if record["source"] == "bundled" else "toy")
        atomic_write_text(stage / "adapter_config.json", json.dumps(adapter, indent=2) + "\n")
        head = read_json(stage / "head.json", HEAD_FIELDS)
        head["backbone"] = record["name"]
        head["dataset"] = dataset_name or Path(str(head.get("dataset", run.dataset))).name
        atomic_write_text(stage / "head.json", json.dumps(head, indent=2) + "\n")
        if record["source"] == "bundled":
            source = Path(split_name(run.backbone)).expanduser()
            for rel in record["files"]:
                target = stage / BACKBONE_DIR / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / rel, target)
        shutil.copy2(run.config_path, stage / RUN_CONFIG_FILE)
        shutil.copy2(run.report_path, stage / REPORT_FILE)
        if run.history_path.is_file():
            shutil.copy2(run.history_path, stage / HISTORY_FILE)
        spec_dict = spec.to_dict()
        if record["source"] != "hub":
            spec_dict["name"] = spec_dict["source"] = record["name"]
        from socalign import __version__

        atomic_write_text(stage / EXPORT_MARKER, json.dumps({
            "format": EXPORT_FORMAT,
            "socalign_version": __version__,
            "backbone": record,
            "spec": spec_dict,
            "dataset": dataset_name or Path(str(run.dataset)).name,
            "split": run.report.split,
            "lora_targets": list(run.lora_targets),
            "head_dim": run.config.head_dim,
            "preprocessing": "fast",
            "ceiling": None if ceilings is None else ceilings.to_dict()["ceilings"],
        }, indent=2, default=str) + "\n")
        card = model_card(run, record, ceilings, dataset_name, spec.n_frames)
        if _TEMPLATE_TEXT in card:  # pragma: no cover - the card is ours
            raise AssertionError("the model card holds template text")
        atomic_write_text(stage / CARD_FILE, card)
    return out


def split_name(backbone: str) -> str:
    """A backbone's name without its ``@REV`` (see :func:`socalign.models.hub.split_revision`)."""
    from socalign.models.hub import split_revision

    return split_revision(backbone)[0]


def _load_export(folder: Path, device: str | None) -> Any:
    from socalign.models.video import forward_features, load_backbone
    from socalign.train.model import load_model

    info = read_json(folder / EXPORT_MARKER, EXPORT_FIELDS)
    record = info["backbone"]
    source = record.get("source")
    frames = info["spec"].get("n_frames")  # as trained (may differ from the base's)
    if frames is not None and (not isinstance(frames, int) or isinstance(frames, bool)):
        raise RunFileError(folder / EXPORT_MARKER, f"field 'spec.n_frames' must be an integer "
                           f"or null, got {frames!r}", "spec.n_frames")
    run_config = folder / RUN_CONFIG_FILE
    marker = read_marker(run_config)
    wanted = model_record(marker)
    for key, value in (("lora_targets", wanted["targets"]), ("head_dim", wanted["dim"])):
        have = info.get(key)
        have = sorted(have) if key == "lora_targets" and have is not None else have
        if have is not None and value is not None and have != value:
            raise RunMismatchError(folder / EXPORT_MARKER, f"{key} {have!r} differs from the "
                                   f"run's record {value!r} ({run_config})", key)
    check_model_files(folder, wanted, run_config)  # before any weights are read
    if source == "bundled":
        from socalign.models.embed import folder_files

        copy = folder / str(record.get("path", BACKBONE_DIR))
        if record.get("files") is not None and folder_files(copy) != record["files"]:
            raise RunMismatchError(folder / EXPORT_MARKER, f"the backbone copy {copy} differs "
                                   "from the sha256 of its files recorded here (backbone.files)",
                                   "backbone.files")
    if source == "hub":
        pin = record.get("commit") or record.get("revision")
        base, spec = load_backbone(record["name"], device=device, revision=pin, n_frames=frames)
    elif source == "bundled":
        base, spec = load_backbone(folder / str(record.get("path", BACKBONE_DIR)), device=device,
                                   n_frames=frames)
    elif source == "socalign":
        from socalign.models.embed import folder_files
        from socalign.models.toy import toy_backbone

        toy_name = str(record.get("name", "toy"))
        if record.get("files") and folder_files(toy_backbone(toy_name)) != record["files"]:
            import warnings

            warnings.warn(f"{folder}: the toy backbone here differs from the one this model was "
                          "trained on (another socalign version); its embeddings will differ",
                          stacklevel=3)
        base, spec = load_backbone(toy_name, device=device, n_frames=frames)
    else:
        raise ValueError(f"{folder / EXPORT_MARKER}: unknown backbone source {source!r}")
    check_model_files(folder, wanted, run_config, _hidden_of(base, spec), base=base)
    model = load_model(base, folder, lambda m, x: forward_features(m, spec, x), spec)
    return model


def load_aligned(source: Path | str, device: str | None = "cpu",
                 revision: str | None = None) -> Any:
    """A fine-tuned model in one call: the backbone with its adapters and head, in eval mode.

    Parameters
    ----------
    source
        A ``socalign finetune`` run folder, a folder ``socalign export`` wrote, or a hub
        repository id holding an export (``owner/name``, ``owner/name@REV``; downloaded with
        ``huggingface_hub.snapshot_download``, from the local cache only when offline).
    device
        Where to put the model.
    revision
        The hub repository's branch, tag or commit (hub ids only).

    Returns
    -------
    socalign.train.model.AlignedVideoModel
        Its forward pass maps preprocessed clips to unit-length embeddings;
        ``embed_clips(uint8 clips)`` preprocesses as in training; ``spec`` is the backbone's
        :class:`socalign.models.specs.BackboneSpec`, ``source`` where it came from.

    Raises
    ------
    FileNotFoundError
        A missing folder, an unfinished run, or a hub id that is not cached and cannot be
        fetched.
    ValueError
        A folder that is neither a run nor an export; or (:class:`RunFileError`) a saved
        model that disagrees with the run's own record (``adapter_config.json``'s rank, alpha
        or target modules, a tensor's shape, ``head.json``'s dimensions or run id), a
        malformed JSON file, or pickle weights (``.bin``, ``.pt``) in place of the safetensors
        files, which are never loaded. Nothing is loaded before these checks pass.
    """
    from socalign.models.hub import download_snapshot, is_hub_id, split_revision, with_revision

    name = str(source)
    path = Path(name).expanduser()
    if path.is_dir():
        if revision is not None:
            raise ValueError(f"revision applies to a hub repository id, not to the folder {path}")
        if is_export(path):
            model = _load_export(path, device)
        elif Run.is_run(path):
            model, _ = Run.open(path).load_model(device=device)
        else:
            raise ValueError(f"{path} is neither a socalign finetune run folder (config.json) nor "
                             f"an exported model ({EXPORT_MARKER})")
    elif is_hub_id(name):
        repo, pinned = split_revision(with_revision(name, revision) if revision else name)
        folder = download_snapshot(repo, pinned)
        if not is_export(folder):
            raise ValueError(f"{repo}: the repository holds no {EXPORT_MARKER}; it is not a model "
                             "socalign export wrote")
        model = _load_export(folder, device)
    else:
        raise FileNotFoundError(f"{name}: no such folder, and not a hub repository id "
                                "(owner/name)")
    model.source = name
    return model.to(device).eval() if device is not None else model.eval()
