"""No typed result in the README (issue 28.5): its demo figures are generated from recorded runs.

``scripts/readme_figures.py`` renders each ``benchmarks/results/demo_story_world*.json`` into the
README block of the same name; these tests fail when a block differs from its recorded run, when
a recorded run has no block, and when the section that reports the demo's figures types a
decimal figure of its own outside the blocks (the paper's figures, named as the paper's, are
allowed).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def figures():
    spec = importlib.util.spec_from_file_location("readme_figures", ROOT / "scripts" / "readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_figures"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("readme_figures", None)


def test_every_recorded_run_has_its_block_and_every_block_matches(figures) -> None:
    text = (ROOT / "README.md").read_text()
    names = {m["name"] for m in figures.BLOCK.finditer(text)}
    recorded = figures.recorded_blocks()
    assert recorded, "no recorded demo_story run under benchmarks/results"
    assert set(recorded) <= names, f"recorded runs without a README block: {set(recorded) - names}"
    assert figures.main(["--check"]) == 0


def test_the_demo_section_types_no_figure_outside_the_blocks(figures) -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index("What the embedded default can and cannot show")
    end = text.index("\n## ", start)
    prose = figures.BLOCK.sub("", text[start:end])
    typed = [m.group(0) for m in re.finditer(r"(?<![\w.])\d+\.\d{2,}", prose)
             if "paper" not in sentence_before(prose, m.start()).lower()]
    assert typed == []


def sentence_before(text: str, end: int) -> str:
    """The text from the start of the sentence that holds position ``end`` up to it."""
    start = max(text.rfind(". ", 0, end), text.rfind("\n\n", 0, end), 0)
    return text[start:end]


def record(measured: str, passed: bool | None) -> dict:
    return {"rungs": [{"rung": "1 inputs", "claim": "toy R² / caption R²", "measured": measured,
                       "floor": "0.5-1.0", "passed": passed}],
            "passed": int(bool(passed)), "floors": int(passed is not None),
            "detail": {"seconds": 12.0},
            "recorded": {"date": "2026-12-05", "commit": "abc1234", "world_seed": 0, "machine": "2 CPU cores"}}


@settings(max_examples=25, deadline=None)
@given(old=st.floats(0, 1), new=st.floats(0, 1), passed=st.sampled_from([True, False, None]))
def test_a_block_that_differs_from_its_run_is_named_and_rewritten(figures, tmp_path_factory, old, new, passed) -> None:
    folder = tmp_path_factory.mktemp("fig")
    results = folder / "results"
    results.mkdir()
    (results / "demo_story_world0.json").write_text(json.dumps(record(f"{new:.3g}", passed)))
    readme = folder / "README.md"
    stale = figures.render(record(f"{old:.3g}", passed))
    readme.write_text("# t\n<!-- BEGIN GENERATED demo_story_world0 -->\n" + stale
                      + "<!-- END GENERATED demo_story_world0 -->\n")
    differs = f"{old:.3g}" != f"{new:.3g}"
    assert figures.main(["--check", "--readme", str(readme), "--results", str(results)]) == int(differs)
    assert figures.main(["--readme", str(readme), "--results", str(results)]) == 0
    assert f"| {new:.3g} |" in readme.read_text()
    assert figures.main(["--check", "--readme", str(readme), "--results", str(results)]) == 0


def test_a_block_without_a_recorded_run_fails_the_check(figures, tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("<!-- BEGIN GENERATED demo_story_world7 -->\nold\n<!-- END GENERATED demo_story_world7 -->\n")
    (tmp_path / "results").mkdir()
    assert figures.main(["--check", "--readme", str(readme), "--results", str(tmp_path / "results")]) == 1


def worlds_record(values: list[float], floor: bool) -> dict:
    return {"worlds": list(range(len(values))),
            "table": [{"rung": "2 calibration", "claim": "MiniLM share", "floor": "0.2-0.35" if floor else "reported",
                       "measured": [f"{v:.3g}" for v in values], "values": values,
                       "mean": sum(values) / len(values),
                       "met": sum(0.2 <= v <= 0.35 for v in values) if floor else None}],
            "detail": {"seconds": 30.0},
            "recorded": {"date": "2026-12-06", "commit": "abc1234", "world_seed": list(range(len(values))),
                         "machine": "2 CPU cores"}}


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.floats(0, 1), min_size=1, max_size=8), floor=st.booleans())
def test_a_worlds_record_renders_a_column_per_world_the_mean_and_the_count_met(
        figures, tmp_path_factory, values, floor) -> None:
    folder = tmp_path_factory.mktemp("worlds")
    results = folder / "results"
    results.mkdir()
    (results / "demo_story_worlds.json").write_text(json.dumps(worlds_record(values, floor)))
    readme = folder / "README.md"
    readme.write_text("<!-- BEGIN GENERATED demo_story_worlds -->\nold\n<!-- END GENERATED demo_story_worlds -->\n")
    assert figures.main(["--readme", str(readme), "--results", str(results)]) == 0
    header, _, row = readme.read_text().splitlines()[1:4]
    assert header.count("| world ") == len(values)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:2 + len(values)] == [f"{v:.3g}" for v in values]
    assert cells[-2] == f"{sum(values) / len(values):.3g}"
    met = sum(0.2 <= v <= 0.35 for v in values)
    assert cells[-1] == (f"{met} of {len(values)}" if floor else "reported")
    assert figures.main(["--check", "--readme", str(readme), "--results", str(results)]) == 0


def test_a_note_shared_by_every_world_goes_by_the_claim_and_one_that_differs_by_its_value(figures) -> None:
    record = worlds_record([0.5, 0.25], floor=False)
    record["table"].append({**record["table"][0], "claim": "caption", "measured": ["0.5 (tfidf)", "0.25 (minilm)"]})
    record["table"][0]["measured"] = ["0.5 (garcia2025 0.2)", "0.25 (garcia2025 0.2)"]
    lines = figures.render_worlds(record).splitlines()
    assert lines[2].startswith("| MiniLM share (garcia2025 0.2) | reported | 0.5 | 0.25 |")
    assert lines[3].startswith("| caption | reported | 0.5 (tfidf) | 0.25 (minilm) |")
