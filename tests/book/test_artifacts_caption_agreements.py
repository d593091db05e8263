"""caption_agreements: chapter 2's table of how far a video's captions agree."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np

from tests.helpers.tables import stub_gap


def test_one_row_per_captioned_benchmark_and_the_papers_recorded_row(rated_world) -> None:
    from socalign.book.artifacts import caption_agreements
    from socalign.data.socialworld.calibration import (
        GARCIA2025_CAPTION_AGREEMENT,
        caption_agreement,
    )
    from socalign.models.language import encode_captions

    gap = {"SocialWorld": stub_gap({"tfidf": "language", "toy": "video"})}
    table = caption_agreements({"SocialWorld": rated_world}, gap)
    assert list(table.index) == ["SocialWorld", "garcia2025 (recorded)"]
    assert list(table.columns) == list(GARCIA2025_CAPTION_AGREEMENT)
    own = caption_agreement(rated_world.videos.captions, partial(encode_captions, model="tfidf"))["agreement"]
    assert table.loc["SocialWorld", "tfidf"] == own
    assert np.isnan(table.loc["SocialWorld", "minilm"])  # not measured by its gap table
    assert table.loc["garcia2025 (recorded)"].to_dict() == GARCIA2025_CAPTION_AGREEMENT


def test_a_benchmark_with_one_caption_a_video_has_no_row() -> None:
    from socalign.book.artifacts import caption_agreements

    single = SimpleNamespace(name="other", videos=SimpleNamespace(captions=tuple(("one",) for _ in range(5))))
    table = caption_agreements({"other": single}, {"other": stub_gap({})})
    assert list(table.index) == ["garcia2025 (recorded)"]
