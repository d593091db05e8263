"""Fine-tuning benchmark on SocialWorld with the toy backbone (the ``demo`` profile).

Modes (``--mode``; ``all`` runs the first three):

* ``trainers``: time to a common target (MLPerf's time-to-quality). Per seed, the target is
  the paper trainer's best validation Spearman in that seed (second row: 90 % of it); for each
  trainer the table gives the time and the video forward passes to the FIRST validation at or
  above it, then mean ± sd over seeds, and the final held-out R² and OOO accuracy. A run that
  never reaches the target is counted as not reached (its time is infinite in the ratio), never
  dropped. Both trainers run the demo profile's settings with validation every
  ``--val-every`` optimizer steps (validation draws no random numbers, so the training is the
  same as with one validation an epoch; only the resolution of "first reached" is finer).
  Floor: mean fast time to the paper's best <= 1/5 of the mean paper time to it (3 seeds), with
  final held-out R² not lower beyond the seed spread; the measured ratio is printed beside the
  floor with PASS/FAIL. The floor's clock is the wall time inside the training steps
  (validations and checkpoints left out: they are measurement and bookkeeping, and their count
  differs between the trainers); the total wall time and the CPU time of the steps (what other
  processes on the machine barely change) are printed beside it.
* ``levers``: each lever of the fast trainer against its own base run, same seeds, same paper
  targets: validation resolution, bank refresh, graph-sampled batches, learning-rate warmup and
  size, torch threads (full runs); clips kept in memory as one tensor, torch.compile and the
  frozen prefix (timed steps).
* ``scale``: ``--videos 250 500 1000``: wall time per epoch and time to target for both
  trainers as the benchmark grows (SocialWorld as dense in trials per video pair as the demo;
  ``--scale-seeds`` per size).
* ``ablations``: hybrid, triplet-only, RSA-only and budget-matched triplet: held-out R² and OOO
  accuracy before -> after (``--trainer`` picks the trainer).
* ``lrs``: each trainer at 1e-3, 2e-3 and 4e-3: best validation Spearman, time to it and final
  held-out R²; the rate with the highest best validation is the trainer's rate (the demo
  profile's per-trainer rates are checked against it).

The two trainers of one seed run one after the other in this process, in alternating order
from seed to seed, so that contention from other processes falls on both; the load average is
printed. Runs go to a fresh temporary folder unless ``--out DIR`` is given (then a finished run
there is read back instead of trained again).

Usage: ``python benchmarks/finetune.py [--mode trainers|levers|scale|ablations|all]
[--seeds 0 1 2] [--videos N ...] [--val-every K] [--out DIR] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FLOOR = 0.2
"""Fast time to the paper's best over paper time to it, mean over seeds, at most."""
TARGET_SHARES = (1.0, 0.9)
CLOCKS = {"train_s": "training wall", "train_cpu_s": "training CPU", "elapsed_s": "total wall"}
FLOOR_CLOCK = "train_s"
DEMO_VIDEOS = 250


# ---------------------------------------------------------------- measurement (pure functions)


def time_to_target(validations: Sequence[dict[str, Any]], target: float) -> dict[str, Any]:
    """The first validation at or above ``target``: its clocks, steps and forward passes.

    Parameters
    ----------
    validations : sequence of dict
        A run's validations in order (``report["training"]["validations"]``: ``kind``,
        ``val_spearman``, ``step``, ``forward_train`` and the clocks of :data:`CLOCKS`).
    target : float
        The validation Spearman to reach.

    Returns
    -------
    dict
        ``reached`` (bool), ``at_start`` (reached before any training), ``step``,
        ``forward_train`` and one entry per clock; NaN for all of them when never reached.
    """
    for row in validations:
        score = row.get("val_spearman")
        if score is not None and math.isfinite(score) and score >= target:
            return {"reached": True, "at_start": row.get("kind") == "start",
                    "step": int(row["step"]), "forward_train": int(row["forward_train"]),
                    **{clock: float(row[clock]) for clock in CLOCKS}}
    return {"reached": False, "at_start": False, "step": math.nan, "forward_train": math.nan,
            **{clock: math.nan for clock in CLOCKS}}


def start_score(validations: Sequence[dict[str, Any]]) -> float:
    """The validation score before training (NaN when the run did not validate then)."""
    for row in validations:
        if row.get("kind") == "start":
            return float(row["val_spearman"])
    return math.nan


