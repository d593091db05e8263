"""Losses of behaviour-guided fine-tuning: triplet margin, OOO softmax, RSA, and their hybrid.

All take L2-normalised embeddings (torch tensors) and are batched and differentiable. The loss
kinds a run can train with (the paper's hybrid, its ablations and its controls) are one table,
:data:`LOSSES` (defined in :mod:`socalign.train.kinds`, which imports no torch, so that the
command line can offer it as ``socalign finetune --loss`` without loading torch).

A loss of your own: :func:`register_loss` (from :mod:`socalign.train.kinds`) adds a kind whose
triplet and/or RSA term is your function; :class:`LossConfig` calls it wherever the trainers
compute that term (:meth:`LossConfig.triplet_term`,
:meth:`LossConfig.triplet_term_from_similarities`, :meth:`LossConfig.rsa_term`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from socalign.train.kinds import DEFAULT_LOSS, LOSSES, LossKind, register_loss

__all__ = ["LOSSES", "TRIPLET_KINDS", "LossConfig", "LossKind", "cosine_distance",
           "margin_hinge", "ooo_cross_entropy", "ooo_softmax_loss", "pearson", "register_loss",
           "rsa_loss", "rsa_loss_pairs", "split_kept_and_odd", "triplet_margin_loss"]

TRIPLET_KINDS = ("margin", "softmax")


def cosine_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine distance 1 - cos(a_i, b_i).

    Parameters
    ----------
    a, b : torch.Tensor
        (n, D) embeddings (any matching leading shape; the cosine is over the last axis).

    Returns
    -------
    torch.Tensor
        (n,) distances in [0, 2].
    """
    return 1.0 - F.cosine_similarity(a, b, dim=-1)


def triplet_margin_loss(
    anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 0.2
) -> torch.Tensor:
    """Mean of max(0, d(a, p) - d(a, n) + margin) on cosine distance.

    The two videos humans kept together are anchor and positive; the odd one is the negative.

    Parameters
    ----------
    anchor, positive, negative : torch.Tensor
        (n, D) embeddings of the triplets' three videos, n >= 1.
    margin : float, default 0.2
        The margin by which the negative should be farther from the anchor than the positive.

    Returns
    -------
    torch.Tensor
        The scalar mean hinge loss.
    """
    if anchor.shape[0] == 0:
        raise ValueError("triplet_margin_loss needs at least one triplet")
    return margin_hinge(cosine_distance(anchor, positive), cosine_distance(anchor, negative), margin)


