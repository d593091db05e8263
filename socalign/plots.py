"""Figure helpers for the book: design and similarity heat maps, split-half histograms, gap
bars with CIs and the ceiling band, fine-tuning ablations and training curves,
variance-partitioning bars and a two-set Venn, probe bars, and rollout overlays.

Each helper follows seaborn's conventions: it takes the analysis result (or a tidy frame) and
an optional matplotlib ``Axes``, draws on it and returns it, and computes nothing the analyses
do not already hold. Common rules: value axes include 0 and show the reference (a ceiling, the
language model, chance) that a reader compares against; counts and epochs get integer ticks;
legends sit outside the data. matplotlib and seaborn are imported inside each helper, so
``import socalign.plots`` works without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from socalign.text import sig

PAGE_WIDTH_IN = 6.7
"""Width (inches, at the book's 100 dpi) a book figure may take: the article column is 672 CSS
px wide in a 1280 px window, and a wider figure is shrunk to it, its text with it; every
chapter figure, legends included, is at most this wide (``scripts/check_book.py`` checks)."""

MIN_FONT_PT = 9.0
"""Smallest text (points) on a book figure at page width."""

BOOK_STYLE = {
    "font.size": 10.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 11.0,
    "figure.dpi": 100.0,
}
"""matplotlib settings of the book's figures (:func:`use_book_style`)."""


def use_book_style() -> None:
    """Set :data:`BOOK_STYLE` for this session (each chapter does, via its settings call)."""
    import matplotlib as mpl

    mpl.rcParams.update(BOOK_STYLE)


def _sparse_ticks(ax: Any, n: int, most: int = 8) -> None:
    """At most ``most`` whole-number ticks on both axes of an n-by-n heat map."""
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=min(most, max(n, 1)), integer=True))


KIND_COLOURS = {
    "language": "tab:blue",
    "video": "tab:orange",
    "baseline": "tab:gray",
    "oracle": "tab:green",
    "unknown": "tab:purple",
}


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5, 3.4))[1]


def _yerr(values: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """Error-bar lengths below and above each value (0 where the value lies outside its
    interval: a percentile bootstrap interval need not contain the estimate, and matplotlib
    refuses negative lengths)."""
    v = values.astype(float).to_numpy()
    lo = low.astype(float).to_numpy()
    hi = high.astype(float).to_numpy()
    return np.clip(np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0), 0.0, None)


def _short(name: str) -> str:
    return str(name).rstrip("/").split("/")[-1]


def _legend_outside(ax: Any, **kwargs: Any) -> None:
    """Put the legend to the right of the axes, away from the data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=MIN_FONT_PT,
                  borderaxespad=0.0, **kwargs)


def _integer_ticks(axis: Any) -> None:
    """Ticks only at whole numbers on ``axis`` (``ax.xaxis`` or ``ax.yaxis``)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _include_zero(ax: Any, top: float | None = None) -> None:
    """Let the y axis start at 0 (or below, for negative data) and reach at least ``top``."""
    low, high = ax.get_ylim()
    if top is not None and np.isfinite(top):
        high = max(high, top * 1.08)
    ax.set_ylim(min(low, 0.0), high)


def coverage_heatmap(coverage: np.ndarray, ax: Any = None) -> Any:
    """How often each pair of items shares a designed triplet (``pair_counts``), with a count bar.

    Parameters
    ----------
    coverage : numpy.ndarray
        (N, N) counts of triplets holding each pair.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    top = int(np.max(coverage)) if np.size(coverage) else 1
    cmap = plt.get_cmap("viridis", top + 1)
    image = ax.imshow(coverage, cmap=cmap, vmin=-0.5, vmax=top + 0.5, interpolation="nearest")
    ax.set_xlabel("video")
    ax.set_ylabel("video")
    _sparse_ticks(ax, len(coverage))
    bar = ax.figure.colorbar(image, ax=ax, label="triplets holding the pair",
                             ticks=range(top + 1))
    bar.ax.tick_params(labelsize=MIN_FONT_PT)
    return ax


def similarity_heatmap(similarity: np.ndarray, ax: Any = None, title: str | None = None) -> Any:
    """The judged similarity matrix (unobserved pairs blank, diagonal blank) on a 0–1 scale.

    Parameters
    ----------
    similarity : numpy.ndarray
        (N, N) judged similarity, NaN where a pair was never shown together.
    ax : matplotlib Axes, optional
        Where to draw.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    shown = np.where(np.eye(len(similarity), dtype=bool), np.nan, similarity)
    image = ax.imshow(shown, cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xlabel("video")
    ax.set_ylabel("video")
    _sparse_ticks(ax, len(similarity))
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, label="judged similarity")
    return ax


