"""Checkpoints written atomically (write a temporary file, then rename), one per epoch."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch

from socalign.cache import atomic_write_bytes

POINTER = "last.json"


def _to_bytes(state: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def save_checkpoint(folder: Path | str, epoch: int, state: dict[str, Any], keep: int = 2) -> Path:
    """Write ``epoch-NNNN.pt`` then point ``last.json`` at it; keep the newest ``keep`` files."""
    folder = Path(folder)
    path = atomic_write_bytes(folder / f"epoch-{epoch:04d}.pt", _to_bytes(state))
    atomic_write_bytes(folder / POINTER, json.dumps({"epoch": epoch, "file": path.name}).encode())
    for old in sorted(folder.glob("epoch-*.pt"))[:-keep]:
        old.unlink()
    return path


def save_state(path: Path | str, state: dict[str, Any]) -> Path:
    """Write one state file atomically (used for the best model so far)."""
    return atomic_write_bytes(path, _to_bytes(state))


def load_state(path: Path | str) -> dict[str, Any]:
    """Read a state file written by :func:`save_state` or :func:`save_checkpoint`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} not found")
    return torch.load(path, map_location="cpu", weights_only=False)


def last_checkpoint(folder: Path | str) -> Path | None:
    """The newest complete checkpoint in ``folder`` (None when there is none)."""
    pointer = Path(folder) / POINTER
    if not pointer.exists():
        return None
    name = json.loads(pointer.read_text())["file"]
    path = Path(folder) / name
    if not path.exists():
        raise FileNotFoundError(f"{pointer} names {name}, which is missing")
    return path
