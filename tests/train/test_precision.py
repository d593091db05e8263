"""Mixed precision: resolving ``auto`` per device, the accelerator, bf16 training on the CPU
against fp32, resume, and fp16's loss scaler saved without pickle."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch

from socalign.train.checkpoint import CheckpointError, load_state, save_checkpoint
from socalign.train.config import TrainConfig
from socalign.train.precision import (
    PRECISIONS,
    PrecisionError,
    accelerator_precision,
    autocast_dtype,
    make_accelerator,
    resolve_precision,
    restore_scaler,
    scaler_state,
    with_accelerator_precision,
)
from tests.helpers.training import loop_config, run_loop

#: bf16 autocast against fp32 on the CPU: each epoch's mean loss within this (absolute; the
#: losses are about 0.1; measured differences were at most 0.0014 on this toy problem)
BF16_LOSS_TOLERANCE = 0.02


@pytest.mark.parametrize(("device", "bf16"), list(itertools.product(
    ("cpu", "cuda", "cuda:1", "mps"), (True, False))))
def test_resolve_precision_follows_the_rules_on_every_device(monkeypatch, device, bf16):
    import socalign.train.precision as precision

    monkeypatch.setattr(precision, "bf16_supported",
                        lambda d: bf16 if str(d).startswith("cuda") else str(d) == "cpu")
    on_cuda = device.startswith("cuda")
    for requested in PRECISIONS:
        try:
            got = resolve_precision(requested, device)
        except PrecisionError as err:
            assert "--precision" in str(err)
            assert requested in ("bf16", "fp16")
            assert (requested == "fp16" and not on_cuda) or (requested == "bf16" and not (
                bf16 if on_cuda else device == "cpu"))
            continue
        assert got in ("bf16", "fp16", "fp32")
        if requested != "auto":
            assert got == requested
        elif on_cuda:
            assert got == ("bf16" if bf16 else "fp16")  # a T4: fp16 with loss scaling
        else:
            assert got == "fp32"  # the CPU (and mps): fp32 unless asked


def test_unknown_precision_is_refused_naming_the_option():
    with pytest.raises(PrecisionError, match="--precision must be one of"):
        resolve_precision("fp8", "cpu")
    with pytest.raises(ValueError, match="precision must be one of"):
        TrainConfig(precision="half")


def test_fp32_is_left_out_of_the_recorded_settings_and_others_are_kept():
    assert "precision" not in TrainConfig().to_dict()  # fingerprints of earlier runs hold
    assert TrainConfig(precision="bf16").to_dict()["precision"] == "bf16"
    assert TrainConfig.from_dict(TrainConfig(precision="fp16").to_dict()).precision == "fp16"
    assert TrainConfig().fingerprint() != TrainConfig(precision="bf16").fingerprint()


def test_accelerator_runs_the_asked_precision_and_switches_in_one_process():
    bf16 = make_accelerator("bf16", cpu=True)
    assert bf16.mixed_precision == "bf16" and accelerator_precision(bf16) == "bf16"
    assert autocast_dtype("bf16") is torch.bfloat16 and autocast_dtype("fp32") is None
    with bf16.autocast():
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
        assert torch.is_autocast_enabled("cpu")
    fp32 = make_accelerator("auto", cpu=True)
    assert fp32.mixed_precision == "no" and accelerator_precision(fp32) == "fp32"
    config = TrainConfig(precision="auto")
    assert with_accelerator_precision(config, fp32).precision == "fp32"
    with pytest.raises(PrecisionError, match="make them agree"):
        with_accelerator_precision(TrainConfig(precision="bf16"), fp32)
    with pytest.raises(PrecisionError, match="needs a CUDA device"):
        make_accelerator("fp16", cpu=True)


def test_bf16_training_follows_fp32_within_the_tolerance_and_resumes(tmp_path):
    runs = {}
    for precision in ("fp32", "bf16"):
        config = loop_config(epochs=2, max_steps_per_epoch=3, precision=precision)
        result, _model, _ = run_loop(tmp_path / precision, config)
        runs[precision] = [row["loss"] for row in result.history]
        state = load_state(tmp_path / precision / "checkpoints" / "epoch-0001.safetensors")
        assert json.loads(state["config"]).get("precision") == (
            None if precision == "fp32" else precision)
        assert "scaler" not in state  # only fp16 scales its loss
    gaps = [abs(a - b) for a, b in zip(runs["fp32"], runs["bf16"], strict=True)]
    assert all(math.isfinite(v) for v in runs["bf16"])
    assert max(gaps) <= BF16_LOSS_TOLERANCE, (runs, gaps)
    assert max(gaps) > 0, "bf16 gave fp32's losses bit for bit: autocast did not run"
    # resume keeps working under bf16 (the run is complete: the same history comes back) ...
    again, _model, _ = run_loop(tmp_path / "bf16",
                                loop_config(epochs=2, max_steps_per_epoch=3, precision="bf16"),
                                resume=True)
    assert [row["loss"] for row in again.history] == runs["bf16"]
    # ... and refuses another precision, as any other change of settings
    with pytest.raises(ValueError, match="another configuration"):
        run_loop(tmp_path / "bf16", loop_config(epochs=2, max_steps_per_epoch=3,
                                                precision="fp32"), resume=True)


def test_resuming_a_run_folder_with_another_precision_names_it(tmp_path):
    from socalign.train.run import check_same_run

    before = TrainConfig(precision="bf16")
    marker = {"train": json.loads(json.dumps(before.to_dict())), "backbone": "toy"}
    with pytest.raises(ValueError, match=r"precision: 'bf16' there, None now"):
        check_same_run(tmp_path, marker, TrainConfig(), "toy")
    check_same_run(tmp_path, marker, before, "toy")  # the same precision resumes


class _Scaled:
    """What :func:`scaler_state` reads of an accelerator: its ``scaler``."""

    def __init__(self, scaler):
        self.scaler = scaler


def _stepped_scaler() -> torch.amp.GradScaler:
    """A CPU GradScaler after a skipped step (inf gradient: backed off) and a good one."""
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3)
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    for value in (float("inf"), 1.0):
        optimizer.zero_grad()
        scaler.scale((weight * value).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
    return scaler


def test_the_loss_scaler_round_trips_through_a_checkpoint_without_pickle(tmp_path):
    scaler = _stepped_scaler()
    saved = scaler_state(_Scaled(scaler))
    assert saved is not None and saved["scale"] == 2.0**9  # backed off once
    assert saved["_growth_tracker"] == 1
    path = save_checkpoint(tmp_path, 0, {"scaler": saved})
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:  # the state is JSON in the header
        assert '"scale"' in handle.metadata()["socalign_state"]
    fresh = torch.amp.GradScaler("cpu")
    restore_scaler(_Scaled(fresh), load_state(path)["scaler"], path)
    assert fresh.state_dict() == scaler.state_dict()


def test_a_scaler_missing_or_unexpected_on_resume_is_refused(tmp_path):
    scaled = _Scaled(_stepped_scaler())
    with pytest.raises(CheckpointError, match="state.scaler' is missing"):
        restore_scaler(scaled, None, tmp_path / "x")
    with pytest.raises(CheckpointError, match="does not scale"):
        restore_scaler(_Scaled(None), scaler_state(scaled), tmp_path / "x")
    with pytest.raises(CheckpointError, match="must be a number"):
        restore_scaler(scaled, {**scaler_state(scaled), "scale": "big"}, tmp_path / "x")
    restore_scaler(_Scaled(None), None, tmp_path / "x")  # fp32 and bf16: nothing to restore
    assert scaler_state(_Scaled(None)) is None
