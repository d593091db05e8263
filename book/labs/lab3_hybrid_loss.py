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
# # Lab 3: The hybrid loss
#
# The paper fine-tunes a video model with two terms (chapter 3): a **triplet term** on each
# judgment (the two videos a person kept together should be closer than either is to the odd
# one, by a margin) and an **RSA term** on the whole structure (the model's pair distances
# should correlate with people's dissimilarities). In this lab you write both as plain torch
# functions, check them against socalign's on fixed inputs, then hand them to socalign's
# trainer with `register_loss` and fine-tune the toy video model for a short schedule.
#
# Solutions are folded under each exercise; the student version (`socalign labs assign --out
# DIR`) has `...` in their place and a `grader.check("q1")` cell that tests your answer.

# %% tags=["parameters"]
profile = "demo"  # the build replaces this line (papermill): "demo", "paper" or "ci"
overrides = {}  # the build's --set/--videos changes to the profile (papermill)

# %%
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from IPython.display import display
from scipy import stats

from socalign.book import claim, data_line, profile_settings, use_page_format
from socalign.book.artifacts import video_model
from socalign.book.labs import lab_finetune_benchmark, lab_videos
from socalign.train import losses
from socalign.train.kinds import LOSSES, register_loss
from socalign.train.run import finetune

settings = profile_settings(profile, **overrides)
use_page_format()  # three significant digits in every table below
dataset, bench = lab_finetune_benchmark(settings)  # fine-tuning needs videos
display(data_line([bench], "fine-tuning and its held-out gain"))
generator = torch.Generator().manual_seed(0)  # fixed inputs for the checks below
anchor, positive, negative = torch.randn(3, 64, 16, generator=generator, dtype=torch.float64)
print(len(bench.videos), "videos; fixed inputs: 64 triplets of 16-dimensional embeddings")

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q1

# %% [markdown]
# ## Exercise 1: the triplet term
#
# ```{admonition} Exercise 1
# Write `cosine_distance(a, b)`, the row-wise cosine distance $1 - \cos(a_i, b_i)$, and
# `triplet_hinge(kept, odd, margin)`, the mean over triplets of
# $\max(0, d_\text{kept} - d_\text{odd} + \text{margin})$, where $d_\text{kept}$ is the
# distance between the two videos kept together (anchor and positive) and $d_\text{odd}$ the
# distance between the anchor and the odd one. Check
# `triplet_hinge(cosine_distance(anchor, positive), cosine_distance(anchor, negative), 0.2)`
# against `losses.triplet_margin_loss(anchor, positive, negative, 0.2)`.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
def cosine_distance(a, b):
    # BEGIN SOLUTION
    return 1.0 - F.cosine_similarity(a, b, dim=-1)
    # END SOLUTION


def triplet_hinge(kept, odd, margin):
    # BEGIN SOLUTION
    return torch.clamp(kept - odd + margin, min=0.0).mean()
    # END SOLUTION


mine = triplet_hinge(cosine_distance(anchor, positive), cosine_distance(anchor, negative), 0.2)
print(f"yours {float(mine):.6f} | socalign's "
      f"{float(losses.triplet_margin_loss(anchor, positive, negative, 0.2)):.6f}")

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert torch.allclose(cosine_distance(anchor, positive), losses.cosine_distance(anchor, positive))
assert torch.isclose(triplet_hinge(cosine_distance(anchor, positive),
                                   cosine_distance(anchor, negative), 0.2),
                     losses.triplet_margin_loss(anchor, positive, negative, 0.2))
assert float(triplet_hinge(torch.zeros(4), torch.ones(4), 0.2)) == 0.0  # far enough: no loss
assert np.isclose(float(triplet_hinge(torch.ones(4), torch.zeros(4), 0.2)), 1.2)

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q2

# %% [markdown]
# ## Exercise 2: the RSA term
#
# ```{admonition} Exercise 2
# Write `rsa_term(model_distance, human_dissimilarity)`: minus the Pearson correlation of two
# vectors of pair values (z-score each with its population standard deviation, then average
# the products), a loss that is lowest when the model's distances follow people's. Check it
# against `losses.rsa_loss_pairs` and against `scipy.stats.pearsonr` on the pairs of the fixed
# inputs below, and check that a gradient reaches the model's distances.
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
def rsa_term(model_distance, human_dissimilarity):
    # BEGIN SOLUTION
    zm = (model_distance - model_distance.mean()) / model_distance.std(unbiased=False)
    zh = (human_dissimilarity - human_dissimilarity.mean()) / human_dissimilarity.std(unbiased=False)
    return -(zm * zh).mean()
    # END SOLUTION


