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
# # 1. Benchmark construction
#
# An odd-one-out (OOO) benchmark turns many quick choices into a similarity matrix. This
# chapter follows that construction step by step: how the triplets are designed so that every
# pair of videos is compared, how a similarity is read off the choices, how catch trials check
# attention, how reliable the result is (the two *noise ceilings* that bound what any model can
# reach), and the two rules by which a model's similarity is scored on the same trials.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from socalign import metrics, plots
from socalign.book import (
    data_caption,
    data_line,
    dataset_label,
    glue,
    profile_settings,
    settings_frame,
    style_frame,
)
from socalign.book.artifacts import book_benchmarks
from socalign.data.design import pair_counts, set_cover_triplets
from socalign.data.quality import catch_performance
from socalign.data.socialworld.calibration import ceiling_bias
from socalign.data.summary import summarize

settings = profile_settings(profile, **overrides)
benchmarks = book_benchmarks(settings)
data_line(benchmarks, f"{settings.name} profile; both side by side wherever both apply")

# %% tags=["remove-cell"]
glue(profile=settings.name)
glue(datasets=", ".join(dataset_label(b) for b in benchmarks.values()))

# %% [markdown]
# This page ran under the **{glue:text}`profile`** profile, on: {glue:text}`datasets`.
# (garcia2025, the paper's public judgments, appears only when a local copy is found; see the
# introduction.)
#
# ## The benchmarks at a glance
#
# Each benchmark is a table of videos (with a train/test split), a table of trials (three
# videos and the one chosen as odd), and optionally captions and per-video ratings of social
# features. `summarize` counts everything, including what the exclusions removed.

# %% tags=["hide-input"]
infos = {name: summarize(b) for name, b in benchmarks.items()}
overview = pd.DataFrame(
    {name: {k: v for k, v in info.to_dict().items() if np.isscalar(v)}
     for name, info in infos.items()}
)
style_frame(overview, caption=data_caption(benchmarks, "counts, one column per benchmark"))

# %% tags=["hide-input"]
for name, info in infos.items():
    display(style_frame(info.to_frame().assign(benchmark=name),
                        caption=data_caption([benchmarks[name]], "what the exclusions removed")))

# %% [markdown]
# ## The stimuli
#
# Every trial shows three 3-second clips of two agents interacting. SocialWorld's clips come
# from {glue:text}`n_types` interaction types; here is one of each (the type's most typical
# clip: the medoid of its latent social features, which is what the simulated participants
# judge). The clips loop.

# %% tags=["remove-cell"]
from IPython.display import Markdown

from socalign.analyses.gap import is_socialworld
from socalign.book.stimuli import interaction_clips, stimulus_models, triplet_gallery

type_clips = interaction_clips(benchmarks["SocialWorld"])
glue(n_types=len(type_clips.clips), type_clips_kb=round(type_clips.nbytes / 1000))

# %% tags=["hide-input"]
type_clips

# %% [markdown]
# A trial asks which of three clips is the odd one out. Below are three triplets of the test
# split with the share of participants who chose each clip (among the most judged triplets,
# each video shown about equally often) and the clip each model picks: the caption model, and the
# video model before and after fine-tuning (chapter 3), each by the `argmax` rule described
# below (the clip outside its most similar pair). On garcia2025 (its videos are licensed
# separately and never copied into a page), the gallery shows each video's first caption
# instead.

# %% tags=["hide-input"]
# the clips of SocialWorld only: garcia2025's licensed videos are never copied into a page
galleries = {name: triplet_gallery(b, stimulus_models(settings, b), n=3, split="test", seed=0,
                                   clips=is_socialworld(b))
             for name, b in benchmarks.items()}
for name, gallery in galleries.items():
    display(Markdown(f"**{dataset_label(benchmarks[name])}**"))
    display(gallery)

# %% [markdown]
# ## Triplet design and coverage
#
# With $N$ videos there are $\binom{N}{2}$ pairs, and a triplet covers three of them at once,
# so at least $\lceil \binom{N}{2} / 3 \rceil$ triplets are needed before every pair has been
# seen together once. The design routine `set_cover_triplets` greedily picks triplets that
# cover pairs not yet seen, breaking ties towards the least-used videos so that each video
# appears about equally often. For a small example with 12 videos:

