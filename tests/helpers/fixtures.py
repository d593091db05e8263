"""Fixtures several test modules use (tests/conftest.py registers them)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from socalign.data.layout import write_benchmark
from socalign.video import write_video
from tests.helpers.tables import make_tables
from tests.helpers.training import SIZE, tiny_backbone


@pytest.fixture(scope="module")
def video_benchmark(tmp_path_factory) -> tuple[Path, Path]:
    """(benchmark folder with mp4 files, tiny TimeSformer folder)."""
    from socalign.video import write_video

    root = tmp_path_factory.mktemp("ft") / "bench"
    videos, trials, captions = make_tables(n_videos=24, n_trials=3000, seed=1)
    rng = np.random.default_rng(0)
    files = []
    for k, vid in enumerate(videos["video_id"]):
        level = 60 + 120 * (k % 2)  # the two clusters differ in brightness
        frames = np.clip(level + rng.normal(0, 25, (6, SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
        write_video(root / "videos" / f"{vid}.mp4", frames)
        files.append(f"videos/{vid}.mp4")
    videos["file"] = files
    write_benchmark(root, videos, trials, captions, {"name": "tinyvideo"})
    backbone = tmp_path_factory.mktemp("ft") / "tiny_timesformer"
    tiny_backbone().save_pretrained(backbone)
    return root, backbone


def finetune_args(bench: Path, backbone: Path, out: Path, *extra: str) -> list[str]:
    return ["finetune", str(bench), "--backbone", str(backbone), "--out", str(out), "--epochs",
            "2", "--n-boot", "20", "--val-fraction", "0.4", "--no-progress", "--json", *extra]


def clip_frames(k: int, n: int = 8, size: int = 32) -> np.ndarray:
    """Video k: a square whose brightness and position depend on k."""
    frames = np.full((n, size, size, 3), 20, dtype=np.uint8)
    for t in range(n):
        x = (3 * k + 2 * t) % (size - 8)
        frames[t, 8:16, x : x + 8] = 60 + 15 * k
    return frames


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    """The 12-video tiny benchmark, with an mp4 per video."""
    videos, trials, captions = make_tables()
    root = tmp_path / "bench"
    videos["file"] = [f"videos/{i}.mp4" for i in videos["video_id"]]
    for k, vid in enumerate(videos["video_id"]):
        write_video(root / "videos" / f"{vid}.mp4", clip_frames(k))
    return write_benchmark(root, videos, trials, captions, {"name": "tiny-video"})


@pytest.fixture
def serve() -> Iterator:
    """Serve a folder over HTTP on 127.0.0.1; yields a function folder -> base URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *a, **k: None  # keep test output clean
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