def target_rows(reports: dict[str, dict[str, Any]], seed: int,
                shares: Sequence[float] = TARGET_SHARES) -> list[dict[str, Any]]:
    """Time to target of every trainer in one seed, the target a share of the paper's best.

    Parameters
    ----------
    reports : dict
        ``{"paper": report, "fast": report, ...}`` (``report.json`` of each run).
    seed : int
        The seed (copied into the rows).
    shares : sequence of float
        The target as shares of the paper trainer's best validation Spearman.

    Returns
    -------
    list of dict
        One row per (share, trainer).
    """
    best = float(reports["paper"]["training"]["best_val_spearman"])
    rows = []
    for share in shares:
        target = share * best
        for name, report in reports.items():
            hit = time_to_target(report["training"]["validations"], target)
            rows.append({"seed": seed, "share": share, "target": target, "trainer": name,
                         "start_val": start_score(report["training"]["validations"]), **hit})
    return rows


def run_metrics(name: str, seed: int, report: dict[str, Any]) -> dict[str, Any]:
    """Final held-out metrics and costs of one run (one row)."""
    training = report["training"]
    epochs = training["epochs"]
    last = epochs[-1] if epochs else {}
    return {
        "trainer": name, "seed": seed,
        "best_val_spearman": training["best_val_spearman"],
        "epochs_run": len(epochs),
        "forward_train": training["forward_train"],
        "train_s_total": last.get("train_s", math.nan),
        "train_s_per_epoch": last.get("train_s", math.nan) / max(1, len(epochs)),
        "elapsed_s_total": training["elapsed_s"],
        "r2_before": report["before"]["r2"], "r2_after": report["after"]["r2"],
        "ooo_argmax_after": report["after"]["ooo_accuracy"]["argmax"],
        "ooo_pair_after": report["after"]["ooo_accuracy"]["pair"],
    }


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    if np.isinf(arr).any():
        return math.inf, math.nan
    mean = float(np.mean(arr)) if len(arr) else math.nan
    sd = float(np.std(arr, ddof=1)) if len(arr) > 1 else math.nan
    return mean, sd


def floor_verdict(targets: pd.DataFrame, metrics: pd.DataFrame,
                  clock: str = FLOOR_CLOCK) -> dict[str, Any]:
    """The floor: fast reaches the paper's best in <= 1/5 of the paper's time, R² not lower.

    A seed where a trainer never reaches the target counts with an infinite time (so the ratio
    is infinite and the floor fails), never dropped.

    Parameters
    ----------
    targets : pandas.DataFrame
        Rows of :func:`target_rows` (all seeds).
    metrics : pandas.DataFrame
        Rows of :func:`run_metrics` (all seeds, both trainers).
    clock : str
        The clock of the floor (one of :data:`CLOCKS`).

    Returns
    -------
    dict
        The ratio on each clock, the R² gap and spread, and ``pass``.
    """
    full = targets[targets["share"] == 1.0]
    out: dict[str, Any] = {"floor": f"fast/paper time to the paper's best <= {FLOOR}",
                           "clock": clock}
    for name in CLOCKS:
        times = {}
        for trainer in ("paper", "fast"):
            rows = full[full["trainer"] == trainer]
            values = np.where(rows["reached"], rows[name], np.inf)
            times[trainer] = _mean_sd(values)
        ratio = times["fast"][0] / times["paper"][0] if times["paper"][0] > 0 else math.nan
        out[f"ratio_{name}"] = float(ratio)
        per_seed = []
        for seed in sorted(full["seed"].unique()):
            paper = full[(full["seed"] == seed) & (full["trainer"] == "paper")].iloc[0]
            fast = full[(full["seed"] == seed) & (full["trainer"] == "fast")].iloc[0]
            per_seed.append(fast[name] / paper[name] if fast["reached"] else math.inf)
        out[f"ratio_per_seed_{name}"] = [float(r) for r in per_seed]
    fast_rows = full[full["trainer"] == "fast"]
    out["fast_reached"] = f"{int(fast_rows['reached'].sum())}/{len(fast_rows)}"
    r2 = {t: _mean_sd(metrics.loc[metrics["trainer"] == t, "r2_after"]) for t in ("paper", "fast")}
    spread = max(r2["paper"][1], r2["fast"][1])
    gap = r2["fast"][0] - r2["paper"][0]
    out.update({
        "r2_after_fast_minus_paper": float(gap), "r2_seed_spread": float(spread),
        "floor_time": bool(out[f"ratio_{clock}"] <= FLOOR),
        "floor_r2": bool(gap >= -spread) if math.isfinite(spread) else bool(gap >= 0),
        # the target must lie above where the paper trainer started, or "reaching" it is free
        "paper_learnt": bool((full.loc[full["trainer"] == "paper", "start_val"]
                              < full.loc[full["trainer"] == "paper", "target"]).all()),
    })
    out["pass"] = bool(out["floor_time"] and out["floor_r2"] and out["paper_learnt"])
    return out