def margin_hinge(kept: torch.Tensor, odd: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean of max(0, kept - odd + margin): the margin loss on distances.

    Parameters
    ----------
    kept : torch.Tensor
        (n,) distance between the two videos humans kept together (anchor and positive).
    odd : torch.Tensor
        (n,) distance between the anchor and the odd one (the negative).
    margin : float
        How much farther the odd one should be.

    Returns
    -------
    torch.Tensor
        The scalar mean hinge loss.
    """
    return torch.clamp(kept - odd + margin, min=0.0).mean()


def ooo_cross_entropy(similarity: torch.Tensor, odd: torch.Tensor,
                      temperature: float = 1.0) -> torch.Tensor:
    """The odd-one-out cross-entropy from each triplet's three pair similarities.

    Parameters
    ----------
    similarity : torch.Tensor
        (n, 3): column k is the cosine similarity of the two videos other than video k (the
        logit of "video k is the odd one").
    odd : torch.Tensor
        (n,) the position (0, 1, 2) humans chose as the odd one.
    temperature : float, default 1.0
        Divides the logits; must be positive.

    Returns
    -------
    torch.Tensor
        The scalar mean cross-entropy.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    return F.cross_entropy(similarity / temperature, odd.long())


def ooo_softmax_loss(
    first: torch.Tensor,
    second: torch.Tensor,
    third: torch.Tensor,
    odd: torch.Tensor,
    temperature: float = 1.0,
) -> torch.Tensor:
    """SPoSE-style odd-one-out cross-entropy.

    The logit of "video k is the odd one" is the cosine similarity of the other two videos
    (divided by ``temperature``).

    Parameters
    ----------
    first, second, third : torch.Tensor
        (n, D) embeddings of the three videos of each triplet, in the order shown.
    odd : torch.Tensor
        (n,) the position (0, 1, 2) humans chose as the odd one.
    temperature : float, default 1.0
        Divides the logits; must be positive.

    Returns
    -------
    torch.Tensor
        The scalar mean cross-entropy.
    """
    s12 = F.cosine_similarity(second, third, dim=-1)
    s02 = F.cosine_similarity(first, third, dim=-1)
    s01 = F.cosine_similarity(first, second, dim=-1)
    return ooo_cross_entropy(torch.stack([s12, s02, s01], dim=-1), odd, temperature)


def pearson(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of two vectors (the mean product of their z-scores).

    Parameters
    ----------
    x, y : torch.Tensor
        Vectors of the same shape, at least 2 long.

    Returns
    -------
    torch.Tensor
        The scalar correlation (differentiable; 1e-8 is added to each standard deviation).
    """
    if x.numel() < 2 or x.shape != y.shape:
        raise ValueError(f"pearson needs two equal vectors of length >= 2, got {x.shape}, {y.shape}")
    zx = (x - x.mean()) / (x.std(unbiased=False) + 1e-8)
    zy = (y - y.mean()) / (y.std(unbiased=False) + 1e-8)
    return (zx * zy).mean()


def rsa_loss_pairs(model_distance: torch.Tensor, human_dissimilarity: torch.Tensor) -> torch.Tensor:
    """-Pearson(z(model pair distances), z(human dissimilarities)) over the given pairs.

    Parameters
    ----------
    model_distance : torch.Tensor
        (n,) the model's distance of each pair.
    human_dissimilarity : torch.Tensor
        (n,) the human dissimilarity of the same pairs (cast to the distances' dtype).

    Returns
    -------
    torch.Tensor
        The scalar loss, in [-1, 1].
    """
    return -pearson(model_distance, human_dissimilarity.to(model_distance.dtype))


def rsa_loss(
    rows: torch.Tensor,
    cols: torch.Tensor,
    human_dissimilarity: torch.Tensor,
    observed: torch.Tensor,
    pairs: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = rsa_loss_pairs,
) -> torch.Tensor:
    """RSA loss between rows (R, D) and cols (C, D) over observed pairs only.

    The caller excludes self-pairs and counts each pair once.

    Parameters
    ----------
    rows : torch.Tensor
        (R, D) embeddings (normalised here).
    cols : torch.Tensor
        (C, D) embeddings (normalised here).
    human_dissimilarity : torch.Tensor
        (R, C) 1 - p(kept together).
    observed : torch.Tensor
        (R, C) bool, the pairs to use; at least 3.
    pairs : callable, default rsa_loss_pairs
        The loss of the observed pairs' ``(model_distance, human_dissimilarity)`` vectors.

    Returns
    -------
    torch.Tensor
        The scalar ``pairs`` of the cosine distances and the human dissimilarities of the
        observed pairs.
    """
    distance = 1.0 - F.normalize(rows, dim=-1) @ F.normalize(cols, dim=-1).T
    mask = observed.bool()
    if int(mask.sum()) < 3:
        raise ValueError(f"rsa_loss needs at least 3 observed pairs, got {int(mask.sum())}")
    return pairs(distance[mask], human_dissimilarity[mask].to(distance.dtype))


@dataclass(frozen=True)
class LossConfig:
    """Which loss and its weights: total = alpha * triplet + beta(epoch) * RSA.

    ``beta(epoch) = min(beta_max, beta_start + beta_step * epoch)`` (epoch from 0); the paper's
    defaults are alpha 0.7, beta 0.3 + 0.1 * epoch capped at 0.7, margin 0.2. ``kind`` is one
    of :data:`LOSSES`: the weights above apply to the kinds with both terms (``hybrid``,
    ``distilled``); a single-term kind weighs its term 1.

    ``budget`` is the budget-matched triplet control: a triplet-only model given hybrid's
    training budget. socalign's reading (the v2 paper's text was not at hand): the same
    optimizer steps and the same videos embedded per epoch as ``hybrid``, the RSA term's share
    spent on triplet-loss terms instead, namely hard triplets mined among the very videos the
    RSA term would have used (:func:`socalign.train.steps.hard_triplets`; the paper trainer
    runs them as hybrid's RSA steps, the fast trainer adds them to each batch's step). The
    authors' released code (``train_timesformer.py``, mode ``budget-matched``) matches another
    budget: triplet-only steps plus one in-batch hard-negative triplet every few steps, 738 an
    epoch, the number of pairs hybrid's six RSA steps of 24 videos (6 with gradients) correlate
    (6 x (15 + 6 x 18)), at no extra embedding.
    """

    kind: str = DEFAULT_LOSS
    alpha: float = 0.7
    beta_start: float = 0.3
    beta_step: float = 0.1
    beta_max: float = 0.7
    margin: float = 0.2
    triplet: str = "margin"
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in LOSSES:
            raise ValueError(f"unknown loss {self.kind!r}; choose one of {list(LOSSES)} (a "
                             "user's loss is known once register_loss has added it)")
        if self.triplet not in TRIPLET_KINDS:
            raise ValueError(f"unknown triplet loss {self.triplet!r}; choose {list(TRIPLET_KINDS)}")
        if self.spec.triplet_fn is not None and self.triplet != "margin":
            raise ValueError(f"loss {self.kind!r} has a user's triplet function, which takes "
                             "distances: it needs triplet='margin'")
        if min(self.alpha, self.beta_start, self.beta_max) < 0 or self.margin < 0:
            raise ValueError("loss weights and margin must be non-negative")

    @property
    def spec(self) -> LossKind:
        """The kind's entry in :data:`LOSSES`."""
        return LOSSES[self.kind]

    @property
    def uses_triplet(self) -> bool:
        """True when the triplet term is on (everything but RSA-only)."""
        return self.spec.triplet

    @property
    def uses_rsa(self) -> bool:
        """True when the RSA term is on (hybrid, distilled and RSA-only)."""
        return self.spec.rsa

    @property
    def uses_hard(self) -> bool:
        """True when hard triplets replace the RSA term (the budget-matched control)."""
        return self.spec.hard

    @property
    def targets(self) -> str:
        """Whose judgments the targets are: ``"people"`` or ``"captions"`` (distilled)."""
        return self.spec.targets

    def triplet_weight(self) -> float:
        """Weight of the triplet term: ``alpha`` with both terms on, else 1."""
        return self.alpha if self.uses_triplet and self.uses_rsa else 1.0

    def rsa_weight(self, epoch: int) -> float:
        """Weight of the RSA term at ``epoch`` (the schedule with both terms, 1 for RSA-only)."""
        if not self.uses_rsa:
            return 0.0
        if not self.uses_triplet:
            return 1.0
        return min(self.beta_max, self.beta_start + self.beta_step * epoch)

    def triplet_term(
        self, first: torch.Tensor, second: torch.Tensor, third: torch.Tensor, odd: torch.Tensor
    ) -> torch.Tensor:
        """The triplet term for triplets given as three embedding rows and the odd position.

        Parameters
        ----------
        first, second, third : torch.Tensor
            (n, D) embeddings of the three videos of each triplet, in the order shown.
        odd : torch.Tensor
            (n,) the position (0, 1, 2) humans chose as the odd one.

        Returns
        -------
        torch.Tensor
            The scalar :func:`ooo_softmax_loss` (``triplet="softmax"``) or
            :func:`triplet_margin_loss` (``triplet="margin"``), unweighted.
        """
        if self.triplet == "softmax":
            return ooo_softmax_loss(first, second, third, odd, self.temperature)
        stacked = torch.stack([first, second, third], dim=1)
        anchor, positive, negative = split_kept_and_odd(stacked, odd)
        if self.spec.triplet_fn is not None:
            return self._user("triplet", self.spec.triplet_fn, cosine_distance(anchor, positive),
                              cosine_distance(anchor, negative), self.margin)
        return triplet_margin_loss(anchor, positive, negative, self.margin)

    def triplet_term_from_similarities(self, similarity: torch.Tensor,
                                       odd: torch.Tensor) -> torch.Tensor:
        """The triplet term from each triplet's three pair similarities (no embeddings).

        The same loss as :meth:`triplet_term` (to float rounding), for callers that hold the
        similarities already, e.g. the fast trainer, which reads them off one product of its
        batch with the embedding bank.

        Parameters
        ----------
        similarity : torch.Tensor
            (n, 3): column k is the cosine similarity of the two videos other than video k.
        odd : torch.Tensor
            (n,) the position (0, 1, 2) humans chose as the odd one.

        Returns
        -------
        torch.Tensor
            The scalar loss, unweighted.
        """
        if similarity.ndim != 2 or similarity.shape[1] != 3 or similarity.shape[0] == 0:
            raise ValueError(f"similarity must be (n >= 1, 3), got {tuple(similarity.shape)}")
        if self.triplet == "softmax":
            return ooo_cross_entropy(similarity, odd, self.temperature)
        odd = odd.long()
        rows = torch.arange(similarity.shape[0], device=similarity.device)
        second_kept = torch.where(odd == 2, 1, 2)  # as split_kept_and_odd; the first kept is
        # the anchor: kept pair = the pair without the odd one, anchor-odd pair = the pair
        # without the second kept one
        kept = 1.0 - similarity[rows, odd]
        odd_distance = 1.0 - similarity[rows, second_kept]
        if self.spec.triplet_fn is not None:
            return self._user("triplet", self.spec.triplet_fn, kept, odd_distance, self.margin)
        return margin_hinge(kept, odd_distance, self.margin)

    def rsa_term(self, rows: torch.Tensor, cols: torch.Tensor, human_dissimilarity: torch.Tensor,
                 observed: torch.Tensor) -> torch.Tensor:
        """The RSA term: :func:`rsa_loss` with the kind's user function, if any, on the pairs.

        Parameters
        ----------
        rows, cols, human_dissimilarity, observed : torch.Tensor
            As :func:`rsa_loss` takes them.

        Returns
        -------
        torch.Tensor
            The scalar loss, unweighted.
        """
        fn = self.spec.rsa_fn
        if fn is None:
            return rsa_loss(rows, cols, human_dissimilarity, observed)
        return rsa_loss(rows, cols, human_dissimilarity, observed,
                        pairs=lambda model, human: self._user("RSA", fn, model, human))

    def _user(self, term: str, fn: Callable[..., torch.Tensor], *args: object) -> torch.Tensor:
        """Call a user's term and check that it returned a scalar tensor."""
        value = fn(*args)
        if not isinstance(value, torch.Tensor) or value.ndim != 0:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"loss {self.kind!r}: the user's {term} function returned {shape}, "
                            "not a scalar tensor")
        return value


def split_kept_and_odd(
    stacked: torch.Tensor, odd: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """From (n, 3, D) embeddings and the odd position, return (kept_1, kept_2, odd) rows.

    Parameters
    ----------
    stacked : torch.Tensor
        (n, 3, D) embeddings of each triplet's videos in the order shown.
    odd : torch.Tensor
        (n,) the position (0, 1, 2) of the odd one.

    Returns
    -------
    tuple of torch.Tensor
        Three (n, D) tensors: the two kept videos in their shown order, and the odd one.
    """
    odd = odd.long()
    first_kept = torch.where(odd == 0, 1, 0)
    second_kept = torch.where(odd == 2, 1, 2)
    rows = torch.arange(stacked.shape[0], device=stacked.device)
    return stacked[rows, first_kept], stacked[rows, second_kept], stacked[rows, odd]
