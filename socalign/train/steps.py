"""Loss terms on embedded videos, in benchmark row indices (shared by both trainers)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from socalign.train.losses import LossConfig, rsa_loss, triplet_margin_loss


def positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of ``wanted`` ids inside the array ``ids`` (every id must be present).

    Parameters
    ----------
    ids : numpy.ndarray
        (n,) the ids held, e.g. the benchmark rows of embedded videos (unique).
    wanted : numpy.ndarray
        The ids to find, any shape.

    Returns
    -------
    numpy.ndarray
        For each wanted id, its position in ``ids`` (same shape as ``wanted``).

    Raises
    ------
    KeyError
        When a wanted id is missing from ``ids`` (an id above all of ``ids`` raises
        IndexError instead).
    """
    order = np.argsort(ids, kind="stable")
    found = order[np.searchsorted(ids, wanted, sorter=order)]
    if not np.array_equal(ids[found], wanted):
        raise KeyError("an id is missing from the embedded videos")
    return found


def triplet_term(
    loss: LossConfig, emb: torch.Tensor, ids: np.ndarray, triplets: np.ndarray, odd: np.ndarray
) -> torch.Tensor:
    """The triplet term for ``triplets`` (rows) given embeddings ``emb`` of videos ``ids``.

    Parameters
    ----------
    loss : LossConfig
        The loss settings; its :meth:`~socalign.train.losses.LossConfig.triplet_term` is
        applied.
    emb : torch.Tensor
        (n, D) embeddings of the videos ``ids``, in that order.
    ids : numpy.ndarray
        (n,) the benchmark rows of the embedded videos; every video of ``triplets`` is
        among them.
    triplets : numpy.ndarray
        (m, 3) video rows of the triplets scored.
    odd : numpy.ndarray
        (m,) the position (0, 1, 2) humans chose as the odd one.

    Returns
    -------
    torch.Tensor
        The scalar triplet loss.
    """
    pos = torch.as_tensor(positions(ids, triplets.ravel()).reshape(triplets.shape),
                          device=emb.device)
    odd_t = torch.as_tensor(odd, device=emb.device)
    return loss.triplet_term(emb[pos[:, 0]], emb[pos[:, 1]], emb[pos[:, 2]], odd_t)


def bank_triplet_term(
    loss: LossConfig,
    emb: torch.Tensor,
    batch: np.ndarray,
    bank: torch.Tensor,
    triplets: np.ndarray,
    odd: np.ndarray,
) -> torch.Tensor:
    """The triplet term of triplets that touch a batch, scored against an embedding bank.

    The same loss as :func:`triplet_term` on the bank with the batch's rows replaced by
    ``emb`` (to float rounding), computed from one (B, N) product of the batch with the bank
    instead of gathering three embedding rows per triplet: the triplets touching a batch grow
    with the trials per video, the product only with the videos (measured in
    ``benchmarks/finetune.py``). Gradients reach ``emb`` only; pairs of two bank videos are
    constants.

    Parameters
    ----------
    loss : LossConfig
        The loss settings (:meth:`~socalign.train.losses.LossConfig.triplet_term_from_similarities`).
    emb : torch.Tensor
        (B, D) embeddings of the batch's videos, with gradients.
    batch : numpy.ndarray
        (B,) their benchmark rows (distinct).
    bank : torch.Tensor
        (N, D) the embedding bank (every video's last embedding; no gradients).
    triplets : numpy.ndarray
        (m, 3) video rows of the triplets scored; each has at least one video of ``batch``.
    odd : numpy.ndarray
        (m,) the position (0, 1, 2) humans chose as the odd one.

    Returns
    -------
    torch.Tensor
        The scalar triplet loss.
    """
    device = emb.device
    batch_t = torch.as_tensor(batch, device=device)
    unit = F.normalize(bank.index_copy(0, batch_t, emb), dim=-1)
    rows = unit[batch_t] @ unit.T  # (B, N): every pair with a batch video
    slot = np.full(bank.shape[0], -1)
    slot[batch] = np.arange(len(batch))
    columns = []
    for a, b in ((1, 2), (0, 2), (0, 1)):  # column k: the pair without video k
        i, j = triplets[:, a], triplets[:, b]
        in_i, in_j = slot[i] >= 0, slot[j] >= 0
        row = np.where(in_i, slot[i], slot[j]).clip(0)
        col = np.where(in_i, j, i)
        value = rows[torch.as_tensor(row, device=device), torch.as_tensor(col, device=device)]
        outside = np.flatnonzero(~in_i & ~in_j)
        if len(outside):  # two bank videos: a constant
            with torch.no_grad():
                ii = torch.as_tensor(i[outside], device=device)
                jj = torch.as_tensor(j[outside], device=device)
                fixed = (unit[ii] * unit[jj]).sum(-1)
            value = value.index_put((torch.as_tensor(outside, device=device),), fixed)
        columns.append(value)
    similarity = torch.stack(columns, dim=1)
    return loss.triplet_term_from_similarities(similarity, torch.as_tensor(odd, device=device))


