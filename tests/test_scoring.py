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
from socalign.data import load_dataset
from socalign.metrics import (
    alignment,
    benchmark_ceilings,
    ooo_accuracy,
    similarity_from_embeddings,
    similarity_from_judgments,
)
from socalign.metrics.resampling import as_rng


def _embeddings(n: int, seed: int, signal: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 3))
    X[np.arange(n), np.arange(n) % 2] = signal  # conftest's tiny benchmark: group = row % 2
    return X + rng.normal(scale=0.5, size=X.shape)


def _group_embeddings(n: int, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    # conftest's tiny benchmark plants two groups: video row k belongs to group k % 2
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 3))
    X[np.arange(n), np.arange(n) % 2] = 1.0
    X[:, 2] = 0.1
    return X + noise * rng.normal(size=X.shape)


def test_evaluate_matches_direct_metrics(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    X = _group_embeddings(len(bench.videos), noise=0.3)
    ev = scoring.evaluate(bench, "train", embeddings=X, n_boot=200, seed=1)
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
    again = scoring.evaluate(bench, "train", embeddings=X, n_boot=200, seed=1)
    assert again.to_dict() == d  # seeded


def test_planted_structure_beats_chance_and_random_does_not(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    n = len(bench.videos)
    good = scoring.evaluate(bench, None, embeddings=_group_embeddings(n), n_boot=0)
    assert good.split == "all" and good.ci == {}
    assert good.ooo["argmax"].accuracy > 0.6 and good.spearman > 0.5
    rand = scoring.evaluate(bench, None, embeddings=np.random.default_rng(3).normal(size=(n, 3)), n_boot=0)
    assert rand.ooo["argmax"].accuracy < good.ooo["argmax"].accuracy


def test_similarity_input_and_split_rows_only(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    n = len(bench.videos)
    trials = bench.split_trials("test")
    human = similarity_from_judgments(trials.triplets, trials.odd, n)
    ev = scoring.evaluate(bench, "test", similarity=human.similarity, n_boot=0)
    assert ev.r2 == pytest.approx(1.0) and ev.metric is None
    X = _group_embeddings(n, noise=0.2)
    X[bench.split_indices("train")] = np.nan  # rows outside the split never enter
    ev2 = scoring.evaluate(bench, "test", embeddings=X, metric="correlation", n_boot=0)
    assert ev2.metric == "correlation" and ev2.n_videos == 4


def test_errors(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    n = len(bench.videos)
    with pytest.raises(ValueError, match="exactly one"):
        scoring.evaluate(bench, "train")
    with pytest.raises(ValueError, match="one row per benchmark video"):
        scoring.evaluate(bench, "train", embeddings=np.ones((n - 1, 2)))
    with pytest.raises(ValueError, match=r"similarity must be \(12, 12\)"):
        scoring.evaluate(bench, "train", similarity=np.ones((3, 3)))
    sim = similarity_from_embeddings(_group_embeddings(n, noise=0.1), "cosine")
    sim[0, 2] = sim[2, 0] = np.nan  # videos 0 and 2 (both train) are judged together
    with pytest.raises(ValueError, match=r"model_similarity is NaN or infinite on observed pair \(0, 2\)"):
        scoring.evaluate(bench, "train", similarity=sim)
    zero = _group_embeddings(n)
    zero[9] = 0.0  # video id 109, the test split's row 1
    with pytest.raises(ValueError, match=r"row 1 \(video id 109\) is all zeros"):
        scoring.evaluate(bench, "test", embeddings=zero)
    with pytest.raises(KeyError, match="unknown split"):
        scoring.evaluate(bench, "val", embeddings=np.ones((n, 2)))


def test_compare_two_models(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    n = len(bench.videos)
    good = scoring.model_similarity(bench, None, embeddings=_group_embeddings(n, noise=0.1))
    bad = scoring.model_similarity(bench, None, embeddings=np.random.default_rng(5).normal(size=(n, 3)))
    same = scoring.compare(bench, None, good, good, n_boot=100, seed=0)
    assert same.r2.estimate == 0 and same.ooo_accuracy["argmax"].p_value == 1.0
    diff = scoring.compare(bench, None, good, bad, n_boot=300, seed=0)
    ev_good = scoring.evaluate(bench, None, similarity=good, n_boot=0)
    ev_bad = scoring.evaluate(bench, None, similarity=bad, n_boot=0)
    assert diff.r2.estimate == pytest.approx(ev_good.r2 - ev_bad.r2)
    for rule in ("argmax", "pair"):
        assert diff.ooo_accuracy[rule].estimate == pytest.approx(
            ev_good.ooo[rule].accuracy - ev_bad.ooo[rule].accuracy
        )
    assert diff.ooo_accuracy["argmax"].low > 0 and diff.ooo_accuracy["argmax"].unit == "trials"
    assert diff.r2.unit == "videos" and diff.to_dict()["difference"] == "a - b"
    assert len(diff.to_frame()) == 4


def test_split_human_similarity_equals_a_plain_count(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
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
    bench = load_dataset(tiny_benchmark_dir)
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
    bench = load_dataset(tiny_benchmark_dir)
    got = scoring.ceilings(bench, "train", n_splits=10, seed=3, n_draws=2000)
    assert got.to_dict() == benchmark_ceilings(bench, "train", n_splits=10, seed=3,
                                               n_draws=2000).to_dict()
    drawn = int(np.random.default_rng(8).integers(2**31))
    from_stream = scoring.ceilings(bench, "train", n_splits=10, seed=np.random.default_rng(8),
                                   n_draws=2000)
    assert from_stream.seed == drawn


def test_held_out_report_is_evaluate_and_compare(tiny_benchmark_dir: Path) -> None:
    """The report's gain is compare(after, before) from the run's "gain-bootstrap" stream, keys
    unchanged; the evaluations resample from the seed itself."""
    from socalign.metrics import (
        paired_bootstrap,
        paired_bootstrap_alignment,
        similarity_from_embeddings,
        similarity_from_judgments,
    )
    from socalign.train.run import held_out_report

    bench = load_dataset(tiny_benchmark_dir)
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
    from socalign.metrics.resampling import stream

    rng = stream(4, "gain-bootstrap")
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

    bench = load_dataset(tiny_benchmark_dir)
    n = len(bench.videos)
    emb = {"lang": _embeddings(n, 5, 1.5), "vid": _embeddings(n, 6, 0.5)}
    gap = gap_table(bench, emb, {"lang": "language", "vid": "video"}, split="train", n_boot=80,
                    seed=7, ceiling_splits=10, select_split=None).to_dict()
    rng = as_rng(7)  # an integer seed scores each row as `evaluate --seed 7` does, so the
    # paired test draws from the stream untouched
    for name in emb:
        row = next(r for r in gap["models"] if r["model"] == name)
        alone = scoring.evaluate(bench, "train", embeddings=emb[name], n_boot=80, seed=7).to_dict()
        assert row["ci"] == alone["ci"]
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

    bench = load_dataset(tiny_benchmark_dir)
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

    bench = load_dataset(tiny_benchmark_dir)
    X = _embeddings(len(bench.videos), 11)
    assert len(bench.split_trials("train")) >= MIN_TRIALS
    got = score(bench, X, "train")
    ev = scoring.evaluate(bench, "train", embeddings=X, n_boot=0)
    assert got == {"ooo_argmax": ev.ooo["argmax"].accuracy, "ooo_pair": ev.ooo["pair"].accuracy,
                   "r2": ev.r2, "n_trials": ev.n_trials, "n_pairs": ev.n_pairs}
    assert "not_measured" in score(bench, X, "test")  # too few trials: said, not scored
