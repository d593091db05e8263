"""Captions that share what a video calls up in everyone who describes it (``p_gist``)."""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.socialworld.attributes import SOCIAL_ATTRIBUTES
from socalign.data.socialworld.calibration import caption_agreement
from socalign.data.socialworld.captions import ACTIONS, make_captions
from socalign.data.socialworld.render import sample_appearance
from socalign.models.language import encode_captions

CALM = {**dict.fromkeys(SOCIAL_ATTRIBUTES, 0.5), "arousal": 0.1}


def _pattern(wording: str) -> re.Pattern[str]:
    return re.compile(re.escape(wording.lower()).replace(r"\{a\}", ".+").replace(r"\{b\}", ".+"))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), interaction=st.sampled_from(sorted(ACTIONS)))
def test_no_gist_draws_exactly_the_captions_of_before(seed: int, interaction: str) -> None:
    app = sample_appearance(np.random.default_rng(seed))
    before = make_captions(interaction, CALM, app, np.random.default_rng(seed), n_captions=6)
    assert make_captions(interaction, CALM, app, np.random.default_rng(seed), n_captions=6, p_gist=0.0) == before


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), interaction=st.sampled_from(sorted(ACTIONS)))
def test_a_full_gist_words_the_action_in_at_most_two_ways(seed: int, interaction: str) -> None:
    """With p_gist = 1 every caption that names the video's own action uses one of the two
    wordings it calls up, and every caption that names the agents names them alike."""
    app = sample_appearance(np.random.default_rng(seed))
    caps = make_captions(interaction, CALM, app, np.random.default_rng(seed), n_captions=30, p_gist=1.0,
                         p_confuse=0.0, p_vague=0.0, p_relation=0.0)
    from socalign.data.socialworld.captions import _gist

    gist = _gist(interaction, CALM, app, np.random.default_rng(seed), 0.8, 1.0)  # make_captions' first draws
    assert all(any(_pattern(w).match(c) for w in gist.wordings) for c in caps)
    a, b = gist.agents
    names = (a, b) if a != b else ("one " + a.split(" ", 1)[-1], "the other")
    assert all(names[0] in c and names[1] in c for c in caps)


def test_captions_agree_more_within_a_video_under_a_larger_gist() -> None:
    rng = np.random.default_rng(0)
    videos = [(str(rng.choice(sorted(ACTIONS))), sample_appearance(rng)) for _ in range(30)]

    def agreement(p_gist: float) -> float:
        captions = [make_captions(kind, CALM, app, np.random.default_rng(i), n_captions=6, p_gist=p_gist)
                    for i, (kind, app) in enumerate(videos)]
        return caption_agreement(captions, partial(encode_captions, model="tfidf"))["agreement"]

    none, half, full = agreement(0.0), agreement(0.5), agreement(1.0)
    assert none < half < full


@pytest.mark.parametrize("p_gist", [-0.1, 1.5])
def test_a_gist_outside_zero_to_one_is_refused(p_gist: float) -> None:
    app = sample_appearance(np.random.default_rng(0))
    with pytest.raises(ValueError, match="p_gist"):
        make_captions("chase", CALM, app, np.random.default_rng(0), p_gist=p_gist)
