"""``socialworld`` is a registered dataset name (issue 28): the demo world, synthesized once into
the cache on first use with a one-line note on stderr, read from the cache afterwards, and taken
by every DATASET argument (through :func:`socalign.data.load_dataset`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socalign.cli import main
from socalign.data import load_dataset
from socalign.data.registry import locatable_names, registered_datasets, resolve_dataset

SMALL = {"n_videos": 15, "seed": 0, "n_frames": 4, "size": 16, "n_participants": 8,
         "trials_per_participant": 40, "calibrate": False}


def _module():
    """SocialWorld's registry module, imported by the registry (the built-ins in their order,
    which tests/data/test_registry.py reads), not by this test module first."""
    registered_datasets()
    from socalign.data.socialworld import dataset

    return dataset


@pytest.fixture
def socialworld():
    return _module()


@pytest.fixture
def small_world(socialworld, cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The name stands for a small world (fast) in an empty cache."""
    monkeypatch.setattr(socialworld, "NAMED_WORLD", dict(SMALL))
    return SMALL


def test_the_name_is_the_demo_profiles_world(socialworld) -> None:
    from socalign.profiles import PROFILES

    assert socialworld.NAMED_WORLD == PROFILES["demo"].socialworld
    assert "socialworld" in locatable_names()
    assert registered_datasets()["socialworld"].locate is socialworld.locate


def test_first_use_synthesizes_into_the_cache_and_says_so_then_reads_it(
    socialworld, small_world: dict, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_dataset("socialworld")
    err = capsys.readouterr().err.strip().splitlines()
    folder = socialworld.named_world_folder()
    assert err == [f"socalign: note: synthesizing SocialWorld, the demo world (15 videos), into "
                   f"{folder}, once: later uses read it"]
    assert folder.is_relative_to(cache) and (folder / "trials.csv").is_file()
    assert bench.root == folder and len(bench.videos) == 15 and bench.name == "socialworld"
    stamp = (folder / "trials.csv").stat().st_mtime_ns
    again = load_dataset("socialworld")
    assert capsys.readouterr().err == ""  # read from the cache, no note
    assert (folder / "trials.csv").stat().st_mtime_ns == stamp
    assert again.videos.ids.tolist() == bench.videos.ids.tolist()
    assert resolve_dataset("socialworld") == folder


def test_other_settings_are_another_cache_folder(socialworld, small_world: dict,
                                                monkeypatch) -> None:
    first = socialworld.named_world_folder()
    monkeypatch.setattr(socialworld, "NAMED_WORLD", {**SMALL, "seed": 1})
    assert socialworld.named_world_folder() != first


def test_every_dataset_argument_takes_the_name(small_world: dict, capsys) -> None:
    assert main(["ceiling", "socialworld", "--split", "train", "--n-splits", "5", "--json"]) == 0
    captured = capsys.readouterr()
    assert "synthesizing SocialWorld" in captured.err
    out = json.loads(captured.out)
    assert out["dataset"] == "socialworld" and out["n_trials"] > 0
    assert main(["data", "info", "socialworld", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and json.loads(captured.out)
