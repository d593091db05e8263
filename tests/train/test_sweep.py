"""The sweep summary: one row per run, mean and sd over seeds per configuration."""

from __future__ import annotations

import pytest

from socalign.train.sweep import SweepResult, _row


def _report(r2_after: float, seconds: float) -> dict:
    side = {"r2": 0.01, "spearman": 0.1, "ooo_accuracy": {"argmax": 0.4, "pair": 0.5}}
    after = {"r2": r2_after, "spearman": r2_after**0.5,
             "ooo_accuracy": {"argmax": 0.5, "pair": 0.6}}
    training = {"best_epoch": 1, "best_val_spearman": 0.2, "forward_train": 100,
                "forward_val": 10, "time_to_best_s": seconds, "elapsed_s": 2 * seconds,
                "epochs": [{"val_spearman": 0.15}, {"val_spearman": 0.2}, {"val_spearman": 0.1}]}
    return {"before": side, "after": after, "training": training}


def test_summary_mean_and_sd_over_seeds() -> None:
    rows = (_row("fast", 0, _report(0.04, 1.0)), _row("fast", 1, _report(0.08, 3.0)),
            _row("paper", 0, _report(0.05, 10.0)))
    result = SweepResult(rows, {"fast": {}, "paper": {}})
    assert rows[0]["epochs_run"] == 3 and rows[0]["ooo_pair_after"] == 0.6
    assert rows[0]["val_spearman_first"] == 0.15 and rows[0]["improved_after_first"] == 1.0
    assert rows[0]["val_gain_over_first"] == pytest.approx(0.05)
    summary = result.summary().set_index("name")
    assert summary.loc["fast", "n_seeds"] == 2
    assert summary.loc["fast", "r2_after_mean"] == pytest.approx(0.06)
    assert summary.loc["fast", "r2_after_sd"] == pytest.approx(0.0282842712, rel=1e-6)
    assert summary.loc["fast", "time_to_best_s_mean"] == pytest.approx(2.0)
    assert summary.loc["paper", "n_seeds"] == 1
    assert len(result.to_frame()) == 3
    assert result.to_dict()["summary"][0]["name"] == "fast"