def _fmt(mean: float, sd: float, digits: int) -> str:
    if math.isinf(mean):
        return "not reached"
    if math.isnan(sd):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def target_table(targets: pd.DataFrame) -> pd.DataFrame:
    """Per seed and mean ± sd: time (three clocks) and forward passes to each target."""
    rows = []
    for (share, trainer), group in targets.groupby(["share", "trainer"], sort=False):
        for _, r in group.iterrows():
            rows.append({"target": f"{share:.0%} of paper best", "trainer": trainer,
                         "seed": str(r["seed"]), "target val": f"{r['target']:.3f}",
                         "start val": f"{r['start_val']:.3f}",
                         **{f"{label} (s)": (f"{r[c]:.1f}" if r["reached"] else "not reached")
                            for c, label in CLOCKS.items()},
                         "forward passes": (f"{r['forward_train']:.0f}" if r["reached"]
                                            else "not reached")})
        row = {"target": f"{share:.0%} of paper best", "trainer": trainer, "seed": "mean ± sd",
               "target val": f"{group['target'].mean():.3f}",
               "start val": f"{group['start_val'].mean():.3f}"}
        for c, label in CLOCKS.items():
            row[f"{label} (s)"] = _fmt(*_mean_sd(np.where(group["reached"], group[c], np.inf)), 1)
        row["forward passes"] = _fmt(*_mean_sd(np.where(group["reached"], group["forward_train"],
                                                         np.inf)), 0)
        row["reached"] = f"{int(group['reached'].sum())}/{len(group)}"
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def metrics_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Final held-out R² and OOO accuracy, best validation and costs: mean ± sd per trainer."""
    rows = []
    for trainer, group in metrics.groupby("trainer", sort=False):
        row = {"trainer": trainer, "seeds": len(group)}
        for col, digits in (("best_val_spearman", 3), ("r2_before", 4), ("r2_after", 4),
                            ("ooo_argmax_after", 3), ("ooo_pair_after", 3), ("epochs_run", 1),
                            ("forward_train", 0), ("train_s_per_epoch", 2)):
            row[col] = _fmt(*_mean_sd(group[col]), digits)
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- running


def _dataset(n_videos: int | None, dataset: str | None = None) -> str:
    """The demo SocialWorld, or one of ``n_videos`` as dense in trials per pair (cached)."""
    if dataset:
        return dataset
    from dataclasses import replace

    from socalign.book.artifacts import socialworld_benchmark
    from socalign.profiles import profile_settings

    settings = profile_settings("demo")
    if n_videos and n_videos != settings.socialworld["n_videos"]:
        # synthesize's default participants keep the demo's trials per video pair
        settings = replace(settings, socialworld={**settings.socialworld, "n_videos": n_videos})
    return str(socialworld_benchmark(settings))


def _backbone(backbone: str | None) -> str:
    if backbone:
        return backbone
    from socalign.book.artifacts import video_model
    from socalign.profiles import profile_settings

    return video_model(profile_settings("demo"))


def trainer_configs(args: argparse.Namespace) -> dict[str, Any]:
    """The demo profile's configuration for each trainer (hybrid loss), validated every k."""
    from socalign.profiles import profile_config

    changes: dict[str, Any] = {"loss_kind": "hybrid", "val_every_steps": args.val_every}
    if args.epochs:
        changes["epochs"] = args.epochs
    if args.lr:
        changes["lr"] = args.lr
    return {t: profile_config("demo", trainer=t, **changes) for t in ("paper", "fast")}


class Runner:
    """Runs (or reads back) fine-tuning runs under one folder."""

    def __init__(self, out: Path, backbone: str, n_boot: int, threads: int) -> None:
        self.out, self.backbone, self.n_boot, self.threads = out, backbone, n_boot, threads

    def run(self, dataset: str, key: str, name: str, config: Any, seed: int,
            threads: int | None = None) -> dict[str, Any]:
        """The report of ``config`` under ``seed`` (trained now unless already finished)."""
        from dataclasses import replace

        import torch

        from socalign.train.run import finetune

        run_dir = self.out / key / name / f"seed{seed}"
        config = replace(config, seed=int(seed))
        report_path = run_dir / "report.json"
        if report_path.exists():
            report = json.loads(report_path.read_text())
            if report["config"] == json.loads(json.dumps(config.to_dict())):
                return report
            raise ValueError(f"{run_dir} holds a run with another configuration")
        torch.set_num_threads(threads or self.threads)
        try:
            return finetune(dataset, run_dir, config, backbone=self.backbone, resume=True,
                            start_if_missing=True, n_boot=self.n_boot, progress=False).to_dict()
        finally:
            torch.set_num_threads(self.threads)

    def pair(self, dataset: str, key: str, configs: dict[str, Any], seed: int,
             index: int) -> dict[str, dict[str, Any]]:
        """Both trainers of one seed, paper first on even ``index``, fast first on odd."""
        names = list(configs) if index % 2 == 0 else list(configs)[::-1]
        reports = {name: self.run(dataset, key, name, configs[name], seed) for name in names}
        return {name: reports[name] for name in configs}


