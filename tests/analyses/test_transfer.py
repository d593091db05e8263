"""Transfer probes: planted features, the Wilson and McNemar statistics against their formulas,
C chosen inside the training videos, the cv protocol named and reproducible, bad labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from socalign.analyses.transfer import (
    C_GRID,
    GENERALIZATION_SET,
    LABEL_COLUMN,
    MAIN_SET,
    PAPER_V2_TRANSFER,
    SET_COLUMN,
    choose_protocol,
    mcnemar_exact,
    read_transfer_labels,
    transfer_arrays,
    transfer_benchmark,
    wilson_interval,
)
from socalign.data import load_dataset
from socalign.data.errors import BenchmarkError
from socalign.data.layout import write_benchmark

LABELS = np.array(["adversarial", "friendly", "neutral"])


def _planted(n_main: int = 90, n_gen: int = 45, signal: float = 2.0, seed: int = 0):
    """Balanced labels; ``good`` carries them (class means apart), ``noise`` does not."""
    rng = np.random.default_rng(seed)
    n = n_main + n_gen
    y = np.arange(n) % 3
    good = np.eye(3)[y] @ rng.normal(size=(3, 8)) * signal + rng.normal(size=(n, 8))
    noise = rng.normal(size=(n, 8))
    sets = np.where(np.arange(n) < n_main, MAIN_SET, GENERALIZATION_SET)
    return LABELS[y], sets, good, noise


def test_planted_paper_protocol_separates_the_backbones() -> None:
    labels, sets, good, noise = _planted()
    result = transfer_arrays({"pretrained": noise, "finetuned": good}, labels, sets,
                             n_boot=500, seed=0)
    assert result.protocol == "paper" and (result.n_train, result.n_test) == (90, 45)
    pre, fine = result.backbones
    chance = result.chance_uniform
    assert chance == pytest.approx(1 / 3) and result.chance_majority == pytest.approx(1 / 3)
    assert fine.low > chance and fine.accuracy > 0.9  # the planted labels are read
    assert pre.low < chance < pre.high  # noise: chance inside its interval
    (cmp,) = result.comparisons
    assert (cmp.a, cmp.b) == ("pretrained", "finetuned")
    assert cmp.difference == pytest.approx(fine.accuracy - pre.accuracy)
    assert cmp.mcnemar.p_value < 0.01 and cmp.low > 0 and cmp.verdict == "higher"
    out = json.loads(json.dumps(result.to_dict()))
    words = {b["name"]: b["versus_chance"] for b in out["backbones"]}
    assert words == {"pretrained": "not distinguishable from chance", "finetuned": "above chance"}
    fine_out = out["backbones"][1]
    assert fine_out["n_correct"] == round(fine.accuracy * 45) and fine_out["n_videos"] == 45
    assert np.sum(fine_out["confusion"]["counts"]) == 45
    assert [c["n_videos"] for c in fine_out["per_class"]] == [15, 15, 15]
    assert out["comparisons"][0]["of"] == "finetuned - pretrained"
    assert "Wilson" in out["backbones"][0]["interval"]


def test_the_paper_figures_are_carried_apart_from_the_measured_ones() -> None:
    labels, sets, good, noise = _planted(n_main=30, n_gen=15)
    result = transfer_arrays({"a": noise, "b": good}, labels, sets, n_boot=0)
    assert list(result.to_frame()["backbone"]) == ["a", "b"]  # measured rows only
    paper = result.to_dict()["paper_v2"]
    assert paper["measured_here"] is False
    assert {r["model"] for r in paper["rows"]} == {
        "people", "SIMPLE (inverse planning)", "fine-tuned V-JEPA 2.1", "SocialGNN",
        "pretrained V-JEPA 2.1", "VisualRNN"}
    assert set(PAPER_V2_TRANSFER.to_frame()["source"]) == {"paper v2 (reported)"}
    # the paper's interval of the fine-tuned V-JEPA 2.1 is Wilson's for 81 of 100 test videos
    row = next(r for r in PAPER_V2_TRANSFER.rows if r.model == "fine-tuned V-JEPA 2.1")
    low, high = wilson_interval(81, 100)
    assert (round(low, 2), round(high, 2)) == (row.low, row.high)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (55, 100), (81, 100), (100, 100), (7, 13)])
def test_wilson_interval_is_the_score_interval(k: int, n: int) -> None:
    """Against the textbook formula, p̂ + z²/2n ± z·sqrt(p̂(1-p̂)/n + z²/4n²), over 1 + z²/n."""
    z = stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_mcnemar_is_the_exact_binomial_test_of_the_discordant_videos() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = rng.random(60) < 0.6, rng.random(60) < rng.uniform(0.3, 0.9)
        test = mcnemar_exact(a, b)
        only_a, only_b = int(np.sum(a & ~b)), int(np.sum(b & ~a))
        expected = min(1.0, 2 * stats.binom.cdf(min(only_a, only_b), only_a + only_b, 0.5))
        assert (test.a_only, test.b_only) == (only_a, only_b)
        assert test.p_value == pytest.approx(expected, rel=1e-9)
    same = rng.random(10) < 0.5
    assert mcnemar_exact(same, same).p_value == 1.0
    with pytest.raises(ValueError, match="differs in shape"):
        mcnemar_exact(same, same[:5])


def test_c_is_chosen_without_the_test_labels() -> None:
    """Shuffling the generalization set's labels changes the accuracy, never the chosen C."""
    labels, sets, good, _ = _planted(n_main=60, n_gen=60, signal=0.6, seed=2)
    test = np.flatnonzero(sets == GENERALIZATION_SET)
    base = transfer_arrays({"x": good}, labels, sets, n_boot=0).backbones[0]
    assert min(C_GRID) < base.c_values[0] < max(C_GRID)  # a C the data decide, not an end
    rng = np.random.default_rng(0)
    for _ in range(3):
        shuffled = labels.copy()
        shuffled[test] = rng.permutation(labels[test])
        other = transfer_arrays({"x": good}, shuffled, sets, n_boot=0).backbones[0]
        assert other.c_values == base.c_values
        assert other.accuracy != base.accuracy
    # the training labels do decide it
    moved = labels.copy()
    train = np.flatnonzero(sets == MAIN_SET)
    moved[train] = rng.permutation(labels[train])
    assert transfer_arrays({"x": good}, moved, sets, n_boot=0).backbones[0].c_values != base.c_values


