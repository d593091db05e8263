"""garcia2025: the pinned download (against a local HTTP server), verification, and the real data."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.cli import main
from socalign.data import BenchmarkError, garcia2025, load_dataset


def test_fetch_downloads_and_verifies(tmp_path: Path, serve) -> None:
    site = tmp_path / "site"
    (site / "data/raw").mkdir(parents=True)
    (site / "data/raw/a.csv").write_text("x\n1\n")
    (site / "b.csv").write_text("y\n2\n")
    files = {
        rel: hashlib.sha256((site / rel).read_bytes()).hexdigest()
        for rel in ("data/raw/a.csv", "b.csv")
    }
    url = serve(site)
    dest = garcia2025.fetch(tmp_path / "dest", base_url=url, files=files)
    assert (dest / "data/raw/a.csv").read_text() == "x\n1\n"
    # a changed file on the server is refused: the hash no longer matches
    (site / "b.csv").write_text("y\n3\n")
    (dest / "b.csv").unlink()
    with pytest.raises(ValueError, match="(?i)sha256|hash"):
        garcia2025.fetch(tmp_path / "dest", base_url=url, files=files)
    assert not (dest / "b.csv").exists()


def test_fetch_never_downloads_over_a_present_file_with_another_hash(tmp_path: Path, serve) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "b.csv").write_text("y\n2\n")
    files = {"b.csv": hashlib.sha256(b"y\n2\n").hexdigest()}
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "b.csv").write_text("the user's own notes\n")
    with pytest.raises(FileExistsError, match="sha256 differs"):
        garcia2025.fetch(dest, base_url=serve(site), files=files)
    assert (dest / "b.csv").read_text() == "the user's own notes\n"


def test_fetch_real_files_from_local_mirror(tmp_path: Path, serve, garcia_root: Path) -> None:
    mirror = tmp_path / "mirror"
    for rel in garcia2025.FILES:
        (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(garcia_root / rel, mirror / rel)
    url = serve(mirror)
    code = main(["data", "fetch", "garcia2025", "--dest", str(tmp_path / "got"), "--url", url, "--json"])
    assert code == 0
    assert garcia2025.verify(tmp_path / "got") == tmp_path / "got"


def test_verify_names_the_changed_file(tmp_path: Path, garcia_root: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(garcia_root, copy)
    path = copy / "data/raw/utils/train.csv"
    path.write_text(path.read_text() + "extra.mp4\n")
    with pytest.raises(BenchmarkError, match="train.csv: sha256"):
        garcia2025.verify(copy)


def test_locate_reads_env_then_cache(tmp_path: Path, monkeypatch, garcia_root: Path) -> None:
    monkeypatch.setenv("SOCALIGN_DATA", str(garcia_root))
    assert garcia2025.locate(download=False) == garcia_root
    monkeypatch.setenv("SOCALIGN_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(BenchmarkError, match="socalign data fetch garcia2025"):
        garcia2025.locate(download=False)


def test_real_data_counts_and_splits(garcia_root: Path) -> None:
    b = load_dataset(garcia_root)
    assert len(b.videos) == 250
    assert len(b.trials) == 49_484
    assert b.excluded == {"catch_trial": 2358}
    assert len(b.videos.captions) == 250 and sum(map(len, b.videos.captions)) == 1391
    assert set(garcia2025.PROBE_ATTRIBUTES) <= set(b.videos.ratings)
    # a split's trials are the non-catch trials whose three videos all belong to it:
    # exactly the published train (24,096) and test (368) files, trial for trial.
    for split, n in (("train", 24_096), ("test", 368)):
        ours = b.split_trials(split)
        assert len(ours) == n
        published = garcia2025.read_published_split_trials(garcia_root, split)
        theirs = published[["stim1_name", "stim2_name", "stim3_name", "choice"]].to_numpy()
        mine = np.column_stack([b.videos.ids[ours.triplets], b.videos.ids[ours.choice]])
        key = lambda a: pd.DataFrame(a).sort_values(list(range(4))).to_numpy()  # noqa: E731
        assert np.array_equal(key(mine), key(theirs))


def test_real_data_catch_trials_are_repeats(garcia_root: Path) -> None:
    b = load_dataset(garcia_root)
    catch = b.trials.subset(b.trials.is_catch)
    # in the real data each catch trial shows one video twice and the choice is the singleton
    singleton = (catch.triplets == catch.choice[:, None]).sum(axis=1) == 1
    assert singleton.mean() > 0.99


def test_available_never_downloads(tmp_path: Path, monkeypatch, garcia_root: Path) -> None:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SOCALIGN_DATA", raising=False)
    assert garcia2025.available() is None
    monkeypatch.setenv("SOCALIGN_DATA", str(tmp_path / "none"))  # set: only there, and wrong
    with pytest.raises(BenchmarkError, match=r"\$SOCALIGN_DATA=.*none: the local copy"):
        garcia2025.available()
    monkeypatch.setenv("SOCALIGN_DATA", str(garcia_root.parent))
    assert garcia2025.available() == garcia_root


def test_fetch_logs_each_download(tmp_path: Path, serve, caplog: pytest.LogCaptureFixture) -> None:
    """The downloads show under ``socalign -v`` (INFO); present files only at DEBUG."""
    import logging

    site = tmp_path / "site"
    site.mkdir()
    (site / "a.csv").write_text("x\n1\n")
    files = {"a.csv": hashlib.sha256((site / "a.csv").read_bytes()).hexdigest()}
    url = serve(site)
    with caplog.at_level(logging.INFO, logger="socalign"):
        garcia2025.fetch(tmp_path / "dest", base_url=url, files=files)
        garcia2025.fetch(tmp_path / "dest", base_url=url, files=files)
    messages = [r.getMessage() for r in caplog.records if r.name == "socalign.data.garcia2025"]
    assert messages.count(f"download: {url}a.csv") == 1  # the second fetch finds it present
    assert any(m.startswith("garcia2025: 0 of 1 files to download") for m in messages)
