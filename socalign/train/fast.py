"""The ``fast`` trainer: video-centric steps against an embedding bank.

Each step embeds a batch of unique fit videos once, with gradients. Every training triplet that
touches the batch is scored with the batch's fresh embeddings and the bank's (detached)
embeddings of its other videos; the RSA term correlates the batch-to-all-fit-videos distances
with human dissimilarity. The bank row of a video is refreshed when it passes through a batch.
An epoch embeds each fit video once (plus one bank fill at the start of training, and one
at the start of every epoch with ``bank_refresh="epoch"``). With ``batch_order="graph"`` the
batches are grown along the triplet graph (:func:`graph_batches`) instead of cut from a
permutation.

Every loss kind takes the same steps on the same batches: ``budget`` (the budget-matched
triplet control) adds, in each batch's step, hard triplets mined among the batch-to-fit pairs
the RSA term would have used, so it embeds the same videos in as many optimizer steps as
``hybrid``; ``distilled`` runs exactly as ``hybrid`` on other targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from socalign.train.data import triplets_touching
from socalign.train.steps import bank_triplet_term, hard_triplets, rsa_term
from socalign.train.trainers import Context, embed, optimizer_step, register


def video_batches(order: np.ndarray, size: int, minimum: int) -> list[np.ndarray]:
    """Consecutive batches of ``size``; a last batch smaller than ``minimum`` joins the previous.

    Parameters
    ----------
    order : numpy.ndarray
        The videos (benchmark rows) in the order they are batched.
    size : int
        Videos per batch.
    minimum : int
        The smallest last batch kept on its own.

    Returns
    -------
    list of numpy.ndarray
        The batches, in order; together they hold every video of ``order`` once.
    """
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    if len(batches) > 1 and len(batches[-1]) < minimum:
        batches[-2] = np.concatenate([batches[-2], batches.pop()])
    return batches


def co_occurrence(triplets: np.ndarray, n_videos: int) -> np.ndarray:
    """(N, N) count of the triplets each pair of videos shares (zero diagonal).

    Parameters
    ----------
    triplets : numpy.ndarray
        (m, 3) video rows 0..n_videos-1.
    n_videos : int
        The number of videos N.

    Returns
    -------
    numpy.ndarray
        (N, N) int64, symmetric.
    """
    counts = np.zeros((n_videos, n_videos), dtype=np.int64)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        np.add.at(counts, (triplets[:, a], triplets[:, b]), 1)
    counts = counts + counts.T
    np.fill_diagonal(counts, 0)
    return counts


def graph_batches(
    videos: np.ndarray, weights: np.ndarray, size: int, minimum: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Batches grown along the triplet graph: each covers many triplets whole.

    A batch starts at the first unused video of a seeded permutation and adds, one at a time,
    the unused video sharing the most triplets with the batch so far (ties: permutation order).
    Every video lands in exactly one batch; a last batch smaller than ``minimum`` joins the
    previous one (as in :func:`video_batches`).

    Parameters
    ----------
    videos : numpy.ndarray
        The fit videos (benchmark rows).
    weights : numpy.ndarray
        (N, N) pair weights, e.g. :func:`co_occurrence` of the fit triplets.
    size, minimum : int
        Batch size, and the smallest last batch kept on its own.
    rng : numpy.random.Generator
        Draws the permutation.

    Returns
    -------
    list of numpy.ndarray
        The batches, in order.
    """
    order = rng.permutation(np.asarray(videos))
    sub = weights[np.ix_(order, order)].astype(np.float64)
    unused = np.ones(len(order), dtype=bool)
    # ties go to the earlier video of the permutation: a tiny decreasing bonus
    bonus = -np.arange(len(order)) / (len(order) + 1.0) * 1e-3
    batches = []
    while unused.any():
        first = int(np.flatnonzero(unused)[0])
        members, unused[first] = [first], False
        link = sub[first].copy()
        while len(members) < size and unused.any():
            scores = np.where(unused, link + bonus, -np.inf)
            pick = int(np.argmax(scores))
            members.append(pick)
            unused[pick] = False
            link += sub[pick]
        batches.append(order[np.array(members)])
    if len(batches) > 1 and len(batches[-1]) < minimum:
        batches[-2] = np.concatenate([batches[-2], batches.pop()])
    return batches


