"""Adaptive triplet selection: the embedding's likelihood and gradient, the information score, the designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad
from scipy.stats import spearmanr
from scipy.stats import t as student_t

from socalign.analyses.adaptive import (
    DESIGNS,
    EMBEDDING_DIM,
    EMBEDDING_PENALTY,
    GUIDED,
    LAPSE,
    LEADS,
    _loss_grad,
    _pair_codes,
    cached_embedding_selection,
    cached_planted_rung,
    compare_designs,
    describe_leads,
    embedding_selection,
    fit_embedding,
    guide_points,
    information_score,
    item_information,
    judgments_to_reach,
    lead_table,
    next_batch,
    pick_diverse,
    plan_next_batch,
    planted_summary,
    planted_world,
    reach_by_draw,
    reach_table,
    run_design,
    select_embedding,
    select_triplets,
    triplet_probabilities,
)
from socalign.analyses.planning import (
    _random_triplets,
    keep_probability,
    observer_world,
    true_expected_similarity,
)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), dim=st.integers(1, 4), penalty=st.floats(0.0, 1.0))
def test_the_gradient_is_the_losss(seed, dim, penalty) -> None:
    rng = np.random.default_rng(seed)
    n = 9
    t = _random_triplets(n, 60, rng)
    y = rng.integers(0, 3, 60)
    w = rng.random(60) + 0.1
    codes = _pair_codes(t, n)

    def f(v):
        return _loss_grad(v, t, y, w, n, dim, penalty, codes)[0]

    def g(v):
        return _loss_grad(v, t, y, w, n, dim, penalty, codes)[1]

    x0 = rng.normal(size=n * dim)
    assert check_grad(f, g, x0) < 1e-5 * max(1.0, np.linalg.norm(g(x0)))


def test_the_loss_is_the_mean_negative_log_likelihood() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 2))
    t = _random_triplets(6, 20, rng)
    y = rng.integers(0, 3, 20)
    p = triplet_probabilities(x, t)
    assert np.allclose(p.sum(axis=1), 1) and p.min() >= LAPSE / 3
    loss, _ = _loss_grad(x.ravel(), t, y, np.ones(20), 6, 2, 0.0, _pair_codes(t, 6))
    assert loss == pytest.approx(-np.log(p[np.arange(20), y]).mean())


def test_a_planted_embedding_is_recovered() -> None:
    rng = np.random.default_rng(1)
    truth = rng.normal(size=(20, 2)) * 1.5
    t = _random_triplets(20, 4000, rng)
    p = triplet_probabilities(truth, t)
    y = (rng.random(len(t))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 2)
    fit = fit_embedding(t, y, 20, dim=2, penalty=0.001)
    iu = np.triu_indices(20, 1)
    assert spearmanr(fit.similarity()[iu], (truth @ truth.T)[iu]).statistic > 0.85


def _planted_judgments(n: int, dim: int, trials: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n, dim)) * 1.5
    t = _random_triplets(n, trials, rng)
    p = triplet_probabilities(truth, t)
    return t, (rng.random(len(t))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 2)


def test_cross_validation_prefers_the_planted_dimensions_to_too_few_or_too_many() -> None:
    t, y = _planted_judgments(25, 2, 3000, seed=3)
    table = select_embedding(t, y, 25, dims=(1, 2, 12), penalties=(0.0,), folds=4)
    by_dim = table.set_index("dim")["heldout_loglik"]
    assert by_dim[2] > by_dim[1] and by_dim[2] > by_dim[12]
    assert table["best"].sum() == 1 and int(table.loc[table["best"], "dim"].iloc[0]) == 2
    # a held-out mean log-likelihood lies between the lapse floor's and certainty's
    assert (table["heldout_loglik"] > np.log(LAPSE / 3)).all() and (table["heldout_loglik"] < 0).all()


def test_cross_validation_penalises_an_unpenalised_overfit() -> None:
    t, y = _planted_judgments(40, 2, 400, seed=4)  # few trials per point: a large penalty helps
    table = select_embedding(t, y, 40, dims=(6,), penalties=(0.0, 0.1), folds=4)
    assert table.set_index("penalty")["heldout_loglik"][0.1] > table.set_index("penalty")["heldout_loglik"][0.0]


@pytest.mark.parametrize("kwargs", [{"folds": 1}, {"dims": ()}, {"dims": (0,)}, {"penalties": (-0.1,)}])
def test_a_bad_selection_grid_is_refused(kwargs: dict) -> None:
    t, y = _planted_judgments(10, 2, 50, seed=5)
    with pytest.raises(ValueError):
        select_embedding(t, y, 10, **kwargs)


def test_the_default_embedding_is_the_recorded_choice_of_held_out_likelihood() -> None:
    import json
    from pathlib import Path

    record = json.loads((Path(__file__).resolve().parents[2] / "benchmarks" / "results"
                         / "embedding_selection.json").read_text())
    best = max(record["grid"], key=lambda row: row["heldout_loglik"])
    assert (best["dim"], best["penalty"]) == (EMBEDDING_DIM, EMBEDDING_PENALTY)
    assert record["best"] == {"dim": EMBEDDING_DIM, "penalty": EMBEDDING_PENALTY}


def test_a_worlds_embedding_selection_is_checked_against_its_truth_and_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    table = embedding_selection(seed=3, n_videos=14)
    assert table.attrs["judgments"] > 100 and len(table) == 16 and table["best"].sum() == 1
    assert table.loc[table["best"], "heldout_loglik"].iloc[0] == table["heldout_loglik"].max()
    assert table["spearman_with_truth"].between(-1, 1).all() and table["spearman_with_truth"].std() > 0
    cached = cached_embedding_selection(3, 14)
    assert cached.attrs["judgments"] == table.attrs["judgments"]
    pd.testing.assert_frame_equal(cached, table, check_exact=False, rtol=1e-9)
    assert any((tmp_path / "cache" / "planning").iterdir())  # built once, read back


def _score_gradients(x: np.ndarray, triplet: np.ndarray) -> list[np.ndarray]:
    """d log p(answer = y) / dx for y = 0, 1, 2, read off the (gradient-checked) loss."""
    n, dim = x.shape
    t = triplet[None, :]
    return [-_loss_grad(x.ravel(), t, np.array([y]), np.ones(1), n, dim, 0.0, _pair_codes(t, n))[1].reshape(n, dim)
            for y in range(3)]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), dim=st.integers(1, 4), m=st.integers(1, 12))
def test_item_information_is_the_expected_outer_product_of_the_score(seed, dim, m) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    x = rng.normal(size=(n, dim))
    t = _random_triplets(n, m, rng)
    expected = np.zeros((n, dim, dim))
    for tri, p in zip(t, triplet_probabilities(x, t), strict=True):
        for p_y, g in zip(p, _score_gradients(x, tri), strict=True):
            expected += p_y * np.einsum("nd,ne->nde", g, g)  # only the triplet's items are non-zero
    np.testing.assert_allclose(item_information(x, t), expected, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), dim=st.integers(1, 4))
def test_information_score_is_the_trace_of_covariance_times_information(seed, dim) -> None:
    rng = np.random.default_rng(seed)
    n = 8
    x = rng.normal(size=(n, dim))
    a = rng.normal(size=(n, dim, dim))
    cov = a @ a.transpose(0, 2, 1) + np.eye(dim)
    cands = _random_triplets(n, 10, rng)
    got = information_score(x, cov, cands)
    expected = [np.einsum("nde,ned->", cov, item_information(x, c[None, :])) for c in cands]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert (got >= 0).all()
    np.testing.assert_allclose(information_score(x, 2 * cov, cands), 2 * got, rtol=1e-9, atol=1e-12)


def test_a_settled_triplet_scores_below_an_open_one() -> None:
    # points 0 and 1 together, 2 far: the answer (2 is odd) is nearly certain; 3, 4, 5 equidistant
    x = np.array([[3.0, 0.0], [3.0, 0.1], [-3.0, 0.0], [1.0, 0.0], [-0.5, 0.87], [-0.5, -0.87]])
    cov = np.broadcast_to(np.eye(2), (6, 2, 2))
    settled, open_ = information_score(x, cov, np.array([[0, 1, 2], [3, 4, 5]]))
    assert settled < 0.1 * open_


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 99), cap=st.integers(1, 4), k=st.integers(1, 30))
def test_pick_diverse_respects_the_cap_and_the_order(seed, cap, k) -> None:
    rng = np.random.default_rng(seed)
    c = _random_triplets(10, 50, rng)
    s = rng.random(50)
    picks = pick_diverse(c, s, k, 10, cap)
    assert len(picks) <= k
    assert np.bincount(picks.ravel(), minlength=10).max(initial=0) <= cap
    if len(picks):
        assert (picks[0] == c[np.argmax(s)]).all()


@settings(max_examples=30, deadline=None)
@given(ys=st.lists(st.floats(0, 1), min_size=2, max_size=8), target=st.floats(0, 1))
def test_judgments_to_reach_interpolates_the_first_crossing(ys, target) -> None:
    ys = np.sort(ys)
    curve = pd.DataFrame({"judgments": np.arange(1, len(ys) + 1) * 100, "q": ys})
    got = judgments_to_reach(curve, target, "q")
    if ys[-1] < target:
        assert np.isnan(got)
    else:
        i = int(np.argmax(ys >= target))
        assert (i == 0 and got == 100) or (curve["judgments"][i - 1] <= got <= curve["judgments"][i])
        if i > 0 and ys[i] > ys[i - 1]:
            assert np.interp(got, curve["judgments"], ys) == pytest.approx(target, abs=1e-9)


@pytest.fixture(scope="module")
def tiny():
    world = observer_world(seed=1, n_videos=18)
    return world, true_expected_similarity(world, 8)


@pytest.mark.parametrize("design", DESIGNS)
def test_every_design_measures_its_budgets(tiny, design) -> None:
    world, truth = tiny
    run = run_design(world, truth, design, [120, 240], dim=3, batch=40, n_candidates=500)
    curve = run.curve
    assert len(curve) == 2
    assert (np.diff(curve["judgments"]) > 0).all()
    assert curve["judgments"].iloc[-1] == pytest.approx(240, abs=30)
    assert curve[["spearman_counts", "spearman_embedding"]].notna().all().all()
    assert (curve["spearman_embedding"] > 0).all()


@settings(max_examples=6, deadline=None)
@given(others=st.lists(st.integers(40, 300), max_size=3), draws=st.integers(1, 2))
def test_a_set_cover_budget_is_measured_alike_whatever_the_other_budgets(tiny, others, draws) -> None:
    """The set cover at a budget is its own draw: which other budgets are measured beside it
    (the grid) cannot move it, so the reach table's reference is not a product of the grid."""
    world, truth = tiny
    alone = run_design(world, truth, "set-cover", [120], dim=3, draws=draws).curve.iloc[0]
    grid = sorted(set(others) | {120})
    beside = run_design(world, truth, "set-cover", grid, dim=3, draws=draws).curve
    row = beside.iloc[grid.index(120)]  # by position: a nearby budget can give as many trials
    for column in ("spearman_counts", "spearman_embedding", "ceiling_estimate"):
        assert row[column] == pytest.approx(alone[column], nan_ok=True)
    assert row["draws"] == draws
    assert np.isnan(row["spearman_embedding_sd"]) == (draws == 1)