def split_half_hist(values: dict[str, np.ndarray], ax: Any = None) -> Any:
    """Histograms of split-half reliabilities (one per benchmark) over random participant splits.

    Parameters
    ----------
    values : dict of str to numpy.ndarray
        Benchmark name -> Spearman–Brown corrected split-half correlations.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    import seaborn as sns

    ax = _axes(ax)
    tidy = pd.DataFrame([{"benchmark": name, "r_sb": float(v)}
                         for name, vals in values.items() for v in np.asarray(vals)
                         if np.isfinite(v)])
    sns.histplot(tidy, x="r_sb", hue="benchmark", bins=20, ax=ax, element="step", alpha=0.4)
    ax.set_xlabel("split-half reliability $r_{SB}$")
    ax.set_ylabel("splits")
    _integer_ticks(ax.yaxis)
    legend = ax.get_legend()
    if legend is not None:
        legend.set_bbox_to_anchor((1.02, 1.0))
        legend.set_loc("upper left")
        legend.set_frame_on(False)
    return ax


def gap_bars(gap: Any, statistic: str = "r2", ax: Any = None, show_ceiling: bool = True) -> Any:
    """Bars of one statistic per model with CIs, coloured by kind, and the noise-ceiling band.

    The ceiling band spans the ceiling's interval (split-half percentiles for R²) with a dashed
    line at its estimate; the OOO ceiling (and, dash-dotted, the repeat-agreement reliability)
    belong to the argmax rule and are drawn only there; OOO chance is drawn dotted.

    Parameters
    ----------
    gap : socalign.analyses.gap.GapResult
        The models' scores and the benchmark's ceilings.
    statistic : {"r2", "ooo_pair", "ooo_argmax"}, default "r2"
        The statistic drawn.
    ax : matplotlib Axes, optional
        Where to draw; None: a new figure.
    show_ceiling : bool, default True
        Draw the ceiling (and, for ``ooo_argmax``, the reliability) lines.

    Returns
    -------
    matplotlib Axes
    """
    frame = gap.to_frame()
    if statistic not in ("r2", "ooo_pair", "ooo_argmax"):
        raise ValueError(f"statistic must be r2, ooo_pair or ooo_argmax, got {statistic!r}")
    ax = _axes(ax)
    x = np.arange(len(frame))
    ax.bar(
        x, frame[statistic].astype(float),
        yerr=_yerr(frame[statistic], frame[f"{statistic}_low"], frame[f"{statistic}_high"]),
        capsize=3, color=[KIND_COLOURS.get(k, "tab:purple") for k in frame["kind"]],
    )
    # the consistency ceiling scores single choices, i.e. the argmax rule: never draw it under
    # the pair rule, whose chance and scale differ
    ceiling = {"r2": gap.ceiling.get("r2", {}), "ooo_argmax": gap.ceiling.get("ooo_ceiling", {}),
               "ooo_pair": {}}[statistic]
    estimate = ceiling.get("estimate")
    if show_ceiling and estimate is not None and np.isfinite(estimate):
        low, high = ceiling.get("low"), ceiling.get("high")
        name = "R² ceiling" if statistic == "r2" else "OOO ceiling"
        if low is not None and high is not None:
            ax.axhspan(low, high, color="0.85", zorder=0, label=f"{name} (interval)")
        ax.axhline(estimate, ls="--", color="k", lw=1, label=name)
    reliability = gap.ceiling.get("ooo_accuracy", {}).get("estimate")
    if show_ceiling and statistic == "ooo_argmax" and reliability is not None:
        ax.axhline(reliability, ls="-.", color="0.45", lw=1, label="OOO reliability")
    if statistic != "r2":
        chance = 0.5 if statistic == "ooo_pair" else 1 / 3
        ax.axhline(chance, ls=":", color="0.4", lw=1, label="chance")
    ax.set_xticks(x, [_short(m) for m in frame["model"]], rotation=20, ha="right")
    label = {"r2": "R² with human similarity", "ooo_pair": "OOO accuracy (pair rule)",
             "ooo_argmax": "OOO accuracy (argmax rule)"}[statistic]
    ax.set_ylabel(label)
    _include_zero(ax)
    _legend_outside(ax)
    return ax


def ablation_bars(
    runs: pd.DataFrame, statistic: str = "r2", references: dict[str, float] | None = None,
    ax: Any = None,
) -> Any:
    """Test scores before and after fine-tuning per loss: mean ± sd over seeds, dots per seed.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run and statistic, with columns ``loss``, ``seed``, ``statistic``,
        ``before`` and ``after`` (``socalign.analyses.ablation.run_table``).
    statistic : str
        The statistic to draw (``"r2"``, ``"ooo_argmax"``, ...).
    references : dict of str to float, optional
        Horizontal reference lines (label -> value), e.g. the language model and the ceiling.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    import seaborn as sns

    part = runs[runs["statistic"] == statistic]
    if part.empty:
        raise ValueError(f"no rows for statistic {statistic!r}")
    tidy = part.melt(id_vars=["loss", "seed"], value_vars=["before", "after"], var_name="model",
                     value_name="score")
    tidy["model"] = tidy["model"].map({"before": "pretrained", "after": "fine-tuned"})
    ax = _axes(ax)
    palette = {"pretrained": "0.65", "fine-tuned": "tab:orange"}
    sns.barplot(tidy, x="loss", y="score", hue="model", errorbar="sd", capsize=0.1,
                palette=palette, ax=ax, err_kws={"linewidth": 1})
    sns.stripplot(tidy, x="loss", y="score", hue="model", dodge=True, palette=["k", "k"],
                  size=3, ax=ax, legend=False)
    styles = iter([("--", "k"), (":", "tab:blue"), ("-.", "tab:green")])
    top = float(tidy["score"].max())
    for label, value in (references or {}).items():
        if value is not None and np.isfinite(value):
            ls, colour = next(styles)
            ax.axhline(value, ls=ls, color=colour, lw=1, label=label)
            top = max(top, float(value))
    ax.set_xlabel("loss")
    ax.set_ylabel({"r2": "test R²"}.get(statistic, f"test {statistic}"))
    _include_zero(ax, top)
    _legend_outside(ax)
    return ax


