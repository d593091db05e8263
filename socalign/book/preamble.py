"""Every chapter's preamble, owned by one file: the book's chapter template.

``book/_template.py`` is the chapter a newcomer copies to start a page. Its first code cell
(the Colab install, hidden from the page) and its ``parameters`` cell (what papermill
replaces) are every chapter's preamble: :func:`preamble_problems` names a chapter whose cells
differ, and :func:`write_preamble` copies the template's cells into a chapter (``socalign book
--sync-notebooks`` does it for every chapter before pairing the notebooks). The template is not
in ``_toc.yml``, so the book never renders it.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["PREAMBLE_CELLS", "TEMPLATE", "preamble_problems", "template_cells", "write_preamble"]

#: Where the template lives, relative to the book's root (the folder with ``_toc.yml``).
TEMPLATE = Path("book/_template.py")
#: The preamble's cells, in their order in a chapter: the first code cell (the Colab install)
#: and the one cell tagged ``parameters``.
PREAMBLE_CELLS = ("colab", "parameters")

_CELL_START = re.compile(r"^# %%.*$", re.MULTILINE)


def _cells(text: str) -> list[tuple[str, str]]:
    """The (marker line, body) of each ``# %%`` cell of a jupytext percent source."""
    starts = [m.start() for m in _CELL_START.finditer(text)]
    out = []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        marker, _, body = text[begin:end].partition("\n")
        out.append((marker, body))
    return out


def _preamble_indices(cells: list[tuple[str, str]]) -> dict[str, list[int]]:
    """Where each preamble cell is: the first code cell, and every ``parameters`` cell."""
    code = [i for i, (marker, _) in enumerate(cells) if "[markdown]" not in marker]
    return {"colab": code[:1],
            "parameters": [i for i, (marker, _) in enumerate(cells) if 'tags=["parameters"]' in marker]}


def template_cells(root: Path) -> dict[str, str]:
    """The template's preamble cells: name → the cell's marker line and source (blank tail dropped).

    Parameters
    ----------
    root : pathlib.Path
        The book's root folder.

    Returns
    -------
    dict of str to str
        One entry per name of :data:`PREAMBLE_CELLS`: the ``# %%`` line and the source below it.

    Raises
    ------
    FileNotFoundError
        The template is missing.
    ValueError
        The template lacks one of the preamble's cells.
    """
    path = root / TEMPLATE
    cells = _cells(path.read_text(encoding="utf-8"))
    found = {}
    for name, where in _preamble_indices(cells).items():
        if len(where) != 1:
            raise ValueError(f"{path}: needs exactly one {name} cell, found {len(where)}")
        marker, body = cells[where[0]]
        found[name] = f"{marker}\n{body.rstrip(chr(10))}"
    return found


def preamble_problems(root: Path, chapter: Path) -> list[str]:
    """What differs between a chapter's preamble and the template's (empty when they agree).

    Parameters
    ----------
    root : pathlib.Path
        The book's root folder.
    chapter : pathlib.Path
        The chapter's ``.py`` source, relative to ``root``.

    Returns
    -------
    list of str
        One line per problem, naming the chapter and the cell.
    """
    wanted = template_cells(root)
    cells = _cells((root / chapter).read_text(encoding="utf-8"))
    problems = []
    for name, where in _preamble_indices(cells).items():
        if len(where) != 1:
            problems.append(f"{chapter}: needs exactly one {name} cell, found {len(where)}")
            continue
        marker, body = cells[where[0]]
        if f"{marker}\n{body.rstrip(chr(10))}" != wanted[name]:
            problems.append(f"{chapter}: its {name} cell differs from {TEMPLATE}'s "
                            "(run `socalign book --sync-notebooks`)")
    return problems


def write_preamble(root: Path, chapter: Path) -> bool:
    """Copy the template's preamble cells into a chapter; return whether it changed.

    Only the chapter's first code cell and its one ``parameters`` cell are rewritten; a chapter
    lacking one (or with several ``parameters`` cells) is left for :func:`preamble_problems`.

    Parameters
    ----------
    root : pathlib.Path
        The book's root folder.
    chapter : pathlib.Path
        The chapter's ``.py`` source, relative to ``root``.

    Returns
    -------
    bool
        True when the chapter's file was rewritten.
    """
    wanted = template_cells(root)
    path = root / chapter
    text = path.read_text(encoding="utf-8")
    first = _CELL_START.search(text)
    pieces = [text[: first.start()] if first else text]
    cells = _cells(text)
    replace = {where[0]: name for name, where in _preamble_indices(cells).items() if len(where) == 1}
    for index, (marker, body) in enumerate(cells):
        if index in replace:
            trailing = body[len(body.rstrip("\n")):] or "\n"
            pieces.append(wanted[replace[index]] + trailing)
        else:
            pieces.append(f"{marker}\n{body}")
    new = "".join(pieces)
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True
