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
# # 7. Planning your own study
#
# The paper's own limitation is the cost of people's time: 49,484 odd-one-out judgments for 250
# videos. A lab that brings its own videos must decide, before collecting any, how many trials
# to run, which triplets to show, how many to repeat for the ceiling and how many catch trials
# to add. SocialWorld is the place to measure these choices: its simulated people can judge
# any triplet, and the similarity they judge from is known. This chapter compares three ways of
# choosing triplets at equal budgets, then asks how many judgments a study needs for 80% power.
#
# The three designs each spend 30% of the budget on repeats of triplets they already showed
# (for the OOO ceiling):
#
# * **set cover**: every pair of videos shown together at least once (and as often as the
#   budget allows), as SocialWorld's own schedule and `socalign design` do;
# * **random**: uniformly random triplets;
# * **adaptive**: small batches chosen from the judgments so far: an ordinal embedding of the
#   videos is refitted after every batch, and the next triplets are those whose answer would
#   tell most about the videos' points where they are still uncertain (the expected Fisher
#   information of the answer, weighed by each point's current uncertainty: a D-optimal
#   design, as in active ordinal embedding).
#
# Quality is the Spearman correlation between a design's estimated similarity and the
# observers' true expected similarity (the probability that a pair is kept together when the
# third video is random), with two estimators: the library's counts (kept / shown) and the
# fitted embedding, whose dimensions and penalty were chosen by the cross-validated likelihood
# of the judgments, never the truth (`socalign.analyses.adaptive.select_embedding`, which a lab
# runs on its own judgments).

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from socalign.analyses.adaptive import (
    BOOK_VIDEOS,
    EMBEDDING_DIM,
    EMBEDDING_PENALTY,
    cached_comparison,
    cached_embedding_selection,
    cached_planted_rung,
    describe_leads,
    plot_design_curves,
    reach_by_draw,
)
from socalign.analyses.planning import cached_power, plot_power
from socalign.book import data_line, glue, profile_settings, style_frame
from socalign.book.chapter import DATASET_KINDS
from socalign.text import interval, join_words

settings = profile_settings(profile, **overrides)
n_videos = min(int(settings.socialworld["n_videos"]), BOOK_VIDEOS)
seed = int(settings.seeds[0])
comparison = cached_comparison((seed,), n_videos, processes=2)  # one task per design and draw, two at a time
selection = cached_embedding_selection(seed, n_videos)
full = int(comparison.settings["full_budget"])
budgets = tuple(sorted({max(30, round(full * f)) for f in (0.05, 0.1, 0.2, 0.4, 0.7, 1.0)}))
power = cached_power(n_videos, seed, budgets, n_studies=20 if profile == "ci" else 60)
display(data_line([f"SocialWorld world {seed}, {n_videos} videos ({DATASET_KINDS['socialworld']})"],
                  "simulated studies: schedules, judgments and power"))

# %% tags=["remove-cell"]
glue(n_videos=n_videos, seed=seed, full_budget=f"{full:,}")

# %% [markdown]
# This page simulates SocialWorld world {glue:text}`seed` with {glue:text}`n_videos` videos
# (synthetic: generated scenes and simulated participants), fewer than the paper's 250 to keep
# the page quick; its full budget, {glue:text}`full_budget` judgments, covers the pairs as
# densely as the paper's 49,484 cover 250 videos. The benchmark `benchmarks/adaptive_design.py`
# repeats this with 250 videos on three worlds (`benchmarks/results/adaptive_design.json`).
#
# ## Choosing the estimator
#
# The embedding needs a number of dimensions and a penalty. Too many dimensions for the
# judgments over-fit them. `select_embedding` fits every setting of a grid to four fifths of
# the judgments and scores it by the likelihood of the fifth held out, in turn; the truth plays
# no part in the choice. Here it runs on the set cover's full budget of this world; the last
# column, which only a simulation can show, checks the choice against the truth.

