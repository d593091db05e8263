"""The book: chapters executed per profile with papermill, cached by content, rendered with
jupyter-book.

Three modules, one job each: :mod:`~socalign.book.build` executes, caches and renders;
:mod:`~socalign.book.chapter` is what a chapter calls (settings, glue, number formatting);
:mod:`~socalign.book.artifacts` builds and caches what several chapters share (the benchmarks,
fine-tuning runs, merged backbones, action sets). Everything public is re-exported here, so
``from socalign.book import build_book, glue`` keeps working.
"""

from __future__ import annotations

from socalign.book.build import (
    BookError,
    BuildSummary,
    ChapterFailed,
    ChapterRun,
    build_book,
    chapter_sources,
    find_book_root,
    library_fingerprint,
    notebook_from_source,
    render,
    sync_notebooks,
)
from socalign.book.chapter import (
    PROFILES,
    Profile,
    change_word,
    claim,
    data_caption,
    data_line,
    dataset_label,
    glue,
    interval,
    profile_settings,
    seed_claims,
    settings_frame,
    sig,
    style_frame,
    use_page_format,
)

__all__ = [
    "PROFILES",
    "BookError",
    "BuildSummary",
    "ChapterFailed",
    "ChapterRun",
    "Profile",
    "build_book",
    "change_word",
    "chapter_sources",
    "claim",
    "data_caption",
    "data_line",
    "dataset_label",
    "find_book_root",
    "glue",
    "interval",
    "library_fingerprint",
    "notebook_from_source",
    "profile_settings",
    "render",
    "seed_claims",
    "settings_frame",
    "sig",
    "style_frame",
    "sync_notebooks",
    "use_page_format",
]