def trainers_mode(runner: Runner, args: argparse.Namespace) -> dict[str, Any]:
    """Time to target on the demo: per seed, mean ± sd, and the floor verdict."""
    dataset = _dataset(None, args.dataset)
    configs = trainer_configs(args)
    targets, metrics, reports = [], [], {}
    for i, seed in enumerate(args.seeds):
        pair = runner.pair(dataset, "demo", configs, seed, i)
        reports[seed] = pair
        targets += target_rows(pair, seed)
        metrics += [run_metrics(name, seed, report) for name, report in pair.items()]
    tframe, mframe = pd.DataFrame(targets), pd.DataFrame(metrics)
    return {"targets": tframe, "metrics": mframe, "verdict": floor_verdict(tframe, mframe),
            "reports": reports, "configs": {k: v.to_dict() for k, v in configs.items()}}


LEVERS: dict[str, dict[str, Any]] = {
    "validation once an epoch (resolution)": {"val_every_steps": None},
    "validation every step (resolution)": {"val_every_steps": 1},
    "bank refreshed every epoch": {"bank_refresh": "epoch"},
    "batches grown on the triplet graph": {"batch_order": "graph"},
    "lr warmup 10 steps": {"lr_warmup_steps": 10},
    "lr x2": {"lr": "x2"},
    "2 torch threads": {"threads": 2},
}
"""Fast-trainer levers measured as full runs (changes to the base fast configuration)."""


def levers_mode(runner: Runner, args: argparse.Namespace,
                trainers: dict[str, Any] | None) -> dict[str, Any]:
    """Each lever's time to the paper's best and final R², against the base fast run."""
    from dataclasses import replace

    dataset = _dataset(None, args.dataset)
    configs = trainer_configs(args)
    base = configs["fast"]
    rows = []
    for i, seed in enumerate(args.seeds):
        pair = (trainers["reports"][seed] if trainers and seed in trainers["reports"]
                else runner.pair(dataset, "demo", configs, seed, i))
        target = float(pair["paper"]["training"]["best_val_spearman"])
        paper_hit = time_to_target(pair["paper"]["training"]["validations"], target)
        rows.append({"lever": "paper trainer (reference)", "seed": seed, **paper_hit,
                     **{k: v for k, v in run_metrics("paper", seed, pair["paper"]).items()
                        if k not in ("trainer", "seed")}})
        variants = {"base (fast defaults)": (base, None)}
        for name, change in LEVERS.items():
            change = dict(change)
            threads = change.pop("threads", None)
            if change.get("lr") in ("x2", "x0.5"):
                change["lr"] = base.lr * (2.0 if change["lr"] == "x2" else 0.5)
            variants[name] = (replace(base, **change), threads)
        for name, (config, threads) in variants.items():
            key = "fast" if name.startswith("base") else "lever-" + name.replace(" ", "-")
            report = pair["fast"] if key == "fast" else runner.run(
                dataset, "demo", key, config, seed, threads)
            hit = time_to_target(report["training"]["validations"], target)
            rows.append({"lever": name, "seed": seed, **hit,
                         **{k: v for k, v in run_metrics(name, seed, report).items()
                            if k not in ("trainer", "seed")}})
    frame = pd.DataFrame(rows)
    return {"runs": frame, "table": lever_table(frame), "micro": micro_levers(args)}


LR_GRID = (1e-3, 2e-3, 4e-3)
"""Learning rates of the ``lrs`` mode: the demo's per-trainer rates are chosen on this grid."""


def lrs_mode(runner: Runner, args: argparse.Namespace) -> dict[str, Any]:
    """Each trainer at each rate of :data:`LR_GRID`: best validation Spearman, time to it, R².

    The rate a trainer should run at is the one with the highest mean best validation
    Spearman (the held-out R² is shown, not used to choose); the demo profile's per-trainer
    rate (``socalign.profiles``, ``trainer_train``) is printed beside the choice.
    """
    from dataclasses import replace

    dataset = _dataset(None, args.dataset)
    configs = trainer_configs(args)
    rows = []
    for trainer, config in configs.items():
        for lr in LR_GRID:
            for seed in args.seeds:
                report = runner.run(dataset, f"lr{lr:g}", trainer, replace(config, lr=lr), seed)
                best = float(report["training"]["best_val_spearman"])
                hit = time_to_target(report["training"]["validations"], best)
                rows.append({"trainer": trainer, "lr": lr, "seed": seed,
                             "time_to_own_best_s": hit[FLOOR_CLOCK],
                             **{k: v for k, v in run_metrics(trainer, seed, report).items()
                                if k not in ("trainer", "seed")}})
    frame = pd.DataFrame(rows)
    table, chosen = [], {}
    for (trainer, lr), group in frame.groupby(["trainer", "lr"], sort=False):
        table.append({"trainer": trainer, "lr": f"{lr:g}", "seeds": len(group),
                      "best val": _fmt(*_mean_sd(group["best_val_spearman"]), 3),
                      "s to own best": _fmt(*_mean_sd(group["time_to_own_best_s"]), 1),
                      "R² after": _fmt(*_mean_sd(group["r2_after"]), 4),
                      "_best": float(group["best_val_spearman"].mean())})
    table_frame = pd.DataFrame(table)
    for trainer, group in table_frame.groupby("trainer", sort=False):
        chosen[trainer] = float(group.loc[group["_best"].idxmax(), "lr"])
    table_frame["chosen"] = [("<- highest best val" if chosen[t] == float(lr) else "")
                             for t, lr in zip(table_frame["trainer"], table_frame["lr"], strict=True)]
    return {"runs": frame, "table": table_frame.drop(columns="_best"), "chosen": chosen,
            "profile": {t: c.lr for t, c in configs.items()}}