# %% tags=["hide-input"]
grid = selection.rename(columns={"heldout_loglik": "held-out log-likelihood per trial",
                                 "spearman_with_truth": "Spearman with the truth (check)"})
style_frame(grid, hide_index=True,
            caption=f"the embedding's settings, {selection.attrs['judgments']:,} judgments of the set cover "
                    "(best: the highest held-out likelihood)")

# %% tags=["remove-cell"]
chosen = selection[selection["best"]].iloc[0]
default = selection[(selection["dim"] == EMBEDDING_DIM) & (selection["penalty"] == EMBEDDING_PENALTY)].iloc[0]
glue(chosen_embedding=f"{int(chosen['dim'])} dimensions, penalty {float(chosen['penalty']):.3g}",
     chosen_spearman=f"{float(chosen['spearman_with_truth']):.3f}",
     default_embedding=f"{EMBEDDING_DIM} dimensions, penalty {EMBEDDING_PENALTY:.3g}",
     default_spearman=f"{float(default['spearman_with_truth']):.3f}",
     default_is_chosen="the same setting" if chosen.name == default.name else "another setting")

# %% [markdown]
# On this world the held-out likelihood prefers {glue:text}`chosen_embedding` (Spearman with
# the truth {glue:text}`chosen_spearman`). The comparison below scores every design with the
# library's default, {glue:text}`default_embedding` ({glue:text}`default_is_chosen`; Spearman
# {glue:text}`default_spearman`), which the same rule chose on the benchmark's 250 videos. The
# best setting depends on the videos and the judgments: choose it on your own
# (`select_embedding`, or `socalign design --from-judgments --choose-embedding`).
#
# ## Quality against judgments

# %% mystnb={"figure": {"caption": "Spearman correlation between each design's estimated similarity and the observers' true expected similarity, against the judgments collected. Left: the count estimator (kept / shown; pairs never shown together get the mean); right: the ordinal embedding fitted to the same judgments. Dashed: the set-cover design's quality at the full budget.", "name": "fig-design-curves"}, "image": {"alt": "Two line charts of Spearman correlation against judgments for the set-cover, random and adaptive designs."}} tags=["hide-input"]
plot_design_curves(comparison.curves)
plt.show()

# %% tags=["hide-input"]
reach = comparison.reach
table = reach.pivot_table(index=["reference", "design"], columns="share", values="judgments").round(0)
table.columns = [f"{c:.0%} of set cover's full quality" for c in table.columns]
style_frame(table, caption="judgments each design needs (interpolated; empty: not reached within the full budget)")

# %% tags=["remove-cell"]
strict = reach[(reach["design"] == "adaptive") & (reach["reference"] == "embedding") & (reach["share"] == 1.0)]
paper = reach[(reach["design"] == "adaptive") & (reach["reference"] == "paper-pipeline") & (reach["share"] == 1.0)]
cover_counts = reach[(reach["design"] == "set-cover") & (reach["reference"] == "counts") & (reach["share"] == 1.0)]


def _saving(frame: pd.DataFrame) -> str:
    value = float(frame["saving"].iloc[0])
    if value != value:
        return "not within the full budget"
    return "with no fewer judgments" if round(value, 2) <= 0 else f"with {value:.0%} fewer judgments"


cover_full = comparison.curves[comparison.curves["design"] == "set-cover"].sort_values("judgments").iloc[-1]
glue(adaptive_saving=_saving(strict), paper_saving=_saving(paper),
     reference_draws=str(int(cover_full["draws"])), reference_sd=f"{float(cover_full['spearman_embedding_sd']):.3g}",
     cover_counts=f"{float(cover_counts['reference_spearman'].iloc[0]):.3f}",
     cover_embedding=f"{float(strict['reference_spearman'].iloc[0]):.3f}")

