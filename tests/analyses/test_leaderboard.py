"""The paper's leaderboard: its figures, the grouping of measured rows, the matching table, and
chapter 2's collection of rows from a gap table and fine-tuning reports (fake runs, no training).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.analyses.gap import GapResult, GapRow
from socalign.analyses.leaderboard import (
    GROUPS,
    PAPER_MATCHES,
    PAPER_V2,
    MeasuredRow,
    backbone_family,
    caption_variant,
    leaderboard,
    paper_frame,
)
from socalign.scoring import Evaluation
from socalign.text import style_frame


def evaluation_dict(r2: float, ooo: float, r2_ci=(None, None), ooo_ci=(None, None)) -> dict:
    """An ``Evaluation.to_dict`` (a report's ``before``/``after``) with the given scores."""
    def iv(stat, est, bounds, unit):
        return {"statistic": stat, "estimate": est, "low": bounds[0], "high": bounds[1],
                "level": 0.95, "unit": unit, "n_boot": 100, "n_valid": 100, "sd": 0.01,
                "p_value": None}

    ci = {}
    if r2_ci[0] is not None:
        ci["r2"] = iv("r2", r2, r2_ci, "videos")
    if ooo_ci[0] is not None:
        ci["ooo_accuracy"] = {"pair": iv("ooo accuracy (pair)", ooo, ooo_ci, "trials"),
                              "argmax": iv("ooo accuracy (argmax)", ooo - 0.2, ooo_ci, "trials")}
    return {"split": "test", "metric": "cosine", "r2": r2, "spearman": math.sqrt(abs(r2)),
            "pearson": 0.1, "ooo_accuracy": {"argmax": ooo - 0.2, "pair": ooo},
            "chance": {"argmax": 1 / 3, "pair": 0.5}, "n_pairs": 28, "n_trials": 200,
            "n_videos": 8, "ci": ci}


def evaluation(r2: float, ooo: float, r2_ci=(0.0, 0.1), ooo_ci=(0.5, 0.7)) -> Evaluation:
    return Evaluation.from_dict(evaluation_dict(r2, ooo, r2_ci, ooo_ci))


# --- the paper's figures ----------------------------------------------------------------------

def test_the_paper_table_has_its_rows_per_group_and_its_values() -> None:
    counts = {g: len(PAPER_V2.group(g)) for g in GROUPS}
    assert counts == {"fine-tuned": 5, "controls": 6, "captions": 4, "pretrained vision": 8}
    assert PAPER_V2.row("fine-tuned", "TimeSformer").r2 == 0.162
    assert PAPER_V2.row("fine-tuned", "TimeSformer").ooo == pytest.approx(0.7446)
    assert PAPER_V2.row("controls", "TimeSformer RSA-only").ooo == pytest.approx(0.6386)
    assert PAPER_V2.row("captions", "MiniLM").r2 == 0.121
    assert PAPER_V2.row("pretrained vision", "V-JEPA 1 L").ooo == pytest.approx(0.576)
    assert (PAPER_V2.rule, PAPER_V2.n_triplets, PAPER_V2.r2_ceiling) == ("pair", 368, 0.213)
    assert PAPER_V2.video_unique_r2 == (0.02, 0.04)
    assert all(0.5 < r.ooo < 0.8 and 0 < r.r2 < 0.2 for r in PAPER_V2.rows)  # fractions
    with pytest.raises(KeyError, match="MiniLM"):
        PAPER_V2.row("captions", "GPT")
    frame = paper_frame()
    assert list(frame.index.get_level_values("group").unique()) == list(GROUPS)
    assert len(frame) == 23


def test_every_match_points_at_a_row_of_the_paper() -> None:
    for (group, _, _), match in PAPER_MATCHES.items():
        assert group in GROUPS
        PAPER_V2.row(match.group, match.model)  # raises when absent
    distilled = PAPER_MATCHES[("controls", "timesformer", "distilled")]
    assert "no TimeSformer" in distilled.note


def test_families_and_caption_keys() -> None:
    assert backbone_family("toy") == "timesformer"
    assert backbone_family("facebook/timesformer-base-finetuned-k400") == "timesformer"
    assert backbone_family("toy-clip") == "clip"
    assert backbone_family("/models/my-net/") == "my-net"
    assert caption_variant("minilm") == "minilm"
    assert caption_variant("sentence-transformers/all-MiniLM-L6-v2") == "minilm"
    assert caption_variant("sentence-transformers/paraphrase-multilingual-mpnet-base-v2") == "mpnet"
    assert caption_variant("tfidf") == "tfidf"


# --- the table ---------------------------------------------------------------------------------

def demo_rows() -> list[MeasuredRow]:
    return [
        MeasuredRow.from_evaluation("pretrained vision", "toy TimeSformer", "timesformer",
                                    evaluation(0.03, 0.60, (0.001, 0.09), (0.55, 0.65))),
        MeasuredRow.from_evaluation("captions", "tfidf", "caption",  # no intervals
                                    evaluation(0.15, 0.61, (None, None), (None, None)),
                                    variant="tfidf"),
        MeasuredRow.from_evaluation("captions", "minilm", "caption",
                                    evaluation_dict(0.12, 0.65, (0.05, 0.2), (0.6, 0.7)),
                                    variant="minilm"),
        MeasuredRow.from_seeds("controls", "toy TimeSformer (RSA-only)", "timesformer",
                               {0: evaluation(0.05, 0.6), 1: evaluation(0.07, 0.62)},
                               variant="rsa"),
        MeasuredRow.from_seeds("fine-tuned", "toy TimeSformer (hybrid)", "timesformer",
                               {0: evaluation_dict(0.08, 0.66, (0.02, 0.15), (0.6, 0.72)),
                                1: evaluation_dict(0.06, 0.64, (0.01, 0.12), (0.58, 0.70)),
                                2: evaluation_dict(0.04, 0.65, (0.00, 0.10), (0.59, 0.71))},
                               variant="hybrid"),
    ]


def test_rows_follow_the_papers_group_order_and_carry_their_intervals() -> None:
    board = leaderboard(demo_rows(), dataset="SocialWorld", synthetic=True,
                        r2_ceiling=(0.2, 0.15, 0.25))
    groups = [r.measured.group for r in board.rows]
    assert groups == ["fine-tuned", "controls", "captions", "captions", "pretrained vision"]
    assert [r.measured.model for r in board.group("captions")] == ["tfidf", "minilm"]  # by R²
    hybrid = board.group("fine-tuned")[0]
    assert hybrid.paper == PAPER_V2.row("fine-tuned", "TimeSformer")
    m = hybrid.measured
    assert m.r2 == pytest.approx(0.06) and m.ooo == pytest.approx(0.65)
    assert (m.r2_low, m.r2_high) == pytest.approx((0.01, 0.12333333))  # mean of the seeds' bounds
    assert (m.ooo_low, m.ooo_high) == pytest.approx((0.59, 0.71))
    assert m.seeds == (0, 1, 2) and m.r2_spread == pytest.approx((0.04, 0.08))
    pre = board.group("pretrained vision")[0].measured
    assert (pre.r2_low, pre.r2_high, pre.ooo_low, pre.ooo_high) == (0.001, 0.09, 0.55, 0.65)
    frame = board.to_frame()
    assert frame.loc[frame["model"] == "minilm", "paper_r2"].item() == 0.121
    assert frame.loc[frame["model"] == "minilm", "r2_low"].item() == 0.05
    shown = board.display_frame()
    assert shown.loc[("fine-tuned", "toy TimeSformer (hybrid)"), "R² [95% CI]"] == \
        "0.060 [0.010, 0.123]"
    assert shown.loc[("fine-tuned", "toy TimeSformer (hybrid)"), "R² over seeds"] == \
        "0.0400 to 0.0800"
    assert shown.loc[("fine-tuned", "toy TimeSformer (hybrid)"), "seeds"] == 3
    ceiling = board.ceiling_frame()
    assert list(ceiling["R² ceiling"]) == ["0.200 [0.150, 0.250]", "0.213"]
    out = json.loads(json.dumps(board.to_dict()))
    assert out["rule"] == "pair" and out["paper"]["n_triplets"] == 368
    assert out["rows"][0]["paper"]["model"] == "TimeSformer"


def test_a_row_without_a_counterpart_has_an_empty_paper_cell() -> None:
    board = leaderboard(demo_rows())
    tfidf = next(r for r in board.rows if r.measured.model == "tfidf")
    assert tfidf.paper is None and tfidf.note == ""
    frame = board.to_frame().set_index("model")
    assert pd.isna(frame.loc["tfidf", "paper_model"]) and math.isnan(frame.loc["tfidf", "paper_r2"])
    shown = board.display_frame()
    assert pd.isna(shown.loc[("captions", "tfidf"), "paper's row"])
    html = style_frame(shown).to_html()  # the page shows an empty cell, not "nan" or "None"
    assert "nan" not in html and "None" not in html
    # a single evaluation without intervals: the estimate alone, no seeds
    assert shown.loc[("captions", "tfidf"), "R² [95% CI]"] == "0.150"
    assert shown.loc[("captions", "tfidf"), "R² over seeds"] == ""
    assert "note" not in shown.columns  # no row has a note


def test_unknown_groups_and_uneven_seeds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown group"):
        MeasuredRow.from_evaluation("oracle", "oracle", "oracle", evaluation(0.5, 0.9))
    with pytest.raises(ValueError, match="one entry per seed"):
        MeasuredRow("controls", "x", "timesformer", "rsa", 0.1, 0, 0.2, 0.6, 0.5, 0.7,
                    seeds=(0, 1), r2_by_seed=(0.1,), ooo_by_seed=(0.6,))
    with pytest.raises(ValueError, match="no seeds"):
        MeasuredRow.from_seeds("controls", "x", "timesformer", {})


measured_rows = st.builds(
    lambda group, model, r2, ooo: MeasuredRow(group, model, "timesformer", None, r2,
                                              float("nan"), float("nan"), ooo,
                                              float("nan"), float("nan")),
    st.sampled_from(GROUPS), st.text(min_size=0, max_size=6),
    st.one_of(st.floats(-1, 1), st.just(float("nan"))), st.floats(0, 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(measured_rows, max_size=12), st.booleans())
def test_the_builder_never_drops_or_duplicates_a_row(rows, sort) -> None:
    board = leaderboard(rows, sort=sort)
    got = [r.measured for r in board.rows]
    assert len(got) == len(rows)
    assert sorted(map(id, got)) == sorted(map(id, rows))
    order = [GROUPS.index(m.group) for m in got]
    assert order == sorted(order)
    if not sort:  # within a group the given order is kept
        for group in GROUPS:
            assert [m for m in got if m.group == group] == [m for m in rows if m.group == group]


# --- chapter 2's rows, from a gap table and fake runs ------------------------------------------

def test_chapter_rows_from_the_gap_table_and_the_runs(tmp_path) -> None:
    from socalign.book.leaderboard import leaderboard_rows
    from socalign.profiles import profile_settings
    from socalign.train.runfiles import REPORT_FILE

    settings_ = profile_settings("ci", seeds=[0, 1])
    gap = GapResult("test", "cosine", tuple(
        GapRow(name, kind, evaluation(r2, 0.6))
        for name, kind, r2 in (("pixel", "baseline", 0.01), ("toy", "video", 0.03),
                               ("tfidf", "language", 0.15), ("minilm", "language", 0.12),
                               ("oracle", "oracle", 0.6))), {}, {}, 100)
    asked = []

    def find_run(settings, root, loss, seed):
        asked.append((settings.video_model, loss, seed))
        folder = tmp_path / f"{settings.video_model}-{loss}-{seed}"
        folder.mkdir()
        gain = 0.01 * (seed + 1) + (0.02 if settings.video_model == "toy-clip" else 0)
        report = {"dataset": str(root), "backbone": settings.video_model, "split": "test",
                  "config": {}, "before": evaluation_dict(0.02, 0.55, (0.0, 0.05), (0.5, 0.6)),
                  "after": evaluation_dict(0.03 + gain, 0.6, (0.01, 0.1), (0.55, 0.65)),
                  "gain": {}, "training": {}}
        (folder / REPORT_FILE).write_text(json.dumps(report))
        return folder

    rows = leaderboard_rows(settings_, tmp_path, gap, losses=("hybrid", "rsa", "distilled"),
                            backbones={"timesformer": "toy", "clip": "toy-clip"},
                            find_run=find_run)
    names = [(r.group, r.model) for r in rows]
    assert ("captions", "tfidf") in names and ("pretrained vision", "toy TimeSformer") in names
    assert not any(m in ("pixel", "oracle") for _, m in names)
    assert ("fine-tuned", "toy CLIP (hybrid)") in names
    assert ("controls", "toy TimeSformer (language-distilled)") in names
    # the profile's own family: every loss; another family: hybrid and distilled only
    assert len(asked) == (3 + 2) * 2  # (own losses + other family's) x seeds
    assert ("toy-clip", "rsa", 0) not in asked and ("toy-clip", "distilled", 1) in asked
    clip_pre = next(r for r in rows if r.model == "toy CLIP" and r.group == "pretrained vision")
    assert clip_pre.r2 == 0.02 and "before fine-tuning" in clip_pre.note
    hybrid = next(r for r in rows if r.model == "toy TimeSformer (hybrid)")
    assert hybrid.seeds == (0, 1) and hybrid.r2 == pytest.approx(0.045)
    board = leaderboard(rows, dataset="SocialWorld", synthetic=True)
    by_model = {r.measured.model: r for r in board.rows}
    assert by_model["toy CLIP (hybrid)"].paper.model == "CLIP B/32"
    assert by_model["toy CLIP"].paper.model == "CLIP"
    assert by_model["toy TimeSformer (RSA-only)"].paper.model == "TimeSformer RSA-only"
    distilled = by_model["toy TimeSformer (language-distilled)"]
    assert distilled.paper.model == "V-JEPA 2.1 language-distilled"
    assert "no TimeSformer" in distilled.note
    assert "no TimeSformer" in board.display_frame().loc[
        ("controls", "toy TimeSformer (language-distilled)"), "note"]
    assert "toy CLIP (RSA-only)" not in by_model  # another family runs hybrid and distilled only
    # no runs without a benchmark to fine-tune on: the gap rows only
    assert len(leaderboard_rows(settings_, None, gap, find_run=find_run)) == 3
