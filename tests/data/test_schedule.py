"""The study schedule: every pair covered, kinds labelled, budgets and duplicates refused."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.design import pair_counts
from socalign.data.errors import BenchmarkError
from socalign.data.schedule import (
    ScheduleError,
    cover_size,
    plan_schedule,
    read_schedule,
    schedule_summary,
    study_videos,
    write_schedule,
)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 25), extra=st.integers(0, 60), catch=st.integers(0, 3), seed=st.integers(0, 5))
def test_a_budget_that_covers_is_scheduled_with_every_pair_and_the_kinds(n, extra, catch, seed) -> None:
    per = 20 + catch
    need = cover_size(n, np.random.default_rng(seed))
    participants = max(1, math.ceil((need + extra) / (per - catch)))
    s = plan_schedule(n, participants, per, catch, 0.3, seed)
    t = s.table
    assert len(t) == participants * per
    assert (t.groupby("participant").size() == per).all()
    assert (t.groupby("participant")["trial"].apply(lambda x: sorted(x) == list(range(per)))).all()
    tri = t[["video_1", "video_2", "video_3"]].to_numpy()
    catch_rows = (tri[:, 0] == tri[:, 1]) | (tri[:, 1] == tri[:, 2]) | (tri[:, 0] == tri[:, 2])
    np.testing.assert_array_equal(catch_rows, t["kind"].to_numpy() == "catch")
    assert (t.groupby("participant")["kind"].apply(lambda k: (k == "catch").sum()) == catch).all()
    counts = pair_counts(tri[~catch_rows], n)
    assert counts[np.triu_indices(n, 1)].min() >= 1
    # The first showing of each unordered triplet is "cover", every later one "repeat".
    key = [tuple(sorted(r)) for r in tri[~catch_rows]]
    assert (t["kind"] == "cover").sum() == len(set(key))
    assert s.summary["pairs_covered"] == n * (n - 1) // 2


def test_a_budget_too_small_names_the_shortfall() -> None:
    need = cover_size(30, np.random.default_rng(0))
    with pytest.raises(ScheduleError) as err:
        plan_schedule(30, 2, 40, 2, 0.3, 0)
    msg = str(err.value)
    assert "budget too small to cover every pair" in msg
    assert f"needs {need} triplets" in msg and f"short by {need - 76} trials" in msg


@pytest.mark.parametrize(("args", "fragment"), [
    ((10, 0, 30, 2), "--participants"),
    ((10, 3, 2, 2), "must exceed the catch trials"),
    ((10, 3, 30, -1), "--catch"),
])
def test_bad_counts_are_named(args, fragment) -> None:
    with pytest.raises(ScheduleError, match=fragment):
        plan_schedule(*args)


def test_summary_counts_against_a_hand_table() -> None:
    table = pd.DataFrame({"participant": [0, 0, 1, 1], "trial": [0, 1, 0, 1],
                          "video_1": [0, 0, 0, 1], "video_2": [1, 1, 2, 1], "video_3": [2, 3, 1, 3],
                          "kind": ["cover", "cover", "repeat", "catch"]})
    s = schedule_summary(table, 4)
    assert s["pairs"] == 6 and s["pairs_covered"] == 5  # (2, 3) never shown together
    assert s["repeated_triplets"] == 1 and s["repeat_showings"] == 2
    assert s["ooo_agreement_se_max"] == pytest.approx(0.5)
    assert s["trials_by_kind"] == {"cover": 2, "repeat": 1, "catch": 1}


def test_videos_from_a_count_a_csv_and_a_folder(tmp_path) -> None:
    assert len(study_videos("12")) == 12
    csv = tmp_path / "v.csv"
    csv.write_text("file\na.mp4\nb.mp4\nc.mp4\n")
    v = study_videos(csv)
    assert v.names == ["a", "b", "c"] and v.files == ["a.mp4", "b.mp4", "c.mp4"]
    folder = tmp_path / "clips"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.mp4").write_bytes(bytes([i]) * 10)
    (folder / "notes.txt").write_text("x")
    assert study_videos(folder).files == ["0.mp4", "1.mp4", "2.mp4", "3.mp4"]


def test_duplicate_videos_are_refused_by_line_and_content(tmp_path) -> None:
    csv = tmp_path / "v.csv"
    csv.write_text("name\na\nb\na\n")
    with pytest.raises(BenchmarkError, match=r"line 4.*duplicate video 'a' \(also on line 2\)|duplicate video 'a'"):
        study_videos(csv)
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("x.mp4", "y.mp4", "z.mp4"):
        (folder / name).write_bytes(b"same" if name != "z.mp4" else b"other")
    with pytest.raises(ScheduleError, match="y.mp4: duplicate video, the same content as x.mp4"):
        study_videos(folder)


@pytest.mark.parametrize("source", ["2", "0"])
def test_too_few_videos_are_refused(source) -> None:
    with pytest.raises(ScheduleError, match="at least 3"):
        study_videos(source)


def test_written_folder_reads_back(tmp_path) -> None:
    videos = study_videos("9")
    s = plan_schedule(9, 3, 12, 1, 0.3, 1)
    root = write_schedule(tmp_path / "s", videos, s, {"participant_0.json": {"a": 1}})
    back = read_schedule(root)
    pd.testing.assert_frame_equal(back, s.table.reset_index(drop=True), check_dtype=False)
    assert json.loads((root / "schedule.json").read_text())["pairs_covered"] == 36
    assert (root / "jspsych" / "participant_0.json").exists()
    with pytest.raises(BenchmarkError, match="not empty|holds"):
        write_schedule(root, videos, s)
