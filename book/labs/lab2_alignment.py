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
# # Lab 2: Scoring a model against people
#
# In this lab you score embeddings of your own against the human judgments, put intervals on
# the scores, and test whether one model beats another. Solutions are folded away under each
# exercise; the student version (`socalign labs assign --out DIR`) has `...` in their place and
# a `grader.check("q1")` cell that tests your answer. The first line below names the dataset:
# the paper's judgments (garcia2025) when a local copy is present, else SocialWorld.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from socalign import metrics
from socalign.book import data_line, profile_settings, use_page_format
from socalign.book.labs import lab_benchmark
from socalign.models.language import encode_captions
from socalign.scoring import evaluate

settings = profile_settings(profile, **overrides)
use_page_format()  # three significant digits in every table below
bench = lab_benchmark(settings)  # garcia2025 when a local copy is present, else SocialWorld
display(data_line([bench], "every exercise below"))
print(bench.name, "splits:", {s: int(bench.split_indices(s).size) for s in bench.videos.split_names})

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q1

# %% [markdown]
# ## Exercise 1: a baseline that knows nothing
#
# ```{admonition} Exercise 1
# Make random 32-dimensional embeddings for every video (use a seeded
# `np.random.default_rng(0)`) and score them on the test split with `evaluate`. What Spearman
# correlation and OOO accuracies do you expect, and do the bootstrap intervals contain those
# values? Why can the R² interval never contain 0? Call the embeddings `random_embeddings` and
# the evaluation `scored`.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
random_embeddings = np.random.default_rng(0).normal(size=(len(bench.videos), 32))  # SOLUTION
scored = evaluate(bench, "test", embeddings=random_embeddings, n_boot=settings.n_boot, seed=0)  # SOLUTION
expected = {"spearman": 0.0, "pearson": 0.0, "ooo_accuracy (argmax)": 1 / 3,
            "ooo_accuracy (pair)": 1 / 2}
table = scored.to_frame()
table["chance"] = table["statistic"].map(expected)
table["interval holds chance"] = [
    None if np.isnan(c) or lo is None else bool(lo <= c <= hi)
    for lo, hi, c in zip(table["low"], table["high"], table["chance"], strict=True)]
display(table)

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert random_embeddings.shape == (len(bench.videos), 32)
assert np.allclose(random_embeddings, np.random.default_rng(0).normal(size=(len(bench.videos), 32)))
assert scored.n_videos == bench.split_indices("test").size
assert np.isclose(scored.r2, evaluate(bench, "test", embeddings=random_embeddings, n_boot=0).r2)

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q2

# %% [markdown]
# ## Exercise 2: two language models
#
# ```{admonition} Exercise 2
# Embed the captions with `encode_captions(bench.videos.captions, model=...)` for `"tfidf"` and
# `"minilm"`, score both on the test split, and test the difference in R² with
# `metrics.paired_bootstrap_alignment`. Why must the bootstrap be *paired*? Keep the two
# similarities in a dict `sims` by model name and the bootstrap's result in `diff`.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
test = bench.split_trials("test")
idx = bench.split_indices("test")
human = metrics.similarity_from_judgments(test.triplets, test.odd, len(bench.videos))
# BEGIN SOLUTION
sims = {name: metrics.similarity_from_embeddings(encode_captions(bench.videos.captions, model=name))
        for name in ("minilm", "tfidf")}
# END SOLUTION
scores = pd.DataFrame([
    {"model": name, **metrics.alignment(sim, human.similarity, human.observed, idx).to_dict()}
    for name, sim in sims.items()])
# BEGIN SOLUTION
diff = metrics.paired_bootstrap_alignment(sims["minilm"], sims["tfidf"], human.similarity,
                                          human.observed, idx, n_boot=settings.n_boot, rng=0)
# END SOLUTION
display(scores)
diff["r2"].to_frame()

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert set(sims) == {"minilm", "tfidf"}
tfidf = metrics.similarity_from_embeddings(encode_captions(bench.videos.captions, model="tfidf"))
assert np.allclose(sims["tfidf"], tfidf)
r2 = {name: metrics.alignment(sim, human.similarity, human.observed, idx).r2
      for name, sim in sims.items()}
assert np.isclose(diff["r2"].estimate, r2["minilm"] - r2["tfidf"])
assert diff["r2"].low <= diff["r2"].estimate <= diff["r2"].high

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [markdown]
# For exercise 1: a random model's Spearman correlation should sit near 0 and its OOO
# accuracies near chance (1/3 and 1/2), and the intervals usually hold those values. R² is a
# square, so it is never below 0 and neither is any bound of its interval: "no relation"
# shows as a small R² (about 1/number of pairs), not as an interval around 0.
#
# For exercise 2: both models are scored against the same noisy human similarity. Resampling the videos once
# for both keeps that shared noise out of the difference; two separate bootstraps would count
# it twice and give intervals that are too wide.

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q3

# %% [markdown]
# ## Exercise 3: how much data do the intervals need?
#
# ```{admonition} Exercise 3
# Repeat the MiniLM evaluation on the *train* split and compare the width of the R² interval with
# the test split's. Explain the difference in terms of the number of videos and pairs. Make a
# table `widths` with one row per split: `split`, `videos`, `pairs` and `interval width`.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
minilm = encode_captions(bench.videos.captions, model="minilm")
# BEGIN SOLUTION
rows = []
for split in ("train", "test"):
    ev = evaluate(bench, split, embeddings=minilm, n_boot=settings.n_boot, seed=0)
    r2 = ev.ci["r2"]
    rows.append({"split": split, "videos": ev.n_videos, "pairs": ev.n_pairs, "R²": ev.r2,
                 "interval width": r2.high - r2.low, "unit": r2.unit, "n_boot": r2.n_boot})
widths = pd.DataFrame(rows)
# END SOLUTION
widths

# %% [markdown]
# The interval resamples videos; with more videos (and many more pairs among them) each
# resample changes the pair set less, and the interval narrows as the number of videos grows.

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert list(widths["split"]) == ["train", "test"]
assert list(widths["videos"]) == [bench.split_indices(s).size for s in ("train", "test")]
assert (widths["interval width"] > 0).all()

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION
