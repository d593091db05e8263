"""The ``paper`` trainer: the released protocol.

Each step takes ``triplets_per_step`` human triplets and embeds their videos; ``rsa_steps_per_epoch``
times per epoch an RSA step runs on a ``rsa_subset``-video sample, ``rsa_grad_videos`` of them
with gradients and the rest without. RSA-only replaces every triplet step by an RSA step;
triplet-only has no RSA steps; ``budget`` (the budget-matched triplet control) replaces each RSA
step by a step on hard triplets mined among the same videos, so it takes as many optimizer steps
and embeds the same videos as ``hybrid`` (socalign's reading of "budget-matched", see
:class:`~socalign.train.losses.LossConfig`); ``distilled`` runs exactly as ``hybrid`` on other
targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from socalign.train.steps import hard_triplets, rsa_term, triplet_term
from socalign.train.trainers import Context, embed, optimizer_step, register


def rsa_schedule(n_steps: int, n_rsa: int) -> np.ndarray:
    """How many RSA steps follow each triplet step (spread evenly over the epoch).

    Parameters
    ----------
    n_steps : int
        The epoch's triplet steps.
    n_rsa : int
        The RSA steps to spread among them (0: none).

    Returns
    -------
    numpy.ndarray
        (n_steps,) int64 counts summing to ``n_rsa`` (all zero when ``n_steps`` or
        ``n_rsa`` is 0).
    """
    counts = np.zeros(n_steps, dtype=np.int64)
    if n_rsa and n_steps:
        at = np.floor((np.arange(n_rsa) + 0.5) * n_steps / n_rsa).astype(np.int64)
        np.add.at(counts, at, 1)
    return counts


def _subset_step(ctx: Context, epoch: int, step: int, rng: np.random.Generator) -> dict[str, float]:
    """An RSA (or budget-matched hard-triplet) step on a random subset of fit videos."""
    cfg, data = ctx.config, ctx.data
    size = min(cfg.rsa_subset, len(data.fit_videos))
    chosen = rng.choice(data.fit_videos, size=size, replace=False)
    n_grad = max(min(cfg.rsa_grad_videos, size - 1), ctx.world)
    grad_ids, rest_ids = chosen[:n_grad], chosen[n_grad:]
    with_grad = embed(ctx, grad_ids, grad=True)
    with torch.no_grad():
        rest = embed(ctx, rest_ids, grad=False) if len(rest_ids) >= ctx.world else with_grad[:0]
    cols = torch.cat([with_grad, rest])
    col_ids = np.concatenate([grad_ids, rest_ids[: len(rest)]])
    if cfg.loss.uses_hard:
        term = hard_triplets(with_grad, grad_ids, cols, col_ids, data.fit_similarity,
                             cfg.loss.margin)
        weight, key = cfg.loss.triplet_weight(), "hard"
    else:
        term = rsa_term(cols, col_ids, cols, col_ids, data.fit_similarity, cfg.loss)
        weight, key = cfg.loss.rsa_weight(epoch), "rsa"
    if term is None:
        return {}
    optimizer_step(ctx, weight * term, epoch, step)
    return {key: float(term.detach())}


@register("paper")
def run_epoch(ctx: Context, epoch: int, rng: np.random.Generator) -> dict[str, Any]:
    """One epoch of the paper protocol; returns mean loss terms and step counts.

    Parameters
    ----------
    ctx : Context
        The running state (model, inputs, training set, configuration, optimizer, bank).
    epoch : int
        The epoch's index, from 0 (it sets the RSA weight's schedule and is passed to
        :func:`~socalign.train.trainers.optimizer_step` and ``ctx.on_step``).
    rng : numpy.random.Generator
        The run's ``"epoch"`` stream of this epoch: draws the order of the fit triplets and
        the video subsets of the RSA (or budget-matched hard-triplet) steps.

    Returns
    -------
    dict of str to Any
        The mean ``loss``, ``triplet``, ``rsa`` and ``hard`` terms over the epoch's steps
        (NaN for a term that never ran) and ``steps``, the number of optimizer steps
        attempted (triplet and RSA steps together).
    """
    cfg, data = ctx.config, ctx.data
    order = rng.permutation(len(data.triplets))
    n_steps = -(-len(order) // cfg.triplets_per_step)
    if cfg.max_steps_per_epoch is not None:
        n_steps = min(n_steps, cfg.max_steps_per_epoch)
    # the subset steps among the triplet steps: hybrid's RSA steps (budget: the hard-triplet
    # steps in their place); none for triplet-only, whose RSA weight is 0 (a step on a 0-weight
    # loss would still move AdamW's moments), nor for RSA-only, whose every step is one
    between = cfg.loss.uses_triplet and (cfg.loss.uses_rsa or cfg.loss.uses_hard)
    extra = rsa_schedule(n_steps, cfg.rsa_steps_per_epoch if between else 0)
    sums: dict[str, list[float]] = {"loss": [], "triplet": [], "rsa": [], "hard": []}
    step = 0
    for s in range(n_steps):
        if not cfg.loss.uses_triplet:  # RSA only: every step a subset step
            result = _subset_step(ctx, epoch, step, rng)
            for key, value in result.items():
                sums[key].append(value)
                sums["loss"].append(value)
        else:
            picked = order[s * cfg.triplets_per_step : (s + 1) * cfg.triplets_per_step]
            trip, odd = data.triplets[picked], data.odd[picked]
            ids = np.unique(trip)
            emb = embed(ctx, ids, grad=True)
            term = triplet_term(cfg.loss, emb, ids, trip, odd)
            sums["loss"].append(optimizer_step(ctx, cfg.loss.triplet_weight() * term, epoch, step))
            sums["triplet"].append(float(term.detach()))
        if ctx.on_step is not None:
            ctx.on_step(epoch, step)
        step += 1
        for _ in range(int(extra[s])):
            for key, value in _subset_step(ctx, epoch, step, rng).items():
                sums[key].append(value)
            step += 1
    stats = {k: float(np.mean(v)) if v else float("nan") for k, v in sums.items()}
    stats["steps"] = step
    return stats
