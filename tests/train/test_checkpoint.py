"""Checkpoints hold no pickle; a truncated newest checkpoint falls back to the previous one."""

from __future__ import annotations

import math
import pickle
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from socalign.train.checkpoint import (  # noqa: E402
    CheckpointError,
    CheckpointFallbackWarning,
    load_latest,
    load_state,
    save_checkpoint,
)

PACKAGE = Path(__file__).resolve().parents[2] / "socalign"
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
LOAD_CALL = re.compile(r"torch\.load\((?P<args>[^)]*)\)", re.DOTALL)


def test_no_torch_load_without_weights_only() -> None:
    """Every torch.load in the package (and its scripts and benchmarks) passes weights_only=True."""
    offenders = []
    files = [*PACKAGE.rglob("*.py"), *(SCRIPTS.rglob("*.py") if SCRIPTS.exists() else []),
             *(BENCHMARKS.rglob("*.py") if BENCHMARKS.exists() else [])]
    assert len(files) > 20  # the scan really looks at the package
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in LOAD_CALL.finditer(text):
            if not re.search(r"weights_only\s*=\s*True", match.group("args")):
                line = text[: match.start()].count("\n") + 1
                offenders.append(f"{path}:{line}")
        for name in ("pickle.load", "pickle.loads", "allow_pickle=True"):
            if name in text:
                offenders.append(f"{path}: {name}")
    assert offenders == []


def test_the_scan_catches_an_unsafe_call() -> None:
    text = "state = torch.load(path,\n    map_location='cpu')\nok = torch.load(p, weights_only=True)"
    unsafe = [m for m in LOAD_CALL.finditer(text)
              if not re.search(r"weights_only\s*=\s*True", m.group("args"))]
    assert len(unsafe) == 1


def _state(epoch: int) -> dict:
    params = [torch.nn.Parameter(torch.randn(3, 2))]
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    params[0].grad = torch.ones(3, 2)
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max")
    return {"epoch": epoch, "config": {"lr": 1e-3, "targets": ["qkv"]},
            "trainable": {"w": params[0].detach().clone()}, "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
            "best": -math.inf, "bank": None, "counts": (4, 5), "history": [{"loss": 0.5}]}


def test_state_round_trips_exactly(tmp_path) -> None:
    state = _state(0)
    path = save_checkpoint(tmp_path, 0, state)
    assert path.name == "epoch-0000.safetensors"
    back = load_state(path)
    assert back["best"] == -math.inf and back["counts"] == (4, 5) and back["bank"] is None
    assert back["scheduler"] == state["scheduler"]
    assert list(back["optimizer"]["state"]) == [0]  # int keys stay ints (load_state_dict needs them)
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert torch.equal(back["optimizer"]["state"][0]["exp_avg"],
                       state["optimizer"]["state"][0]["exp_avg"])
    assert torch.equal(back["torch_rng"], state["torch_rng"])
    fresh = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(3, 2))], lr=1e-3)
    fresh.load_state_dict(back["optimizer"])
    assert torch.equal(fresh.state_dict()["state"][0]["exp_avg_sq"],
                       state["optimizer"]["state"][0]["exp_avg_sq"])


def test_truncated_last_checkpoint_falls_back_naming_both(tmp_path) -> None:
    save_checkpoint(tmp_path, 0, _state(0))
    newest = save_checkpoint(tmp_path, 1, _state(1))
    newest.write_bytes(newest.read_bytes()[:-40])
    with pytest.warns(CheckpointFallbackWarning) as caught:
        path, state = load_latest(tmp_path)
    assert path.name == "epoch-0000.safetensors" and state["epoch"] == 0
    message = str(caught[0].message)
    assert "epoch-0001.safetensors" in message and "epoch-0000.safetensors" in message


def test_no_readable_checkpoint_names_the_files(tmp_path) -> None:
    only = save_checkpoint(tmp_path, 0, _state(0))
    only.write_bytes(b"\x00" * 5)
    with pytest.raises(CheckpointError, match=r"epoch-0000\.safetensors"):
        load_latest(tmp_path)
    assert load_latest(tmp_path / "empty") is None


class _Boom:
    def __reduce__(self):
        return (Path.touch, (Path(_Boom.target),))


def test_a_pickle_checkpoint_is_never_unpickled(tmp_path) -> None:
    """A crafted old-style ``epoch-*.pt`` (code run on unpickling) is refused, not executed."""
    _Boom.target = str(tmp_path / "PWNED")
    (tmp_path / "epoch-0000.pt").write_bytes(pickle.dumps({"x": _Boom()}))
    (tmp_path / "last.json").write_text('{"epoch": 0, "file": "epoch-0000.pt"}')
    with pytest.raises(CheckpointError, match="pickle"):
        load_latest(tmp_path)
    (tmp_path / "last.json").unlink()
    with pytest.raises(CheckpointError, match="pickle"):
        load_latest(tmp_path)
    renamed = tmp_path / "epoch-0001.safetensors"  # a pickle renamed to look safe
    renamed.write_bytes(pickle.dumps({"x": _Boom()}))
    with pytest.raises(CheckpointError, match="unreadable"):
        load_state(renamed)
    assert not (tmp_path / "PWNED").exists()


def test_the_random_states_of_every_cuda_device_are_saved_and_restored(monkeypatch,
                                                                        tmp_path) -> None:
    """CUDA is faked: the states go through a real checkpoint file and come back."""
    import warnings

    import torch

    from socalign.train import loop
    from socalign.train.checkpoint import load_latest, save_checkpoint

    devices = [torch.arange(8, dtype=torch.uint8), torch.arange(8, 16, dtype=torch.uint8)]
    restored: list = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: list(devices))
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: restored.append(states))
    save_checkpoint(tmp_path, 0, {"epoch": 0, **loop.rng_state()})
    _, state = load_latest(tmp_path)
    cpu_before = torch.get_rng_state()
    torch.rand(3)  # move the CPU generator on
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loop.restore_rng(state)
    assert torch.equal(torch.get_rng_state(), cpu_before)
    assert len(restored) == 1 and all(torch.equal(a, b) for a, b in zip(restored[0], devices,
                                                                        strict=True))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.warns(UserWarning, match="2 CUDA device.*1 are visible"):
        loop.restore_rng(state)
    assert len(restored) == 1
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loop.restore_rng({"torch_rng": cpu_before})  # a checkpoint from before CUDA states: fine
    assert loop.rng_state()["cuda_rng"] == []
