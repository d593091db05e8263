"""Chapter 6's cached artefacts: the transfer set, the PHASE copy (never downloaded), embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socalign.book import artifacts
from socalign.data.errors import BenchmarkError
from socalign.data.phase.pins import GENERALIZATION_FILE
from socalign.profiles import profile_settings


def test_phase_copy_is_none_when_socalign_data_holds_other_data_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "garcia2025").mkdir()
    monkeypatch.setenv("SOCALIGN_DATA", str(tmp_path))
    assert artifacts.phase_copy() is None
    assert artifacts.phase_benchmark(profile_settings("ci")) is None


def test_a_wrong_phase_copy_still_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that fails verification is an error, not "absent"."""
    bad = tmp_path / "socialgnn-phase" / GENERALIZATION_FILE
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the published file")
    monkeypatch.setenv("SOCALIGN_DATA", str(tmp_path))
    with pytest.raises(BenchmarkError):
        artifacts.phase_copy()


def test_transfer_set_is_built_once_from_the_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    settings = profile_settings("ci", socialworld={"n_videos": 30, "n_frames": 3, "size": 16})
    first = artifacts.transfer_set(settings)
    stamp = (first / "videos.csv").stat().st_mtime_ns
    assert artifacts.transfer_set(settings) == first
    assert (first / "videos.csv").stat().st_mtime_ns == stamp  # reused, not rebuilt
    block = json.loads((first / "benchmark.json").read_text())["socialworld_transfer"]
    assert block["n_videos"] == 30 and block["n_frames"] == 3 and block["size"] == 16
    assert block["seed"] == settings.socialworld["seed"] + artifacts.TRANSFER_SEED_OFFSET
    assert block["look"] == "phase"
    other = artifacts.transfer_set(profile_settings("ci", socialworld={"n_videos": 31, "n_frames": 3,
                                                                        "size": 16}))
    assert other != first
