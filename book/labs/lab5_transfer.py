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
# # Lab 5: Transfer to abstract animations
#
# In this lab you probe a frozen video model for the social goal of abstract two-agent
# animations (friendly, neutral or adversarial), as chapter 6 does, and put intervals on the
# accuracy. The animations are SocialWorld's transfer set: a world the backbone never saw, drawn
# in PHASE's look (a white room, walls, coloured landmarks, plain circles), each video labelled
# by its interaction type's latent valence. Everything runs on a laptop's CPU in a few minutes.
# Solutions are folded away under each exercise.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %%
import numpy as np
import pandas as pd
from IPython.display import display
from scipy import stats

from socalign.analyses.transfer import fit_probe, mcnemar_exact, wilson_interval
from socalign.book import data_line, profile_settings, use_page_format
from socalign.book.artifacts import transfer_embeddings, transfer_set
from socalign.book.stimuli import ClipSheet, video_clip
from socalign.data import load_dataset
from socalign.data.layout import LABEL_COLUMN, SET_COLUMN, read_labels

settings = profile_settings(profile, **overrides)
use_page_format()  # three significant digits in every table below
folder = transfer_set(settings)  # synthesized once, then cached
bench = load_dataset(folder)
labels = read_labels(bench, LABEL_COLUMN)
sets = read_labels(bench, SET_COLUMN)
features = transfer_embeddings(settings, folder, runs={})["pretrained"]  # the frozen backbone
display(data_line([bench], "every exercise below: SocialWorld's transfer set, synthetic, PHASE-look"))
print(bench.name, "videos:", len(bench.videos), "features:", features.shape)
display(ClipSheet(tuple(video_clip(bench, int(np.flatnonzero(labels == c)[0]), label=c)
                        for c in sorted(set(labels)))))

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q1

# %% [markdown]
# ## Exercise 1: what is chance here?
#
# ```{admonition} Exercise 1
# Count the videos of each label in each set (`main`: the probe's training videos;
# `generalization`: its test videos) as a DataFrame `counts` with sets as rows and labels as
# columns. Then compute `chance_majority`: the share of the *test* videos that a probe always
# answering the most frequent test label would get right. Why is 1/3 not the chance level to
# beat?
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
counts = pd.crosstab(pd.Series(sets, name="set"), pd.Series(labels, name="label"))  # SOLUTION
test_labels = labels[sets == "generalization"]
chance_majority = float(pd.Series(test_labels).value_counts(normalize=True).max())  # SOLUTION
display(counts)
print(f"majority-class share of the test videos: {chance_majority:.3f} (1/3 = 0.333)")

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert counts.to_numpy().sum() == len(bench.videos)
assert set(counts.index) == {"main", "generalization"}
assert np.isclose(chance_majority, pd.Series(labels[sets == "generalization"])
                  .value_counts(normalize=True).max())

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q2

# %% [markdown]
# ## Exercise 2: a Wilson interval by hand
#
# ```{admonition} Exercise 2
# A probe gets `k = 41` of `n = 50` test videos right. Write the Wilson score interval at 95%,
# $\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}$ with
# $z = \Phi^{-1}(0.975)$, as a tuple `by_hand = (low, high)`, and check it against
# `wilson_interval(k, n)` (scipy's). Why is it not symmetric around $\hat p$?
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
k, n = 41, 50
# BEGIN SOLUTION
z = stats.norm.ppf(0.975)
p_hat = k / n
centre = (p_hat + z**2 / (2 * n)) / (1 + z**2 / n)
half = z * np.sqrt(p_hat * (1 - p_hat) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
by_hand = (float(centre - half), float(centre + half))
# END SOLUTION
print("by hand:", np.round(by_hand, 4), " scipy:", np.round(wilson_interval(k, n), 4))

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert np.allclose(by_hand, wilson_interval(41, 50))
assert by_hand[0] < 41 / 50 < by_hand[1]

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q3

# %% [markdown]
# ## Exercise 3: the transfer probe
#
# ```{admonition} Exercise 3
# Fit the transfer probe (`fit_probe`: standardised features, logistic regression, its C chosen
# inside the training videos) on the `main` set's features and labels, predict the
# `generalization` set, and report the held-out `accuracy` with its Wilson 95% `interval`.
# Is the accuracy above the majority-class share of Exercise 1 (look at the interval, not the
# point)? Keep the per-video correctness as a boolean array `correct`.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
train, test = sets == "main", sets == "generalization"
# BEGIN SOLUTION
probe = fit_probe(features[train], labels[train], seed=0)
correct = probe.predict(features[test]) == labels[test]
accuracy = float(correct.mean())
interval = wilson_interval(int(correct.sum()), int(correct.size))
# END SOLUTION
above = interval[0] > chance_majority
print(f"accuracy {accuracy:.3f} [{interval[0]:.3f}, {interval[1]:.3f}] on {correct.size} test videos;"
      f" above the majority share {chance_majority:.3f}: {above}")

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert correct.dtype == bool and correct.size == int((sets == "generalization").sum())
assert np.isclose(accuracy, correct.mean())
assert np.allclose(interval, wilson_interval(int(correct.sum()), correct.size))
assert np.array_equal(correct, fit_probe(features[train], labels[train], seed=0)
                      .predict(features[test]) == labels[test])

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q4

# %% [markdown]
# ## Exercise 4: against a model that sees nothing social
#
# ```{admonition} Exercise 4
# Replace the features with seeded random ones of the same shape
# (`np.random.default_rng(0).normal(size=features.shape)`), run the same probe, and compare the
# two on the *same* test videos with McNemar's exact test (`mcnemar_exact(correct_random,
# correct)`); keep its p-value as `p_value`. Why does a paired test fit here better than
# comparing the two Wilson intervals?
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
# BEGIN SOLUTION
random_features = np.random.default_rng(0).normal(size=features.shape)
random_probe = fit_probe(random_features[train], labels[train], seed=0)
correct_random = random_probe.predict(random_features[test]) == labels[test]
test_result = mcnemar_exact(correct_random, correct)
p_value = test_result.p_value
# END SOLUTION
print(f"random features: accuracy {correct_random.mean():.3f}; backbone right where random was "
      f"wrong on {test_result.b_only} videos, the reverse on {test_result.a_only}; McNemar p = "
      f"{p_value:.3g}")

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
random_features = np.random.default_rng(0).normal(size=features.shape)
expected = fit_probe(random_features[train], labels[train], seed=0).predict(random_features[test])
assert np.array_equal(correct_random, expected == labels[test])
assert np.isclose(p_value, mcnemar_exact(correct_random, correct).p_value)

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [markdown]
# ## Going further
#
# Chapter 6 runs the same probe for every fine-tuned run of chapter 3 and, when a copy of its
# trajectories is here, on PHASE itself (`socalign data render phase`, then `socalign transfer
# DIR --backbones pretrained=toy,finetuned=RUN_DIR`). Try the fine-tuned backbones: does
# fine-tuning on SocialWorld's judgments change what a probe can read in a new look?
