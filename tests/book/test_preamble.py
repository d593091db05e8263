"""The chapter preamble has one owner (book/_template.py): checks and rewrites, on generated chapters."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socalign import book
from socalign.book.preamble import TEMPLATE, preamble_problems, template_cells, write_preamble

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_TEXT = (ROOT / TEMPLATE).read_text(encoding="utf-8")

HEADER = "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n\n"
words = st.text(alphabet="abcdefghij xyz=()1", min_size=1, max_size=30).map(str.strip).filter(bool)


def _book(tmp_path: Path, chapter: str) -> Path:
    (tmp_path / TEMPLATE).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / TEMPLATE).write_text(TEMPLATE_TEXT, encoding="utf-8")
    (tmp_path / "book" / "ch.py").write_text(chapter, encoding="utf-8")
    return Path("book/ch.py")


def _chapter(colab: str, params: str, body: list[str]) -> str:
    cells = [f"# %% tags=[\"remove-cell\"]\n{colab}\n", "# %% [markdown]\n# # Title\n",
             f"# %% tags=[\"parameters\"]\n{params}\n"]
    cells += [f"# %% tags=[\"hide-input\"]\n{line}\n" for line in body]
    return HEADER + "\n".join(cells)


def test_the_template_has_both_preamble_cells() -> None:
    cells = template_cells(ROOT)
    assert "google.colab" in cells["colab"]
    assert cells["parameters"].startswith('# %% tags=["parameters"]')
    assert 'profile = "demo"' in cells["parameters"]


def test_the_template_is_not_a_page_of_the_book() -> None:
    assert TEMPLATE not in book.chapter_sources(ROOT)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(colab=words, params=words, body=st.lists(words, max_size=4))
def test_a_written_preamble_passes_and_keeps_the_chapters_own_cells(tmp_path_factory, colab,
                                                                    params, body) -> None:
    root = tmp_path_factory.mktemp("book")
    chapter = _book(root, _chapter(colab, params, body))
    wanted = template_cells(root)
    differs = (f'# %% tags=["remove-cell"]\n{colab}' != wanted["colab"]
               or f'# %% tags=["parameters"]\n{params}' != wanted["parameters"])
    assert bool(preamble_problems(root, chapter)) == differs
    assert write_preamble(root, chapter) == differs
    assert preamble_problems(root, chapter) == []
    text = (root / chapter).read_text(encoding="utf-8")
    assert text.startswith(HEADER) and "# # Title" in text
    for line in body:
        assert f"# %% tags=[\"hide-input\"]\n{line}\n" in text
    assert write_preamble(root, chapter) is False  # a second pass changes nothing


@pytest.mark.parametrize("chapter, wanted", [
    (HEADER + "# %% [markdown]\n# # No code\n", "needs exactly one colab cell, found 0"),
    (HEADER + "# %% tags=[\"remove-cell\"]\nx = 1\n", "needs exactly one parameters cell, found 0"),
    (HEADER + "# %%\nx = 1\n# %% tags=[\"parameters\"]\np = 1\n# %% tags=[\"parameters\"]\np = 2\n",
     "needs exactly one parameters cell, found 2"),
])
def test_a_chapter_without_the_preamble_is_named(tmp_path, chapter, wanted) -> None:
    rel = _book(tmp_path, chapter)
    problems = preamble_problems(tmp_path, rel)
    assert any(wanted in line and "book/ch.py" in line for line in problems), problems


def test_sync_notebooks_copies_the_preamble_and_its_check_names_a_drifted_chapter(tmp_path) -> None:
    rel = _book(tmp_path, _chapter("print('old install')", "profile = 'x'", ["y = 2"]))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/ch\n", encoding="utf-8")
    (tmp_path / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n', encoding="utf-8")
    assert book.sync_notebooks(tmp_path, check=True) == [rel.with_suffix(".ipynb")]
    assert book.sync_notebooks(tmp_path) == [rel.with_suffix(".ipynb")]
    assert preamble_problems(tmp_path, rel) == []
    assert book.sync_notebooks(tmp_path, check=True) == []
    assert "y = 2" in (tmp_path / rel).read_text(encoding="utf-8")
