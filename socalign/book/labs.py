"""The book's labs as autograded assignments (otter-grader): student notebooks and checks.

Every lab, ``book/labs/lab*.py`` (jupytext percent format), is an instructor notebook in
otter-grader's assign format (v1): each exercise is a ``# BEGIN QUESTION`` block of raw cells
around its prompt, its solution cell (the solution between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` comment lines, or on lines ending in ``# SOLUTION``: otter strips these in
every code cell, ``strip_solutions_from_all_cells``) and its test cells (plain ``assert``
statements, printing nothing, between ``# BEGIN TESTS`` and ``# END TESTS`` raw cells). The raw cells carry the
``remove-cell`` tag, the test cells too: the book executes the instructor version (so every
solution passes its tests on every build) and shows the solutions folded, without the otter
markup.

:func:`assign` runs ``otter assign`` (:func:`otter.assign.main`, not a copy of its logic) on a
lab with this module's :data:`ASSIGNMENT_CONFIG` put first, so every lab, present or added
later, is assigned alike; it writes ``OUT/<lab>/student/<lab>.ipynb`` (solutions replaced by
``...``, tests in the notebook's metadata, ``grader.check("q1")`` after each exercise) and
``OUT/<lab>/autograder/`` (the instructor notebook and otter's autograder zip).
:func:`check_lab` is what CI runs: it executes a lab once in this process and, for every
question, requires that the tests fail on the student version's placeholders and pass on the
solution.
"""

from __future__ import annotations

import ast
import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socalign.book.build import find_book_root, notebook_from_source

__all__ = ["ASSIGNMENT_CONFIG", "LABS_FOLDER", "AssignedLab", "LabCheck",
           "Question", "assign", "check_lab", "lab_benchmark", "lab_finetune_benchmark",
           "lab_sources", "lab_videos", "questions",
           "static_check"]

LABS_FOLDER = Path("book") / "labs"
"""Where the labs are, relative to the book's root (every ``lab*.py`` there is one)."""

ASSIGNMENT_CONFIG: dict[str, Any] = {
    "name": None,  # set to the lab's name by assign()
    "init_cell": True,
    "check_all_cell": False,
    "export_cell": False,
    "run_tests": False,  # check_lab runs them, under the ci profile
    "solutions_pdf": False,
    "strip_solutions_from_all_cells": True,
    "template_pdf": False,
    "generate": {"pdf": False, "filtering": False},
    "tests": {"files": False, "ok_format": True},
}
"""otter's ``# ASSIGNMENT CONFIG`` of every lab (one place; :func:`assign` puts it first)."""

@dataclass(frozen=True)
class AssignedLab:
    """What :func:`assign` wrote for one lab.

    Attributes
    ----------
    name : str
        The lab's file stem (``lab1_judgments``).
    student : pathlib.Path
        The student notebook (solutions replaced by placeholders, no outputs).
    autograder : pathlib.Path
        The instructor notebook otter keeps with the autograder (solutions, tests in metadata).
    zip : pathlib.Path or None
        otter's autograder zip (for Gradescope or ``otter grade``), when written.
    questions : tuple of str
        The question names, in order.
    """

    name: str
    student: Path
    autograder: Path
    zip: Path | None
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One exercise of a lab: its name, solution code cells (instructor and student) and tests.

    Attributes
    ----------
    name : str
        otter's question name (``q1``).
    solution : tuple of str
        The source of each code cell of the question, as the instructor notebook has it.
    student : tuple of str
        The same cells as the student notebook has them (placeholders).
    tests : tuple of str
        The source of each test cell.
    """

    name: str
    solution: tuple[str, ...]
    student: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass
class LabCheck:
    """The result of :func:`check_lab`: per question, how the tests did on each version.

    Attributes
    ----------
    name : str
        The lab.
    passed_on_solution : dict of str to bool
        Question -> every test passed after the solution ran.
    failed_on_student : dict of str to bool
        Question -> some test failed after the student version (placeholders) ran.
    student_errors : dict of str to str
        Question -> the error a student cell raised, if one did (a placeholder often does).
    messages : dict of str to str
        Question -> otter's summary of a test run that went the wrong way.
    """

    name: str
    passed_on_solution: dict[str, bool] = field(default_factory=dict)
    failed_on_student: dict[str, bool] = field(default_factory=dict)
    student_errors: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every question passes on its solution and fails on its placeholders."""
        return (bool(self.passed_on_solution) and all(self.passed_on_solution.values())
                and all(self.failed_on_student.values()))


