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
# # 6. Transfer to abstract interactions
#
# The paper's second version asks whether what a video model learns from people's judgments
# of real videos carries over to a different kind of stimulus: the abstract two-agent
# animations of PHASE {cite:p}`netanyahu2021phase`, which people label *friendly*, *neutral* or
# *adversarial*. The encoder is frozen; a linear probe (standardised features, multinomial
# logistic regression, its penalty chosen by cross-validation inside the training videos) is
# fitted on one set of labelled animations and scored on another. The question is the held-out
# accuracy of each backbone, and the paired difference between the fine-tuned and the
# pretrained backbone on the same videos.
#
# This chapter asks it twice:
#
# 1. on **SocialWorld's own transfer set**, a world generated from a seed the book never trained
#    on and drawn in a *look* no training clip had (PHASE's white room, walls, coloured
#    landmarks and plain circles), each video labelled by its interaction type's latent
#    valence. It is always here, so the chapter runs offline;
# 2. on **PHASE** itself, rendered from its public trajectories, when a copy of them is here.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display

from socalign.analyses.transfer import PAPER_V2_TRANSFER, transfer_benchmark
from socalign.book import claim, data_line, glue, interval, profile_settings, style_frame
from socalign.book.artifacts import (
    finetune_benchmark,
    finetuned_run,
    load_book_benchmark,
    phase_benchmark,
    transfer_embeddings,
    transfer_set,
)
from socalign.book.divergence import direction_differs, divergence
from socalign.book.stimuli import ClipSheet, video_clip
from socalign.data import load_dataset
from socalign.data.layout import LABEL_COLUMN, read_labels
from socalign.data.phase.benchmark import summary as phase_summary
from socalign.data.socialworld.transfer import VALENCE_THRESHOLDS, read_transfer_set
from socalign.plots import PAGE_WIDTH_IN
from socalign.train.losses import LOSSES

settings = profile_settings(profile, **overrides)
dataset = finetune_benchmark(settings)
seed = settings.seeds[0]
# every loss the book trains (chapter 3), its first seed: the runs are chapter 3's, cached
runs = {f"fine-tuned ({kind.label})": finetuned_run(settings, dataset, loss=name, seed=seed)
        for name, kind in LOSSES.items()}
sw_folder = transfer_set(settings)
sw_set = read_transfer_set(sw_folder)
sw_bench = load_dataset(sw_folder)
SW_NAME = f"SocialWorld, synthetic, {sw_set.look.upper()}-look ({sw_set.n_videos} videos)"
sw_result = transfer_benchmark(sw_bench, transfer_embeddings(settings, sw_folder, runs),
                               protocol="paper", n_boot=settings.n_boot, seed=0)
paper_rows = {r.model: r for r in PAPER_V2_TRANSFER.rows}
display(data_line([sw_bench, load_book_benchmark(settings, dataset)],
                  "probes on the first, never trained on, and on PHASE when a copy of its "
                  "trajectories is here; the runs are chapter 3's, fine-tuned on the second"))

# %% tags=["remove-cell"]
glue(sw_name=SW_NAME, n_losses=len(runs), run_seed=seed, video_model=settings.video_model,
     low_cut=VALENCE_THRESHOLDS[0], high_cut=VALENCE_THRESHOLDS[1])

# %% [markdown]
# ## SocialWorld's transfer set
#
# The set is drawn by the same simulator as the benchmark the book fine-tunes on, from another
# seed, in the held-out look. Each interaction type gets a label from its *latent valence*:
# the mean valence rating (computed from the motion, never from the type's name) of a fixed
# reference sample of its scenes, cut in thirds: below {glue:text}`low_cut:.3f` adversarial,
# above {glue:text}`high_cut:.3f` friendly, neutral between. One clip of each label (test
# videos):

# %% tags=["hide-input"]
sw_labels = read_labels(sw_bench, LABEL_COLUMN)
sw_types = read_labels(sw_bench, "interaction")
test_rows = sw_bench.split_indices("test")
picks = [int(test_rows[np.flatnonzero(sw_labels[test_rows] == label)[0]]) for label in sw_result.classes]
display(ClipSheet(tuple(video_clip(sw_bench, i, label=f"{sw_labels[i]} ({sw_types[i]})")
                        for i in picks)))

