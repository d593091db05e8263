"""Figure helpers for the book: gap bars with CIs and the ceiling band, variance-partitioning
bars and a two-set Venn, probe bars, and rollout overlays.

Each helper draws on a given matplotlib ``Axes`` (or a new one) and returns it; it computes
nothing the analyses do not already hold. matplotlib is imported inside each helper, so
``import socalign.plots`` works without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

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
    v = values.astype(float).to_numpy()
    lo = low.astype(float).to_numpy()
    hi = high.astype(float).to_numpy()
    return np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0)


def _short(name: str) -> str:
    return str(name).rstrip("/").split("/")[-1]


def gap_bars(gap: Any, statistic: str = "r2", ax: Any = None, show_ceiling: bool = True) -> Any:
    """Bars of one statistic per model with CIs, coloured by kind, and the noise-ceiling band.

    ``gap``: a :class:`socalign.analyses.gap.GapResult`. ``statistic``: ``r2``,
    ``ooo_pair`` or ``ooo_argmax``. The ceiling band spans the ceiling's interval (split-half
    percentiles for R²) with a dashed line at its estimate; the OOO consistency ceiling belongs to
    the argmax rule and is drawn only there; OOO chance is drawn dotted.
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
    ceiling = {"r2": gap.ceiling.get("r2", {}), "ooo_argmax": gap.ceiling.get("ooo_accuracy", {}),
               "ooo_pair": {}}[statistic]
    estimate = ceiling.get("estimate")
    if show_ceiling and estimate is not None and np.isfinite(estimate):
        low, high = ceiling.get("low"), ceiling.get("high")
        if low is not None and high is not None:
            ax.axhspan(low, high, color="0.85", zorder=0, label="noise ceiling (interval)")
        ax.axhline(estimate, ls="--", color="k", lw=1, label="noise ceiling")
    if statistic != "r2":
        chance = 0.5 if statistic == "ooo_pair" else 1 / 3
        ax.axhline(chance, ls=":", color="0.4", lw=1, label="chance")
    ax.set_xticks(x, [_short(m) for m in frame["model"]], rotation=20, ha="right")
    label = {"r2": "R² with human similarity", "ooo_pair": "OOO accuracy (pair rule)",
             "ooo_argmax": "OOO accuracy (argmax rule)"}[statistic]
    ax.set_ylabel(label)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    return ax


def partition_bars(partition: Any, ax: Any = None) -> Any:
    """One stacked bar of the full R²: each unique part, then each shared part, with CIs beside.

    ``partition``: a :class:`socalign.analyses.partition.Partition`. Negative shared parts
    (suppression) are drawn below zero.
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
               label=f"{row['component']} ({row['kind']}): {value:.3f}",
               hatch="//" if row["kind"] == "shared" else None, edgecolor="white")
        if value >= 0:
            bottom_pos += value
        else:
            bottom_neg += value
    ax.set_xlim(-0.6, 1.8)
    ax.set_xticks([0], [f"R² = {partition.r2_full:.3f}"])
    ax.set_ylabel(f"R² ({partition.regression.replace('_', ' on ')})")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return ax


def partition_venn(partition: Any, ax: Any = None) -> Any:
    """A two-set Venn diagram labelled with the unique and shared parts (2 predictors only).

    Circles are drawn at equal size; the numbers carry the information.
    """
    from matplotlib.patches import Circle

    if len(partition.predictors) != 2:
        raise ValueError(f"a Venn diagram needs 2 predictors, got {len(partition.predictors)}")
    a, b = partition.predictors
    comps = partition.components
    ax = _axes(ax)
    for x, colour in ((-0.5, "tab:blue"), (0.5, "tab:orange")):
        ax.add_patch(Circle((x, 0), 1.0, alpha=0.35, color=colour, lw=0))
    ax.text(-0.95, 0, f"{comps[a]:.3f}", ha="center", va="center")
    ax.text(0.95, 0, f"{comps[b]:.3f}", ha="center", va="center")
    ax.text(0, 0, f"{comps[f'{a} & {b}']:.3f}", ha="center", va="center")
    ax.text(-0.9, 1.1, _short(a), ha="center")
    ax.text(0.9, 1.1, _short(b), ha="center")
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.2, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"R² = {partition.r2_full:.3f} ({partition.regression})", fontsize=9)
    return ax


def probe_bars(results: Sequence[Any], ax: Any = None, alpha: float = 0.05) -> Any:
    """Grouped bars of held-out Pearson r per attribute, one group member per embedding set.

    ``results``: :class:`socalign.analyses.probes.ProbeResult` objects; error bars are their
    bootstrap intervals; a ``*`` marks permutation p < ``alpha``.
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
    ax.legend(fontsize=8)
    return ax


def rollout_overlay(
    frames: np.ndarray, maps: np.ndarray, axes: Sequence[Any] | None = None, alpha: float = 0.5,
    cmap: str = "inferno",
) -> Sequence[Any]:
    """Each frame with its rollout map on top: ``frames`` (T, H, W, 3) uint8, ``maps`` (T', h, w).

    When the model's frames are fewer (tubelets), frame ``t`` shows map ``t * T' // T``. Maps
    are spread over the pixels of their patches (nearest) and share one colour scale.
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
        ax.set_title(f"frame {t}", fontsize=7)
    return axes
