"""evaluate(): one object with R², correlations, OOO accuracies and intervals for a split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socalign.data.layout import read_benchmark
from socalign.evaluate import evaluate
from socalign.metrics import (
    alignment,
    ooo_accuracy,
    similarity_from_embeddings,
    similarity_from_judgments,
)


def _group_embeddings(n: int, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    # conftest's tiny benchmark plants two groups: video row k belongs to group k % 2
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 3))
    X[np.arange(n), np.arange(n) % 2] = 1.0
    X[:, 2] = 0.1
    return X + noise * rng.normal(size=X.shape)


def test_evaluate_matches_direct_metrics(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    X = _group_embeddings(len(bench.videos), noise=0.3)
    ev = evaluate(bench, "train", embeddings=X, n_boot=200, seed=1)
    trials = bench.split_trials("train")
    idx = bench.split_indices("train")
    human = similarity_from_judgments(trials.triplets, trials.odd, len(bench.videos))
    model = similarity_from_embeddings(X, "cosine")
    direct = alignment(model, human.similarity, human.observed, idx)
    assert ev.r2 == pytest.approx(direct.r2) and ev.pearson == pytest.approx(direct.pearson)
    assert ev.n_pairs == direct.n_pairs and ev.n_trials == len(trials) and ev.n_videos == 8
    for rule in ("argmax", "pair"):
        assert ev.ooo[rule].accuracy == pytest.approx(
            ooo_accuracy(model, trials.triplets, trials.odd, rule).accuracy
        )
    d = ev.to_dict()
    for key in ("r2", "spearman", "pearson", "ooo_accuracy", "n_pairs", "n_trials", "ci"):
        assert key in d
    assert set(d["ooo_accuracy"]) == {"argmax", "pair"}
    assert d["ci"]["r2"]["unit"] == "videos" and d["ci"]["r2"]["n_boot"] == 200
    assert d["ci"]["ooo_accuracy"]["pair"]["unit"] == "trials"
    assert d["ci"]["spearman"]["low"] <= ev.spearman <= d["ci"]["spearman"]["high"]
    frame = ev.to_frame()
    assert list(frame["statistic"]) == [
        "r2", "spearman", "pearson", "ooo_accuracy (argmax)", "ooo_accuracy (pair)"
    ]
    again = evaluate(bench, "train", embeddings=X, n_boot=200, seed=1)
    assert again.to_dict() == d  # seeded


def test_planted_structure_beats_chance_and_random_does_not(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    good = evaluate(bench, None, embeddings=_group_embeddings(n), n_boot=0)
    assert good.split == "all" and good.ci == {}
    assert good.ooo["argmax"].accuracy > 0.6 and good.spearman > 0.5
    rand = evaluate(bench, None, embeddings=np.random.default_rng(3).normal(size=(n, 3)), n_boot=0)
    assert rand.ooo["argmax"].accuracy < good.ooo["argmax"].accuracy


def test_similarity_input_and_split_rows_only(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    trials = bench.split_trials("test")
    human = similarity_from_judgments(trials.triplets, trials.odd, n)
    ev = evaluate(bench, "test", similarity=human.similarity, n_boot=0)
    assert ev.r2 == pytest.approx(1.0) and ev.metric is None
    X = _group_embeddings(n, noise=0.2)
    X[bench.split_indices("train")] = np.nan  # rows outside the split never enter
    ev2 = evaluate(bench, "test", embeddings=X, metric="correlation", n_boot=0)
    assert ev2.metric == "correlation" and ev2.n_videos == 4


def test_errors(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    with pytest.raises(ValueError, match="exactly one"):
        evaluate(bench, "train")
    with pytest.raises(ValueError, match="one row per benchmark video"):
        evaluate(bench, "train", embeddings=np.ones((n - 1, 2)))
    with pytest.raises(ValueError, match=r"similarity must be \(12, 12\)"):
        evaluate(bench, "train", similarity=np.ones((3, 3)))
    sim = similarity_from_embeddings(_group_embeddings(n, noise=0.1), "cosine")
    sim[0, 2] = sim[2, 0] = np.nan  # videos 0 and 2 (both train) are judged together
    with pytest.raises(ValueError, match=r"model_similarity is NaN or infinite on observed pair \(0, 2\)"):
        evaluate(bench, "train", similarity=sim)
    zero = _group_embeddings(n)
    zero[9] = 0.0  # video id 109, the test split's row 1
    with pytest.raises(ValueError, match=r"row 1 \(video id 109\) is all zeros"):
        evaluate(bench, "test", embeddings=zero)
    with pytest.raises(KeyError, match="unknown split"):
        evaluate(bench, "val", embeddings=np.ones((n, 2)))


def test_compare_two_models(tiny_benchmark_dir: Path) -> None:
    from socalign.evaluate import compare, model_similarity

    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    good = model_similarity(bench, None, embeddings=_group_embeddings(n, noise=0.1))
    bad = model_similarity(bench, None, embeddings=np.random.default_rng(5).normal(size=(n, 3)))
    same = compare(bench, None, good, good, n_boot=100, seed=0)
    assert same.r2.estimate == 0 and same.ooo_accuracy["argmax"].p_value == 1.0
    diff = compare(bench, None, good, bad, n_boot=300, seed=0)
    ev_good = evaluate(bench, None, similarity=good, n_boot=0)
    ev_bad = evaluate(bench, None, similarity=bad, n_boot=0)
    assert diff.r2.estimate == pytest.approx(ev_good.r2 - ev_bad.r2)
    for rule in ("argmax", "pair"):
        assert diff.ooo_accuracy[rule].estimate == pytest.approx(
            ev_good.ooo[rule].accuracy - ev_bad.ooo[rule].accuracy
        )
    assert diff.ooo_accuracy["argmax"].low > 0 and diff.ooo_accuracy["argmax"].unit == "trials"
    assert diff.r2.unit == "videos" and diff.to_dict()["difference"] == "a - b"
    assert len(diff.to_frame()) == 4
