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
# # 5. Linear probes, attention and action retention
#
# The last chapter asks *what* fine-tuning changed inside the video model, in three ways:
#
# 1. **Linear probes.** Which rated social features (valence, arousal, dominance, intimacy,
#    communication, joint action, facing, distance, ...) can be read out of the embeddings by a
#    linear model, before and after fine-tuning?
# 2. **Attention.** Where in the frame does the model draw its information from? Attention
#    rollout {cite:p}`abnar2020attention` multiplies the attention maps through the layers to
#    give one map per frame.
# 3. **Action retention.** Fine-tuning on a few hundred videos' judgments could erase what the backbone
#    knew. A linear probe for action categories on new clips checks that the original skill is
#    still there.
#
# Like chapters 3 and 4, this chapter runs on the benchmark the video model was fine-tuned on:
# under the demo profile SocialWorld, a synthetic benchmark whose ratings are computed from the
# scenes, not the paper's data.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from socalign import plots
from socalign.analyses.gap import model_embeddings
from socalign.analyses.probes import PAPER_PROBE_DIRECTION, probe_benchmark, probe_change
from socalign.analyses.retention import action_retention
from socalign.analyses.rollout import benchmark_rollout
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
    action_set,
    finetune_benchmark,
    finetuned_run,
    load_book_benchmark,
    merged_backbone,
    pretrained_backbone,
    reference_language_model,
)
from socalign.book.divergence import direction_differs, divergence
from socalign.metrics.detectable import detectable_change, se_from_interval
from socalign.train.runs import Run
from socalign.video import load_clips

settings = profile_settings(profile, **overrides)
dataset = finetune_benchmark(settings)
bench = load_book_benchmark(settings, dataset)  # with the profile's videos
run = Run.open(finetuned_run(settings, dataset, loss="hybrid", seed=settings.seeds[0]))  # ch. 3
language = reference_language_model(settings, bench)  # chapter 2's reference caption model
data_line([bench], "probes and attention on its test videos; action retention on new "
          "SocialWorld action clips")

# %% [markdown]
# ## Linear probes of social features
#
# For each rated feature, a ridge regression is fit on the training videos' embeddings (its
# penalty chosen by cross-validation inside the training videos) and tested on the held-out
# videos: the score is the Pearson correlation between predicted and rated values, with a
# bootstrap interval over test videos (and a permutation p-value, in the figure).

# %%
features = {
    "video (pretrained)": run.embeddings("before", bench.videos),
    "video (fine-tuned)": run.embeddings("after", bench.videos),
    f"language ({language})": model_embeddings(bench, language),
}
probes = [probe_benchmark(bench, X, embedding=name, n_perm=settings.n_perm,
                          n_boot=settings.n_boot, seed=0)
          for name, X in features.items()]
probe_table = pd.concat([p.to_frame() for p in probes])
probe_table["r [95% CI]"] = [interval(r, lo, hi) for r, lo, hi in
                             zip(probe_table["r"], probe_table["ci_low"], probe_table["ci_high"],
                                 strict=True)]
style_frame(probe_table.pivot(index="attribute", columns="embedding", values="r [95% CI]"),
            caption=data_caption([bench], "held-out probe r, test videos"))

# %% mystnb={"figure": {"caption": "Held-out linear decoding of each rated feature (Pearson r between predicted and rated values on test videos; error bars: 95% bootstrap interval over test videos). *: permutation p < 0.05 (labels of the test videos shuffled).", "name": "fig-probes"}, "image": {"alt": "Grouped bar chart of held-out Pearson correlation for each rated social feature, comparing pretrained video, fine-tuned video and language embeddings."}} tags=["hide-input"]
fig, ax = plt.subplots(figsize=(6.2, 3.4), layout="constrained")
plots.probe_bars(probes, ax=ax)
plt.show()

# %% tags=["hide-input"]
changes = probe_change(bench, features["video (pretrained)"], features["video (fine-tuned)"],
                       n_boot=settings.n_boot, seed=0)
change_table = pd.DataFrame([{
    "attribute": c.attribute, "change": claim(c.difference, c.low, c.high,
                                              none="no detectable change").split(" (")[0],
    "Δr [95% CI]": interval(c.difference, c.low, c.high),
    "smallest detectable Δr": detectable_change(se_from_interval(c.low, c.high)),
    "r pretrained": c.before, "r fine-tuned": c.after}
    for c in changes])
rose = [c.attribute for c in changes if c.rose]
fell = [c.attribute for c in changes if c.high < 0]
style_frame(change_table, hide_index=True,
            caption=data_caption([bench], "fine-tuned minus pretrained probe, paired over test videos"))

# %% tags=["remove-cell"]
glue(n_rose=len(rose), n_fell=len(fell), n_attr=len(changes),
     rose_list=", ".join(rose) or "none", fell_list=", ".join(fell) or "none",
     probe_nboot=settings.n_boot,
     probe_mde=float(np.nanmedian(change_table["smallest detectable Δr"])))

# %% tags=["hide-input"]
divergence(
    "probes", topic="held-out decoding of the social attributes after fine-tuning",
    paper="the fine-tuned model's embeddings made the paper's social attributes easier to read "
          "out than the pretrained model's (a rise).",
    build=f"on {dataset_label(bench)}, decoding rose for {len(rose)} of {len(changes)} "
          f"attributes ({', '.join(rose) or 'none'}) and fell for {len(fell)} "
          f"({', '.join(fell) or 'none'}); the table gives each Δr with its interval.",
    why="SocialWorld's ratings are computed from the agents' motion, which the toy backbone "
        "already reads well before fine-tuning (chapter 3), and the test split is small: "
        "the smallest Δr these tests could detect is in the table.",
    differs=any(direction_differs(PAPER_PROBE_DIRECTION, c.low, c.high) for c in changes))

