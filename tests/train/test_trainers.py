"""The trainers table: paper and fast register themselves; the loop looks them up there."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from socalign.train import fast, loop, paper, trainers
from socalign.train.config import TRAINERS


def test_the_builtin_trainers_are_registered_under_the_config_names() -> None:
    assert set(TRAINERS) <= set(trainers.registered())
    assert trainers.get_trainer("paper") is paper.run_epoch
    assert trainers.get_trainer("fast") is fast.run_epoch


def test_the_loop_keeps_its_old_names() -> None:
    for name in ("Context", "embed", "optimizer_step", "TrainingDiverged"):
        assert getattr(loop, name) is getattr(trainers, name)


def test_an_unknown_trainer_names_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown trainer 'slow'; registered: ") as err:
        trainers.get_trainer("slow")
    assert "'paper'" in str(err.value) and "'fast'" in str(err.value)


def test_a_name_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trainers, "_TRAINERS", dict(trainers._TRAINERS))

    def other(ctx: trainers.Context, epoch: int, rng: object) -> dict[str, float]:
        return {}

    assert trainers.register("fast")(fast.run_epoch) is fast.run_epoch  # re-import: same function
    with pytest.raises(ValueError, match="already registered"):
        trainers.register("fast")(other)
    assert trainers.register("mine")(other) is other
    assert trainers.get_trainer("mine") is other