# %% tags=["hide-input"]
types = pd.DataFrame({"latent valence": sw_set.type_valence, "label": sw_set.type_labels})
types = types.rename_axis("interaction type").sort_values("latent valence")
display(HTML(f"<p><strong>{SW_NAME}</strong>: each interaction type's label.</p>"))
style_frame(types)

# %% tags=["hide-input"]
display(HTML(f"<p><strong>{SW_NAME}</strong>: videos per set and label (the probe trains on "
             "the main set and is scored on the generalization set).</p>"))
style_frame(sw_set.count_frame())

# %% [markdown]
# The labels follow the motion: `hinder` and `help` move in ways whose latent valence is
# middling, so they are *neutral* here, and the classes are not balanced (the majority-class
# share is the chance level to beat, beside 1/3).
#
# ## Transfer on SocialWorld's transfer set
#
# The pretrained backbone ({glue:text}`video_model`) and the {glue:text}`n_losses` runs of
# chapter 3 (seed {glue:text}`run_seed`, one per loss), each frozen; the probe is trained on
# the main set and scored on the generalization set (a Wilson interval over the test videos).

# %% tags=["hide-input"]


def accuracy_table(result, name):
    """The measured rows of one transfer result, with the dataset named on every row."""
    frame = result.to_frame()
    return pd.DataFrame({
        "dataset": name, "backbone": frame["backbone"],
        "accuracy [95% CI]": [interval(a, lo, hi) for a, lo, hi in
                              zip(frame["accuracy"], frame["ci_low"], frame["ci_high"], strict=True)],
        "against chance": frame["versus_chance"],
        "chance (1/3; majority)": f"{result.chance_uniform:.3f}; {result.chance_majority:.3f}",
    })


def against_pretrained(result, name):
    """Each fine-tuned backbone minus the pretrained one on the same videos, in words."""
    rows = []
    for c in result.comparisons:
        if c.a != "pretrained":
            continue
        rows.append({"dataset": name, "fine-tuned backbone": c.b,
                     "accuracy − pretrained [95% CI]": interval(c.difference, c.low, c.high),
                     "verdict": claim(c.difference, c.low, c.high, unit="test videos",
                                      none="no detectable change").split(" (")[0],
                     "McNemar p": f"{c.mcnemar.p_value:.3g}",
                     "only fine-tuned right": c.mcnemar.b_only,
                     "only pretrained right": c.mcnemar.a_only})
    return pd.DataFrame(rows)


style_frame(accuracy_table(sw_result, SW_NAME), hide_index=True)

# %% tags=["hide-input"]
sw_vs = against_pretrained(sw_result, SW_NAME)
hybrid = next(c for c in sw_result.comparisons if c.a == "pretrained" and "hybrid" in c.b)
sw_acc = {b.name: b for b in sw_result.backbones}
style_frame(sw_vs, hide_index=True)

# %% tags=["remove-cell"]
glue(sw_n_test=sw_result.n_test, sw_n_train=sw_result.n_train,
     sw_pre=sw_acc["pretrained"].accuracy, sw_hybrid=sw_acc[hybrid.b].accuracy,
     sw_hybrid_claim=claim(hybrid.difference, hybrid.low, hybrid.high, unit="test videos"),
     sw_n_higher=int(sum(c.verdict == "higher" for c in sw_result.comparisons if c.a == "pretrained")),
     sw_n_lower=int(sum(c.verdict == "lower" for c in sw_result.comparisons if c.a == "pretrained")),
     sw_hybrid_low=hybrid.low, sw_hybrid_high=hybrid.high)

# %% [markdown]
# On the {glue:text}`sw_n_test` test videos the pretrained backbone's probe is right for
# {glue:text}`sw_pre:.1%` of them and the hybrid run's for {glue:text}`sw_hybrid:.1%`: the
# accuracy {glue:text}`sw_hybrid_claim` after fine-tuning with the hybrid loss. Over all the
# losses, {glue:text}`sw_n_higher` fine-tuned backbones are higher than the pretrained one and
# {glue:text}`sw_n_lower` lower (each by its paired interval; McNemar's exact test on the
# discordant videos beside it).

