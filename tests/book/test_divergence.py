"""The divergence box: decided from the values, glued, shown only when the build differs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.book import divergence as div
from socalign.text import direction


@pytest.fixture
def glued(monkeypatch):
    store: dict = {}
    monkeypatch.setattr("socalign.book.chapter.glue", lambda **values: store.update(values))
    return store


def test_direction_differs_examples() -> None:
    assert not div.direction_differs(0.06, 0.01, 0.2)  # both rose
    assert div.direction_differs(0.06, -0.01, 0.2)  # the paper rose, the build cannot tell
    assert div.direction_differs(0.06, -0.2, -0.01)  # opposite
    assert not div.direction_differs(-0.05, -0.2, -0.01)


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
@settings(max_examples=200, deadline=None)
def test_direction_differs_is_the_direction_rule(paper: float, a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    sign = "up" if paper > 0 else "down" if paper < 0 else "none"
    assert div.direction_differs(paper, low, high) == (direction(low, high) != sign)


def test_winner_and_ordering() -> None:
    paper = {"hybrid": 0.16, "triplet": 0.14, "rsa": 0.12}
    assert not div.winner_differs(paper, {"hybrid": 0.3, "triplet": 0.2, "rsa": 0.1})
    assert div.winner_differs(paper, {"hybrid": 0.2, "triplet": 0.3, "rsa": 0.1})
    assert div.ordering_differs(paper, {"hybrid": 0.3, "triplet": 0.1, "rsa": 0.2})
    assert not div.ordering_differs(paper, {"hybrid": 0.3, "triplet": 0.2, "rsa": 0.1, "x": 9})
    with pytest.raises(ValueError):
        div.winner_differs(paper, {"hybrid": 0.1})


@given(st.dictionaries(st.sampled_from("abcde"), st.floats(-1, 1), min_size=2))
@settings(max_examples=100, deadline=None)
def test_same_scores_never_differ(scores: dict) -> None:
    if len(set(scores.values())) == len(scores):  # ties may order either way
        assert not div.winner_differs(scores, dict(scores))
        assert not div.ordering_differs(scores, dict(scores))


def test_box_is_glued_and_shown_only_when_it_differs(glued) -> None:
    shown = div.divergence("r2_gain", topic="R² gain", paper="rose 10.2 → 16.2",
                           build="no detectable change", why="a toy <model>", differs=True)
    assert glued == {"divergence_r2_gain": True}
    html = shown.html()
    assert div.BOX_CLASS in html and 'id="divergence-r2_gain"' in html
    assert "rose 10.2 → 16.2" in html and "a toy &lt;model&gt;" in html  # escaped
    quiet = div.divergence("same", topic="t", paper="p", build="b", why="w", differs=False)
    assert glued["divergence_same"] is False and quiet.html() == ""


def test_bad_key_is_refused(glued) -> None:
    with pytest.raises(ValueError):
        div.divergence("a key", topic="t", paper="p", build="b", why="w", differs=True)


@given(share=st.floats(0.0, 3.0), paper=st.floats(0.01, 3.0))
def test_the_start_against_the_paper_follows_the_two_shares(share: float, paper: float) -> None:
    """'further below' exactly when the build's share is below the paper's, and both shares are
    stated at three significant digits."""
    from socalign.book.divergence import start_against_paper

    text = start_against_paper(share, paper)
    assert (", further below it" in text) == (share < paper)
    assert ("above it" in text) == (share > 1 and share >= paper)
    assert f"{share:.3g}" in text and f"{paper:.3g}" in text