def lab_sources(root: Path | str | None = None) -> list[Path]:
    """Every lab of the book, ``book/labs/lab*.py``, in name order.

    Parameters
    ----------
    root : path-like or None
        The book's root (the folder of ``_toc.yml``); None: found from the working folder.

    Returns
    -------
    list of pathlib.Path
        The labs' jupytext sources.
    """
    folder = (Path(root) if root is not None else find_book_root()) / LABS_FOLDER
    return sorted(folder.glob("lab*.py"))


def _master(source: Path) -> Any:
    """The lab's notebook with :data:`ASSIGNMENT_CONFIG` (named for the lab) as its first cell."""
    import nbformat
    import yaml

    nb = notebook_from_source(source)
    # otter reads the language from the kernelspec, which a lab without jupytext's header lacks
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3",
                                          "language": "python"})
    config = dict(ASSIGNMENT_CONFIG, name=source.stem)
    cell = nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config))
    nb.cells.insert(0, cell)
    for number, each in enumerate(nb.cells):
        each["id"] = f"cell-{number}"
    return nb


@contextlib.contextmanager
def _quiet_otter() -> Iterator[None]:
    """otter logs each step at INFO and prints; keep both for errors only."""
    logger = logging.getLogger("otter")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def assign(source: Path | str, out: Path | str) -> AssignedLab:
    """Run ``otter assign`` on one lab: its student notebook and autograder in ``OUT/<lab>``.

    Parameters
    ----------
    source : path-like
        The lab's jupytext source (``book/labs/lab1_judgments.py``) or notebook.
    out : path-like
        The folder to write into; ``OUT/<lab>`` is replaced.

    Returns
    -------
    AssignedLab
        Where the notebooks and the autograder zip are, and the question names.

    Raises
    ------
    FileNotFoundError
        When ``source`` does not exist.
    ValueError
        When otter rejects the lab's markup (its message names the question and cell).
    """
    import nbformat
    from otter.assign import main as otter_assign
    from otter.assign.utils import AssignNotebookFormatException

    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such lab")
    result = Path(out).resolve() / source.stem
    if result.exists():
        import shutil

        shutil.rmtree(result)
    with tempfile.TemporaryDirectory(prefix="socalign-lab-") as tmp:
        master = Path(tmp) / f"{source.stem}.ipynb"
        nbformat.write(_master(source), master)
        try:
            with _quiet_otter():
                otter_assign(str(master), str(result), no_pdfs=True, no_run_tests=True)
        except AssignNotebookFormatException as err:
            raise ValueError(f"{source}: otter assign: {err}") from err
    student = result / "student" / f"{source.stem}.ipynb"
    autograder = result / "autograder" / f"{source.stem}.ipynb"
    zips = sorted((result / "autograder").glob("*.zip"))
    names = tuple(nbformat.read(autograder, as_version=4).metadata["otter"]["tests"])
    return AssignedLab(source.stem, student, autograder, zips[0] if zips else None, names)


def questions(lab: AssignedLab) -> list[Question]:
    """The questions of an assigned lab, with their cells in both versions and their tests.

    Parameters
    ----------
    lab : AssignedLab
        From :func:`assign`.

    Returns
    -------
    list of Question
        In the lab's order.
    """
    import nbformat

    teacher = nbformat.read(lab.autograder, as_version=4)
    student = nbformat.read(lab.student, as_version=4)
    if len(teacher.cells) != len(student.cells):
        raise ValueError(f"{lab.name}: the student notebook has {len(student.cells)} cells, "
                         f"the autograder's {len(teacher.cells)}")
    out, cells = [], []
    for mine, theirs in zip(teacher.cells, student.cells, strict=True):
        if mine.cell_type == "code" and mine.source != theirs.source:  # an answer cell
            cells.append((mine.source, theirs.source))
            continue
        check = _check_call(mine.source) if mine.cell_type == "code" else None
        if check is not None:
            tests = teacher.metadata["otter"]["tests"][check]
            out.append(Question(check, tuple(c[0] for c in cells), tuple(c[1] for c in cells),
                                tuple(case["code"] for s in tests["suites"]
                                      for case in s["cases"])))
            cells = []
    return out


