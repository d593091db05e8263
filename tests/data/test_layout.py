"""The socalign layout: loading, validation errors that name file/line/column, splits, exclusions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from socalign.data import BenchmarkError, load_dataset, write_benchmark
from socalign.data.layout import benchmark_tables, ensure_fresh_output
from socalign.data.quality import catch_performance
from tests.helpers.tables import make_tables


def test_tiny_benchmark_loads(tiny_benchmark_dir: Path) -> None:
    b = load_dataset(tiny_benchmark_dir)
    assert b.name == "tiny"
    assert len(b.videos) == 12
    assert len(b.trials) == 303
    assert b.excluded == {"catch_trial": 3}
    assert len(b.kept) == 300
    assert b.videos.captions[0] == ("two agents talk 0", "two agents talk 1")
    assert b.videos.ids[0] == 100
    # odd positions point at the chosen video
    frame = b.trials.to_frame(b.videos)
    assert (frame["choice"].to_numpy() == b.videos.ids[b.trials.choice]).all()


def test_split_trials_are_those_inside_the_split(tiny_benchmark_dir: Path) -> None:
    b = load_dataset(tiny_benchmark_dir)
    train = b.split_indices("train")
    trials = b.split_trials("train")
    assert np.isin(trials.triplets, train).all()
    # every kept trial entirely inside train is there, and no catch trial
    expected = np.isin(b.kept.triplets, train).all(axis=1).sum()
    assert len(trials) == expected
    assert not trials.is_catch.any()
    with pytest.raises(KeyError, match="unknown split 'val'"):
        b.split_trials("val")


def test_catch_trials_scored_per_participant(tiny_benchmark_dir: Path) -> None:
    report = catch_performance(load_dataset(tiny_benchmark_dir).trials)
    assert report.n_catch.sum() == 3
    assert (report.accuracy == 1.0).all()


def test_round_trip_tables(tiny_benchmark_dir: Path, tmp_path: Path) -> None:
    b = load_dataset(tiny_benchmark_dir)
    videos, trials, captions = benchmark_tables(b)
    again = load_dataset(write_benchmark(tmp_path / "again", videos, trials, captions))
    assert np.array_equal(again.trials.triplets, b.trials.triplets)
    assert np.array_equal(again.trials.odd, b.trials.odd)
    assert again.videos.captions == b.videos.captions


def write_with(tmp_path: Path, edit_videos=None, edit_trials=None) -> Path:
    videos, trials, captions = make_tables()
    if edit_videos:
        videos = edit_videos(videos)
    if edit_trials:
        trials = edit_trials(trials)
    root = tmp_path / "bad"
    root.mkdir()
    videos.to_csv(root / "videos.csv", index=False)
    trials.to_csv(root / "trials.csv", index=False)
    captions.to_csv(root / "captions.csv", index=False)
    return root


def set_cell(frame, row, column, value):
    frame = frame.astype({column: object})
    frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize(
    ("edit_videos", "edit_trials", "file", "message"),
    [
        (lambda v: v.drop(columns="split"), None, "videos.csv", r"missing column\(s\) \['split'\]"),
        (lambda v: set_cell(v, 4, "video_id", 100), None, "videos.csv", "line 6, column 'video_id': duplicate video id 100"),
        (lambda v: set_cell(v, 2, "rating_valence", 1.5), None, "videos.csv", r"line 4, column 'rating_valence': value 1.5 outside \[0.0, 1.0\]"),
        (lambda v: set_cell(v, 2, "rating_valence", "high"), None, "videos.csv", "line 4, column 'rating_valence': expected a number"),
        (None, lambda t: set_cell(t, 7, "video_2", 999), "trials.csv", "line 9, column 'video_2': unknown video id 999"),
        (None, lambda t: set_cell(t, 10, "choice", 101 if t.loc[10, "video_1"] != 101 and t.loc[10, "video_2"] != 101 and t.loc[10, "video_3"] != 101 else 102), "trials.csv", "line 12, column 'choice': choice 10[12] is not one of the three"),
        (None, lambda t: set_cell(t, 3, "video_1", np.nan), "trials.csv", "line 5, column 'video_1': expected an integer"),
        (None, lambda t: t.drop(columns="choice"), "trials.csv", r"missing column\(s\) \['choice'\]"),
        (None, lambda t: set_cell(t, 0, "response_time", -3), "trials.csv", "line 2, column 'response_time'"),
    ],
)
def test_validation_errors_name_file_line_column(tmp_path, edit_videos, edit_trials, file, message):
    root = write_with(tmp_path, edit_videos, edit_trials)
    with pytest.raises(BenchmarkError, match=message) as info:
        load_dataset(root)
    assert info.value.path.name == file


def test_empty_and_missing_files(tmp_path: Path) -> None:
    root = write_with(tmp_path)
    (root / "trials.csv").write_text("")
    with pytest.raises(BenchmarkError, match="trials.csv: the file is empty"):
        load_dataset(root)
    (root / "trials.csv").write_text("participant,video_1,video_2,video_3,choice\n")
    with pytest.raises(BenchmarkError, match="header but no rows"):
        load_dataset(root)
    (root / "trials.csv").unlink()
    with pytest.raises(BenchmarkError, match="trials.csv: file not found"):
        load_dataset(root)
    with pytest.raises(BenchmarkError, match="dataset path does not exist"):
        load_dataset(tmp_path / "nowhere")


def test_bad_metadata_json(tiny_benchmark_dir: Path) -> None:
    (tiny_benchmark_dir / "benchmark.json").write_text("{not json")
    with pytest.raises(BenchmarkError, match="benchmark.json: not valid JSON"):
        load_dataset(tiny_benchmark_dir)


def test_fresh_output_refuses_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("precious")
    with pytest.raises(BenchmarkError, match="not empty; refusing to overwrite"):
        ensure_fresh_output(tmp_path / "out")
    assert (tmp_path / "out" / "keep.txt").read_text() == "precious"
    assert ensure_fresh_output(tmp_path / "new").is_dir()


def test_metadata_written(tiny_benchmark_dir: Path) -> None:
    meta = json.loads((tiny_benchmark_dir / "benchmark.json").read_text())
    assert meta["layout"] == "socalign-ooo/1"
    assert meta["name"] == "tiny"
