"""The package's import graph: no cycles, and ``socalign.metrics`` stands alone.

The graph is read from the source with :mod:`ast`, not by importing anything: every ``import``
and ``from ... import`` in every ``socalign/**/*.py`` is an edge, wherever it stands — at
module level, inside a function (a lazy import), or under ``if TYPE_CHECKING:``. Relative
imports are resolved against the importing module, ``from pkg import name`` is an edge to the
submodule ``pkg.name`` when that is a module (else to ``pkg``), and an import of a package's
own ``__init__`` from inside the package (a re-export face) is not counted. These are the
rules of ``../shared/tools/import_cycles.py``, so the test and the tool agree.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "socalign"


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``: dotted name -> file (packages by ``__init__``)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name ``module``'s file imports (absolute, relative ones resolved)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (see the module docstring for the rules)."""
    modules = module_files(root)
    package = root.name
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            inside = name == package or name.startswith(package + ".")
            if inside and name != module and not module.startswith(name + "."):
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def metrics_violations(root: Path) -> list[str]:
    """``module imports name`` for each torch or non-metrics socalign import in ``metrics``."""
    inside = f"{root.name}.metrics"
    bad = []
    for module, path in module_files(root).items():
        if module != inside and not module.startswith(inside + "."):
            continue
        for name in sorted(imported_names(module, path)):
            top = name.split(".")[0]
            own = name == inside or name.startswith(inside + ".")
            if top == "torch" or (top == root.name and not own):
                bad.append(f"{module} imports {name}")
    return bad


def test_the_package_has_no_import_cycle() -> None:
    found = cycles(import_graph(PACKAGE))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_metrics_imports_neither_torch_nor_the_rest_of_socalign() -> None:
    assert metrics_violations(PACKAGE) == []


def test_the_layers_point_one_way() -> None:
    """data/ never imports models/ (calibration gets its caption encoder from the caller), and
    the trainers never import the loop (they register in ``train.trainers``)."""
    graph = import_graph(PACKAGE)
    data_to_models = sorted(
        f"{m} -> {t}" for m, ts in graph.items() if m.startswith("socalign.data")
        for t in ts if t.startswith("socalign.models")
    )
    assert data_to_models == []
    for trainer in ("socalign.train.fast", "socalign.train.paper", "socalign.train.trainers"):
        assert "socalign.train.loop" not in graph[trainer]
    assert {"socalign.train.fast", "socalign.train.paper"} <= graph["socalign.train.loop"]


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_walker_sees_lazy_relative_and_type_checking_cycles(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "__init__.py": "from pkg.a import x\n",
        "a.py": "def f():\n    from .sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..c import y\n",
        "c.py": "import pkg.a\n",
        "d.py": "from pkg import c\n",
        "metrics/__init__.py": "from . import m\n",
        "metrics/m.py": "import numpy\nfrom pkg.metrics import n\n",
        "metrics/n.py": "def g():\n    import torch\n    from .. import d\n",
    })
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.sub", "pkg.sub.b"}  # from .sub import b runs sub/__init__ too
    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert graph["pkg.d"] == {"pkg.c"}  # from pkg import c: the submodule, not pkg/__init__
    assert graph["pkg.metrics"] == {"pkg.metrics.m"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    assert metrics_violations(pkg) == ["pkg.metrics.n imports pkg", "pkg.metrics.n imports pkg.d",
                                       "pkg.metrics.n imports torch"]


@pytest.mark.parametrize("text", ["import pkg.a\n", "from . import a\n", "from .a import f\n"])
def test_a_two_module_cycle_is_found_however_it_is_written(tmp_path: Path, text: str) -> None:
    pkg = _package(tmp_path, {"__init__.py": "", "a.py": "import pkg.b\n", "b.py": text})
    assert cycles(import_graph(pkg)) == [["pkg.a", "pkg.b"]]


#: Modules outside ``socalign.cli`` that may import it: the ``python -m socalign`` entry point.
CLI_ENTRY_POINTS = frozenset({"__main__"})


def upward_imports(graph: dict[str, set[str]], package: str = "socalign") -> list[str]:
    """``module -> target`` for each import that points up a layer.

    The command line sits on top: no module outside ``<package>.cli`` imports it (but the entry
    points of :data:`CLI_ENTRY_POINTS`). The book sits above the library: no module outside
    ``<package>.book`` and ``<package>.cli`` imports ``<package>.book``.
    """
    def within(module: str, layer: str) -> bool:
        name = f"{package}.{layer}"
        return module == name or module.startswith(name + ".")

    entry_points = {f"{package}.{name}" for name in CLI_ENTRY_POINTS}
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            into_cli = within(target, "cli") and not within(module, "cli")
            if into_cli and module not in entry_points:
                bad.append(f"{module} -> {target}")
            elif within(target, "book") and not (within(module, "book") or within(module, "cli")):
                bad.append(f"{module} -> {target}")
    return bad


def test_the_library_never_imports_the_command_line_or_the_book() -> None:
    """The library is below the book and the command line: its arrows only point down."""
    assert upward_imports(import_graph(PACKAGE)) == []


def test_an_upward_import_is_found_however_it_is_written(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "__init__.py": "",
        "__main__.py": "from pkg.cli import main\n",
        "cli/__init__.py": "from pkg.cli import errors\nfrom pkg.book import build\nimport pkg.lib\n",
        "cli/errors.py": "",
        "book/__init__.py": "",
        "book/build.py": "from pkg.cli.errors import x\nfrom pkg import lib\n",
        "lib.py": "def f():\n    from pkg.cli.errors import x\n",
        "sub/__init__.py": "",
        "sub/m.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..book import build\n",
        "sub/n.py": "from .. import cli\n",
    })
    assert upward_imports(import_graph(pkg), package="pkg") == [
        "pkg.book.build -> pkg.cli.errors", "pkg.lib -> pkg.cli.errors",
        "pkg.sub.m -> pkg.book", "pkg.sub.m -> pkg.book.build", "pkg.sub.n -> pkg.cli",
    ]  # the entry point and cli/ itself may import cli/ and book/


