"""The command line: every subcommand has --help; data info / similarity on a tiny benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from socalign.cli import build_parser, main
from tests.helpers.commands import all_command_paths


def test_every_subcommand_has_help(capsys) -> None:
    paths = list(all_command_paths(build_parser()))
    assert ("data", "info") in paths
    for path in paths:
        with pytest.raises(SystemExit) as info:
            main([*path, "--help"])
        assert info.value.code == 0
        assert "usage: socalign" in capsys.readouterr().out


def test_data_info_json(tiny_benchmark_dir: Path, capsys) -> None:
    assert main(["data", "info", str(tiny_benchmark_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    for key in ("n_videos", "n_trials", "n_participants", "n_unique_triplets",
                "n_repeated_triplets", "n_catch_trials", "splits", "excluded"):
        assert key in info
    assert info["n_trials"] == 303 and info["n_catch_trials"] == 3
    assert info["excluded"] == {"catch_trial": 3}
    assert info["splits"]["train"]["n_videos"] == 8


def test_data_similarity_npz(tiny_benchmark_dir: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("socalign.metrics.similarity")
    out = tmp_path / "sim.npz"
    assert main(["data", "similarity", str(tiny_benchmark_dir), "--split", "train",
                 "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    with np.load(out) as z:
        assert z["ids"].tolist() == list(range(100, 108))
        sim, counts = z["similarity"], z["counts"]
    assert sim.shape == (8, 8)
    assert np.array_equal(np.isnan(sim[~np.eye(8, dtype=bool)]), (counts == 0)[~np.eye(8, dtype=bool)])
    assert summary["n_videos"] == 8


def test_missing_dataset_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["data", "info", str(tmp_path / "nope")]) == 2
    assert "dataset path does not exist" in capsys.readouterr().err
