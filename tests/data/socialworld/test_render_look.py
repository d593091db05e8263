"""SocialWorld's looks: the default look unchanged, the held-out "phase" look drawn as PHASE's room."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.phase.render import landmark_colours
from socalign.data.socialworld.generator import stream
from socalign.data.socialworld.render import (
    LOOKS,
    PHASE_COLOURS,
    check_look,
    phase_room,
    render_frames,
    sample_appearance,
)
from socalign.data.socialworld.scenes import frame_times

SIZE = 64


def test_the_default_look_draws_as_before() -> None:
    """Leaving the look out draws the same appearance, in SocialWorld's look."""
    a = sample_appearance(stream(5, "looks", 3))
    b = sample_appearance(stream(5, "looks", 3), "socialworld")
    assert a == b
    assert a.look == "socialworld" and LOOKS[0] == "socialworld"


def test_unknown_look_is_refused_naming_the_option() -> None:
    with pytest.raises(ValueError, match=r"--look must be one of \['socialworld', 'phase'\], got 'cartoon'"):
        check_look("cartoon")
    with pytest.raises(ValueError, match="--look"):
        sample_appearance(np.random.default_rng(0), "cartoon")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_phase_room_has_phase_walls_landmarks_and_white_floor(seed: int) -> None:
    """Any phase-look video: black outer walls, PHASE's four landmark colours in the corners (in
    some order), white in the middle."""
    app = sample_appearance(np.random.default_rng(seed), "phase")
    img = phase_room(app, SIZE)
    assert img.shape == (SIZE, SIZE, 3)
    # the wall ring is at 0.5/21 of the frame from each edge: pixel 1 at 64 px
    assert np.all(img[1, 2:-2] == 0) and np.all(img[2:-2, 1] == 0)
    assert np.all(img[SIZE // 2, SIZE // 2] == 1.0)
    corners = [img[5, 5], img[5, -6], img[-6, -6], img[-6, 5]]
    expected = {tuple(np.round(np.asarray(c) / 255, 6)) for c in landmark_colours()}
    assert {tuple(np.round(c, 6)) for c in corners} == expected


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_phase_look_agents_are_plain_circles_in_phase_colours(seed: int) -> None:
    """The agents are red and green (either way round), with no eye dot; the distractor light
    blue or pink; no texture and no brightness change."""
    app = sample_appearance(np.random.default_rng(seed), "phase")
    assert set(app.colours[:2]) == {"red", "green"}
    assert app.colours[2] in ("light_blue", "pink")
    assert app.shapes == ("circle", "circle", "circle") and app.brightness == 1.0
    assert app.texture == "plain"
    pos = np.array([[[0.35, 0.5], [0.65, 0.5]]] * 2)
    frames = render_frames(app, pos, np.zeros((2, 2)), frame_times(2), SIZE)
    for k in range(2):
        want = np.round(np.asarray(PHASE_COLOURS[app.colours[k]]) * 255)
        cx = int(pos[0, k, 0] * SIZE)
        # the centre and where the eye dot would be (0.55 radii ahead) both show the agent colour
        eye = int((pos[0, k, 0] + 0.55 * app.sizes[k]) * SIZE)
        for x in (cx, eye):
            assert np.array_equal(frames[0, SIZE // 2, x], want), (k, x)


def test_socialworld_look_keeps_its_eye_dot() -> None:
    """The default look draws the eye dot, so the check above can fail."""
    app = sample_appearance(stream(0, "looks", 0))
    pos = np.array([[[0.35, 0.5], [0.65, 0.5]]] * 2)
    frames = render_frames(app, pos, np.zeros((2, 2)), frame_times(2), SIZE)
    eye = int((0.35 + 0.55 * app.sizes[0]) * SIZE)
    assert not np.array_equal(frames[0, SIZE // 2, eye], frames[0, SIZE // 2, int(0.35 * SIZE) - 1])
