"""Similarity from judgments and embeddings: hand cases, properties, the published matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist, squareform

from socalign.metrics import similarity_from_embeddings, similarity_from_judgments

SIM_DIR = Path("data/interim/similarity")


def test_hand_case_counts_kept_and_nan_for_unobserved() -> None:
    # items 0..4; (0,1,2) odd=2 -> keep (0,1); (0,1,3) odd=0 -> keep (1,3);
    # (1,2,0) odd=position 0 (item 1) -> keep (2,0)
    triplets = np.array([[0, 1, 2], [0, 1, 3], [1, 2, 0]])
    odd = np.array([2, 0, 0])
    js = similarity_from_judgments(triplets, odd, 5)
    assert js.counts[0, 1] == 3 and js.counts[1, 0] == 3
    assert js.counts[0, 2] == 2 and js.counts[1, 2] == 2
    assert js.counts[0, 3] == 1 and js.counts[2, 3] == 0
    assert js.kept[0, 1] == 1 and js.kept[1, 3] == 1 and js.kept[0, 2] == 1
    assert js.kept[1, 2] == 0
    assert js.similarity[0, 1] == pytest.approx(1 / 3)
    assert js.similarity[0, 2] == pytest.approx(1 / 2)
    assert js.similarity[1, 2] == 0.0  # observed, never kept: 0, not missing
    assert np.isnan(js.similarity[2, 3]) and not js.observed[2, 3]
    assert np.isnan(js.similarity[4]).sum() == 4  # item 4 never shown
    assert js.similarity[4, 4] == 1.0 and not js.observed[4, 4]
    assert js.n_observed_pairs == 5
    # counts on the 5 observed pairs: (0,1)=3, (0,2)=2, (1,2)=2, (0,3)=1, (1,3)=1
    assert js.to_dict() == {
        "n_items": 5, "n_pairs": 10, "n_observed_pairs": 5, "mean_count_observed": 9 / 5
    }
    frame = js.to_frame()
    assert len(frame) == 5 and set(frame.columns) == {"i", "j", "count", "kept", "similarity"}


def test_rejects_catch_trials_and_bad_input() -> None:
    with pytest.raises(ValueError, match="trial 1 repeats an item"):
        similarity_from_judgments(np.array([[0, 1, 2], [3, 3, 1]]), np.array([0, 2]), 4)
    with pytest.raises(ValueError, match="out of range"):
        similarity_from_judgments(np.array([[0, 1, 9]]), np.array([0]), 4)
    with pytest.raises(ValueError, match="odd\\[0\\] = 3"):
        similarity_from_judgments(np.array([[0, 1, 2]]), np.array([3]), 4)
    with pytest.raises(ValueError, match="shape"):
        similarity_from_judgments(np.array([0, 1, 2]), np.array([0]), 4)


@st.composite
def trials(draw, max_items: int = 8, max_trials: int = 40):
    n = draw(st.integers(3, max_items))
    m = draw(st.integers(1, max_trials))
    rows = [draw(st.permutations(range(n)))[:3] for _ in range(m)]
    odd = draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    return np.array(rows), np.array(odd), n


@settings(max_examples=40, deadline=None)
@given(trials())
def test_properties_symmetric_bounded_and_consistent(case) -> None:
    triplets, odd, n = case
    js = similarity_from_judgments(triplets, odd, n)
    sim = js.similarity
    assert np.array_equal(np.isnan(sim), np.isnan(sim.T))
    assert np.allclose(np.nan_to_num(sim), np.nan_to_num(sim.T))
    vals = sim[js.observed]
    assert ((vals >= 0) & (vals <= 1)).all()
    assert (js.kept <= js.counts).all()
    off = ~np.eye(n, dtype=bool)
    assert np.array_equal(np.isnan(sim)[off], ~js.observed[off])
    assert js.counts.sum() == 6 * len(odd) and js.kept.sum() == 2 * len(odd)
    # invariant to the order of the items inside each triplet
    perm = np.array([2, 0, 1])
    shuffled = similarity_from_judgments(triplets[:, perm], np.argsort(perm)[odd], n)
    assert np.array_equal(shuffled.counts, js.counts) and np.array_equal(shuffled.kept, js.kept)


def test_embedding_similarity_hand_values() -> None:
    X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    cos = similarity_from_embeddings(X, "cosine")
    assert cos[0, 1] == pytest.approx(1 / np.sqrt(2)) and cos[0, 2] == pytest.approx(0.0)
    assert np.allclose(np.diag(cos), 1)
    dot = similarity_from_embeddings(X, "dot")
    assert dot[1, 2] == 2.0 and dot[2, 2] == 4.0
    Y = np.random.default_rng(0).normal(size=(6, 5))
    corr = similarity_from_embeddings(Y, "correlation")
    assert np.allclose(corr, 1 - squareform(pdist(Y, "correlation")))
    assert np.allclose(similarity_from_embeddings(Y), 1 - squareform(pdist(Y, "cosine")))


def test_embedding_similarity_errors() -> None:
    with pytest.raises(ValueError, match="row 1 is all zeros"):
        similarity_from_embeddings(np.array([[1.0, 2.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="row 0 is constant"):
        similarity_from_embeddings(np.array([[3.0, 3.0], [0.0, 1.0]]), "correlation")
    with pytest.raises(ValueError, match="unknown metric"):
        similarity_from_embeddings(np.eye(2), "euclid")
    with pytest.raises(ValueError, match="row 1 holds a NaN"):
        similarity_from_embeddings(np.array([[1.0, 0.0], [np.nan, 1.0]]))


def _published_trials(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = pd.read_csv(path)
    t = frame[["stim1_name", "stim2_name", "stim3_name"]].to_numpy()
    odd = (t == frame["choice"].to_numpy()[:, None]).argmax(axis=1)
    return t, odd, frame["participation"].to_numpy()


@pytest.mark.realdata
def test_train_matrix_equals_published(garcia_root: Path) -> None:
    t, odd, _ = _published_trials(garcia_root / SIM_DIR / "train_triplets.csv")
    js = similarity_from_judgments(t, odd, 250)
    pub = pd.read_csv(garcia_root / SIM_DIR / "sim_judg_train_rsm.csv")
    ids = pub.columns.astype(int).to_numpy()
    assert ids.size == 200
    ours = js.similarity[np.ix_(ids, ids)]
    obs = js.observed[np.ix_(ids, ids)]
    published = pub.to_numpy()
    assert obs.sum() // 2 == 19266
    np.testing.assert_allclose(ours[obs], published[obs], rtol=0, atol=1e-12)
    off = ~np.eye(200, dtype=bool)
    assert (published[off & ~obs] == 0).all()  # the paper writes 0 where we write NaN
    assert np.isnan(ours[off & ~obs]).all()
    counts = pd.read_csv(garcia_root / SIM_DIR / "count_df_train.csv").to_numpy()
    np.testing.assert_array_equal(js.counts, counts)


@pytest.mark.realdata
def test_test_matrix_equals_published_once_catch_trials_are_added(garcia_root: Path) -> None:
    """The published 50x50 test matrix comes from the 451 all-test trials of all_triplets.csv,
    83 of them catch trials (a, a, b): the paper counted each as two co-occurrences of (a, b),
    never kept. Our matrix (catch trials excluded) equals it once those are added back."""
    t, odd, _ = _published_trials(garcia_root / SIM_DIR / "all_triplets.csv")
    pub = pd.read_csv(garcia_root / SIM_DIR / "sim_judg_test_rsm.csv")
    ids = pub.columns.astype(int).to_numpy()
    published = pub.to_numpy()
    inside = np.isin(t, ids).all(axis=1)
    s = np.sort(t, axis=1)
    catch = (s[:, 1:] == s[:, :-1]).any(axis=1)
    assert inside.sum() == 451 and (inside & catch).sum() == 83
    js = similarity_from_judgments(t[inside & ~catch], odd[inside & ~catch], 250)
    counts, kept = js.counts.astype(float), js.kept.astype(float)
    for trip, o in zip(t[inside & catch], odd[inside & catch], strict=True):
        for a, b in ((0, 1), (0, 2), (1, 2)):
            if trip[a] != trip[b]:
                counts[trip[a], trip[b]] += 1
                counts[trip[b], trip[a]] += 1
        rest = np.delete(trip, o)
        assert rest[0] == rest[1]  # in a catch trial the kept "pair" is the repeated video
    with np.errstate(invalid="ignore"):
        rebuilt = np.where(counts > 0, kept / counts, 0.0)[np.ix_(ids, ids)]
    np.fill_diagonal(rebuilt, 1.0)
    np.testing.assert_allclose(rebuilt, published, rtol=0, atol=1e-12)
    # without the catch trials, 24 of the 637 observed pairs differ
    obs = js.observed[np.ix_(ids, ids)]
    ours = js.similarity[np.ix_(ids, ids)]
    assert obs.sum() // 2 == 637
    assert np.sum(np.abs(ours[obs] - published[obs]) > 1e-12) // 2 == 12