def fill_bank(ctx: Context) -> torch.Tensor:
    """Embed every fit video without gradients (eval mode) into an (N, D) bank."""
    fit = ctx.data.fit_videos
    was_training = ctx.model.training
    ctx.model.eval()
    with torch.no_grad():
        emb = embed(ctx, fit, grad=False)
    ctx.model.train(was_training)
    bank = torch.zeros(ctx.data.n_videos, emb.shape[1], device=emb.device, dtype=emb.dtype)
    bank[torch.as_tensor(fit, device=emb.device)] = emb
    return bank


@register("fast")
def run_epoch(ctx: Context, epoch: int, rng: np.random.Generator) -> dict[str, Any]:
    """One epoch: each fit video once, in a seeded order, ``batch_videos`` per step.

    Parameters
    ----------
    ctx : Context
        The running state (model, inputs, training set, configuration, optimizer, bank).
    epoch : int
        The epoch's index, from 0: it sets the RSA weight's schedule, refills the bank when
        above 0 with ``bank_refresh="epoch"``, and is passed to
        :func:`~socalign.train.trainers.optimizer_step` and ``ctx.on_step``.
    rng : numpy.random.Generator
        The run's ``"epoch"`` stream of this epoch: draws the order of the fit videos (or the
        permutation :func:`graph_batches` grows its batches from).

    Returns
    -------
    dict of str to Any
        The mean ``loss``, ``triplet``, ``rsa`` and ``hard`` terms over the epoch's steps
        (NaN for a term that never ran) and ``steps``, the number of batches.
    """
    cfg, data = ctx.config, ctx.data
    if ctx.bank is None or (cfg.bank_refresh == "epoch" and epoch > 0):
        ctx.bank = fill_bank(ctx)
    fit = data.fit_videos
    fit_t = torch.as_tensor(fit, device=ctx.bank.device)
    if cfg.batch_order == "graph":
        if "co_occurrence" not in ctx.fit_index:
            ctx.fit_index["co_occurrence"] = co_occurrence(data.triplets, data.n_videos)
        batches = graph_batches(fit, ctx.fit_index["co_occurrence"], cfg.batch_videos,
                                max(2, ctx.world), rng)
    else:
        batches = video_batches(rng.permutation(fit), cfg.batch_videos, max(2, ctx.world))
    if cfg.max_steps_per_epoch is not None:
        batches = batches[: cfg.max_steps_per_epoch]
    sums: dict[str, list[float]] = {"loss": [], "triplet": [], "rsa": [], "hard": []}
    for step, batch in enumerate(batches):
        emb = embed(ctx, batch, grad=True)
        batch_t = torch.as_tensor(batch, device=emb.device)
        every = ctx.bank.index_copy(0, batch_t, emb)
        total = emb.new_zeros(())
        if cfg.loss.uses_triplet:
            touched = triplets_touching(data.triplets, batch, data.n_videos)
            if len(touched):
                term = bank_triplet_term(cfg.loss, emb, batch, ctx.bank, data.triplets[touched],
                                         data.odd[touched])
                total = total + cfg.loss.triplet_weight() * term
                sums["triplet"].append(float(term.detach()))
        if cfg.loss.uses_rsa:
            term = rsa_term(emb, batch, every[fit_t], fit, data.fit_similarity, cfg.loss)
            if term is not None:
                total = total + cfg.loss.rsa_weight(epoch) * term
                sums["rsa"].append(float(term.detach()))
        if cfg.loss.uses_hard:  # budget-matched: hard triplets among the same videos
            term = hard_triplets(emb, batch, every[fit_t], fit, data.fit_similarity,
                                 cfg.loss.margin)
            if term is not None:
                total = total + cfg.loss.triplet_weight() * term
                sums["hard"].append(float(term.detach()))
        if total.requires_grad:
            sums["loss"].append(optimizer_step(ctx, total, epoch, step))
        with torch.no_grad():
            ctx.bank[batch_t] = emb.detach()
        if ctx.on_step is not None:
            ctx.on_step(epoch, step)
    stats = {k: float(np.mean(v)) if v else float("nan") for k, v in sums.items()}
    stats["steps"] = len(batches)
    return stats
