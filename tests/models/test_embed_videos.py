"""A video model asked to embed videos that have no file here fails before any model is loaded,
in one line naming the dataset and ``--videos DIR`` (issue 28): in the library
(:func:`socalign.models.embed.check_video_files`, which :func:`~socalign.models.embed.embed`
calls first), so ``socalign embed`` and ``socalign gap`` both get it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from socalign.cli import main
from socalign.data import load_dataset
from socalign.models.embed import NoVideoFilesError, check_video_files, embed

NO_VIDEOS = "tiny has no videos here; attach them with --videos DIR"


@pytest.fixture
def no_model_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way a model gets loaded or embedded fails the test (the names it was called with)."""
    import socalign.analyses.gap
    import socalign.models.embed
    import socalign.models.language
    import socalign.models.registry
    import socalign.models.video

    calls: list[str] = []

    def loaded(what: str):
        def fail(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"{what} was called before the missing videos were refused")
        return fail

    for module, name in [(socalign.models.registry, "get_spec"),
                         (socalign.models.video, "load_backbone"),
                         (socalign.models.language, "encode_captions"),
                         (socalign.models.embed, "_embed_language"),
                         (socalign.analyses.gap, "model_embeddings")]:
        monkeypatch.setattr(module, name, loaded(f"{module.__name__}.{name}"))
    return calls


def test_check_refuses_no_files_and_missing_files(tiny_benchmark_dir: Path, bench_dir: Path) -> None:
    without = load_dataset(tiny_benchmark_dir)  # videos.csv lists no file
    with pytest.raises(NoVideoFilesError, match=f"^{NO_VIDEOS}$"):
        check_video_files(without)
    with pytest.raises(NoVideoFilesError, match=NO_VIDEOS):  # skipping cannot skip them all
        check_video_files(without, on_error="skip")
    listed = load_dataset(bench_dir)
    check_video_files(listed)  # every file is there
    files = list(listed.videos.files)
    (Path(files[3])).unlink()
    some = load_dataset(bench_dir)
    with pytest.raises(NoVideoFilesError, match=r"^1 of the 12 video files of tiny-video are not "
                       r"here \(first missing: .*103\.mp4\); attach them with --videos DIR$"):
        check_video_files(some)
    check_video_files(some, on_error="skip")  # one missing file is skipped and listed later
    gone = replace(listed, videos=replace(listed.videos, files=tuple(f"{f}.gone" for f in files)))
    with pytest.raises(NoVideoFilesError, match="none of the 12 video files of tiny-video is here"):
        check_video_files(gone)


def test_embed_refuses_before_loading_the_model(tiny_benchmark_dir: Path, no_model_loads) -> None:
    with pytest.raises(NoVideoFilesError, match=NO_VIDEOS):
        embed(load_dataset(tiny_benchmark_dir), "toy", cache=False)
    assert no_model_loads == []


def test_embed_command_says_so_in_one_line(tiny_benchmark_dir: Path, tmp_path: Path, capsys,
                                           no_model_loads) -> None:
    out = tmp_path / "toy.npz"
    argv = ["embed", str(tiny_benchmark_dir), "--model", "toy", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"socalign: error: {NO_VIDEOS}"]
    assert main([*argv, "--json"]) == 2
    assert json.loads(capsys.readouterr().out) == {"error": NO_VIDEOS, "where": "--videos"}
    assert not out.exists() and no_model_loads == []


def test_gap_says_so_before_any_model_even_a_language_one(tiny_benchmark_dir: Path, capsys,
                                                          no_model_loads) -> None:
    assert main(["gap", str(tiny_benchmark_dir), "--models", "tfidf,toy", "--n-boot", "0"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"socalign: error: {NO_VIDEOS}"]
    assert no_model_loads == []  # tfidf, first in --models, was not fitted either


@pytest.mark.realdata
def test_garcia2025_without_videos_names_the_folder_and_the_variable(
    garcia_root: Path, capsys, monkeypatch: pytest.MonkeyPatch, no_model_loads
) -> None:
    monkeypatch.delenv("SOCALIGN_GARCIA2025_VIDEOS", raising=False)
    assert main(["gap", str(garcia_root), "--models", "toy", "--n-boot", "0"]) == 2
    assert capsys.readouterr().err.strip() == (
        "socalign: error: garcia2025 has no videos here; attach them with --videos DIR (or set "
        "$SOCALIGN_GARCIA2025_VIDEOS)")
    assert no_model_loads == []
