"""The tests mirror the package: ``tests/<package>/test_<module>[_topic].py`` (issue 23).

A newcomer looking for the tests of ``socalign/train/identity.py`` opens
``tests/train/test_identity*.py``; promises that cut across modules (robustness, messages,
docstrings, the import graph, Colab, the real-data paths) live in ``tests/contract/``, and what
several test modules share lives in ``tests/helpers/`` (imported as ``tests.helpers.*``), never
in another test module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
PACKAGE = TESTS.parent / "socalign"
CROSS_CUTTING = {"contract", "helpers"}


def module_stems(folder: Path) -> set[str]:
    """The modules and subpackages directly in ``folder`` (``__init__`` excluded)."""
    return ({p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
            | {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()})


def misplaced(tests: Path, package: Path) -> list[str]:
    """Test files whose folder is no package of ``package`` or whose name names no module of it."""
    bad = []
    for path in sorted(tests.rglob("test_*.py")):
        rel = path.relative_to(tests)
        if rel.parts[0] in CROSS_CUTTING:
            continue
        folder = package.joinpath(*rel.parts[:-1])
        if not (folder / "__init__.py").is_file():
            bad.append(f"{rel}: socalign/{'/'.join(rel.parts[:-1])} is not a package")
            continue
        name = path.stem.removeprefix("test_")
        if not any(name == m or name.startswith(f"{m}_") for m in module_stems(folder)):
            bad.append(f"{rel}: names no module of socalign/{'/'.join(rel.parts[:-1]) or '.'}")
    return bad


def test_every_test_file_names_its_module() -> None:
    assert misplaced(TESTS, PACKAGE) == []


def test_a_misplaced_test_file_is_named(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for name in ("__init__.py", "alpha.py", "sub/__init__.py", "sub/beta.py"):
        (package / name).write_text("")
    tests = tmp_path / "tests"
    for name in ("test_alpha.py", "test_alpha_more.py", "sub/test_beta.py", "test_gamma.py",
                 "sub/test_alpha.py", "nowhere/test_beta.py", "contract/test_anything.py"):
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text("")
    assert misplaced(tests, package) == [
        "nowhere/test_beta.py: socalign/nowhere is not a package",
        "sub/test_alpha.py: names no module of socalign/sub",
        "test_gamma.py: names no module of socalign/.",
    ]


@pytest.mark.parametrize("path", sorted(p for p in TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_module_imports_another(path: Path) -> None:
    """Shared code lives in tests/helpers (or conftest fixtures), not in a test module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            leaf = node.module.split(".")[-1]
            assert not leaf.startswith("test_") and leaf != "conftest", (
                f"{path.relative_to(TESTS)} imports {node.module}: move what it needs to tests/helpers")


def test_most_modules_have_a_test_of_their_own() -> None:
    """The share of modules with a test file of their name (a figure, with a floor)."""
    modules = [p for p in PACKAGE.rglob("*.py") if p.stem not in ("__init__", "__main__")]
    covered = []
    for module in modules:
        rel = module.relative_to(PACKAGE)
        folder = TESTS.joinpath(*rel.parts[:-1])
        if list(folder.glob(f"test_{module.stem}.py")) + list(folder.glob(f"test_{module.stem}_*.py")):
            covered.append(rel)
    share = len(covered) / len(modules)
    print(f"modules with a test of their name: {len(covered)} of {len(modules)} ({share:.0%})")
    assert share >= 0.5
