# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["remove-cell"]
# On Google Colab, install socalign first (elsewhere this cell does nothing).
# ruff: noqa: E402  (a notebook: imports follow text cells)
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "socalign[all] @ git+https://github.com/socalign/socalign"],
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

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from socalign import plots
from socalign.analyses.gap import model_embeddings
from socalign.analyses.probes import probe_benchmark, probe_change
from socalign.analyses.retention import action_retention
from socalign.analyses.rollout import benchmark_rollout
from socalign.book import change_word, glue, profile_settings
from socalign.data import load_dataset
from socalign.embeddings import load_embeddings
from socalign.profiles import (
    action_set,
    finetuned_run,
    merged_backbone,
    socialworld_benchmark,
    use_garcia2025,
    video_model,
)

settings = profile_settings(profile)
dataset = socialworld_benchmark(settings)
real = use_garcia2025(settings)
if settings.name == "paper" and real is not None:
    dataset = real
bench = load_dataset(dataset)
run = finetuned_run(settings, dataset, loss="hybrid", seed=settings.seeds[0])  # cached (ch. 3)
language = settings.language_models[0]

# %% [markdown]
# ## Linear probes of social features
#
# For each rated feature, a ridge regression is fit on the training videos' embeddings (its
# penalty chosen by cross-validation inside the training videos) and tested on the held-out
# videos: the score is the Pearson correlation between predicted and rated values, with a
# permutation p-value and a bootstrap interval over test videos.

# %%
features = {
    "video (pretrained)": load_embeddings(run / "embeddings_before.npz", bench.videos),
    "video (fine-tuned)": load_embeddings(run / "embeddings_after.npz", bench.videos),
    f"language ({language})": model_embeddings(bench, language),
}
probes = [probe_benchmark(bench, X, embedding=name, n_perm=settings.n_perm,
                          n_boot=settings.n_boot, seed=0)
          for name, X in features.items()]
probe_table = pd.concat([p.to_frame() for p in probes])
probe_table.style.format(precision=3).hide(axis="index")

# %% mystnb={"image": {"alt": "Grouped bar chart of held-out Pearson correlation for each rated social feature, comparing pretrained video, fine-tuned video and language embeddings."}, "figure": {"caption": "Held-out linear decoding of each rated feature (Pearson r between predicted and rated values on test videos).", "name": "fig-probes"}}
fig, ax = plt.subplots(figsize=(8, 3.4))
plots.probe_bars(probes, ax=ax)
plt.tight_layout()
plt.show()

# %%
changes = probe_change(bench, features["video (pretrained)"], features["video (fine-tuned)"],
                       n_boot=settings.n_boot, seed=0)
change_table = pd.DataFrame([c.to_dict() for c in changes]).rename(columns={
    "before": "r pretrained", "after": "r fine-tuned", "difference": "Δr", "low": "Δr low",
    "high": "Δr high"})[["attribute", "r pretrained", "r fine-tuned", "Δr", "Δr low", "Δr high"]]
rose = [c.attribute for c in changes if c.rose]
fell = [c.attribute for c in changes if c.high < 0]
glue(n_rose=len(rose), n_fell=len(fell), n_attr=len(changes),
     rose_list=", ".join(rose) or "none", fell_list=", ".join(fell) or "none",
     probe_nboot=settings.n_boot)
change_table.style.format(precision=3).hide(axis="index")

# %% [markdown]
# For the paper's five attributes the table compares the two probes on the same test videos:
# the interval of Δr comes from {glue:text}`probe_nboot` paired resamples of the test videos. A
# rise counts only where that interval lies above 0: held-out decoding rose for
# {glue:text}`n_rose` of the {glue:text}`n_attr` attributes ({glue:text}`rose_list`) and fell
# for {glue:text}`n_fell` ({glue:text}`fell_list`); for the others there is no detectable
# change. Features that a caption
# would name are the ones to watch: if the video model moved towards the language model's
# geometry, those should become easier to read out.
#
# ## Where the model looks: attention rollout
#
# The rollout maps of the pretrained and the fine-tuned backbone on the same test clips show
# whether fine-tuning moved the model's attention. On SocialWorld the generator records where
# each object is in every frame, so the share of attention on the two agents, against the
# background and the distractor object, can be measured.

# %%
import json

from socalign.video import load_clips

