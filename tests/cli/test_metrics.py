"""``socalign ceiling`` and ``socalign evaluate`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from socalign.cli import main
from socalign.data import load_dataset
from socalign.models.embeddings import save_embeddings


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_ceiling_json(tiny_benchmark_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(
        capsys,
        ["ceiling", str(tiny_benchmark_dir), "--split", "train", "--n-splits", "20", "--json"],
    )
    for key in ("r", "r_sb", "r2_sb", "n_splits", "sd"):
        assert key in out["split_half"]
    assert out["split_half"]["n_splits"] == 20
    assert out["split_half"]["r2_sb"] == pytest.approx(out["split_half"]["r_sb"] ** 2)
    assert set(out["ooo_consistency"]) >= {"loo_agreement", "n_trials"}
    bench = load_dataset(tiny_benchmark_dir)
    assert out["n_trials"] == len(bench.split_trials("train"))
    again = _run(
        capsys,
        ["ceiling", str(tiny_benchmark_dir), "--split", "train", "--n-splits", "20", "--json"],
    )
    assert again == out


def test_evaluate_json_npz_and_npy(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    n = len(bench.videos)
    X = np.random.default_rng(0).normal(size=(n, 4))
    order = np.arange(n)[::-1]
    save_embeddings(tmp_path / "e.npz", bench.videos.ids[order], X[order])
    np.save(tmp_path / "e.npy", X)
    base = ["evaluate", str(tiny_benchmark_dir), "--split", "train", "--n-boot", "50", "--json"]
    a = _run(capsys, [*base, "--embeddings", str(tmp_path / "e.npz")])
    b = _run(capsys, [*base, "--embeddings", str(tmp_path / "e.npy")])
    for key in ("r2", "spearman", "pearson", "ooo_accuracy", "n_pairs", "n_trials", "ci"):
        assert key in a
    assert a["r2"] == pytest.approx(b["r2"]) and a["ooo_accuracy"] == b["ooo_accuracy"]
    assert set(a["ooo_accuracy"]) == {"argmax", "pair"}
    assert a["ci"]["r2"]["n_boot"] == 50 and a["ci"]["r2"]["unit"] == "videos"
    dot = _run(capsys, [*base, "--embeddings", str(tmp_path / "e.npy"), "--metric", "dot"])
    assert dot["metric"] == "dot"


def test_evaluate_similarity_file(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the split's own human similarity, as written by `data similarity`, scores R² = 1
    bench = load_dataset(tiny_benchmark_dir)
    from socalign.metrics import similarity_from_judgments

    trials = bench.split_trials("test")
    idx = bench.split_indices("test")
    human = similarity_from_judgments(trials.triplets, trials.odd, len(bench.videos))
    np.savez(
        tmp_path / "s.npz",
        ids=bench.videos.ids[idx],
        similarity=human.similarity[np.ix_(idx, idx)],
    )
    out = _run(
        capsys,
        ["evaluate", str(tiny_benchmark_dir), "--similarity", str(tmp_path / "s.npz"),
         "--split", "test", "--n-boot", "0", "--json"],
    )
    assert out["r2"] == pytest.approx(1.0) and out["ci"] == {} and out["metric"] is None


def test_errors_exit_2(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "short.npy", np.ones((3, 2)))
    code = main(["evaluate", str(tiny_benchmark_dir), "--embeddings", str(tmp_path / "short.npy")])
    assert code == 2
    assert "short.npy" in capsys.readouterr().err
    assert main(["ceiling", str(tiny_benchmark_dir), "--n-splits", "0"]) == 2
    with pytest.raises(SystemExit):
        main(["evaluate", str(tiny_benchmark_dir)])  # needs --embeddings or --similarity


@pytest.mark.realdata
def test_cli_on_garcia2025(
    garcia_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from socalign.data import load_dataset

    bench = load_dataset(garcia_root)
    X = np.random.default_rng(0).normal(size=(len(bench.videos), 8))
    save_embeddings(tmp_path / "r.npz", bench.videos.ids, X)
    out = _run(
        capsys,
        ["evaluate", str(garcia_root), "--embeddings", str(tmp_path / "r.npz"), "--split",
         "test", "--n-boot", "50", "--json"],
    )
    assert out["n_trials"] == 368 and out["n_videos"] == 50
    assert out["r2"] < 0.05  # a random model
    ceil = _run(
        capsys,
        ["ceiling", str(garcia_root), "--split", "train", "--n-splits", "10", "--json"],
    )
    assert ceil["n_trials"] == 24096 and ceil["split_half"]["n_participants"] == 215
    assert 0.3 < ceil["split_half"]["r_sb"] < 0.7
