"""Chapter 2's leaderboard: the build's gap rows and fine-tuning runs in the paper's groups.

:func:`leaderboard_rows` collects the measured rows of one benchmark (the caption and
pretrained video rows of its gap table, and the profile's fine-tuning runs of each loss kind
and backbone family, averaged over the profile's seeds); :func:`book_leaderboards` builds one
:class:`socalign.analyses.leaderboard.Leaderboard` per benchmark of the chapter, with the runs
on the benchmark the book fine-tunes on (:func:`socalign.book.artifacts.finetune_benchmark`).
More loss kinds and backbone families are added by passing them (``losses``, ``backbones``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pandas as pd

from socalign.analyses.leaderboard import (
    Leaderboard,
    MeasuredRow,
    backbone_family,
    caption_variant,
    leaderboard,
    loss_group,
)
from socalign.train.kinds import LOSSES

if TYPE_CHECKING:
    from socalign.analyses.gap import GapResult
    from socalign.profiles import Profile

__all__ = ["DEFAULT_LOSSES", "book_leaderboards", "ceilings_frame", "leaderboard_rows",
           "loss_label", "model_label"]

DEFAULT_LOSSES = tuple(LOSSES)
"""The loss kinds whose runs the leaderboard shows by default for the profile's own backbone:
every kind of the trainer's table, :data:`socalign.train.kinds.LOSSES` (hybrid: fine-tuned;
the rest: controls)."""
OTHER_FAMILY_LOSSES = ("hybrid", "distilled")
"""The loss kinds run for the profile's ``other_video_models`` (fine-tuned and the
language-distilled control: the paper v2's question for each family, at a fraction of the
cost)."""

_FAMILY_LABELS = {"timesformer": "TimeSformer", "clip": "CLIP", "videomae": "VideoMAE",
                  "x3d": "X3D", "qwen": "Qwen"}

RunFinder = Callable[..., Path]


def model_label(video_model: str) -> str:
    """The name a backbone's rows are shown under: ``toy TimeSformer``, or the checkpoint's.

    Parameters
    ----------
    video_model : str
        A profile's ``video_model``: ``toy``, a toy variant (``toy-...``), a Hugging Face
        checkpoint or a folder.

    Returns
    -------
    str
        ``toy`` and its variants read ``toy <family>``; anything else its last path component.
    """
    family = backbone_family(video_model)
    if str(video_model).lower().startswith("toy"):
        return f"toy {_FAMILY_LABELS.get(family, family)}"
    return PurePosixPath(str(video_model).rstrip("/")).name


def loss_label(loss: str) -> str:
    """How a loss kind reads in a row's name: its label in the trainer's table of loss kinds.

    Parameters
    ----------
    loss : str
        A loss kind (``hybrid``, ``triplet``, ...).

    Returns
    -------
    str
        The ``label`` of the kind in :data:`socalign.train.kinds.LOSSES`; a kind not there
        reads as itself.
    """
    kind = LOSSES.get(loss)
    return kind.label if kind is not None else loss


def _short(name: str) -> str:
    return PurePosixPath(str(name).rstrip("/")).name


def leaderboard_rows(
    settings: Profile,
    bench_root: Path | str | None,
    gap: GapResult,
    losses: Iterable[str] = DEFAULT_LOSSES,
    backbones: Mapping[str, str] | None = None,
    find_run: RunFinder | None = None,
    other_losses: Iterable[str] = OTHER_FAMILY_LOSSES,
) -> list[MeasuredRow]:
    """The measured rows of one benchmark: its gap rows and the profile's fine-tuning runs.

    Caption rows (the gap table's language models) go to ``captions``; its video rows to
    ``pretrained vision``; the ``pixel`` and ``oracle`` references (and rows of unknown kind)
    are left out, as they are no group of the paper. For each backbone family and each loss
    kind, the runs of every seed in ``settings.seeds`` (``find_run``, by default
    :func:`socalign.book.artifacts.finetuned_run`, which trains them once and caches them) are
    read (:meth:`socalign.train.report.FinetuneReport.read`) and their ``after`` evaluations
    averaged into one row: ``fine-tuned`` for the hybrid loss, ``controls`` for the others. A
    family whose pretrained backbone is not in the gap table gets its pretrained row from its
    runs' ``before`` evaluation (the first loss kind's first seed).

    Parameters
    ----------
    settings : socalign.profiles.Profile
        The book profile (its ``video_model``, seeds and training settings).
    bench_root : path-like or None
        The benchmark folder the runs fine-tune on (the one ``gap`` scored); None: no runs
        (a benchmark without videos: only its caption rows are measured).
    gap : socalign.analyses.gap.GapResult
        The benchmark's gap table (:func:`socalign.book.artifacts.modality_gap`).
    losses : iterable of str, default DEFAULT_LOSSES
        The loss kinds whose runs are shown (a kind the trainer does not know fails there).
    backbones : mapping of str to str or None, default None
        Backbone family -> the profile's ``video_model`` value that selects it; the runs of a
        family are those of the profile with that ``video_model``. None: the profile's own
        backbone and its ``other_video_models``.
    find_run : callable or None, default None
        ``(settings, bench_root, loss=, seed=) -> run folder``; None:
        :func:`socalign.book.artifacts.finetuned_run`.
    other_losses : iterable of str, default OTHER_FAMILY_LOSSES
        The loss kinds (among ``losses``) run for the families other than the profile's own.

    Returns
    -------
    list of MeasuredRow
        The gap rows in the gap table's order, then the runs by family and loss kind.
    """
    from socalign.train.report import FinetuneReport

    if find_run is None:
        from socalign.book import artifacts

        find_run = artifacts.finetuned_run
    own_family = backbone_family(settings.video_model)
    if backbones is None:
        backbones = {own_family: settings.video_model,
                     **{backbone_family(m): m for m in settings.other_video_models}}
    rows: list[MeasuredRow] = []
    pretrained_families = set()
    for row in gap.rows:
        if row.kind == "language":
            rows.append(MeasuredRow.from_evaluation(
                "captions", _short(row.model), "caption", row.evaluation,
                variant=caption_variant(row.model)))
        elif row.kind == "video":
            is_own = row.model == settings.video_model
            family = own_family if is_own else backbone_family(row.model)
            pretrained_families.add(family)
            rows.append(MeasuredRow.from_evaluation(
                "pretrained vision", model_label(settings.video_model if is_own else row.model),
                family, row.evaluation))
    if bench_root is None:
        return rows
    own_losses = tuple(losses)
    for family, video_model in backbones.items():
        losses = own_losses if video_model == settings.video_model else tuple(
            k for k in own_losses if k in set(other_losses))
        fs = (settings if video_model == settings.video_model
              else dataclasses.replace(settings, video_model=video_model))
        label = model_label(video_model)
        reports = {}
        for loss in losses:
            reports[loss] = {seed: FinetuneReport.read(find_run(fs, bench_root, loss=loss,
                                                                seed=seed))
                             for seed in settings.seeds}
            rows.append(MeasuredRow.from_seeds(
                loss_group(loss), f"{label} ({loss_label(loss)})", family,
                {seed: report.after for seed, report in reports[loss].items()}, variant=loss))
        if family not in pretrained_families and losses and settings.seeds:
            first = reports[losses[0]][settings.seeds[0]]
            rows.append(MeasuredRow.from_evaluation(
                "pretrained vision", label, family, first.before,
                note="from its runs' own evaluation before fine-tuning"))
            pretrained_families.add(family)
    return rows


def book_leaderboards(
    settings: Profile,
    benchmarks: Mapping[str, Any],
    gap: Mapping[str, GapResult],
    losses: Iterable[str] = DEFAULT_LOSSES,
    backbones: Mapping[str, str] | None = None,
    find_run: RunFinder | None = None,
) -> dict[str, Leaderboard]:
    """One leaderboard per benchmark of the chapter; runs only on the one the book fine-tunes on.

    Parameters
    ----------
    settings : socalign.profiles.Profile
        The book profile.
    benchmarks : mapping of str to Benchmark
        The chapter's benchmarks by name (:func:`socalign.book.artifacts.book_benchmarks`).
    gap : mapping of str to GapResult
        Their gap tables, by the same names.
    losses : iterable of str, default DEFAULT_LOSSES
        The loss kinds whose runs are shown (see :func:`leaderboard_rows`).
    backbones : mapping of str to str or None, default None
        Backbone family -> ``video_model`` (see :func:`leaderboard_rows`).
    find_run : callable or None, default None
        See :func:`leaderboard_rows`.

    Returns
    -------
    dict of str to Leaderboard
        In the order of ``gap``: the fine-tuning benchmark's with its runs (SocialWorld, a
        synthetic benchmark, unless the paper profile fine-tunes on garcia2025), the others
        with their gap rows only.
    """
    from socalign.analyses.gap import is_socialworld
    from socalign.book.artifacts import finetune_benchmark

    tuned = Path(finetune_benchmark(settings)).resolve()
    losses = tuple(losses)
    out: dict[str, Leaderboard] = {}
    for name, result in gap.items():
        bench = benchmarks[name]
        root = None if bench.root is None else Path(bench.root).resolve()
        runs_root = tuned if root == tuned else None
        ceiling = result.ceiling.get("r2", {})
        notes = () if runs_root is not None else (
            f"no fine-tuning runs on {name}: the book fine-tunes on the benchmark with videos",)
        rows = leaderboard_rows(settings, runs_root, result, losses, backbones, find_run)
        out[name] = leaderboard(
            rows, dataset=name, synthetic=is_socialworld(bench), split=result.split,
            r2_ceiling=(ceiling.get("estimate"), ceiling.get("low"), ceiling.get("high")),
            notes=notes)
    return out


def ceilings_frame(boards: Mapping[str, Leaderboard]) -> pd.DataFrame:
    """socalign's R² ceiling of each leaderboard's split, then the paper's stated ceiling once.

    Parameters
    ----------
    boards : mapping of str to Leaderboard
        The chapter's leaderboards (:func:`book_leaderboards`); at least one.

    Returns
    -------
    pandas.DataFrame
        Indexed by source, with the ceiling (and its interval) and its convention.
    """
    frames = [b.ceiling_frame() for b in boards.values()]
    if not frames:
        raise ValueError("no leaderboards")
    return pd.concat([*(f.iloc[:1] for f in frames), frames[0].iloc[1:]])
