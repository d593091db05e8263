"""Issue 22 (linear cost): the ceiling and evaluation paths at most linear in the trials, with
the same numbers as before.

Each rewritten statistic is checked against a plain reference on small random inputs (the
per-trial loop, scipy, or the array form it replaced, bit for bit where the rewrite claims
it), and the peak memory and time of both paths are compared at 20k and 80k trials.
"""

from __future__ import annotations

import time
import tracemalloc
from collections import Counter
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from socalign.metrics import (
    bootstrap,
    dirichlet_expected_max,
    ooo_consistency,
    resampling,
    similarity_from_judgments,
    split_half_ceiling,
)
from socalign.metrics import ceilings as ceilings_module
from socalign.metrics.ceilings import _ratio_ranks, triplet_counts


@st.composite
def trial_sets(draw: st.DrawFn, max_trials: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Trials over a few items (so triplets repeat), the items named by small or huge ids."""
    n_items = draw(st.integers(3, 7))
    scale = draw(st.sampled_from([n_items, 5_000, 3_000_000]))  # bincount, unique, row unique
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, max_trials))
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(scale, n_items, replace=False))
    triplets = ids[np.array([rng.choice(n_items, 3, replace=False) for _ in range(n)])]
    return triplets, rng.integers(0, 3, n)


def _reference_consistency(triplets: np.ndarray, odd: np.ndarray) -> tuple[list[float], int]:
    """Per trial, in trial order: the others' majority (ties 1/k); the repeated triplets."""
    choices: dict[tuple[int, ...], list[int]] = {}
    for row, o in zip(triplets.tolist(), odd.tolist(), strict=True):
        choices.setdefault(tuple(sorted(row)), []).append(row[o])
    agreement = []
    for row, o in zip(triplets.tolist(), odd.tolist(), strict=True):
        others = list(choices[tuple(sorted(row))])
        others.remove(row[o])
        if not others:
            continue
        votes = Counter(others)
        top = max(votes.values())
        modes = [c for c, k in votes.items() if k == top]
        agreement.append(1.0 / len(modes) if row[o] in modes else 0.0)
    return agreement, sum(len(v) > 1 for v in choices.values())


@settings(max_examples=60, deadline=None)
@given(trial_sets())
def test_consistency_and_counts_equal_the_per_trial_reference(data) -> None:
    triplets, odd = data
    res = ooo_consistency(triplets, odd)
    agreement, n_repeated = _reference_consistency(triplets, odd)
    np.testing.assert_array_equal(res.agreement, agreement)
    assert res.n_trials == len(agreement) and res.n_triplets == n_repeated
    if agreement:
        assert res.loo_agreement == np.mean(np.array(agreement))
    else:
        assert np.isnan(res.loo_agreement)
    counts, group = triplet_counts(triplets, odd)
    keys = sorted({tuple(sorted(row)) for row in triplets.tolist()})
    expected = np.zeros((len(keys), 3), dtype=np.int64)
    for row, o in zip(triplets.tolist(), odd.tolist(), strict=True):
        key = tuple(sorted(row))
        expected[keys.index(key), key.index(row[o])] += 1
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(group, [keys.index(tuple(sorted(r))) for r in triplets.tolist()])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 50), st.integers(1, 30), st.integers(0, 2**32 - 1),
       st.integers(1, 400))
