"""Checkpoints without pickle: tensors as safetensors, the rest of the state as JSON.

One file per checkpoint, ``epoch-NNNN.safetensors``, written atomically (a temporary file, then
a rename). Its tensors are the state's tensors; the safetensors header's metadata holds the
rest of the state as JSON, with each tensor replaced by a reference to it. Nothing read from
disk is unpickled, so a crafted checkpoint cannot run code.

``last.json`` points at the newest checkpoint. :func:`load_latest` falls back to the previous
kept checkpoint, with a warning naming both, when the newest one is truncated or unreadable.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

from socalign.cache import atomic_write_bytes

POINTER = "last.json"
SUFFIX = ".safetensors"
BEST = "best.safetensors"
_META_KEY = "socalign_state"
_FORMAT = 1
_EPOCH = re.compile(r"^epoch-(\d+)\.safetensors$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: truncated, corrupt, or not a socalign checkpoint."""


class CheckpointFallbackWarning(UserWarning):
    """The newest checkpoint was unreadable and an older kept one was used instead."""


def _encode(value: Any, tensors: dict[str, Any], where: str) -> Any:
    """JSON-able form of ``value``; tensors move to ``tensors`` and leave a reference."""
    import torch

    if isinstance(value, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = value.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, tensors, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: _encode(v, tensors, f"{where}.{k}") for k, v in value.items()}}
        items = []
        for k, v in value.items():
            if not isinstance(k, int | str):
                raise TypeError(f"checkpoint state {where}: key {k!r} is not an int or a str")
            items.append([k, _encode(v, tensors, f"{where}.{k}")])
        return {"__items__": items}
    raise TypeError(f"checkpoint state {where}: cannot store a {type(value).__name__}")


def _decode(value: Any, tensors: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, body), = value.items()
    if tag == "__tensor__":
        return tensors[body]
    if tag == "__float__":
        return float(body)
    if tag == "__tuple__":
        return tuple(_decode(v, tensors) for v in body)
    if tag == "__dict__":
        return {k: _decode(v, tensors) for k, v in body.items()}
    if tag == "__items__":
        return {k: _decode(v, tensors) for k, v in body}
    raise ValueError(f"unknown tag {tag!r}")


def _to_bytes(state: dict[str, Any]) -> bytes:
    from safetensors.torch import save

    tensors: dict[str, Any] = {}
    encoded = _encode(state, tensors, "state")
    header = json.dumps({"format": _FORMAT, "state": encoded}, allow_nan=False)
    return save(tensors, metadata={_META_KEY: header})


def save_checkpoint(folder: Path | str, epoch: int, state: dict[str, Any], keep: int = 2) -> Path:
    """Write one epoch's checkpoint and point ``last.json`` at it.

    Parameters
    ----------
    folder : path-like
        The run's ``checkpoints`` folder (created when missing).
    epoch : int
        The epoch the state belongs to; the file is ``epoch-NNNN.safetensors``.
    state : dict
        Nested dicts, lists and tuples of tensors, numbers, strings, booleans and None.
    keep : int, default 2
        How many of the newest checkpoints to keep; older ones are deleted.

    Returns
    -------
    Path
        The checkpoint file written.
    """
    folder = Path(folder)
    path = atomic_write_bytes(folder / f"epoch-{epoch:04d}{SUFFIX}", _to_bytes(state))
    atomic_write_bytes(folder / POINTER, json.dumps({"epoch": epoch, "file": path.name}).encode())
    for old in _epoch_files(folder)[keep:]:
        old.unlink()
    return path


def save_state(path: Path | str, state: dict[str, Any]) -> Path:
    """Write one state file atomically (used for the best model so far).

    Parameters
    ----------
    path : path-like
        The file to write (by convention ending in ``.safetensors``).
    state : dict
        As for :func:`save_checkpoint`.

    Returns
    -------
    Path
        ``path``.
    """
    return atomic_write_bytes(path, _to_bytes(state))


