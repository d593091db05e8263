"""Embedding and similarity files: round trip, id matching, clear errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from socalign.models.embeddings import load_embeddings, load_similarity, read_meta, save_embeddings

VIDEOS = SimpleNamespace(ids=np.array([10, 11, 12, 13]))


def test_npz_round_trip_reorders_by_id(tmp_path: Path) -> None:
    X = np.arange(8.0).reshape(4, 2)
    path = save_embeddings(tmp_path / "e.npz", np.array([13, 11, 10, 12]), X, model="toy", layer=3)
    out = load_embeddings(path, VIDEOS)
    # benchmark order 10, 11, 12, 13 = file rows 2, 1, 3, 0
    np.testing.assert_array_equal(out, X[[2, 1, 3, 0]])
    assert read_meta(path) == {"model": "toy", "layer": 3}
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temporary file


def test_npz_with_extra_ids_and_required_subset(tmp_path: Path) -> None:
    X = np.arange(10.0).reshape(5, 2)
    path = save_embeddings(tmp_path / "e.npz", np.array([10, 11, 12, 13, 99]), X)
    np.testing.assert_array_equal(load_embeddings(path, VIDEOS), X[:4])
    partial = save_embeddings(tmp_path / "p.npz", np.array([12, 10]), X[:2])
    with pytest.raises(ValueError, match="no row for 2 of the 4 videos needed .first missing video id 11"):
        load_embeddings(partial, VIDEOS)
    out = load_embeddings(partial, VIDEOS, required=np.array([0, 2]))
    np.testing.assert_array_equal(out[[0, 2]], X[[1, 0]])
    assert np.isnan(out[[1, 3]]).all()


def test_npy_must_already_be_in_order(tmp_path: Path) -> None:
    np.save(tmp_path / "ok.npy", np.ones((4, 3)))
    assert load_embeddings(tmp_path / "ok.npy", VIDEOS).shape == (4, 3)
    np.save(tmp_path / "bad.npy", np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"bad.npy: a .npy must hold \(4, D\)"):
        load_embeddings(tmp_path / "bad.npy", VIDEOS)


def test_similarity_files(tmp_path: Path) -> None:
    S = np.arange(16.0).reshape(4, 4)
    np.savez(tmp_path / "s.npz", ids=np.array([11, 10, 13, 12]), similarity=S)
    out = load_similarity(tmp_path / "s.npz", VIDEOS)
    order = [1, 0, 3, 2]
    np.testing.assert_array_equal(out, S[np.ix_(order, order)])
    np.save(tmp_path / "s.npy", S)
    np.testing.assert_array_equal(load_similarity(tmp_path / "s.npy", VIDEOS), S)
    np.save(tmp_path / "r.npy", S[:, :3])
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        load_similarity(tmp_path / "r.npy", VIDEOS)
    nan = S.copy()
    nan[2, 3] = np.nan  # a similarity may leave pairs out (NaN) ...
    np.savez(tmp_path / "n.npz", ids=VIDEOS.ids, similarity=nan)
    assert np.isnan(load_similarity(tmp_path / "n.npz", VIDEOS)[2, 3])
    inf = S.copy()
    inf[2, 3] = np.inf  # ... but never holds an infinite value
    np.savez(tmp_path / "i.npz", ids=VIDEOS.ids, similarity=inf)
    with pytest.raises(ValueError, match="video id 12 holds an infinite value"):
        load_similarity(tmp_path / "i.npz", VIDEOS)
    out = load_similarity(tmp_path / "i.npz", VIDEOS, required=np.array([0, 1]))
    assert np.isinf(out[2, 3])
    emb = np.ones((4, 2))
    emb[1, 0] = np.nan
    np.savez(tmp_path / "e.npz", ids=VIDEOS.ids, embeddings=emb)
    with pytest.raises(ValueError, match="embeddings of video id 11 holds a NaN"):
        load_embeddings(tmp_path / "e.npz", VIDEOS)

def test_bad_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_embeddings(tmp_path / "missing.npz", VIDEOS)
    np.savez(tmp_path / "noids.npz", embeddings=np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"noids.npz: missing array\(s\) \['ids'\]"):
        load_embeddings(tmp_path / "noids.npz", VIDEOS)
    np.savez(tmp_path / "dup.npz", ids=np.array([10, 10, 11, 12]), embeddings=np.ones((4, 2)))
    with pytest.raises(ValueError, match="video id 10 appears more than once"):
        load_embeddings(tmp_path / "dup.npz", VIDEOS)
    (tmp_path / "e.txt").write_text("1 2")
    with pytest.raises(ValueError, match="expected a .npy or .npz"):
        load_embeddings(tmp_path / "e.txt", VIDEOS)
    with pytest.raises(ValueError, match="to match the ids"):
        save_embeddings(tmp_path / "x.npz", np.array([1, 2]), np.ones((3, 2)))
    with pytest.raises(ValueError, match="row 1 holds a NaN"):
        save_embeddings(tmp_path / "x.npz", np.array([1, 2]), np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="use a .npz name"):
        save_embeddings(tmp_path / "x.npy", np.array([1]), np.ones((1, 2)))


def test_videos_key_and_check_dataset(tiny_benchmark_dir: Path, tmp_path: Path) -> None:
    from socalign.data import load_dataset
    from socalign.models.embeddings import (
        DatasetMismatchError,
        check_dataset,
        dataset_record,
        videos_key,
    )

    bench = load_dataset(tiny_benchmark_dir)
    assert videos_key(bench.videos) == videos_key(load_dataset(tiny_benchmark_dir).videos)
    changed = SimpleNamespace(**{**bench.videos.__dict__,
                                 "captions": (("other",), *bench.videos.captions[1:])})
    assert videos_key(changed) != videos_key(bench.videos)
    X = np.zeros((len(bench.videos), 2)) + np.arange(2)
    same = save_embeddings(tmp_path / "same.npz", bench.videos.ids, X, **dataset_record(bench))
    assert check_dataset(same, bench) is None
    other = save_embeddings(tmp_path / "other.npz", bench.videos.ids, X, dataset="garcia2025",
                            dataset_videos_key="0" * 64)
    with pytest.raises(DatasetMismatchError, match="made from dataset 'garcia2025'") as info:
        check_dataset(other, bench)
    assert info.value.where == str(other)
    assert "used anyway" in check_dataset(other, bench, allow_mismatch=True)
    named = save_embeddings(tmp_path / "named.npz", bench.videos.ids, X, dataset="garcia2025")
    with pytest.raises(DatasetMismatchError, match="not from 'tiny'"):
        check_dataset(named, bench)
    old = save_embeddings(tmp_path / "old.npz", bench.videos.ids, X)
    assert "records no dataset" in check_dataset(old, bench)
    np.save(tmp_path / "rows.npy", X)
    assert check_dataset(tmp_path / "rows.npy", bench) is None