def test_the_set_cover_row_is_the_mean_of_its_draws(tiny) -> None:
    world, truth = tiny
    one = run_design(world, truth, "set-cover", [120], dim=3, draws=1).curve.iloc[0]
    two = run_design(world, truth, "set-cover", [120], dim=3, draws=2).curve.iloc[0]
    # draw 0 is shared, so the second draw is 2 * mean - first; both are correlations
    second = 2 * two["spearman_embedding"] - one["spearman_embedding"]
    assert -1 <= second <= 1 and second != pytest.approx(one["spearman_embedding"])
    assert two["spearman_embedding_sd"] == pytest.approx(abs(second - one["spearman_embedding"]) / np.sqrt(2))
    with pytest.raises(ValueError, match="draws must be at least 1"):
        run_design(world, truth, "set-cover", [120], dim=3, draws=0)


@pytest.mark.parametrize("design", ["random", "adaptive"])
def test_a_sequential_designs_draws_are_independent_runs_and_draw_zero_is_its_own_stream(tiny, design) -> None:
    world, truth = tiny
    one = run_design(world, truth, design, [120, 240], dim=3, batch=40, n_candidates=500, draws=1)
    two = run_design(world, truth, design, [120, 240], dim=3, batch=40, n_candidates=500, draws=2)
    first = two.by_draw[two.by_draw["draw"] == 0].reset_index(drop=True)
    second = two.by_draw[two.by_draw["draw"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, one.by_draw)
    assert not np.allclose(first["spearman_embedding"], second["spearman_embedding"])
    expected = (first["spearman_embedding"] + second["spearman_embedding"]) / 2
    assert np.allclose(two.curve["spearman_embedding"], expected)
    assert (two.curve["draws"] == 2).all() and one.curve["spearman_embedding_sd"].isna().all()


def _welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Welch's 95% interval for mean(a) - mean(b), from the textbook formula (the check on scipy's)."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = student_t.ppf(0.975, df) * np.sqrt(va + vb)
    diff = a.mean() - b.mean()
    return diff - half, diff + half


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), draws=st.fixed_dictionaries(
    {d: st.integers(1, 5) for d in (*DESIGNS, GUIDED)}), n_budgets=st.integers(1, 3))
