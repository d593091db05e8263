"""A user's loss (register_loss): called where the trainers compute its term, and recorded."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from socalign.train.config import TrainConfig  # noqa: E402
from socalign.train.kinds import LOSSES, register_loss  # noqa: E402
from socalign.train.losses import LossConfig, margin_hinge, rsa_loss_pairs  # noqa: E402
from socalign.train.steps import bank_triplet_term, rsa_term, triplet_term  # noqa: E402
from tests.helpers.training import loop_config, loss_trace, run_loop  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_losses() -> Iterator[None]:
    """Each test's registrations leave the table as it was."""
    saved = dict(LOSSES)
    yield
    LOSSES.clear()
    LOSSES.update(saved)


def hinge(kept, odd, margin):
    return torch.clamp(kept - odd + margin, min=0.0).mean()


def minus_pearson(model, human):
    zm = (model - model.mean()) / (model.std(unbiased=False) + 1e-8)
    zh = (human - human.mean()) / (human.std(unbiased=False) + 1e-8)
    return -(zm * zh).mean()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 9), d=st.integers(2, 6),
       margin=st.floats(0.0, 1.0))
def test_a_user_copy_of_the_terms_gives_socalign_s_loss(seed: int, n: int, d: int,
                                                         margin: float) -> None:
    """Both triplet paths (embeddings, bank similarities) and the RSA path call the user's."""
    kind = register_loss("copy", triplet=hinge, rsa=minus_pearson)
    mine, theirs = LossConfig(kind=kind, margin=margin), LossConfig(margin=margin)
    rng = np.random.default_rng(seed)
    emb = torch.as_tensor(rng.normal(size=(n, d)), dtype=torch.float64)
    ids = np.arange(n)
    trip = np.stack([rng.choice(n, 3, replace=False) for _ in range(2 * n)])
    odd = rng.integers(0, 3, len(trip))
    for a, b in ((triplet_term(mine, emb, ids, trip, odd), triplet_term(theirs, emb, ids, trip, odd)),
                 (bank_triplet_term(mine, emb[:2], ids[:2], emb, trip, odd),
                  bank_triplet_term(theirs, emb[:2], ids[:2], emb, trip, odd))):
        assert torch.allclose(a, b, atol=1e-10)
    sim = rng.uniform(size=(n, n))
    sim = (sim + sim.T) / 2
    ours = rsa_term(emb, ids, emb, ids, sim, mine)
    assert ours is not None
    assert torch.allclose(ours, rsa_term(emb, ids, emb, ids, sim, theirs), atol=1e-10)
    assert torch.allclose(ours, rsa_term(emb, ids, emb, ids, sim), atol=1e-10)


def test_the_user_functions_are_what_the_term_computes() -> None:
    """Not socalign's own: a term of the user's that differs changes the value."""
    kind = register_loss("double", triplet=lambda k, o, m: 2 * margin_hinge(k, o, m),
                         rsa=lambda mo, hu: rsa_loss_pairs(mo, hu) + 5)
    mine, theirs = LossConfig(kind=kind), LossConfig()
    emb = torch.as_tensor(np.random.default_rng(0).normal(size=(6, 4)))
    trip, odd = np.array([[0, 1, 2], [3, 4, 5], [0, 3, 5]]), np.array([0, 1, 2])
    ids = np.arange(6)
    a, b = triplet_term(mine, emb, ids, trip, odd), triplet_term(theirs, emb, ids, trip, odd)
    assert float(b) > 0 and float(a) == pytest.approx(2 * float(b))
    sim = np.full((6, 6), 0.5) + np.eye(6) * 0.1 + np.arange(36).reshape(6, 6) / 100
    assert float(rsa_term(emb, ids, emb, ids, sim, mine)) == pytest.approx(
        float(rsa_term(emb, ids, emb, ids, sim, theirs)) + 5)