def test_ratio_ranks_equal_rankdata(rows: int, cols: int, top: int, seed: int, chunk: int) -> None:
    rng = np.random.default_rng(seed)
    den = rng.integers(0, top + 1, (rows, cols)).astype(float)
    num = np.floor(rng.random((rows, cols)) * (den + 1))  # ties: 1/2 = 2/4, 0/k = 0
    valid = (den > 0) & (rng.random((rows, cols)) > 0.2)
    with mock.patch.object(ceilings_module, "_RANK_CHUNK", chunk):
        ranks = _ratio_ranks(num, den, valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = stats.rankdata(np.where(valid, num / den, np.nan), axis=1, nan_policy="omit")
    np.testing.assert_array_equal(ranks[valid], ref[valid])


def _array_form_expected_max(alpha: np.ndarray, n_draws: int, seed: int) -> np.ndarray:
    """The array form dirichlet_expected_max was written in before (one row at a time)."""
    gen = np.random.default_rng(seed)
    out = np.empty(len(alpha))
    for r, row in enumerate(alpha):
        boost = row < 1
        shape = np.where(boost, row + 1.0, row)
        log_g = np.log(gen.standard_gamma(shape, size=(n_draws, row.size)))
        u = gen.random((n_draws, row.size))
        log_g = np.where(boost, log_g + np.log(u) / row, log_g)
        log_g -= log_g.max(axis=1, keepdims=True)
        p = np.exp(log_g)
        out[r] = float(np.mean(p.max(axis=1) / p.sum(axis=1)))
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 3000), st.integers(0, 2**32 - 1))
def test_expected_max_is_the_array_form_bit_for_bit(k: int, rows: int, n_draws: int,
                                                    seed: int) -> None:
    alpha = np.random.default_rng(seed).gamma(0.6, 2.0, (rows, k)) + 1e-3  # some below 1
    np.testing.assert_array_equal(dirichlet_expected_max(alpha, n_draws, seed),
                                  _array_form_expected_max(alpha, n_draws, seed))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]), min_size=2, max_size=80),
       st.integers(2, 60), st.integers(0, 2**32 - 1), st.sampled_from([37, 500, 2_000_000]))