def _check_call(source: str) -> str | None:
    """The question of a ``grader.check("q1")`` cell otter added, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "check" and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "grader" and len(call.args) == 1
            and isinstance(call.args[0], ast.Constant)):
        return str(call.args[0].value)
    return None


def _loads(source: str) -> set[str]:
    """The names a source reads."""
    return {n.id for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _definitions(source: str) -> dict[str, str]:
    """Each name a source defines (assignment, def, class, loop) -> the defining statements."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a placeholder that does not parse defines nothing
        return {}
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, []).append(ast.dump(node))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.For | ast.With):
            for target in ast.walk(node):
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    found.setdefault(target.id, []).append(ast.dump(node))
    return {name: "\n".join(dumps) for name, dumps in found.items()}


def _doctest_source(code: str) -> str:
    """The Python of an OK-format doctest case (``>>> `` and ``... `` prompts removed)."""
    lines = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>> ") or stripped == ">>>":
            lines.append(stripped[4:])
        elif stripped.startswith("... ") or stripped == "...":
            lines.append(line.split("... ", 1)[1] if "... " in line else "")
    return "\n".join(lines)


def static_check(lab: AssignedLab) -> dict[str, list[str]]:
    """Questions whose tests cannot fail on the student version, found without running them.

    A question needs at least one test, a placeholder (its student cells differ from the
    solution), and tests that read a name whose definition the student writes (one the
    solution defines and the student version defines otherwise or not at all): a test of names
    the student never writes passes or fails whatever the answer.

    Parameters
    ----------
    lab : AssignedLab
        From :func:`assign`.

    Returns
    -------
    dict of str to list of str
        Question -> what is wrong with it; empty when every question can fail.
    """
    problems: dict[str, list[str]] = {}
    found = questions(lab)
    if not found:
        problems["(lab)"] = ["no autograded question"]
    for q in found:
        wrong = []
        if not q.tests:
            wrong.append("no test")
        if q.solution == q.student:
            wrong.append("no placeholder: the student version is the solution")
        solution, student = _definitions("\n".join(q.solution)), _definitions("\n".join(q.student))
        written = {name for name, how in solution.items() if student.get(name) != how}
        read = set().union(*(_loads(_doctest_source(t)) for t in q.tests)) if q.tests else set()
        if not read & written:
            wrong.append(f"the tests read none of the names the student writes "
                         f"({sorted(written)})")
        if wrong:
            problems[q.name] = wrong
    return problems


def _run_tests(lab: AssignedLab, name: str, env: dict[str, Any]) -> tuple[bool, str]:
    """Run otter's tests of question ``name`` (from the student notebook) in ``env``."""
    import nbformat
    from otter.test_files.ok_test import OKTestFile

    spec = nbformat.read(lab.student, as_version=4).metadata["otter"]["tests"][name]
    test = OKTestFile.from_metadata(spec, str(lab.student))
    with contextlib.redirect_stdout(io.StringIO()):
        test.run(env)
    return test.passed_all, test.summary()


def _is_otter_cell(source: str) -> bool:
    """otter's init cell (``grader = otter.Notebook(...)``) or a ``grader.check`` cell."""
    return "otter.Notebook(" in source or _check_call(source) is not None


