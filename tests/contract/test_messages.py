"""Messages that say the truth: regression tests for the defects of issue 12 in the data layer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from socalign.cli import main
from socalign.data import garcia2025, load_dataset
from socalign.data.errors import BenchmarkError


def _edit_videos(root: Path, old: str, new: str) -> Path:
    path = root / "videos.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def test_id_beyond_int64_is_named_not_wrapped(tiny_benchmark_dir) -> None:
    path = _edit_videos(tiny_benchmark_dir, "\n101,", "\n99999999999999999999,")
    with pytest.raises(BenchmarkError, match=r"line 3, column 'video_id': integer "
                                             r"99999999999999999999 is beyond the 64-bit range"):
        load_dataset(tiny_benchmark_dir)
    assert "-9223372036854775808" not in path.read_text()


def test_empty_cell_is_named_as_such_not_nan(tiny_benchmark_dir) -> None:
    _edit_videos(tiny_benchmark_dir, "\n101,", "\n,")
    with pytest.raises(BenchmarkError, match="expected an integer, found an empty cell") as info:
        load_dataset(tiny_benchmark_dir)
    assert "nan" not in str(info.value)


def test_non_utf8_byte_names_file_and_line(tiny_benchmark_dir, capsys) -> None:
    path = tiny_benchmark_dir / "videos.csv"
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b"clip", b"cl\xe9p", 1)
    path.write_bytes(b"\n".join(lines))
    assert main(["data", "info", str(tiny_benchmark_dir), "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["where"] == f"{path}, line 5"
    assert "byte 0xe9 is not UTF-8" in payload["error"]


@pytest.mark.parametrize("bad", ["/etc/passwd", "../outside.mp4", "videos/../../x.mp4"])
def test_files_outside_the_benchmark_are_refused(tiny_benchmark_dir, bad) -> None:
    import pandas as pd

    path = tiny_benchmark_dir / "videos.csv"
    frame = pd.read_csv(path)
    frame["file"] = [f"videos/{v}.mp4" for v in frame["video_id"]]
    frame.loc[3, "file"] = bad
    frame.to_csv(path, index=False)
    with pytest.raises(BenchmarkError, match=r"line 5, column 'file': file .* is not a path "
                                             "relative to the benchmark folder"):
        load_dataset(tiny_benchmark_dir)


def test_has_videos_needs_every_file_present_and_non_empty(tiny_benchmark_dir, capsys) -> None:
    import pandas as pd

    path = tiny_benchmark_dir / "videos.csv"
    frame = pd.read_csv(path)
    frame["file"] = [f"videos/{v}.mp4" for v in frame["video_id"]]
    frame.to_csv(path, index=False)
    (tiny_benchmark_dir / "videos").mkdir()
    for name in frame["file"]:
        (tiny_benchmark_dir / name).write_bytes(b"video bytes")

    def has_videos() -> bool:
        assert main(["data", "info", str(tiny_benchmark_dir), "--json"]) == 0
        return json.loads(capsys.readouterr().out)["has_videos"]

    assert has_videos() is True
    (tiny_benchmark_dir / frame["file"][2]).write_bytes(b"")
    assert has_videos() is False
    (tiny_benchmark_dir / frame["file"][2]).unlink()
    assert has_videos() is False


def _fake_garcia(root: Path, ratings: list[str]) -> Path:
    utils = root / garcia2025.UTILS
    utils.mkdir(parents=True)
    names = [f"v{i}.mp4" for i in range(len(ratings))]
    splits = ["train", "test"] * (len(names) // 2)
    (utils / "video_mapping.csv").write_text(
        "index,video_name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(names)))
    (utils / "annotations.csv").write_text("video_name,stimulus_set,rating-valence\n" + "".join(
        f"{n},{s},{r}\n" for n, s, r in zip(names, splits, ratings, strict=True)))
    for split in ("train", "test"):
        (utils / f"{split}.csv").write_text("video_name\n" + "".join(
            f"{n}\n" for n, s in zip(names, splits, strict=True) if s == split))
    (utils / "captions.csv").write_text("video_name,caption_index,caption\n" + "".join(
        f"{n},0,a caption\n" for n in names))
    return root


def test_garcia_ratings_validated_like_the_layout(tmp_path) -> None:
    ok = garcia2025.read_videos(_fake_garcia(tmp_path / "ok", ["0.1", "0.9", "0.5", "1.0"]))
    np.testing.assert_allclose(ok.ratings["valence"], [0.1, 0.9, 0.5, 1.0])
    annotations = f"{garcia2025.UTILS}/annotations.csv"
    with pytest.raises(BenchmarkError, match=rf"{annotations}, line 4, column 'rating-valence': "
                                             r"value 5.0 outside \[0.0, 1.0\]"):
        garcia2025.read_videos(_fake_garcia(tmp_path / "high", ["0.1", "0.9", "5.0", "1.0"]))
    with pytest.raises(BenchmarkError, match=r"line 3, column 'rating-valence': expected a "
                                             "number, found 'high'"):
        garcia2025.read_videos(_fake_garcia(tmp_path / "text", ["0.1", "high", "0.5", "1.0"]))


def test_report_json_is_strict() -> None:
    pytest.importorskip("torch")
    from socalign.train.run import strict_json

    text = strict_json({"r2": np.float64("nan"), "ci": [np.inf, 1.0], "n": np.int64(3)})
    assert json.loads(text) == {"r2": None, "ci": [None, 1.0], "n": 3}
    assert "NaN" not in text and "Infinity" not in text
