"""``socalign labs assign``: student notebooks and autograders of the book's labs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("otter")

from socalign.cli import main

ROOT = Path(__file__).resolve().parents[2]


def book_with(tmp_path: Path, *names: str) -> Path:
    """A book root holding copies of some of the repository's labs."""
    root = tmp_path / "book-root"
    (root / "book" / "labs").mkdir(parents=True)
    for name in ("_toc.yml", "_config.yml"):
        shutil.copy(ROOT / name, root / name)
    for name in names:
        shutil.copy(ROOT / "book" / "labs" / f"{name}.py", root / "book" / "labs")
    return root


def test_assign_writes_the_student_notebook_and_the_autograder(tmp_path, capsys) -> None:
    root = book_with(tmp_path, "lab1_judgments", "lab2_alignment")
    out = tmp_path / "assigned"
    assert main(["labs", "assign", "--out", str(out), "--root", str(root),
                 "--lab", "lab1_judgments", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [lab["lab"] for lab in result["labs"]] == ["lab1_judgments"]  # --lab: that one only
    lab = result["labs"][0]
    assert lab["questions"] == ["q1", "q2", "q3"]
    student = nbformat.read(lab["student"], as_version=4)
    assert 'grader.check("q1")' in [c.source for c in student.cells]
    assert Path(lab["autograder"]).suffix == ".zip" and Path(lab["autograder"]).is_file()
    assert not (out / "lab2_alignment").exists()


def test_assign_without_lab_does_every_lab_and_prints_a_table(tmp_path, capsys) -> None:
    root = book_with(tmp_path, "lab1_judgments", "lab2_alignment")
    assert main(["labs", "assign", "--out", str(tmp_path / "o"), "--root", str(root)]) == 0
    text = capsys.readouterr().out
    assert "lab1_judgments" in text and "lab2_alignment" in text and "grader.check" in text


@pytest.mark.parametrize(("args", "where"), [
    (["--lab", "lab9_nothing"], "--lab"),
    ([], "--root"),
])
def test_bad_arguments_exit_2_naming_them(tmp_path, capsys, args, where) -> None:
    names = ("lab1_judgments",) if where == "--lab" else ()
    root = book_with(tmp_path, *names)
    code = main(["labs", "assign", "--out", str(tmp_path / "o"), "--root", str(root), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and where in err[0]