def test_the_lead_table_is_welchs_interval_of_first_minus_second(seed, draws, n_budgets) -> None:
    rng = np.random.default_rng(seed)
    rows = [{"seed": 4, "design": d, "budget": 100 * (k + 1), "draw": j, "spearman_embedding": rng.uniform(0.5, 1)}
            for d in (*DESIGNS, GUIDED) for k in range(n_budgets) for j in range(draws[d])]
    frame = pd.DataFrame(rows)
    leads = lead_table(frame)
    assert len(leads) == n_budgets * len(LEADS)
    for row in leads.itertuples():
        first, second = row.comparison.split(" - ")
        at = frame[frame["budget"] == row.budget]
        a = at[at["design"] == first]["spearman_embedding"].to_numpy()
        b = at[at["design"] == second]["spearman_embedding"].to_numpy()
        assert row.difference == pytest.approx(a.mean() - b.mean())
        assert row.share == pytest.approx(row.budget / (100 * n_budgets))
        assert (row.draws_first, row.draws_second) == (len(a), len(b))
        if len(a) < 2 or len(b) < 2:
            assert np.isnan(row.low) and np.isnan(row.high)
        else:
            assert (row.low, row.high) == pytest.approx(_welch_interval(a, b))
            assert row.low <= row.difference <= row.high


