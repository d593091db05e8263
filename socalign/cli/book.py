"""``socalign book``: execute every chapter under a profile and render the HTML book."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from socalign.cli.arguments import video_folder
from socalign.cli.errors import CliError
from socalign.cli.parser import add_command
from socalign.profiles import PROFILES


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``socalign book`` to the parser."""
    parser = add_command(
        sub, "book", run_book,
        "execute the book's chapters with papermill (cached) and render the HTML",
    )
    parser.add_argument(
        "--profile", default="demo", choices=tuple(PROFILES),
        help="settings the chapters run under (default: demo, CPU)",
    )
    parser.add_argument("--out", type=Path, default=None,
                        help="build folder (default: ROOT/_build/PROFILE)")
    parser.add_argument("--force", action="store_true",
                        help="re-execute every chapter even when a cached run matches")
    parser.add_argument("--root", type=Path, default=None,
                        help="folder with _toc.yml and _config.yml (default: found from here)")
    parser.add_argument("--no-render", action="store_true",
                        help="execute the chapters only, skip jupyter-book")
    parser.add_argument("--lenient", action="store_true",
                        help="do not turn Sphinx warnings (e.g. broken links) into errors")
    parser.add_argument("--sync-notebooks", action="store_true",
                        help="only rewrite the paired .ipynb of each .py chapter (for Colab)")
    parser.add_argument(
        "--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
        help="change one setting of the profile, e.g. video_model=DIR, device=cpu, n_boot=50, "
        "train.epochs=1, language_models=minilm,tfidf (repeatable; VALUE is read as JSON when "
        "it parses; part of every cache key)")
    parser.add_argument(
        "--videos", metavar="DIR", type=video_folder, default=None,
        help="folder of the garcia2025 videos under their video_mapping.csv names (the same as "
        "--set videos=DIR; default: $SOCALIGN_GARCIA2025_VIDEOS)")


def book_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The profile overrides of ``--set KEY=VALUE`` and ``--videos DIR``, checked.

    Parameters
    ----------
    args : argparse.Namespace
        ``socalign book``'s arguments.

    Returns
    -------
    dict
        Keyword arguments of :func:`socalign.profiles.profile_settings`.

    Raises
    ------
    CliError
        A malformed ``--set``, a setting the profile does not take, or a value of the wrong
        type (a string for a number, ``1e400`` or ``NaN``, a fraction for an integer, a list
        of the wrong elements), naming ``--set KEY`` (``--set`` when no one key is at fault).
    """
    from socalign.profiles import SettingError, merge_overrides, parse_override, profile_settings

    try:
        overrides = merge_overrides([parse_override(text) for text in args.overrides])
        if args.videos is not None:
            overrides["videos"] = str(args.videos.resolve())
        profile_settings(args.profile, **overrides)  # a bad setting fails before any work
    except SettingError as err:
        where = "--videos" if err.key == "videos" and args.videos is not None else f"--set {err.key}"
        raise CliError(f"{where}: {err}", where=where) from err
    except ValueError as err:
        raise CliError(str(err).removeprefix("--set "), where="--set") from err
    return overrides


def run_book(args: argparse.Namespace) -> dict[str, Any]:
    """Handler of ``socalign book``."""
    from socalign import book

    try:
        if args.sync_notebooks:
            root = book.find_book_root(args.root)
            return {"synced": [str(p) for p in book.sync_notebooks(root)]}
        summary = book.build_book(
            root=args.root, profile=args.profile, out=args.out, force=args.force,
            do_render=not args.no_render, strict=not args.lenient,
            log=lambda m: print(m, file=sys.stderr, flush=True), overrides=book_overrides(args),
        )
    except book.BookError as err:
        raise CliError(str(err)) from err
    if not args.json:
        print(summary.report(), file=sys.stderr)
    return summary.to_dict()
