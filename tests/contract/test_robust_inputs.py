"""Issue 22: inputs bounded, environment faults and a quiet stderr, by class.

Each case runs the real command line (``socalign.cli.main``, in-process; the FIFO also in a
subprocess, which would hang before the fix) and asserts exit status 2 (or the one-warning
degrade of an unwritable cache), exactly one line on stderr, and that nothing on disk changed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socalign import cache
from socalign.cli import main
from socalign.data.layout import write_benchmark
from tests.helpers.tables import make_tables

SLOTS = ("benchmark.json", "videos.csv", "captions.csv", "trials.csv", "videos/103.mp4")


def _bench(root: Path) -> Path:
    videos, trials, captions = make_tables()
    videos["file"] = [f"videos/{v}.mp4" for v in videos["video_id"]]
    write_benchmark(root, videos, trials, captions, {"name": root.name})
    for name in videos["file"]:
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(b"placeholder")
    return root


def _snapshot(root: Path) -> dict[str, object]:
    """Every entry under ``root``: bytes of regular files, the kind or link target of others
    (the cache folder aside: a command may create its empty subfolders)."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel.split(os.sep)[0] == "cache":
            continue
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = ("entry", os.lstat(path).st_mode)
    return out


def _one_error(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    """Run ``socalign argv``; assert exit 2 and one ``socalign: error:`` line holding fragments."""
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("socalign: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SOCALIGN_GARCIA2025_URL", "http://127.0.0.1:9/")
    for name in ("SOCALIGN_DATA", "SOCALIGN_DEBUG", "SOCALIGN_GARCIA2025_VIDEOS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _make_special(path: Path, kind: str, outside: Path,
                  monkeypatch: pytest.MonkeyPatch) -> list[socket.socket]:
    """Replace ``path`` by a special file of ``kind``; returns sockets to close afterwards."""
    path.unlink(missing_ok=True)
    keep: list[socket.socket] = []
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "socket":
        monkeypatch.chdir(path.parent)  # AF_UNIX paths are short: bind the bare name
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path.name)
        keep.append(sock)
    elif kind == "folder":
        path.mkdir()
    elif kind == "outside":
        outside.write_bytes(b"{}" if path.suffix == ".json" else b"video_id\n1\n")
        path.symlink_to(outside)
    return keep


SPECIAL_KINDS = {"fifo": "named pipe (FIFO)", "device": "", "socket": "a socket",
                 "folder": "a folder", "outside": "outside the folder"}


@pytest.mark.parametrize("kind", sorted(SPECIAL_KINDS))
@pytest.mark.parametrize("slot", SLOTS)
def test_a_special_file_in_any_slot_is_refused_by_name(env, capsys, monkeypatch, slot,
                                                       kind) -> None:
    bench = _bench(env / "bench")
    keep = _make_special(bench / slot, kind, env / f"outside{Path(slot).suffix}", monkeypatch)
    before = _snapshot(env)
    try:
        line = _one_error(capsys, ["data", "info", str(bench), "--no-decode"], str(bench / slot))
    finally:
        for sock in keep:
            sock.close()
    assert SPECIAL_KINDS[kind] in line
    if kind == "device":  # a link to /dev/zero leaves the folder, and is a device
        assert "outside the folder" in line or "device" in line
    assert _snapshot(env) == before


