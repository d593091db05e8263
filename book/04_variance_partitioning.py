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
# # 4. Variance partitioning
#
# Chapter 3 measured how fine-tuning changed the video model's agreement with people. Whatever
# it learnt: is it something the captions already carried, or something new? Variance partitioning (commonality analysis,
# as used to compare feature models of brain responses by {cite:t}`lescroart2015fourier`)
# answers this by regressing the human similarity of the test pairs on two model similarities,
# alone and together. With predictors $A$ and $B$:
#
# $$ \text{unique}(A) = R^2_{AB} - R^2_{B}, \qquad \text{unique}(B) = R^2_{AB} - R^2_{A}, \qquad
#    \text{shared} = R^2_{A} + R^2_{B} - R^2_{AB}. $$
#
# The three parts add up to $R^2_{AB}$. Here the regression is on ranks (so that the R² of one
# predictor is its squared Spearman correlation, as in chapter 2), and intervals come from
# resampling test videos.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd

from socalign import metrics, plots
from socalign.analyses.partition import partition_benchmark
from socalign.book import glue, interval, profile_settings, style_frame
from socalign.book.artifacts import finetune_benchmark, finetuned_run, load_book_benchmark
from socalign.train.runs import Run

settings = profile_settings(profile, **overrides)
dataset = finetune_benchmark(settings)
bench = load_book_benchmark(settings, dataset)  # with the profile's videos
run = Run.open(finetuned_run(settings, dataset, loss="hybrid", seed=settings.seeds[0]))  # ch. 3
language = settings.language_models[0]

# %% [markdown]
# ## Before and after fine-tuning, against the language model
#
# Two analyses on the same test pairs: the pretrained video model with the language model, and
# the fine-tuned video model with the language model. If fine-tuning taught the video model what
# the captions know, the *shared* part grows and the language model's *unique* part shrinks.

# %%
partitions = {
    "pretrained": partition_benchmark(
        bench, [str(run.embeddings_path("before")), language], split="test",
        n_boot=settings.n_boot, seed=0, names=["video (pretrained)", f"language ({language})"]),
    "fine-tuned": partition_benchmark(
        bench, [str(run.embeddings_path("after")), language], split="test",
        n_boot=settings.n_boot, seed=0, names=["video (fine-tuned)", f"language ({language})"]),
}
table = pd.concat([p.to_frame().assign(video=name) for name, p in partitions.items()])
table["value [95% CI]"] = [interval(v, lo, hi) for v, lo, hi in
                           zip(table["value"], table["ci_low"], table["ci_high"], strict=True)]
style_frame(table[["video", "component", "kind", "value [95% CI]", "share_of_full"]]
            .rename(columns={"share_of_full": "share of full R²"}), hide_index=True)

# %% tags=["remove-cell"]
def part(name, kind, label_start):
    frame = partitions[name].to_frame()
    rows = frame[(frame["kind"] == kind) & frame["component"].str.startswith(label_start)]
    return float(rows["value"].iloc[0])


glue(shared_before=part("pretrained", "shared", ""), shared_after=part("fine-tuned", "shared", ""),
     lang_unique_before=part("pretrained", "unique", "language"),
     lang_unique_after=part("fine-tuned", "unique", "language"),
     full_before=partitions["pretrained"].r2_full, full_after=partitions["fine-tuned"].r2_full,
     n_pairs=partitions["fine-tuned"].n_pairs, n_boot=partitions["fine-tuned"].n_boot,
     ci_unit=partitions["fine-tuned"].ci_unit)

# %% mystnb={"figure": {"caption": "Commonality analysis of the human similarity of test pairs: unique parts (solid) and the shared part (hatched), before and after fine-tuning, on one scale. Dashed: the test split's R\u00b2 ceiling.", "name": "fig-partition"}, "image": {"alt": "Two stacked bars showing the unique and shared parts of the explained variance in human similarity, for the pretrained and the fine-tuned video model each paired with the language model."}} tags=["hide-input"]
ceiling = metrics.benchmark_ceilings(bench, "test", seed=0).r2_ceiling
top = max(p.r2_full for p in partitions.values())
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, layout="constrained")
for ax, (name, partition) in zip(axes, partitions.items(), strict=True):
    plots.partition_bars(partition, ax=ax, top=top, reference=("R² ceiling (test)", ceiling))
    ax.set_title(name)
plt.show()

# %% mystnb={"figure": {"caption": "The same partitions as Venn diagrams.", "name": "fig-venn"}, "image": {"alt": "Two Venn diagrams of the variance in human similarity explained by the video model and the language model, before and after fine-tuning."}} tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, (name, partition) in zip(axes, partitions.items(), strict=True):
    plots.partition_venn(partition, ax=ax)
    ax.set_title(name)
plt.show()

# %% [markdown]
# Over {glue:text}`n_pairs` test pairs, the two predictors together explain
# {glue:text}`full_before:.3g` of the rank variance of human similarity with the pretrained
# video model and {glue:text}`full_after:.3g` with the fine-tuned one. The shared part moves
# from {glue:text}`shared_before:.3g` to {glue:text}`shared_after:.3g`, and the language
# model's unique part from {glue:text}`lang_unique_before:.3g` to
# {glue:text}`lang_unique_after:.3g` (intervals in the table: {glue:text}`n_boot` resamples of
# {glue:text}`ci_unit`).
#
# Two cautions in reading these numbers. Shared variance can be negative when two predictors
# suppress each other; and the parts are estimated on a modest number of pairs, so their
# intervals are wide: each part's interval is in the table, and a change between the two
# analyses counts only where it replicates across seeds and benchmarks, not from one pair of
# values.