def rsa_term(
    rows: torch.Tensor,
    row_ids: np.ndarray,
    cols: torch.Tensor,
    col_ids: np.ndarray,
    similarity: np.ndarray,
    loss: LossConfig | None = None,
) -> torch.Tensor | None:
    """RSA between rows and cols over observed human pairs, each unordered pair once.

    Self-pairs are left out; a pair whose column video is also a row is kept only where the
    row's id is the smaller (the row videos are expected among the columns, so it appears
    twice otherwise).

    Parameters
    ----------
    rows : torch.Tensor
        (R, D) embeddings of the videos ``row_ids``.
    row_ids : numpy.ndarray
        (R,) their benchmark rows.
    cols : torch.Tensor
        (C, D) embeddings of the videos ``col_ids``.
    col_ids : numpy.ndarray
        (C,) their benchmark rows.
    similarity : numpy.ndarray
        (N, N) human similarity (NaN where unobserved); the dissimilarity is 1 - similarity.
    loss : LossConfig or None, default None
        The loss settings, whose :meth:`~socalign.train.losses.LossConfig.rsa_term` (a user's
        RSA function, if its kind has one) is applied; None: :func:`rsa_loss`.

    Returns
    -------
    torch.Tensor or None
        The scalar RSA loss; None when fewer than 3 pairs are observed (the step is
        skipped).
    """
    sim = similarity[np.ix_(row_ids, col_ids)]
    observed = np.isfinite(sim) & (row_ids[:, None] != col_ids[None, :])
    # a pair whose two videos are both rows appears twice: keep it where row id < col id
    both = np.isin(col_ids, row_ids)[None, :] & (row_ids[:, None] > col_ids[None, :])
    observed &= ~both
    if observed.sum() < 3:
        return None
    device = rows.device
    dissim = torch.as_tensor(1.0 - np.nan_to_num(sim), dtype=rows.dtype, device=device)
    term = rsa_loss if loss is None else loss.rsa_term
    return term(rows, cols, dissim, torch.as_tensor(observed, device=device))


def hard_triplets(
    rows: torch.Tensor,
    row_ids: np.ndarray,
    cols: torch.Tensor,
    col_ids: np.ndarray,
    similarity: np.ndarray,
    margin: float,
) -> torch.Tensor | None:
    """Budget-matched extra triplets: one per row video, mined from human similarity.

    For anchor a: positive = the column video humans judged most similar to a; negative = among
    videos judged less similar than the positive, the one the model puts closest to a (hardest).
    An anchor with fewer than 2 observed column videos, or none judged less similar than its
    positive, gives no triplet.

    Parameters
    ----------
    rows : torch.Tensor
        (R, D) embeddings of the anchor videos ``row_ids``.
    row_ids : numpy.ndarray
        (R,) their benchmark rows.
    cols : torch.Tensor
        (C, D) embeddings of the candidate videos ``col_ids`` (positives and negatives).
    col_ids : numpy.ndarray
        (C,) their benchmark rows.
    similarity : numpy.ndarray
        (N, N) human similarity (NaN where unobserved).
    margin : float
        The margin of :func:`~socalign.train.losses.triplet_margin_loss`.

    Returns
    -------
    torch.Tensor or None
        The scalar triplet margin loss over the mined triplets; None when no anchor gives
        one.
    """
    sim = similarity[np.ix_(row_ids, col_ids)].copy()
    sim[row_ids[:, None] == col_ids[None, :]] = np.nan
    model_sim = (torch.nn.functional.normalize(rows.detach(), dim=-1)
                 @ torch.nn.functional.normalize(cols.detach(), dim=-1).T).cpu().numpy()
    anchors, pos, neg = [], [], []
    for a in range(len(row_ids)):
        finite = np.isfinite(sim[a])
        if finite.sum() < 2:
            continue
        p = int(np.nanargmax(sim[a]))
        lower = finite & (sim[a] < sim[a, p])
        if not lower.any():
            continue
        candidates = np.flatnonzero(lower)
        n = int(candidates[np.argmax(model_sim[a, candidates])])
        anchors.append(a)
        pos.append(p)
        neg.append(n)
    if not anchors:
        return None
    a_t = torch.as_tensor(anchors, device=rows.device)
    return triplet_margin_loss(rows[a_t], cols[torch.as_tensor(pos, device=rows.device)],
                               cols[torch.as_tensor(neg, device=rows.device)], margin)
