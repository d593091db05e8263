"""The "Be the participant" page in a browser: its score equals ``participant_agreement``.

Builds a throwaway book holding only ``book/participant.py`` under the ``ci`` profile, opens
the page in headless Chromium (the system's, as scripts/check_book.py uses it; playwright's
own browser download is not needed) over a local HTTP server, clicks through the trials with
scripted choices and checks the shown scores against the Python computation on the same
choices, that the clips play, that the page requests nothing from elsewhere and that it
logs no console error the book's other page does not also log.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("papermill")
pytest.importorskip("jupyter_book")

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                       "google-chrome")) if p), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None or CHROMIUM is None,
                       reason="needs playwright and a Chromium"),
]

ROOT = Path(__file__).resolve().parents[2]
TOC = """\
format: jb-book
root: book/intro
parts:
  - caption: Try it
    chapters:
      - file: book/participant
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The throwaway book, built under ci; returns its HTML folder."""
    from socalign import book

    source = tmp_path_factory.mktemp("participant-book")
    shutil.copy(ROOT / "_config.yml", source / "_config.yml")
    shutil.copy(ROOT / "jupytext.toml", source / "jupytext.toml")
    (source / "_toc.yml").write_text(TOC)
    pages = source / "book"
    pages.mkdir()
    for name in ("_ext", "_static"):
        shutil.copytree(ROOT / "book" / name, pages / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "book" / "references.bib", pages / "references.bib")
    shutil.copy(ROOT / "book" / "participant.py", pages / "participant.py")
    (pages / "intro.md").write_text("# Intro\n\nSee {doc}`participant`.\n")
    patch = pytest.MonkeyPatch()
    patch.setenv("SOCALIGN_CACHE", str(tmp_path_factory.mktemp("cache")))
    try:
        summary = book.build_book(source, profile="ci", out=tmp_path_factory.mktemp("out"),
                                  timeout=600)
    finally:
        patch.undo()
    assert summary.render == "rendered"
    return summary.html


def test_participant_page_scores_like_python(site: Path, serve) -> None:
    from playwright.sync_api import sync_playwright

    from socalign.book.stimuli import participant_agreement

    base = serve(site)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            baseline = console_errors(page, base + "book/intro.html")
            page = browser.new_page()
            errors, elsewhere = [], []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
            page.on("request", lambda r: None if r.url.startswith((base, "data:"))
                    else elsewhere.append(r.url))
            page.goto(base + "book/participant.html", wait_until="load")
            widget = page.locator(".socalign-participant")
            data = json.loads(widget.locator("script.socalign-participant-data").text_content())
            trials = data["trials"]
            assert len(trials) == 20
            assert "not sent anywhere" in widget.text_content()
            assert "SocialWorld (synthetic" in page.locator("p.socalign-data").inner_text()

            # the clips play: decoded, animated WebP images of non-zero size
            first = widget.locator("button.sp-clip img").first
            size = first.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
            assert size[0] and size[1] > 0 and size[2] > 0
            assert first.get_attribute("src").startswith("data:image/webp;base64,")

            choices = [(3 * i + i // 3) % 3 for i in range(len(trials))]  # every position
            for i, choice in enumerate(choices):
                assert widget.locator(".sp-progress").get_attribute("data-trial") == str(i + 1)
                widget.locator(f"button.sp-clip[data-position='{choice}']").click()
            assert widget.locator(".sp-stage").get_attribute("data-done") == "true"
            expected = participant_agreement(trials, choices)
            cells = widget.locator("td[data-agreement]")
            shown = {cells.nth(k).get_attribute("data-agreement"):
                     (float(cells.nth(k).get_attribute("data-value")), cells.nth(k).text_content())
                     for k in range(cells.count())}
            assert set(shown) == set(expected) == {"people", "majority", *data["models"]}
            for key, value in expected.items():
                assert shown[key][0] == pytest.approx(value, abs=1e-12), key
                assert abs(float(shown[key][1].rstrip("%")) - 100 * value) <= 0.05 + 1e-9, key

            # starting again gives a fresh run
            widget.locator("button.sp-again").click()
            assert widget.locator(".sp-progress").get_attribute("data-trial") == "1"
            new_errors = [e for e in errors if e not in baseline]
            assert new_errors == [] and elsewhere == []
        finally:
            browser.close()


def console_errors(page, url: str) -> list[str]:
    """The console errors a page logs on load (the theme's own, e.g. a missing favicon)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    return errors
