"""The scoring layer: one owner of split similarity, evaluation, comparison and ceilings.

Each caller's numbers are checked against the layer (and the layer against plain loops and
scipy), so a caller that went back to assembling its own scores would fail here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from socalign import scoring
from socalign.data.layout import read_benchmark
from socalign.metrics import benchmark_ceilings
from socalign.metrics.resampling import as_rng


def _embeddings(n: int, seed: int, signal: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 3))
    X[np.arange(n), np.arange(n) % 2] = signal  # conftest's tiny benchmark: group = row % 2
    return X + rng.normal(scale=0.5, size=X.shape)


def test_the_old_path_names_the_same_objects() -> None:
    import socalign.evaluate as old

    for name in old.__all__:
        assert getattr(old, name) is getattr(scoring, name), name


def test_split_human_similarity_equals_a_plain_count(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    human = scoring.split_human_similarity(bench, "train")
    trials = bench.split_trials("train")
    shown, kept = np.zeros((n, n)), np.zeros((n, n))
    for trip, odd in zip(trials.triplets, trials.odd, strict=True):
        for a in range(3):
            for b in range(a + 1, 3):
                i, j = trip[a], trip[b]
                shown[i, j] += 1
                shown[j, i] += 1
                if odd not in (a, b):
                    kept[i, j] += 1
                    kept[j, i] += 1
    seen = shown > 0
    np.testing.assert_array_equal(human.observed, seen)
    np.testing.assert_allclose(human.similarity[seen], kept[seen] / shown[seen])
    test_rows = bench.split_indices("test")
    assert not human.observed[np.ix_(test_rows, test_rows)].any()  # only the split's trials
    with pytest.raises(KeyError, match="unknown split 'val'"):
        scoring.split_human_similarity(bench, "val")


def test_model_similarity_is_scipys_cosine_among_the_split(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    X = _embeddings(n, 1)
    idx, other = bench.split_indices("train"), bench.split_indices("test")
    X[other] = np.nan  # rows outside the split are never read
    sim = scoring.model_similarity(bench, "train", embeddings=X)
    np.testing.assert_allclose(sim[np.ix_(idx, idx)], 1 - cdist(X[idx], X[idx], "cosine"),
                               atol=1e-12)
    assert np.isnan(sim[other]).all() and np.isnan(sim[:, other]).all()
    with pytest.raises(ValueError, match="exactly one"):
        scoring.model_similarity(bench, "train")


def test_ceilings_are_benchmark_ceilings(tiny_benchmark_dir: Path) -> None:
    bench = read_benchmark(tiny_benchmark_dir)
    got = scoring.ceilings(bench, "train", n_splits=10, seed=3, n_draws=2000)
    assert got.to_dict() == benchmark_ceilings(bench, "train", n_splits=10, seed=3,
                                               n_draws=2000).to_dict()
    drawn = int(np.random.default_rng(8).integers(2**31))
    from_stream = scoring.ceilings(bench, "train", n_splits=10, seed=np.random.default_rng(8),
                                   n_draws=2000)
    assert from_stream.seed == drawn


def test_held_out_report_is_evaluate_and_compare(tiny_benchmark_dir: Path) -> None:
    """The report's gain is compare(after, before) from the (seed, 2) stream, keys unchanged."""
    from socalign.metrics import (
        paired_bootstrap,
        paired_bootstrap_alignment,
        similarity_from_embeddings,
        similarity_from_judgments,
    )
    from socalign.train.run import held_out_report

    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    before, after = _embeddings(n, 2, signal=0.3), _embeddings(n, 3, signal=1.5)
    ev_b, ev_a, gain = held_out_report(bench, "train", before, after, 150, 4)
    assert ev_a == scoring.evaluate(bench, "train", embeddings=after, n_boot=150, seed=4).to_dict()
    assert ev_b == scoring.evaluate(bench, "train", embeddings=before, n_boot=150, seed=4).to_dict()
    assert list(gain) == ["spearman", "r2", "ooo_accuracy"]
    # the hand-assembled gain that held_out_report used to build
    idx = bench.split_indices("train")
    trials = bench.split_trials("train")
    human = similarity_from_judgments(trials.triplets, trials.odd, n)
    sims = []
    for emb in (after, before):
        full = np.full((n, n), np.nan)
        full[np.ix_(idx, idx)] = similarity_from_embeddings(emb[idx], "cosine")
        sims.append(full)
    rng = np.random.default_rng([4, 2])
    paired = paired_bootstrap_alignment(sims[0], sims[1], human.similarity, human.observed, idx,
                                        "videos", 150, rng)
    expected = {k: v.to_dict() for k, v in paired.items()}
    ev_after = scoring.evaluate(bench, "train", embeddings=after, n_boot=0)
    ev_before = scoring.evaluate(bench, "train", embeddings=before, n_boot=0)
    expected["ooo_accuracy"] = {
        rule: paired_bootstrap(ev_after.ooo[rule].correct.astype(float),
                               ev_before.ooo[rule].correct.astype(float), 150, rng,
                               unit="trials").to_dict()
        for rule in ev_after.ooo
    }
    assert gain == expected
    assert held_out_report(bench, "train", before, after, 0, 4)[2] == {}


