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
# # Be the participant
#
# Every number in this book starts from people choosing, of three short clips, the one that is
# the odd one out. This page lets you do it yourself: twenty triplets of SocialWorld's held-out
# (test) videos, which its simulated participants judged and on which the book's models are
# scored. At the end you see how often you agreed with the simulated people and with each
# model.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
from IPython.display import display

from socalign.book import data_line, glue, profile_settings
from socalign.book.artifacts import book_benchmarks
from socalign.book.stimuli import participant_trials, participant_widget, stimulus_models

settings = profile_settings(profile, **overrides)
bench = book_benchmarks(settings)["SocialWorld"]
models = stimulus_models(settings, bench)  # the caption model, the pretrained and fine-tuned
trials = participant_trials(bench, models, n=20, split="test", seed=0)
widget = participant_widget(trials)
judgments = [sum(t["counts"]) for t in trials["trials"]]
glue(n_trials=len(trials["trials"]), n_clips=len(trials["clips"]),
     n_test_videos=len(bench.split_indices("test")), models=", ".join(trials["models"]),
     judgments=(f"{min(judgments)}" if min(judgments) == max(judgments)
                else f"{min(judgments)} to {max(judgments)}"),
     widget_kb=round(widget.nbytes / 1000))
data_line({"SocialWorld": bench}, "the trials: triplets of its test videos")

# %% [markdown]
# Below are {glue:text}`n_trials` trials drawn from the triplets of the
# {glue:text}`n_test_videos` test videos (seeded, so every reader gets the same ones), chosen
# among the most judged triplets so that each video appears about equally often. Each was
# judged by {glue:text}`judgments` simulated people. Click the clip that does not belong with
# the other two; the clips loop, so take your time.
#
# **Nothing you click leaves this page.** The trials, the clips and the scoring are all inside
# the page (about {glue:text}`widget_kb` kB); the script makes no network request and stores
# nothing.

# %% tags=["hide-input"]
display(widget)

# %% [markdown]
# ## What the scores mean
#
# * **Share of people who made the same choice**: on each trial, the share of the simulated
#   participants who picked the same clip as you, averaged over the trials: the chance that a
#   randomly drawn participant agrees with you. Picking at random gives 1/3 on average.
# * **Most common choice**: the share of trials in which your clip was (one of) the one(s)
#   the participants picked most often. With {glue:text}`judgments` judgments per triplet
#   this is a noisy target, which is why the first column is the main one.
# * **You and each model** ({glue:text}`models`): the share of trials in which you picked the
#   clip the model picks, the odd one out under its own similarity (the `argmax` rule of
#   chapter 1: the clip outside the model's most similar pair; a model whose two most similar
#   pairs tie picks nothing). The rows under "you" give each model's own agreement with the
#   people on the same trials, for comparison.
#
# SocialWorld's participants are simulated (chapter 1). Each compares the clips mostly by the
# kind of interaction (chase, fight, converse, help, ...), then by rated social attributes such
# as valence, dominance and the distance between the two agents, and by the look of the scene
# (background, colours, shapes) only a little, each with weights of their own and some lapses.
# So a reader who attends to what the two agents do to each other should agree with them more
# often than one who compares colours.
