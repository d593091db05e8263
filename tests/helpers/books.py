"""A tiny book (config, table of contents, one chapter) to build."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


CONFIG = """\
title: tiny
execute:
  execute_notebooks: "off"
only_build_toc_files: true
"""


TOC = """\
format: jb-book
root: book/intro
chapters:
  - file: book/one
"""


CHAPTER = '''\
# %% [markdown]
# # One
# Text.

# %% tags=["parameters"]
profile = "demo"

# %%
from socalign.profiles import profile_settings

settings = profile_settings(profile)
print("profile", settings.name, settings.n_boot)
'''


def make_book(root: Path, chapter: str = CHAPTER) -> Path:
    (root / "book").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG)
    (root / "_toc.yml").write_text(TOC)
    (root / "book" / "intro.md").write_text("# Intro\n\nSee {doc}`one`.\n")
    (root / "book" / "one.py").write_text(chapter)
    (root / "jupytext.toml").write_text((ROOT / "jupytext.toml").read_text())
    return root
