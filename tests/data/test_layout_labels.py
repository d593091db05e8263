"""The labelled layout (``socalign-labels/1``): people's labels of each video, no trials."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from socalign.data import BenchmarkError, load_dataset
from socalign.data.layout import (
    LABELS_LAYOUT_VERSION,
    read_labels,
    write_labelled_benchmark,
)


def _videos() -> pd.DataFrame:
    return pd.DataFrame({"video_id": [7, 3, 5], "split": ["train", "train", "test"],
                         "label": ["friendly", "neutral", "adversarial"],
                         "set": ["main", "main", "generalization"]})


def test_a_labelled_benchmark_loads_without_trials(tmp_path: Path) -> None:
    root = write_labelled_benchmark(tmp_path / "b", _videos(), metadata={"name": "mine"})
    meta = json.loads((root / "benchmark.json").read_text())
    assert meta == {"name": "mine", "layout": LABELS_LAYOUT_VERSION}
    assert not (root / "trials.csv").exists()
    bench = load_dataset(root)
    assert len(bench.trials) == 0 and bench.videos.ids.tolist() == [7, 3, 5]
    assert read_labels(bench).tolist() == ["friendly", "neutral", "adversarial"]
    assert read_labels(bench, "set").tolist() == ["main", "main", "generalization"]


def test_an_empty_label_is_named_by_line(tmp_path: Path) -> None:
    videos = _videos()
    videos.loc[1, "label"] = ""
    with pytest.raises(BenchmarkError, match=r"videos.csv, line 3, column 'label': empty label"):
        write_labelled_benchmark(tmp_path / "b", videos)
    with pytest.raises(BenchmarkError, match=r"lacks column\(s\) \['label'\]"):
        write_labelled_benchmark(tmp_path / "c", _videos().drop(columns="label"))


def test_the_ooo_layout_still_needs_its_trials(tmp_path: Path) -> None:
    root = write_labelled_benchmark(tmp_path / "b", _videos())
    meta = json.loads((root / "benchmark.json").read_text())
    (root / "benchmark.json").write_text(json.dumps({**meta, "layout": "socalign-ooo/1"}))
    with pytest.raises(BenchmarkError, match=r"trials.csv: file not found"):
        load_dataset(root)