def test_a_fifo_does_not_block_the_real_command(env) -> None:
    bench = _bench(env / "bench")
    (bench / "trials.csv").unlink()
    os.mkfifo(bench / "trials.csv")
    done = subprocess.run([sys.executable, "-m", "socalign", "data", "info", str(bench)],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "named pipe (FIFO)" in done.stderr


def test_a_symlink_inside_the_folder_is_read(env, capsys) -> None:
    bench = _bench(env / "bench")
    (bench / "tables").mkdir()
    shutil.move(bench / "trials.csv", bench / "tables" / "trials.csv")
    (bench / "trials.csv").symlink_to(Path("tables") / "trials.csv")
    assert main(["data", "info", str(bench), "--no-decode", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_trials"] > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.one_of(st.integers(cache.MAX_JSON_DEPTH + 1, 3000),
                       st.integers(3000, 250_000)), kind=st.sampled_from("[{"))
def test_deep_json_is_a_user_error(env, capsys, depth, kind) -> None:
    bench = env / "deep"
    if not bench.exists():
        _bench(bench)
    text = ("[" * depth + "]" * depth) if kind == "[" else ('{"a":' * depth + "1" + "}" * depth)
    (bench / "benchmark.json").write_text(text)
    before = _snapshot(env)
    _one_error(capsys, ["data", "info", str(bench), "--no-decode"],
               str(bench / "benchmark.json"), "nested deeper than")
    assert _snapshot(env) == before


def test_json_within_the_depth_bound_loads(env) -> None:
    path = env / "ok.json"
    value: object = 1
    for _ in range(cache.MAX_JSON_DEPTH):
        value = [value]
    path.write_text(json.dumps(value))
    assert cache.json_depth(cache.read_json_input(path)) == cache.MAX_JSON_DEPTH


@pytest.mark.parametrize("slot,kind", [("benchmark.json", "json"), ("videos.csv", "csv")])
def test_a_file_over_its_size_limit_is_refused(env, capsys, monkeypatch, slot, kind) -> None:
    bench = _bench(env / "bench")
    monkeypatch.setitem(cache.INPUT_LIMITS, kind, 40)
    before = _snapshot(env)
    _one_error(capsys, ["data", "info", str(bench), "--no-decode"], str(bench / slot),
               "a " + kind + " input may have")
    assert _snapshot(env) == before


def test_npz_inputs_pass_the_same_opener(env, capsys) -> None:
    bench = _bench(env / "bench")
    os.mkfifo(env / "emb.npz")
    _one_error(capsys, ["evaluate", str(bench), "--embeddings", str(env / "emb.npz")],
               str(env / "emb.npz"), "named pipe")


# --- --set values of the wrong type -----------------------------------------------------------

INTEGER_KEYS = ("train.epochs", "train.batch_videos", "n_boot", "probe_folds",
                "socialworld.n_videos", "train.max_steps_per_epoch")
NUMBER_KEYS = ("train.lr", "train.weight_decay", "socialworld.test_fraction",
               "trainer_train.paper.lr")
NOT_FINITE = ("1e400", "-1e400", "NaN", "Infinity", "-Infinity")
words = st.text("abcxyz_ ", min_size=1, max_size=8).filter(lambda t: t.strip() not in ("", "null"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.one_of(
    st.tuples(st.sampled_from(INTEGER_KEYS), st.one_of(
        words, st.sampled_from((*NOT_FINITE, "true", "[1]", '{"a":1}')),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)).map(repr))),
    st.tuples(st.sampled_from(NUMBER_KEYS), st.one_of(words, st.sampled_from((*NOT_FINITE, "false")))),
    st.tuples(st.just("seeds"), st.one_of(
        st.sampled_from(["[1e400]", "[NaN]", "[1.5]", "[true]", '["a"]', "[-1]", "x", "[]"]),
        st.lists(st.sampled_from(NOT_FINITE), min_size=1, max_size=3).map(lambda v: "[" + ",".join(v) + "]"))),
    st.tuples(st.sampled_from(["language_models", "other_video_models"]),
              st.sampled_from(["[1]", "[null]", '[""]', "3", "[[]]"])),
    st.tuples(st.just("extra.x"), st.sampled_from((*NOT_FINITE, '{"y": [1e400]}'))),
))
def test_a_set_value_of_the_wrong_type_names_the_key(env, capsys, case) -> None:
    key, value = case
    root = env / "no-book"  # reached only if the value were accepted: then no --set in the line
    before = _snapshot(env)
    line = _one_error(capsys, ["book", "--profile", "ci", "--no-render", "--root", str(root),
                               "--out", str(env / "out"), "--set", f"{key}={value}"], "--set")
    top = key.split(".")[0]
    assert f"--set {top}" in line, line
    assert not (env / "out").exists() and _snapshot(env) == before


# --- environment faults -----------------------------------------------------------------------


