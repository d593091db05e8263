"""``socalign labs assign``: the book's labs as autograded assignments (otter-grader).

The work is :mod:`socalign.book.labs`' (which runs ``otter assign``); this module finds the
labs, checks ``--lab`` and prints where the student notebooks and autograders went.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from socalign.cli.errors import CliError
from socalign.cli.output import format_table
from socalign.cli.parser import add_command, add_group


def assign_command(args: argparse.Namespace) -> dict[str, Any]:
    """Write the student notebook and autograder of every lab (or of ``--lab``) under ``--out``.

    Parameters
    ----------
    args : argparse.Namespace
        ``out``, ``lab`` (a name or None) and ``root`` (the book's root or None).

    Returns
    -------
    dict
        ``out`` and ``labs``: per lab its name, questions, student notebook and autograder zip.

    Raises
    ------
    CliError
        When the book has no labs, or ``--lab`` names none of them.
    """
    from socalign.book.build import find_book_root
    from socalign.book.labs import assign, lab_sources

    root = Path(args.root) if args.root else find_book_root()
    found = lab_sources(root)
    if not found:
        raise CliError(f"--root: no labs (book/labs/lab*.py) in {root}", "--root")
    if args.lab is not None:
        chosen = [p for p in found if args.lab in (p.stem, p.name)]
        if not chosen:
            raise CliError(f"--lab: no lab {args.lab!r}; the labs are "
                           f"{', '.join(p.stem for p in found)}", "--lab")
        found = chosen
    out = Path(args.out)
    labs = []
    for source in found:
        lab = assign(source, out)
        labs.append({"lab": lab.name, "questions": list(lab.questions),
                     "student": str(lab.student), "autograder": str(lab.zip or lab.autograder)})
    return {"out": str(out), "labs": labs}


def assign_text(result: dict[str, Any]) -> str:
    """The table of assigned labs for people."""
    rows = [{"lab": lab["lab"], "questions": " ".join(lab["questions"]),
             "student notebook": lab["student"], "autograder": lab["autograder"]}
            for lab in result["labs"]]
    return (format_table(rows)
            + "\nStudents run grader.check(\"q1\") after each exercise; grade submissions with "
            "`otter grade` and the autograder zip.")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``socalign labs assign``."""
    group = add_group(sub, "labs", "the book's labs as autograded assignments (otter-grader)")
    parser = add_command(
        group, "assign", assign_command,
        "write each lab's student notebook (solutions replaced by ..., a grader.check cell "
        "after each exercise) and otter's autograder, with otter assign",
        human=assign_text,
    )
    parser.add_argument("--out", required=True,
                        help="folder to write into; each lab goes to OUT/<lab> (replaced)")
    parser.add_argument("--lab", default=None,
                        help="one lab, by file name or stem (e.g. lab3_hybrid_loss); default: "
                        "every lab")
    parser.add_argument("--root", default=None,
                        help="the book's root, the folder of _toc.yml; default: found from the "
                        "working folder")
