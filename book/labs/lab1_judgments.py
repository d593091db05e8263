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
# # Lab 1: From choices to similarity
#
# In this lab you build a similarity matrix from odd-one-out choices yourself, see how its
# reliability grows with the number of participants, and compare the two OOO scoring rules.
# Each exercise is followed by a solution, folded away: try first, then click to reveal it.
# The student version of this lab (`socalign labs assign --out DIR`) has `...` in place of
# each solution and a `grader.check("q1")` cell after it that tests your answer.
#
# You need only the library and a benchmark. The cell below loads the paper's public
# judgments, garcia2025, when a local copy is present, and SocialWorld otherwise; its first
# line names the dataset.

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

settings = profile_settings(profile, **overrides)
use_page_format()  # three significant digits in every table below
bench = lab_benchmark(settings)  # garcia2025 when a local copy is present, else SocialWorld
display(data_line([bench], "every exercise below"))
trials = bench.kept
print(bench.name, len(bench.videos), "videos,", len(trials), "kept trials,",
      trials.n_participants, "participants")

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q1

# %% [markdown]
# ## Exercise 1: the judged similarity by hand
#
# ```{admonition} Exercise 1
# For the first 20 kept trials, count for every pair of videos how often it appeared together
# and how often it was *kept* together (neither video chosen as odd). Divide to get the judged
# similarity of those pairs, and check your matrix against
# `metrics.similarity_from_judgments(triplets, odd, n_items)`. Call your matrix `mine`
# (NaN for a pair never shown together).
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
first = trials.subset(np.arange(20))
n = len(bench.videos)
# BEGIN SOLUTION
shown = np.zeros((n, n))
kept = np.zeros((n, n))
for triplet, odd in zip(first.triplets, first.odd, strict=True):
    for a in range(3):
        for b in range(a + 1, 3):
            i, j = triplet[a], triplet[b]
            shown[i, j] += 1
            shown[j, i] += 1
            if odd not in (a, b):
                kept[i, j] += 1
                kept[j, i] += 1
mine = np.divide(kept, shown, out=np.full((n, n), np.nan), where=shown > 0)
# END SOLUTION
library = metrics.similarity_from_judgments(first.triplets, first.odd, n)
observed = library.observed
print("pairs observed:", int(np.triu(observed, 1).sum()),
      "| largest difference:", float(np.nanmax(np.abs(mine[observed] - library.similarity[observed]))))

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert mine.shape == (n, n)
assert np.array_equal(np.isfinite(mine), observed)
assert np.allclose(mine[observed], library.similarity[observed])

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q2

# %% [markdown]
# ## Exercise 2: how many participants are enough?
#
# ```{admonition} Exercise 2
# Take the trials of the first 2, 3, ... participants (up to all of them) and compute the
# split-half ceiling (`metrics.split_half_ceiling`) for each. Plot the Spearman–Brown corrected
# reliability against the number of participants. Why does it grow, and what does that mean for
# the ceiling a model is compared against? Keep the sizes in `counts` and a table `growth`
# with one row per size: columns `participants`, `mean` and `std` of the reliability.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
import matplotlib.pyplot as plt
from scipy import stats

participants = np.unique(trials.participants)
counts = sorted({int(k) for k in np.linspace(4, len(participants), 5)})
draws = np.random.default_rng(0)
# BEGIN SOLUTION
rows = []
for k in counts:
    for draw in range(5):  # five random groups of k participants: the estimate itself is noisy
        group = draws.choice(participants, size=k, replace=False)
        sub = trials.subset(np.isin(trials.participants, group))
        half = metrics.split_half_ceiling(sub.triplets, sub.odd, sub.participants, n,
                                          n_splits=20, rng=draws)
        rows.append({"participants": k, "draw": draw, "trials": len(sub), "r_sb": half.r_sb})
growth = pd.DataFrame(rows).groupby("participants")["r_sb"].agg(["mean", "std"]).reset_index()
# END SOLUTION
ax = growth.plot(x="participants", y="mean", yerr="std", marker="o", legend=False,
                 figsize=(4, 3), capsize=3)
ax.set_ylabel("split-half reliability\n(mean ± sd over 5 groups)")
ax.set_ylim(0, None)
plt.show()
trend = stats.spearmanr(growth["participants"], growth["mean"]).statistic
print(f"reliability from {growth['mean'].iloc[0]:.3g} ({counts[0]} participants) to "
      f"{growth['mean'].iloc[-1]:.3g} ({counts[-1]}); rank correlation with the number of "
      f"participants {trend:.2f}")
growth

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert list(growth["participants"]) == counts
assert counts[-1] == len(participants)
assert growth["mean"].between(-1, 1).all() and (growth["std"] >= 0).all()

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [markdown]
# More participants mean more trials per pair, so each half's similarity is less noisy and the
# two halves are expected to agree better (the Spearman–Brown formula predicts how fast). With
# few participants the estimate itself is noisy, which is why the solution averages several
# random groups per size and shows their spread: compare the printed trend with that spread
# before reading a rise into it. The ceiling is a property of the *data*, not of the videos: a
# model compared with a small sample of judgments can never look very good.

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q3

# %% [markdown]
# ## Exercise 3: two rules, two chance levels
#
# ```{admonition} Exercise 3
# Build a model similarity from the videos' rated social features (one vector of ratings per
# video; use `metrics.similarity_from_embeddings` with the correlation metric) and score it on
# the kept trials under both OOO rules. Then score a random symmetric similarity. Which rule
# gives the higher number, and why is that not evidence that it is the better model score?
# Call the two similarities `from_ratings` and `noise`, and the table of the four scores
# `scores` (columns `similarity` and those of `OOOAccuracy.to_dict()`).
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
ratings = np.column_stack([bench.videos.ratings[a] for a in sorted(bench.videos.ratings)])
ratings = np.nan_to_num(ratings, nan=np.nanmean(ratings))
from_ratings = metrics.similarity_from_embeddings(ratings, metric="correlation")  # SOLUTION
noise = np.random.default_rng(0).random((n, n))
noise = (noise + noise.T) / 2
# BEGIN SOLUTION
scores = pd.DataFrame([
    {"similarity": label, **metrics.ooo_accuracy(sim, trials.triplets, trials.odd, rule).to_dict()}
    for label, sim in (("ratings", from_ratings), ("random", noise))
    for rule in metrics.RULES
])
# END SOLUTION
scores

# %% [markdown]
# The pair rule has chance 1/2 and the argmax rule chance 1/3, so raw accuracies are not
# comparable across rules; compare each with its own chance level (and with the ceiling).

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert np.allclose(from_ratings, metrics.similarity_from_embeddings(ratings, metric="correlation"))
assert len(scores) == 2 * len(metrics.RULES)
assert set(scores["similarity"]) == {"ratings", "random"}
expected = metrics.ooo_accuracy(from_ratings, trials.triplets, trials.odd, "pair").to_dict()
assert any(all(row[k] == v for k, v in expected.items() if np.isscalar(v))
           for row in scores.to_dict("records"))

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION
