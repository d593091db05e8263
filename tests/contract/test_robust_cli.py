"""Each bad case of issue 12 through the real command line (``python -m socalign`` in a
subprocess): exit status 2, one ``socalign: error:`` line that names the file or argument and
says what to do, no traceback, and no file that existed before changed (or a new one left)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.data.layout import write_benchmark
from tests.helpers.tables import make_tables

OFFLINE = "http://127.0.0.1:9/"  # the discard port: connection refused at once


def _bench(root: Path, files: bool = False) -> Path:
    videos, trials, captions = make_tables()
    if files:
        videos["file"] = [f"videos/{v}.mp4" for v in videos["video_id"]]
    write_benchmark(root, videos, trials, captions, {"name": root.name})
    if files:
        for name in videos["file"]:
            (root / name).parent.mkdir(exist_ok=True)
            (root / name).write_bytes(b"placeholder")
    return root


def _edit(root: Path, name: str, old: bytes, new: bytes) -> None:
    path = root / name
    data = path.read_bytes()
    assert old in data, (name, old)
    path.write_bytes(data.replace(old, new, 1))


def _run_folder(out: Path, finished: bool) -> Path:
    from socalign.profiles import profile_config

    config = profile_config("demo", seed=0, trainer="fast", loss_kind="hybrid", epochs=1)
    (out / "checkpoints").mkdir(parents=True)
    (out / "config.json").write_text(json.dumps(
        {"dataset": "b", "backbone": "toy", "train": config.to_dict()}, indent=2))
    (out / "checkpoints" / "epoch-0000.safetensors").write_bytes(b"kept as it is")
    if finished:
        (out / "report.json").write_text("{}")
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every input of the table, made once."""
    w = tmp_path_factory.mktemp("world")
    _bench(w / "bench", files=True)
    _bench(w / "plain")
    (w / "foreign" / "model").mkdir(parents=True)
    (w / "foreign" / "config.json").write_text('{"model_type": "timesformer"}')
    (w / "foreign" / "model" / "weights.bin").write_bytes(b"precious")
    (w / "notes.txt").write_text("keep me")
    _run_folder(w / "finished", finished=True)
    _run_folder(w / "unfinished", finished=False)
    (w / "empty.npz").write_bytes(b"")
    (w / "text.npz").write_text("video_id,x\n1,2\n")
    good = w / "good.npz"
    np.savez(good, ids=np.arange(100, 112), embeddings=np.ones((12, 3)))
    (w / "cut.npz").write_bytes(good.read_bytes()[:-30])
    good.unlink()
    (w / "text.npy").write_text("1,2,3\n")
    _bench(w / "listjson")
    (w / "listjson" / "benchmark.json").write_text("[1, 2]")
    quoted = _bench(w / "quoted") / "videos.csv"
    frame = pd.read_csv(quoted).astype({"rating_valence": object})
    frame.loc[1, "rating_valence"] = "'high'"
    frame.to_csv(quoted, index=False)
    _edit(_bench(w / "latin1"), "videos.csv", b"clip104", b"cl\xe9p104")
    _edit(_bench(w / "bigid"), "videos.csv", b"\n101,", b"\n99999999999999999999,")
    _edit(_bench(w / "emptyid"), "videos.csv", b"\n101,", b"\n,")
    outside = _bench(w / "outside", files=True)
    _edit(outside, "videos.csv", b"videos/103.mp4", b"../bench/videos/103.mp4")
    return w


# (name, argv with {w} for the world folder, fragments the one line must hold)
CASES = [
    ("finetune onto another's folder",
     ["finetune", "{w}/bench", "--backbone", "toy", "--out", "{w}/foreign"],
     ["--out", "{w}/foreign", "refusing to overwrite a folder socalign did not write"]),
    ("finetune onto a file", ["finetune", "{w}/bench", "--out", "{w}/notes.txt"],
     ["{w}/notes.txt", "is a file, not a folder"]),
    ("finetune onto a finished run", ["finetune", "{w}/bench", "--out", "{w}/finished"],
     ["{w}/finished", "holds a finished run"]),
    ("refused resume (another configuration)",
     ["finetune", "{w}/bench", "--backbone", "toy", "--out", "{w}/unfinished", "--resume",
      "--epochs", "1", "--lr", "0.5"],
     ["config.json", "another configuration (lr:", "nothing was changed"]),
    ("resume without a run",
     ["finetune", "{w}/bench", "--out", "{w}/nothing", "--resume"],
     ["{w}/nothing", "holds no socalign run to resume", "drop --resume"]),
    ("pretrain onto another's folder", ["pretrain", "--out", "{w}/foreign"],
     ["{w}/foreign", "not empty"]),
    ("synth onto another's folder",
     ["data", "synth", "socialworld", "--out", "{w}/foreign"],
     ["{w}/foreign", "refusing to overwrite a folder socalign did not write"]),
    ("an empty .npz", ["evaluate", "{w}/plain", "--embeddings", "{w}/empty.npz"],
     ["{w}/empty.npz", "the file is empty"]),
    ("a text file named .npz", ["evaluate", "{w}/plain", "--embeddings", "{w}/text.npz"],
     ["{w}/text.npz", "not an .npz archive"]),
    ("a truncated .npz", ["evaluate", "{w}/plain", "--embeddings", "{w}/cut.npz"],
     ["{w}/cut.npz"]),
    ("a text file named .npy", ["evaluate", "{w}/plain", "--embeddings", "{w}/text.npy"],
     ["{w}/text.npy", "not an .npy array file"]),
    ("benchmark.json that is a list", ["data", "info", "{w}/listjson"],
     ["{w}/listjson/benchmark.json", "must hold a JSON object, found a list"]),
    ("quotes in a cell are kept", ["data", "info", "{w}/quoted"],
     ["{w}/quoted/videos.csv, line 3, column 'rating_valence'", "found \"'high'\""]),
    ("a non-UTF-8 byte", ["data", "info", "{w}/latin1"],
     ["{w}/latin1/videos.csv, line 6", "byte 0xe9 is not UTF-8"]),
    ("an id beyond int64", ["data", "info", "{w}/bigid"],
     ["{w}/bigid/videos.csv, line 3", "99999999999999999999 is beyond the 64-bit range"]),
    ("an empty id cell", ["data", "info", "{w}/emptyid"],
     ["{w}/emptyid/videos.csv, line 3", "found an empty cell"]),
    ("a file outside the benchmark", ["data", "info", "{w}/outside"],
     ["{w}/outside/videos.csv", "column 'file'", "not a path relative to the benchmark folder"]),
    ("offline fetch",
     ["data", "fetch", "garcia2025", "--dest", "{w}/new/garcia", "--url", OFFLINE],
     [OFFLINE + "data/interim/similarity/all_triplets.csv", "$SOCALIGN_DATA", "{w}/new/garcia"]),
    ("offline data info garcia2025", ["data", "info", "garcia2025"], ["$SOCALIGN_DATA"]),
]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "cache" not in p.relative_to(root).parts}


def _socalign(args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOCALIGN_DATA", "SOCALIGN_DEBUG", "SOCALIGN_GARCIA2025")}
    env.update(SOCALIGN_CACHE=str(cache), SOCALIGN_GARCIA2025_URL=OFFLINE)
    return subprocess.run([sys.executable, "-m", "socalign", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.mark.parametrize(("name", "argv", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_case_exits_2_with_one_line_and_changes_nothing(world, name, argv, fragments) -> None:
    before = _snapshot(world)
    done = _socalign([a.format(w=world) for a in argv], world / "cache")
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    line = lines[0]
    assert line.startswith("socalign: error: ")
    for fragment in fragments:
        assert fragment.format(w=world) in line, (fragment, line)
    assert "allow_pickle" not in line
    assert _snapshot(world) == before  # nothing changed, nothing new left behind
    assert not (world / "new").exists() and not (world / "nothing").exists()


def test_json_error_object_and_has_videos_truth(world) -> None:
    done = _socalign(["data", "info", str(world / "bigid"), "--json"], world / "cache")
    assert done.returncode == 2
    payload = json.loads(done.stdout)
    assert payload["where"] == f"{world / 'bigid' / 'videos.csv'}, line 3, column 'video_id'"
    assert payload["error"] == done.stderr.strip().removeprefix("socalign: error: ")
    bench = world / "bench"
    missing = bench / "videos" / "105.mp4"
    saved = missing.read_bytes()
    missing.unlink()
    try:
        done = _socalign(["data", "info", str(bench), "--json"], world / "cache")
    finally:
        missing.write_bytes(saved)
    assert done.returncode == 0 and json.loads(done.stdout)["has_videos"] is False