@pytest.mark.parametrize("trainer", ["fast", "paper"])
def test_a_user_loss_is_called_and_changes_training(tmp_path, trainer: str) -> None:
    calls = {"triplet": 0, "rsa": 0}

    def reversed_hinge(kept, odd, margin):  # rewards the wrong odd one: training must change
        calls["triplet"] += 1
        return torch.clamp(odd - kept + margin, min=0.0).mean()

    def rsa(model, human):
        calls["rsa"] += 1
        return rsa_loss_pairs(model, human)

    kind = register_loss("reversed", triplet=reversed_hinge, rsa=rsa)
    base = run_loop(tmp_path / "hybrid", loop_config(trainer=trainer))[0]
    mine = run_loop(tmp_path / "mine", loop_config(trainer=trainer, loss_kind=kind))[0]
    assert calls["triplet"] > 0 and calls["rsa"] > 0
    assert loss_trace(mine) != loss_trace(base)


def test_the_run_records_the_user_loss_and_refuses_another() -> None:
    first = register_loss("mine", triplet=hinge)
    second = register_loss("mine", triplet=lambda kept, odd, margin: (kept - odd).mean())
    assert first.startswith("mine-") and second.startswith("mine-") and first != second
    assert register_loss("mine", triplet=hinge) == first  # the same code: the same name
    one, other = (TrainConfig().with_changes(loss_kind=k) for k in (first, second))
    assert one.to_dict()["loss"]["kind"] == first
    assert one.fingerprint() != other.fingerprint()  # the resume check compares these
    recorded = one.to_dict()
    assert TrainConfig.from_dict(recorded) == one
    del LOSSES[first]  # another process, where the loss was not registered
    with pytest.raises(ValueError, match=r"unknown loss 'mine-.*register_loss"):
        TrainConfig.from_dict(recorded)


def test_the_digest_follows_the_code_not_the_function_object() -> None:
    def a(kept, odd, margin):
        return (kept - odd + margin).clamp(min=0).mean()

    def b(kept, odd, margin):
        return (kept - odd + margin).clamp(min=0).mean()

    def c(kept, odd, margin=0.3):
        return (kept - odd + margin).clamp(min=0).mean()

    assert register_loss("x", triplet=a) == register_loss("x", triplet=b)
    assert register_loss("x", triplet=a) != register_loss("x", triplet=c)  # defaults count
    assert register_loss("x", triplet=a) != register_loss("x", rsa=a)  # which term counts
    assert register_loss("x", triplet=a) != register_loss("y", triplet=a)


@pytest.mark.parametrize(("args", "error", "match"), [
    ({"name": "1bad", "triplet": hinge}, ValueError, "a loss name is a letter"),
    ({"name": "has space", "triplet": hinge}, ValueError, "a loss name is a letter"),
    ({"name": "none"}, ValueError, "needs a triplet function, an RSA function or both"),
    ({"name": "p", "triplet": np.mean}, TypeError, "plain functions"),
    ({"name": "b", "triplet": hinge, "base": "budget"}, ValueError, "hard triplets"),
    ({"name": "b", "triplet": hinge, "base": "nope"}, ValueError, "unknown base loss 'nope'"),
    ({"name": "r", "triplet": hinge, "base": "rsa"}, ValueError, "needs the triplet term"),
    ({"name": "t", "rsa": minus_pearson, "base": "triplet"}, ValueError, "needs the RSA term"),
])
def test_register_loss_refuses_what_cannot_train(args: dict, error: type, match: str) -> None:
    before = dict(LOSSES)
    with pytest.raises(error, match=match):
        register_loss(**args)
    assert LOSSES == before


def test_a_user_base_is_refused() -> None:
    kind = register_loss("first", triplet=hinge)
    with pytest.raises(ValueError, match="unknown base loss"):
        register_loss("second", rsa=minus_pearson, base=kind)


def test_a_user_triplet_needs_the_margin_form_and_a_scalar() -> None:
    kind = register_loss("vector", triplet=lambda kept, odd, margin: kept - odd)
    with pytest.raises(ValueError, match="needs triplet='margin'"):
        LossConfig(kind=kind, triplet="softmax")
    emb = torch.eye(3, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"returned \(1,\), not a scalar tensor"):
        triplet_term(LossConfig(kind=kind), emb, np.arange(3), np.array([[0, 1, 2]]),
                     np.array([0]))