def training_curves(histories: dict[str, pd.DataFrame], best: dict[str, int] | None = None,
                    column: str = "val_spearman", ax: Any = None) -> Any:
    """Validation score per epoch for each run, with the kept (best) epoch marked.

    Parameters
    ----------
    histories : dict of str to pandas.DataFrame
        Run label -> the run's ``metrics.csv`` (columns ``epoch`` and ``column``).
    best : dict of str to int, optional
        Run label -> the epoch whose weights were kept (drawn as a larger marker).
    column : str
        The score column.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    for label, history in histories.items():
        line = ax.plot(history["epoch"], history[column], marker="o", ms=3, label=label)[0]
        if best and label in best:
            kept = history[history["epoch"] == best[label]]
            ax.plot(kept["epoch"], kept[column], marker="*", ms=11, color=line.get_color(),
                    ls="none")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation Spearman" if column == "val_spearman" else column)
    _integer_ticks(ax.xaxis)
    _legend_outside(ax, title="★ kept epoch" if best else None)
    return ax


def partition_bars(partition: Any, ax: Any = None, top: float | None = None,
                   reference: tuple[str, float] | None = None) -> Any:
    """One stacked bar of the full R²: each unique part, then each shared part.

    Parameters
    ----------
    partition : socalign.analyses.partition.Partition
        The partition to draw. Negative shared parts (suppression) are drawn below zero.
    ax : matplotlib Axes, optional
        Where to draw.
    top : float, optional
        The least upper limit of the y axis, so that panels share a scale (e.g. the largest
        full R² of the panels, or the R² ceiling).
    reference : (str, float), optional
        A labelled reference line, e.g. ``("R² ceiling", 0.52)``.

    Returns
    -------
    matplotlib Axes
    """
    frame = partition.to_frame()
    ax = _axes(ax)
    bottom_pos, bottom_neg = 0.0, 0.0
    colours = iter(["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
                    "tab:pink"])
    for _, row in frame.iterrows():
        value = float(row["value"])
        base = bottom_pos if value >= 0 else bottom_neg
        ax.bar(0, value, bottom=base, width=0.5, color=next(colours),
               label=f"{row['component']} ({row['kind']}): {sig(value)}",
               hatch="//" if row["kind"] == "shared" else None, edgecolor="white")
        if value >= 0:
            bottom_pos += value
        else:
            bottom_neg += value
    if reference is not None and np.isfinite(reference[1]):
        ax.axhline(reference[1], ls="--", color="k", lw=1, label=reference[0])
    ax.set_xlim(-0.6, 0.6)
    ax.set_xticks([0], [f"R² = {sig(partition.r2_full)}"])
    ax.set_ylabel(f"R² ({partition.regression.replace('_', ' on ')})")
    ceiling = max(top or 0.0, reference[1] if reference else 0.0)
    _include_zero(ax, ceiling or None)
    _legend_outside(ax)
    return ax


def partition_venn(partition: Any, ax: Any = None) -> Any:
    """A two-set Venn diagram labelled with the unique and shared parts (2 predictors only).

    Circles are drawn at equal size; the numbers carry the information.

    Parameters
    ----------
    partition : socalign.analyses.partition.Partition
        A partition of exactly two predictors.
    ax : matplotlib Axes, optional
        Where to draw; None: a new figure.

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.patches import Circle

    if len(partition.predictors) != 2:
        raise ValueError(f"a Venn diagram needs 2 predictors, got {len(partition.predictors)}")
    a, b = partition.predictors
    comps = partition.components
    ax = _axes(ax)
    for x, colour in ((-0.5, "tab:blue"), (0.5, "tab:orange")):
        ax.add_patch(Circle((x, 0), 1.0, alpha=0.35, color=colour, lw=0))
    ax.text(-0.95, 0, sig(comps[a]), ha="center", va="center")
    ax.text(0.95, 0, sig(comps[b]), ha="center", va="center")
    ax.text(0, 0, sig(comps[f"{a} & {b}"]), ha="center", va="center")
    ax.text(-0.9, 1.1, _short(a), ha="center")
    ax.text(0.9, 1.1, _short(b), ha="center")
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.2, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"R² = {sig(partition.r2_full)} ({partition.regression})", fontsize=9)
    return ax


