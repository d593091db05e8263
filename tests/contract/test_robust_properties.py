"""Property-based: whatever a user's editor or spreadsheet does to the four files of a small
benchmark (deleted, duplicated or garbled cells and rows, other encodings, huge numbers, a
BOM, CRLF line ends, empty or truncated files), loading it either succeeds or raises socalign's
own :class:`~socalign.data.errors.BenchmarkError` naming the file; never another exception."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from socalign.data import load_dataset
from socalign.data.errors import BenchmarkError
from socalign.data.layout import write_benchmark
from tests.helpers.tables import make_tables

FILES = ("benchmark.json", "videos.csv", "captions.csv", "trials.csv")
NASTY = ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-1", "-0", "0.5", "1.0", "2",
         "99999999999999999999999999", "-99999999999999999999", "9223372036854775808",
         "0x10", "1_000", "١٢", "ＡＢ", "'quoted'", '"', '""', "a,b", "\t", "\\", "None",
         "True", "é", "💥", "\x00", "{", "[]", "null", "train", "test"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    videos, trials, captions = make_tables(n_videos=6, n_trials=12)
    return write_benchmark(tmp_path_factory.mktemp("base") / "b", videos, trials, captions,
                           {"name": "small"})


def _cells(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.split("\n")]


def _join(rows: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in rows)


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, str, tuple]:
    name = draw(st.sampled_from(FILES))
    op = draw(st.sampled_from(["delete_cell", "garble_cell", "duplicate_row", "delete_row",
                               "encoding", "bom", "crlf", "empty", "truncate", "huge",
                               "swap_header", "extra_column", "blank_lines"]))
    args = (draw(st.integers(0, 40)), draw(st.integers(0, 8)),
            draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=6))),
            draw(st.sampled_from(["utf-16", "latin-1", "cp1252", "utf-8-sig"])))
    return name, op, args


def _apply(path: Path, op: str, args: tuple) -> None:
    row, col, text, encoding = args
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    rows = _cells(content)
    r = row % len(rows)
    c = col % max(len(rows[r]), 1)
    if op == "delete_cell" and rows[r]:
        del rows[r][c]
    elif op == "garble_cell" and rows[r]:
        rows[r][c] = text
    elif op == "huge" and rows[r]:
        rows[r][c] = "9" * (20 + row)
    elif op == "duplicate_row":
        rows.insert(r, list(rows[r]))
    elif op == "delete_row":
        del rows[r]
    elif op == "swap_header" and len(rows[0]) > 1:
        rows[0][0], rows[0][-1] = rows[0][-1], rows[0][0]
    elif op == "extra_column":
        rows[r].append(text)
    elif op == "blank_lines":
        rows.insert(r, [""])
    out = _join(rows)
    if op == "encoding":
        path.write_bytes(out.encode(encoding, errors="replace") + "é".encode(encoding))
    elif op == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + out.encode("utf-8", errors="surrogatepass"))
    elif op == "crlf":
        path.write_bytes(out.replace("\n", "\r\n").encode("utf-8", errors="surrogatepass"))
    elif op == "empty":
        path.write_bytes(b"")
    elif op == "truncate":
        path.write_bytes(raw[: (row * 7) % max(len(raw), 1)])
    else:
        path.write_bytes(out.encode("utf-8", errors="surrogatepass"))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(mutation(), min_size=1, max_size=3))
def test_mutated_benchmark_loads_or_names_the_file(base: Path, mutations) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(shutil.copytree(base, Path(scratch) / "b"))
        for name, op, args in mutations:
            _apply(root / name, op, args)
        try:
            bench = load_dataset(root)
        except BenchmarkError as err:
            message = str(err)
            assert any(str(root / name) in message for name in FILES), message
            event("refused, naming the file")
            return
        assert len(bench.videos) > 0 and len(bench.trials) > 0
        event("loaded")