def test_compare_designs_and_the_reach_table(tiny) -> None:
    result = compare_designs(seeds=(1,), n_videos=18, budgets=(60, 120), dim=3, n_observers=8, design_draws=2)
    assert set(result.curves["design"]) == set(DESIGNS)
    draws = result.by_draw.groupby("design")["draw"].nunique().to_dict()
    assert draws == {"set-cover": 5, "random": 2, "adaptive": 2}
    pd.testing.assert_frame_equal(result.leads, lead_table(result.by_draw))
    pooled = compare_designs(seeds=(1,), n_videos=18, budgets=(60, 120), dim=3, n_observers=8, design_draws=2,
                             processes=2)  # one task per draw: the pool cannot change a figure
    pd.testing.assert_frame_equal(pooled.by_draw, result.by_draw)
    pd.testing.assert_frame_equal(pooled.curves, result.curves)
    per_draw = reach_by_draw(result)
    assert len(per_draw) == sum(draws.values())
    for row in per_draw.itertuples():
        curve = result.by_draw[(result.by_draw["design"] == row.design) & (result.by_draw["draw"] == row.draw)]
        assert judgments_to_reach(curve, row.target, "spearman_embedding") == pytest.approx(row.judgments, nan_ok=True)
    reach = result.reach
    assert set(reach["reference"]) == {"counts", "embedding", "paper-pipeline"}
    cover = reach[(reach["design"] == "set-cover") & (reach["share"] == 1.0) & (reach["reference"] != "paper-pipeline")]
    full = result.settings["full_budget"]
    assert (cover["judgments"] <= full).all()  # the set cover reaches its own quality by its full budget
    again = reach_table(result.curves, full)
    pd.testing.assert_frame_equal(again, reach)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(5, 30), judged=st.integers(1, 200), size=st.integers(1, 80),
       share=st.sampled_from([0.0, 0.3, 0.5]))
