"""The ablation tables: per-run rows, loss × statistic mean ± sd, per-seed verdicts."""

from __future__ import annotations

import pandas as pd
import pytest

from socalign.analyses.ablation import ablation_summary, run_table, seed_gains


class FakeReport:
    def __init__(self, gain: float, low: float, high: float, before: float = 0.02) -> None:
        self.row = {"before": before, "after": before + gain, "gain": gain, "gain_low": low,
                    "gain_high": high, "unit": "videos", "n_boot": 200}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"statistic": s, **self.row}
                             for s in ("r2", "spearman", "ooo_accuracy (argmax)")])


REPORTS = {
    ("hybrid", 0): FakeReport(0.06, -0.01, 0.16), ("hybrid", 1): FakeReport(0.05, 0.003, 0.12),
    ("hybrid", 2): FakeReport(0.07, 0.004, 0.15), ("rsa", 0): FakeReport(0.04, 0.01, 0.07),
}


def test_run_table_has_one_row_per_run_and_statistic() -> None:
    table = run_table(REPORTS)
    assert len(table) == 12 and list(table["loss"].unique()) == ["hybrid", "rsa"]
    with pytest.raises(ValueError, match="no fine-tuning reports"):
        run_table({})


def test_summary_is_mean_and_sd_over_seeds() -> None:
    summary = ablation_summary(run_table(REPORTS), "gain")
    assert summary.loc["hybrid", "R²"] == "0.0600 ± 0.0100"
    assert summary.loc["rsa", "R²"] == "0.0400"  # one seed: no sd
    assert summary.loc["hybrid", "seeds"] == 3 and "OOO (pair)" not in summary


def test_seed_verdict_counts_intervals_not_estimates() -> None:
    gains = seed_gains(run_table(REPORTS))
    assert gains.n_up == 2 and gains.verdict == "rose in 2 of 3 seeds"
    assert gains.seed_claims().startswith("seed 0: did not change detectably")
    assert "seed 1: rose by 0.050 (95% interval 0.003 to 0.120)" in gains.seed_claims()
    flat = {k: FakeReport(0.0, -0.01, 0.01) for k in REPORTS}
    assert seed_gains(run_table(flat)).verdict.startswith("showed no detectable change")
