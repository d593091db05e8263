"""``socalign data fetch|render|info`` on PHASE: made-up copies, and the real one when it is here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.cli import main
from socalign.data import load_dataset
from socalign.data.phase import source
from socalign.data.phase.benchmark import video_labels
from socalign.data.phase.pins import GENERALIZATION_FILE
from socalign.data.phase.render import (
    entity_colours,
    frame_steps,
    pixel_position,
    pixels_per_unit,
)
from tests.helpers.phase import (
    colour_centroid,
    phase_root,  # noqa: F401  (a fixture)
    use_copy,
    write_copy,
)


def _run(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err




def test_fetch_phase_downloads_and_verifies(tmp_path: Path, serve, monkeypatch, capsys) -> None:
    site = tmp_path / "site"
    write_copy(site)
    rels = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    files = {rel: hashlib.sha256((site / rel).read_bytes()).hexdigest() for rel in rels}
    from socalign.data import phase

    monkeypatch.setattr(source, "FILES", files)
    monkeypatch.setattr(phase, "FILES", files)
    monkeypatch.setattr(source, "REQUIRED", (GENERALIZATION_FILE,))
    code, result, _ = _run(capsys, "data", "fetch", "phase", "--dest", str(tmp_path / "got"),
                           "--url", serve(site))
    assert code == 0
    assert result == {"dataset": "phase", "path": str(tmp_path / "got"), "commit": phase.COMMIT,
                      "n_files": len(files), "verified": True}
    assert all((tmp_path / "got" / rel).read_bytes() == (site / rel).read_bytes() for rel in rels)


def test_render_then_info_on_a_made_up_copy(tmp_path: Path, monkeypatch, capsys) -> None:
    written = write_copy(tmp_path / "copy", n_main=4, n_generalization=3)
    use_copy(monkeypatch, tmp_path / "copy")
    out = tmp_path / "bench"
    code, result, _ = _run(capsys, "data", "render", str(tmp_path / "copy"), "--out", str(out),
                           "--size", "48", "--frames", "6")
    assert code == 0
    assert result["n_videos"] == 7 and result["sets"] == {"main": 4, "generalization": 3}
    assert (result["label_column"], result["set_column"]) == ("label", "set")
    assert result["labels"]["generalization"] == {"adversarial": 1, "friendly": 1, "neutral": 1}
    bench = load_dataset(out)
    assert [len(f.read_bytes()) > 0 for f in map(Path, bench.videos.files)] == [True] * 7
    labels = video_labels(bench)
    assert list(labels.label) == [label for _, label in written["main"] + written["generalization"]]
    code, info, _ = _run(capsys, "data", "info", str(out), "--no-decode")
    assert code == 0 and info["n_videos"] == 7 and info["n_trials"] == 0
    assert info["labels"]["counts"]["main"] == {"adversarial": 1, "friendly": 2, "neutral": 1}
    assert info["labels"]["agreement"]["estimate"] == pytest.approx(0.75)
    assert main(["data", "info", str(out), "--no-decode"]) == 0
    text = capsys.readouterr().out
    assert "agreement with the majority  0.750 [" in text and "generalization" in text


@pytest.mark.parametrize("argv, where", [
    (["--size", "33"], "--size must be an even number"),
    (["--frames", "0"], "--frames must be at least 1"),
])
def test_bad_render_arguments_exit_2_in_one_line(tmp_path: Path, monkeypatch, capsys, argv,
                                                 where) -> None:
    write_copy(tmp_path / "copy", n_main=2, n_generalization=1)
    use_copy(monkeypatch, tmp_path / "copy")
    code = main(["data", "render", str(tmp_path / "copy"), "--out", str(tmp_path / "b"), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and where in err[0]
    assert not (tmp_path / "b").exists()


def test_render_refuses_what_it_cannot_or_must_not_write(tmp_path: Path, monkeypatch, capsys,
                                                         tiny_benchmark_dir: Path) -> None:
    write_copy(tmp_path / "copy", n_main=2, n_generalization=1)
    use_copy(monkeypatch, tmp_path / "copy")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    code, result, err = _run(capsys, "data", "render", str(tmp_path / "copy"), "--out", str(mine))
    assert code == 2 and result["where"] == "--out" and "did not write" in err
    assert (mine / "notes.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1
    code, result, err = _run(capsys, "data", "render", str(tiny_benchmark_dir), "--out",
                             str(tmp_path / "new"))
    assert code == 2 and result["where"] == "DATASET" and "is not PHASE" in err
    assert not (tmp_path / "new").exists()


def test_render_attaches_the_original_videos(tmp_path: Path, monkeypatch, capsys) -> None:
    written = write_copy(tmp_path / "copy", n_main=2, n_generalization=1)
    use_copy(monkeypatch, tmp_path / "copy")
    originals = tmp_path / "originals"
    originals.mkdir()
    for name, _ in written["main"] + written["generalization"]:
        (originals / name).write_bytes(name.encode())
    code, result, _ = _run(capsys, "data", "render", str(tmp_path / "copy"), "--out",
                           str(tmp_path / "b"), "--videos", str(originals))
    assert code == 0 and result["videos"] == "original" and result["n_videos"] == 3
    name = written["generalization"][0][0]
    assert (tmp_path / "b" / name).read_bytes() == name.encode()


# ------------------------------------------------------------------------- the real copy


def test_data_info_phase_reports_labels_and_agreement(phase_root: Path, monkeypatch,  # noqa: F811
                                                      capsys) -> None:
    monkeypatch.setenv("SOCALIGN_DATA", str(phase_root))
    code, info, _ = _run(capsys, "data", "info", "phase", "--no-decode")
    assert code == 0 and info["n_videos"] == 500
    labels = info["labels"]
    assert labels["counts"] == {"main": {"adversarial": 154, "friendly": 161, "neutral": 85},
                                "generalization": {"adversarial": 36, "friendly": 37,
                                                   "neutral": 27}}
    agreement = labels["agreement"]
    assert agreement["low"] < agreement["estimate"] < agreement["high"]
    assert agreement["n_videos"] == 400 and agreement["unit"] == "videos"


def test_render_phase_from_the_real_trajectories(phase_root: Path, monkeypatch, capsys,  # noqa: F811
                                                 tmp_path: Path) -> None:
    from socalign.video import read_clip

    monkeypatch.setenv("SOCALIGN_DATA", str(phase_root))
    out = tmp_path / "phase"
    code, result, _ = _run(capsys, "data", "render", "phase", "--out", str(out), "--size", "64",
                           "--frames", "8")
    assert code == 0
    expected_sets = {"generalization": 100} if result["absent_sets"] == ["main"] else {
        "main": 400, "generalization": 100}
    assert result["sets"] == expected_sets
    bench = load_dataset(out)
    table = pd.read_csv(out / "videos.csv")
    assert set(table.columns) >= {"video_id", "file", "split", "label", "set"}
    assert dict(zip(*np.unique(table.loc[table.set == "generalization", "label"],
                               return_counts=True), strict=True)) == {
        "adversarial": 36, "friendly": 37, "neutral": 27}
    # a decoded video's agents sit on their trajectories (the first frame where they are apart)
    videos = {v.name: v for v in source.read_set(phase_root, "generalization")}
    checked = 0
    for name in table.loc[table.set == "generalization", "name"]:
        video = videos[name]
        step = frame_steps(video, 8)[:1]
        at = video.positions_at(step)[0]
        if np.linalg.norm(at[0] - at[1]) - video.sizes[:2].sum() < 2 / pixels_per_unit(64):
            continue
        clip = read_clip(Path(bench.root) / name, 8)
        expected = pixel_position(at, 64)
        for agent, colour in enumerate(entity_colours(video.colour_code)[:2]):
            centre, n = colour_centroid(clip[0], colour)
            assert n > 0 and np.abs(centre - expected[agent]).max() <= 1.0
            checked += 1
        if checked >= 20:
            break
    assert checked >= 20