# %% tags=["hide-input"]
paper_ft, paper_pre = paper_rows["fine-tuned V-JEPA 2.1"], paper_rows["pretrained V-JEPA 2.1"]
divergence(
    "transfer_socialworld", topic="transfer gain from fine-tuning",
    paper=f"on PHASE, fine-tuned V-JEPA 2.1 {paper_ft.accuracy:.0%} (Wilson 95% "
          f"{paper_ft.low:.0%}–{paper_ft.high:.0%}) against pretrained {paper_pre.accuracy:.0%}: "
          f"a gain of {paper_ft.accuracy - paper_pre.accuracy:+.2f}.",
    build=f"on {SW_NAME}, the hybrid run minus the pretrained {settings.video_model}: "
          f"{interval(hybrid.difference, hybrid.low, hybrid.high)} ({hybrid.verdict}).",
    why=f"the pretrained {settings.video_model}'s probe is already at "
        f"{interval(sw_acc['pretrained'].accuracy, sw_acc['pretrained'].low, sw_acc['pretrained'].high)} "
        f"({sw_result.to_frame()['versus_chance'].iloc[0]}) on SocialWorld's own motions; the "
        "runs were fine-tuned on simulated observers' judgments of a few hundred videos, and "
        "the transfer set holds SocialWorld's motions in a new look, not new kinds of motion; "
        f"{sw_result.n_test} test videos leave wide intervals.",
    differs=direction_differs(paper_ft.accuracy - paper_pre.accuracy, hybrid.low, hybrid.high))

# %% [markdown]
# ## Transfer to PHASE

# %% tags=["hide-input"]
phase_folder = phase_benchmark(settings)
phase_result = None
if phase_folder is None:
    display(HTML("<p><strong>PHASE is not here</strong>: no local copy of its trajectories "
                 "($SOCALIGN_DATA or the cache; <code>socalign data fetch phase</code> gets "
                 "them), so this section shows the paper's figures only.</p>"))
else:
    phase_bench = load_dataset(phase_folder)
    # the paper protocol when the main set's trajectories are here, else cross-validation
    # within the generalization set (fewer repeats under the ci profile)
    phase_result = transfer_benchmark(
        phase_bench, transfer_embeddings(settings, phase_folder, runs), protocol="auto",
        n_boot=settings.n_boot, repeats=2 if settings.name == "ci" else 5, seed=0)
    PHASE_NAME = ("PHASE main → generalization set" if phase_result.protocol == "paper"
                  else f"PHASE generalization set ({phase_result.n_test} videos, cross-validated)")
    phase_labels = read_labels(phase_bench, LABEL_COLUMN)
    display(ClipSheet(tuple(video_clip(phase_bench, int(np.flatnonzero(phase_labels == label)[0]),
                                       label=f"PHASE: {label}")
                            for label in phase_result.classes)))

# %% tags=["remove-cell"]
glue(phase_line="PHASE was not available to this build" if phase_result is None
     else phase_result.protocol_description)

# %% tags=["hide-input"]
if phase_result is not None:
    display(style_frame(accuracy_table(phase_result, PHASE_NAME), hide_index=True))
    display(style_frame(against_pretrained(phase_result, PHASE_NAME), hide_index=True))
    people = phase_summary(phase_bench).get("agreement") or {}
    if people:
        display(HTML(
            "<p><strong>People (PHASE main set, raw ratings):</strong> a rating agrees with the "
            f"majority of the other participants' ratings of the same video "
            f"{interval(people['estimate'], people['low'], people['high'])} of the time "
            f"({people['n_videos']} main-set videos, {people['n_ratings']} ratings; 95% "
            f"percentile bootstrap over videos).</p>"))
    phase_hybrid = next(c for c in phase_result.comparisons if c.a == "pretrained" and "hybrid" in c.b)
    display(divergence(
        "transfer_phase", topic="transfer gain from fine-tuning, on PHASE",
        paper=f"fine-tuned V-JEPA 2.1 {paper_ft.accuracy:.0%} against pretrained "
              f"{paper_pre.accuracy:.0%} (a gain of {paper_ft.accuracy - paper_pre.accuracy:+.2f}; "
              "400 training, 100 test videos).",
        build=f"on {PHASE_NAME}, the hybrid run minus the pretrained {settings.video_model}: "
              f"{interval(phase_hybrid.difference, phase_hybrid.low, phase_hybrid.high)} "
              f"({phase_hybrid.verdict}).",
        why="a small toy backbone fine-tuned on SocialWorld's simulated judgments, not V-JEPA "
            "2.1 on people's judgments of real videos; PHASE drawn from its trajectories at the "
            "book's clip size; and, offline, cross-validation within the 100 generalization "
            "videos instead of the paper's 400/100 protocol.",
        differs=direction_differs(paper_ft.accuracy - paper_pre.accuracy, phase_hybrid.low,
                                  phase_hybrid.high)))