# %% tags=["remove-cell"]
n_small = 12
design = set_cover_triplets(n_small, k=1, rng=np.random.default_rng(0))
coverage = pair_counts(design, n_small)
upper = coverage[np.triu_indices(n_small, k=1)]
uses = np.bincount(design.ravel(), minlength=n_small)
glue(design_n=n_small)
glue(design_m=len(design))
glue(design_bound=int(np.ceil(n_small * (n_small - 1) / 2 / 3)))
glue(design_min_cover=int(upper.min()))
glue(design_uses=f"{uses.min()}–{uses.max()}")

# %% mystnb={"figure": {"caption": "Pair coverage of a designed set of triplets on 12 videos.", "name": "fig-design"}, "image": {"alt": "Heat map of how often each pair of 12 videos appears in the same designed triplet; every off-diagonal cell is at least one."}}
fig, ax = plt.subplots(figsize=(4.4, 3.4), layout="constrained")
plots.coverage_heatmap(coverage, ax=ax)
plt.show()

# %% [markdown]
# The design uses {glue:text}`design_m` triplets for {glue:text}`design_n` videos (the lower
# bound is {glue:text}`design_bound`); every pair is covered at least
# {glue:text}`design_min_cover` time(s), and each video is used
# {glue:text}`design_uses` times. A real study collects far more trials than this minimum,
# spread over many participants, and shows some triplets more than once; the reliability
# estimates below rely on both.
#
# ## Similarity from judgments
#
# If videos $i$ and $j$ appear together in a trial and the participant picks the third video as
# the odd one, the choice says that $i$ and $j$ belong together. The judged similarity of a pair
# is the share of its trials in which it was *kept* together:
#
# $$ s_{ij} = \frac{\#\{\text{trials with } i, j \text{ both kept}\}}{\#\{\text{trials showing } i \text{ and } j\}}, $$
#
# undefined (NaN) for pairs never shown together. Because each trial keeps exactly one of its
# three pairs, a pair's chance level is 1/3.

# %% tags=["hide-input"]
judged = {
    name: metrics.similarity_from_judgments(b.kept.triplets, b.kept.odd, len(b.videos))
    for name, b in benchmarks.items()
}
coverage_rows = []
for name, j in judged.items():
    n = j.similarity.shape[0]
    coverage_rows.append({
        "benchmark": name,
        "videos": n,
        "pairs observed": int(np.triu(j.observed, 1).sum()),
        "share of pairs observed": float(np.triu(j.observed, 1).sum() / (n * (n - 1) / 2)),
        "median trials per observed pair": float(np.median(j.counts[j.observed])),
        "mean similarity": float(np.nanmean(j.similarity[j.observed])),
    })
coverage_table = pd.DataFrame(coverage_rows).set_index("benchmark")
first = next(iter(judged))
style_frame(coverage_table, caption=data_caption(benchmarks, "pairs observed and judged similarity"),
            first=["share of pairs observed", "mean similarity"])

# %% tags=["remove-cell"]
glue(first_name=dataset_label(benchmarks[first]))
glue(first_mean_sim=coverage_table.loc[first, "mean similarity"])
glue(first_share=coverage_table.loc[first, "share of pairs observed"])

# %% mystnb={"figure": {"caption": "Judged similarity (share of trials in which a pair was kept together). Blank: never shown together.", "name": "fig-judged"}, "image": {"alt": "Heat maps of the judged similarity matrix of each benchmark; unobserved pairs are blank."}}
fig, axes = plt.subplots(len(judged), 1, figsize=(4.4, 3.6 * len(judged)), squeeze=False,
                         layout="constrained")  # one above the other: readable at page width
for ax, (name, j) in zip(axes[:, 0], judged.items(), strict=True):
    plots.similarity_heatmap(j.similarity, ax=ax, title=name)
plt.show()