def test_next_batch_keeps_its_promises(seed, n, judged, size, share) -> None:
    rng = np.random.default_rng(seed)
    t = _random_triplets(n, judged, rng)
    y = rng.integers(0, 3, judged)
    trials, repeated = next_batch(t, y, n, size, share, dim=2, seed=seed)
    assert trials.shape == (size, 3) and repeated.shape == (size,)
    assert trials.min() >= 0 and trials.max() < n and (np.diff(np.sort(trials, axis=1), axis=1) > 0).all()
    assert repeated.sum() == round(share * size)
    before = {tuple(r) for r in np.sort(t, axis=1).tolist()}
    assert all(tuple(r) in before for r in np.sort(trials[repeated], axis=1).tolist())


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(6, 30), size=st.integers(1, 60))
def test_select_triplets_picks_distinct_triplets(seed, n, size) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    t = _random_triplets(n, 50, rng)
    picks = select_triplets(x, t, size, 0.01, rng, n_candidates=3000)
    assert picks.shape == (size, 3)
    if size <= n * (n - 1) * (n - 2) // 6 // 4:  # room enough that the item cap never forces a random fill
        assert len(np.unique(np.sort(picks, axis=1), axis=0)) == size


def test_next_batch_picks_more_informative_triplets_than_random() -> None:
    world = observer_world(seed=2, n_videos=40)
    rng = np.random.default_rng(0)
    t = _random_triplets(40, 600, rng)
    y = world.judge(t, np.arange(600) // 100, rng)
    picks, repeated = next_batch(t, y, 40, 200, repeat_share=0.0, dim=3, penalty=0.01)
    x = fit_embedding(t, y, 40, 3, 0.01, rng=np.random.default_rng(0)).points
    prior = 2 * 0.01 * len(t) / 40 * np.eye(3)
    cov = np.linalg.inv(item_information(x, t) + prior)
    assert not repeated.any()
    random_score = information_score(x, cov, _random_triplets(40, 2000, rng)).mean()
    assert information_score(x, cov, picks).mean() > 1.5 * random_score


def test_next_batch_refuses_what_it_cannot_fit() -> None:
    t = np.array([[0, 1, 2]])
    with pytest.raises(ValueError, match="no judgments"):
        next_batch(np.empty((0, 3)), np.empty(0), 5, 10)
    with pytest.raises(ValueError, match="outside the study's 3 videos"):
        next_batch(np.array([[0, 1, 5]]), np.array([0]), 3, 10)
    with pytest.raises(ValueError, match="at least 1 trial"):
        next_batch(t, np.array([0]), 5, 0)
    with pytest.raises(ValueError, match="one position 0..2 per judged trial"):
        next_batch(t, np.array([3]), 5, 10)
    with pytest.raises(ValueError, match="one position 0..2 per judged trial"):
        next_batch(t, np.array([0, 1]), 5, 10)


def test_plan_next_batch_deals_marks_and_summarises() -> None:
    rng = np.random.default_rng(3)
    t = _random_triplets(20, 300, rng)
    y = rng.integers(0, 3, 300)
    schedule = plan_next_batch(t, y, 20, participants=4, trials_per_participant=25, catch_per_participant=2)
    table = schedule.table
    assert len(table) == 100 and (table.groupby("participant").size() == 25).all()
    assert (table.groupby("participant")["trial"].apply(lambda s: sorted(s) == list(range(25)))).all()
    assert schedule.summary["trials_by_kind"]["catch"] == 8
    assert schedule.summary["trials_by_kind"]["repeat"] >= round(0.3 * 92)
    assert schedule.summary["design"] == "adaptive" and schedule.summary["judged_trials"] == 300
    # every copy of a triplet goes to a different participant
    regular = table[table["kind"] != "catch"]
    key = regular[["video_1", "video_2", "video_3"]].apply(lambda r: tuple(sorted(r)), axis=1)
    assert not pd.DataFrame({"k": key, "p": regular["participant"]}).duplicated().any()
    again = plan_next_batch(t, y, 20, participants=4, trials_per_participant=25, catch_per_participant=2)
    pd.testing.assert_frame_equal(again.table, table)  # a seed gives the same schedule


@settings(max_examples=40, deadline=None)
@given(kinds=st.lists(st.sampled_from(["above", "below", "none", "nan"]), min_size=1, max_size=10))
def test_describe_leads_words_follow_the_intervals(kinds) -> None:
    intervals = {"above": (0.01, 0.03), "below": (-0.03, -0.01), "none": (-0.01, 0.02), "nan": (np.nan, np.nan)}
    n = len(kinds)
    leads = pd.DataFrame([{"seed": 0, "share": (k + 1) / n, "comparison": "adaptive - random",
                           "low": intervals[kind][0], "high": intervals[kind][1]} for k, kind in enumerate(kinds)])
    words = describe_leads(leads)
    assert words.endswith(" of the budget")
    said = {part.split(" at ")[0]: part.split(" at ")[1].removesuffix(" of the budget") for part in words.split("; ")}
    expected = {"above": "above", "below": "below", "none": "no detectable difference", "nan": "no detectable difference"}
    assert set(said) == {expected[k] for k in kinds}
    position = {f"{(k + 1) / n:.0%}": k for k in range(n)}
    for kind, text in said.items():
        named: set[int] = set()
        for piece in text.replace(" and ", ", ").split(", "):
            ends = [position[p] for p in piece.split("-")]
            named |= set(range(ends[0], ends[-1] + 1))
        assert named == {k for k, got in enumerate(kinds) if expected[got] == kind}


def test_describe_leads_refuses_what_it_cannot_word() -> None:
    leads = pd.DataFrame([{"seed": s, "share": 1.0, "comparison": "adaptive - random", "low": 0.0, "high": 1.0}
                          for s in (0, 1)])
    with pytest.raises(ValueError, match="one seed"):
        describe_leads(leads)
    with pytest.raises(ValueError, match="no 'random - set-cover' rows"):
        describe_leads(leads[leads["seed"] == 0], "random - set-cover")


def test_a_guide_steers_the_selection_only(tiny) -> None:
    """The rung check's guide scores the candidates: the adaptive run starts from the same random
    triplets (its first budget is unchanged) and then picks others; no other design takes one."""
    world, truth = tiny
    guide = guide_points(world, 240, dim=3, multiple=2)
    assert guide.shape == (world.n_items, 3)
    plain = run_design(world, truth, "adaptive", [120, 240], dim=3, batch=40, n_candidates=500)
    steered = run_design(world, truth, "adaptive", [120, 240], dim=3, batch=40, n_candidates=500, guide=guide)
    first = ["judgments", "spearman_counts", "spearman_embedding"]
    pd.testing.assert_series_equal(plain.curve[first].iloc[0], steered.curve[first].iloc[0])
    assert plain.curve["spearman_embedding"].iloc[1] != steered.curve["spearman_embedding"].iloc[1]
    assert steered.settings["guided"] and not plain.settings["guided"]
    with pytest.raises(ValueError, match="adaptive design only"):
        run_design(world, truth, "random", [120], dim=3, guide=guide)


def test_compare_designs_runs_the_guided_rung_check_on_request() -> None:
    result = compare_designs(seeds=(1,), n_videos=18, budgets=(60, 120), dim=3, n_observers=8, design_draws=2,
                             guided_draws=2)
    assert result.settings["guided_draws"] == 2
    assert result.by_draw.query("design == @GUIDED")["draw"].nunique() == 2
    assert {f"{GUIDED} - adaptive", f"{GUIDED} - random"} <= set(result.leads["comparison"])


@pytest.fixture(scope="module")
def planted(tiny):
    world, _ = tiny
    return planted_world(world, 240, sharpness=2.0, dim=3)


def test_planted_people_choose_by_the_models_probabilities(planted) -> None:
    """Every planted person draws the odd one out from the model's own probabilities."""
    triplets = np.repeat(_random_triplets(planted.n_items, 4, np.random.default_rng(0)), 20_000, axis=0)
    odd = planted.judge(triplets, np.zeros(len(triplets), dtype=int), np.random.default_rng(1))
    assert set(np.unique(odd)) <= {0, 1, 2}
    shares = np.stack([np.bincount(odd[k * 20_000:(k + 1) * 20_000], minlength=3)
                       for k in range(4)]) / 20_000
    want = planted.choice_probabilities(triplets[::20_000])
    assert np.abs(shares - want).max() < 0.015  # 20,000 draws: sd of a share at most 0.0036


def test_a_planted_worlds_sharpness_scales_every_pair_score(tiny, planted) -> None:
    world, _ = tiny
    plain = planted_world(world, 240, sharpness=1.0, dim=3)
    np.testing.assert_allclose(planted.points @ planted.points.T, 2.0 * plain.points @ plain.points.T)
    assert planted.seed == world.seed
    truth = planted.truth()
    np.testing.assert_allclose(truth, keep_probability(planted.points @ planted.points.T, 1.0, LAPSE))
    with pytest.raises(ValueError, match="sharpness must be positive"):
        planted_world(world, 240, sharpness=0.0)


def test_a_design_run_on_planted_people_measures_their_own_ceiling(planted) -> None:
    run = run_design(planted, planted.truth(), "random", [120, 240], dim=3, batch=40)
    last = run.by_draw.iloc[-1]
    assert run.curve["spearman_embedding"].notna().all()
    assert 1 / 3 < last["ceiling_true"] < 1 and last["n_repeated_trials"] > 0


def test_compare_designs_runs_the_planted_rung_on_request() -> None:
    result = compare_designs(seeds=(1,), n_videos=18, budgets=(60, 120), dim=3, n_observers=8, design_draws=2,
                             planted=4.0)
    assert result.settings["planted"] == 4.0
    assert set(result.by_draw["design"]) == set(DESIGNS)
    social = compare_designs(seeds=(1,), n_videos=18, budgets=(60, 120), dim=3, n_observers=8, design_draws=2)
    assert social.settings["planted"] is None
    # the same streams draw the same triplets; planted people answer them otherwise
    assert not np.allclose(result.curves["spearman_embedding"], social.curves["spearman_embedding"])
    with pytest.raises(ValueError, match="one rung at a time"):
        compare_designs(seeds=(1,), n_videos=18, budgets=(60, 120), dim=3, planted=1.0, guided_draws=1)


def test_the_planted_summary_reads_each_designs_saving_and_the_peoples_ceiling(tmp_path, monkeypatch) -> None:
    small = {"seeds": (1, 2), "n_videos": 18, "budgets": (60, 120), "dim": 3, "n_observers": 8, "design_draws": 2}
    result = compare_designs(**small, planted=2.0)
    summary = planted_summary(result)
    assert list(summary["seed"]) == [1, 2] and (summary["sharpness"] == 2.0).all() and (summary["draws"] == 2).all()
    assert summary["ceiling_true"].between(1 / 3, 1).all()
    strict = result.reach.query("reference == 'embedding' and share == 1.0 and design == 'adaptive'")
    np.testing.assert_array_equal(summary["adaptive_saving"], strict.sort_values("seed")["saving"])
    per_draw = reach_by_draw(result).query("design == 'adaptive'")
    # a run that does not reach the quality makes the least saving NaN; the most is over the runs that do
    least = per_draw.groupby("seed")["saving"].agg(lambda v: v.min(skipna=False)).to_numpy()
    np.testing.assert_array_equal(summary["adaptive_draw_min"], least)
    np.testing.assert_array_equal(summary["adaptive_draw_max"], per_draw.groupby("seed")["saving"].max().to_numpy())
    with pytest.raises(ValueError, match="not a planted comparison"):
        planted_summary(compare_designs(**{**small, "seeds": (1,)}))
    # the book's copy: built once into the cache, then read back
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    import socalign.analyses.adaptive as adaptive

    built = cached_planted_rung((1,), 9, sharpness=(2.0,), design_draws=2)
    assert list(built["sharpness"]) == [2.0] and list(built["seed"]) == [1]
    monkeypatch.setattr(adaptive, "compare_designs", lambda *a, **k: pytest.fail("the cache was not read back"))
    pd.testing.assert_frame_equal(cached_planted_rung((1,), 9, sharpness=(2.0,), design_draws=2), built)