def lever_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean ± sd per lever, the change against the base run, and the ratio to the paper's time.

    The ratio is the lever's mean training-wall time to the paper's best over the paper
    trainer's (the floor's measure), so a reader sees which levers would meet the floor.
    """
    base = frame[frame["lever"].str.startswith("base")]
    base_time = {c: _mean_sd(np.where(base["reached"], base[c], np.inf))[0] for c in CLOCKS}
    paper = frame[frame["lever"].str.startswith("paper")]
    paper_time = _mean_sd(np.where(paper["reached"], paper[FLOOR_CLOCK], np.inf))[0]
    rows = []
    for lever, group in frame.groupby("lever", sort=False):
        row: dict[str, Any] = {"lever": lever, "reached": f"{int(group['reached'].sum())}/"
                                                          f"{len(group)}"}
        for c, label in CLOCKS.items():
            mean, sd = _mean_sd(np.where(group["reached"], group[c], np.inf))
            row[f"{label} to target (s)"] = _fmt(mean, sd, 1)
            if c != "train_cpu_s":
                row[f"{label} vs base"] = (f"{mean / base_time[c] - 1:+.0%}"
                                           if math.isfinite(mean) and base_time[c] else "")
        lever_time = _mean_sd(np.where(group["reached"], group[FLOOR_CLOCK], np.inf))[0]
        ratio = lever_time / paper_time
        row[f"/paper (floor {FLOOR})"] = (f"{ratio:.3f} {'PASS' if ratio <= FLOOR else 'FAIL'}"
                                          if not lever.startswith("paper") else "")
        row["best val"] = _fmt(*_mean_sd(group["best_val_spearman"]), 3)
        row["R² after"] = _fmt(*_mean_sd(group["r2_after"]), 4)
        row["s/epoch"] = _fmt(*_mean_sd(group["train_s_per_epoch"]), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def _timed(fn: Any, repeats: int) -> tuple[float, float]:
    """(median, sd) seconds of ``fn()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return float(np.median(times)), float(np.std(times))


def micro_levers(args: argparse.Namespace) -> dict[str, Any]:
    """Timed steps: clips in memory as one tensor, torch.compile, the frozen prefix's share."""
    import torch

    from socalign.data import load_dataset
    from socalign.models.video import forward_features, load_backbone
    from socalign.profiles import profile_config
    from socalign.train.model import LoraSettings, build_model
    from socalign.train.run import _inputs
    from socalign.video import load_clips

    bench = load_dataset(_dataset(None, args.dataset))
    module, spec = load_backbone(_backbone(args.backbone), device="cpu")
    clips = load_clips(list(bench.videos.files), spec.n_frames)
    config = profile_config("demo")
    batch = np.arange(config.batch_videos)
    out: dict[str, Any] = {"batch_videos": len(batch), "repeats": args.micro_repeats}
    in_memory, per_call = _inputs(clips, spec), _inputs(clips, spec, budget_bytes=0)
    out["inputs_in_memory_s"] = _timed(lambda: in_memory(batch), args.micro_repeats)
    out["inputs_preprocessed_per_step_s"] = _timed(lambda: per_call(batch), args.micro_repeats)

    lora = LoraSettings(config.lora_r, config.lora_alpha, config.lora_dropout,
                        tuple(spec.lora_targets))
    model = build_model(module, spec.hidden_size or int(module.config.hidden_size), lora,
                        config.head_dim, config.head_dropout,
                        lambda m, x: forward_features(m, spec, x),
                        generator=torch.Generator().manual_seed(0))
    model.train()
    x = in_memory(batch)

    def step(m: Any) -> None:
        emb = m(x)
        (emb @ emb.T).sum().backward()

    out["eager_step_s"] = _timed(lambda: step(model), args.micro_repeats)
    with torch.no_grad():
        full = _timed(lambda: model(x), args.micro_repeats)
        embeddings = model.backbone.get_base_model().embeddings
        prefix = _timed(lambda: embeddings(x), args.micro_repeats)
    out["forward_no_grad_s"], out["patch_embedding_forward_s"] = full, prefix
    out["frozen_prefix_share_of_forward"] = prefix[0] / full[0]
    try:
        compiled = torch.compile(model)
        began = time.perf_counter()
        step(compiled)
        step(compiled)
        out["compile_first_two_steps_s"] = time.perf_counter() - began
        out["compiled_step_s"] = _timed(lambda: step(compiled), args.micro_repeats)
        saved = out["eager_step_s"][0] - out["compiled_step_s"][0]
        out["compile_break_even_steps"] = (out["compile_first_two_steps_s"] / saved
                                           if saved > 0 else math.inf)
    except Exception as error:  # the lever is then reported as unavailable
        out["compile_error"] = f"{type(error).__name__}: {str(error)[:200]}"
    return out


