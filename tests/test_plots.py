"""Figure helpers draw what the results hold (Agg backend, no display)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from socalign import plots
from socalign.analyses.gap import gap_table
from socalign.analyses.partition import partition_similarity
from socalign.analyses.probes import probe_arrays
from tests.helpers.tables import planted_benchmark  # tests/ is on sys.path (rootdir import)


def _bars(ax) -> list:
    """The bars of the first bar container (not the ceiling band)."""
    from matplotlib.container import BarContainer

    return next(c for c in ax.containers if isinstance(c, BarContainer)).patches


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_gap_bars_heights_errors_and_ceiling() -> None:
    bench, Z, rng = planted_benchmark(n_trials=1200)
    gap = gap_table(bench, {"caption": Z, "video": rng.normal(size=Z.shape)},
                    {"caption": "language", "video": "video"}, n_boot=50, ceiling_splits=10)
    ax = plots.gap_bars(gap, "r2")
    heights = [p.get_height() for p in _bars(ax)]
    np.testing.assert_allclose(heights, gap.to_frame()["r2"])
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    if gap.ceiling["r2"]["estimate"] is not None:
        assert dashed and dashed[0].get_ydata()[0] == pytest.approx(gap.ceiling["r2"]["estimate"])
    ax2 = plots.gap_bars(gap, "ooo_pair")
    assert any(line.get_ydata()[0] == 0.5 for line in ax2.get_lines())  # chance for the pair rule
    with pytest.raises(ValueError, match="statistic"):
        plots.gap_bars(gap, "pearson")


def test_partition_bars_stack_to_full_r2_and_venn() -> None:
    rng = np.random.default_rng(0)
    n = 20
    x = rng.normal(size=(n, 2))
    human = -np.linalg.norm(x[:, None] - x[None], axis=-1)
    other = human + rng.normal(size=(n, n))
    other = (other + other.T) / 2
    part = partition_similarity(human, {"lang": human, "video": other},
                                ~np.eye(n, dtype=bool), n_boot=0)
    ax = plots.partition_bars(part)
    positive = sum(p.get_height() for p in ax.patches if p.get_height() > 0)
    negative = sum(p.get_height() for p in ax.patches if p.get_height() < 0)
    assert positive + negative == pytest.approx(part.r2_full)
    ax = plots.partition_venn(part)
    texts = [t.get_text() for t in ax.texts]
    assert f"{part.components['lang & video']:.3f}" in texts
    three = partition_similarity(human, {"a": human, "b": other, "c": other.T}, ~np.eye(n, dtype=bool),
                                 n_boot=0)
    with pytest.raises(ValueError, match="2 predictors"):
        plots.partition_venn(three)


def test_probe_bars_mark_significant_attributes() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5))
    targets = {"valence": X[:, 0], "arousal": rng.normal(size=60)}
    res = probe_arrays(X, targets, np.arange(40), np.arange(40, 60), embedding="a",
                       n_perm=200, n_boot=50)
    ax = plots.probe_bars([res])
    heights = [p.get_height() for p in _bars(ax)]
    assert heights == pytest.approx([r.r for r in res.rows])
    stars = [t for t in ax.texts if t.get_text() == "*"]
    assert len(stars) == sum(r.p_value < 0.05 for r in res.rows) >= 1


def test_rollout_overlay_draws_each_frame() -> None:
    frames = np.zeros((4, 16, 16, 3), dtype=np.uint8)
    maps = np.zeros((2, 4, 4))
    maps[:, 1, 2] = 1.0
    axes = plots.rollout_overlay(frames, maps)
    assert len(axes) == 4
    overlay = axes[3].get_images()[1].get_array()
    assert overlay.shape == (16, 16)
    assert overlay[4:8, 8:12].min() == 1.0 and overlay.sum() == 16
    with pytest.raises(ValueError, match="axes for 4 frames"):
        plots.rollout_overlay(frames, maps, axes=axes[:2])
