"""What a chapter's first cell installs on Colab is enough to run the chapter.

The wheel of this tree is built and installed into a fresh virtual environment with only the
``colab`` extra, after torch (Colab brings its own; here the machine's torch 2.13.0 wheel, the
same pin the Makefile uses), and a chapter's code cells then run there under the ``ci``
profile. A missing dependency in the extra fails here, not in a student's lab.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "book" / "labs" / "lab1_judgments.py"
pytestmark = pytest.mark.slow


def chapter_script(path: Path, profile: str) -> str:
    """The chapter's code cells as one script, with the profile the build would inject."""
    nb = jupytext.read(path)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = cell.source
        if "parameters" in cell.metadata.get("tags", []):
            source += f"\nprofile = {profile!r}\n"
        cells.append(source)
    return "\n\n".join(cells)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_colab_extra_runs_a_chapter(tmp_path) -> None:
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)])
    wheel = next(wheels.glob("socalign-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", "torch==2.13.0"])  # Colab's own torch
    run([str(python), "-m", "pip", "install", "--quiet", f"socalign[colab] @ {wheel.as_uri()}"])
    script = tmp_path / "chapter.py"
    script.write_text(chapter_script(CHAPTER, "ci"))
    env = {**os.environ, "MPLBACKEND": "Agg", "SOCALIGN_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": ""}
    done = run([str(python), str(script)], cwd=tmp_path, env=env, timeout=900)
    assert "kept trials" in done.stdout  # the lab's first printed line
    missing = subprocess.run([str(python), "-c", "import papermill"], capture_output=True)
    assert missing.returncode != 0  # the extra holds what a chapter needs, not the build's tools
