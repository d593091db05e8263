"""Checkpoints without pickle: tensors as safetensors, the rest of the state as JSON.

One file per checkpoint, ``epoch-NNNN.safetensors``, written atomically (a temporary file, then
a rename). Its tensors are the state's tensors; the safetensors header's metadata holds the
rest of the state as JSON, with each tensor replaced by a reference to it. Nothing read from
disk is unpickled, so a crafted checkpoint cannot run code.

Every JSON file of a run folder (its ``config.json``, ``report.json``, ``last.json``, the
model's ``head.json`` and ``adapter_config.json``, an export's marker) is read through
:func:`read_json`, which names the file (and the parser's line and column) on a parse error and
checks the fields' types (:func:`check_fields`); :func:`check_state` checks a checkpoint's
fields, types and tensor shapes before any of it is used.

``last.json`` points at the newest checkpoint. :func:`load_latest` falls back to the previous
kept checkpoint, with a warning naming both, when the newest one is truncated or unreadable.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socalign.cache import (
    MAX_JSON_DEPTH,
    InputFileError,
    atomic_write_bytes,
    json_depth,
    read_input,
)

POINTER = "last.json"
SUFFIX = ".safetensors"
BEST = "best.safetensors"
_META_KEY = "socalign_state"
_FORMAT = 1
_EPOCH = re.compile(r"^epoch-(\d+)\.safetensors$")


# --- the one reader of a run folder's JSON files: it names the file and the field ---------


class RunFileError(ValueError):
    """A file of a run (or exported) folder that is unreadable, malformed, or another run's.

    Parameters
    ----------
    path
        The file.
    message
        What is wrong, written to follow ``path: `` (the message starts with the path).
    field
        The field concerned (None: the file as a whole).
    """

    def __init__(self, path: Path | str, message: str, field: str | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.reason = message
        self.where = str(path)
        self.path = Path(path)
        self.field = field


@dataclass(frozen=True)
class ListOf:
    """A JSON field that is a list whose items are all of ``kind`` (for :func:`read_json`)."""

    kind: type

    def __repr__(self) -> str:
        return f"a list of {_TYPE_NAMES.get(self.kind, self.kind.__name__)}"


Kind = type | ListOf | tuple[type | ListOf, ...]
Fields = dict[str, tuple[Kind, bool]]
"""A JSON object's expected fields: name -> (type or types, required)."""

_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", dict: "a JSON object",
               list: "a list", bool: "true or false", type(None): "null"}


def _is_kind(value: Any, kind: type | ListOf) -> bool:
    if isinstance(kind, ListOf):
        return isinstance(value, list) and all(_is_kind(v, kind.kind) for v in value)
    if kind is float:  # a JSON number: an int is one too, a bool is not
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _describe(kind: Kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(repr(k) if isinstance(k, ListOf) else _TYPE_NAMES.get(k, k.__name__)
                       for k in kinds)


def check_fields(data: Any, fields: Fields, path: Path | str, prefix: str = "") -> dict[str, Any]:
    """Check a parsed JSON object's fields' presence and types; raise naming file and field.

    Parameters
    ----------
    data : Any
        The parsed value (it must be a dict).
    fields : dict
        name -> (type, or tuple of types, or :class:`ListOf`; required). Other keys are
        left alone.
    path : path-like
        The file it was read from (named in the error).
    prefix : str, default ""
        A dotted path of the object inside the file (``"identity."``), for the message.

    Returns
    -------
    dict
        ``data``.

    Raises
    ------
    RunFileError
        ``data`` is not an object, a required field is missing, or a field has another type.
    """
    if not isinstance(data, dict):
        where = f"field {prefix.rstrip('.')!r}" if prefix else "the file"
        raise RunFileError(path, f"{where} must be a JSON object, got {type(data).__name__}",
                           prefix.rstrip(".") or None)
    for name, (kind, required) in fields.items():
        if name not in data:
            if required:
                raise RunFileError(path, f"field {prefix + name!r} is missing", prefix + name)
            continue
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not any(_is_kind(data[name], k) for k in kinds):
            shown = json.dumps(data[name], default=str)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise RunFileError(path, f"field {prefix + name!r} must be {_describe(kind)}, got "
                               f"{shown}", prefix + name)
    return data


def read_json(path: Path | str, fields: Fields | None = None) -> dict[str, Any]:
    """Read one JSON object of a run or exported folder: the one reader of their JSON files.

    Parameters
    ----------
    path : path-like
        The file.
    fields : dict or None, default None
        Its expected fields (see :func:`check_fields`); None checks only that it is an object.

    Returns
    -------
    dict
        The parsed object.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist (its ``filename`` is ``path``).
    RunFileError
        It is not UTF-8 JSON (the message gives the parser's line and column), not an object,
        or a field is missing or of another type.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(2, f"{path} not found", str(path))
    try:
        raw = read_input(path, "json")  # regular files only, bounded in size
    except InputFileError as err:
        raise RunFileError(path, err.reason) from None
    too_deep = f"JSON nested deeper than {MAX_JSON_DEPTH} levels; the file is not socalign's"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise RunFileError(path, f"not UTF-8 text (byte {err.start}); the file is damaged") from None
    except json.JSONDecodeError as err:
        raise RunFileError(path, f"not valid JSON: {err.msg} (line {err.lineno}, column "
                           f"{err.colno}); the file is damaged or truncated") from None
    except RecursionError:
        raise RunFileError(path, too_deep) from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise RunFileError(path, too_deep)
    return check_fields(data, fields or {}, path)


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: truncated, corrupt, or not a socalign checkpoint."""


def _tensor() -> type:
    import torch

    return torch.Tensor


#: ``last.json``'s fields (read with :func:`read_json`).
POINTER_FIELDS: dict[str, tuple[Any, bool]] = {"epoch": (int, True), "file": (str, True)}


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
        name = read_json(pointer, POINTER_FIELDS)["file"]
    except RunFileError as err:
        raise CheckpointError(f"unreadable pointer {err}") from None
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


def state_fields() -> dict[str, tuple[Any, bool]]:
    """A training checkpoint's fields and their types (torch imported here)."""
    tensor = _tensor()
    number = float  # an int or a float (see check_fields)
    return {
        "config": (str, True), "epoch": (int, True), "trainable": (dict, True),
        "optimizer": (dict, True), "scheduler": (dict, True), "torch_rng": (tensor, True),
        "history": (list, True), "best": (number, True), "best_epoch": (int, True),
        "bad": (int, True), "elapsed": (number, True), "time_to_best": (number, True),
        "bank": ((tensor, type(None)), True), "counts": ((tuple, list), True),
        "train_s": (number, False), "train_cpu_s": (number, False),
        "validations": (list, False), "steps_done": (int, False), "cuda_rng": (list, False),
        "run_id": (str, False), "scaler": (dict, False),
    }


def check_state(
    state: dict[str, Any],
    path: Path | str,
    shapes: dict[str, tuple[int, ...]] | None = None,
    param_shapes: list[tuple[int, ...]] | None = None,
    bank_shape: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Check a training checkpoint's fields, types and tensor shapes before any is used.

    Parameters
    ----------
    state : dict
        What :func:`load_state` returned.
    path : path-like
        Its file (named in the error).
    shapes : dict or None, default None
        The model's trainable tensors' shapes by name (``trainable`` must match them).
    param_shapes : list of tuple or None, default None
        The optimizer's parameters' shapes in order (its moment tensors must match them).
    bank_shape : tuple of int or None, default None
        The fast trainer's bank's shape (videos, embedding size).

    Returns
    -------
    dict
        ``state``.

    Raises
    ------
    CheckpointError
        Naming the file and the field: missing, of another type, or a tensor of another shape.
    """
    tensor = _tensor()
    try:
        check_fields(state, state_fields(), path, "state.")
    except RunFileError as err:
        raise CheckpointError(str(err)) from None

    def bad(field: str, message: str) -> CheckpointError:
        return CheckpointError(f"{path}: field {field!r} {message}")

    counts = state["counts"]
    if len(counts) != 2 or not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        raise bad("state.counts", f"must be two integers, got {counts!r}")
    check_trainable(state["trainable"], path, shapes)
    moments = state["optimizer"].get("state")
    if not isinstance(moments, dict) or not isinstance(state["optimizer"].get("param_groups"),
                                                       list):
        raise bad("state.optimizer", "must hold 'state' and 'param_groups'")
    for index, entry in moments.items():
        if not isinstance(index, int) or not isinstance(entry, dict):
            raise bad(f"state.optimizer.state.{index}", "must be a parameter's moments")
        if param_shapes is not None and not 0 <= index < len(param_shapes):
            raise bad(f"state.optimizer.state.{index}", f"names parameter {index}; the model "
                      f"has {len(param_shapes)}")
        for key, value in entry.items():
            if key in ("exp_avg", "exp_avg_sq") and param_shapes is not None:
                if not isinstance(value, tensor) or tuple(value.shape) != param_shapes[index]:
                    shown = list(value.shape) if isinstance(value, tensor) else repr(value)
                    raise bad(f"state.optimizer.state.{index}.{key}", f"has shape {shown}, the "
                              f"parameter's is {list(param_shapes[index])}")
    bank = state["bank"]
    if bank is not None and (bank.ndim != 2 or (bank_shape is not None
                                                and tuple(bank.shape) != tuple(bank_shape))):
        wanted = "2 dimensions" if bank_shape is None else list(bank_shape)
        raise bad("state.bank", f"has shape {list(bank.shape)}, not {wanted}")
    return state


def check_trainable(trainable: Any, path: Path | str,
                    shapes: dict[str, tuple[int, ...]] | None = None) -> dict[str, Any]:
    """Check a state's ``trainable`` tensors (a checkpoint's, or ``best.safetensors``').

    Parameters
    ----------
    trainable : Any
        The state's ``trainable`` entry.
    path : path-like
        Its file (named in the error).
    shapes : dict or None, default None
        The model's trainable tensors' shapes by name (the names and shapes must match).

    Returns
    -------
    dict
        ``trainable``.

    Raises
    ------
    CheckpointError
        Naming the file and the tensor: not a mapping of tensors, missing, unknown, or of
        another shape.
    """
    tensor = _tensor()

    def bad(field: str, message: str) -> CheckpointError:
        return CheckpointError(f"{path}: field {field!r} {message}")

    if not isinstance(trainable, dict):
        raise bad("state.trainable", "must be a mapping of tensors")
    for name, value in trainable.items():
        if not isinstance(value, tensor):
            raise bad(f"state.trainable.{name}", "must be a tensor")
    if shapes is not None:
        missing = sorted(set(shapes) - set(trainable))
        extra = sorted(set(trainable) - set(shapes))
        if missing or extra:
            name = (missing or extra)[0]
            raise bad(f"state.trainable.{name}", "is missing" if missing else
                      "is not a trainable tensor of this model")
        for name, shape in shapes.items():
            if tuple(trainable[name].shape) != tuple(shape):
                raise bad(f"state.trainable.{name}", f"has shape {list(trainable[name].shape)}, "
                          f"the model's is {list(shape)}")
    return trainable
