"""Pages name their data: the data line, table captions and dataset labels."""

from __future__ import annotations

import pandas as pd
import pytest

from socalign.book import data_caption, data_line, dataset_label, seed_claims
from socalign.book.chapter import DATASET_KINDS


class Videos:
    def __init__(self, has_files: bool) -> None:
        self.has_files = has_files


class Bench:
    def __init__(self, name: str, has_files: bool = True) -> None:
        self.name = name
        self.videos = Videos(has_files)


@pytest.fixture
def kinds(monkeypatch):
    monkeypatch.setattr("socalign.analyses.gap.is_socialworld", lambda b: b.name == "SocialWorld")


def test_labels_say_synthetic_and_real(kinds) -> None:
    assert dataset_label(Bench("SocialWorld")) == f"SocialWorld ({DATASET_KINDS['socialworld']})"
    assert "synthetic" in dataset_label(Bench("SocialWorld"))
    real = dataset_label(Bench("garcia2025", has_files=False))
    assert "real" in real and "no videos" in real
    assert "your own" in dataset_label(Bench("mine"))


def test_data_line_and_caption_name_every_benchmark(kinds) -> None:
    both = {"SocialWorld": Bench("SocialWorld"), "garcia2025": Bench("garcia2025", False)}
    html = data_line(both, "side by side").data
    assert 'class="socalign-data"' in html and "SocialWorld" in html and "garcia2025" in html
    assert html.index("SocialWorld") < html.index("garcia2025")
    assert data_caption(both, "ceilings").endswith(": ceilings")
    assert data_caption([Bench("SocialWorld")]) == dataset_label(Bench("SocialWorld"))


def test_data_line_writes_a_label_as_given_and_escaped(kinds) -> None:
    html = data_line(["SocialWorld world 0 <simulated>", Bench("mine")], "studies").data
    assert "<strong>SocialWorld world 0 &lt;simulated&gt;</strong> and <strong>mine (" in html
    assert "(studies)" in html


def test_seed_claims_carry_size_and_power() -> None:
    class Gains:
        seeds, gains, lows, highs, before = (0, 1), (0.05, 0.01), (0.02, -0.03), (0.08, 0.05), 0.2

    text = seed_claims(Gains())
    assert text.startswith("seed 0: rose by 0.050") and "+25.0% of the baseline 0.200" in text
    assert "seed 1: did not change detectably" in text and "smallest change this test could detect" in text


def test_style_frame_puts_cited_columns_first_with_a_caption() -> None:
    from socalign.book import style_frame

    frame = pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]})
    styled = style_frame(frame, caption="SocialWorld (synthetic)", first=["c", "a"])
    assert list(styled.data.columns) == ["c", "a", "b"]
    assert "SocialWorld (synthetic)" in styled.to_html()
    with pytest.raises(KeyError, match="no column"):
        style_frame(frame, first=["z"])