def test_gap_paired_test_and_ceilings_come_from_the_layer(tiny_benchmark_dir: Path) -> None:
    from socalign.analyses.gap import gap_table

    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    emb = {"lang": _embeddings(n, 5, 1.5), "vid": _embeddings(n, 6, 0.5)}
    gap = gap_table(bench, emb, {"lang": "language", "vid": "video"}, split="train", n_boot=80,
                    seed=7, ceiling_splits=10, select_split=None).to_dict()
    rng = as_rng(7)
    for name in emb:  # the rows draw from the stream first
        scoring.evaluate(bench, "train", embeddings=emb[name], n_boot=80, seed=rng)
    sims = [scoring.model_similarity(bench, "train", embeddings=emb[k]) for k in ("lang", "vid")]
    expected = scoring.compare(bench, "train", *sims, n_boot=80, seed=rng).to_dict()
    paired = gap["paired_tests"]["language_vs_video"]
    for key in ("r2", "spearman", "ooo_accuracy"):
        assert paired[key] == expected[key]
    ceil = scoring.ceilings(bench, "train", n_splits=10, seed=7)
    assert gap["ceiling"]["r2"]["estimate"] == ceil.r2_ceiling
    assert gap["ceiling"]["ooo_ceiling"]["estimate"] == ceil.ooo_ceiling
    assert gap["ceiling"]["ooo_accuracy"]["estimate"] == ceil.ooo_reliability


def test_partition_predictors_and_target_come_from_the_layer(tiny_benchmark_dir: Path,
                                                             tmp_path: Path) -> None:
    from socalign.analyses.partition import partition_benchmark, predictor_similarity

    bench = read_benchmark(tiny_benchmark_dir)
    n = len(bench.videos)
    X = _embeddings(n, 9)
    np.save(tmp_path / "x.npy", X)
    got = predictor_similarity(bench, str(tmp_path / "x.npy"), "train")
    np.testing.assert_array_equal(got, scoring.model_similarity(bench, "train", embeddings=X))
    np.save(tmp_path / "y.npy", _embeddings(n, 10, 0.2))
    part = partition_benchmark(bench, [str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
                               split="train", n_boot=0)
    human = scoring.split_human_similarity(bench, "train")
    assert part.n_pairs == int(np.triu(human.observed, 1).sum())
    with pytest.raises(KeyError, match="unknown split 'val'"):
        partition_benchmark(bench, [str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
                            split="val", n_boot=0)


def test_calibration_score_is_evaluate(tiny_benchmark_dir: Path) -> None:
    from socalign.data.socialworld.calibration import MIN_TRIALS, score

    bench = read_benchmark(tiny_benchmark_dir)
    X = _embeddings(len(bench.videos), 11)
    assert len(bench.split_trials("train")) >= MIN_TRIALS
    got = score(bench, X, "train")
    ev = scoring.evaluate(bench, "train", embeddings=X, n_boot=0)
    assert got == {"ooo_argmax": ev.ooo["argmax"].accuracy, "ooo_pair": ev.ooo["pair"].accuracy,
                   "r2": ev.r2, "n_trials": ev.n_trials, "n_pairs": ev.n_pairs}
    assert "not_measured" in score(bench, X, "test")  # too few trials: said, not scored
