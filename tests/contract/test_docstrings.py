"""Every public function of two or more parameters documents them in a numpydoc section.

Checked on the source with :mod:`ast` (nothing is imported): module-level functions and the
methods of public classes whose names do not start with ``_`` and that take two or more
parameters besides ``self``/``cls`` need a docstring with a ``Parameters`` section that names
each of them. The files in :data:`PENDING` are not converted yet; each must still lack a
section somewhere, so that a file leaves the list once it is done (and cannot return to it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "socalign"

#: Files (relative to socalign/) that still have public functions without a Parameters
#: section. Remove a file from here when its last function is converted.
PENDING: frozenset[str] = frozenset()

_SECTION = re.compile(r"^(\S[^\n]*)\n-{3,}[ \t]*$", re.MULTILINE)


def _sources() -> list[str]:
    return sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))


def _public_functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef]]:
    """Public module-level functions and public methods of public classes, with their names."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += [(f"{node.name}.{fn.name}", fn) for fn in node.body
                      if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")]
    return found


def _parameters(fn: ast.FunctionDef) -> list[str]:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    return [a.arg for a in args if a.arg not in ("self", "cls")]


def _documented(doc: str) -> set[str] | None:
    """The names listed in the docstring's Parameters section (None: it has none)."""
    sections = list(_SECTION.finditer(doc))
    for k, match in enumerate(sections):
        if match.group(1).strip() != "Parameters":
            continue
        end = sections[k + 1].start() if k + 1 < len(sections) else len(doc)
        names: set[str] = set()
        for line in doc[match.end():end].splitlines():
            if line.strip() and not line[0].isspace():
                head = line.split(" : ", 1)[0]
                names.update(n.strip().lstrip("*") for n in head.split(","))
        return names
    return None


def _problems(rel: str) -> list[str]:
    """Every public function of ``rel`` with 2+ parameters that lacks them in a section."""
    tree = ast.parse((PACKAGE / rel).read_text(encoding="utf-8"))
    problems = []
    for name, fn in _public_functions(tree):
        params = _parameters(fn)
        if len(params) < 2:
            continue
        documented = _documented(ast.get_docstring(fn) or "")
        if documented is None:
            problems.append(f"{rel}:{fn.lineno} {name}: no Parameters section")
            continue
        missing = [p for p in params if p not in documented]
        if missing:
            problems.append(f"{rel}:{fn.lineno} {name}: Parameters does not name {missing}")
    return problems


def test_pending_files_exist() -> None:
    unknown = sorted(PENDING - set(_sources()))
    assert not unknown, f"PENDING names files that are not in socalign/: {unknown}"


@pytest.mark.parametrize("rel", [r for r in _sources() if r not in PENDING])
def test_public_functions_document_their_parameters(rel: str) -> None:
    problems = _problems(rel)
    assert not problems, "numpydoc Parameters sections missing:\n" + "\n".join(problems)


def test_pending_files_are_not_yet_converted() -> None:
    done = [rel for rel in sorted(PENDING) if not _problems(rel)]
    assert not done, (
        f"{done} document every function's parameters now: remove them from PENDING in "
        "tests/contract/test_docstrings.py")


def test_the_checker_finds_a_missing_section() -> None:
    tree = ast.parse(
        'def f(a, b):\n    """Sum."""\n\n'
        'def g(a, b):\n    """Sum.\n\n    Parameters\n    ----------\n    a : int\n'
        '        One.\n\n    Returns\n    -------\n    int\n    """\n\n'
        'def h(a, b):\n    """Sum.\n\n    Parameters\n    ----------\n    a, b : int\n'
        '        Terms.\n    """\n')
    found = {name: _documented(ast.get_docstring(fn) or "") for name, fn in _public_functions(tree)}
    assert found == {"f": None, "g": {"a"}, "h": {"a", "b"}}