def test_bootstrap_of_ooo_scores_is_scipys_bit_for_bit(values: list[float], n_boot: int,
                                                       seed: int, chunk: int) -> None:
    """Scores in halves take the exact shortcut: the same draws and samples as scipy's."""
    x = np.array(values)
    with mock.patch.object(resampling, "CHUNK_ELEMENTS", chunk):
        ours = bootstrap(x, n_boot, np.random.default_rng(seed))
    peer = stats.bootstrap((x,), np.mean, n_resamples=n_boot, method="percentile",
                           rng=np.random.default_rng(seed), batch=max(1, chunk // x.size),
                           vectorized=True)
    np.testing.assert_array_equal(ours.samples, peer.bootstrap_distribution)
    assert ours.estimate == x.mean()


def test_bootstrap_of_other_values_still_goes_to_scipy() -> None:
    x = np.random.default_rng(2).random(50)
    assert resampling._half_codes(x) is None
    assert resampling._half_codes(np.array([0.0, 64.0])) is None  # beyond int8 halves
    ours = bootstrap(x, 40, np.random.default_rng(3))
    peer = stats.bootstrap((x,), np.mean, n_resamples=40, method="percentile",
                           rng=np.random.default_rng(3), vectorized=True,
                           batch=resampling.CHUNK_ELEMENTS // 50)
    np.testing.assert_array_equal(ours.samples, peer.bootstrap_distribution)


@settings(max_examples=25, deadline=None)
@given(st.integers(4, 12), st.integers(60, 600), st.integers(2, 12), st.integers(0, 2**32 - 1),
       st.sampled_from(["spearman", "pearson"]))
def test_split_half_equals_the_per_split_reference_and_ignores_the_chunks(
    n_items: int, n: int, n_part: int, seed: int, correlation: str
) -> None:
    rng = np.random.default_rng(seed)
    triplets = np.array([rng.choice(n_items, 3, replace=False) for _ in range(n)])
    odd = rng.integers(0, 3, n)
    participants = rng.integers(0, n_part, n)
    codes = np.unique(participants)
    if codes.size < 2:
        return
    halves = np.zeros((7, codes.size), dtype=bool)
    for row in halves:
        row[rng.permutation(codes.size)[: codes.size // 2]] = True
    try:
        whole = split_half_ceiling(triplets, odd, participants, n_items, halves=halves,
                                   correlation=correlation)
    except ValueError:
        return  # no split with a defined correlation
    with mock.patch.object(ceilings_module, "_SPLIT_CHUNK", 5), \
            mock.patch.object(ceilings_module, "_RANK_CHUNK", 3):
        chunked = split_half_ceiling(triplets, odd, participants, n_items, halves=halves,
                                     correlation=correlation)
    np.testing.assert_array_equal(chunked.split_r, whole.split_r)
    assert chunked.n_pairs_mean == whole.n_pairs_mean
    for s, row in enumerate(halves):
        in_a = np.isin(participants, codes[row])
        a = similarity_from_judgments(triplets[in_a], odd[in_a], n_items)
        b = similarity_from_judgments(triplets[~in_a], odd[~in_a], n_items)
        both = np.triu(a.observed & b.observed, 1)
        x, y = a.similarity[both], b.similarity[both]
        if correlation == "spearman":
            x, y = stats.rankdata(x), stats.rankdata(y)
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = np.corrcoef(x, y)[0, 1] if x.size > 1 else np.nan
        if np.isfinite(expected):
            assert whole.split_r[s] == pytest.approx(expected, abs=1e-12)
        else:
            assert not np.isfinite(whole.split_r[s])


def _benchmark(n_trials: int, n_videos: int, seed: int = 0):
    from socalign.data.types import Benchmark, Trials, Videos

    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(n_videos, 3))
    a = rng.integers(0, n_videos, n_trials)
    b = (a + rng.integers(1, n_videos, n_trials)) % n_videos
    c = rng.integers(0, n_videos - 2, n_trials)
    c += c >= np.minimum(a, b)
    c += c >= np.maximum(a, b)
    triplets = np.stack([a, b, c], axis=1)
    p = hidden[triplets]
    dist = np.stack([np.linalg.norm(p[:, 1] - p[:, 2], axis=1),
                     np.linalg.norm(p[:, 0] - p[:, 2], axis=1),
                     np.linalg.norm(p[:, 0] - p[:, 1], axis=1)], axis=1)
    odd = np.argmax(-2.0 * dist + rng.gumbel(size=dist.shape), axis=1)
    n_part = n_trials // 100
    videos = Videos(ids=np.arange(n_videos), names=tuple(map(str, range(n_videos))),
                    files=(None,) * n_videos, splits=np.array(["all"] * n_videos),
                    captions=((),) * n_videos)
    trials = Trials(triplets=triplets, odd=odd, participants=np.arange(n_trials) % n_part,
                    participant_names=tuple(map(str, range(n_part))),
                    response_time=np.full(n_trials, np.nan), row=np.arange(n_trials))
    bench = Benchmark("scale", None, videos, trials, np.ones(n_trials, dtype=bool), {})
    return bench, hidden


def _cost(fn) -> tuple[float, float]:
    """(peak traced bytes, process seconds) of fn(), the time the best of three runs."""
    fn()  # warm: imports and caches out of the measurement
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = []
    for _ in range(3):
        start = time.process_time()
        fn()
        seconds.append(time.process_time() - start)
    return float(peak), min(seconds)


def test_ceiling_and_evaluate_cost_grows_about_linearly_in_the_trials() -> None:
    """4x the trials (20k -> 80k over 20 videos): at most ~6x the peak memory and ~8x the time.

    The split-half ranks once used a table over every (kept, shown) count pair, whose size grew
    with the square of the trials per pair: 80k trials then took 11x the memory of 20k (0.55 GB
    traced); now 3.4x.
    """
    from socalign.scoring import ceilings, evaluate

    costs = {}
    for n in (20_000, 80_000):
        bench, hidden = _benchmark(n, n_videos=20)
        costs[n] = (
            _cost(lambda b=bench: ceilings(b, None, n_splits=100, seed=0, n_draws=300)),
            _cost(lambda b=bench, h=hidden: evaluate(b, None, embeddings=h, n_boot=200, seed=0)),
        )
    for k, path in enumerate(("ceiling", "evaluate")):
        (mem_small, t_small), (mem_big, t_big) = costs[20_000][k], costs[80_000][k]
        assert mem_big / mem_small < 6, f"{path}: peak memory x{mem_big / mem_small:.1f}"
        assert t_big / max(t_small, 5e-3) < 8, f"{path}: time x{t_big / t_small:.1f}"
