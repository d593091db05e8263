# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["remove-cell"]
# On Google Colab, install socalign with what the chapters need (`socalign[colab]`: Colab brings
# torch); the paper profile then reads the licensed videos from your Drive
# (MyDrive/socalign/garcia2025_videos, mounted when first needed). Elsewhere this does nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "socalign[colab] @ git+https://github.com/socalign/socalign"],
        check=True,
    )

# %% [markdown]
# # N. The chapter's title
#
# To start a chapter or a lab, copy this file into `book/` (or `book/labs/`), list it in
# `_toc.yml`, and run `socalign book --sync-notebooks` to write its Colab notebook. The two code
# cells above and below this text are every chapter's preamble: `socalign book --sync-notebooks`
# copies them from this template into every chapter, and a test fails when a chapter's differ.
# Everything after them is the chapter's own: it calls the library, shows tables and figures,
# and explains.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
from socalign.book import glue, profile_settings
from socalign.book.artifacts import book_benchmarks

settings = profile_settings(profile, **overrides)
benchmarks = book_benchmarks(settings)
glue(datasets=", ".join(benchmarks))

# %% [markdown]
# This page ran on {glue:text}`datasets`.
