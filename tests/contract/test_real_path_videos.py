"""The real path, item 1: licensed videos attached by folder to every command that reads a
benchmark (``--videos DIR``, ``$SOCALIGN_GARCIA2025_VIDEOS``), through garcia2025's own names.

A copy of the garcia2025 data files and a fake set of its 250 videos (synthetic 16-frame 32 x 32
clips under the real ``video_mapping.csv`` names) stand in for a lab's licensed copy; ``embed``,
``gap``, ``finetune`` and ``rollout`` then run on ``garcia2025`` through the command line with
a tiny local TimeSformer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("av")

from socalign.cli import main
from socalign.data import garcia2025, load_dataset
from socalign.data.registry import attached_videos
from tests.helpers.real_path import copy_garcia, fake_videos, tiny_timesformer


@pytest.fixture(scope="module")
def fake_garcia(tmp_path_factory) -> tuple[Path, Path]:
    """(a verified copy of the garcia2025 data, a folder of fake videos under its names)."""
    base = tmp_path_factory.mktemp("real_path")
    root = copy_garcia(base / "data" / "garcia2025")
    fake_videos(root, base / "videos")
    return root, base / "videos"


@pytest.fixture(scope="module")
def tiny_hub_backbone(tmp_path_factory) -> Path:
    """A tiny local TimeSformer checkpoint folder."""
    return tiny_timesformer(tmp_path_factory.mktemp("tiny_timesformer") / "model")


@pytest.fixture
def registered(fake_garcia, monkeypatch, tmp_path) -> tuple[Path, Path]:
    """``garcia2025`` resolves to the copy ($SOCALIGN_DATA); caches live in tmp_path."""
    root, videos = fake_garcia
    monkeypatch.setenv("SOCALIGN_DATA", str(root.parent))
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(garcia2025.VIDEOS_ENV, raising=False)
    return root, videos


def run_json(capsys, *argv: str) -> dict:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_videos_are_found_by_their_mapping_names(registered) -> None:
    _, videos = registered
    bench = load_dataset("garcia2025", videos=videos)
    assert bench.videos.has_files
    assert bench.videos.files[0] == videos / bench.videos.names[0]
    assert load_dataset("garcia2025").videos.files[0] is None  # nothing attached


def test_the_environment_and_the_command_line_attach_them(registered, monkeypatch) -> None:
    root, videos = registered
    with attached_videos("garcia2025", videos):  # what --videos does for the command
        assert load_dataset("garcia2025").videos.has_files
        assert not load_dataset(root).videos.has_files  # another name: not that dataset
    assert not load_dataset("garcia2025").videos.has_files
    monkeypatch.setenv(garcia2025.VIDEOS_ENV, str(videos))
    assert load_dataset("garcia2025").videos.has_files
    assert load_dataset(root).videos.has_files  # the copy by path: still garcia2025
    monkeypatch.setenv(garcia2025.VIDEOS_ENV, str(videos / "nope"))
    with pytest.raises(FileNotFoundError, match="SOCALIGN_GARCIA2025_VIDEOS"):
        load_dataset("garcia2025")


def test_data_info_reports_found_missing_and_undecodable(registered, tmp_path, capsys) -> None:
    _, videos = registered
    info = run_json(capsys, "data", "info", "garcia2025")
    assert info["has_videos"] is False and info["n_videos"] == 250  # the old keys stay
    assert info["video_files"]["n_found"] == 0 and info["video_files"]["n_missing"] == 250
    partial = tmp_path / "partial"
    shutil.copytree(videos, partial)
    names = sorted(p.name for p in partial.iterdir())
    (partial / names[0]).unlink()
    (partial / names[1]).write_bytes(b"not a video at all")
    files = run_json(capsys, "data", "info", "garcia2025", "--videos", str(partial))["video_files"]
    assert (files["n_listed"], files["n_found"], files["n_missing"]) == (250, 249, 1)
    assert files["missing"] == [names[0]]
    assert [u["name"] for u in files["undecodable"]] == [names[1]]
    assert files["folder"] == str(partial)
    assert main(["data", "info", "garcia2025", "--videos", str(partial)]) == 0
    text = capsys.readouterr().out
    assert "cannot be decoded" in text and names[1] in text


def test_a_bad_videos_folder_is_one_line_naming_it(registered, tmp_path, capsys) -> None:
    for argv in (["data", "info"], ["embed", "--model", "tfidf", "--out", str(tmp_path / "e.npz")],
                 ["finetune", "--out", str(tmp_path / "run")]):
        with pytest.raises(SystemExit) as exit_info:
            main([argv[0], *argv[1:2], "garcia2025", *argv[2:], "--videos",
                  str(tmp_path / "absent")] if argv[0] == "data" else
                 [argv[0], "garcia2025", *argv[1:], "--videos", str(tmp_path / "absent")])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--videos" in err[0] and "absent" in err[0]


def test_every_command_that_reads_a_benchmark_takes_videos() -> None:
    from socalign.cli import build_parser
    from tests.helpers.commands import all_command_paths

    parser = build_parser()
    with_dataset = []
    for path in all_command_paths(parser):
        sub = parser
        for name in path:
            sub = next(a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"
                       ).choices[name]
        dests = {a.dest for a in sub._actions}
        if "dataset" in dests:
            with_dataset.append(path)
            assert "videos" in dests, path
    assert {("embed",), ("gap",), ("finetune",), ("rollout",), ("data", "info")} <= set(with_dataset)


def test_embed_gap_finetune_rollout_on_garcia2025(registered, tiny_hub_backbone, tmp_path,
                                                  capsys) -> None:
    _, videos = registered
    model = str(tiny_hub_backbone)
    v = ["--videos", str(videos)]
    emb = run_json(capsys, "embed", "garcia2025", *v, "--model", model,
                   "--out", str(tmp_path / "video.npz"))
    assert (emb["n_videos"], emb["n_frames"], emb["kind"]) == (250, 8, "video")  # the spec's
    gap = run_json(capsys, "gap", "garcia2025", *v, "--models", f"tfidf,{model}",
                   "--n-boot", "10")
    kinds = {m.get("kind") for m in gap["models"]}
    assert {"language", "video"} <= kinds, gap["models"]
    run = tmp_path / "run"
    ft = run_json(capsys, "finetune", "garcia2025", *v, "--backbone", model, "--trainer", "fast",
                  "--epochs", "1", "--max-steps-per-epoch", "2", "--n-boot", "10",
                  "--out", str(run), "--no-progress")
    assert ft["split"] == "test" and ft["after"]["r2"] is not None
    roll = run_json(capsys, "rollout", "garcia2025", *v, "--backbones",
                    f"pretrained={model},finetuned={run}", "--max-clips", "2")
    assert roll["n_clips"] == 2 and roll["models"] == ["pretrained", "finetuned"]
    # without the videos the same fine-tuning stops at once, naming what is missing
    assert main(["finetune", "garcia2025", "--backbone", model, "--epochs", "1",
                 "--out", str(tmp_path / "run2")]) == 2
    assert "video file(s) missing" in capsys.readouterr().err


def test_a_socalign_layout_benchmark_takes_a_video_folder(tmp_path) -> None:
    from socalign.data.errors import BenchmarkError
    from socalign.data.layout import write_benchmark
    from tests.helpers.tables import make_tables

    videos, trials, captions = make_tables()
    videos["file"] = [f"clips/{i}.mp4" for i in videos["video_id"]]
    root = write_benchmark(tmp_path / "b", videos, trials, captions, {"name": "b"})
    elsewhere = tmp_path / "licensed"
    elsewhere.mkdir()
    bench = load_dataset(root, videos=elsewhere)
    assert bench.videos.files[0] == elsewhere / "clips" / "100.mp4"
    bare = write_benchmark(tmp_path / "bare", *make_tables(), {"name": "bare"})
    with pytest.raises(BenchmarkError, match="no file names to look up"):
        load_dataset(bare, videos=elsewhere)
