"""Figure text on the book's pages is at least 9 pt at page width."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from socalign import plots


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():
        plots.use_book_style()
        yield
    plt.close("all")


def smallest_text(fig) -> float:
    """The smallest font size (points) of any visible text of ``fig``, scaled to page width."""
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()]
    scale = min(1.0, plots.PAGE_WIDTH_IN / fig.get_figwidth())
    return min(sizes) * scale


def test_book_style_sets_every_size_at_least_the_minimum() -> None:
    assert all(v >= plots.MIN_FONT_PT for k, v in plots.BOOK_STYLE.items() if "size" in k)


def test_heatmaps_have_readable_sparse_ticks() -> None:
    n = 250
    rng = np.random.default_rng(0)
    sim = rng.random((n, n))
    fig, ax = plt.subplots(figsize=(4.4, 3.6), layout="constrained")
    plots.similarity_heatmap((sim + sim.T) / 2, ax=ax, title="SocialWorld")
    fig.canvas.draw()
    assert len([t for t in ax.get_xticklabels() if t.get_text()]) <= 10
    assert smallest_text(fig) >= plots.MIN_FONT_PT
    fig2, ax2 = plt.subplots(figsize=(4.4, 3.4), layout="constrained")
    plots.coverage_heatmap(rng.integers(0, 3, (12, 12)), ax=ax2)
    assert smallest_text(fig2) >= plots.MIN_FONT_PT


def test_legends_and_rollout_frames_are_readable() -> None:
    fig, ax = plt.subplots(figsize=(5.5, 3.2), layout="constrained")
    ax.plot([0, 1], [0, 1], label="hybrid")
    plots._legend_outside(ax)
    assert smallest_text(fig) >= plots.MIN_FONT_PT
    frames = np.zeros((4, 16, 16, 3), dtype=np.uint8)
    maps = {"pretrained": np.ones((4, 2, 2)), "fine-tuned": np.ones((4, 2, 2))}
    fig = plots.rollout_figure(frames, maps, n_show=4)
    assert smallest_text(fig) >= plots.MIN_FONT_PT
