"""Progress lines reach the followed file, in order, and the environment is restored."""

from __future__ import annotations

import os
from pathlib import Path

from socalign import progress


def test_follow_echoes_every_line_and_restores_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(progress.PROGRESS_ENV, raising=False)
    seen: list[str] = []
    with progress.follow(tmp_path / "p.log", seen.append, interval=0.01):
        assert os.environ[progress.PROGRESS_ENV] == str(tmp_path / "p.log")
        with progress.step("work"):
            progress.report("two\nlines")
    assert seen[0] == "work ..." and seen[1] == "two lines"
    assert seen[2].startswith("work: done in ") and len(seen) == 3
    assert progress.PROGRESS_ENV not in os.environ


def test_report_without_a_build_goes_to_the_logger(caplog, monkeypatch) -> None:
    monkeypatch.delenv(progress.PROGRESS_ENV, raising=False)
    with caplog.at_level("INFO", logger="socalign"):
        progress.report("cache hit")
    assert "cache hit" in caplog.text


def test_every_progress_bar_asks_the_one_decision() -> None:
    """Each function of socalign that draws a tqdm bar asks ``bars_enabled`` (the one decision),
    the command line's ``progress_bar`` and ``working`` included: no module is exempt."""
    import ast

    package = Path(__file__).resolve().parents[1] / "socalign"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)
                     and getattr(n.func, "id", getattr(n.func, "attr", None)) == "tqdm"]
            names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
            if calls and "bars_enabled" not in names:
                offenders.append(f"{path.relative_to(package)}:{function.name}")
    assert offenders == []


def test_the_command_lines_bars_obey_the_one_decision(capsys) -> None:
    """``progress_bar`` and ``working`` draw nothing when bars are off (or not asked for)."""
    import time

    items = [1, 2, 3]
    with progress.bars(False):
        assert progress.progress_bar(items, "models") is items
        with progress.working("step", every=0.01):
            time.sleep(0.03)
    assert capsys.readouterr().err == ""
    with progress.bars(True):
        assert progress.progress_bar(items, "models", enabled=False) is items
        bar = progress.progress_bar(items, "models", unit="model")
        assert bar is not items and list(bar) == items
        with progress.working("step", every=0.01):
            time.sleep(0.05)
    err = capsys.readouterr().err
    assert "models" in err and "step: 00:00" in err