def _refuse_writes_under(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Writes under ``folder`` fail as on a read-only (EROFS) or full (ENOSPC) file system."""
    real_mkstemp, real_mkdtemp = tempfile.mkstemp, tempfile.mkdtemp

    def inside(directory: object) -> bool:
        return directory is not None and Path(os.path.abspath(str(directory))).is_relative_to(folder)

    def mkstemp(*args, **kwargs):
        if inside(kwargs.get("dir")):
            raise OSError(code, os.strerror(code), str(kwargs.get("dir")))
        return real_mkstemp(*args, **kwargs)

    def mkdtemp(*args, **kwargs):
        if inside(kwargs.get("dir")):
            raise OSError(code, os.strerror(code), str(kwargs.get("dir")))
        return real_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(cache.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(cache.tempfile, "mkdtemp", mkdtemp)


@pytest.mark.parametrize("no_cache", [False, True])
@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_an_unwritable_cache_warns_once_and_the_command_runs(env, capsys, monkeypatch, code,
                                                             no_cache) -> None:
    bench = _bench(env / "bench")
    folder = env / "cache"
    folder.mkdir()
    _refuse_writes_under(monkeypatch, folder, code)
    monkeypatch.setattr(cache, "_UNAVAILABLE", set())
    argv = ["embed", str(bench), "--model", "tfidf", "--out", str(env / "emb.npz"), "--json"]
    assert main(argv + (["--no-cache"] if no_cache else [])) == 0
    err = capsys.readouterr().err.strip().splitlines()
    if no_cache:
        assert err == []
    else:
        assert len(err) == 1 and err[0].startswith("socalign: warning: "), err
        assert str(folder) in err[0] and os.strerror(code) in err[0]
    assert (env / "emb.npz").is_file() and list(folder.rglob("*.npz")) == []


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_an_unwritable_output_is_exit_2_naming_it(env, capsys, monkeypatch, code) -> None:
    bench = _bench(env / "bench")
    (env / "outdir").mkdir()
    _refuse_writes_under(monkeypatch, env / "outdir", code)
    before = _snapshot(env)
    _one_error(capsys, ["embed", str(bench), "--model", "tfidf", "--out",
                        str(env / "outdir" / "emb.npz"), "--no-cache"],
               str(env / "outdir" / "emb.npz"), os.strerror(code))
    assert _snapshot(env) == before


def test_a_cache_path_that_is_a_file_builds_without_the_cache(env, monkeypatch) -> None:
    blocker = env / "cache-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SOCALIGN_CACHE", str(blocker))
    monkeypatch.setattr(cache, "_UNAVAILABLE", set())

    def build(out: Path) -> None:
        out.mkdir()
        (out / "done.txt").write_text("ok")

    with pytest.warns(cache.CacheUnavailableWarning, match=str(blocker)):
        built = cache.build_once(cache.cache_dir("x") / "entry", "done.txt", build)
    assert (built / "done.txt").read_text() == "ok" and blocker.read_text() == "not a folder"


@pytest.mark.parametrize("layout", ["missing", "empty", "file", "changed"])
def test_a_wrong_socalign_data_names_the_copy_and_never_downloads(env, capsys, monkeypatch,
                                                                  layout) -> None:
    from socalign.data import garcia2025

    data = env / "data"
    if layout == "empty":
        data.mkdir()
    elif layout == "file":
        data.write_text("x")
    elif layout == "changed":
        for rel in garcia2025.FILES:
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            (data / rel).write_text("video_name\nx\n")
    monkeypatch.setenv("SOCALIGN_DATA", str(data))
    monkeypatch.setattr(garcia2025, "fetch", lambda *a, **k: pytest.fail("downloaded"))
    before = _snapshot(env)
    line = _one_error(capsys, ["data", "info", "garcia2025"], f"$SOCALIGN_DATA={data}",
                      "the local copy of garcia2025 there is wrong")
    if layout == "changed":
        assert "all_triplets.csv" in line and "sha256" in line
    elif layout == "empty":
        assert "all_triplets.csv is missing" in line
    assert _snapshot(env) == before


# --- quiet stderr off a terminal --------------------------------------------------------------


def test_progress_is_decided_once_and_every_bar_obeys(monkeypatch) -> None:
    import argparse

    from huggingface_hub import utils as hub

    from socalign.cli.parser import progress_enabled
    from socalign.progress import bars, bars_enabled

    assert progress_enabled(argparse.Namespace(json=False)) is False  # captured: not a terminal
    assert progress_enabled(argparse.Namespace(json=True, progress=True)) is True
    assert bars_enabled(True) is True and bars_enabled(False) is False  # a library call decides
    was = hub.are_progress_bars_disabled()
    with bars(False):
        assert bars_enabled(True) is False and hub.are_progress_bars_disabled()
        with bars(True):
            assert bars_enabled(True) is True
        assert bars_enabled(True) is False
    assert hub.are_progress_bars_disabled() == was and bars_enabled(True) is True


def test_a_command_off_a_terminal_writes_nothing_but_its_result(env) -> None:
    bench = _bench(env / "bench")
    done = subprocess.run([sys.executable, "-m", "socalign", "embed", str(bench), "--model",
                           "tfidf", "--out", str(env / "e.npz")], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))
    assert done.returncode == 0 and done.stderr == "", done.stderr
