"""One model, one split, one seed, one number of resamples: one interval, whichever command
prints it (issue 28).

``evaluate`` scores a model against people with bootstrap intervals (videos for R², trials for
OOO accuracy). Every other command that prints one of those intervals for a model prints
``evaluate``'s: ``gap`` (each row is ``evaluate`` at the integer seed), ``partition`` (a single
predictor's R² on ranks is the squared Spearman of ``evaluate``, over the same video resamples;
the ``ols_raw`` regression is another statistic, R² of raw values, so it has no peer), and the
ceilings that ``gap`` prints beside them are ``ceiling``'s at the same seed. ``probe`` prints
no such interval (held-out Pearson r of per-video ratings, a statistic ``evaluate`` does not
compute), nor does ``finetune`` beside its report (the report's before/after intervals are
checked against ``evaluate`` in tests/cli/test_train_output.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from socalign.cli import main
from socalign.data import load_dataset
from socalign.data.layout import write_benchmark
from socalign.models.embeddings import dataset_record, save_embeddings
from tests.helpers.tables import make_tables

N_BOOT = "40"


def bounds(interval: dict) -> list[float]:
    """An interval's estimate and bounds."""
    return [interval["estimate"], interval["low"], interval["high"]]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(benchmark, embeddings a, embeddings b): noisy views of the planted clusters."""
    tmp = tmp_path_factory.mktemp("intervals")
    videos, trials, captions = make_tables(n_videos=18, n_trials=1500, seed=2)
    root = write_benchmark(tmp / "b", videos, trials, captions, {"name": "b"})
    bench = load_dataset(root)
    rng = np.random.default_rng(4)
    group = np.arange(len(bench.videos)) % 2
    paths = []
    for name, signal in (("a", 1.0), ("b", 0.3)):
        X = signal * group[:, None] + rng.normal(size=(len(bench.videos), 4))
        paths.append(save_embeddings(tmp / f"{name}.npz", bench.videos.ids, X, kind="video",
                                     **dataset_record(bench)))
    return root, paths[0], paths[1]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("split", "seed"), [("test", "0"), ("all", "7")])
def test_gap_and_partition_print_evaluates_intervals(files, capsys, split: str, seed: str) -> None:
    root, a, b = files
    common = ["--split", split, "--n-boot", N_BOOT, "--seed", seed]
    evaluated = {p.stem: _json(capsys, ["evaluate", str(root), "--embeddings", str(p), *common])
                 for p in (a, b)}
    gap = _json(capsys, ["gap", str(root), "--models", f"{a},{b}", *common])
    for row in gap["models"]:
        ev = evaluated[Path(row["model"]).stem]
        assert row["r2"] == pytest.approx(ev["r2"], rel=1e-12)
        assert bounds(row["ci"]["r2"]) == pytest.approx(bounds(ev["ci"]["r2"]), rel=1e-12)
        for rule in ("argmax", "pair"):
            assert bounds(row["ci"]["ooo_accuracy"][rule]) == pytest.approx(
                bounds(ev["ci"]["ooo_accuracy"][rule]), rel=1e-12)
    partition = _json(capsys, ["partition", str(root), "--predictors", f"{a},{b}", *common])
    assert partition["regression"] == "ols_ranks"
    for name, ev in evaluated.items():
        ci = ev["ci"]["r2"]
        assert partition["r2"][name] == pytest.approx(ev["r2"], rel=1e-9)
        assert partition["r2_ci"][name] == pytest.approx([ci["low"], ci["high"]], rel=1e-9)


def test_gap_ceilings_are_those_of_ceiling(files, capsys) -> None:
    root, a, _ = files
    gap = _json(capsys, ["gap", str(root), "--models", str(a), "--n-boot", "0", "--seed", "3"])
    ceiling = _json(capsys, ["ceiling", str(root), "--split", "test", "--seed", "3"])
    ours, theirs = gap["ceiling"], ceiling["ceilings"]
    assert bounds(ours["r2"]) == pytest.approx(bounds(theirs["r2_ceiling"]), rel=1e-12)
    assert ours["ooo_accuracy"]["estimate"] == pytest.approx(
        theirs["ooo_reliability"]["estimate"], rel=1e-12)
    assert ours["ooo_ceiling"]["estimate"] == pytest.approx(
        theirs["ooo_ceiling"]["estimate"], rel=1e-12)


def test_another_seed_gives_other_intervals(files, capsys) -> None:
    """The agreement above is not a constant: the intervals move with the seed."""
    root, a, _ = files
    base = ["evaluate", str(root), "--embeddings", str(a), "--split", "test", "--n-boot", N_BOOT]
    first = _json(capsys, [*base, "--seed", "0"])["ci"]["r2"]
    other = _json(capsys, [*base, "--seed", "1"])["ci"]["r2"]
    assert bounds(first) != pytest.approx(bounds(other), rel=1e-6)
