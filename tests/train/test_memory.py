"""The memory model and the batch planner: counts against the real modules, the planner's
promise (the largest batch that fits), and refusals that name what to change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.train.config import TrainConfig
from socalign.train.memory import (
    USABLE_SHARE,
    BackboneShape,
    MemoryPlanError,
    check_fits,
    plan_batch,
    plan_config,
    recorded_batch,
    shape_of,
    step_memory,
    videos_per_step,
)

GIB = 2**30
#: The paper's model: the k400 TimeSformer fed 16 frames, LoRA r 8 on its four targets.
PAPER = BackboneShape(12, 768, 12, 3072, 16, 224, 16, "divided", 1, 8,
                      ((768, 2304), (768, 2304), (768, 768), (768, 3072), (768, 768)), 128, 8)

shapes = st.builds(
    BackboneShape,
    layers=st.integers(1, 24), hidden=st.sampled_from([32, 64, 384, 768, 1024]),
    heads=st.sampled_from([1, 2, 4, 12, 16]), intermediate=st.sampled_from([64, 1536, 3072]),
    patch=st.sampled_from([8, 16, 32]), image=st.sampled_from([32, 64, 224, 256]),
    frames=st.integers(1, 32), attention=st.sampled_from(["divided", "joint", "frames"]),
    tubelet=st.sampled_from([1, 2]),
)
precisions = st.sampled_from(["fp32", "bf16", "fp16"])


def test_counts_match_the_real_one_layer_timesformer_with_the_papers_lora():
    import torch

    from socalign.models.video import random_backbone
    from socalign.train.model import LoraSettings, build_model, count_trainable

    module, spec = random_backbone("facebook/timesformer-base-finetuned-k400", n_layers=1,
                                   n_frames=16)
    shape = shape_of(module.config, spec)
    assert (shape.frames, shape.stored_frames, shape.image, shape.hidden) == (16, 8, 224, 768)
    assert shape.backbone_params == sum(p.numel() for p in module.parameters())
    model = build_model(module, 768, LoraSettings(targets=tuple(spec.lora_targets)),
                        generator=torch.Generator().manual_seed(0))
    assert shape.trainable_params == count_trainable(model)[0]
    # the paper's numbers: r 8 on qkv (time and space), the spatial output dense, the MLP's
    # intermediate dense and the temporal dense, per block; then a 768 -> 128 head
    per_block = 8 * (2 * (768 + 2304) + (768 + 768) + (768 + 3072) + (768 + 768))
    assert shape.trainable_params == per_block + 768 * 128 + 128 + 2 * 128
    assert replace(shape, layers=12).trainable_params == 12 * per_block + 98_688


@settings(max_examples=60, deadline=None)
@given(shapes, precisions, st.booleans(), st.integers(1, 64))
def test_memory_grows_with_the_batch_and_frames(shape, precision, ckpt, batch):
    one = step_memory(shape, batch, precision, ckpt)
    more = step_memory(shape, batch + 1, precision, ckpt)
    assert more["total"] > one["total"] and more["weights"] == one["weights"]
    longer = step_memory(replace(shape, frames=shape.frames * 2 * shape.tubelet), batch,
                         precision, ckpt)
    assert longer["activations"] > one["activations"]
    assert one["total"] == sum(one[k] for k in ("weights", "optimizer", "inputs", "overhead",
                                                "activations"))
    if precision != "fp32":
        assert one["activations"] <= step_memory(shape, batch, "fp32", ckpt)["activations"]


@settings(max_examples=60, deadline=None)
@given(shapes, precisions, st.booleans(), st.integers(1, 64), st.floats(0.01, 200.0))
def test_the_plan_is_the_largest_batch_that_fits(shape, precision, ckpt, most, free_gib):
    free = int(free_gib * GIB)
    planned = plan_batch(shape, precision, ckpt, free, most)
    assert 0 <= planned <= most
    budget = USABLE_SHARE * free
    if planned:
        assert step_memory(shape, planned, precision, ckpt)["total"] <= budget
        check_fits(shape, planned, precision, ckpt, free)  # no refusal of a planned batch
    if planned < most:
        assert step_memory(shape, planned + 1, precision, ckpt)["total"] > budget
        with pytest.raises(MemoryPlanError, match="does not fit"):
            check_fits(shape, planned + 1, precision, ckpt, free)


def test_checkpointing_keeps_less_for_a_deep_model():
    off = step_memory(PAPER, 4, "bf16", False)["activations"]
    on = step_memory(PAPER, 4, "bf16", True)["activations"]
    assert on < off / 2


def test_a_step_that_cannot_fit_names_what_to_change():
    need = step_memory(PAPER, 12, "fp32", False)["total"]
    free = int(need / USABLE_SHARE * 0.6)
    with pytest.raises(MemoryPlanError) as err:
        check_fits(PAPER, 12, "fp32", False, free, "a training step")
    message = str(err.value)
    assert message.startswith("a training step does not fit")
    assert "12 video(s) of 16 frames at 224px, fp32, checkpointing off" in message
    for hint in ("a batch of ", "--batch auto", "--frames 8", "activation checkpointing"):
        assert hint in message, hint
    fits = plan_batch(PAPER, "fp32", False, free, 12)
    assert f"a batch of {fits} (--batch {fits}" in message and 1 <= fits < 12
    tiny = int(step_memory(PAPER, 1, "bf16", True)["weights"] * 0.5)
    with pytest.raises(MemoryPlanError, match="use a device with more memory"):
        check_fits(PAPER, 1, "bf16", True, tiny)


@pytest.mark.parametrize("trainer", ["fast", "paper"])
def test_auto_lowers_the_trainers_batch_to_what_fits_and_fixed_refuses(trainer):
    config = TrainConfig(trainer=trainer, batch="auto", precision="bf16")
    wanted = videos_per_step(config)
    assert wanted == (16 if trainer == "fast" else 12)
    roomy = int(step_memory(PAPER, wanted, "bf16", True)["total"] / USABLE_SHARE) + 1
    assert plan_config(config, PAPER, "cpu", True, free=roomy) == config  # it fits: unchanged
    tight = int(step_memory(PAPER, 7, "bf16", True)["total"] / USABLE_SHARE) + 1
    planned = plan_config(config, PAPER, "cpu", True, free=tight)
    if trainer == "fast":
        assert planned.batch_videos == 7
    else:
        assert (planned.triplets_per_step, planned.rsa_grad_videos) == (2, 6)
    assert videos_per_step(planned) <= 7
    with pytest.raises(MemoryPlanError, match="a training step does not fit"):
        plan_config(replace(config, batch="fixed"), PAPER, "cpu", True, free=tight)
    with pytest.raises(MemoryPlanError, match=f"the smallest {trainer}-trainer step"):
        plan_config(config, PAPER, "cpu", True, free=GIB // 4)


def test_a_resume_keeps_the_batch_the_run_planned(tmp_path):
    import json

    planned = TrainConfig(batch="auto", batch_videos=6)
    (tmp_path / "config.json").write_text(json.dumps(
        {"backbone": "toy", "train": planned.to_dict()}))
    assert recorded_batch(TrainConfig(batch="auto"), tmp_path).batch_videos == 6
    assert recorded_batch(TrainConfig(), tmp_path) == TrainConfig()  # fixed: as asked
    assert recorded_batch(TrainConfig(batch="auto"), tmp_path / "none") == TrainConfig(batch="auto")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux only")
def test_the_step_peak_forgets_what_came_before_the_step() -> None:
    import numpy as np

    from socalign.train.memory import _peak_rss, _reset_peak_rss

    before = np.ones(300_000_000 // 8)  # 300 MB touched, then freed: an earlier, higher peak
    del before
    high = _peak_rss()
    assert _reset_peak_rss()
    low = _peak_rss()
    assert low < high - 200_000_000
