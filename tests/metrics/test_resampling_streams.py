"""Random streams that never collide (issue 23): a run's streams are named, SocialWorld's numbered
streams are one table, and no two streams of one seed coincide.

Before named streams a run drew ``default_rng([seed, 1])`` for its validation split, which is
epoch 1's ``default_rng([seed, epoch])``, and ``[seed, 2]`` for the gain's bootstrap, epoch 2's.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.data.socialworld import generator
from socalign.metrics.resampling import STREAMS, as_rng, stream

EPOCHS = range(51)


def _first(gen: np.random.Generator) -> bytes:
    """The first 16 bytes a Generator draws: equal for two streams only if they coincide."""
    return gen.bytes(16)


def _run_streams(seed: int) -> dict[tuple, bytes]:
    """First draws of every named stream of ``seed``: each name bare and with index 0..50."""
    out = {("as_rng",): _first(as_rng(seed))}  # the held-out evaluations' resamples
    for name in STREAMS:
        out[(name,)] = _first(stream(seed, name))
        out.update({(name, e): _first(stream(seed, name, e)) for e in EPOCHS})
    return out


def _distinct(draws: dict[tuple, bytes]) -> list[tuple]:
    """The keys whose first draws another key shares."""
    seen: dict[bytes, tuple] = {}
    clashes = []
    for key, value in draws.items():
        if value in seen:
            clashes.append((seen[value], key))
        seen[value] = key
    return clashes


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 2**32 + 1])
def test_no_two_named_streams_of_a_run_coincide(seed) -> None:
    draws = _run_streams(seed)
    assert len(draws) == 1 + len(STREAMS) * (1 + len(EPOCHS))
    assert _distinct(draws) == []


def test_the_old_numbered_rule_collided_and_the_named_one_does_not() -> None:
    """What the change fixes, measured: the old split was epoch 1's batches, the old gain
    bootstrap epoch 2's, and epoch 0's the seed itself; none of the named streams is any of
    those old ones."""
    seed = 3
    old = {"split": [seed, 1], "gain": [seed, 2], "epoch 0": [seed, 0], "epoch 1": [seed, 1],
           "epoch 2": [seed, 2]}
    old_draws = {k: _first(np.random.default_rng(v)) for k, v in old.items()}
    assert old_draws["split"] == old_draws["epoch 1"] and old_draws["gain"] == old_draws["epoch 2"]
    assert old_draws["epoch 0"] == _first(np.random.default_rng(seed))
    new = _run_streams(seed)
    assert not set(old_draws.values()) & {v for k, v in new.items() if k != ("as_rng",)}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(0, 2**63 - 1))
def test_named_streams_differ_for_any_seed(seed) -> None:
    draws = {(name, e): _first(stream(seed, name, e)) for name in STREAMS for e in range(8)}
    draws.update({(name,): _first(stream(seed, name)) for name in STREAMS})
    draws[("as_rng",)] = _first(as_rng(seed))
    assert _distinct(draws) == []
    # and another seed's streams are other streams
    other = _first(stream(seed + 1, "split"))
    assert other != draws[("split",)]


def test_a_stream_is_reproducible_and_checked() -> None:
    assert stream(5, "epoch", 3).integers(10**9, size=4).tolist() == \
        stream(5, "epoch", 3).integers(10**9, size=4).tolist()
    with pytest.raises(ValueError, match="unknown random stream 'batches'"):
        stream(0, "batches")
    with pytest.raises(TypeError, match="seed must be an integer"):
        stream(True, "split")
    with pytest.raises(TypeError, match="index must be an integer"):
        stream(0, "epoch", 1.0)
    with pytest.raises(ValueError, match="seed must lie in"):
        stream(-1, "split")
    with pytest.raises(ValueError, match="index must lie in"):
        stream(0, "epoch", 2**32)


def test_a_run_seed_is_checked_before_any_compute() -> None:
    from socalign.train.config import TrainConfig

    for bad in (-1, 2**63, True, 1.5):
        with pytest.raises(ValueError, match="seed must be an integer"):
            TrainConfig(seed=bad)


# --- SocialWorld: numbered streams in one table, never renumbered -----------------------------


def test_socialworld_streams_are_one_table_with_their_historical_numbers() -> None:
    """The numbers every world (and the toy's shipped weights) was drawn with."""
    assert generator.STREAMS == {
        "order": 0, "split": 1, "scenes": 2, "looks": 3, "captions": 4, "design": 5,
        "observers": 6, "action-labels": 10, "action-clips": 11, "action-looks": 12,
        "perception": 20, "vocabulary": 21,
    }
    for name, number in generator.STREAMS.items():
        assert _first(generator.stream(4, name, 2)) == _first(np.random.default_rng([4, number, 2]))
    with pytest.raises(KeyError, match="unknown SocialWorld stream"):
        generator.stream(0, "weather")


@given(seed=st.integers(0, 2**32 - 1), index=st.integers(0, 2**32 - 1),
       sub=st.lists(st.integers(1, 2**32 - 1), min_size=1, max_size=3))
def test_socialworld_sub_streams_append_their_indices(seed, index, sub) -> None:
    """A sub-stream (e.g. a design's budget and draw) is the seed list with its indices appended,
    and never the stream it belongs to."""
    got = _first(generator.stream(seed, "design", index, *sub))
    assert got == _first(np.random.default_rng([seed, generator.STREAMS["design"], index, *sub]))
    assert got != _first(generator.stream(seed, "design", index))


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_no_two_socialworld_streams_of_a_seed_coincide(seed) -> None:
    draws = {(name, i): _first(generator.stream(seed, name, i))
             for name in generator.STREAMS for i in EPOCHS}
    assert _distinct(draws) == []
    # nor with a fine-tuning run's named streams of the same seed
    run = _run_streams(seed)
    # as_rng(seed) is SocialWorld's ("order", 0) as well (numpy pads [s, 0, 0] to s): the
    # package's plain seed rule, which the held-out evaluations keep, across two domains
    run.pop(("as_rng",))
    assert not set(draws.values()) & set(run.values())


def test_finetune_refuses_a_negative_seed_in_one_line(tmp_path, capsys) -> None:
    from socalign.cli import main

    out = tmp_path / "run"
    assert main(["finetune", str(tmp_path / "somewhere"), "--seed", "-1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seed must be an integer" in err[0] and not out.exists()
