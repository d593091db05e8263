"""The version has one owner: pyproject.toml, read through the installed package's metadata."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

import socalign

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_installed_metadata_and_pyproject_s() -> None:
    assert socalign.__version__ == metadata.version("socalign")
    assert socalign.__version__ == socalign._version_from_pyproject(ROOT / "pyproject.toml")
    # no second literal in the package
    source = (ROOT / "socalign" / "__init__.py").read_text()
    assert not re.search(r"__version__\s*=\s*['\"]", source)


def test_an_uninstalled_tree_reads_pyproject(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(socalign._metadata, "version", missing)
    assert socalign._version() == socalign._version_from_pyproject()
    project = tmp_path / "pyproject.toml"
    project.write_text('[tool.x]\nversion = "9"\n\n[project]\nname = "socalign"\nversion = "2.3.4"\n')
    assert socalign._version_from_pyproject(project) == "2.3.4"
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on Python 3.10
    assert socalign._version_from_pyproject(project) == "2.3.4"
    assert socalign._version_from_pyproject(tmp_path / "absent.toml") == "0+unknown"
    project.write_text('[project]\nname = "socalign"\n')
    assert socalign._version_from_pyproject(project) == "0+unknown"
