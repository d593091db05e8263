"""The labs as otter assignments: every lab assigns, and no test of one cannot fail.

Fast checks run on every lab found under book/labs/ (a lab added later is picked up): otter
assign succeeds, each question has tests, a placeholder and tests that read what the student
writes (:func:`socalign.book.labs.static_check`), and the page hides otter's markup. The slow
check executes each lab under the ci profile: every question's tests fail on the student's
placeholders and pass on the solution (:func:`socalign.book.labs.check_lab`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("otter")

from socalign.book import labs
from socalign.book.build import notebook_from_source

ROOT = Path(__file__).resolve().parents[2]
LABS = labs.lab_sources(ROOT)

PREAMBLE = '''# %% tags=["parameters"]
profile = "demo"
overrides = {}

# %%
base = 3
'''


def question(name: str, solution: str, tests: str) -> str:
    """One otter question in jupytext percent form, as the labs write it."""
    return textwrap.dedent(f'''
    # %% [raw] tags=["remove-cell"]
    # # BEGIN QUESTION
    # name: {name}

    # %% [markdown]
    # Exercise {name}.

    # %% tags=["hide-cell"]
    {{solution}}

    # %% [raw] tags=["remove-cell"]
    # # BEGIN TESTS

    # %% tags=["remove-cell"]
    {{tests}}

    # %% [raw] tags=["remove-cell"]
    # # END TESTS

    # %% [raw] tags=["remove-cell"]
    # # END QUESTION
    ''').format(solution=solution, tests=tests)


def write_lab(root: Path, name: str, *questions: str) -> Path:
    path = root / labs.LABS_FOLDER / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREAMBLE + "".join(questions))
    return path


GOOD = question("q1", "answer = base * 2  # SOLUTION", "assert answer == 6")
BLIND = question("q2", "other = base + 1  # SOLUTION", "assert base == 3")  # cannot fail
BARE = question("q3", "same = base - 1", "assert same == 2")  # no placeholder


def test_the_labs_are_found() -> None:
    names = [p.stem for p in LABS]
    for expected in ("lab1_judgments", "lab2_alignment", "lab3_hybrid_loss", "lab4_what_changed"):
        assert expected in names


@pytest.mark.parametrize("source", LABS, ids=[p.stem for p in LABS])
def test_every_lab_assigns_with_tests_that_can_fail(source: Path, tmp_path: Path) -> None:
    lab = labs.assign(source, tmp_path)
    assert lab.questions and lab.student.is_file() and lab.autograder.is_file()
    assert lab.zip is not None and lab.zip.is_file()
    assert labs.static_check(lab) == {}
    student = nbformat.read(lab.student, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "# SOLUTION" not in text
    assert "BEGIN QUESTION" not in text and "BEGIN TESTS" not in text
    checks = [c.source for c in student.cells if c.source.startswith("grader.check(")]
    assert checks == [f'grader.check("{q}")' for q in lab.questions]
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    for q in labs.questions(lab):
        assert q.tests and q.solution != q.student


@pytest.mark.parametrize("source", LABS, ids=[p.stem for p in LABS])
def test_the_page_hides_otter_markup_and_folds_the_solutions(source: Path) -> None:
    nb = notebook_from_source(source)
    in_tests = False
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        first = cell.source.splitlines()[0] if cell.source else ""
        if cell.cell_type == "raw":
            assert "remove-cell" in tags, f"{source.name}: raw cell {first!r} is on the page"
            in_tests = first.strip().upper().startswith("# BEGIN TESTS") or (
                in_tests and not first.strip().upper().startswith("# END TESTS"))
            continue
        if cell.cell_type != "code":
            continue
        if in_tests:
            assert "remove-cell" in tags, f"{source.name}: a test cell is on the page"
        elif "SOLUTION" in cell.source:
            assert "hide-cell" in tags, f"{source.name}: a solution is not folded"


@pytest.mark.parametrize("source", LABS, ids=[p.stem for p in LABS])
def test_every_lab_names_its_dataset_on_the_page(source: Path) -> None:
    """Issue 28.1: a visible line (socalign.book.data_line) says which data the lab ran on."""
    nb = notebook_from_source(source)
    visible = [c for c in nb.cells if c.cell_type == "code"
               and not {"remove-cell", "remove-output"} & set(c.metadata.get("tags", []))]
    assert any("data_line(" in c.source for c in visible), source.name


def test_static_check_finds_tests_that_cannot_fail(tmp_path: Path) -> None:
    lab = labs.assign(write_lab(tmp_path, "labx", GOOD, BLIND, BARE), tmp_path / "out")
    problems = labs.static_check(lab)
    assert set(problems) == {"q2", "q3"}
    assert any("read none of the names" in p for p in problems["q2"])
    assert any("no placeholder" in p for p in problems["q3"])


def test_check_lab_fails_a_test_that_passes_on_the_placeholder(tmp_path: Path) -> None:
    lab = labs.assign(write_lab(tmp_path, "laby", GOOD, BLIND), tmp_path / "out")
    result = labs.check_lab(lab)
    assert result.passed_on_solution == {"q1": True, "q2": True}
    assert result.failed_on_student == {"q1": True, "q2": False}
    assert not result.ok and "pass on the placeholders" in result.messages["q2"]


def test_check_lab_fails_a_solution_that_fails_its_tests(tmp_path: Path) -> None:
    wrong = question("q1", "answer = base * 3  # SOLUTION", "assert answer == 6")
    lab = labs.assign(write_lab(tmp_path, "labz", wrong), tmp_path / "out")
    result = labs.check_lab(lab)
    assert result.passed_on_solution == {"q1": False} and not result.ok
    assert "fail on the solution" in result.messages["q1"]


def test_check_lab_runs_under_the_profile_it_is_given(tmp_path: Path) -> None:
    seen = question("q1", "answer = profile  # SOLUTION", "assert answer == 'ci'")
    lab = labs.assign(write_lab(tmp_path, "labp", seen), tmp_path / "out")
    assert labs.check_lab(lab, profile="ci").ok
    assert not labs.check_lab(lab, profile="demo").ok


def test_assign_refuses_broken_markup(tmp_path: Path) -> None:
    broken = question("q1", "answer = 1  # SOLUTION", "assert answer == 1").replace(
        "# # END QUESTION", "# # END TESTS")
    with pytest.raises(ValueError, match="otter assign"):
        labs.assign(write_lab(tmp_path, "labb", broken), tmp_path / "out")
    with pytest.raises(FileNotFoundError):
        labs.assign(tmp_path / "nope.py", tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("source", LABS, ids=[p.stem for p in LABS])
def test_every_solution_passes_and_every_placeholder_fails(source: Path, tmp_path_factory,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path_factory.getbasetemp() / "labs-cache"))
    lab = labs.assign(source, tmp_path_factory.mktemp(source.stem))
    result = labs.check_lab(lab, profile="ci")
    assert result.ok, result.messages
    assert set(result.passed_on_solution) == set(lab.questions)