#: Command-line modules still over :data:`CLI_MODULE_LINES` lines, to be split; each must still
#: be over, so that a module leaves the list once it is split (and cannot return to it).
OVERSIZED_CLI_MODULES: frozenset[str] = frozenset({"analyses.py"})
CLI_MODULE_LINES = 400


def test_every_command_line_module_is_small() -> None:
    sizes = {path.name: len(path.read_text().splitlines())
             for path in sorted((PACKAGE / "cli").glob("*.py"))}
    too_long = {name: n for name, n in sizes.items() if n > CLI_MODULE_LINES}
    assert set(too_long) == OVERSIZED_CLI_MODULES, too_long


#: The layers of the house, bottom up: a module imports only from its own layer or below
#: (README, "Package shape", draws the same table). Keys are top-level modules or packages.
LAYERS = (
    {"cache", "outputs", "progress", "text", "jsonable", "source"},  # the floor: files, words
    {"metrics", "video"},  # numbers from judgments; frames from files
    {"data", "scoring"},  # benchmarks and how a model is scored on them
    {"models"},  # backbones and encoders (registry)
    {"train"},  # losses, LoRA, trainers, run folders, export
    {"analyses", "profiles", "plots"},  # what the paper measures; settings; figures
    {"book", "cli", "__main__", ""},  # the top: nothing below imports them ("" is socalign/__init__)
)


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Import arrows that point up the :data:`LAYERS` (or name a unit no layer holds)."""
    rank = {unit: level for level, units in enumerate(LAYERS) for unit in units}

    def unit(module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else ""

    bad = []
    for module, targets in sorted(graph.items()):
        if unit(module) not in rank:
            bad.append(f"{module}: its unit {unit(module)!r} is in no layer")
            continue
        for target in sorted(targets):
            if target.startswith("socalign") and target in graph and rank.get(unit(target), 99) > rank[unit(module)]:
                bad.append(f"{module} -> {target}")
    return bad


def test_every_import_points_down_the_layers() -> None:
    assert layer_violations(import_graph(PACKAGE)) == []


def test_an_upward_arrow_between_layers_is_named() -> None:
    graph = {"socalign.metrics.ooo": {"socalign.train.run"}, "socalign.train.run": {"socalign.metrics.ooo"},
             "socalign.novel": set()}
    assert layer_violations(graph) == ["socalign.metrics.ooo -> socalign.train.run",
                                       "socalign.novel: its unit 'novel' is in no layer"]
