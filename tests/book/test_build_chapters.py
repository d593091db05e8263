"""Every chapter of the real book executes and renders on the ``ci`` profile.

A broken chapter fails here (naming the chapter and cell). The book is built from a copy of its
sources, so the test also checks that a build writes nothing into the book's own folder; a
second build must execute nothing. With Chromium and playwright installed, the built HTML is
also checked in a headless browser (scripts/check_book.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("papermill")
pytest.importorskip("jupyter_book")

from socalign import book
from socalign import source as socalign_source
from socalign.book.preamble import preamble_problems

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the sha256 of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "book", source / "book",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    before = snapshot(source)
    out = tmp_path_factory.mktemp("build")
    patch = pytest.MonkeyPatch()
    patch.setenv("SOCALIGN_CACHE", str(tmp_path_factory.mktemp("cache")))
    # pin the library's key for this module: in a working tree where socalign is being edited
    # meanwhile, the rebuild below must still compare like with like (test_book_pipeline checks
    # that a changed key re-executes)
    fixed = book.library_fingerprint()
    patch.setattr(book.build, "library_fingerprint", lambda parts=None: fixed)
    patch.setattr(socalign_source, "library_fingerprint", lambda parts=None: fixed)  # runs
    try:
        summary = book.build_book(source, profile="ci", out=out, timeout=600)
        yield source, out, before, summary
    finally:
        patch.undo()


def test_every_chapter_executes_and_renders(built) -> None:
    source, _, _, summary = built
    pages = book.chapter_sources(source)
    assert [c.source for c in summary.chapters] == [str(p) for p in pages]
    statuses = {c.source: c.status for c in summary.chapters}
    assert all(statuses[str(p)] == "executed" for p in pages if p.suffix == ".py")
    for page in pages:
        assert (summary.html / page.with_suffix(".html")).exists(), page
    assert summary.render == "rendered"


def test_build_leaves_the_sources_untouched(built) -> None:
    source, _, before, _ = built
    assert snapshot(source) == before


def test_rebuild_with_nothing_changed_executes_nothing(built) -> None:
    source, out, _, _ = built
    again = book.build_book(source, profile="ci", out=out)
    assert again.executed == 0
    assert again.render == "unchanged"
    assert again.total_seconds < 60


def test_colab_notebooks_are_in_sync_with_the_sources() -> None:
    stale = book.sync_notebooks(ROOT, check=True)
    assert stale == [], f"run `socalign book --sync-notebooks` to update {stale}"


def test_every_chapter_has_parameters_and_colab_install_cells() -> None:
    for page in book.chapter_sources(ROOT):
        if page.suffix != ".py":
            continue
        nb = book.notebook_from_source(ROOT / page)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert "google.colab" in first_code.source, page
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1 and 'profile = "demo"' in params[0].source, page


def test_every_chapter_uses_the_template_preamble() -> None:
    pages = [p for p in book.chapter_sources(ROOT) if p.suffix == ".py"]
    assert len(pages) >= 7
    problems = [line for page in pages for line in preamble_problems(ROOT, page)]
    assert problems == []


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None
    or not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")),
    reason="needs playwright and a Chromium",
)
def test_built_book_passes_the_browser_check(built, tmp_path, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("check_book", ROOT / "scripts" / "check_book.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "check_book", module)  # dataclasses look the module up
    spec.loader.exec_module(module)
    _, _, _, summary = built
    assert module.main([str(summary.html), "--screenshots", str(tmp_path / "shots")]) == 0
    assert len(list((tmp_path / "shots").glob("*.png"))) >= len(book.chapter_sources(ROOT))


CLAIM = re.compile(
    r"(?P<words>rose by|fell by|was higher by|was lower by|did not change detectably|"
    r"did not differ detectably|no detectable change)[^()]*\((?P<inside>[^)]*)\)")
UP, DOWN = ("rose by", "was higher by"), ("fell by", "was lower by")


def glued_values(notebook: Path) -> dict[str, str]:
    """Every value a chapter glued (myst-nb's scrapbook outputs), as its plain-text form."""
    import ast

    values = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("scrapbook", {})
            if "name" in record:
                name = record["name"]
                text = "".join(out["data"][record.get("mime_prefix", "") + "text/plain"])
                try:
                    values[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[name] = text
    return values


def test_every_glued_claim_agrees_with_its_interval(built) -> None:
    from socalign.text import direction

    _, out, _, _ = built
    checked = 0
    for page in book.chapter_sources(ROOT):
        if page.suffix != ".py":
            continue
        glued = glued_values(out / "src" / page.with_suffix(".ipynb"))
        for name, value in glued.items():
            if not name.endswith(("_claim", "_claims")) or not isinstance(value, str):
                continue
            for match in CLAIM.finditer(value):
                bounds = re.search(r"interval (-?[\d.]+) to (-?[\d.]+)", match["inside"])
                if bounds is None:
                    continue
                low, high = float(bounds[1]), float(bounds[2])
                way = direction(low, high)
                words = match["words"]
                expected = "up" if words in UP else "down" if words in DOWN else "none"
                assert way == expected, f"{page}: {name} says {words!r} for [{low}, {high}]"
                checked += 1
            stem = name.removesuffix("_claim")
            if f"{stem}_low" in glued and f"{stem}_high" in glued:
                low, high = glued[f"{stem}_low"], glued[f"{stem}_high"]
                if isinstance(low, float) and low == low:
                    assert direction(low, high) == ("up" if any(w in value for w in UP) else
                                                    "down" if any(w in value for w in DOWN)
                                                    else "none"), f"{page}: {name}"
    assert checked >= 3, f"only {checked} claims found in the chapters"


def chapter_cells(page: Path) -> list:
    """The code cells of a chapter source, as a notebook's (source, tags)."""
    nb = book.notebook_from_source(ROOT / page)
    return [(c.source, c.metadata.get("tags", [])) for c in nb.cells if c.cell_type == "code"]


def test_glue_and_settings_cells_are_off_the_page() -> None:
    """No cell a reader can open holds ``glue(``; settings tables are folded."""
    checked = 0
    for page in book.chapter_sources(ROOT):
        if page.suffix != ".py" or not page.name[:2].isdigit():
            continue
        for source, tags in chapter_cells(page):
            if "glue(" in source:
                assert "remove-cell" in tags, f"{page}: a cell holding glue( is not remove-cell"
                checked += 1
            if "settings_frame(" in source and "import" not in source.split("settings_frame(")[0][-60:]:
                assert {"hide-output", "hide-cell", "remove-cell"} & set(tags), \
                    f"{page}: a settings table is not folded"
    assert checked >= 5


def chapter_pages(out: Path) -> list[Path]:
    return [p for p in book.chapter_sources(ROOT)
            if p.suffix == ".py" and p.name[:2].isdigit() and int(p.name[:2]) <= 5]


def test_every_chapter_page_names_its_data_and_shows_no_glue(built) -> None:
    from html.parser import HTMLParser

    class Visible(HTMLParser):
        """The page's text outside scripts and styles; and the data lines."""

        def __init__(self) -> None:
            super().__init__()
            self.skip = 0
            self.text: list[str] = []
            self.data_lines: list[str] = []
            self.in_data = 0

        def handle_starttag(self, tag, attrs) -> None:
            if tag in ("script", "style"):
                self.skip += 1
            if tag == "p" and "socalign-data" in (dict(attrs).get("class") or ""):
                self.in_data = 1
                self.data_lines.append("")

        def handle_endtag(self, tag) -> None:
            if tag in ("script", "style"):
                self.skip -= 1
            if tag == "p":
                self.in_data = 0

        def handle_data(self, data) -> None:
            if not self.skip:
                self.text.append(data)
                if self.in_data:
                    self.data_lines[-1] += data

    _, _, _, summary = built
    pages = chapter_pages(summary.html)
    assert len(pages) == 5
    for page in pages:
        parsed = Visible()
        parsed.feed((summary.html / page.with_suffix(".html")).read_text())
        assert "glue(" not in "".join(parsed.text), f"{page}: glue( in the page"
        assert parsed.data_lines, f"{page}: no line naming its data"
        for line in parsed.data_lines:
            assert "SocialWorld" not in line or "synthetic" in line, f"{page}: {line}"


def test_each_comparison_with_the_paper_renders_its_divergence_box(built) -> None:
    from socalign.book.divergence import BOX_CLASS

    _, out, _, summary = built
    decided = 0
    for page in chapter_pages(summary.html):
        glued = glued_values(out / "src" / page.with_suffix(".ipynb"))
        html = (summary.html / page.with_suffix(".html")).read_text()
        keys = {name.removeprefix("divergence_"): value for name, value in glued.items()
                if name.startswith("divergence_")}
        if any(name.startswith("paper_") for name in glued):
            assert keys, f"{page} compares with the paper but decides no divergence"
        for key, differs in keys.items():
            shown = f'id="divergence-{key}"' in html
            assert shown == bool(differs), f"{page}: divergence {key} differs={differs}, shown={shown}"
            decided += 1
        assert html.count(BOX_CLASS) == sum(bool(v) for v in keys.values()), page
    assert decided >= 6, f"only {decided} comparisons with the paper decided"
