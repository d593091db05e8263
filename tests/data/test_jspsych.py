"""jsPsych timelines: one per participant, in trial order, and responses map back to choices."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.jspsych import FORMAT, PLUGIN, choices_from_responses, timelines, video_html
from socalign.data.schedule import StudyVideos, plan_schedule, study_videos


def test_one_timeline_per_participant_in_trial_order() -> None:
    s = plan_schedule(10, 4, 20, 2, 0.3, 0)
    files = timelines(s.table, study_videos("10"))
    assert sorted(files) == [f"participant_{p}.json" for p in range(4)]
    for name, tl in files.items():
        p = int(name.split("_")[1].split(".")[0])
        rows = s.table[s.table["participant"] == p].sort_values("trial")
        assert tl["format"] == FORMAT and tl["participant"] == p
        assert [e["data"]["trial"] for e in tl["timeline"]] == rows["trial"].tolist()
        assert [e["data"]["kind"] for e in tl["timeline"]] == rows["kind"].tolist()
        assert all(e["plugin"] == PLUGIN and len(e["choices"]) == 3 for e in tl["timeline"])
        json.loads(json.dumps(tl))  # plain JSON


@settings(max_examples=20, deadline=None)
@given(responses=st.lists(st.integers(0, 2), min_size=20, max_size=20))
def test_the_pressed_button_is_the_video_in_that_position(responses) -> None:
    s = plan_schedule(8, 2, 20, 1, 0.3, 3)
    tl = timelines(s.table, study_videos("8"))["participant_0.json"]
    rows = s.table[s.table["participant"] == 0].sort_values("trial")
    shown = rows[["video_1", "video_2", "video_3"]].to_numpy()
    assert choices_from_responses(tl, responses) == [int(shown[k, r]) for k, r in enumerate(responses)]


def test_bad_responses_are_named() -> None:
    tl = timelines(plan_schedule(5, 1, 10, 0, 0.0, 0).table, study_videos("5"))["participant_0.json"]
    n = len(tl["timeline"])
    with pytest.raises(ValueError, match="responses for"):
        choices_from_responses(tl, [0])
    with pytest.raises(ValueError, match="trial 0: response 3"):
        choices_from_responses(tl, [3] * n)


def test_video_sources_are_escaped_and_use_the_files() -> None:
    assert '&quot;' in video_html('a".mp4') and '"a".mp4' not in video_html('a".mp4')
    videos = StudyVideos(["a", "b", "c"], ["clips/a.webm", None, "c.mp4"])
    table = plan_schedule(3, 1, 2, 0, 0.0, 0).table
    choices = " ".join(timelines(table, videos, "v/")["participant_0.json"]["timeline"][0]["choices"])
    assert "v/clips/a.webm" in choices and "v/b.mp4" in choices and "v/c.mp4" in choices
