"""``-v/--verbose``: the library's log records (cache hits, downloads, decoding) on stderr.

Without the flag nothing extra is printed; with it, stdout is unchanged (``--json`` stays one
JSON object) and the records go to stderr only.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from socalign.cache import build_once
from socalign.cli import main


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SOCALIGN_CACHE", str(cache))
    return cache


def _embed(bench: Path, out: Path, *flags: str) -> list[str]:
    return ["embed", str(bench), "--model", "tfidf", "--out", str(out), *flags]


def test_verbose_prints_the_cache_hit_of_a_second_embed_on_stderr(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-v", *_embed(tiny_benchmark_dir, tmp_path / "a.npz")]) == 0
    first = capsys.readouterr()
    assert "socalign: embedding cache miss: tfidf" in first.err
    assert "cache hit" not in first.err and "socalign:" not in first.out

    assert main(_embed(tiny_benchmark_dir, tmp_path / "b.npz", "--verbose")) == 0
    second = capsys.readouterr()
    hits = [line for line in second.err.splitlines() if "embedding cache hit: tfidf" in line]
    assert len(hits) == 1 and hits[0].startswith("socalign: ")
    assert "socalign:" not in second.out  # the records never reach stdout


def test_without_verbose_nothing_extra_is_printed(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_embed(tiny_benchmark_dir, tmp_path / "a.npz")) == 0
    quiet_first = capsys.readouterr()
    assert main(_embed(tiny_benchmark_dir, tmp_path / "b.npz")) == 0
    quiet = capsys.readouterr()
    assert quiet_first.err == "" and quiet.err == ""
    assert main(_embed(tiny_benchmark_dir, tmp_path / "c.npz", "-v")) == 0
    loud = capsys.readouterr()
    def untimed(text: str) -> str:  # the elapsed seconds differ from run to run
        text = re.sub(r"\d[\d.,]* s\b", "T s", text.replace("c.npz", "b.npz"))
        return re.sub(r"[ \t]+", " ", text)  # and so does the column padding around them

    assert untimed(loud.out) == untimed(quiet.out)  # stdout as without the flag
    assert "embedding cache hit" in loud.err


def test_json_stdout_stays_pure_json_with_verbose(
    tiny_benchmark_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_embed(tiny_benchmark_dir, tmp_path / "a.npz", "--json")) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["-vv", *_embed(tiny_benchmark_dir, tmp_path / "b.npz", "--json")]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # one JSON object, nothing else
    assert set(result) == set(plain) and result["cached"] is True
    assert "embedding cache hit: tfidf" in captured.err
    assert "[socalign.cache] cache hit:" in captured.err  # -vv: the verified read, by module


def test_the_flag_restores_the_logger(tiny_benchmark_dir: Path, tmp_path: Path) -> None:
    logger = logging.getLogger("socalign")
    before = (logger.level, list(logger.handlers))
    assert main(["-vv", *_embed(tiny_benchmark_dir, tmp_path / "a.npz")]) == 0
    assert (logger.level, list(logger.handlers)) == before


def test_build_once_logs_miss_then_hit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def build(out: Path) -> None:
        out.mkdir()
        (out / "done.txt").write_text("x")

    with caplog.at_level(logging.INFO, logger="socalign"):
        build_once(tmp_path / "thing", "done.txt", build)
        build_once(tmp_path / "thing", "done.txt", build)
    messages = [r.getMessage() for r in caplog.records if r.name == "socalign.cache"]
    assert messages[0].startswith("cache miss: ") and "building" in messages[0]
    assert messages[1].startswith("cache built: ")
    assert messages[2].startswith("cache hit: ") and messages[2].endswith("(verified)")
