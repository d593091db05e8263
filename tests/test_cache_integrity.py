"""Cache entries are verified when read: a truncated or corrupted entry is reported once (naming
the file), removed and rebuilt; builds of the same artefact are serialised by a file lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from socalign.cache import CacheWarning, build_once, read_verified, write_verified


def _flip_byte(path: Path, offset: int = -5) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_verified_entry_round_trip_and_corruptions(tmp_path) -> None:
    entry = write_verified(tmp_path / "e.bin", b"payload" * 100)
    assert read_verified(entry) == b"payload" * 100
    assert read_verified(tmp_path / "absent.bin") is None
    for damage in (lambda p: p.write_bytes(p.read_bytes()[:-3]), _flip_byte,
                   lambda p: p.with_name(p.name + ".sha256").unlink()):
        write_verified(entry, b"payload" * 100)
        damage(entry)
        with pytest.warns(CacheWarning, match=r"e\.bin: corrupt cache entry") as caught:
            assert read_verified(entry) is None
        assert len(caught) == 1
        assert not entry.exists() and not entry.with_name("e.bin.sha256").exists()


@pytest.fixture
def clip_file(tmp_path, monkeypatch) -> Path:
    pytest.importorskip("av")
    from socalign.video import write_video

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (4, 16, 16, 3), dtype=np.uint8)
    return write_video(tmp_path / "clip.mp4", frames)


@pytest.mark.parametrize("damage", ["truncate", "same_size"])
def test_corrupt_decoded_clip_is_reported_removed_and_rebuilt(clip_file, tmp_path, damage) -> None:
    from socalign.video import cached_clip

    first, hit = cached_clip(clip_file, 4, "pyav")
    assert not hit
    (entry,) = (tmp_path / "cache" / "clips").glob("*.npy")
    again, hit = cached_clip(clip_file, 4, "pyav")
    assert hit and np.array_equal(again, first)
    if damage == "truncate":
        entry.write_bytes(entry.read_bytes()[:100])
    else:
        _flip_byte(entry)  # a pixel changes; the file keeps its size
    with pytest.warns(CacheWarning, match=entry.name) as caught:
        rebuilt, hit = cached_clip(clip_file, 4, "pyav")
    assert len(caught) == 1 and not hit and np.array_equal(rebuilt, first)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert cached_clip(clip_file, 4, "pyav")[1]  # rebuilt once, then reused silently


def test_corrupt_embedding_cache_is_rebuilt(tiny_benchmark_dir, tmp_path, monkeypatch) -> None:
    from socalign.data import load_dataset
    from socalign.models.embed import embed

    tiny_benchmark = load_dataset(tiny_benchmark_dir)
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    first = embed(tiny_benchmark, "tfidf")
    (entry,) = (tmp_path / "cache" / "embeddings").glob("*.npz")
    assert embed(tiny_benchmark, "tfidf").cached
    entry.write_bytes(entry.read_bytes()[:-20])
    with pytest.warns(CacheWarning, match=entry.name):
        again = embed(tiny_benchmark, "tfidf")
    assert not again.cached and np.array_equal(again.embeddings, first.embeddings)
    assert embed(tiny_benchmark, "tfidf").cached


SCRIPT = """
import sys, time
from pathlib import Path
from socalign.cache import build_once

def build(out):
    out.mkdir()
    with open(sys.argv[2], "a") as log:
        log.write("built\\n")
    time.sleep(1.0)
    (out / "done.json").write_text("{}")

build_once(Path(sys.argv[1]), "done.json", build)
print("ok")
"""


def test_two_processes_build_once(tmp_path) -> None:
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(SCRIPT))
    target, log = tmp_path / "artefact", tmp_path / "log.txt"
    procs = [subprocess.Popen([sys.executable, str(script), str(target), str(log)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outs == ["ok\n", "ok\n"]
    assert log.read_text() == "built\n"  # one built, the other waited and reused it
    assert (target / "done.json").exists()
    assert build_once(target, "done.json", lambda out: pytest.fail("rebuilt")) == target