def test_cv_protocol_is_named_and_reproducible() -> None:
    labels, sets, good, noise = _planted(n_main=0, n_gen=60)
    kwargs = {"folds": 3, "repeats": 3, "n_boot": 300}
    result = transfer_arrays({"pretrained": noise, "finetuned": good}, labels, sets, seed=7,
                             **kwargs)
    assert choose_protocol(sets) == "cv" and result.protocol == "cv"
    out = result.to_dict()
    assert out["protocol"] == "cv" and out["protocol_description"].startswith("cv protocol")
    assert (out["folds"], out["repeats"], out["n_train"], out["n_test"]) == (3, 3, None, 60)
    assert set(result.to_frame()["protocol"]) == {"cv"}
    assert result.summary().startswith("cv protocol")
    assert "bootstrap over the 60 videos" in out["backbones"][0]["interval"]
    assert "first repeat" in out["comparisons"][0]["mcnemar"]["on"]
    pre, fine = result.backbones
    assert fine.low > result.chance_majority and pre.low < 1 / 3 < pre.high
    # the accuracy is the mean over repeats of the pooled out-of-fold accuracy
    assert fine.accuracy == pytest.approx(np.trace(fine.confusion) / 60)
    assert len(fine.c_values) == 9  # 3 folds x 3 repeats
    again = transfer_arrays({"pretrained": noise, "finetuned": good}, labels, sets, seed=7,
                            **kwargs)
    assert json.dumps(again.to_dict()) == json.dumps(out)
    other = transfer_arrays({"pretrained": noise}, labels, sets, seed=8, **kwargs).backbones[0]
    assert (other.accuracy, other.low, other.high) != (pre.accuracy, pre.low, pre.high)


def test_protocol_choice_and_refusals() -> None:
    labels, sets, good, _ = _planted(n_main=30, n_gen=15)
    assert choose_protocol(sets) == "paper" and choose_protocol(None) == "cv"
    assert choose_protocol(sets, "cv") == "cv"
    with pytest.raises(ValueError, match="no 'main' videos"):
        choose_protocol(np.array([GENERALIZATION_SET] * 3), "paper")
    with pytest.raises(ValueError, match="unknown protocol"):
        choose_protocol(sets, "holdout")
    with pytest.raises(ValueError, match="one label only"):
        transfer_arrays({"x": good}, np.array(["a"] * 45), None, folds=3, repeats=1)
    with pytest.raises(ValueError, match="fewer than the 5 folds"):
        transfer_arrays({"x": good[:12]}, LABELS[np.arange(12) % 3], None)
    with pytest.raises(ValueError, match=r"shape \(44, 8\)"):
        transfer_arrays({"x": good[:44]}, labels, sets)
    with pytest.raises(ValueError, match="no backbones"):
        transfer_arrays({}, labels, sets)