def load_state(path: Path | str) -> dict[str, Any]:
    """Read a state file written by :func:`save_state` or :func:`save_checkpoint`.

    Parameters
    ----------
    path
        A ``.safetensors`` file written by socalign.

    Returns
    -------
    dict
        The state, tensors on the CPU.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    CheckpointError
        When the file is truncated, corrupt, a pickle (older socalign), or not socalign's.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} not found")
    if path.suffix != SUFFIX:
        raise CheckpointError(
            f"{path}: not a safetensors checkpoint (an older socalign wrote pickle files, which "
            "are never loaded because they can run code); start a new run in another folder"
        )
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            header = (handle.metadata() or {}).get(_META_KEY)
            if header is None:
                raise CheckpointError(f"{path}: not a socalign checkpoint (no state in its header)")
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        stored = json.loads(header)
        if stored.get("format") != _FORMAT:
            raise CheckpointError(f"{path}: checkpoint format {stored.get('format')!r} unknown")
        state = _decode(stored["state"], tensors)
    except CheckpointError:
        raise
    except Exception as err:  # safetensors raises its own error type for bad bytes
        raise CheckpointError(f"{path}: unreadable checkpoint ({type(err).__name__}: {err})") from err
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: the stored state is not a mapping")
    return state


def _epoch_files(folder: Path) -> list[Path]:
    """The folder's checkpoint files, newest epoch first."""
    found = [(_epoch_of(p), p) for p in folder.glob(f"epoch-*{SUFFIX}")]
    return [p for epoch, p in sorted(found, reverse=True) if epoch >= 0]


def _epoch_of(path: Path) -> int:
    match = _EPOCH.match(path.name)
    return int(match.group(1)) if match else -1


def last_checkpoint(folder: Path | str) -> Path | None:
    """The checkpoint ``last.json`` points at (None when there is none).

    Parameters
    ----------
    folder
        A run's ``checkpoints`` folder.

    Returns
    -------
    Path or None
        The newest complete checkpoint file, or None when no checkpoint was written.
    """
    folder = Path(folder)
    pointer = folder / POINTER
    if not pointer.exists():
        return None
    try:
        name = json.loads(pointer.read_text())["file"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{pointer}: unreadable pointer ({err})") from err
    path = folder / Path(name).name
    if not path.exists():
        raise FileNotFoundError(f"{pointer} names {name}, which is missing")
    return path


def load_latest(folder: Path | str) -> tuple[Path, dict[str, Any]] | None:
    """The newest readable checkpoint of ``folder`` and its state (None when there is none).

    The newest is the one ``last.json`` points at (or, without a readable pointer, the highest
    epoch). When it is truncated or unreadable, the previous kept one is used and a
    :class:`CheckpointFallbackWarning` names both files.

    Parameters
    ----------
    folder
        A run's ``checkpoints`` folder.

    Returns
    -------
    tuple of (Path, dict) or None
        The file used and its state; None when the folder holds no checkpoint at all.

    Raises
    ------
    CheckpointError
        When checkpoints exist but none of them can be read, or only pickle files (older
        socalign) exist.
    """
    folder = Path(folder)
    files = _epoch_files(folder) if folder.is_dir() else []
    failures: list[str] = []
    try:
        newest = last_checkpoint(folder)
    except (CheckpointError, FileNotFoundError) as err:
        failures.append(str(err))
        newest = None
    if newest is not None:
        if newest.suffix != SUFFIX:
            load_state(newest)  # raises CheckpointError: pickle files are never loaded
        files = [newest, *(p for p in files if _epoch_of(p) < _epoch_of(newest))]
    if not files:
        legacy = sorted(folder.glob("epoch-*.pt")) if folder.is_dir() else []
        if legacy:
            load_state(legacy[-1])  # raises CheckpointError explaining why it is not loaded
        if failures:
            raise CheckpointError(f"{folder}: no readable checkpoint; {failures[0]}")
        return None
    for path in files:
        try:
            state = load_state(path)
        except CheckpointError as err:
            failures.append(str(err))
            continue
        if failures:
            warnings.warn(
                f"{failures[0]}; resuming from the previous kept checkpoint {path} instead",
                CheckpointFallbackWarning, stacklevel=2,
            )
        return path, state
    raise CheckpointError(f"{folder}: no readable checkpoint; " + "; ".join(failures))
