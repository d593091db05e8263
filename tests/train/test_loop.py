"""The shared training loop: determinism, forward-pass counts, early stop, NaN stop, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from socalign.train.checkpoint import load_state  # noqa: E402
from socalign.train.loop import TrainingDiverged  # noqa: E402
from tests.helpers.training import (  # noqa: E402  # noqa: E402  # noqa: E402
    loop_config,
    loss_trace,
    run_loop,
)

TESTS = Path(__file__).resolve().parents[2]  # the repository, from which tests.helpers imports








@pytest.mark.parametrize("trainer", ["fast", "paper"])
def test_same_seed_same_run(tmp_path, trainer) -> None:
    torch.set_num_threads(1)
    a, _, _ = run_loop(tmp_path / "a", loop_config(trainer=trainer))
    b, _, _ = run_loop(tmp_path / "b", loop_config(trainer=trainer))
    assert loss_trace(a) == loss_trace(b)
    c, _, _ = run_loop(tmp_path / "c", loop_config(trainer=trainer, seed=1))
    assert loss_trace(a) != loss_trace(c)
    assert (tmp_path / "a" / "metrics.csv").read_text().count("\n") == 4  # header + 3 epochs


def test_the_loop_draws_from_the_runs_named_streams(tmp_path, monkeypatch) -> None:
    """Each epoch's trainer gets the run's ("epoch", e) stream, dropout the ("dropout") one."""
    import socalign.train.loop as loop
    from socalign.metrics.resampling import stream

    torch.set_num_threads(1)
    real = loop.get_trainer("fast")
    seen = []

    def spy(ctx, epoch, rng):
        seen.append((epoch, rng.bit_generator.state["state"], torch.initial_seed()))
        return real(ctx, epoch, rng)

    monkeypatch.setattr(loop, "get_trainer", lambda name: spy)
    run_loop(tmp_path / "a", loop_config(epochs=2, seed=5))
    dropout = int(stream(5, "dropout").integers(2**63))
    assert seen == [(e, stream(5, "epoch", e).bit_generator.state["state"], dropout)
                    for e in range(2)]


def test_forward_pass_counts(tmp_path) -> None:
    torch.set_num_threads(1)
    fast, _, data = run_loop(tmp_path / "f", loop_config(epochs=2, max_steps_per_epoch=None))
    n_fit = len(data.fit_videos)
    assert fast.forward_train == n_fit + 2 * n_fit  # one bank fill, then each video once an epoch
    assert fast.forward_val == 2 * len(data.val_videos)
    paper, _, _ = run_loop(tmp_path / "p", loop_config(trainer="paper", epochs=1, max_steps_per_epoch=5))
    # 5 triplet steps of 4 triplets (up to 12 unique videos) and 2 RSA steps of 10 videos
    assert 2 * 10 < paper.forward_train <= 5 * 12 + 2 * 10


@pytest.mark.parametrize("kind", ["triplet", "rsa", "budget"])
def test_ablations_train_their_terms(tmp_path, kind) -> None:
    torch.set_num_threads(1)
    result, _, _ = run_loop(tmp_path / kind, loop_config(epochs=1, loss_kind=kind))
    row = result.history[0]
    assert np.isfinite(row["loss"])
    assert np.isfinite(row["triplet"]) == (kind != "rsa")
    assert np.isfinite(row["rsa"]) == (kind == "rsa")
    assert np.isfinite(row["hard"]) == (kind == "budget")


def test_early_stopping_and_best_weights(tmp_path) -> None:
    torch.set_num_threads(1)
    result, model, _ = run_loop(tmp_path, loop_config(epochs=6, lr=1e-12, patience=2))
    assert result.stopped_early and len(result.history) == 3  # no gain after epoch 0
    assert result.best_epoch == 0
    saved = load_state(tmp_path / "best.safetensors")["trainable"]
    now = model.trainable_state()
    assert all(torch.equal(saved[k], now[k]) for k in saved)


def test_nan_loss_stops_naming_where_and_keeps_checkpoint(tmp_path, monkeypatch) -> None:
    import socalign.train.fast as fast

    real = fast.bank_triplet_term

    def poisoned(loss, emb, batch, bank, triplets, odd):
        value = real(loss, emb, batch, bank, triplets, odd)
        return value * float("nan") if poisoned.epoch == 1 else value

    poisoned.epoch = 0

    def hook(epoch, step):
        poisoned.epoch = epoch

    monkeypatch.setattr(fast, "bank_triplet_term", poisoned)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 1.*epoch-0000\.safetensors"):
        run_loop(tmp_path, loop_config(), on_step=hook)
    assert (tmp_path / "checkpoints" / "epoch-0000.safetensors").exists()
    assert not (tmp_path / "checkpoints" / "epoch-0001.safetensors").exists()


def test_resume_refuses_another_configuration(tmp_path) -> None:
    run_loop(tmp_path, loop_config(epochs=1))
    with pytest.raises(ValueError, match="another configuration"):
        run_loop(tmp_path, loop_config(epochs=2, lr=5e-4), resume=True)


SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})  # the repository
import torch
torch.set_num_threads(1)
from pathlib import Path
from tests.helpers.training import loop_config, loss_trace, run_loop  # noqa: E402
out = Path(sys.argv[1])

def hook(epoch, step):
    if epoch == 1 and step == 1:
        (out / "KILL_ME").write_text("mid-epoch")
        time.sleep(600)

run_loop(out, loop_config(), on_step=hook)
"""


def test_resume_after_kill_9_matches_uninterrupted(tmp_path) -> None:
    """A run killed by SIGKILL in the middle of epoch 1 resumes to the same final metrics."""
    torch.set_num_threads(1)
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(SCRIPT.format(tests=str(TESTS))))
    run_dir = tmp_path / "killed"
    run_dir.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(script), str(run_dir)], env=env)
    deadline = time.time() + 120
    try:
        while not (run_dir / "KILL_ME").exists():
            assert proc.poll() is None, "the job ended before reaching the kill point"
            assert time.time() < deadline, "the job never reached the kill point"
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert (run_dir / "checkpoints" / "epoch-0000.safetensors").exists()
    assert not (run_dir / "checkpoints" / "epoch-0001.safetensors").exists()
    resumed, _, _ = run_loop(run_dir, loop_config(), resume=True)
    whole, _, _ = run_loop(tmp_path / "whole", loop_config())
    assert loss_trace(resumed) == loss_trace(whole)  # exact on CPU with one thread
    assert resumed.best_epoch == whole.best_epoch


def test_paper_trainer_resumes_from_an_earlier_epoch(tmp_path) -> None:
    """Pointing last.json back one epoch and resuming replays that epoch identically."""
    import json

    torch.set_num_threads(1)
    config = loop_config(trainer="paper")
    whole, _, _ = run_loop(tmp_path, config)
    pointer = tmp_path / "checkpoints" / "last.json"
    pointer.write_text(json.dumps({"epoch": 1, "file": "epoch-0001.safetensors"}))
    again, _, _ = run_loop(tmp_path, config, resume=True)
    assert loss_trace(again) == loss_trace(whole)
