"""The modality-gap table on a small planted benchmark (a local in-memory Benchmark)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from socalign.analyses.gap import choose_layer, default_models, gap_table
from socalign.data.types import Benchmark
from tests.helpers.tables import planted_benchmark


def test_gap_table_ranks_the_planted_model_first() -> None:
    bench, Z, rng = planted_benchmark()
    embeddings = {"caption": Z + 0.1 * rng.normal(size=Z.shape),
                  "video": rng.normal(size=Z.shape)}
    result = gap_table(bench, embeddings, {"caption": "language", "video": "video"},
                       split="test", metric="correlation", n_boot=200, seed=0,
                       ceiling_splits=20)
    lang, vid = result.row("caption").evaluation, result.row("video").evaluation
    assert lang.r2 > 0.3 and lang.r2 > vid.r2
    assert lang.ooo["pair"].accuracy > 0.6
    assert lang.n_videos == 12
    out = json.loads(json.dumps(result.to_dict(), default=float))
    assert [m["model"] for m in out["models"]] == ["caption", "video"]
    row = out["models"][0]
    assert set(row["ooo_accuracy"]) == {"argmax", "pair"}
    assert row["ci"]["r2"]["unit"] == "videos" and row["ci"]["ooo_accuracy"]["pair"]["unit"] == "trials"
    test = out["paired_tests"]["language_vs_video"]
    assert test["language"] == "caption" and test["video"] == "video"
    assert test["best_chosen_by"] == "R² on the train split"
    assert test["r2"]["estimate"] == pytest.approx(lang.r2 - vid.r2)
    assert test["r2"]["low"] > 0  # the planted gap is clear
    assert test["ooo_accuracy"]["pair"]["estimate"] == pytest.approx(
        lang.ooo["pair"].accuracy - vid.ooo["pair"].accuracy)
    ceiling = out["ceiling"]["r2"]
    assert ceiling["estimate"] > lang.r2 * 0.5
    assert ceiling["low"] <= ceiling["estimate"] <= ceiling["high"]
    assert ceiling["estimate"] == pytest.approx(ceiling["r_sb"])  # the R² ceiling is r_sb
    assert 0 <= out["ceiling"]["ooo_accuracy"]["estimate"] <= 1
    frame = result.to_frame()
    assert list(frame.columns[:4]) == ["model", "kind", "r2", "r2_low"]


def test_a_gap_row_has_the_interval_evaluate_gives_the_same_model() -> None:
    """One interval computation per quantity: the same data, seed and resamples give the same
    interval in ``gap`` as in ``evaluate``, for every row, not only the first."""
    from socalign.scoring import evaluate

    bench, Z, rng = planted_benchmark()
    embeddings = {name: Z + scale * rng.normal(size=Z.shape)
                  for name, scale in (("a", 0.1), ("b", 1.0), ("c", 3.0))}
    result = gap_table(bench, embeddings, split="test", metric="correlation", n_boot=100, seed=3,
                       ceiling_splits=5)
    for name, emb in embeddings.items():
        alone = evaluate(bench, "test", embeddings=emb, metric="correlation", n_boot=100, seed=3)
        assert result.row(name).evaluation.to_dict() == alone.to_dict(), name


def test_gap_without_video_model_says_so() -> None:
    bench, Z, _ = planted_benchmark(n_trials=800)
    result = gap_table(bench, {"caption": Z}, {"caption": "language"}, n_boot=20,
                       ceiling_splits=5)
    assert result.paired["language_vs_video"] is None
    assert "no video model" in result.paired["reason"]
    with pytest.raises(ValueError, match="unknown model kind"):
        gap_table(bench, {"caption": Z}, {"caption": "audio"}, n_boot=0)
    with pytest.raises(KeyError, match="rows are"):
        result.row("missing")


def test_layer_is_chosen_on_train_videos_only() -> None:
    bench, Z, rng = planted_benchmark(n_trials=1500)
    noise = {0: rng.normal(size=Z.shape), 1: Z, 2: rng.normal(size=Z.shape)}
    seen = []

    def embed(layer: int) -> np.ndarray:
        seen.append(layer)
        return noise[layer]

    best, scores = choose_layer(bench, embed, [0, 1, 2], split="train")
    assert best == 1 and seen == [0, 1, 2]
    assert scores[1] > max(scores[0], scores[2])
    with pytest.raises(ValueError, match="train videos"):
        choose_layer(bench, embed, [0, 1], split="test")


def test_default_models_follow_the_dataset() -> None:
    bench, _, _ = planted_benchmark(n_trials=10)
    assert default_models(bench) == ("tfidf", "minilm")
    sw = Benchmark(bench.name, None, bench.videos, bench.trials, bench.kept_mask, {},
                   {"socialworld": {"seed": 0}})
    assert default_models(sw) == ("pixel", "toy", "tfidf", "minilm", "oracle")


def test_paired_test_picks_models_on_train_videos() -> None:
    bench, Z, rng = planted_benchmark(n_trials=2000)
    train = bench.split_indices("train")
    good_on_train = rng.normal(size=Z.shape)
    good_on_train[train] = Z[train]
    good_on_test = Z.copy()
    good_on_test[train] = rng.normal(size=(train.size, Z.shape[1]))
    result = gap_table(
        bench, {"L_train": good_on_train, "L_test": good_on_test, "V": rng.normal(size=Z.shape)},
        {"L_train": "language", "L_test": "language", "V": "video"}, n_boot=20, ceiling_splits=5,
    )
    assert result.row("L_test").evaluation.r2 > result.row("L_train").evaluation.r2
    assert result.paired["language_vs_video"]["language"] == "L_train"


def test_row_kind_takes_language_or_video_from_the_embedding_owner() -> None:
    from socalign.analyses import gap
    from socalign.models.embed import model_kind

    for name in ("tfidf", "minilm", "toy", "facebook/timesformer-base-finetuned-k400",
                 "someone/videomae-large", "sentence-transformers/all-mpnet-base-v2"):
        assert gap.row_kind(name) == model_kind(name)
    assert gap.row_kind("pixel") == "baseline" and gap.row_kind("oracle") == "oracle"
    assert gap.row_kind("emb.npy") == "unknown"
    with pytest.raises(ValueError):
        model_kind("someone/mystery-model")
    assert gap.row_kind("someone/mystery-model") == "video"  # listed with the video rows
