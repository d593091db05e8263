"""On Colab the paper profile mounts Drive for the licensed videos; nothing else does."""

from __future__ import annotations

import sys
import types

import pytest

from socalign.book import artifacts
from socalign.profiles import profile_settings


@pytest.fixture
def colab(monkeypatch, tmp_path):
    mounted: list[str] = []
    drive = types.SimpleNamespace(mount=mounted.append)
    package = types.ModuleType("google.colab")
    package.drive = drive
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", package)
    monkeypatch.delenv("SOCALIGN_GARCIA2025_VIDEOS", raising=False)
    folder = tmp_path / "drive" / "garcia2025_videos"
    monkeypatch.setattr(artifacts, "COLAB_VIDEOS", str(folder))
    return mounted, folder


def test_paper_profile_on_colab_reads_the_videos_from_drive(colab) -> None:
    mounted, folder = colab
    paper = profile_settings("paper")
    with pytest.raises(FileNotFoundError, match="garcia2025_videos: no such folder on your Drive"):
        artifacts.colab_videos(paper)
    assert mounted == ["/content/drive"]
    folder.mkdir(parents=True)
    assert artifacts.colab_videos(paper) == folder


def test_nothing_is_mounted_for_other_profiles_or_with_the_variable_set(colab, monkeypatch) -> None:
    mounted, _ = colab
    assert artifacts.colab_videos(profile_settings("demo")) is None
    monkeypatch.setenv("SOCALIGN_GARCIA2025_VIDEOS", "/somewhere")
    assert artifacts.colab_videos(profile_settings("paper")) is None
    assert mounted == []


def test_off_colab_nothing_happens(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert artifacts.colab_videos(profile_settings("paper")) is None