def _labelled_folder(root, labels, sets=None, drop=()):
    ids = np.arange(len(labels))
    videos = pd.DataFrame({"video_id": ids, "split": "test", LABEL_COLUMN: labels})
    if sets is not None:
        videos[SET_COLUMN] = sets
    videos = videos.drop(columns=list(drop))
    trials = pd.DataFrame([("p0", 0, 1, 2, 2)],
                          columns=["participant", "video_1", "video_2", "video_3", "choice"])
    return write_benchmark(root, videos, trials)


def test_labels_come_from_the_benchmark_folder(tmp_path) -> None:
    labels, sets, good, _ = _planted(n_main=30, n_gen=15)
    bench = load_dataset(_labelled_folder(tmp_path / "b", labels[::-1], sets[::-1]))
    found = read_transfer_labels(bench)
    assert found.labels.tolist() == labels[::-1].tolist() and found.sets is not None
    result = transfer_benchmark(bench, {"x": good[::-1]}, n_boot=0)
    assert result.protocol == "paper" and result.n_test == 15
    plain = load_dataset(_labelled_folder(tmp_path / "c", labels))
    result = transfer_benchmark(plain, {"x": good}, folds=3, repeats=1, n_boot=0)
    assert result.protocol == "cv" and any("no 'set' column" in n for n in result.notes)


def test_bad_label_files_name_the_file_and_column(tmp_path) -> None:
    labels, sets, good, _ = _planted(n_main=30, n_gen=15)
    nolabel = load_dataset(_labelled_folder(tmp_path / "n", labels, sets, drop=[LABEL_COLUMN]))
    with pytest.raises(BenchmarkError, match="no 'label' column") as info:
        transfer_benchmark(nolabel, {"x": good})
    assert info.value.column == LABEL_COLUMN and info.value.path.name == "videos.csv"
    bad_sets = sets.copy()
    bad_sets[4] = "held-out"
    with pytest.raises(BenchmarkError, match="found 'held-out'") as info:
        read_transfer_labels(load_dataset(_labelled_folder(tmp_path / "s", labels, bad_sets)))
    assert (info.value.line, info.value.column) == (6, SET_COLUMN)
    one = load_dataset(_labelled_folder(tmp_path / "o", np.array(["friendly"] * 45), sets))
    with pytest.raises(BenchmarkError, match="one label only") as info:
        transfer_benchmark(one, {"x": good})
    assert info.value.column == LABEL_COLUMN
    nomain = load_dataset(_labelled_folder(tmp_path / "m", labels,
                                           np.array([GENERALIZATION_SET] * 45)))
    with pytest.raises(BenchmarkError, match="no 'main' videos"):
        transfer_benchmark(nomain, {"x": good}, protocol="paper")


def test_a_finetuned_runs_features_are_its_merged_encoders(video_benchmark, tmp_path, cache) -> None:
    """``aligned_features`` (the run's encoder, adapters in, by ``load_aligned``) equals the
    merged backbone's pooled features (``Run.load_merged``), and differs from the pretrained
    backbone's (``embed``)."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from socalign.analyses.retention import embed_clip_files
    from socalign.analyses.transfer import aligned_features, backbone_embeddings, is_finetuned
    from socalign.cli import main
    from socalign.train.runs import Run
    from tests.helpers.fixtures import finetune_args

    bench, backbone = video_benchmark
    run = tmp_path / "run"
    assert main(finetune_args(bench, backbone, run, "--trainer", "fast", "--loss", "hybrid")) == 0
    assert is_finetuned(run) and not is_finetuned(backbone)
    benchmark = load_dataset(bench)
    ours = aligned_features(benchmark, run, batch_size=5)
    merged = embed_clip_files(benchmark.videos.files, Run.open(run).load_merged())
    np.testing.assert_allclose(ours, merged, rtol=1e-4, atol=1e-4)
    assert np.array_equal(backbone_embeddings(benchmark, str(run)), ours)
    pretrained = backbone_embeddings(benchmark, str(backbone))
    assert pretrained.shape == ours.shape and not np.allclose(pretrained, ours, atol=1e-3)


@pytest.mark.parametrize(("low", "high", "words"), [
    (0.40, 0.55, "above chance"),
    (0.35, 0.55, "above 1/3 but not above the majority-class share 0.37"),
    (0.30, 0.55, "not distinguishable from chance"),
    (0.10, 0.30, "below chance"),
    (float("nan"), float("nan"), "no interval (no resamples)"),
])
def test_the_words_against_chance_follow_the_interval(low, high, words) -> None:
    from socalign.analyses.transfer import _versus_chance

    assert _versus_chance(low, high, 1 / 3, 0.37) == words
