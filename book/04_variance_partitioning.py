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
# resampling test videos (and, for the changes, the training seeds too). Like chapter 3, this
# chapter runs on the benchmark the video model was fine-tuned on: under the demo profile that
# is SocialWorld, a synthetic benchmark, not the paper's data.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd

from socalign import metrics, plots
from socalign.analyses.leaderboard import PAPER_V2
from socalign.analyses.partition import partition_benchmark, partition_change_benchmark
from socalign.book import (
    claim,
    data_caption,
    data_line,
    dataset_label,
    glue,
    interval,
    profile_settings,
    style_frame,
)
from socalign.book.artifacts import (
    finetune_benchmark,
    finetuned_run,
    load_book_benchmark,
    reference_language_model,
    seed_runs,
)
from socalign.book.divergence import direction_differs, divergence
from socalign.train.runs import Run

settings = profile_settings(profile, **overrides)
dataset = finetune_benchmark(settings)
bench = load_book_benchmark(settings, dataset)  # with the profile's videos
run = Run.open(finetuned_run(settings, dataset, loss="hybrid", seed=settings.seeds[0]))  # ch. 3
language = reference_language_model(settings, bench)  # chapter 2's reference caption model
data_line([bench], f"test pairs; the language model is {language}, chosen in chapter 2")

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
            .rename(columns={"share_of_full": "share of full R²"}), hide_index=True,
            caption=data_caption([bench], f"test pairs, seed {settings.seeds[0]}"))

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
fig, axes = plt.subplots(2, 1, figsize=(5.2, 5.4), layout="constrained")  # legends beside: fits the page
for ax, (name, partition) in zip(axes, partitions.items(), strict=True):
    plots.partition_bars(partition, ax=ax, top=top, reference=("R² ceiling (test)", ceiling))
    ax.set_title(name)
plt.show()

# %% mystnb={"figure": {"caption": "The same partitions as Venn diagrams.", "name": "fig-venn"}, "image": {"alt": "Two Venn diagrams of the variance in human similarity explained by the video model and the language model, before and after fine-tuning."}} tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0))
for ax, (name, partition) in zip(axes, partitions.items(), strict=True):
    plots.partition_venn(partition, ax=ax)
    ax.set_title(name)
plt.show()

# %% [markdown]
# Over {glue:text}`n_pairs` test pairs, the two predictors together explain
# {glue:text}`full_before:.3g` of the rank variance of human similarity with the pretrained
# video model and {glue:text}`full_after:.3g` with the fine-tuned one, for the first seed
# (each part's interval in the table: {glue:text}`n_boot` resamples of {glue:text}`ci_unit`).
#
# ## The changes, over videos and seeds
#
# One seed's before and after are two numbers, not a change with an uncertainty. The table
# below partitions every seed's pretrained and fine-tuned model with the language model on the
# same test pairs and averages the change over the seeds; its interval resamples the test
# videos and the seeds together ({glue:text}`change_nboot` resamples, {glue:text}`change_seeds`
# seed(s)), so it is paired: the same videos enter before and after.

# %% tags=["hide-input"]
change = partition_change_benchmark(
    bench, [str(Run.open(r).embeddings_path("before")) for r in seed_runs(settings, dataset, "hybrid")],
    [str(Run.open(r).embeddings_path("after")) for r in seed_runs(settings, dataset, "hybrid")],
    language, split="test", n_boot=settings.n_boot, seed=0)
change_frame = change.to_frame().set_index("part")
change_frame["change [95% CI]"] = [interval(r.change, r.ci_low, r.ci_high)
                                   for r in change_frame.itertuples()]
style_frame(change_frame[["before", "after", "change [95% CI]"]],
            caption=data_caption([bench], f"mean over {change.n_seeds} seed(s), paired over test videos and seeds"))

# %% tags=["remove-cell"]
rows = change.rows
glue(change_nboot=change.n_boot, change_seeds=change.n_seeds)
for key, part in (("shared", "shared"), ("video_unique", "unique to the video model"),
                  ("language_unique", "unique to the other model"), ("full", "full R²")):
    r = rows[part]
    glue(**{f"{key}_change_claim": claim(r["change"], r["ci_low"], r["ci_high"],
                                         baseline=r["before"], unit="test videos and seeds"),
            f"{key}_change_low": r["ci_low"], f"{key}_change_high": r["ci_high"]})

# %% [markdown]
# Averaged over seeds, the shared part {glue:text}`shared_change_claim`; the video model's
# unique part {glue:text}`video_unique_change_claim`; the language model's unique part
# {glue:text}`language_unique_change_claim`; and the R² of both together
# {glue:text}`full_change_claim`. In the paper the video model's unique part rose from
# {glue:text}`paper_video_unique_before` to {glue:text}`paper_video_unique_after`.

# %% tags=["remove-cell"]
glue(paper_video_unique_before=PAPER_V2.video_unique_r2[0],
     paper_video_unique_after=PAPER_V2.video_unique_r2[1])

# %% tags=["hide-input"]
paper_before, paper_after = PAPER_V2.video_unique_r2
video_part = rows["unique to the video model"]
divergence(
    "video_unique", topic="the video model's unique part after fine-tuning",
    paper=f"the video model's unique share of R² rose from {paper_before:.3g} to {paper_after:.3g}.",
    build=f"on {dataset_label(bench)}, from {video_part['before']:.3g} to {video_part['after']:.3g}, "
          f"a change of {interval(video_part['change'], video_part['ci_low'], video_part['ci_high'])} "
          "(95% interval over test videos and seeds).",
    why="the toy backbone and SocialWorld's templated captions: the captions are generated from "
        "the latent variables the judgments depend on, which leaves little that the video model "
        "alone can explain; and few test videos and seeds make the parts uncertain.",
    differs=direction_differs(paper_after - paper_before, video_part["ci_low"], video_part["ci_high"]))

# %% [markdown]
# Two cautions in reading these numbers. Shared variance can be negative when two predictors
# suppress each other; and the parts are estimated on a modest number of pairs, so their
# intervals are wide: a change counts only where its interval over videos and seeds excludes
# 0, as the words above say.
