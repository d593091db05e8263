"""Drive headless Chromium over the built book: load the index and every page, save screenshots.

Fails (exit status 1) on a JavaScript error (uncaught, or logged by a same-site script), a missing
image, a broken internal link (a page or an anchor that does not exist), a same-site resource
that does not load, and on what misleads a reader: a table that runs past the page instead of
scrolling inside its own box, a figure shrunk until its text is under 9 pt, ``glue(`` visible in a page's text, a chapter page without the
line naming its data (SocialWorld named without "synthetic"), a <video> or animated image with no
size, or a <video> that does not advance when played. External resources (CDNs, Colab, GitHub)
are not fetched offline: their failures are listed as notes, not errors.

    python scripts/check_book.py [HTML_DIR] [--screenshots DIR] [--chromium PATH]

HTML_DIR defaults to ``_build/demo/_build/html``. Needs ``playwright`` (pip) and a Chromium
(``apt-get install chromium``; or ``$CHROMIUM``); playwright's own browser download is not used.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
BENIGN_CONSOLE = ("Got invalid theme mode", "Access to font at 'about:blank'")
"""Console errors that are not the book's: pydata-sphinx-theme logs the first on a browser
profile with no stored light/dark mode (every fresh headless browser), then resets to auto;
the offline MathJax 2 logs the second when it probes for a web font it does not ship, then
typesets with its own fonts (:func:`check_math` checks that every formula was typeset)."""
CHAPTER_PREFIXES = tuple(f"book/{n:02d}_" for n in range(1, 100))
"""Pages that must name their data: the numbered chapters (labs and back matter need not)."""


@dataclass
class PageReport:
    """What one page did in the browser."""

    page: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    links: set[str] = field(default_factory=set)


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: the argument, ``$CHROMIUM``, or one on PATH."""
    for name in (explicit, os.environ.get("CHROMIUM"), *CANDIDATES):
        if name and (Path(name).is_file() or shutil.which(name)):
            return str(Path(name)) if Path(name).is_file() else str(shutil.which(name))
    raise SystemExit("no Chromium found: apt-get install chromium, or pass --chromium PATH")


def book_pages(html: Path) -> list[str]:
    """Every content page of the built book (relative paths), the index first."""
    pages = sorted(
        str(p.relative_to(html)) for p in html.rglob("*.html")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(html).parts)
        and p.name not in SKIP_PAGES
    )
    if "index.html" not in pages:
        raise SystemExit(f"{html}: no index.html (is this a built book?)")
    pages.remove("index.html")
    return ["index.html", *pages]


def anchors(path: Path) -> set[str]:
    """The ids (and old-style names) defined in an HTML file."""
    text = path.read_text(errors="replace")
    return set(re.findall(r'\s(?:id|name)="([^"]+)"', text))


