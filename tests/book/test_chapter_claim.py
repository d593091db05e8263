"""The book's claim adds the smallest detectable change beside every verdict of no change."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.book import claim
from socalign.metrics.detectable import detectable_change, se_from_interval
from socalign.text import sig


def test_no_change_names_the_smallest_detectable_change() -> None:
    text = claim(-0.132, -0.30, 0.03, baseline=0.421, unit="test clips")
    expected = sig(detectable_change(se_from_interval(-0.30, 0.03)))
    assert text.endswith(f"the smallest change this test could detect: {expected})")
    assert "−31.4% of the baseline 0.421" in text


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
@settings(max_examples=200, deadline=None)
def test_every_no_change_verdict_carries_its_power(estimate: float, a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    text = claim(estimate, low, high)
    found = re.search(r"smallest change this test could detect: ([-\d.e+]+)", text)
    assert (found is not None) == (text.startswith("did not change detectably") and high > low)
    if found and high > low:
        assert float(found[1]) == pytest.approx(detectable_change(se_from_interval(low, high)),
                                                rel=5e-3, abs=1e-12)


def test_an_interval_of_no_width_states_no_power() -> None:
    text = claim(0.0, 0.0, 0.0, baseline=0.222)
    assert text.startswith("did not change detectably") and "smallest change" not in text
