"""One error contract for the command line: exit 2 and one line naming the file/argument for
what a user can fix (JSON ``{"error", "where"}`` under --json), exit 1 and no traceback for
internal errors (unless --debug / SOCALIGN_DEBUG=1), exit 130 on Ctrl-C."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import socalign.cli.data as cli_data
from socalign.cli import main


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_bad_csv_row_names_file_line_and_column_in_json(tiny_benchmark_dir, capsys) -> None:
    path = tiny_benchmark_dir / "videos.csv"
    path.write_text(path.read_text().replace("train", "tr'ain", 1))
    text = path.read_text().splitlines()
    text[2] = text[2].replace(text[2].split(",")[0], "x1", 1)
    path.write_text("\n".join(text) + "\n")
    assert main(["data", "info", str(tiny_benchmark_dir), "--json"]) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert line.startswith("socalign: error: ") and "videos.csv, line 3" in line
    assert line.endswith("found 'x1'")  # quotes are no longer stripped from the ends
    payload = json.loads(captured.out)
    assert payload["where"] == f"{path}, line 3, column 'video_id'"
    assert payload["error"] == line.removeprefix("socalign: error: ")


def test_usage_error_is_one_line_naming_the_argument(tiny_benchmark_dir, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["data", "similarity", str(tiny_benchmark_dir), "--json"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "--out" in _one_line(captured.err)
    assert json.loads(captured.out)["where"] == "--out"


def test_argument_error_where(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["data", "info", "x", "--json", "--nope"])
    with pytest.raises(SystemExit):
        main(["gap", "x", "--n-boot", "many", "--json"])
    captured = capsys.readouterr()
    payloads = [json.loads(line) for line in captured.out.splitlines()]
    assert payloads[-1]["where"] == "--n-boot"
    assert "invalid int value: 'many'" in payloads[-1]["error"]


def test_internal_error_exits_1_without_traceback_unless_debug(monkeypatch, capsys) -> None:
    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli_data, "fetch_command", broken)
    monkeypatch.delenv("SOCALIGN_DEBUG", raising=False)
    assert main(["data", "fetch", "garcia2025"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "internal error: RuntimeError: a bug" in line and "--debug" in line
    assert main(["data", "fetch", "garcia2025", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("SOCALIGN_DEBUG", "1")
    assert main(["data", "fetch", "garcia2025"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_ctrl_c_exits_130_without_traceback(monkeypatch, capsys) -> None:
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_data, "fetch_command", interrupted)
    assert main(["data", "fetch", "garcia2025"]) == 130
    assert _one_line(capsys.readouterr().err) == "socalign: interrupted"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"video_id,x\n1,2\n", "not an .npz archive"),
     (b"PK\x03\x04truncated", "not an .npz archive")],
)
def test_bad_npz_is_named_and_never_suggests_pickle(tiny_benchmark_dir, tmp_path, capsys,
                                                    content, message) -> None:
    path = tmp_path / "emb.npz"
    path.write_bytes(content)
    assert main(["evaluate", str(tiny_benchmark_dir), "--embeddings", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(path) in line and message in line and "pickle" not in line


def test_truncated_npz_and_text_npy(tiny_benchmark_dir, tmp_path, capsys) -> None:
    good = tmp_path / "good.npz"
    np.savez(good, ids=np.arange(100, 112), embeddings=np.ones((12, 3)))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:-30])
    assert main(["evaluate", str(tiny_benchmark_dir), "--embeddings", str(cut)]) == 2
    assert str(cut) in _one_line(capsys.readouterr().err)
    text = tmp_path / "text.npy"
    text.write_text("1,2,3\n")
    assert main(["evaluate", str(tiny_benchmark_dir), "--embeddings", str(text)]) == 2
    assert "not an .npy array file" in _one_line(capsys.readouterr().err)


def test_benchmark_json_that_is_a_list(tiny_benchmark_dir, capsys) -> None:
    (tiny_benchmark_dir / "benchmark.json").write_text("[1, 2]")
    assert main(["data", "info", str(tiny_benchmark_dir)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "benchmark.json: must hold a JSON object, found a list" in line


def test_offline_fetch_fails_fast_and_cleans_up(tmp_path, monkeypatch, capsys) -> None:
    dest = tmp_path / "new" / "garcia"
    url = "http://127.0.0.1:9/"  # the discard port: connection refused at once
    assert main(["data", "fetch", "garcia2025", "--dest", str(dest), "--url", url, "--json"]) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert f"{url}data/interim/similarity/all_triplets.csv" in line
    assert "Connection refused" in line and "$SOCALIGN_DATA" in line and str(dest) in line
    assert json.loads(captured.out)["where"].startswith(url)
    assert not (tmp_path / "new").exists()
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SOCALIGN_GARCIA2025_URL", url)
    monkeypatch.delenv("SOCALIGN_DATA", raising=False)
    assert main(["data", "info", "garcia2025"]) == 2
    assert "$SOCALIGN_DATA" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "cache" / "garcia2025").exists()


def test_real_command_line_user_error_is_one_line(tmp_path) -> None:
    """Through the installed entry point: a user error is one line with exit status 2."""
    bench = tmp_path / "b"
    bench.mkdir()
    (bench / "benchmark.json").write_text("{}")
    done = subprocess.run([sys.executable, "-m", "socalign", "data", "info", str(bench)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "videos.csv" in _one_line(done.stderr)
    assert Path(bench / "benchmark.json").read_text() == "{}"
