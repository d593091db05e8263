"""``socalign export``: a finished run as a shareable model folder (nothing is uploaded)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from socalign.cli.output import format_fields, join_blocks
from socalign.cli.parser import add_command, progress_enabled
from socalign.progress import working


def _export(args: argparse.Namespace) -> dict[str, Any]:
    """Write the exported folder and describe it.

    Parameters
    ----------
    args
        ``run``, ``out``, ``no_ceiling``.

    Returns
    -------
    dict
        ``out``, ``run``, ``backbone`` (its record: source, name, revision, commit),
        ``files`` (the folder's files), ``ceiling`` (whether the card holds one).
    """
    import json

    from socalign.train.export import export_run
    from socalign.train.runfiles import EXPORT_MARKER
    from socalign.train.runs import Run

    run = Run.open(args.run)
    with working("export: writing the model folder", progress_enabled(args)):
        out = export_run(run, args.out, ceiling=not args.no_ceiling)
    info = json.loads((Path(out) / EXPORT_MARKER).read_text(encoding="utf-8"))
    files = sorted(p.relative_to(out).as_posix() for p in Path(out).rglob("*") if p.is_file())
    return {"out": str(out), "run": str(run.path), "backbone": info["backbone"],
            "files": files, "ceiling": info.get("ceiling") is not None}


def export_text(result: dict[str, Any]) -> str:
    """``socalign export`` for people: where the folder is, its backbone, how to share it."""
    backbone = result.get("backbone") or {}
    pin = backbone.get("commit") or backbone.get("revision")
    fields = format_fields([
        ("backbone", f"{backbone.get('name')} ({backbone.get('source')}"
                     + (f", {pin}" if pin else "") + ")"),
        ("files", len(result.get("files") or [])),
        ("noise ceiling in the card", "yes" if result.get("ceiling") else "no"),
    ])
    out = result.get("out")
    return join_blocks(
        f"model folder of the run {result.get('run')} written to {out}", fields,
        f"load it with socalign.load_aligned({str(out)!r}); share it with "
        f"`huggingface-cli upload OWNER/NAME {out}` (socalign uploads nothing)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``socalign export`` to the parser."""
    parser = add_command(
        sub, "export", _export,
        "write a finished fine-tuning run as a shareable model folder: adapters, head, "
        "backbone name and revision, configs and a filled model card (nothing is uploaded)",
        human=export_text,
    )
    parser.add_argument("run", metavar="RUN", help="a finished socalign finetune --out folder")
    parser.add_argument("--out", required=True,
                        help="new or empty folder to write (an earlier export is not overwritten)")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="leave the noise ceiling out of the model card (it is computed from "
                        "the run's benchmark otherwise)")