def triplet_term_timing(dataset: str, repeats: int, d: int = 128) -> dict[str, Any]:
    """The fast trainer's triplet term on one batch of ``dataset``: gathered rows vs the product.

    Times the term plus its backward for the triplets touching one demo-size batch, once by
    gathering three bank rows per triplet (``steps.triplet_term``, the trainer's former way)
    and once from the batch x bank product (``steps.bank_triplet_term``, its way now).
    """
    import torch

    from socalign.data import load_dataset
    from socalign.metrics.resampling import stream
    from socalign.profiles import profile_config
    from socalign.train.data import make_training_set, triplets_touching
    from socalign.train.steps import bank_triplet_term, triplet_term

    config = profile_config("demo")
    bench = load_dataset(dataset)
    trials = bench.split_trials("train")
    data = make_training_set(trials.triplets, trials.odd, bench.split_indices("train"),
                             len(bench.videos), config.val_fraction, stream(config.seed, "split"))
    rng = np.random.default_rng(0)
    bank = torch.nn.functional.normalize(torch.randn(data.n_videos, d), dim=-1)
    batch = rng.choice(data.fit_videos, config.batch_videos, replace=False)
    touched = triplets_touching(data.triplets, batch, data.n_videos)
    chosen, odd = data.triplets[touched], data.odd[touched]

    def gathered() -> None:
        emb = torch.randn(len(batch), d, requires_grad=True)
        every = bank.index_copy(0, torch.as_tensor(batch), emb)
        triplet_term(config.loss, every, np.arange(data.n_videos), chosen, odd).backward()

    def product() -> None:
        emb = torch.randn(len(batch), d, requires_grad=True)
        bank_triplet_term(config.loss, emb, batch, bank, chosen, odd).backward()

    return {"fit_triplets": len(data.triplets), "touching_batch": len(touched),
            "gathered_s": _timed(gathered, repeats), "product_s": _timed(product, repeats)}


def scale_mode(runner: Runner, args: argparse.Namespace,
               trainers: dict[str, Any] | None) -> dict[str, Any]:
    """Wall time per epoch and time to the paper's best as the benchmark grows."""
    configs = trainer_configs(args)
    rows = []
    for n in args.videos:
        seeds = args.seeds if n == DEMO_VIDEOS and trainers else args.scale_seeds
        dataset = _dataset(n, args.dataset if n == DEMO_VIDEOS else None)
        key = "demo" if n == DEMO_VIDEOS else f"videos{n}"
        for i, seed in enumerate(seeds):
            pair = (trainers["reports"][seed] if n == DEMO_VIDEOS and trainers
                    and seed in trainers["reports"]
                    else runner.pair(dataset, key, configs, seed, i))
            for row in target_rows(pair, seed, shares=(1.0,)):
                rows.append({"videos": n, **row,
                             **{k: v for k, v in run_metrics(row["trainer"], seed,
                                                             pair[row["trainer"]]).items()
                                if k not in ("trainer", "seed")}})
    frame = pd.DataFrame(rows)
    terms = pd.DataFrame([{"videos": n, **triplet_term_timing(
        _dataset(n, args.dataset if n == DEMO_VIDEOS else None), args.micro_repeats)}
        for n in args.videos])
    terms_table = pd.DataFrame({
        "videos": terms["videos"], "fit triplets": terms["fit_triplets"],
        "touching a batch": terms["touching_batch"],
        "gathered rows (ms)": [f"{t[0] * 1e3:.1f}" for t in terms["gathered_s"]],
        "batch x bank product (ms)": [f"{t[0] * 1e3:.1f}" for t in terms["product_s"]]})
    return {"runs": frame, "table": scale_table(frame), "triplet_terms": terms,
            "triplet_table": terms_table}


