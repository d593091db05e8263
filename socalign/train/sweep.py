"""Several fine-tuning runs (configurations x seeds) on one benchmark, summarised in one table.

Used by ``benchmarks/finetune.py`` (paper vs fast trainer, the loss ablations) and the book.
Each run writes its own folder ``out/<name>/seed<S>``; a finished run (with ``report.json``)
is read back instead of trained again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from socalign.train.config import TrainConfig

STATS = ("r2", "spearman")
RULES = ("argmax", "pair")


def _row(name: str, seed: int, report: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "seed": seed}
    for side in ("before", "after"):
        for stat in STATS:
            row[f"{stat}_{side}"] = report[side][stat]
        for rule in RULES:
            row[f"ooo_{rule}_{side}"] = report[side]["ooo_accuracy"][rule]
    training = report["training"]
    for key in ("best_epoch", "best_val_spearman", "forward_train", "forward_val",
                "time_to_best_s", "elapsed_s"):
        row[key] = training[key]
    row["epochs_run"] = len(training["epochs"])
    # did validation improve after the first epoch? (best epoch 0: nothing learnt that held)
    first = training["epochs"][0].get("val_spearman", float("nan")) if training["epochs"] else float("nan")
    row["val_spearman_first"] = first
    row["val_gain_over_first"] = training["best_val_spearman"] - first
    row["improved_after_first"] = float(training["best_epoch"] > 0)
    return row


@dataclass(frozen=True)
class SweepResult:
    """One row per run (configuration name x seed): held-out metrics before/after and costs."""

    rows: tuple[dict[str, Any], ...]
    configs: Mapping[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [dict(r) for r in self.rows], "configs": dict(self.configs),
                "summary": self.summary().to_dict(orient="records")}

    def to_frame(self) -> pd.DataFrame:
        """Every run, one row each."""
        return pd.DataFrame(list(self.rows))

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over seeds for each configuration (``n_seeds`` runs)."""
        frame = self.to_frame()
        numeric = [c for c in frame.columns if c not in ("name", "seed")]
        grouped = frame.groupby("name", sort=False)[numeric]
        mean, sd = grouped.mean().add_suffix("_mean"), grouped.std(ddof=1).add_suffix("_sd")
        out = pd.concat([mean, sd], axis=1)
        out.insert(0, "n_seeds", grouped.size())
        return out.reset_index()


def sweep(
    dataset: str | Path,
    out: Path | str,
    configs: Mapping[str, TrainConfig],
    seeds: Sequence[int],
    backbone: str | None = None,
    n_boot: int = 200,
    progress: bool = False,
) -> SweepResult:
    """Run every configuration under every seed (the config's own seed is replaced).

    Each run goes to ``out/<name>/seed<S>`` through :func:`socalign.train.run.finetune`
    (resumed when unfinished); a run whose ``report.json`` exists is read back instead.

    Parameters
    ----------
    dataset : str or path-like
        The benchmark, as :func:`socalign.data.load_dataset` names it.
    out : path-like
        The sweep's folder, holding one run folder per configuration and seed.
    configs : mapping of str to TrainConfig
        The configurations by name (at least one).
    seeds : sequence of int
        The seeds each configuration is run under (at least one).
    backbone : str or None, default None
        The video backbone (None: :func:`socalign.train.run.default_backbone` of the
        benchmark).
    n_boot : int, default 200
        Bootstrap resamples of each run's held-out report.
    progress : bool, default False
        Show each run's training progress.

    Returns
    -------
    SweepResult
        One row per run (in configuration, then seed order) and each configuration's
        settings.

    Raises
    ------
    ValueError
        When ``configs`` or ``seeds`` is empty, or a finished run folder holds a run with
        another configuration; and as :func:`socalign.train.run.finetune` raises.
    """
    from dataclasses import replace

    from socalign.train.run import finetune

    if not configs or not seeds:
        raise ValueError("sweep needs at least one configuration and one seed")
    out = Path(out)
    rows = []
    for name, config in configs.items():
        for seed in seeds:
            run_dir = out / name / f"seed{seed}"
            report_path = run_dir / "report.json"
            run_config = replace(config, seed=int(seed))
            if report_path.exists():
                report = json.loads(report_path.read_text())
                if report["config"] != json.loads(json.dumps(run_config.to_dict())):
                    raise ValueError(f"{run_dir} holds a run with another configuration")
            else:
                report = finetune(dataset, run_dir, run_config, backbone=backbone,
                                  resume=True, start_if_missing=True, n_boot=n_boot,
                                  progress=progress).to_dict()
            rows.append(_row(name, int(seed), report))
    return SweepResult(tuple(rows), {k: v.to_dict() for k, v in configs.items()})
