"""Numbers and words on pages: significant digits, intervals and claims that follow them."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from socalign import text


def test_doctests() -> None:
    assert doctest.testmod(text).failed == 0


@pytest.mark.parametrize(("value", "shown"), [
    (0.333631, "0.334"), (174.013905, "174"), (1e8, "1e+08"), (100000000.0, "1e+08"),
    (12345, "12,345"), (np.int64(7), "7"), (0.0432, "0.0432"), (-0.000011, "-1.1e-05"),
    (2.5, "2.50"), (1234.5, "1230"), (0.99996, "1.00"), (123456.7, "1.23e+05"), (0.0005, "0.0005"), (float("nan"), ""), (None, ""), ("tfidf", "tfidf"),
    (0.0, "0"), (np.float64(0.5), "0.500"), (True, "True"),
])
def test_sig_shows_three_significant_digits(value, shown) -> None:
    assert text.sig(value) == shown


def test_interval_takes_the_decimals_of_its_largest_bound() -> None:
    assert text.interval(0.044, 0.007, 0.122) == "0.044 [0.007, 0.122]"
    assert text.interval(0.0256, 0.0101, 0.0482) == "0.0256 [0.0101, 0.0482]"
    assert text.interval(0.5, float("nan"), 1.0) == "0.500"


@pytest.mark.parametrize(("low", "high", "way"), [
    (0.01, 0.2, "up"), (-0.2, -0.01, "down"), (-0.01, 0.2, "none"),
    (0.0001, 0.0004, "none"),  # both bounds round to 0.000
    (0.000011, 0.0318, "none"),  # the lower bound prints as 0.000
    (float("nan"), 1.0, "none"), (0.0027, 0.124, "up"),
])
def test_direction_needs_the_whole_interval_on_one_side(low, high, way) -> None:
    assert text.direction(low, high) == way


def test_claim_words_follow_the_interval() -> None:
    assert text.claim(0.06, 0.02, 0.10, unit="videos") == (
        "rose by 0.060 (95% interval 0.020 to 0.100, resampling videos)")
    assert text.claim(-0.05, -0.09, -0.01, p_value=0.004) == (
        "fell by 0.0500 (95% interval -0.0900 to -0.0100, p = 0.004)")
    assert text.claim(0.0609, -0.0066, 0.164).startswith("did not change detectably (0.061;")
    higher = text.claim(0.131, 0.04, 0.22, up="was higher by", down="was lower by",
                        none="did not differ detectably")
    assert higher.startswith("was higher by 0.131")


def test_style_frame_formats_every_number() -> None:
    frame = pd.DataFrame({"model": ["a", "b"], "r2": [0.333631, np.nan], "n": [12345, 7]})
    html = text.style_frame(frame, hide_index=True).to_html()
    assert "0.334" in html and "12,345" in html and "0.333631" not in html and "nan" not in html


def test_settings_frame_flattens_and_truncates_nothing() -> None:
    frame = text.settings_frame({"lr": 0.002, "loss": {"margin": 0.2, "kind": "hybrid"},
                                 "seeds": (0, 1, 2), "targets": ["qkv", "proj"]})
    assert frame.to_dict()["value"] == {"lr": "0.002", "loss.margin": "0.2",
                                        "loss.kind": "hybrid", "seeds": "0, 1, 2",
                                        "targets": "qkv, proj"}


@pytest.mark.parametrize(("words", "joined"), [(["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")])
def test_join_words_lists_as_a_sentence_does(words, joined) -> None:
    assert text.join_words(iter(words)) == joined


def test_join_words_refuses_nothing_to_join() -> None:
    with pytest.raises(ValueError, match="at least one"):
        text.join_words([])
