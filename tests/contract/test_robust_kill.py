"""``kill -9`` at the worst moment: during ``data synth``, during an embedding-cache write,
and during a book build (a chapter, and a book run cache it builds). Afterwards nothing half
written is reused and a rerun through the command line succeeds.

Each victim is a real ``python`` process that runs socalign's command line; the kill comes at a
deterministic point (the process SIGKILLs itself from a patched writer, or the test SIGKILLs its
process group once a sentinel file appears), so the tests never race the clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

PRELUDE = """
import os, signal, sys
from pathlib import Path
def die():
    sys.stdout.flush(); sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOCALIGN_DEBUG"}
    env.update(SOCALIGN_CACHE=str(cache), **extra)
    return env


def _killed(script: str, cache: Path, *argv: str) -> None:
    """Run ``PRELUDE + script`` then socalign's CLI with ``argv``; it must die of SIGKILL."""
    code = PRELUDE + textwrap.dedent(script) + (
        "\nfrom socalign.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          timeout=300, env=_env(cache))
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stderr[-2000:])


def _socalign(cache: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "socalign", *argv], capture_output=True,
                          text=True, timeout=600, env=_env(cache, **env))


SYNTH = ["data", "synth", "socialworld", "--videos", "15", "--frames", "4", "--size", "16",
         "--no-calibrate"]


@pytest.mark.slow
def test_kill_during_data_synth_leaves_no_half_benchmark(tmp_path) -> None:
    pytest.importorskip("av")
    from socalign.data import load_dataset

    out = tmp_path / "world"
    _killed("""
        import socalign.data.socialworld.synth as synth
        real, count = synth.write_video, [0]
        def write_video(path, frames, *args, **kwargs):
            count[0] += 1
            if count[0] == 4:
                die()  # three videos are written, the fourth is being encoded
            return real(path, frames, *args, **kwargs)
        synth.write_video = write_video
    """, tmp_path / "cache", *SYNTH, "--out", str(out))
    assert not out.exists() or list(out.iterdir()) == []  # no half-written benchmark in --out
    done = _socalign(tmp_path / "cache", *SYNTH, "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    bench = load_dataset(out)
    assert len(bench.videos) == 15 and bench.videos.has_files


@pytest.fixture
def text_bench(tmp_path) -> Path:
    from socalign.data.layout import write_benchmark
    from tests.helpers.tables import make_tables

    videos, trials, captions = make_tables()
    return write_benchmark(tmp_path / "bench", videos, trials, captions, {"name": "tiny"})


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["while writing the entry", "before its record"])
def test_kill_during_an_embedding_cache_write(text_bench, tmp_path, moment) -> None:
    from socalign.models.embeddings import load_embeddings

    cache = tmp_path / "cache"
    clean = _socalign(tmp_path / "clean-cache", "embed", str(text_bench), "--model", "tfidf",
                      "--out", str(tmp_path / "clean.npz"))
    assert clean.returncode == 0, clean.stderr[-2000:]
    out = tmp_path / "emb.npz"
    _killed(f"""
        import socalign.cache as cache
        real = cache.atomic_write_bytes
        def atomic_write_bytes(path, data):
            path = Path(path)
            if path.parent.name == "embeddings":
                if {moment == "while writing the entry"} and path.suffix == ".npz":
                    partial = path.with_name("." + path.name + ".x.tmp")
                    partial.write_bytes(data[: len(data) // 2])  # the temporary file, half full
                    die()
                if path.name.endswith(".sha256"):
                    die()  # the entry is in place, its size/sha256 record is not
            return real(path, data)
        cache.atomic_write_bytes = atomic_write_bytes
    """, cache, "embed", str(text_bench), "--model", "tfidf", "--out", str(out))
    assert not out.exists()
    done = _socalign(cache, "embed", str(text_bench), "--model", "tfidf", "--out", str(out),
                     "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["cached"] is False  # the half-written entry was not reused
    if moment == "before its record":
        assert "corrupt cache entry" in done.stderr and "no size/sha256 record" in done.stderr
    from socalign.data import load_dataset

    videos = load_dataset(text_bench).videos
    np.testing.assert_array_equal(load_embeddings(out, videos),
                                  load_embeddings(tmp_path / "clean.npz", videos))
    again = _socalign(cache, "embed", str(text_bench), "--model", "tfidf", "--out", str(out),
                      "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["cached"] is True
    assert "corrupt" not in again.stderr


BOOK_CONFIG = """\
title: tiny
execute:
  execute_notebooks: "off"
only_build_toc_files: true
"""
BOOK_TOC = """\
format: jb-book
root: book/intro
chapters:
  - file: book/one
"""
BOOK_CHAPTER = '''\
# %% [markdown]
# # One

# %% tags=["parameters"]
profile = "demo"

# %%
import os, time
from pathlib import Path
from socalign.cache import build_once, cache_dir

def build(out):
    out.mkdir()
    (out / "part.bin").write_bytes(b"x" * 1000)
    if os.environ.get("SOCALIGN_TEST_HANG"):
        Path(os.environ["SOCALIGN_TEST_HANG"]).write_text("building")
        time.sleep(600)  # killed here, half way through a book run cache
    (out / "done.json").write_text("{}")

run = build_once(cache_dir("book", "runs") / "tiny-run", "done.json", build)
print("run ready", sorted(p.name for p in run.iterdir()))
'''


@pytest.mark.slow
def test_kill_during_a_book_build(tmp_path) -> None:
    pytest.importorskip("papermill")
    pytest.importorskip("jupytext")
    root = tmp_path / "b"
    (root / "book").mkdir(parents=True)
    (root / "_config.yml").write_text(BOOK_CONFIG)
    (root / "_toc.yml").write_text(BOOK_TOC)
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / "book" / "one.py").write_text(BOOK_CHAPTER)
    cache, out, sentinel = tmp_path / "cache", tmp_path / "out", tmp_path / "hang"
    argv = [sys.executable, "-m", "socalign", "book", "--root", str(root), "--profile", "ci",
            "--out", str(out), "--no-render"]
    victim = subprocess.Popen(argv, env=_env(cache, SOCALIGN_TEST_HANG=str(sentinel)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not sentinel.exists():
            assert victim.poll() is None, "the build ended before the chapter hung"
            assert time.monotonic() < deadline, "the chapter never started"
            time.sleep(0.2)
    finally:
        os.killpg(victim.pid, signal.SIGKILL)  # the CLI and the chapter's kernel
        victim.wait(timeout=60)
    runs = cache / "book" / "runs"
    assert not (runs / "tiny-run").exists()  # the half-built run never took the cache's name
    assert list((cache / "book" / "executed").glob("*.ipynb")) == []  # no chapter cached
    done = _socalign(cache, "book", "--root", str(root), "--profile", "ci", "--out", str(out),
                     "--no-render", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["executed"] == 1
    staged = (out / "src" / "book" / "one.ipynb").read_text()
    assert "run ready" in staged and "done.json" in staged and "part.bin" in staged
    assert (runs / "tiny-run" / "done.json").exists()
    again = _socalign(cache, "book", "--root", str(root), "--profile", "ci", "--out", str(out),
                      "--no-render", "--json")
    assert again.returncode == 0 and "corrupt" not in again.stderr
    assert json.loads(again.stdout)["cached"] == 1