# %% [markdown]
# Two things set the cost of a study here, and they are worth telling apart. **The
# estimator**: at the full budget the set cover's count estimate reaches a Spearman of
# {glue:text}`cover_counts` with the truth, while an embedding fitted to the same judgments
# reaches {glue:text}`cover_embedding`: pooling every judgment about a video into one point
# helps far more than any choice of triplets. **The selection**: with the embedding as the
# estimator for every design, the adaptive design reaches the set cover's full-budget quality
# {glue:text}`adaptive_saving` (the reference "embedding" in the table;
# the set cover's quality at each budget is the mean of {glue:text}`reference_draws`
# independent draws of its schedule and people, whose Spearman at the full budget differ by
# {glue:text}`reference_sd` (standard deviation): one draw alone is a noisier reference);
# against the library's current pipeline (set cover, counts) it reaches that pipeline's quality
# {glue:text}`paper_saving`. The adaptive design's own counts are poor (left panel): it
# picks the triplets still uncertain, not uniform ones, so kept / shown is no estimate of the
# similarity with a random third video; score an adaptive study with the embedding. These are one
# simulated world; the benchmark `benchmarks/adaptive_design.py` measures the same with 250 videos
# on three worlds, and its results file says whether the selection's saving reached the 30% aimed
# for.
#
# ## How sure is the difference?

# %% tags=["hide-input"]
leads = comparison.leads[comparison.leads["comparison"] != "random - set-cover"]
cells = leads.assign(cell=[interval(d, lo, hi) for d, lo, hi in zip(leads["difference"], leads["low"], leads["high"],
                                                                   strict=True)],
                     share=[f"{v:.0%}" for v in leads["share"]])
style_frame(cells.pivot_table(index="share", columns="comparison", values="cell", aggfunc="first", sort=False),
            caption="difference in Spearman with the truth (embedding estimator) at each share of the full budget, "
                    "with a 95% interval (Welch's, over the designs' independent draws)")

# %% tags=["remove-cell"]
draw_savings = ["not reached within the budget" if v != v else f"{v:.0%}"
                for v in reach_by_draw(comparison).query("design == 'adaptive'")["saving"]]
glue(design_draws=str(int(comparison.settings["design_draws"])),
     draw_savings=join_words(draw_savings),
     lead_random=describe_leads(comparison.leads, "adaptive - random"),
     lead_cover=describe_leads(comparison.leads, "adaptive - set-cover"))

# %% [markdown]
# Each design's curve is the mean of independent draws: {glue:text}`design_draws` full runs of
# the random and adaptive designs (fresh triplets and fresh simulated people each) and
# {glue:text}`reference_draws` set-cover schedules at each budget. Their spread gives each
# difference an interval. Against random triplets, the adaptive design's quality is
# {glue:text}`lead_random`; against the set cover, it is {glue:text}`lead_cover`. A saving read
# where the curves are nearly flat rests on differences of a few thousandths, so read it beside
# these intervals. Read on each of the adaptive design's single runs instead of their mean curve,
# the saving is {glue:text}`draw_savings`.
#
# ## What limits the saving?
#
# How much this rule can save depends on how sure people's choices are. A rung check plants
# people who judge exactly as the rule's embedding (`planted_world`: this world's fitted points,
# everyone alike), so its model fits them perfectly, and runs the same three designs on them.

# %% tags=["remove-cell"]
planted = cached_planted_rung((seed,), n_videos, sharpness=(1.0, 4.0), design_draws=2, processes=2)


def _planted_words(sharpness: float) -> str:
    row = planted[planted["sharpness"] == sharpness].iloc[0]
    low, high = row["adaptive_draw_min"], row["adaptive_draw_max"]  # NaN: a run did not reach it
    saving = row["adaptive_saving"]
    reach_words = ("does not reach the set cover's full-budget quality within the budget" if saving != saving
                   else f"reaches the set cover's full-budget quality with {saving:.0%} fewer judgments")
    if high != high:
        spread = "none reaches it within the budget"
    elif low != low:
        spread = f"at most {high:.0%}, and not every run reaches it within the budget"
    else:
        spread = f"each {low:.0%}" if f"{low:.0%}" == f"{high:.0%}" else f"from {low:.0%} to {high:.0%}"
    return (f"{reach_words} (its {int(row['draws'])} single runs: {spread}; true OOO ceiling "
            f"{row['ceiling_true']:.3f})")