def serve(html: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``html`` on a free local port in a background thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
                super().handle_error(request, client_address)  # the browser hung up: benign

    handler = functools.partial(Quiet, directory=str(html))
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def check_page(page, base: str, rel: str, shots: Path) -> PageReport:
    """Load one page, collect errors and internal links, save a full-page screenshot."""
    report = PageReport(rel)
    page.on("pageerror", lambda exc: report.errors.append(f"JavaScript error: {exc}"))

    def on_console(msg) -> None:
        if msg.type != "error" or any(benign in msg.text for benign in BENIGN_CONSOLE):
            return
        where = (msg.location or {}).get("url", "")
        if where.endswith("/favicon.ico"):  # the browser asks for one; the theme has none
            return
        # a same-site script's error is the book's; an offline CDN load logs under its own URL
        target = report.errors if where.startswith(base) or not where else report.notes
        if "Failed to load resource" in msg.text and not where.startswith(base):
            target = report.notes
        target.append(f"console error: {msg.text} ({where or 'inline'})")

    def on_failed(request) -> None:
        where = report.errors if request.url.startswith(base) else report.notes
        where.append(f"request failed: {request.url} ({request.failure})")

    def on_response(response) -> None:
        if response.url.startswith(base) and response.status >= 400:
            report.errors.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.goto(base + rel, wait_until="load")
    page.wait_for_timeout(300)
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    for src in broken:
        report.errors.append(f"missing image: {src}")
    no_alt = page.evaluate(
        "Array.from(document.querySelectorAll('main img')).filter(i => !i.getAttribute('alt'))"
        ".map(i => i.getAttribute('src'))"
    )
    for src in no_alt:
        report.errors.append(f"image without alt text: {src}")
    check_math(page, report)
    check_layout(page, report)
    check_figures(page, report)
    check_media(page, report)
    report.links = set(page.evaluate("Array.from(document.querySelectorAll('a[href]'), a => a.href)"))
    name = rel.replace("/", "__").removesuffix(".html") + ".png"
    page.screenshot(path=str(shots / name), full_page=True)
    return report


def check_math(page, report: PageReport, timeout_ms: int = 20000) -> None:
    """Math must be typeset by the book's own MathJax (offline), never left as raw LaTeX.

    Sphinx writes each formula as a ``.math.notranslate`` element holding the LaTeX; MathJax 2
    leaves a ``script[type^=math/tex]`` in each one it typesets.
    """
    formulas = "Array.from(document.querySelectorAll('main .math.notranslate'))"
    n_math = page.evaluate(f"{formulas}.length")
    if not n_math:
        return
    typeset = f"{formulas}.filter(e => e.querySelector('script[type^=\"math/tex\"]')).length"
    try:
        page.wait_for_function(f"{typeset} === {n_math}", timeout=timeout_ms)
    except Exception:  # playwright's TimeoutError: reported as what the reader sees
        left = n_math - page.evaluate(typeset)
        report.errors.append(f"math not rendered ({left} of {n_math} formulas left as raw LaTeX)")


OVERFLOWING_TABLES = r"""
() => {
  const main = document.querySelector('main') || document.body;
  const box = (document.querySelector('main article') || main).getBoundingClientRect();
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const out = [];
  for (const table of main.querySelectorAll('table')) {
    const r = table.getBoundingClientRect();
    if (r.width === 0 || r.right <= box.right + 2) continue;
    let el = table.parentElement, held = false;
    while (el && el !== main) {
      if (scrolls(el) && el.getBoundingClientRect().right <= box.right + 2) { held = true; break; }
      el = el.parentElement;
    }
    if (!held) {
      const cap = table.querySelector('caption');
      out.push((cap ? cap.innerText : table.innerText).slice(0, 60).replace(/\s+/g, ' '));
    }
  }
  return out;
}
"""


def is_chapter(page) -> bool:
    """A page with executed notebook cells (a chapter or a lab), not a plain text page."""
    return bool(page.evaluate("document.querySelectorAll('main .cell').length"))


def check_layout(page, report: PageReport) -> None:
    """Tables fit the page or scroll in their own box; no ``glue(`` in a code cell a reader sees;
    every chapter names its data in a visible line (SocialWorld as synthetic)."""
    for table in page.evaluate(OVERFLOWING_TABLES):
        report.errors.append(f"table wider than the page and not in a scrolling box: {table!r}")
    # code cells only: the API reference documents glue() in prose, which is not plumbing
    text = page.evaluate("Array.from(document.querySelectorAll('main div.cell'))"
                         ".map(c => c.innerText).join('\\n')")
    if "glue(" in text:
        report.errors.append("`glue(` is visible in the page's text (tag the cell remove-cell)")
    if report.page.startswith(CHAPTER_PREFIXES) and is_chapter(page):
        lines = page.evaluate(
            "Array.from(document.querySelectorAll('main p.socalign-data'))"
            ".filter(p => p.offsetWidth > 0).map(p => p.innerText)")
        if not lines:
            report.errors.append("no visible line names the data this chapter ran on")
        for line in lines:
            if "SocialWorld" in line and "synthetic" not in line:
                report.errors.append(f"SocialWorld named without 'synthetic': {line[:80]!r}")


MEDIA = r"""
async () => {
  const main = document.querySelector('main') || document.body;
  const out = [];
  const animated = /(\.(gif|apng|webp)(\?|$))|(^data:image\/(gif|apng|webp)[;,])/i;
  const folded = el => el.closest('details:not([open])');  // shown when the reader opens it
  for (const img of main.querySelectorAll('img')) {
    if (!animated.test(img.getAttribute('src') || '') || folded(img)) continue;
    img.scrollIntoView();
    const r = img.getBoundingClientRect();
    const name = img.getAttribute('alt') || (img.getAttribute('src') || '').slice(0, 60);
    if (!(r.width > 0 && r.height > 0)) out.push(`animated image with no size: ${name}`);
  }
  for (const video of main.querySelectorAll('video')) {
    if (folded(video)) continue;
    const name = video.currentSrc || video.getAttribute('src') ||
                 (video.querySelector('source') || {}).src || '(no source)';
    video.scrollIntoView();
    const r = video.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) { out.push(`video with no size: ${name}`); continue; }
    video.muted = true;
    const start = video.currentTime;
    try { await video.play(); } catch (e) { out.push(`video does not play: ${name} (${e})`); continue; }
    await new Promise(done => setTimeout(done, 700));
    if (!(video.currentTime > start)) out.push(`video does not advance when played: ${name}`);
    video.pause();
  }
  return out;
}
"""


SHRUNK_FIGURES = """
(least) => Array.from(document.querySelectorAll('main .cell_output img'))
  .filter(i => i.naturalWidth > 0 && i.clientWidth > 0 && i.clientWidth / i.naturalWidth < least)
  .map(i => `${i.getAttribute('alt') || i.getAttribute('src')} (${i.naturalWidth} px shown at ${i.clientWidth})`)
"""


def least_figure_scale() -> float:
    """The smallest display scale of a figure image at which its smallest text stays 9 pt.

    A figure saved at ``dpi`` draws an ``f``-point text ``f * dpi / 72`` pixels high; shown at
    scale ``s`` it is ``f * dpi / 96 * s`` CSS points, so the smallest text
    (:data:`socalign.plots.MIN_FONT_PT`) stays at 9 pt for ``s >= 9 * 96 / (MIN_FONT_PT * dpi)``.
    """
    from socalign.plots import BOOK_STYLE, MIN_FONT_PT

    return 9.0 * 96.0 / (MIN_FONT_PT * BOOK_STYLE["figure.dpi"])


def check_figures(page, report: PageReport) -> None:
    """No figure is shrunk so far that its smallest text falls below 9 pt at page width."""
    for figure in page.evaluate(SHRUNK_FIGURES, least_figure_scale() - 0.005):
        report.errors.append(f"figure shrunk below 9 pt text: {figure}")


def check_media(page, report: PageReport) -> None:
    """Every <video> and animated image has a size, and every <video> advances when played."""
    report.errors.extend(page.evaluate(MEDIA))


def check_links(html: Path, base: str, report: PageReport) -> None:
    """Every same-site link must name an existing file, and its #anchor must exist there."""
    for link in sorted(report.links):
        if not link.startswith(base):
            continue
        target, fragment = urldefrag(link)
        path = html / unquote(urlparse(target).path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            report.errors.append(f"broken internal link: {link}")
        elif fragment and path.suffix == ".html" and unquote(fragment) not in anchors(path):
            report.errors.append(f"broken anchor: {link}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=Path("_build/demo/_build/html"))
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="folder for the screenshots (default: HTML/../screenshots)")
    parser.add_argument("--chromium", default=None, help="path to the Chromium executable")
    parser.add_argument("--verbose", action="store_true", help="also print the offline notes")
    args = parser.parse_args(argv)
    verbose = args.verbose
    html = args.html.resolve()
    if not html.is_dir():
        raise SystemExit(f"{html}: not a folder (build the book first: socalign book)")
    shots = (args.screenshots or html.parent / "screenshots").resolve()
    shots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    pages = book_pages(html)
    server, base = serve(html)
    reports = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=find_chromium(args.chromium),
                                         args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            for rel in pages:
                page = context.new_page()
                report = check_page(page, base, rel, shots)
                check_links(html, base, report)
                page.close()
                reports.append(report)
            browser.close()
    finally:
        server.shutdown()
    failed = [r for r in reports if r.errors]
    for r in reports:
        status = "FAIL" if r.errors else "ok"
        print(f"{status:4s} {r.page}  ({len(r.links)} links, {len(r.notes)} offline notes)")
        for e in r.errors:
            print(f"     {e}")
        for n in r.notes if verbose else ():
            print(f"     note: {n}")
    print(f"{len(reports)} pages checked, {len(failed)} with errors; screenshots in {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
