"""Losses and loss terms of socalign.train on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from socalign.train.losses import (  # noqa: E402
    LossConfig,
    ooo_softmax_loss,
    pearson,
    rsa_loss,
    split_kept_and_odd,
    triplet_margin_loss,
)
from socalign.train.steps import hard_triplets, positions, rsa_term  # noqa: E402

F = torch.nn.functional
T = torch.tensor


def test_triplet_margin_hand_case() -> None:
    anchor = T([[1.0, 0.0], [1.0, 0.0]])
    positive = T([[1.0, 0.0], [0.0, 1.0]])  # d = 0, then d = 1
    negative = T([[0.0, 1.0], [1.0, 0.0]])  # d = 1, then d = 0
    # max(0, 0 - 1 + 0.2) = 0 and max(0, 1 - 0 + 0.2) = 1.2 -> mean 0.6
    assert float(triplet_margin_loss(anchor, positive, negative, 0.2)) == pytest.approx(0.6)
    assert float(triplet_margin_loss(anchor, positive, negative, 0.0)) == pytest.approx(0.5)


def test_triplet_margin_rejects_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        triplet_margin_loss(torch.zeros(0, 2), torch.zeros(0, 2), torch.zeros(0, 2))


def test_split_kept_and_odd_positions() -> None:
    stacked = torch.arange(3 * 3 * 1, dtype=torch.float32).view(3, 3, 1)  # value = 3*n + pos
    first, second, odd = split_kept_and_odd(stacked, T([0, 1, 2]))
    assert first.view(-1).tolist() == [1, 3, 6]  # kept pairs (1,2), (0,2), (0,1)
    assert second.view(-1).tolist() == [2, 5, 7]
    assert odd.view(-1).tolist() == [0, 4, 8]


def test_ooo_softmax_hand_case() -> None:
    e0, e1, e2 = T([[1.0, 0.0]]), T([[1.0, 0.0]]), T([[0.0, 1.0]])
    # logits (s12, s02, s01) = (0, 0, 1); the odd one is position 2
    expected = math.log(2 + math.e) - 1
    assert float(ooo_softmax_loss(e0, e1, e2, T([2]))) == pytest.approx(expected, rel=1e-6)
    # temperature 0.5 doubles the logits
    expected_t = math.log(2 + math.e**2) - 2
    assert float(ooo_softmax_loss(e0, e1, e2, T([2]), 0.5)) == pytest.approx(expected_t, rel=1e-6)
    with pytest.raises(ValueError, match="temperature"):
        ooo_softmax_loss(e0, e1, e2, T([2]), 0.0)


def test_pearson_hand_case() -> None:
    assert float(pearson(T([1.0, 2.0, 3.0]), T([1.0, 3.0, 2.0]))) == pytest.approx(0.5, abs=1e-6)
    with pytest.raises(ValueError):
        pearson(T([1.0]), T([1.0]))


def test_rsa_loss_perfect_and_reversed() -> None:
    emb = T([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], requires_grad=True)
    # cosine distances: d01 = 1, d02 = 2, d12 = 1
    human = T([[0.0, 0.1, 0.9], [0.1, 0.0, 0.1], [0.9, 0.1, 0.0]])
    upper = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
    loss = rsa_loss(emb, emb, human, upper)
    assert float(loss.detach()) == pytest.approx(-1.0, abs=1e-5)
    reversed_human = T([[0.0, 0.9, 0.1], [0.9, 0.0, 0.9], [0.1, 0.9, 0.0]])
    assert float(rsa_loss(emb, emb, reversed_human, upper).detach()) == pytest.approx(1.0, abs=1e-5)
    loss.backward()
    assert torch.isfinite(emb.grad).all()


def test_rsa_loss_uses_observed_pairs_only() -> None:
    emb = T([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.6, 0.8]])
    human = torch.rand(4, 4)
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[0, 1] = mask[0, 2] = mask[1, 2] = True
    changed = human.clone()
    changed[2, 3] = 99.0  # an unobserved pair must not matter
    assert float(rsa_loss(emb, emb, human, mask)) == pytest.approx(float(rsa_loss(emb, emb, changed, mask)))
    with pytest.raises(ValueError, match="at least 3"):
        rsa_loss(emb, emb, human, torch.zeros(4, 4, dtype=torch.bool))


def test_loss_config_schedule_and_ablations() -> None:
    hybrid = LossConfig()
    assert [hybrid.rsa_weight(e) for e in (0, 2, 4, 10)] == pytest.approx([0.3, 0.5, 0.7, 0.7])
    assert hybrid.triplet_weight() == pytest.approx(0.7)
    assert LossConfig(kind="triplet").rsa_weight(3) == 0.0
    assert not LossConfig(kind="rsa").uses_triplet
    assert LossConfig(kind="rsa").rsa_weight(0) == 1.0
    assert not LossConfig(kind="budget").uses_rsa
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        LossConfig(kind="nope")
    with pytest.raises(ValueError, match="unknown triplet loss"):
        LossConfig(triplet="cosine")


def test_positions_and_missing_id() -> None:
    ids = np.array([7, 3, 5])
    assert positions(ids, np.array([5, 7, 3, 5])).tolist() == [2, 0, 1, 2]
    with pytest.raises(KeyError):
        positions(ids, np.array([4]))


def test_rsa_term_counts_each_pair_once() -> None:
    emb = T([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    sim = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.9], [0.1, 0.9, 1.0]])
    # rows (0, 1) against all three: unordered pairs (0,1), (0,2), (1,2) once each
    got = rsa_term(emb[:2], np.array([0, 1]), emb, np.array([0, 1, 2]), sim)
    upper = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
    want = rsa_loss(emb, emb, torch.as_tensor(1 - sim, dtype=torch.float32), upper)
    assert float(got) == pytest.approx(float(want), abs=1e-6)
    assert float(got) == pytest.approx(-1.0, abs=1e-5)
    none = rsa_term(emb[:1], np.array([0]), emb[:2], np.array([0, 1]), sim)
    assert none is None  # a single pair is too few


def test_hard_triplets_pick_human_positive_and_model_hardest_negative() -> None:
    sim = np.full((4, 4), np.nan)
    sim[0, 1:] = [0.9, 0.5, 0.1]
    cols = T([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.99, 0.141]])
    anchor = cols[:1]
    loss = hard_triplets(anchor, np.array([0]), cols, np.arange(4), sim, margin=0.2)
    # positive = video 1 (human 0.9); negatives 2, 3 judged less similar; 3 is model-closest
    d_pos = 1 - 0.0
    d_neg = 1 - 0.99 / float(torch.linalg.norm(T([0.99, 0.141])))
    assert float(loss) == pytest.approx(d_pos - d_neg + 0.2, abs=1e-5)
    assert hard_triplets(anchor, np.array([0]), cols[:1], np.array([0]), sim, 0.2) is None


@pytest.mark.parametrize("kind", ["margin", "softmax"])
def test_triplet_term_from_similarities_matches_the_embedding_form(kind: str) -> None:
    from socalign.train.losses import LossConfig

    torch.manual_seed(0)
    first, second, third = (F.normalize(torch.randn(40, 8), dim=-1) for _ in range(3))
    odd = torch.randint(0, 3, (40,))
    loss = LossConfig(triplet=kind, margin=0.3, temperature=0.5)
    sims = torch.stack([F.cosine_similarity(second, third, dim=-1),
                        F.cosine_similarity(first, third, dim=-1),
                        F.cosine_similarity(first, second, dim=-1)], dim=1)
    torch.testing.assert_close(loss.triplet_term_from_similarities(sims, odd),
                               loss.triplet_term(first, second, third, odd))
    with pytest.raises(ValueError, match="similarity must be"):
        loss.triplet_term_from_similarities(sims[:, :2], odd)


@pytest.mark.parametrize("kind", ["margin", "softmax"])
def test_bank_triplet_term_equals_the_gathered_term_in_value_and_gradient(kind: str) -> None:
    """The fast trainer's (B, N) product gives the loss and the batch's gradients of
    gathering three rows per triplet from the bank with the batch's rows replaced."""
    from socalign.train.data import triplets_touching
    from socalign.train.losses import LossConfig
    from socalign.train.steps import bank_triplet_term, triplet_term

    rng = np.random.default_rng(1)
    n, d = 30, 8
    bank = F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(2)), dim=-1)
    triplets = np.array([rng.choice(n, 3, replace=False) for _ in range(1000)])
    odd = rng.integers(0, 3, 1000)
    batch = rng.choice(n, 10, replace=False)
    touched = triplets_touching(triplets, batch, n)
    inside = np.isin(triplets[touched], batch).sum(axis=1)
    assert {1, 2, 3} <= set(inside.tolist())  # pairs of bank videos, mixed, all in the batch
    loss = LossConfig(triplet=kind, margin=0.2)
    start = F.normalize(torch.randn(10, d, generator=torch.Generator().manual_seed(3)), dim=-1)
    emb_a = start.clone().requires_grad_(True)
    fast = bank_triplet_term(loss, emb_a, batch, bank, triplets[touched], odd[touched])
    fast.backward()
    emb_b = start.clone().requires_grad_(True)
    every = bank.index_copy(0, torch.as_tensor(batch), emb_b)
    gathered = triplet_term(loss, every, np.arange(n), triplets[touched], odd[touched])
    gathered.backward()
    torch.testing.assert_close(fast, gathered, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(emb_a.grad, emb_b.grad, rtol=1e-4, atol=1e-6)
    assert bank.grad is None