def check_lab(lab: AssignedLab, profile: str = "ci") -> LabCheck:
    """Run a lab in this process and check each question's tests both ways.

    The autograder notebook's cells run in order in one namespace, with ``profile`` set in its
    ``parameters`` cell. At each question, its student cells (placeholders) run first, an
    error they raise recorded, then its tests, which must fail; then its solution cells run
    (an error there propagates) and its tests, which must pass.

    Parameters
    ----------
    lab : AssignedLab
        From :func:`assign`.
    profile : str, default "ci"
        The profile the lab runs under.

    Returns
    -------
    LabCheck
        Per question, both outcomes.
    """
    import nbformat

    teacher = nbformat.read(lab.autograder, as_version=4)
    student = nbformat.read(lab.student, as_version=4)
    result = LabCheck(lab.name)
    env: dict[str, Any] = {"__name__": "__main__"}
    pending: list[tuple[str, str]] = []
    os.environ.setdefault("MPLBACKEND", "Agg")
    for mine, theirs in zip(teacher.cells, student.cells, strict=True):
        if mine.cell_type != "code" or _is_otter_cell(mine.source):
            name = _check_call(mine.source) if mine.cell_type == "code" else None
            if name is not None:
                _check_question(lab, name, pending, env, result)
                pending = []
            continue
        tags = set(mine.metadata.get("tags", []))
        if mine.source != theirs.source:  # an answer cell: run with its question
            pending.append((mine.source, theirs.source))
            continue
        source = f"profile = {profile!r}\noverrides = {{}}" if "parameters" in tags else mine.source
        _exec(source, env, lab.name)
    return result


def _exec(source: str, env: dict[str, Any], name: str) -> None:
    """Execute one cell's source in ``env`` (IPython magics are not supported)."""
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, f"<{name}>", "exec"), env)  # the lab's own cells


def _check_question(lab: AssignedLab, name: str, cells: list[tuple[str, str]],
                    env: dict[str, Any], result: LabCheck) -> None:
    """The student cells and the tests (must fail), then the solution and the tests (must pass)."""
    for _, theirs in cells:
        try:
            _exec(theirs, env, lab.name)
        except Exception as err:  # a placeholder's error: recorded (expected)
            result.student_errors[name] = f"{type(err).__name__}: {err}"
            break
    passed, summary = _run_tests(lab, name, env)
    result.failed_on_student[name] = not passed
    if passed:
        result.messages[name] = "the tests pass on the placeholders:\n" + summary
    for mine, _ in cells:
        _exec(mine, env, lab.name)
    passed, summary = _run_tests(lab, name, env)
    result.passed_on_solution[name] = passed
    if not passed:
        result.messages[name] = "the tests fail on the solution:\n" + summary



def lab_benchmark(settings: Any) -> Any:
    """The benchmark a lab works on (name it on the page with :func:`socalign.book.data_line`).

    The paper's judgments (garcia2025) when the profile loads them, else SocialWorld, as
    :func:`socalign.book.artifacts.book_benchmarks` gives them.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    Benchmark
    """
    from socalign.book.artifacts import book_benchmarks

    loaded = book_benchmarks(settings)
    return loaded["garcia2025"] if "garcia2025" in loaded else loaded["SocialWorld"]


def lab_finetune_benchmark(settings: Any) -> tuple[Path, Any]:
    """The benchmark a lab fine-tunes on (it needs videos), as a folder and loaded.

    :func:`socalign.book.artifacts.finetune_benchmark`: SocialWorld, except under the paper
    profile with the paper's data present.

    Parameters
    ----------
    settings : Profile
        The book profile.

    Returns
    -------
    (pathlib.Path, Benchmark)
        The benchmark folder (what :func:`socalign.train.run.finetune` takes) and the
        benchmark loaded with the profile's videos.
    """
    from socalign.book.artifacts import finetune_benchmark, load_book_benchmark

    path = finetune_benchmark(settings)
    return path, load_book_benchmark(settings, path)


@contextlib.contextmanager
def lab_videos(settings: Any, dataset: Path | str) -> Iterator[None]:
    """Attach the profile's videos to ``dataset`` while a lab fine-tunes on it.

    :func:`socalign.train.run.finetune` loads its dataset itself; under the paper profile the
    licensed videos live outside the benchmark folder (``--videos``, the Colab Drive folder), so
    a lab calls it inside this block, as the chapters do. SocialWorld lists its own videos and
    nothing is attached.

    Parameters
    ----------
    settings : Profile
        The book profile.
    dataset : path-like
        The benchmark folder :func:`lab_finetune_benchmark` returned.

    Yields
    ------
    None
        While the videos are attached.
    """
    from socalign.book.artifacts import garcia2025_videos
    from socalign.data.registry import attached_videos

    with attached_videos(dataset, garcia2025_videos(settings, dataset)):
        yield
