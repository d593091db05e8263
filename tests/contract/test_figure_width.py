"""Every book figure fits the page: a literal ``figsize`` width is at most ``PAGE_WIDTH_IN``.

The browser check (scripts/check_book.py) measures the built pages; this catches a too-wide
literal in the library or a chapter before a build, and its check is tested on planted cases.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socalign.plots import PAGE_WIDTH_IN

ROOT = Path(__file__).resolve().parents[2]


def too_wide(source: str) -> list[str]:
    """``figsize=(w, h)`` calls whose width ``w`` is a number above :data:`PAGE_WIDTH_IN`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            value = keyword.value
            if (keyword.arg == "figsize" and isinstance(value, ast.Tuple) and value.elts
                    and isinstance(value.elts[0], ast.Constant)
                    and isinstance(value.elts[0].value, int | float)
                    and value.elts[0].value > PAGE_WIDTH_IN):
                found.append(f"line {node.lineno}: figsize width {value.elts[0].value}")
    return found


@pytest.mark.parametrize("path", sorted([*(ROOT / "socalign").rglob("*.py"),
                                         *(ROOT / "book").rglob("*.py")]),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_figure_is_wider_than_the_page(path: Path) -> None:
    assert too_wide(path.read_text(encoding="utf-8")) == []


@given(st.floats(min_value=0.5, max_value=20, allow_nan=False))
def test_the_rule_flags_exactly_the_widths_above_the_page(width: float) -> None:
    source = f"fig = plt.subplots(1, 2, figsize=({width!r}, 2.8))\n"
    assert bool(too_wide(source)) == (width > PAGE_WIDTH_IN)
