"""compare_runs on a tiny SocialWorld with planted run folders (no training)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.analyses.controls import RULE, RunsComparison, compare_runs
from socalign.data import load_dataset
from socalign.data.socialworld import oracle_features, synthesize
from socalign.data.types import Benchmark
from socalign.models.embeddings import save_embeddings
from socalign.scoring import evaluate
from socalign.train.runfiles import CONFIG_FILE, EMBEDDINGS_FILES
from socalign.train.runs import Run

N_BOOT = 200


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Benchmark:
    """A 30-video SocialWorld, half of it test videos (about 500 test trials)."""
    out = tmp_path_factory.mktemp("sw") / "w"
    synthesize(out, n_videos=30, n_frames=4, size=16, n_participants=20, test_fraction=0.5, seed=0,
               calibrate=False)
    return load_dataset(out)


def _run(folder: Path, bench: Benchmark, embeddings: np.ndarray, shuffle: int | None = None) -> Path:
    """A minimal finished-enough run folder: a run's config.json marker and embeddings_after.npz."""
    folder.mkdir(parents=True)
    (folder / CONFIG_FILE).write_text(json.dumps({"backbone": "toy", "train": {}}), encoding="utf-8")
    ids, emb = bench.videos.ids, embeddings
    if shuffle is not None:  # rows stored in another order: matched back by id
        order = np.random.default_rng(shuffle).permutation(len(ids))
        ids, emb = ids[order], emb[order]
    save_embeddings(folder / EMBEDDINGS_FILES["after"], ids, emb, model="finetuned")
    return folder


@pytest.fixture(scope="module")
def runs(bench: Benchmark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Two oracle runs (the second stored in shuffled row order) and two noise runs."""
    root = tmp_path_factory.mktemp("runs")
    oracle = oracle_features(bench)
    n = len(bench.videos)
    noise = [np.random.default_rng(s).normal(size=(n, 12)) for s in (1, 2)]
    return {
        "oracle": [_run(root / "oracle0", bench, oracle), _run(root / "oracle1", bench, oracle, shuffle=5)],
        "noise": [_run(root / f"noise{k}", bench, e) for k, e in enumerate(noise)],
    }


def test_planted_runs_open_with_the_repos_reader(bench: Benchmark, runs: dict[str, list[Path]]) -> None:
    """The planted folders are runs, and their embeddings come back in benchmark order."""
    for path in runs["oracle"]:
        assert Run.is_run(path)
        np.testing.assert_allclose(Run.open(path).embeddings("after", bench.videos), oracle_features(bench))


def test_oracle_against_noise_is_higher_with_an_interval_above_zero(
    bench: Benchmark, runs: dict[str, list[Path]]
) -> None:
    """Oracle runs beat noise runs: R² difference > 0, interval excludes 0, and the claim says so."""
    cmp = compare_runs(bench, runs["oracle"], runs["noise"], labels=("oracle", "noise"), n_boot=N_BOOT)
    assert isinstance(cmp, RunsComparison)
    d = cmp.r2_difference
    assert d["estimate"] > 0.3 and 0 < d["low"] <= d["estimate"] <= d["high"]
    assert d["unit"] == "videos" and d["n_boot"] == N_BOOT
    assert cmp.r2_claim().startswith("was higher by")
    assert cmp.ooo_difference["low"] > 0 and cmp.ooo_claim().startswith("was higher by")
    assert cmp.n_runs == (2, 2) and cmp.split == "test"


def test_means_and_per_seed_rows_match_evaluate(bench: Benchmark, runs: dict[str, list[Path]]) -> None:
    """per_seed has one row per run, each equal to evaluate(); the group means and the estimates follow."""
    cmp = compare_runs(bench, runs["oracle"], runs["noise"], labels=("oracle", "noise"), n_boot=20)
    assert len(cmp.per_seed) == 4
    assert [row["group"] for row in cmp.per_seed] == ["oracle", "oracle", "noise", "noise"]
    assert [row["run"] for row in cmp.per_seed] == [str(p) for p in runs["oracle"] + runs["noise"]]
    for row in cmp.per_seed:
        ev = evaluate(bench, "test", embeddings=Run.open(row["run"]).embeddings("after", bench.videos), n_boot=0)
        assert row["r2"] == pytest.approx(ev.r2) and row["ooo"] == pytest.approx(ev.ooo[RULE].accuracy)
    r2 = {g: np.mean([r["r2"] for r in cmp.per_seed if r["group"] == g]) for g in ("oracle", "noise")}
    ooo = {g: np.mean([r["ooo"] for r in cmp.per_seed if r["group"] == g]) for g in ("oracle", "noise")}
    assert (cmp.r2_a, cmp.r2_b) == pytest.approx((r2["oracle"], r2["noise"]))
    assert cmp.r2_difference["estimate"] == pytest.approx(r2["oracle"] - r2["noise"], abs=1e-12)
    assert cmp.ooo_difference["estimate"] == pytest.approx(ooo["oracle"] - ooo["noise"], abs=1e-12)


def test_identical_runs_did_not_differ(bench: Benchmark, runs: dict[str, list[Path]]) -> None:
    """The same runs on both sides: R² difference 0 with a zero-width interval, 'did not differ detectably'."""
    same = runs["oracle"][:1] + runs["noise"][:1]
    cmp = compare_runs(bench, same, same, labels=("x", "y"), n_boot=50)
    assert cmp.r2_difference["estimate"] == 0.0
    assert cmp.r2_difference["low"] == cmp.r2_difference["high"] == 0.0
    assert cmp.r2_claim().startswith("did not differ detectably")
    assert cmp.ooo_claim().startswith("did not differ detectably")
    assert len(cmp.per_seed) == 4


def test_to_frame_has_the_two_statistics_as_rows(bench: Benchmark, runs: dict[str, list[Path]]) -> None:
    """to_frame: rows R² and pair OOO accuracy; columns each group, the difference and its interval."""
    cmp = compare_runs(bench, runs["oracle"][:1], runs["noise"], labels=("hybrid", "distilled"), n_boot=20)
    frame = cmp.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["R²", f"OOO accuracy ({RULE})"]
    assert list(frame.columns) == ["hybrid", "distilled", "hybrid - distilled", "95% low", "95% high", "resampled"]
    assert frame.loc["R²", "hybrid"] == pytest.approx(cmp.r2_a)
    assert frame.loc["R²", "hybrid - distilled"] == pytest.approx(cmp.r2_difference["estimate"])
    assert list(frame["resampled"]) == ["videos", "trials"]
    assert cmp.n_runs == (1, 2) and len(cmp.per_seed) == 3
    json.dumps(cmp.to_dict())  # JSON-able


def test_equal_labels_and_empty_sides_are_refused(bench: Benchmark, runs: dict[str, list[Path]]) -> None:
    """Equal labels, or no run on a side, raise ValueError."""
    with pytest.raises(ValueError, match="different labels"):
        compare_runs(bench, runs["oracle"], runs["noise"], labels=("same", "same"), n_boot=10)
    with pytest.raises(ValueError, match="at least one run"):
        compare_runs(bench, [], runs["noise"], n_boot=10)
    with pytest.raises(ValueError, match="at least one run"):
        compare_runs(bench, runs["oracle"], [], n_boot=10)