def probe_bars(results: Sequence[Any], ax: Any = None, alpha: float = 0.05) -> Any:
    """Grouped bars of held-out Pearson r per attribute, one group member per embedding set.

    Parameters
    ----------
    results : sequence of socalign.analyses.probes.ProbeResult
        One result per embedding set; error bars are their bootstrap intervals.
    ax : matplotlib Axes, optional
        Where to draw.
    alpha : float
        A ``*`` above a bar marks a permutation p-value below ``alpha`` (say so in the
        caption).

    Returns
    -------
    matplotlib Axes
    """
    frame = pd.concat([r.to_frame() for r in results], ignore_index=True)
    attributes = list(dict.fromkeys(frame["attribute"]))
    embeddings = list(dict.fromkeys(frame["embedding"]))
    ax = _axes(ax)
    width = 0.8 / len(embeddings)
    for k, emb in enumerate(embeddings):
        part = frame[frame["embedding"] == emb].set_index("attribute").reindex(attributes)
        x = np.arange(len(attributes)) + (k - (len(embeddings) - 1) / 2) * width
        ax.bar(x, part["r"], width, yerr=_yerr(part["r"], part["ci_low"], part["ci_high"]),
               capsize=2, label=_short(emb))
        for xi, (r, p) in zip(x, zip(part["r"], part["p_value"], strict=True), strict=True):
            if np.isfinite(p) and p < alpha:
                ax.text(xi, max(r, 0) + 0.02, "*", ha="center")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(attributes)), attributes, rotation=20, ha="right")
    ax.set_ylabel("held-out Pearson r")
    _legend_outside(ax)
    return ax