def scale_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (videos, trainer): s/epoch, time to the paper's best, fast/paper ratio."""
    rows = []
    for (n, trainer), group in frame.groupby(["videos", "trainer"], sort=False):
        mean, sd = _mean_sd(np.where(group["reached"], group["train_s"], np.inf))
        rows.append({"videos": n, "trainer": trainer, "seeds": len(group),
                     "s/epoch (training wall)": _fmt(*_mean_sd(group["train_s_per_epoch"]), 2),
                     "epochs run": _fmt(*_mean_sd(group["epochs_run"]), 1),
                     "paper best val": f"{group['target'].mean():.3f}",
                     "time to target (s)": _fmt(mean, sd, 1),
                     "reached": f"{int(group['reached'].sum())}/{len(group)}",
                     "best val": _fmt(*_mean_sd(group["best_val_spearman"]), 3),
                     "R² after": _fmt(*_mean_sd(group["r2_after"]), 4), "_mean": mean})
    table = pd.DataFrame(rows)
    ratios = []
    for _, row in table.iterrows():
        paper = table[(table["videos"] == row["videos"]) & (table["trainer"] == "paper")]
        ratios.append(f"{row['_mean'] / paper['_mean'].iloc[0]:.3f}"
                      if row["trainer"] == "fast" and len(paper) else "")
    table["fast/paper time"] = ratios
    return table.drop(columns="_mean")


def ablations_mode(runner: Runner, args: argparse.Namespace) -> dict[str, Any]:
    """Before -> after held-out R² and OOO accuracy of each loss (one trainer)."""
    from socalign.profiles import profile_config
    from socalign.train.kinds import kinds_where
    from socalign.train.sweep import sweep

    changes = {"lr": args.lr} if args.lr else {}
    if args.epochs:
        changes["epochs"] = args.epochs
    configs = {kind: profile_config("demo", trainer=args.trainer, loss_kind=kind, **changes)
               for kind in kinds_where(targets="people")}  # every kind on people's judgments
    swept = sweep(_dataset(None, args.dataset), runner.out / "ablations", configs, args.seeds,
                  backbone=runner.backbone, n_boot=runner.n_boot)
    summary = swept.summary()
    rows = {"loss": summary["name"], "seeds": summary["n_seeds"]}
    for label, col, digits in (("R²", "r2", 4), ("OOO argmax", "ooo_argmax", 3),
                               ("OOO pair", "ooo_pair", 3)):
        for side in ("before", "after"):
            rows[f"{label} {side}"] = [_fmt(m, s, digits) for m, s in
                                       zip(summary[f"{col}_{side}_mean"],
                                           summary[f"{col}_{side}_sd"], strict=True)]
    return {"table": pd.DataFrame(rows), "runs": swept.to_frame()}


# ---------------------------------------------------------------- output


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return _jsonable(value.to_dict(orient="records"))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if k != "reports"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_verdict(verdict: dict[str, Any]) -> None:
    """The floor, the measured ratios on each clock, and PASS/FAIL."""
    print(f"\nfloor: {verdict['floor']} (mean over seeds, clock: {CLOCKS[verdict['clock']]}), "
          "final held-out R² not lower beyond the seed spread")
    for clock, label in CLOCKS.items():
        per_seed = ", ".join(f"{r:.3f}" for r in verdict[f"ratio_per_seed_{clock}"])
        mark = " <- floor" if clock == verdict["clock"] else ""
        print(f"  measured fast/paper ({label}): {verdict[f'ratio_{clock}']:.3f} "
              f"(per seed {per_seed}) vs floor {FLOOR}{mark}")
    print(f"  fast reached the paper's best in {verdict['fast_reached']} seeds; "
          f"paper learnt (target above its start): {verdict['paper_learnt']}")
    print(f"  R² after fast - paper: {verdict['r2_after_fast_minus_paper']:+.4f} "
          f"(seed spread {verdict['r2_seed_spread']:.4f})")
    print(f"  time floor {'PASS' if verdict['floor_time'] else 'FAIL'}, "
          f"R² floor {'PASS' if verdict['floor_r2'] else 'FAIL'} -> "
          f"{'PASS' if verdict['pass'] else 'FAIL'}")