glue(planted_plain=_planted_words(1.0), planted_sharp=_planted_words(4.0))

# %% [markdown]
# As noisy as the fitted model of this world's people, the planted people's adaptive design
# {glue:text}`planted_plain`; with the pair scores four times as far apart, it
# {glue:text}`planted_sharp`. SocialWorld's people are as consistent as the paper's (their
# leave-one-out agreement is one of its calibration targets). The benchmark
# `benchmarks/adaptive_planted.py` measures the same on three worlds of 250 videos, at three
# sharpnesses (`benchmarks/results/adaptive_planted.json`). So a perfectly fitting model does not
# make up for noisy choices: a pilot's repeated triplets estimate your people's OOO ceiling (next
# section), and the higher it is, the more adaptive selection can be expected to save.
#
# ## The OOO ceiling

# %% mystnb={"figure": {"caption": "Absolute error of the empirical-Bayes OOO ceiling (from each design's repeated triplets) against the true ceiling of the same triplets (the mean of their largest population choice probability).", "name": "fig-ceiling-error"}, "image": {"alt": "Line chart of the OOO ceiling's absolute error against judgments for three designs."}} tags=["hide-input"]
fig, ax = plt.subplots(figsize=(4.6, 2.8), layout="constrained")
for k, (design, d) in enumerate(comparison.curves.groupby("design", sort=False)):
    ax.plot(d["judgments"], d["ceiling_error"], marker="o", color=f"C{k}", label=design)
ax.set_xlabel("judgments")
ax.set_ylabel("|ceiling estimate - truth|")
ax.set_ylim(bottom=0)
ax.legend()
plt.show()

# %% [markdown]
# ## How many judgments for 80% power?
#
# `socalign power` simulates studies of a given size and counts how often they tell two models
# apart. Here the two models are the mean observer's own features (the oracle) and the oracle
# blurred with noise; the studies are random triplets judged by fresh simulated people. The
# right panel asks how many judgments estimate the split-half R² ceiling to within ±0.05.

# %% mystnb={"figure": {"caption": "Left: power to detect the R\u00b2 difference between the oracle and a noisy oracle (z-test at alpha 0.05, standard error from the simulated studies); dashed: 80%. Right: half-width of the 95% spread of the split-half R\u00b2 ceiling; dashed: \u00b10.05.", "name": "fig-power"}, "image": {"alt": "Two line charts: power and the ceiling's half-width against judgments."}} tags=["hide-input"]
plot_power(power)
plt.show()

# %% tags=["remove-cell"]
def _needed(entry: dict) -> str:
    n = entry.get("needed_judgments")
    return f"{n:,}" if n is not None else "more than the largest budget simulated"


glue(power_needed=_needed(power["power"]), ceiling_needed=_needed(power["ceiling"]))

# %% [markdown]
# In this world, {glue:text}`power_needed` judgments give 80% power for this pair of models,
# and {glue:text}`ceiling_needed` estimate the R² ceiling to ±0.05 (the smallest simulated
# budget that reaches each; the grid is coarse).
#
# ## For your own videos
#
# ```bash
# # a schedule: pair-covering triplets, 30% repeats, 2 catch trials per participant, and one
# # jsPsych timeline per participant (schedule.csv + the choices = trials.csv)
# socalign design --videos my_videos/ --participants 60 --trials-per-participant 231 --out my_study
# # continue adaptively: the next batch chosen from the judgments collected so far
# socalign design --from-judgments my_judged/ --participants 10 --out my_batch_2 --choose-embedding
# # power from a pilot (a benchmark folder) for two models' embeddings, with the curves
# socalign power --pilot my_pilot/ --model-a a.npy --model-b b.npy --plot power.png
# # or from SocialWorld's simulated people
# socalign power --metric ooo --plot power.png
# ```
#
# A budget too small to show every pair once is refused with the shortfall named.