# %% [markdown]
# On {glue:text}`first_name`, {glue:text}`first_share:.1%` of all pairs were shown together at
# least once and the mean judged similarity is {glue:text}`first_mean_sim:.3g`, close to the
# 1/3 that a pair would get if choices ignored the videos, as it must: every trial keeps one
# pair in three. The information is in how far pairs depart from 1/3.
#
# ## Catch trials
#
# A catch trial shows one video twice; the right answer is the singleton. Participants who
# fail catch trials are not attending, and the catch trials themselves carry no similarity
# information, so they are scored and then excluded from everything that follows. The table
# gives, per benchmark, how many catch trials there were, the mean accuracy on them, and how
# many participants fell below the threshold.

# %% tags=["hide-input"]
catch_rows = []
for name, b in benchmarks.items():
    report = catch_performance(b.trials)
    catch_rows.append({"benchmark": name, **report.to_dict()})
catch_table = pd.DataFrame(catch_rows).set_index("benchmark")
style_frame(catch_table, caption=data_caption(benchmarks, "catch trials"))

# %% [markdown]
# ## Reliability and the two noise ceilings
#
# No model can agree with people better than people agree with themselves. Two ceilings make
# this precise, one for each way a model is scored.
#
# * **Split-half ceiling (for R²).** Split the participants at random into two halves, build
#   the judged similarity from each half, and correlate the two over the pairs both halves
#   observed. A half has half the data, so the correlation is corrected to full size with the
#   Spearman–Brown formula $r_{SB} = 2r / (1 + r)$. $r_{SB}$ is a reliability: the share of
#   the data's rank variance that is not noise. A model's R² (squared Spearman correlation
#   with the full human similarity) can at best reach it: the true similarity correlates with
#   the noisy data at $\sqrt{r_{SB}}$, so its R² is $r_{SB}$ (RSA papers often quote
#   $r_{SB}^2$ instead, which is lower).
# * **OOO ceiling (for accuracy).** No similarity can do better on a trial than always
#   predicting that triplet's most likely choice; the OOO ceiling is the expected accuracy of
#   that prediction, the mean over trials of the largest choice probability. The probabilities
#   are unknown, but triplets shown several times reveal how consistent choices are. Each
#   triplet's choices are modelled as draws from its own probabilities, with a Dirichlet prior
#   pooled over all triplets and fitted to the repeated ones (empirical Bayes); the ceiling
#   averages each triplet's posterior expectation of its largest probability.
# * **OOO reliability (repeat agreement).** For each repeated trial, does its choice agree with
#   the majority choice of the triplet's *other* showings? This is how often people repeat a
#   choice, a reliability. With two or three showings per triplet it falls below the ceiling:
#   the majority of one or two other showings is often not the most likely choice, so models
#   can score above it.
#
# `metrics.benchmark_ceilings` computes all of them for a split; `socalign ceiling` prints the
# same numbers.