def rollout_overlay(
    frames: np.ndarray, maps: np.ndarray, axes: Sequence[Any] | None = None, alpha: float = 0.5,
    cmap: str = "inferno",
) -> Sequence[Any]:
    """Each frame with its rollout map on top: ``frames`` (T, H, W, 3) uint8, ``maps`` (T', h, w).

    When the model's frames are fewer (tubelets), frame ``t`` shows map ``t * T' // T``. Maps
    are spread over the pixels of their patches (nearest) and share one colour scale.

    Parameters
    ----------
    frames : numpy.ndarray
        (T, H, W, 3) uint8 frames.
    maps : numpy.ndarray
        (T', h, w) rollout maps of the clip.
    axes : sequence of matplotlib Axes, optional
        T axes, one per frame; None: a new figure with one row of T axes.
    alpha : float, default 0.5
        Opacity of the maps.
    cmap : str, default "inferno"
        Colour map of the maps.

    Returns
    -------
    sequence of matplotlib Axes
        The axes drawn on.
    """
    import matplotlib.pyplot as plt

    frames = np.asarray(frames)
    maps = np.asarray(maps, dtype=float)
    if frames.ndim != 4 or maps.ndim != 3:
        raise ValueError(f"frames must be (T, H, W, 3) and maps (T', h, w); got {frames.shape}, {maps.shape}")
    n = len(frames)
    if axes is None:
        axes = plt.subplots(1, n, figsize=(1.6 * n, 1.8), squeeze=False)[1][0]
    if len(axes) != n:
        raise ValueError(f"{len(axes)} axes for {n} frames")
    H, W = frames.shape[1:3]
    vmax = float(maps.max()) or 1.0
    for t, ax in enumerate(axes):
        m = maps[t * len(maps) // n]
        big = np.kron(m, np.ones((int(np.ceil(H / m.shape[0])), int(np.ceil(W / m.shape[1])))))[:H, :W]
        ax.imshow(frames[t])
        ax.imshow(big, cmap=cmap, alpha=alpha, vmin=0, vmax=vmax)
        ax.set_axis_off()
        ax.set_title(f"frame {t}", fontsize=MIN_FONT_PT)
    return axes


def rollout_figure(frames: np.ndarray, maps: dict[str, np.ndarray], n_show: int = 4,
                   size: float = 1.3, alpha: float = 0.55, cmap: str = "inferno") -> Any:
    """One row of frames per model with its rollout map on top, and one shared colour bar.

    Parameters
    ----------
    frames : numpy.ndarray
        (T, H, W, 3) uint8 frames of one clip.
    maps : dict of str to numpy.ndarray
        Model label -> its (T', h, w) rollout maps of that clip.
    n_show : int
        Frames shown, evenly spaced over the clip (large enough to see the agents).
    size : float
        Inches per frame.
    alpha : float
        Opacity of the maps.
    cmap : str
        Colour map of the attention share.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise ValueError(f"frames must be (T, H, W, 3), got {frames.shape}")
    picks = np.unique(np.linspace(0, len(frames) - 1, min(n_show, len(frames))).round().astype(int))
    vmax = max(float(np.max(m)) for m in maps.values()) or 1.0
    fig, axes = plt.subplots(len(maps), len(picks), figsize=(size * len(picks) + 1.0,
                                                             size * len(maps)),
                             squeeze=False, layout="constrained")
    H, W = frames.shape[1:3]
    for row, (label, clip_maps) in enumerate(maps.items()):
        clip_maps = np.asarray(clip_maps, dtype=float)
        for col, t in enumerate(picks):
            ax = axes[row][col]
            m = clip_maps[t * len(clip_maps) // len(frames)]
            big = np.kron(m, np.ones((int(np.ceil(H / m.shape[0])),
                                      int(np.ceil(W / m.shape[1])))))[:H, :W]
            ax.imshow(frames[t], interpolation="nearest")
            ax.imshow(big, cmap=cmap, alpha=alpha, vmin=0, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"frame {t}", fontsize=9)
            if col == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.colorbar(ScalarMappable(Normalize(0, vmax), cmap), ax=axes, shrink=0.8,
                 label="share of rollout attention")
    return fig
