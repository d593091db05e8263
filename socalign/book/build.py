"""The book build: papermill execution per profile, a content-keyed cache, jupyter-book render.

``build_book`` reads the chapters from ``_toc.yml``, turns each jupytext source into a
notebook, executes it with papermill (``profile``, and ``overrides`` when the build has any,
injected into its ``parameters`` cell) unless an executed copy with the same key is cached, stages the executed notebooks beside the other
book files under the build folder and renders them with jupyter-book. The cache key covers the
notebook text, the library (version and source), the profile's settings (overrides applied and
listed) and the kernel; the working tree is never written to.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from socalign import progress
from socalign.book import preamble
from socalign.cache import (
    atomic_write_bytes,
    cache_dir,
    content_key,
    read_verified,
    sha256_file,
    write_verified,
)
from socalign.profiles import Profile, profile_settings
from socalign.source import library_files, library_fingerprint  # noqa: F401  (re-exported)

__all__ = [
    "BookError",
    "BuildSummary",
    "ChapterFailed",
    "ChapterRun",
    "build_book",
    "chapter_sources",
    "find_book_root",
    "library_fingerprint",
    "notebook_from_source",
    "render",
    "sync_notebooks",
]

NOTEBOOK_SUFFIXES = (".py", ".ipynb")
PAGE_SUFFIXES = (".md", ".py", ".ipynb")
SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", "_build", ".DS_Store"}


class BookError(RuntimeError):
    """The book could not be built (bad table of contents, missing file, render failure)."""


class ChapterFailed(BookError):
    """A chapter raised while executing; the message names the chapter, the cell and its line."""

    def __init__(
        self, chapter: str, cell: int, line: int | None, ename: str, evalue: str, source: str,
        notebook: Path | None = None,
    ) -> None:
        self.chapter, self.cell, self.line = chapter, cell, line
        self.ename, self.evalue, self.source, self.notebook = ename, evalue, source, notebook
        where = f"cell {cell}" + (f" (line {line})" if line is not None else "")
        # ``cell`` counts the source's cells from 1 (markdown included), ``line`` its .py lines
        first = next((s for s in source.splitlines() if s.strip()), "")
        message = f"chapter {chapter} failed at {where}: {ename}: {evalue}\n    {first}"
        if notebook is not None:
            message += f"\n  executed notebook with the traceback: {notebook}"
        super().__init__(message)


@dataclass(frozen=True)
class ChapterRun:
    """One chapter of a build: ``status`` is "executed", "cached" or "static" (no code)."""

    source: str
    status: str
    seconds: float
    key: str


@dataclass(frozen=True)
class BuildSummary:
    """What a build did: per-chapter status and time, the render time, the HTML folder."""

    profile: str
    out: Path
    html: Path | None
    chapters: tuple[ChapterRun, ...]
    render: str
    render_seconds: float
    total_seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def executed(self) -> int:
        """How many chapters were executed (not taken from the cache)."""
        return sum(c.status == "executed" for c in self.chapters)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (the ``--json`` output of ``socalign book``)."""
        return {
            "profile": self.profile,
            "out": str(self.out),
            "html": None if self.html is None else str(self.html),
            "executed": self.executed,
            "cached": sum(c.status == "cached" for c in self.chapters),
            "render": self.render,
            "render_seconds": round(self.render_seconds, 2),
            "total_seconds": round(self.total_seconds, 2),
            "chapters": [
                {"source": c.source, "status": c.status, "seconds": round(c.seconds, 2)}
                for c in self.chapters
            ],
            "datasets": dict(self.datasets),
            "overrides": dict(self.overrides),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per chapter (source, status, seconds)."""
        return pd.DataFrame(
            [(c.source, c.status, c.seconds) for c in self.chapters],
            columns=["source", "status", "seconds"],
        )

    def report(self) -> str:
        """A short human-readable summary with timings."""
        lines = [f"book profile {self.profile!r}: {self.executed} executed, "
                 f"{len(self.chapters) - self.executed} from cache or static"]
        for c in self.chapters:
            lines.append(f"  {c.status:9s} {c.seconds:7.1f} s  {c.source}")
        lines.append(f"  render    {self.render_seconds:7.1f} s  ({self.render})")
        lines.append(f"  total     {self.total_seconds:7.1f} s  -> {self.html}")
        for name, where in self.datasets.items():
            lines.append(f"  dataset   {name}: {where}")
        return "\n".join(lines)


def find_book_root(start: Path | str | None = None) -> Path:
    """The folder holding ``_toc.yml`` and ``_config.yml``: ``start`` or one of its parents."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists() and (folder / "_config.yml").exists():
            return folder
    raise BookError(f"no _toc.yml and _config.yml in {here} or its parents; pass --root")


def _toc_documents(toc_path: Path) -> list[str]:
    """Every document of ``_toc.yml`` in reading order, parsed by sphinx-external-toc.

    The same parser jupyter-book uses, so the build executes exactly the pages it renders.
    """
    import yaml
    from sphinx_external_toc.parsing import MalformedError, parse_toc_yaml

    try:
        site_map = parse_toc_yaml(toc_path)
    except yaml.YAMLError as err:
        raise BookError(f"{toc_path}: not valid YAML ({err})") from err
    except MalformedError as err:
        raise BookError(f"{toc_path}: not a valid table of contents ({err})") from err

    def walk(docname: str) -> Iterable[str]:
        yield docname
        for subtree in site_map[docname].subtrees:
            for item in subtree.items:
                if isinstance(item, str):  # FileItem; globs and URLs name no source file
                    yield from walk(item)

    return list(walk(site_map.root.docname))


def chapter_sources(root: Path) -> list[Path]:
    """The source file of every page in ``_toc.yml``, in order (relative to ``root``)."""
    toc_path = root / "_toc.yml"
    pages: list[Path] = []
    for entry in _toc_documents(toc_path):
        stem = root / entry
        found = [stem.with_suffix(s) for s in PAGE_SUFFIXES if stem.with_suffix(s).exists()]
        if stem.suffix in PAGE_SUFFIXES and stem.exists():
            found = [stem]
        if not found:
            raise BookError(f"{toc_path}: page {entry!r} has no source ({', '.join(PAGE_SUFFIXES)})")
        pages.append(found[0].relative_to(root))
    if not pages:
        raise BookError(f"{toc_path}: no pages listed")
    return pages


def notebook_from_source(path: Path) -> Any:
    """The notebook of a chapter source (jupytext ``.py`` percent format or ``.ipynb``)."""
    import jupytext

    nb = jupytext.read(path)
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"  # stable ids: the paired .ipynb must not change per read
    return nb


def _jupytext_sync(path: Path) -> None:
    """``jupytext --sync PATH`` with the pairing of the ``jupytext.toml`` above it."""
    from jupytext.cli import jupytext as jupytext_cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            code = jupytext_cli(["--sync", str(path)])
        except SystemExit as exit_:  # jupytext's argument errors
            code = exit_.code
    if code:
        raise BookError(f"{path}: jupytext --sync failed: {err.getvalue().strip()}")


def sync_notebooks(root: Path, check: bool = False) -> list[Path]:
    """Update each ``.py`` chapter's paired ``.ipynb`` with jupytext's pairing; return changed ones.

    The pairing is declared once, in the book's ``jupytext.toml`` (``formats =
    "ipynb,py:percent"``), so this is ``jupytext --sync`` over the chapters: the command line,
    CI and an editor with jupytext installed all agree. With ``check`` nothing is written: the
    pairs are synced in a temporary copy and the returned list names the chapters whose
    ``.py`` or ``.ipynb`` would change. Where the book has the chapter template
    (:data:`socalign.book.preamble.TEMPLATE`), each chapter's preamble cells are first copied
    from it (with ``check``: a chapter whose preamble differs counts as changed).

    Parameters
    ----------
    root : pathlib.Path
        The book folder (it holds ``_toc.yml`` and ``jupytext.toml``).
    check : bool, default False
        Only report what would change; write nothing.

    Returns
    -------
    list of pathlib.Path
        The ``.ipynb`` of each chapter whose pair changed (or would change), relative to
        ``root``.
    """
    config = root / "jupytext.toml"
    if not config.exists():
        raise BookError(f"{config}: missing (it declares how chapters and notebooks pair)")
    has_template = (root / preamble.TEMPLATE).exists()
    changed = []
    for rel in chapter_sources(root):
        if rel.suffix != ".py":
            continue
        pair = [rel, rel.with_suffix(".ipynb")]
        if has_template and check and preamble.preamble_problems(root, rel):
            changed.append(rel.with_suffix(".ipynb"))
            continue
        if has_template and not check:
            preamble.write_preamble(root, rel)
        if not check:
            before = {p: (root / p).read_bytes() if (root / p).exists() else None for p in pair}
            for _ in range(3):  # a new pair settles its header metadata on the second pass
                start = {p: (root / p).read_bytes() if (root / p).exists() else None for p in pair}
                _jupytext_sync(root / rel)
                if all((root / p).read_bytes() == start[p] for p in pair):
                    break
            if any((root / p).read_bytes() != before[p] for p in pair):
                changed.append(rel.with_suffix(".ipynb"))
            continue
        with tempfile.TemporaryDirectory(prefix="socalign-sync-") as tmp:
            copy = Path(tmp)
            shutil.copy2(config, copy / config.name)
            for p in pair:
                if (root / p).exists():
                    (copy / p).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(root / p, copy / p)
            _jupytext_sync(copy / rel)
            if any(not (root / p).exists() or (copy / p).read_bytes() != (root / p).read_bytes()
                   for p in pair):
                changed.append(rel.with_suffix(".ipynb"))
    return changed


def _is_code_notebook(nb: Any) -> bool:
    return any(c.cell_type == "code" and c.source.strip() for c in nb.cells)


def _source_line(path: Path, cell_source: str) -> int | None:
    """The line of ``path`` where the failing cell's first line of code appears."""
    first = next((s.strip() for s in cell_source.splitlines() if s.strip()), None)
    if first is None or path.suffix != ".py":
        return None
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if text.strip() == first:
            return number
    return None


def _execute(
    source: Path, rel: Path, nb: Any, profile: str, kernel: str, workdir: Path, failed_dir: Path,
    timeout: int | None, overrides: dict[str, Any] | None = None,
) -> Any:
    """Run one notebook with papermill; raise :class:`ChapterFailed` naming the cell."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        raise BookError(f"{rel}: no cell tagged 'parameters' (papermill needs one for profile)")
    if overrides and not any("parameters" in c.metadata.get("tags", []) and "overrides" in c.source
                             for c in nb.cells):
        raise BookError(f"{rel}: its 'parameters' cell sets no `overrides`, so the build's "
                        "--set/--videos would be ignored; add `overrides = {}` there and call "
                        "profile_settings(profile, **overrides)")
    nb.metadata.setdefault(
        "kernelspec", {"name": kernel, "display_name": "Python 3", "language": "python"})
    nb.metadata.setdefault("language_info", {"name": "python"})
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="socalign-book-") as tmp, _quiet_environment():
        inp = Path(tmp) / "input.ipynb"
        outp = Path(tmp) / "output.ipynb"
        nbformat.write(nb, inp)
        parameters: dict[str, Any] = {"profile": profile}
        if overrides:  # the chapter's ``overrides`` parameter (absent: its default, {})
            parameters["overrides"] = dict(overrides)
        try:
            papermill.execute_notebook(
                str(inp), str(outp), parameters=parameters, kernel_name=kernel,
                progress_bar=False, log_output=False, cwd=str(workdir),
                execution_timeout=timeout, **_quiet_kernel(),
            )
        except PapermillExecutionError as err:
            failed_dir.mkdir(parents=True, exist_ok=True)
            kept = failed_dir / rel.with_suffix(".ipynb").name
            if outp.exists():
                shutil.copyfile(outp, kept)
            executed = nbformat.read(outp, as_version=4) if outp.exists() else nb
            injected = sum(
                "injected-parameters" in c.metadata.get("tags", [])
                for c in executed.cells[: err.cell_index]
            )
            raise ChapterFailed(
                str(rel), err.cell_index - injected + 1, _source_line(source, err.source),
                err.ename, err.evalue, err.source, kept if kept.exists() else None,
            ) from None
        executed = nbformat.read(outp, as_version=4)
    for cell in executed.cells:  # parameters are plumbing: each page's data line names the profile
        tags = cell.metadata.get("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    return executed


def _quiet_kernel() -> dict[str, Any]:
    """papermill arguments for a kernel that logs no transport warning and no shutdown SIGINT.

    ipykernel >= 7 warns on every start over unencrypted TCP, so the kernel talks over IPC
    (POSIX only; Windows keeps TCP); jupyter_client interrupts a kernel before shutting it
    down, which ipykernel logs as ``KeyboardInterrupt caught in kernel``, so the interrupt is
    skipped while shutting down.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets.config import Config

    class QuietShutdownKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    config = Config()
    if os.name == "posix":
        config.KernelManager.transport = "ipc"
    return {"kernel_manager_class": QuietShutdownKernelManager, "config": config}


QUIET_ENV = {
    "TQDM_DISABLE": "1",  # progress bars would land in the pages
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    # tqdm.auto (imported by transformers and peft) warns on every page that widgets are absent
    "PYTHONWARNINGS": "ignore:IProgress not found",
}


@contextlib.contextmanager
def _quiet_environment() -> Iterator[None]:
    """Environment of the chapter kernels: no progress bars; restored afterwards."""
    saved = {k: os.environ.get(k) for k in QUIET_ENV}
    os.environ.update({k: v for k, v in QUIET_ENV.items() if k not in os.environ})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ, so unchanged pages keep their time stamps."""
    if path.exists() and path.read_bytes() == data:
        return False
    atomic_write_bytes(path, data)
    return True


def _asset_files(root: Path, pages: list[Path]) -> list[Path]:
    """The config, the table of contents and the non-notebook files under ``book/`` (relative)."""
    assets = [Path("_config.yml"), Path("_toc.yml")]
    notebook_stems = {p.with_suffix("") for p in pages if p.suffix in NOTEBOOK_SUFFIXES}
    folders = sorted({p.parts[0] for p in pages if len(p.parts) > 1})
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root)
            if any(part in SKIP_NAMES for part in rel.parts) or not path.is_file():
                continue
            if rel.suffix in NOTEBOOK_SUFFIXES and rel.with_suffix("") in notebook_stems:
                continue  # executed notebooks replace the sources and their Colab pairs
            if rel.suffix == ".ipynb" and rel not in pages:
                continue  # stray notebooks are not pages (.py files may be Sphinx extensions)
            assets.append(rel)
    return assets


def _staged_files(root: Path, pages: list[Path]) -> set[Path]:
    """Every file a build stages under ``src/``: the assets and one notebook per chapter."""
    notebooks = {p.with_suffix(".ipynb") for p in pages if p.suffix in NOTEBOOK_SUFFIXES}
    return set(_asset_files(root, pages)) | notebooks


#: The build folder's record of the staged files it wrote (``src/``-relative paths): the one
#: list :func:`_prune` may remove from, and what makes a folder a socalign book build.
BUILD_MANIFEST = "socalign-build.json"
#: The files and folders a build writes at the top of its folder (besides ``src/``).
BUILD_OUTPUTS = ("summary.json", "render.key", "render-shared.key", "_build", "work", "failed",
                 BUILD_MANIFEST)


def _is_legacy_build(out: Path) -> bool:
    """A build folder of a socalign that kept no manifest (its summary.json names a profile)."""
    try:
        summary = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):  # no summary, or not one socalign wrote: not a legacy build
        return False
    return isinstance(summary, dict) and "profile" in summary and "chapters" in summary


def _previous_staged(out: Path) -> set[Path]:
    """The staged files an earlier build of ``out`` wrote (checked: ``out`` is a build folder).

    Raises
    ------
    socalign.outputs.OutputFolderError
        ``out`` is a file, or a non-empty folder that is not a socalign book build.
    ValueError
        Its manifest is not one socalign wrote (named).
    """
    from socalign.outputs import folder_state, foreign_folder_error

    manifest = out / BUILD_MANIFEST
    state = folder_state(out, lambda f: (f / BUILD_MANIFEST).is_file() or _is_legacy_build(f))
    if state == "foreign":
        raise foreign_folder_error(out, "book build", BUILD_MANIFEST)
    if state in ("new", "empty"):
        return set()
    if not manifest.is_file():  # an older build: it wrote everything under src/
        stage = out / "src"
        return {p.relative_to(stage) for p in stage.rglob("*") if p.is_file()} if stage.is_dir() \
            else set()
    try:
        files = json.loads(manifest.read_text())["staged"]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise TypeError
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{manifest}: not a socalign build manifest (a JSON object with a list "
                         f"'staged' of file names); remove it to rebuild ({err})") from err
    staged = {Path(f) for f in files}
    if any(f.is_absolute() or ".." in f.parts for f in staged):
        raise ValueError(f"{manifest}: a 'staged' name leaves the build folder")
    return staged


def _check_staged_targets(stage: Path, keep: set[Path], previous: set[Path]) -> None:
    """Refuse to overwrite a file under ``src/`` that no build wrote (the user's)."""
    from socalign.outputs import OutputFolderError

    for rel in sorted(keep - previous):
        if (stage / rel).exists() or (stage / rel).is_symlink():
            raise OutputFolderError(
                stage / rel, "was not written by a socalign build; it is left untouched: move "
                             "it, or choose another build folder", "--out")


def _prune(stage: Path, keep: set[Path], previous: set[Path]) -> None:
    """Remove the staged files an earlier build wrote that no longer correspond to a source.

    Only files in ``previous`` (the manifest) are removed, and then only the folders that
    removing them left empty; a file the user put under ``src/`` is never touched.
    """
    emptied: set[Path] = set()
    for rel in sorted(previous - keep):
        path = stage / rel
        if path.is_file() and not path.is_symlink():
            path.unlink()
            emptied.update(parent for parent in (stage / rel).parents
                           if parent != stage and stage in parent.parents)
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _write_manifest(out: Path, staged: set[Path]) -> None:
    atomic_write_bytes(out / BUILD_MANIFEST, json.dumps(
        {"staged": sorted(str(p) for p in staged), "outputs": list(BUILD_OUTPUTS)},
        indent=2).encode())


def _tree_key(stage: Path, notebooks: bool = True) -> str:
    """Key of the staged files (without the pages when ``notebooks`` is false)."""
    files = sorted(
        p for p in stage.rglob("*")
        if p.is_file() and (notebooks or p.suffix not in (".ipynb", ".md"))
    )
    return content_key(*[str(p.relative_to(stage)) for p in files], *files)


def _jupyter_book() -> list[str]:
    script = Path(sys.executable).with_name("jupyter-book")
    if script.exists():
        return [str(script)]
    found = shutil.which("jupyter-book")
    if found is None:
        raise BookError("jupyter-book is not installed (pip install 'socalign[book]')")
    return [found]


def render(stage: Path, out: Path, strict: bool = True, everything: bool = False) -> Path:
    """Render the staged book with jupyter-book into ``out/_build/html`` (warnings fail if strict).

    ``everything`` rewrites every page (Sphinx otherwise rewrites only the changed ones, which
    misses a change to a local extension or to the bibliography).

    Parameters
    ----------
    stage : pathlib.Path
        The staged book sources (executed notebooks and static pages).
    out : pathlib.Path
        The build folder; jupyter-book's log is kept in ``out/render.log``.
    strict : bool, default True
        Turn Sphinx warnings into errors (``-W -n --keep-going``).
    everything : bool, default False
        Rewrite every page (``--all``).

    Returns
    -------
    pathlib.Path
        The HTML folder ``out/_build/html``.
    """
    command = [*_jupyter_book(), "build", str(stage), "--path-output", str(out), "--builder", "html"]
    if everything:
        command.append("--all")
    if strict:
        command += ["-W", "-n", "--keep-going"]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    log = out / "render.log"
    atomic_write_bytes(log, (proc.stdout + "\n" + proc.stderr).encode())
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise BookError(f"jupyter-book build failed (full log: {log}):\n{tail}")
    html = out / "_build" / "html"
    bundle_mathjax(html)
    return html


#: Where the built pages load MathJax from (``_config.yml``'s ``mathjax_path`` names it, under
#: ``_static``), so that math renders when a page is read offline.
MATHJAX_DIR = Path("_static") / "mathjax"


def bundle_mathjax(html: Path) -> Path:
    """Copy the MathJax that ``jupyter-server-mathjax`` ships into the built pages' ``_static``.

    Sphinx loads MathJax from a CDN by default, so math stays raw LaTeX when a page is read
    offline; the book's ``_config.yml`` points ``mathjax_path`` at this copy instead. The copy is
    redone only when the installed MathJax changes (its version is recorded beside it).

    Parameters
    ----------
    html : pathlib.Path
        The built HTML folder (``out/_build/html``).

    Returns
    -------
    pathlib.Path
        The MathJax folder inside ``html``.

    Raises
    ------
    BookError
        ``jupyter-server-mathjax`` (the ``book`` extra) is not installed.
    """
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise BookError("rendering needs jupyter-server-mathjax (MathJax for offline pages): "
                        "pip install 'socalign[book]'") from err
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = html / MATHJAX_DIR
    stamp = target / ".socalign-mathjax"
    version = _package_version("jupyter-server-mathjax")
    if stamp.is_file() and stamp.read_text() == version:
        return target
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    stamp.write_text(version)
    return target


def build_book(
    root: Path | str | None = None,
    profile: str = "demo",
    out: Path | str | None = None,
    force: bool = False,
    do_render: bool = True,
    strict: bool = True,
    kernel: str = "python3",
    timeout: int | None = None,
    log: Callable[[str], None] | None = None,
    overrides: dict[str, Any] | None = None,
) -> BuildSummary:
    """Execute every chapter under ``profile`` (cached by content) and render the HTML.

    ``out`` defaults to ``ROOT/_build/<profile>``; the HTML lands in ``out/_build/html``.
    ``force`` re-executes every chapter; a failing chapter raises :class:`ChapterFailed`.

    Parameters
    ----------
    root : path-like, optional
        The book folder or a folder inside it; None: found from the working directory (see
        :func:`find_book_root`).
    profile : str, default "demo"
        The book profile the chapters run under.
    out : path-like, optional
        The build folder.
    force : bool, default False
        Re-execute every chapter, cached or not.
    do_render : bool, default True
        Render the HTML after executing (False: execute and stage only).
    strict : bool, default True
        Sphinx warnings fail the render.
    kernel : str, default "python3"
        The Jupyter kernel that executes the chapters.
    timeout : int, optional
        Per-cell execution timeout in seconds (papermill's); None: no limit.
    log : callable, optional
        Called with a line of text for each step (executing, cached, rendering).
    overrides : dict, optional
        Changes to the profile's settings (keyword arguments of
        :func:`socalign.profiles.profile_settings`, e.g. ``{"video_model": DIR, "videos":
        DIR}``): checked here, passed to every chapter as its ``overrides`` parameter, and part
        of every cache key through the settings.

    Returns
    -------
    BuildSummary
        Per-chapter status and times, the render status, the settings and datasets used; also
        written to ``out/summary.json``.
    """
    start = time.perf_counter()
    overrides = dict(overrides or {})
    settings = profile_settings(profile, **overrides)
    root = find_book_root(root)
    out = Path(out).resolve() if out is not None else root / "_build" / profile
    previous = _previous_staged(out)  # refuses a folder socalign did not write, before any work
    stage = out / "src"
    say = log or (lambda message: None)
    pages = chapter_sources(root)
    env_key = _environment_key(settings, root)
    library = library_fingerprint()
    executed_cache = cache_dir("book", "executed")
    keep = _staged_files(root, pages)
    _check_staged_targets(stage, keep, previous)
    _write_manifest(out, previous | keep)  # an interrupted build still knows what it wrote
    for rel in _asset_files(root, pages):
        _write_if_changed(stage / rel, (root / rel).read_bytes())
    runs: list[ChapterRun] = []
    for rel in pages:
        if rel.suffix not in NOTEBOOK_SUFFIXES:
            runs.append(ChapterRun(str(rel), "static", 0.0, ""))
            continue
        t0 = time.perf_counter()
        nb = notebook_from_source(root / rel)
        target = rel.with_suffix(".ipynb")
        if not _is_code_notebook(nb):
            import nbformat

            _write_if_changed(stage / target, nbformat.writes(nb).encode())
            runs.append(ChapterRun(str(rel), "static", 0.0, ""))
            continue
        key = content_key(
            "book-chapter/1", (root / rel).read_bytes(), library, settings.to_dict(), env_key,
            kernel,
        )
        cached = executed_cache / f"{key}.ipynb"
        data = None if force else read_verified(cached)  # a corrupt entry is reported, removed
        if data is not None:
            status = "cached"
        else:
            say(f"executing {rel} ({profile})")
            (out / "work").mkdir(parents=True, exist_ok=True)
            with progress.follow(
                out / "work" / f"{rel.stem}.progress",
                lambda line, t0=t0: say(f"    {time.perf_counter() - t0:6.0f} s  {line}"),
            ):
                executed = _execute(
                    root / rel, rel, nb, profile, kernel, out / "work" / rel.stem,
                    out / "failed", timeout, overrides,
                )
            import nbformat

            data = nbformat.writes(executed).encode()
            write_verified(cached, data)
            status = "executed"
        _write_if_changed(stage / target, data)
        runs.append(ChapterRun(str(rel), status, time.perf_counter() - t0, key))
        say(f"{status:9s} {runs[-1].seconds:6.1f} s  {rel}")
    _prune(stage, keep, previous)
    _write_manifest(out, keep)
    html: Path | None = None
    render_status, render_seconds = "skipped", 0.0
    if do_render:
        t0 = time.perf_counter()
        tree = content_key(_tree_key(stage), strict, _jupyter_book_version())
        shared = content_key(_tree_key(stage, notebooks=False), strict, _jupyter_book_version())
        marker, shared_marker = out / "render.key", out / "render-shared.key"
        html = out / "_build" / "html"
        if marker.exists() and marker.read_text() == tree and (html / "index.html").exists():
            render_status = "unchanged"
        else:
            everything = not (shared_marker.exists() and shared_marker.read_text() == shared)
            say("rendering with jupyter-book" + (" (all pages)" if everything else ""))
            html = render(stage, out, strict=strict, everything=everything)
            atomic_write_bytes(marker, tree.encode())
            atomic_write_bytes(shared_marker, shared.encode())
            render_status = "rendered"
        render_seconds = time.perf_counter() - t0
    summary = BuildSummary(
        profile=profile, out=out, html=html, chapters=tuple(runs), render=render_status,
        render_seconds=render_seconds, total_seconds=time.perf_counter() - start,
        settings=settings.to_dict(), datasets=_datasets_used(settings), overrides=overrides,
    )
    atomic_write_bytes(out / "summary.json", json.dumps(summary.to_dict(), indent=2).encode())
    return summary


def _datasets_used(settings: Profile) -> dict[str, str]:
    """Which benchmarks a build under ``settings`` reported on, and how to add a missing one."""
    from socalign.book.artifacts import garcia2025_location, phase_copy

    used = {"SocialWorld": "synthesized (embedded, offline)"}
    found = None if settings.garcia2025 == "off" else garcia2025_location()
    if found is not None:
        used["garcia2025"] = f"the paper's public data from {found}"
    elif settings.garcia2025 == "off":
        used["garcia2025"] = f"not used by the {settings.name!r} profile"
    else:
        used["garcia2025"] = ("not found: run `socalign data fetch garcia2025` or set "
                              "$SOCALIGN_DATA to a local copy, then build again")
    phase = phase_copy()
    used["PHASE"] = (f"public trajectories and labels from {phase} (chapter 6)" if phase is not None
                     else "not found: chapter 6 shows the paper's PHASE figures only; run "
                          "`socalign data fetch phase` or set $SOCALIGN_DATA to a local copy")
    return used


def _package_version(name: str) -> str:
    """The installed version of a distribution, or ``"absent"`` (its user reports the absence)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def _jupyter_book_version() -> str:
    return _package_version("jupyter-book")


def _environment_key(settings: Profile, root: Path | None = None) -> dict[str, Any]:
    """What outside the source changes a chapter's output: the real data present or not (garcia2025,
    PHASE), and the scripts under ``book/_static`` that a chapter inlines into its output (the
    participant page's widget)."""
    from socalign.book.artifacts import garcia2025_location, phase_copy

    found = None
    if settings.garcia2025 != "off":
        found = garcia2025_location()
    from socalign.data.garcia2025 import VIDEOS_ENV

    key: dict[str, Any] = {
        "garcia2025": None if found is None else str(found),
        "cuda_visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "phase": None if (phase := phase_copy()) is None else str(phase),
    }
    if root is not None:
        key["static_scripts"] = {p.name: sha256_file(p)
                                 for p in sorted((root / "book" / "_static").glob("*.js"))}
    if found is not None and settings.videos is None and os.environ.get(VIDEOS_ENV):
        key["garcia2025_videos"] = os.environ[VIDEOS_ENV]  # the videos the chapters will read
    return key