# %% [markdown]
# For the paper's five attributes the table compares the two probes on the same test videos:
# the interval of Δr comes from {glue:text}`probe_nboot` paired resamples of the test videos. A
# rise counts only where that interval lies above 0: held-out decoding rose for
# {glue:text}`n_rose` of the {glue:text}`n_attr` attributes ({glue:text}`rose_list`) and fell
# for {glue:text}`n_fell` ({glue:text}`fell_list`); for the others there is no detectable
# change, and "no detectable change" here means only that a change smaller than about
# {glue:text}`probe_mde:.2g` in r (the median smallest detectable Δr, at 80% power) would
# likely have gone unseen. Features that a caption
# would name are the ones to watch: if the video model moved towards the language model's
# geometry, those should become easier to read out.
#
# ## Where the model looks: attention rollout
#
# The rollout maps of the pretrained and the fine-tuned backbone on the same test clips show
# whether fine-tuning moved the model's attention. On SocialWorld the generator records where
# each object is in every frame, so the share of attention on the two agents, against the
# background and the distractor object, can be measured.

# %% tags=["hide-input"]
# both backbones see clips of the frame count fine-tuning used
backbones = {"pretrained": pretrained_backbone(settings),
             "fine-tuned": str(merged_backbone(settings, run.path))}
n_clips = 4 if settings.name == "ci" else 8
# region shares where the benchmark records object boxes (SocialWorld)
rollout = benchmark_rollout(bench, backbones, split="test", max_clips=n_clips)
maps = rollout.maps
frames = load_clips([bench.videos.files[bench.split_indices("test")[0]]],
                    maps["pretrained"].shape[1])
style_frame(rollout.to_frame(), hide_index=True,
            caption=data_caption([bench], f"attention mass by region, {maps['pretrained'].shape[0]} test clips"),
            first=["model", "region", "mass", "enrichment"])

# %% tags=["remove-cell"]
glue(divergence=float(np.mean(rollout.divergence)), n_clips=int(maps["pretrained"].shape[0]),
     run_best_epoch=run.report.best_epoch)
if rollout.clip_mass:  # SocialWorld: where the objects are is known
    agents = rollout.mass_change("agents", n_boot=settings.n_boot, seed=0)
    glue(agents_claim=claim(agents["estimate"], agents["low"], agents["high"], unit="clips",
                            baseline=agents["baseline"]),
         agents_low=agents["low"], agents_high=agents["high"])
else:
    glue(agents_claim="was not measured (no object boxes)", agents_low=float("nan"),
         agents_high=float("nan"))

# %% mystnb={"figure": {"caption": "Attention rollout on four frames of one test clip: pretrained (top) and fine-tuned (bottom) backbone. Colour: the share of the rollout attention that falls on each patch, on one scale for both rows.", "name": "fig-rollout"}, "image": {"alt": "Frames of one test clip with the attention rollout map of the pretrained backbone overlaid in the first row and of the fine-tuned backbone in the second row."}} tags=["hide-input"]
fig = plots.rollout_figure(frames[0], {name: m[0] for name, m in maps.items()}, n_show=4)
plt.show()

# %% [markdown]
# The mean divergence between the two models' maps over {glue:text}`n_clips` test clips
# (one minus the correlation of the maps) is {glue:text}`divergence:.3g` (the fine-tuned run's
# best epoch was number {glue:text}`run_best_epoch`, counting from 0). The share of rollout mass
# on the two agents {glue:text}`agents_claim` after fine-tuning (fine-tuned minus
# pretrained); the table gives the share of attention mass on
# each region against its share of the frame's area (enrichment above 1 means the region draws
# more attention than its size alone would).
#
# ## Action retention
#
# Finally, a logistic-regression probe for SocialWorld's action labels is trained on clips that
# neither the backbone's pretraining nor the fine-tuning saw, once on the pretrained backbone's
# features and once on the fine-tuned backbone's; the difference in held-out accuracy, with a
# bootstrap interval over test clips, shows how much of the original skill survived.

# %% tags=["hide-input"]
retention = action_retention(action_set(settings), backbones["pretrained"],
                             backbones["fine-tuned"], n_boot=settings.n_boot, seed=0)
ret = retention.to_dict()
style_frame(retention.to_frame().assign(model=["pretrained", "fine-tuned", "fine-tuned − pretrained"])
            .set_index("model"),
            caption=f"SocialWorld action clips (synthetic, new to both backbones): {retention.n_test} test clips")

# %% tags=["remove-cell"]
acc_before = ret["accuracy"][retention.names[0]]["estimate"]
glue(retention_claim=claim(ret["difference"]["estimate"], ret["difference"]["low"],
                           ret["difference"]["high"], unit="test clips", baseline=acc_before),
     acc_before=acc_before, acc_after=ret["accuracy"][retention.names[1]]["estimate"],
     retention_low=ret["difference"]["low"], retention_high=ret["difference"]["high"],
     chance=retention.chance, n_test=retention.n_test)

# %% [markdown]
# Held-out action accuracy is {glue:text}`acc_before:.1%` with the pretrained backbone and
# {glue:text}`acc_after:.1%` after fine-tuning (chance {glue:text}`chance:.1%`, over
# {glue:text}`n_test` test clips): the accuracy {glue:text}`retention_claim`. Read the verdict
# with its size: on this few test clips a change must be about as large as the smallest
# detectable change it states before the test can see it, so "no detectable change" is not
# evidence that the skill survived intact. LoRA leaves the pretrained weights untouched and
# adds a low-rank change, which is one reason to expect the original skill to survive; only a
# larger action set can show how much of it did.
