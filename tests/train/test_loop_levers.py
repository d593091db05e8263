"""Validation every k steps, the clocks, the fast trainer's levers, and the benchmark's measure."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from socalign.train.config import LATER_OPTIONS, TrainConfig  # noqa: E402
from socalign.train.fast import co_occurrence, graph_batches  # noqa: E402
from tests.helpers.training import loop_config, loss_trace, run_loop  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _benchmark():
    spec = importlib.util.spec_from_file_location("finetune_bench", ROOT / "benchmarks" / "finetune.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- configuration


def test_later_options_stay_out_of_the_dict_at_their_defaults() -> None:
    plain = TrainConfig().to_dict()
    assert not set(LATER_OPTIONS) & set(plain)  # cache keys of older runs are unchanged
    changed = TrainConfig(val_every_steps=5, batch_order="graph")
    assert changed.to_dict()["val_every_steps"] == 5 and "bank_refresh" not in changed.to_dict()
    assert TrainConfig.from_dict(changed.to_dict()) == changed
    assert TrainConfig.from_dict(plain) == TrainConfig()


@pytest.mark.parametrize("bad", [{"val_every_steps": 0}, {"bank_refresh": "never"},
                                 {"batch_order": "sorted"}, {"lr_warmup_steps": -1}])
def test_bad_lever_options_are_refused(bad) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        TrainConfig(**bad)


# ---------------------------------------------------------------- validation every k steps


@pytest.mark.parametrize("trainer", ["fast", "paper"])
def test_validating_every_k_steps_leaves_the_training_unchanged(tmp_path, trainer) -> None:
    torch.set_num_threads(1)
    plain, _, _ = run_loop(tmp_path / "a", loop_config(trainer=trainer))
    probed, _, _ = run_loop(tmp_path / "b", loop_config(trainer=trainer, val_every_steps=2))
    assert loss_trace(plain) == loss_trace(probed)  # validation draws no random numbers
    kinds = [v["kind"] for v in probed.validations]
    assert kinds[0] == "start" and kinds.count("epoch") == len(probed.history)
    steps = [v["step"] for v in probed.validations if v["kind"] == "step"]
    assert steps and all(s % 2 == 0 for s in steps)
    assert [v["kind"] for v in plain.validations] == ["epoch"] * len(plain.history)
    assert (tmp_path / "b" / "validations.csv").exists()
    assert probed.best_val_spearman == plain.best_val_spearman  # a measurement, not a selection
    assert probed.best_epoch == plain.best_epoch
    assert probed.forward_val > plain.forward_val


def test_clocks_grow_and_leave_validation_out_of_training_time(tmp_path) -> None:
    torch.set_num_threads(1)
    result, _, _ = run_loop(tmp_path, loop_config(val_every_steps=1))
    rows = result.validations
    for name in ("elapsed_s", "train_s", "train_cpu_s"):
        values = [v[name] for v in rows]
        assert values == sorted(values), name
    assert rows[0]["train_s"] == 0.0 and rows[0]["kind"] == "start"
    last = result.history[-1]
    assert 0 < last["train_s"] < last["elapsed_s"]


def test_the_best_weights_follow_the_epochs_validations_only(tmp_path) -> None:
    torch.set_num_threads(1)
    result, _, _ = run_loop(tmp_path, loop_config(val_every_steps=1, epochs=3, patience=1))
    epochs = [v["val_spearman"] for v in result.validations if v["kind"] == "epoch"]
    assert result.best_val_spearman == max(epochs)
    assert len(epochs) == len(result.history)


def test_resume_keeps_the_validations_and_clocks(tmp_path) -> None:
    import json

    torch.set_num_threads(1)
    config = loop_config(val_every_steps=2)
    whole, _, _ = run_loop(tmp_path, config)
    pointer = tmp_path / "checkpoints" / "last.json"
    pointer.write_text(json.dumps({"epoch": 1, "file": "epoch-0001.safetensors"}))
    again, _, _ = run_loop(tmp_path, config, resume=True)
    assert loss_trace(again) == loss_trace(whole)
    assert [(v["kind"], v["step"]) for v in again.validations] == \
        [(v["kind"], v["step"]) for v in whole.validations]


# ---------------------------------------------------------------- fast-trainer levers


def test_warmup_raises_the_learning_rate_step_by_step(tmp_path) -> None:
    from accelerate import Accelerator

    from socalign.train.trainers import Context, optimizer_step

    model = torch.nn.Linear(3, 1)
    config = TrainConfig(lr=1e-2, lr_warmup_steps=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    ctx = Context(model, None, None, None, config, Accelerator(cpu=True), optimizer, tmp_path)
    seen = []
    for step in range(6):
        optimizer_step(ctx, model(torch.ones(1, 3)).sum(), 0, step)
        seen.append(optimizer.param_groups[0]["lr"])
    assert seen == pytest.approx([2.5e-3, 5e-3, 7.5e-3, 1e-2, 1e-2, 1e-2])
    assert ctx.steps_done == 6


def test_co_occurrence_counts_shared_triplets() -> None:
    counts = co_occurrence(np.array([[0, 1, 2], [0, 1, 3]]), 4)
    assert counts[0, 1] == counts[1, 0] == 2 and counts[2, 3] == 0 and counts[0, 0] == 0


def test_graph_batches_follow_the_triplet_graph() -> None:
    # two groups of 4 videos whose triplets stay within the group
    rng = np.random.default_rng(0)
    groups = [np.array([0, 2, 4, 6]), np.array([1, 3, 5, 7])]
    triplets = np.array([rng.choice(g, 3, replace=False) for g in groups for _ in range(30)])
    batches = graph_batches(np.arange(8), co_occurrence(triplets, 8), 4, 2, rng)
    assert sorted(np.concatenate(batches).tolist()) == list(range(8))
    assert sorted(sorted(b.tolist()) for b in batches) == [g.tolist() for g in groups]


def test_graph_batches_cover_every_video_once() -> None:
    rng = np.random.default_rng(1)
    triplets = np.stack([rng.choice(30, 3, replace=False) for _ in range(200)])
    batches = graph_batches(np.arange(30), co_occurrence(triplets, 30), 8, 3, rng)
    assert sorted(np.concatenate(batches).tolist()) == list(range(30))
    assert [len(b) for b in batches] == [8, 8, 8, 6]


def test_graph_batches_and_bank_refresh_train(tmp_path) -> None:
    torch.set_num_threads(1)
    plain, _, data = run_loop(tmp_path / "a", loop_config(epochs=2, max_steps_per_epoch=None))
    graph, _, _ = run_loop(tmp_path / "g", loop_config(epochs=2, max_steps_per_epoch=None,
                                               batch_order="graph"))
    assert loss_trace(graph) != loss_trace(plain)
    assert graph.forward_train == plain.forward_train
    fresh, _, _ = run_loop(tmp_path / "e", loop_config(epochs=2, max_steps_per_epoch=None,
                                               bank_refresh="epoch"))
    assert fresh.forward_train == plain.forward_train + len(data.fit_videos)  # one more fill
    assert all(math.isfinite(row["loss"]) for row in fresh.history + graph.history)


# ---------------------------------------------------------------- the benchmark's measure


def _validations(scores, times):
    kinds = ["start"] + ["step"] * (len(scores) - 1)
    return [{"kind": k, "val_spearman": s, "step": i, "forward_train": 10 * i,
             "elapsed_s": t + 1, "train_s": t, "train_cpu_s": t}
            for i, (k, s, t) in enumerate(zip(kinds, scores, times, strict=True))]


def test_time_to_target_is_the_first_validation_at_or_above_it() -> None:
    bench = _benchmark()
    rows = _validations([0.1, 0.2, 0.15, 0.3], [0.0, 1.0, 2.0, 3.0])
    hit = bench.time_to_target(rows, 0.15)
    assert hit["reached"] and hit["train_s"] == 1.0 and hit["forward_train"] == 10
    assert not bench.time_to_target(rows, 0.31)["reached"]
    assert math.isnan(bench.time_to_target(rows, 0.31)["train_s"])
    assert bench.time_to_target(rows, 0.05)["at_start"]


def _report(scores, times, r2=0.05):
    best = max(scores[1:])
    return {"training": {"validations": _validations(scores, times), "best_val_spearman": best,
                         "epochs": [{"train_s": times[-1]}], "forward_train": 100,
                         "elapsed_s": times[-1] + 1},
            "before": {"r2": 0.0}, "after": {"r2": r2, "ooo_accuracy": {"argmax": 0.5,
                                                                         "pair": 0.6}}}


def _verdict(fast_scores):
    bench = _benchmark()
    targets, metrics = [], []
    for seed in range(3):
        reports = {"paper": _report([0.1, 0.15, 0.2], [0.0, 5.0, 10.0]),
                   "fast": _report(fast_scores, [0.0, 1.0, 2.0])}
        targets += bench.target_rows(reports, seed)
        metrics += [bench.run_metrics(n, seed, r) for n, r in reports.items()]
    return bench.floor_verdict(pd.DataFrame(targets), pd.DataFrame(metrics))


def test_the_floor_passes_only_when_fast_reaches_the_paper_best_in_a_fifth() -> None:
    fast = _verdict([0.1, 0.25, 0.2])  # reaches 0.2 after 1 s against 10 s
    assert fast.get("ratio_train_s") == pytest.approx(0.1) and fast["pass"]
    slow = _verdict([0.1, 0.12, 0.2])  # reaches it after 2 s: ratio 0.2 (the floor itself)
    assert slow["ratio_train_s"] == pytest.approx(0.2) and slow["floor_time"]
    never = _verdict([0.1, 0.12, 0.19])  # never reached: counted, not dropped
    assert math.isinf(never["ratio_train_s"]) and not never["pass"]
    assert never["fast_reached"] == "0/3"


def test_gpu_script_runs_tiny_on_the_cpu(tmp_path, capsys) -> None:
    import json
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import gpu_finetune
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    torch.set_num_threads(1)
    args = ["--tiny", "--steps", "2", "--batch", "4", "--videos", "30", "--trials", "800",
            "--time-to-target", "--epochs", "1", "--val-every", "1", "--tmp", str(tmp_path)]
    assert gpu_finetune.main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert [t["trainer"] for t in result["trainers"]] == ["paper", "fast"]
    assert result["physical_estimate"]["videos_per_s_at_peak"] > 0
    ttt = result["time_to_target"]
    assert ttt["paper"]["to_target"]["reached"]  # its own best is reached by definition
    base = gpu_finetune.model_config(False, 8, 224)
    assert 0.3e12 < gpu_finetune.forward_flops(base) < 0.7e12  # ≈0.4 TFLOP at 8 x 224²


def test_gpu_embed_script_runs_tiny_on_the_cpu_at_the_papers_16_frames() -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_embed.py"), "--tiny",
                           "--clips", "6", "--batch-size", "3", "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["frames"] == 16 and report["clips"] == 6 and report["finite"]
    assert report["device"] == "cpu (smoke test)"


def test_the_lr_mode_chooses_each_trainers_rate_on_validation_not_on_test(monkeypatch) -> None:
    """A fake runner: the rate with the highest best validation wins even where another rate
    has the higher held-out R²."""
    import argparse

    bench = _benchmark()
    best_val = {("paper", 1e-3): 0.30, ("paper", 2e-3): 0.20, ("paper", 4e-3): 0.10,
                ("fast", 1e-3): 0.10, ("fast", 2e-3): 0.20, ("fast", 4e-3): 0.30}

    class FakeRunner:
        def run(self, dataset, key, name, config, seed, threads=None):
            val = best_val[(name, config.lr)]
            r2 = 0.5 - val  # test R² runs the other way: it must not decide
            return _report([0.0, val - 0.01 * seed, val], [0.0, 1.0, 2.0], r2=r2)

    monkeypatch.setattr(bench, "_dataset", lambda n, dataset=None: "fake")
    args = argparse.Namespace(seeds=[0, 1, 2], dataset=None, epochs=None, lr=None, val_every=5)
    result = bench.lrs_mode(FakeRunner(), args)
    assert result["chosen"] == {"paper": 1e-3, "fast": 4e-3}
    assert result["profile"] == {"paper": 1e-3, "fast": 4e-3}  # the demo profile's rates
    table = result["table"]
    assert len(table) == 6 and (table["chosen"] != "").sum() == 2