backbones = {"pretrained": video_model(settings), "fine-tuned": str(merged_backbone(settings, run))}
n_clips = 4 if settings.name == "ci" else 8
# region shares (agents, distractor) where the benchmark records object boxes (SocialWorld)
rollout = benchmark_rollout(bench, backbones, split="test", max_clips=n_clips)
maps = rollout.maps
frames = load_clips([bench.videos.files[bench.split_indices("test")[0]]],
                    maps["pretrained"].shape[1])
best_epoch = json.loads((run / "report.json").read_text())["training"]["best_epoch"]
glue(divergence=float(np.mean(rollout.divergence)), n_clips=int(maps["pretrained"].shape[0]),
     run_best_epoch=best_epoch)
if rollout.clip_mass:  # SocialWorld: where the objects are is known
    agents = rollout.mass_change("agents", n_boot=settings.n_boot, seed=0)
    glue(agents_change=agents["estimate"], agents_low=agents["low"], agents_high=agents["high"],
         agents_word=change_word(agents["low"], agents["high"]))
else:
    glue(agents_change=float("nan"), agents_low=float("nan"), agents_high=float("nan"),
         agents_word="was not measured (no object boxes)")
rollout.to_frame()

# %% mystnb={"image": {"alt": "Frames of one test clip with the attention rollout map of the pretrained backbone overlaid in the first row and of the fine-tuned backbone in the second row."}, "figure": {"caption": "Attention rollout on one test clip: pretrained (top) and fine-tuned (bottom) backbone.", "name": "fig-rollout"}}
n_show = frames.shape[1]
fig, axes = plt.subplots(2, n_show, figsize=(1.6 * n_show, 3.8), squeeze=False)
for row, name in enumerate(maps):
    plots.rollout_overlay(frames[0], maps[name][0], axes=axes[row])
    axes[row][0].set_title(f"{name}: frame 0", fontsize=7)
plt.show()

# %% [markdown]
# The mean divergence between the two models' maps over {glue:text}`n_clips` test clips
# (one minus the correlation of the maps) is {glue:text}`divergence:.3f` (the fine-tuned run's
# best epoch was number {glue:text}`run_best_epoch`, counting from 0). The share of rollout mass
# on the two agents {glue:text}`agents_word` after fine-tuning (fine-tuned minus pretrained
# {glue:text}`agents_change:.3f`, 95% interval {glue:text}`agents_low:.3f` to
# {glue:text}`agents_high:.3f`, resampling clips); the table gives the share of attention mass on
# each region against its share of the frame's area (enrichment above 1 means the region draws
# more attention than its size alone would).
#
# ## Action retention
#
# Finally, a logistic-regression probe for SocialWorld's action labels is trained on clips that
# neither the backbone's pretraining nor the fine-tuning saw, once on the pretrained backbone's
# features and once on the fine-tuned backbone's; the difference in held-out accuracy, with a
# bootstrap interval over test clips, shows how much of the original skill survived.

# %%
retention = action_retention(action_set(settings), backbones["pretrained"],
                             backbones["fine-tuned"], n_boot=settings.n_boot, seed=0)
ret = retention.to_dict()
glue(retention_word=change_word(ret["difference"]["low"], ret["difference"]["high"]),
     acc_before=ret["accuracy"][retention.names[0]]["estimate"],
     acc_after=ret["accuracy"][retention.names[1]]["estimate"],
     acc_diff=ret["difference"]["estimate"], acc_low=ret["difference"]["low"],
     acc_high=ret["difference"]["high"], chance=retention.chance, n_test=retention.n_test)
retention.to_frame().assign(model=["pretrained", "fine-tuned", "fine-tuned - pretrained"])

# %% [markdown]
# Held-out action accuracy is {glue:text}`acc_before:.1%` with the pretrained backbone and
# {glue:text}`acc_after:.1%` after fine-tuning (chance {glue:text}`chance:.1%`; difference
# {glue:text}`acc_diff:.3f`, 95% interval {glue:text}`acc_low:.3f` to
# {glue:text}`acc_high:.3f` over {glue:text}`n_test` test clips): the accuracy
# {glue:text}`retention_word`. LoRA leaves the pretrained
# weights untouched and adds a low-rank change, which is one reason to expect the original
# skill to survive; this is the measurement that checks it.