def print_micro(micro: dict[str, Any]) -> None:
    """The timed-step levers, one line each."""
    m = micro
    print(f"\n## levers timed per step ({m['batch_videos']} videos, median of {m['repeats']})")
    print(f"  clips in memory as one tensor: {m['inputs_in_memory_s'][0] * 1e3:.2f} ms per batch "
          f"vs {m['inputs_preprocessed_per_step_s'][0] * 1e3:.2f} ms preprocessing each batch "
          "(the in-memory tensor is already the default when the clips fit 2 GB)")
    print(f"  eager training step (forward + backward): {m['eager_step_s'][0] * 1e3:.1f} ms")
    if "compile_error" in m:
        print(f"  torch.compile: unavailable here ({m['compile_error']})")
    else:
        print(f"  torch.compile: {m['compiled_step_s'][0] * 1e3:.1f} ms a step after "
              f"{m['compile_first_two_steps_s']:.1f} s for the first two; break-even after "
              f"{m['compile_break_even_steps']:.0f} steps")
    print(f"  frozen prefix (patch embedding, the only layer LoRA leaves untouched): "
          f"{m['frozen_prefix_share_of_forward']:.1%} of a forward pass: the most caching it "
          "could save")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("trainers", "levers", "scale", "ablations", "lrs",
                                           "all"),
                        default="trainers")
    parser.add_argument("--dataset", default=None, help="benchmark folder (default: demo SocialWorld)")
    parser.add_argument("--videos", type=int, nargs="+", default=[250, 500, 1000],
                        help="scale mode: SocialWorld sizes (250 is the demo)")
    parser.add_argument("--scale-seeds", type=int, nargs="+", default=[0],
                        help="scale mode: seeds for the sizes other than the demo's")
    parser.add_argument("--backbone", default=None, help="default: the shipped toy backbone")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override the demo's epochs")
    parser.add_argument("--lr", type=float, default=None, help="override the demo's lr")
    parser.add_argument("--val-every", type=int, default=5,
                        help="validate every K optimizer steps (both trainers)")
    parser.add_argument("--trainer", choices=("paper", "fast"), default="fast",
                        help="trainer of the ablation table")
    parser.add_argument("--n-boot", type=int, default=0,
                        help="bootstrap resamples of the held-out report (0: point estimates)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("SOCALIGN_THREADS", "1")))
    parser.add_argument("--micro-repeats", type=int, default=20)
    parser.add_argument("--out", default=None,
                        help="runs folder, reused when rerun (default: a fresh temporary folder)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="socalign-finetune-"))
    runner = Runner(out, _backbone(args.backbone), args.n_boot, args.threads)
    modes = ("trainers", "levers", "scale") if args.mode == "all" else (args.mode,)
    result: dict[str, Any] = {"seeds": args.seeds, "val_every_steps": args.val_every,
                              "threads": args.threads, "out": str(out),
                              "load_average_start": os.getloadavg()}
    trainers = None
    for mode in modes:
        began = time.perf_counter()
        if mode == "trainers":
            trainers = part = trainers_mode(runner, args)
        elif mode == "levers":
            part = levers_mode(runner, args, trainers)
        elif mode == "scale":
            part = scale_mode(runner, args, trainers)
        elif mode == "lrs":
            part = lrs_mode(runner, args)
        else:
            part = ablations_mode(runner, args)
        part["wall_s"] = time.perf_counter() - began
        part["load_average_end"] = os.getloadavg()
        result[mode] = part
        if args.json:
            continue
        if mode == "trainers":
            print(f"\n## time to target (demo, validation every {args.val_every} steps, "
                  f"seeds {args.seeds})")
            print(target_table(part["targets"]).to_string(index=False))
            print("\n## final held-out metrics and costs (mean ± sd over seeds)")
            print(metrics_table(part["metrics"]).to_string(index=False))
            print_verdict(part["verdict"])
        elif mode == "levers":
            print(f"\n## fast-trainer levers: time to the paper's best (seeds {args.seeds})")
            print(part["table"].to_string(index=False))
            print_micro(part["micro"])
        elif mode == "scale":
            print("\n## scaling: wall time per epoch and time to the paper's best")
            print(part["table"].to_string(index=False))
            print("\n## the fast trainer's triplet term for one batch (term + backward, median):"
                  " the triplets touching a batch grow with the trials per video")
            print(part["triplet_table"].to_string(index=False))
        elif mode == "lrs":
            print(f"\n## learning rate per trainer (seeds {args.seeds}; chosen on validation)")
            print(part["table"].to_string(index=False))
            for trainer, lr in part["chosen"].items():
                used = part["profile"][trainer]
                print(f"  {trainer}: highest best validation at lr {lr:g}; the demo profile "
                      f"runs it at {used:g} ({'same' if used == lr else 'DIFFERENT'})")
        else:
            print(f"\n## loss ablations ({args.trainer} trainer, mean ± sd over seeds)")
            print(part["table"].to_string(index=False))
        print(f"({mode}: {part['wall_s']:.0f} s; load average (1, 5, 15 min) "
              f"{tuple(round(x, 2) for x in part['load_average_end'])})")
    result["load_average_end"] = os.getloadavg()
    if args.json:
        print(json.dumps(_jsonable(result), indent=2, default=str))
    else:
        print(f"\nload average at start {tuple(round(x, 2) for x in result['load_average_start'])}"
              f", end {tuple(round(x, 2) for x in result['load_average_end'])}: timings are "
              f"under that contention; runs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
