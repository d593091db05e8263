"""A claim states its size against the baseline and, when nothing is detected, what could be."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.text import claim, direction, relative_size


def test_relative_size_examples() -> None:
    assert relative_size(-0.132, 0.421) == "−31.4% of the baseline 0.421"
    assert relative_size(0.0039, 0.096) == "+4.06% of the baseline 0.0960"
    assert relative_size(0.1, None) == ""
    assert relative_size(0.1, 0.0) == ""
    assert relative_size(0.1, float("nan")) == ""
    assert relative_size(0.1, -0.002) == ""  # a negative baseline (a suppressed shared part)


def test_claim_prints_size_and_detectable_change() -> None:
    text = claim(-0.132, -0.30, 0.03, unit="test clips", baseline=0.421, detectable=0.236)
    assert text.startswith("did not change detectably (-0.132; 95% interval -0.300 to 0.030")
    assert "−31.4% of the baseline 0.421" in text
    assert text.endswith("the smallest change this test could detect: 0.236)")
    risen = claim(0.0039, 0.001, 0.007, baseline=0.096, detectable=0.004)
    assert risen.startswith("rose by 0.00390") and "+4.06% of the baseline" in risen
    assert "smallest change" not in risen  # only beside a verdict of no change


def test_claim_without_the_new_arguments_is_unchanged() -> None:
    assert claim(0.06, 0.02, 0.10, unit="videos") == (
        "rose by 0.060 (95% interval 0.020 to 0.100, resampling videos)")


finite = st.floats(-10, 10, allow_nan=False)


@given(finite, finite, finite, st.floats(0.01, 10), st.floats(0.001, 5))
@settings(max_examples=200, deadline=None)
def test_words_follow_the_interval_and_detectability_follows_the_words(
        estimate: float, a: float, b: float, baseline: float, detectable: float) -> None:
    low, high = min(a, b), max(a, b)
    text = claim(estimate, low, high, baseline=baseline, detectable=detectable)
    way = direction(low, high)
    expected = {"up": "rose by", "down": "fell by", "none": "did not change detectably"}[way]
    assert text.startswith(expected)
    assert ("smallest change this test could detect" in text) == (way == "none")
    assert "of the baseline" in text
    # one parenthesis, no nesting: the book's claim checker reads the interval inside it
    assert re.fullmatch(r"[^()]*\([^()]*\)", text)