# %% [markdown]
# PHASE here: {glue:text}`phase_line`. PHASE's clips are drawn from the trajectories at the
# book's clip size (the paper's backbones saw the original videos at 224 pixels); offline only
# the 100 generalization-set videos have trajectories, so the probe is cross-validated within
# them, not trained on the 400 main-set videos as in the paper.
#
# ## Beside the paper
#
# The paper's figures (reported, not measured here: {cite:p}`garcia2025aligning`, v2), with
# this build's accuracies under them:

# %% tags=["hide-input"]
paper_table = PAPER_V2_TRANSFER.to_frame()
paper_table = pd.DataFrame({
    "dataset": "PHASE main → generalization (paper v2, reported)", "backbone": paper_table["model"],
    "accuracy [95% CI]": [f"{a:.3f}" if pd.isna(lo) else interval(a, lo, hi) for a, lo, hi in
                          zip(paper_table["accuracy"], paper_table["ci_low"], paper_table["ci_high"],
                              strict=True)]})
measured = [accuracy_table(sw_result, SW_NAME)]
if phase_result is not None:
    measured.append(accuracy_table(phase_result, PHASE_NAME))
style_frame(pd.concat([paper_table, *[m[paper_table.columns] for m in measured]]), hide_index=True)

# %% mystnb={"figure": {"caption": "Held-out probe accuracy per backbone (error bars: 95% intervals: Wilson over the test videos for SocialWorld's transfer set; a bootstrap over videos under cross-validation for PHASE). Dotted: chance (1/3); dashed: the majority-class share. Grey: the paper's reported PHASE figures.", "name": "fig-transfer"}, "image": {"alt": "Horizontal bar charts of held-out linear-probe accuracy for the pretrained and each fine-tuned backbone on SocialWorld's transfer set and on PHASE, with the paper's reported accuracies."}} tags=["hide-input"]
panels = [(SW_NAME, sw_result)] + ([(PHASE_NAME, phase_result)] if phase_result is not None else [])
fig, axes = plt.subplots(len(panels) + 1, 1, figsize=(PAGE_WIDTH_IN, 2.1 * (len(panels) + 1)),
                         layout="constrained", sharex=True)
for ax, (name, result) in zip(axes, panels, strict=False):
    accs = [b.accuracy for b in result.backbones]
    err = np.array([[b.accuracy - b.low, b.high - b.accuracy] for b in result.backbones]).T
    ax.barh([b.name for b in result.backbones], accs, xerr=err, color="tab:orange")
    ax.axvline(result.chance_uniform, ls=":", c="k")
    ax.axvline(result.chance_majority, ls="--", c="k")
    ax.invert_yaxis()
    ax.set_title(name, fontsize=9)
rows = PAPER_V2_TRANSFER.rows
axes[-1].barh([r.model for r in rows], [r.accuracy for r in rows], color="grey")
axes[-1].axvline(PAPER_V2_TRANSFER.chance, ls=":", c="k")
axes[-1].invert_yaxis()
axes[-1].set_title("PHASE, paper v2 (reported)", fontsize=9)
for ax in axes:
    ax.set_xlim(0, 1)
axes[-1].set_xlabel("held-out accuracy")
plt.show()
