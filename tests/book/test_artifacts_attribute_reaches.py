"""attribute_reaches: chapter 2's table of what the rated attributes and the captions reach."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tests.helpers.tables import stub_gap


def test_one_row_per_rated_benchmark_and_the_papers_recorded_row(rated_world) -> None:
    from socalign.analyses.gap import model_embeddings
    from socalign.book.artifacts import attribute_reaches
    from socalign.data.socialworld.calibration import (
        GARCIA2025_ATTRIBUTES,
        GARCIA2025_CAPTIONS,
        attribute_reach,
    )

    gap = {"SocialWorld": stub_gap({"tfidf": "language", "toy": "video"})}
    table = attribute_reaches({"SocialWorld": rated_world}, gap)
    assert list(table.index) == ["SocialWorld", "garcia2025 (recorded)"]
    assert list(table.columns) == ["eight rated attributes alone", "tfidf", "minilm"]
    own = attribute_reach(rated_world, "train", captions={"tfidf": model_embeddings(rated_world, "tfidf")})["share"]
    assert table.loc["SocialWorld", "eight rated attributes alone"] == own["attributes"]
    assert table.loc["SocialWorld", "tfidf"] == own["tfidf"]
    assert np.isnan(table.loc["SocialWorld", "minilm"])  # not measured by its gap table
    paper = GARCIA2025_CAPTIONS["train"]
    assert table.loc["garcia2025 (recorded)", "eight rated attributes alone"] == pytest.approx(
        GARCIA2025_ATTRIBUTES["train"] / paper["r2_ceiling"])
    assert table.loc["garcia2025 (recorded)", "minilm"] == pytest.approx(paper["minilm"] / paper["r2_ceiling"])


def test_a_benchmark_without_the_ratings_has_no_row(rated_world) -> None:
    from socalign.book.artifacts import attribute_reaches

    unrated = SimpleNamespace(name="other", videos=SimpleNamespace(ratings={}),
                              split_trials=lambda split: rated_world.split_trials(split))
    table = attribute_reaches({"other": unrated}, {"other": stub_gap({})})
    assert list(table.index) == ["garcia2025 (recorded)"]