distance = cosine_distance(anchor, positive).requires_grad_(True)
human = torch.rand(64, generator=generator, dtype=torch.float64)
value = rsa_term(distance, human)
value.backward()
pd.DataFrame([{"yours": float(value.detach()),
               "socalign": float(losses.rsa_loss_pairs(distance, human).detach()),
               "-pearsonr": -stats.pearsonr(distance.detach(), human).statistic,
               "gradient reached": bool(distance.grad.abs().sum() > 0)}])

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
pairs = cosine_distance(anchor, negative).detach().requires_grad_(True)
assert torch.isclose(rsa_term(pairs, human), losses.rsa_loss_pairs(pairs, human), atol=1e-6)
assert np.isclose(-float(rsa_term(pairs, human)), stats.pearsonr(pairs.detach(), human).statistic)
rsa_term(pairs, human).backward()
assert pairs.grad is not None and float(pairs.grad.abs().sum()) > 0

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [raw] tags=["remove-cell"]
# # BEGIN QUESTION
# name: q3

# %% [markdown]
# ## Exercise 3: your loss in socalign's trainer
#
# ```{admonition} Exercise 3
# Register your two functions as a loss kind with
# `register_loss("lab3", triplet=triplet_hinge, rsa=rsa_term)` (it keeps the paper's weights
# and schedule, and returns the name to train with) and call the name `kind`. Fine-tune the
# toy model on the training videos with `finetune(dataset, run, config, backbone=...)` for the
# short schedule below, inside the `with lab_videos(...)` block (it attaches the paper
# profile's videos; SocialWorld needs nothing), keep its report in `report`, and read the
# held-out gain in R² with its paired 95% interval (`report.gain_of("r2")`). Did the short run change the alignment?
# ```

# %% mystnb={"code_prompt_hide": "Hide the solution", "code_prompt_show": "Solution"} tags=["hide-cell"]
# Solution
short = {"epochs": min(settings.train_config().epochs, 3)}  # a short schedule: minutes on a CPU
run = Path(tempfile.mkdtemp(prefix="socalign-lab3-")) / "run"
kind = register_loss("lab3", triplet=triplet_hinge, rsa=rsa_term)  # SOLUTION
config = settings.train_config(loss_kind=kind, **short)
with lab_videos(settings, dataset):  # the paper profile's videos sit outside the benchmark
    report = finetune(dataset, run, config, backbone=video_model(settings),  # SOLUTION
                      n_boot=settings.n_boot, progress=False)  # SOLUTION NO PROMPT
gain = report.gain_of("r2")
print(f"loss {kind}: {LOSSES[kind].description}")
print(f"held-out R² {report.before['r2']:.3g} before, {report.after['r2']:.3g} after; gain "
      f"{gain.estimate:.3g} [{gain.low:.3g}, {gain.high:.3g}] (paired 95% interval, "
      f"{gain.n_boot} resamples of {gain.unit})")
print(claim(gain.estimate, gain.low, gain.high))

# %% [raw] tags=["remove-cell"]
# # BEGIN TESTS

# %% tags=["remove-cell"]
assert LOSSES[kind].triplet_fn is triplet_hinge and LOSSES[kind].rsa_fn is rsa_term
assert report.config["loss"]["kind"] == kind  # the run records the loss it trained with
assert report.gain_of("r2").low <= report.gain_of("r2").estimate <= report.gain_of("r2").high

# %% [raw] tags=["remove-cell"]
# # END TESTS

# %% [raw] tags=["remove-cell"]
# # END QUESTION

# %% [markdown]
# The run's configuration records the loss by the name `register_loss` returned (your name
# and a digest of your functions' code), so `socalign` refuses to resume it with another loss,
# or in a session where your functions were not registered. With a short schedule on a small
# benchmark the interval is wide: read the printed verdict, which follows the interval, not
# the sign of the estimate. Chapter 3 trains the full schedule over several seeds.
