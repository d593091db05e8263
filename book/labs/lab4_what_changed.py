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
# # Lab 4: What changed
#
# Fine-tuning moved the video model's similarity towards people's (chapter 3). This lab asks
# what moved, in two ways the paper uses: how the variance of the judged similarity splits
# into a part only the video model explains, a part only the language model explains and a
# part they share (chapter 4), and whether a social attribute can be read out of the video
# embeddings better after fine-tuning than before (chapter 5). It reuses the book's cached
# fine-tuning run (the hybrid loss, first seed) rather than training one.
#
# Solutions are folded under each exercise; the student version (`socalign labs assign --out
# DIR`) has `...` in their place and a `grader.check("q1")` cell that tests your answer.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from socalign.analyses import partition
from socalign.analyses.probes import PAPER_ATTRIBUTES, probe_change
from socalign.book import claim, data_line, interval, profile_settings, use_page_format
from socalign.book.artifacts import finetuned_run, reference_language_model
from socalign.book.labs import lab_finetune_benchmark
from socalign.train.runs import Run

settings = profile_settings(profile, **overrides)
use_page_format()  # three significant digits in every table below
dataset, bench = lab_finetune_benchmark(settings)  # the one chapters 3 to 5 fine-tune on
display(data_line([bench], "the fine-tuned run, the partition and the probe"))
run = Run.open(finetuned_run(settings, dataset, loss="hybrid", seed=settings.seeds[0]))
language = reference_language_model(settings, bench)  # the caption model of chapters 2 to 5
print(f"run: hybrid loss, seed {settings.seeds[0]}; language model: {language}")

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q1

# %% [markdown]
# ## Exercise 1: unique and shared variance by hand
#
# ```{admonition} Exercise 1
# The cell below fits the judged similarity of the test pairs on the fine-tuned video model's
# similarity, on the language model's, and on both (`part.r2`). From these three R² values
# alone, compute the part of the variance unique to the video model (`unique_video`), unique
# to the language model (`unique_language`) and shared by both (`shared`), and check them
# against the commonality analysis in `part.components`. Can the shared part be negative?
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
part = partition.partition_benchmark(bench, [str(run.embeddings_path("after")), language],
                                     split="test", n_boot=settings.n_boot, seed=0,
                                     names=["video", "language"])
r2_video, r2_language, r2_both = part.r2["video"], part.r2["language"], part.r2["video & language"]
unique_video = r2_both - r2_language  # SOLUTION
unique_language = r2_both - r2_video  # SOLUTION
shared = r2_video + r2_language - r2_both  # SOLUTION
pd.DataFrame({"by hand": [unique_video, unique_language, shared],
              "socalign": [part.components[k] for k in ("video", "language", "video & language")]},
             index=["unique to video", "unique to language", "shared"])

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert np.isclose(unique_video, part.components["video"])
assert np.isclose(unique_language, part.components["language"])
assert np.isclose(shared, part.components["video & language"])
assert np.isclose(unique_video + unique_language + shared, r2_both)

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [markdown]
# The three parts add up to the R² of both models together. The shared part is what either
# model could explain alone; it is negative when the two predictors suppress each other (each
# explains more once the other is in the model), so read it as a difference of R² values, not
# as an area.

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q2

# %% [markdown]
# ## Exercise 2: one social attribute, before and after
#
# ```{admonition} Exercise 2
# Pick one rated attribute the benchmark has (`attribute`, e.g. the first of the paper's five
# it rates) and compare how well a linear probe reads it out of the test videos' embeddings
# before and after fine-tuning, with `probe_change(bench, before, after, attributes=[...],
# n_boot=..., seed=0)`. Keep the one result in `change`, and say whether the probe improved:
# only if the paired 95% interval of the difference lies above 0.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
attribute = next(a for a in PAPER_ATTRIBUTES if a in bench.videos.ratings)
before, after = run.embeddings("before", bench.videos), run.embeddings("after", bench.videos)
# BEGIN SOLUTION
(change,) = probe_change(bench, before, after, attributes=[attribute], n_boot=settings.n_boot,
                         seed=0)
# END SOLUTION
print(f"{attribute}: held-out probe r {change.before:.3g} before, {change.after:.3g} after; "
      f"difference {interval(change.difference, change.low, change.high)} "
      f"(paired 95% interval, {change.n_boot} resamples of {change.n_test} test videos)")
print(claim(change.difference, change.low, change.high))

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert change.attribute == attribute and change.n_boot == settings.n_boot
assert np.isclose(change.difference, change.after - change.before)
assert change.low <= change.difference <= change.high
assert change.n_test == bench.split_indices("test").size

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [markdown]
# The interval resamples the test videos and refits nothing: the same resampled videos score
# both embeddings, which is what makes it *paired*. With few test videos it is wide, so a
# difference whose interval holds 0 is no detectable change, not evidence of none.
