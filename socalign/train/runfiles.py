"""The file layout of a ``socalign finetune`` run folder and of an exported model folder.

This module owns every file name of the two folders, the fields their JSON files must have
(read through :func:`socalign.train.checkpoint.read_json`, the one reader) and the readers
that recognise a folder: :func:`read_run_marker` (a run), :func:`is_export` (an export) and
:func:`read_marker` (a run's ``config.json``, strictly). :func:`socalign.train.run.finetune`
writes the run folder, :class:`socalign.train.runs.Run` reads it,
:func:`socalign.train.export.export_run` writes the exported folder and
:meth:`socalign.train.model.AlignedVideoModel.load` loads the model in either.

Importing this module does not import torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from socalign.train.checkpoint import Fields, ListOf, RunFileError, check_fields, read_json
from socalign.train.config import TrainConfig

# --- a run folder ------------------------------------------------------------------------------

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
"""The peft adapters and the projection head (:meth:`socalign.train.model.AlignedVideoModel.save`)."""
CHECKPOINTS_DIR = "checkpoints"
BEST_FILE = "best.safetensors"
EMBEDDINGS_FILES = {"before": "embeddings_before.npz", "after": "embeddings_after.npz"}
"""Every video's embeddings with the pretrained (``before``) and fine-tuned (``after``) model."""
RUN_LOCK = ".socalign-run.lock"
"""The lock a writer holds on its run folder (:func:`socalign.train.identity.run_lock`)."""
RUN_RECORD = "identity"
"""The key of ``config.json`` (and ``report.json``) holding the run's identity
(:func:`socalign.train.identity.run_identity`)."""

# --- a saved model (a run's model/ folder, or an exported folder's root) -------------------------

ADAPTER_CONFIG_FILE = "adapter_config.json"
"""peft's adapter settings (rank, alpha, target modules)."""
ADAPTER_FILE = "adapter_model.safetensors"
"""The adapter weights (peft's file name)."""
HEAD_FILE = "head.safetensors"
"""The projection head's weights."""
HEAD_CONFIG_FILE = "head.json"
"""The projection head's sizes (``hidden``, ``dim``, ``dropout``) and the run's id."""
MODEL_FILES = (ADAPTER_CONFIG_FILE, ADAPTER_FILE, HEAD_FILE, HEAD_CONFIG_FILE)
"""Every file of a saved model."""

# --- an exported folder --------------------------------------------------------------------------

EXPORT_MARKER = "socalign_model.json"
"""An exported model folder's marker: format, backbone (name, revision, commit), spec, settings."""
EXPORT_FORMAT = "socalign-aligned/1"
CARD_FILE = "README.md"
"""The model card (what the hub shows)."""
RUN_CONFIG_FILE = "run_config.json"
"""The run's ``config.json`` (its marker), renamed: a root ``config.json`` is a transformers model's."""
BACKBONE_DIR = "backbone"
"""A local backbone checkpoint's copy inside an exported folder."""

Which = Literal["before", "after"]


# --- the JSON files' fields --------------------------------------------------------------------

CONFIG_FIELDS: Fields = {
    "backbone": (str, True), "train": (dict, True), "dataset": (str, False),
    "lora_targets": (ListOf(str), False), "fit_videos": (ListOf(int), False),
    "val_videos": (ListOf(int), False), RUN_RECORD: (dict, False),
}
"""``config.json`` (the run's marker)."""
IDENTITY_FIELDS: Fields = {"run_id": (str, True), "seed": (int, True),
                           "dataset": (dict, True), "backbone": (dict, True),
                           "stream_rule": (int, False)}
"""A run's identity record (:func:`socalign.train.identity.run_identity`)."""
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
"""``head.json``."""
ADAPTER_FIELDS: Fields = {"r": (int, True), "lora_alpha": (float, True),
                          "target_modules": ((ListOf(str), str), True),
                          "peft_type": (str, False), "rank_pattern": (dict, False),
                          "alpha_pattern": (dict, False)}
"""``adapter_config.json`` (peft's), the fields socalign checks."""
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
        As :func:`socalign.train.checkpoint.read_json`; also an identity record or a training setting of the wrong type.
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
    """Check an identity record's fields and types (see
    :func:`socalign.train.identity.run_identity`).

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
    only recognises a run; :meth:`socalign.train.runs.Run.open` reads it strictly
    (:func:`read_marker`).

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


def is_export(path: Path | str) -> bool:
    """Whether ``path`` is a folder ``socalign export`` wrote (it holds :data:`EXPORT_MARKER`)."""
    marker = Path(path) / EXPORT_MARKER
    if not marker.is_file():
        return False
    try:
        return read_json(marker).get("format") == EXPORT_FORMAT
    except (RunFileError, OSError):
        return False


def run_entries(out: Path) -> list[Path]:
    """What a run folder holds, besides a writer's lock file (empty for a missing folder)."""
    return [p for p in out.iterdir() if p.name != RUN_LOCK] if out.is_dir() else []


def check_which(which: str) -> str:
    """``which`` when it is ``"before"`` or ``"after"`` (a key of :data:`EMBEDDINGS_FILES`).

    Raises
    ------
    ValueError
        Any other value.
    """
    if which not in EMBEDDINGS_FILES:
        raise ValueError(f"which must be 'before' or 'after', got {which!r}")
    return which
