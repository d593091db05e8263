"""The one output rule (issue 22, deliverable 1): an output never replaces a file socalign did
not write (``--force`` where that is wanted), never lands inside a benchmark folder, and a book
build removes only what its own manifest says it wrote. Generated cases check the rule itself
(:func:`socalign.outputs.check_output_file`, folder states); a table runs the listed failures
through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socalign.data.layout import write_benchmark
from socalign.models.embeddings import save_embeddings, written_by_socalign
from socalign.outputs import (
    BENCHMARK_MARKER,
    OutputFolderError,
    check_output_file,
    check_output_folder,
    enclosing_benchmark,
)
from tests.helpers.tables import make_tables

EXISTING = ("none", "user_bytes", "user_npz", "own_npz", "folder", "symlink", "dangling")


def _make_existing(path: Path, kind: str, payload: bytes) -> None:
    if kind == "user_bytes":
        path.write_bytes(payload)
    elif kind == "user_npz":
        np.savez(path, ids=np.arange(3), embeddings=np.ones((3, 2)))
    elif kind == "own_npz":
        save_embeddings(path, np.arange(3), np.ones((3, 2)), model="tfidf")
    elif kind == "folder":
        path.mkdir()
        (path / "inside.txt").write_bytes(payload)
    elif kind == "symlink":
        target = path.with_name("target.bin")
        target.write_bytes(payload)
        path.symlink_to(target)
    elif kind == "dangling":
        path.symlink_to(path.with_name("nowhere.bin"))


def _snapshot(root: Path) -> dict[str, bytes | str]:
    shot: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            shot[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            shot[rel] = path.read_bytes()
        else:
            shot[rel] = "dir"
    return shot


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(EXISTING), depth=st.integers(0, 3), inside=st.booleans(),
       force=st.booleans(), payload=st.binary(max_size=64),
       name=st.text("abcxyz_-", min_size=1, max_size=8))
def test_check_output_file_refuses_by_the_rule_and_writes_nothing(
    tmp_path_factory, kind, depth, inside, force, payload, name,
) -> None:
    root = tmp_path_factory.mktemp("rule")
    base = root / "bench" if inside else root / "plain"
    base.mkdir()
    if inside:
        (base / BENCHMARK_MARKER).write_text("{}")
    folder = base.joinpath(*[f"d{i}" for i in range(depth)])
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.npz"
    if out.exists() or out.is_symlink():
        return  # a generated name that collides with a folder made above
    _make_existing(out, kind, payload)
    before = _snapshot(root)
    expect_refusal = (inside or kind in ("folder", "symlink", "dangling")
                      or (kind in ("user_bytes", "user_npz") and not force))
    if expect_refusal:
        with pytest.raises(OutputFolderError) as err:
            check_output_file(out, "embeddings", ".npz", written_by_socalign, force=force)
        assert str(out) in str(err.value) and "\n" not in str(err.value)
    else:
        assert check_output_file(out, "embeddings", ".npz", written_by_socalign,
                                 force=force) == out
    assert _snapshot(root) == before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(1, 4), marker_at=st.integers(0, 4))
def test_no_output_folder_inside_a_benchmark(tmp_path_factory, depth, marker_at) -> None:
    root = tmp_path_factory.mktemp("folders")
    parts = [f"p{i}" for i in range(depth)]
    out = root.joinpath(*parts, "new-run")
    marker_folder = root.joinpath(*parts[:marker_at]) if marker_at <= depth else None
    if marker_folder is not None:
        marker_folder.mkdir(parents=True, exist_ok=True)
        (marker_folder / BENCHMARK_MARKER).write_text("{}")
    found = enclosing_benchmark(out)
    assert found == (None if marker_folder is None else marker_folder.resolve())
    if marker_folder is None:
        assert check_output_folder(out, "run", "config.json") == out
    else:
        with pytest.raises(OutputFolderError, match="inside the benchmark folder"):
            check_output_folder(out, "run", "config.json")
    assert not out.exists()


def test_written_by_socalign_tells_own_files_from_the_users(tmp_path) -> None:
    own, user, text = tmp_path / "own.npz", tmp_path / "user.npz", tmp_path / "text.npz"
    save_embeddings(own, np.arange(2), np.ones((2, 2)), model="x")
    np.savez(user, ids=np.arange(2), embeddings=np.ones((2, 2)))
    text.write_text("not an archive")
    assert written_by_socalign(own)
    assert not written_by_socalign(user)
    assert not written_by_socalign(text)


# --- the listed failures through the real command line -----------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    w = tmp_path_factory.mktemp("outputs")
    videos, trials, captions = make_tables()
    write_benchmark(w / "B", videos, trials, captions, {"name": "b"})
    np.save(w / "B" / "scene.npy", np.zeros(3))  # a file the benchmark's readers rely on
    (w / "existing.npz").write_bytes(b"the user's own file")
    np.savez(w / "mine.npz", ids=np.arange(3), embeddings=np.ones((3, 2)))
    return w


def _socalign(args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOCALIGN_CACHE": str(cache), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "socalign", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


REFUSED = [
    ("embed over a user's file", ["embed", "B", "--model", "tfidf", "--out", "existing.npz"],
     "existing.npz exists and socalign did not write it"),
    ("embed over a user's npz", ["embed", "B", "--model", "tfidf", "--out", "mine.npz"],
     "--force"),
    ("embed into the benchmark", ["embed", "B", "--model", "tfidf", "--out", "B/scene.npz"],
     "inside the benchmark folder"),
    ("similarity over a user's file",
     ["data", "similarity", "B", "--split", "train", "--out", "existing.npz"],
     "socalign did not write it"),
    ("similarity into the benchmark",
     ["data", "similarity", "B", "--split", "train", "--out", "B/sim.npz"],
     "inside the benchmark folder"),
    ("embed with another suffix", ["embed", "B", "--model", "tfidf", "--out", "e.npy"],
     "must end in .npz"),
]


@pytest.mark.parametrize(("name", "argv", "fragment"), REFUSED, ids=[c[0] for c in REFUSED])
def test_listed_file_outputs_are_refused(world, tmp_path, name, argv, fragment) -> None:
    before = _snapshot(world)
    proc = _socalign(argv, world, tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("socalign: error: --out"), proc.stderr
    assert fragment in lines[0]
    assert _snapshot(world) == before


def test_force_replaces_and_own_files_are_replaced(world, tmp_path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "user.npz").write_bytes(b"user")
    bench = str(world / "B")
    cache = tmp_path / "cache"
    proc = _socalign(["embed", bench, "--model", "tfidf", "--out", "user.npz", "--force"],
                     work, cache)
    assert proc.returncode == 0, proc.stderr
    assert written_by_socalign(work / "user.npz")
    # a file socalign wrote is replaced without --force (re-running a command refreshes it)
    proc = _socalign(["data", "similarity", bench, "--split", "train", "--out", "user.npz"],
                     work, cache)
    assert proc.returncode == 0, proc.stderr
    assert "similarity" in np.load(work / "user.npz").files


# --- book --out ---------------------------------------------------------------------------


def test_book_out_refuses_a_folder_it_did_not_write(tmp_path) -> None:
    from socalign import book
    from tests.helpers.books import make_book

    root = make_book(tmp_path / "b")
    out = tmp_path / "out"
    (out / "src").mkdir(parents=True)
    (out / "src" / "notes.md").write_text("mine")
    (out / "summary.json").write_text("my own summary")
    before = _snapshot(out)
    with pytest.raises(OutputFolderError, match="did not write"):
        book.build_book(root, profile="ci", out=out, do_render=False)
    assert _snapshot(out) == before


def test_book_rebuild_removes_only_what_its_manifest_lists(tmp_path, monkeypatch) -> None:
    from socalign import book
    from socalign.book.build import BUILD_MANIFEST
    from tests.helpers.books import make_book

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    root = make_book(tmp_path / "b")
    (root / "book" / "extra.md").write_text("# Extra\n")
    (root / "_toc.yml").write_text((root / "_toc.yml").read_text() + "  - file: book/extra\n")
    out = tmp_path / "out"
    book.build_book(root, profile="ci", out=out, do_render=False)
    staged = set(json.loads((out / BUILD_MANIFEST).read_text())["staged"])
    assert "book/extra.md" in staged and "book/one.ipynb" in staged
    # the user adds files of their own under src/; the source of one page goes away
    (out / "src" / "book" / "my-notes.md").write_text("mine")
    (out / "src" / "mine").mkdir()
    (out / "src" / "mine" / "keep.txt").write_text("mine")
    (root / "book" / "extra.md").unlink()
    (root / "_toc.yml").write_text((root / "_toc.yml").read_text().replace(
        "  - file: book/extra\n", ""))
    book.build_book(root, profile="ci", out=out, do_render=False)
    assert not (out / "src" / "book" / "extra.md").exists()  # the build's own stale page
    assert (out / "src" / "book" / "my-notes.md").read_text() == "mine"
    assert (out / "src" / "mine" / "keep.txt").read_text() == "mine"
    assert "book/extra.md" not in json.loads((out / BUILD_MANIFEST).read_text())["staged"]


def test_book_does_not_overwrite_a_users_file_at_a_page_path(tmp_path, monkeypatch) -> None:
    from socalign import book
    from tests.helpers.books import make_book

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    root = make_book(tmp_path / "b")
    out = tmp_path / "out"
    book.build_book(root, profile="ci", out=out, do_render=False)
    (root / "book" / "two.md").write_text("# Two\n")
    (root / "_toc.yml").write_text((root / "_toc.yml").read_text() + "  - file: book/two\n")
    (out / "src" / "book" / "two.md").write_text("the user's two")
    before = _snapshot(out)
    with pytest.raises(OutputFolderError, match="was not written by a socalign build"):
        book.build_book(root, profile="ci", out=out, do_render=False)
    assert _snapshot(out) == before