# %%
found = {name: metrics.benchmark_ceilings(b, "all", n_splits=max(20, settings.n_boot // 10),
                                          seed=0)
         for name, b in benchmarks.items()}

# %% tags=["hide-input"]
ceilings = pd.DataFrame(
    {name: {"R² ceiling (split-half reliability)": c.r2_ceiling,
            "split-half r (uncorrected)": c.split_half.r if c.split_half is not None else np.nan,
            "OOO ceiling (argmax)": c.ooo_ceiling, "OOO reliability": c.ooo_reliability,
            "trials of repeated triplets": c.consistency.n_trials,
            "showings per repeated triplet": c.ooo.repeats_mean}
     for name, c in found.items()}).T.rename_axis("benchmark")
split_r = {name: metrics.spearman_brown(c.split_half.split_r) for name, c in found.items()
           if c.split_half is not None}
style_frame(ceilings, caption=data_caption(benchmarks, "noise ceilings, all trials"))

# %% tags=["remove-cell"]
glue(ceil_r2=found[first].r2_ceiling, ceil_rsb=found[first].reliability,
     ceil_ooo=found[first].ooo_ceiling, ceil_ooo_rel=found[first].ooo_reliability)

# %% mystnb={"figure": {"caption": "Split-half reliability over random splits of the participants (Spearman\u2013Brown corrected); its mean is the R\u00b2 ceiling.", "name": "fig-splithalf"}, "image": {"alt": "Histograms of the Spearman-Brown corrected split-half correlation over random participant splits, one per benchmark."}} tags=["hide-input"]
fig, ax = plt.subplots(figsize=(5.5, 3), layout="constrained")
plots.split_half_hist(split_r, ax=ax)
plt.show()

# %% [markdown]
# ### Does the OOO ceiling estimate the true ceiling?
#
# On SocialWorld the simulated participants' choice probabilities are known for every trial,
# so the true ceiling can be computed and the two estimators checked against it. The choices
# are drawn again many times from the true probabilities, and each estimator is applied to
# each draw; its bias is its mean minus the truth.

# %% tags=["hide-input"]
bias = ceiling_bias(benchmarks["SocialWorld"], "test", n_replicates=20 if settings.name == "ci" else 100,
                    seed=0)
bias_frame = bias.to_frame()
style_frame(bias_frame, caption=data_caption([benchmarks["SocialWorld"]],
                                             "ceiling estimators against the known truth"))

# %% tags=["remove-cell"]
glue(true_ceiling=bias.to_dict()["truth"],
     bias_ceiling=bias_frame.loc["ooo_ceiling", "bias"],
     bias_reliability=bias_frame.loc["ooo_reliability", "bias"])

# %% [markdown]
# On SocialWorld's test trials the true ceiling (population choice probabilities) is
# {glue:text}`true_ceiling:.3g`. The OOO ceiling estimator is off by
# {glue:text}`bias_ceiling:.2g` on average, the repeat agreement by
# {glue:text}`bias_reliability:.2g`: read as a ceiling, the repeat agreement would make a
# model look closer to perfect than it is. ("Per trial" is the ceiling of a model that
# knew each participant's own weights, which no single similarity can reach.)

# %% [markdown]
# On {glue:text}`first_name` the corrected split-half correlation is
# {glue:text}`ceil_rsb:.3g`, so a model's R² against the human similarity cannot be expected
# to exceed about {glue:text}`ceil_r2:.3g` (the reliability itself); the OOO ceiling under the
# argmax rule is {glue:text}`ceil_ooo:.1%`, while repeated triplets agree with the other
# showings' majority in {glue:text}`ceil_ooo_rel:.1%` of cases. Every model score in the following chapters should be read against these two
# numbers, not against 1.
#
# ## The two OOO rules
#
# A model predicts a trial from its own similarity $s$ of the three pairs. Two scoring rules
# are in use, and they have different chance levels, so every accuracy in this book names its
# rule:
#
# * **argmax** (the rule of the THINGS odd-one-out work {cite:p}`hebart2020revealing`): the
#   model's odd one is the item outside its most similar pair; correct if it matches the human
#   choice. Chance is 1/3.
# * **pair** (the rule of the paper's released code): with each kept item as the anchor, is the
#   other kept item more similar to it than the odd one? The two answers are averaged. Chance
#   is 1/2.
#
# As a sanity check, scoring the human similarity itself on the trials it was built from gives
# an optimistic upper reference (it has seen these trials), and a random similarity gives
# chance:

# %% tags=["hide-input"]
rule_rows = []
for name, b in benchmarks.items():
    kept = b.kept
    filled = np.nan_to_num(judged[name].similarity, nan=1 / 3)
    rng = np.random.default_rng(0)
    noise = rng.random(filled.shape)
    noise = (noise + noise.T) / 2
    for label, sim in (("human similarity (same trials)", filled), ("random similarity", noise)):
        for rule in metrics.RULES:
            acc = metrics.ooo_accuracy(sim, kept.triplets, kept.odd, rule=rule)
            rule_rows.append({"benchmark": name, "similarity": label, **acc.to_dict()})
rules = pd.DataFrame(rule_rows)
style_frame(rules.pivot_table(index=["benchmark", "similarity"], columns="rule", values="accuracy"),
            caption=data_caption(benchmarks, "OOO accuracy of two reference similarities"))

# %% [markdown]
# The next chapter scores real models with both rules and against both ceilings.
#
# ## Settings of this build
#
# Every setting of the profile this page ran under (folded: click to show).

# %% tags=["hide-input", "hide-output"]
style_frame(settings_frame(settings.to_dict()), caption=f"profile {settings.name}")
