"""The paper's leaderboard: measured rows in the paper v2's four groups, its figures beside them.

Garcia & Isik (arXiv 2510.01502, v2) report test R² and OOO accuracy for four groups of
models: video models fine-tuned on the judgments (``fine-tuned``), the ablations and
budget/language controls of that fine-tuning (``controls``), sentence encoders of the videos'
captions (``captions``) and pretrained vision models (``pretrained vision``). This module
holds

* :data:`PAPER_V2`, the paper's reported figures (the one owner of those numbers in the
  package), with the conventions they were computed under;
* :data:`PAPER_MATCHES`, a small explicit table from a measured row's ``(group, family,
  variant)`` to the paper's comparable row, for every chapter that sets the two side by side;
* :class:`MeasuredRow`, one row measured on a build's data (from a
  :class:`socalign.scoring.Evaluation`, or from the ``after`` evaluations of fine-tuning runs
  over seeds), and :func:`leaderboard`, which orders measured rows by the paper's groups and
  attaches the paper's row to each (:class:`Leaderboard`).

OOO accuracy here is always the ``pair`` rule (chance 1/2), the rule of the paper's figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socalign.text import interval, sig

if TYPE_CHECKING:
    from socalign.scoring import Evaluation

__all__ = [
    "FINETUNED_LOSS",
    "GROUPS",
    "PAPER_MATCHES",
    "PAPER_V2",
    "RULE",
    "Leaderboard",
    "LeaderboardRow",
    "MeasuredRow",
    "PaperMatch",
    "PaperRow",
    "PaperTable",
    "backbone_family",
    "caption_variant",
    "leaderboard",
    "loss_group",
    "paper_frame",
    "paper_match",
]

GROUPS = ("fine-tuned", "controls", "captions", "pretrained vision")
"""The paper v2's groups of models, in the order of its table."""

RULE = "pair"
"""The OOO rule of every accuracy on the leaderboard (the paper's; chance 1/2)."""

FINETUNED_LOSS = "hybrid"
"""The loss of the ``fine-tuned`` group; every other loss kind is a control."""


@dataclass(frozen=True)
class PaperRow:
    """One model as the paper reports it: test R² and OOO accuracy (``pair`` rule, a fraction)."""

    group: str
    model: str
    r2: float
    ooo: float

    def to_dict(self) -> dict[str, Any]:
        """The row as plain values (``ooo`` as a fraction)."""
        return {"group": self.group, "model": self.model, "r2": self.r2, "ooo_pair": self.ooo}


@dataclass(frozen=True)
class PaperTable:
    """The paper's reported figures and the conventions they were computed under.

    Attributes
    ----------
    rows
        The reported rows, in the paper's order within :data:`GROUPS`.
    source
        Where the figures were read.
    split, rule, n_triplets, ooo_margin
        Test split; OOO accuracy under the ``pair`` rule over ``n_triplets`` test triplets,
        whose sampling error is about ``ooo_margin`` (a fraction) either way.
    r2_ceiling
        The split-half R² ceiling as the paper states it, under its own convention; shown
        beside socalign's ceiling of the same split, never in place of it.
    video_unique_r2
        The video model's unique share of R² (variance partitioning), before and after
        fine-tuning, as the paper states it.
    """

    rows: tuple[PaperRow, ...]
    source: str
    split: str = "test"
    rule: str = RULE
    n_triplets: int = 368
    ooo_margin: float = 0.046
    r2_ceiling: float = 0.213
    video_unique_r2: tuple[float, float] = (0.02, 0.04)

    def row(self, group: str, model: str) -> PaperRow:
        """The paper's row ``model`` of ``group``.

        Parameters
        ----------
        group : str
            One of :data:`GROUPS`.
        model : str
            The model's name as the paper's table gives it.

        Returns
        -------
        PaperRow

        Raises
        ------
        KeyError
            When the paper has no such row (the message lists the group's rows).
        """
        for row in self.rows:
            if row.group == group and row.model == model:
                return row
        raise KeyError(f"the paper has no {model!r} in {group!r}; it has "
                       f"{[r.model for r in self.group(group)]}")

    def group(self, name: str) -> tuple[PaperRow, ...]:
        """The rows of one group, in the paper's order."""
        return tuple(r for r in self.rows if r.group == name)

    def to_dict(self) -> dict[str, Any]:
        """The figures and their conventions as plain values."""
        return {
            "source": self.source, "split": self.split, "rule": self.rule,
            "n_triplets": self.n_triplets, "ooo_margin": self.ooo_margin,
            "r2_ceiling": self.r2_ceiling, "video_unique_r2": list(self.video_unique_r2),
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_frame(self) -> pd.DataFrame:
        """The paper's table by group: one row per model, indexed by (group, model)."""
        return pd.DataFrame(
            [{"group": r.group, "model": r.model, "R²": r.r2, f"OOO accuracy ({self.rule})": r.ooo}
             for r in self.rows]).set_index(["group", "model"])


def _rows(group: str, figures: Iterable[tuple[str, float, float]]) -> tuple[PaperRow, ...]:
    """Paper rows of one group from (model, R², OOO accuracy in percent)."""
    return tuple(PaperRow(group, model, r2, round(percent / 100, 6)) for model, r2, percent in figures)


PAPER_V2 = PaperTable(
    source="Garcia & Isik, arXiv 2510.01502 v2 (the authors' v2 project page): test R² and OOO "
           "accuracy (pair rule) over 368 test triplets",
    rows=(
        *_rows("fine-tuned", (
            ("V-JEPA 2 ViT-L", 0.172, 71.67), ("V-JEPA 2.1 ViT-B", 0.165, 70.65),
            ("TimeSformer", 0.162, 74.46), ("CLIP B/32", 0.156, 67.84),
            ("VideoMAE", 0.124, 64.56))),
        *_rows("controls", (
            ("V-JEPA 2.1 triplet-only", 0.158, 69.29), ("V-JEPA 2.1 RSA-only", 0.131, 65.48),
            ("V-JEPA 2.1 language-distilled", 0.123, 67.21),
            ("TimeSformer budget-matched triplet", 0.157, 66.58),
            ("TimeSformer triplet-only", 0.146, 70.65), ("TimeSformer RSA-only", 0.121, 63.86))),
        *_rows("captions", (
            ("MPNet", 0.134, 70.38), ("MiniLM", 0.121, 67.39), ("mxbai", 0.122, 66.58),
            ("DistilUSE", 0.111, 64.95))),
        *_rows("pretrained vision", (
            ("Qwen3-VL-2B", 0.128, 68.75), ("CLIP", 0.127, 69.38), ("X3D-M", 0.124, 68.48),
            ("TimeSformer", 0.102, 63.59), ("V-JEPA 2 L", 0.087, 60.05),
            ("VideoMAE", 0.087, 66.75), ("V-JEPA 2.1 B", 0.058, 63.85),
            ("V-JEPA 1 L", 0.052, 57.60))),
    ),
)
"""The paper v2's reported figures: the one owner of these numbers in the package."""


@dataclass(frozen=True)
class PaperMatch:
    """The paper's row comparable to a measured row, and what to say about the pairing."""

    group: str
    model: str
    note: str = ""


PAPER_MATCHES: Mapping[tuple[str, str, str | None], PaperMatch] = MappingProxyType({
    # (group, family, variant): variant is the loss kind of a fine-tuned or control row, the
    # caption model (caption_variant) of a caption row, None for a pretrained vision model
    ("fine-tuned", "timesformer", "hybrid"): PaperMatch("fine-tuned", "TimeSformer"),
    ("fine-tuned", "clip", "hybrid"): PaperMatch("fine-tuned", "CLIP B/32"),
    ("controls", "timesformer", "triplet"): PaperMatch("controls", "TimeSformer triplet-only"),
    ("controls", "timesformer", "rsa"): PaperMatch("controls", "TimeSformer RSA-only"),
    ("controls", "timesformer", "budget"): PaperMatch("controls",
                                                      "TimeSformer budget-matched triplet"),
    ("controls", "timesformer", "distilled"): PaperMatch(
        "controls", "V-JEPA 2.1 language-distilled",
        "the paper has no TimeSformer language-distilled run: its V-JEPA 2.1 one is shown"),
    ("captions", "caption", "minilm"): PaperMatch("captions", "MiniLM"),
    ("captions", "caption", "mpnet"): PaperMatch("captions", "MPNet"),
    ("pretrained vision", "timesformer", None): PaperMatch("pretrained vision", "TimeSformer"),
    ("pretrained vision", "clip", None): PaperMatch("pretrained vision", "CLIP"),
})
"""Measured ``(group, family, variant)`` -> the paper's comparable row; absent: no counterpart."""


def paper_match(group: str, family: str, variant: str | None,
                matches: Mapping[tuple[str, str, str | None], PaperMatch] = PAPER_MATCHES,
                paper: PaperTable = PAPER_V2) -> tuple[PaperRow | None, str]:
    """The paper's row comparable to a measured row, with the note that goes with it.

    Parameters
    ----------
    group : str
        The measured row's group (one of :data:`GROUPS`).
    family : str
        Its backbone family (:func:`backbone_family`), or ``"caption"``.
    variant : str or None
        Its loss kind (fine-tuned, controls), caption model (:func:`caption_variant`) or None
        (pretrained vision).
    matches : mapping, default PAPER_MATCHES
        The matching table.
    paper : PaperTable, default PAPER_V2
        The paper's figures.

    Returns
    -------
    tuple of (PaperRow or None, str)
        The paper's row (None when the table has no counterpart) and the match's note.
    """
    found = matches.get((group, family, variant))
    if found is None:
        return None, ""
    return paper.row(found.group, found.model), found.note


def loss_group(loss: str) -> str:
    """The group of a fine-tuning run: ``fine-tuned`` for the hybrid loss, else ``controls``."""
    return "fine-tuned" if loss == FINETUNED_LOSS else "controls"


_FAMILIES = ("timesformer", "clip", "videomae", "x3d", "qwen")


def backbone_family(video_model: str) -> str:
    """The backbone family of a profile's ``video_model`` (the key :data:`PAPER_MATCHES` uses).

    ``toy`` (socalign's tiny TimeSformer) is ``timesformer``; a name or folder that contains a
    known family (``timesformer``, ``clip``, ``videomae``, ``x3d``, ``qwen``) is that family;
    anything else is its last path component, lower-cased.

    Parameters
    ----------
    video_model : str
        ``toy``, a toy variant's name, a Hugging Face checkpoint or a folder.

    Returns
    -------
    str
    """
    name = str(video_model).lower()
    if name == "toy":
        return "timesformer"
    for family in _FAMILIES:
        if family in name:
            return family
    return PurePosixPath(name.rstrip("/")).name or name


_CAPTIONS = {"minilm": "minilm", "all-minilm-l6-v2": "minilm",
             "paraphrase-multilingual-mpnet-base-v2": "mpnet"}


def caption_variant(model: str) -> str:
    """A caption model's key in :data:`PAPER_MATCHES`: ``minilm``, ``mpnet``, or its short name.

    Parameters
    ----------
    model : str
        ``minilm``, ``tfidf``, or a sentence-transformers name or folder.

    Returns
    -------
    str
        ``minilm`` for the bundled MiniLM or all-MiniLM-L6-v2, ``mpnet`` for the paper's
        multilingual MPNet (paraphrase-multilingual-mpnet-base-v2); else the name's last part,
        lower-cased (``tfidf``, ``all-mpnet-base-v2``: no counterpart in the paper's table).
    """
    short = PurePosixPath(str(model).rstrip("/")).name.lower()
    return _CAPTIONS.get(short, short)


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _pair_scores(evaluation: Evaluation | Mapping[str, Any]) -> tuple[float, ...]:
    """(R², low, high, OOO pair, low, high) of an Evaluation or its ``to_dict``; NaN bounds
    when it has no intervals."""
    from socalign.scoring import Evaluation

    ev = evaluation if isinstance(evaluation, Evaluation) else Evaluation.from_dict(dict(evaluation))
    r2_ci = ev.ci.get("r2")
    ooo_ci = (ev.ci.get("ooo_accuracy") or {}).get(RULE)
    if RULE not in ev.ooo:
        raise ValueError(f"the evaluation has no OOO accuracy under the {RULE!r} rule")
    return (float(ev.r2), _nan(None if r2_ci is None else r2_ci.low),
            _nan(None if r2_ci is None else r2_ci.high), float(ev.ooo[RULE].accuracy),
            _nan(None if ooo_ci is None else ooo_ci.low),
            _nan(None if ooo_ci is None else ooo_ci.high))


@dataclass(frozen=True)
class MeasuredRow:
    """One model measured on a build's data, for the leaderboard.

    Attributes
    ----------
    group
        One of :data:`GROUPS`.
    model
        The name the row is shown under.
    family
        The backbone family (:func:`backbone_family`), or ``"caption"`` for a caption model.
    variant
        The loss kind (fine-tuned, controls), the caption model (:func:`caption_variant`), or
        None (pretrained vision): with ``group`` and ``family``, the key of
        :data:`PAPER_MATCHES`.
    r2, r2_low, r2_high
        Test R² and its 95% interval (resampling test videos); NaN bounds: no interval.
    ooo, ooo_low, ooo_high
        Test OOO accuracy under the ``pair`` rule and its 95% interval (resampling trials).
    seeds, r2_by_seed, ooo_by_seed
        For rows measured over training seeds: the seeds and each seed's value (``r2`` and
        ``ooo`` are their means); empty otherwise.
    note
        Anything a reader should know about the row.
    """

    group: str
    model: str
    family: str
    variant: str | None
    r2: float
    r2_low: float
    r2_high: float
    ooo: float
    ooo_low: float
    ooo_high: float
    seeds: tuple[int, ...] = ()
    r2_by_seed: tuple[float, ...] = ()
    ooo_by_seed: tuple[float, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"unknown group {self.group!r}; groups are {list(GROUPS)}")
        if not len(self.seeds) == len(self.r2_by_seed) == len(self.ooo_by_seed):
            raise ValueError("seeds, r2_by_seed and ooo_by_seed must have one entry per seed")

    @classmethod
    def from_evaluation(cls, group: str, model: str, family: str,
                        evaluation: Evaluation | Mapping[str, Any], variant: str | None = None,
                        note: str = "") -> MeasuredRow:
        """A row from one evaluation (a pretrained or caption model, or a single run).

        Parameters
        ----------
        group : str
            One of :data:`GROUPS`.
        model : str
            The name the row is shown under.
        family : str
            The backbone family, or ``"caption"``.
        evaluation : socalign.scoring.Evaluation or mapping
            The model's test evaluation, or its :meth:`~socalign.scoring.Evaluation.to_dict`
            (a fine-tuning report's ``before`` / ``after``).
        variant : str or None, default None
            Loss kind, caption model or None (see the class).
        note : str, default ""
            A note for the reader.

        Returns
        -------
        MeasuredRow
        """
        scores = _pair_scores(evaluation)
        return cls(group, model, family, variant, *scores, note=note)

    @classmethod
    def from_seeds(cls, group: str, model: str, family: str,
                   evaluations: Mapping[int, Evaluation | Mapping[str, Any]],
                   variant: str | None = None, note: str = "") -> MeasuredRow:
        """A row from one evaluation per training seed (e.g. the runs' report ``after`` dicts).

        The estimates are the means over seeds, and each seed's value is kept (the spread over
        seeds is :attr:`r2_spread` / :attr:`ooo_spread`). The interval is the mean of the
        seeds' 95% bootstrap bounds: every seed is scored on the same test videos and trials,
        so it describes the uncertainty from that test sample for a typical seed; the
        variation due to training is the spread over seeds, shown beside it.

        Parameters
        ----------
        group : str
            One of :data:`GROUPS`.
        model : str
            The name the row is shown under.
        family : str
            The backbone family.
        evaluations : mapping of int to Evaluation or mapping
            Seed -> that run's test evaluation (or its ``to_dict``); at least one.
        variant : str or None, default None
            The loss kind.
        note : str, default ""
            A note for the reader.

        Returns
        -------
        MeasuredRow

        Raises
        ------
        ValueError
            When ``evaluations`` is empty.
        """
        if not evaluations:
            raise ValueError(f"{model}: no seeds to average")
        seeds = tuple(int(s) for s in evaluations)
        scores = np.array([_pair_scores(ev) for ev in evaluations.values()], dtype=float)
        with np.errstate(all="ignore"):
            means = [float(np.nanmean(c)) if np.isfinite(c).any() else float("nan")
                     for c in scores.T]
        return cls(group, model, family, variant, *means, seeds=seeds,
                   r2_by_seed=tuple(map(float, scores[:, 0])),
                   ooo_by_seed=tuple(map(float, scores[:, 3])), note=note)

    @property
    def r2_spread(self) -> tuple[float, float]:
        """(lowest, highest) R² over seeds; NaNs for a row of fewer than two seeds."""
        return _spread(self.r2_by_seed)

    @property
    def ooo_spread(self) -> tuple[float, float]:
        """(lowest, highest) OOO accuracy over seeds; NaNs for fewer than two seeds."""
        return _spread(self.ooo_by_seed)

    @property
    def key(self) -> tuple[str, str, str | None]:
        """The row's key in :data:`PAPER_MATCHES`: (group, family, variant)."""
        return (self.group, self.family, self.variant)

    def to_dict(self) -> dict[str, Any]:
        """The row as plain values."""
        return {
            "group": self.group, "model": self.model, "family": self.family,
            "variant": self.variant,
            "r2": {"estimate": self.r2, "low": self.r2_low, "high": self.r2_high,
                   "unit": "videos"},
            "ooo_accuracy": {"rule": RULE, "estimate": self.ooo, "low": self.ooo_low,
                             "high": self.ooo_high, "unit": "trials"},
            "seeds": list(self.seeds), "r2_by_seed": list(self.r2_by_seed),
            "ooo_by_seed": list(self.ooo_by_seed), "note": self.note,
        }


def _spread(values: tuple[float, ...]) -> tuple[float, float]:
    finite = [v for v in values if np.isfinite(v)]
    if len(finite) < 2:
        return (float("nan"), float("nan"))
    return (min(finite), max(finite))


@dataclass(frozen=True)
class LeaderboardRow:
    """A measured row with the paper's comparable row (None: the paper has none)."""

    measured: MeasuredRow
    paper: PaperRow | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The measured row, the paper's row (or None) and the note."""
        return {**self.measured.to_dict(), "paper": None if self.paper is None
                else self.paper.to_dict(), "note": self.note}


@dataclass(frozen=True)
class Leaderboard:
    """Measured rows in the paper's groups, each beside the paper's comparable row.

    Attributes
    ----------
    dataset
        The benchmark the rows were measured on.
    synthetic
        Whether it is a synthetic benchmark (SocialWorld).
    split
        The split scored.
    rows
        In the order of :data:`GROUPS`, then by R², highest first (see :func:`leaderboard`).
    r2_ceiling, r2_ceiling_low, r2_ceiling_high
        socalign's split-half R² ceiling of the split with its interval (NaN: not given).
    paper
        The paper's figures the rows are matched to.
    notes
        Notes on the table as a whole.
    """

    dataset: str
    synthetic: bool
    split: str
    rows: tuple[LeaderboardRow, ...]
    r2_ceiling: float = float("nan")
    r2_ceiling_low: float = float("nan")
    r2_ceiling_high: float = float("nan")
    paper: PaperTable = PAPER_V2
    notes: tuple[str, ...] = field(default_factory=tuple)

    def group(self, name: str) -> tuple[LeaderboardRow, ...]:
        """The rows of one group, in table order."""
        return tuple(r for r in self.rows if r.measured.group == name)

    def to_dict(self) -> dict[str, Any]:
        """The table as plain values, with the ceilings and the paper's conventions."""
        return {
            "dataset": self.dataset, "synthetic": self.synthetic, "split": self.split,
            "rule": RULE, "groups": list(GROUPS), "rows": [r.to_dict() for r in self.rows],
            "r2_ceiling": {"estimate": self.r2_ceiling, "low": self.r2_ceiling_low,
                           "high": self.r2_ceiling_high, "kind": "split-half reliability"},
            "paper": {k: v for k, v in self.paper.to_dict().items() if k != "rows"},
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per measured model: scores, interval bounds, seed spread, the paper's row."""
        records = []
        for row in self.rows:
            m, p = row.measured, row.paper
            r2_lo, r2_hi = m.r2_spread
            ooo_lo, ooo_hi = m.ooo_spread
            records.append({
                "group": m.group, "model": m.model, "family": m.family, "variant": m.variant,
                "r2": m.r2, "r2_low": m.r2_low, "r2_high": m.r2_high,
                f"ooo_{RULE}": m.ooo, f"ooo_{RULE}_low": m.ooo_low,
                f"ooo_{RULE}_high": m.ooo_high, "n_seeds": len(m.seeds),
                "r2_seed_min": r2_lo, "r2_seed_max": r2_hi,
                "ooo_seed_min": ooo_lo, "ooo_seed_max": ooo_hi,
                "paper_model": None if p is None else p.model,
                "paper_r2": float("nan") if p is None else p.r2,
                f"paper_ooo_{RULE}": float("nan") if p is None else p.ooo,
                "note": row.note,
            })
        columns = ["group", "model", "family", "variant", "r2", "r2_low", "r2_high",
                   f"ooo_{RULE}", f"ooo_{RULE}_low", f"ooo_{RULE}_high", "n_seeds",
                   "r2_seed_min", "r2_seed_max", "ooo_seed_min", "ooo_seed_max",
                   "paper_model", "paper_r2", f"paper_ooo_{RULE}", "note"]
        return pd.DataFrame(records, columns=columns)

    def display_frame(self) -> pd.DataFrame:
        """The table a reader sees: scores as ``0.044 [0.007, 0.122]``, the paper's beside them.

        Returns
        -------
        pandas.DataFrame
            Indexed by (group, model); the paper's cells are empty where it has no
            comparable row; the ``note`` column only when a row has a note.
        """
        frame = self.to_frame()
        shown = pd.DataFrame({
            "group": frame["group"], "model": frame["model"],
            "R² [95% CI]": [interval(*v) for v in
                            zip(frame["r2"], frame["r2_low"], frame["r2_high"], strict=True)],
            f"OOO {RULE} [95% CI]": [interval(*v) for v in zip(
                frame[f"ooo_{RULE}"], frame[f"ooo_{RULE}_low"], frame[f"ooo_{RULE}_high"],
                strict=True)],
            "seeds": pd.Series([int(n) if n else None for n in frame["n_seeds"]],
                               dtype=object),
            "R² over seeds": [_range(lo, hi) for lo, hi in
                              zip(frame["r2_seed_min"], frame["r2_seed_max"], strict=True)],
            "paper's row": frame["paper_model"],
            "paper R²": frame["paper_r2"],
            f"paper OOO {RULE}": frame[f"paper_ooo_{RULE}"],
            "note": frame["note"],
        })
        if not any(frame["note"]):  # no row has a note: no empty column on the page
            shown = shown.drop(columns="note")
        return shown.set_index(["group", "model"])

    def ceiling_frame(self) -> pd.DataFrame:
        """socalign's R² ceiling of the split beside the paper's stated one.

        Returns
        -------
        pandas.DataFrame
            Indexed by source (this build, the paper), with the value and its convention.
        """
        return pd.DataFrame([
            {"source": f"this build ({self.dataset}, {self.split})",
             "R² ceiling": interval(self.r2_ceiling, self.r2_ceiling_low, self.r2_ceiling_high),
             "convention": "split-half reliability over participants, Spearman-Brown corrected "
                           "(socalign ceiling)"},
            {"source": "the paper (v2)", "R² ceiling": sig(self.paper.r2_ceiling),
             "convention": "split-half, as the paper states it (its own convention)"},
        ]).set_index("source")


def _range(low: float, high: float) -> str:
    """``0.0415 to 0.0648`` at shared decimals; empty when not finite."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    text = interval(low, low, high)  # "low [low, high]": the bounds at shared decimals
    bounds = text[text.index("[") + 1:-1].split(", ")
    return f"{bounds[0]} to {bounds[1]}"


def leaderboard(
    measured: Iterable[MeasuredRow],
    dataset: str = "",
    synthetic: bool = False,
    split: str = "test",
    r2_ceiling: float | tuple[float, float, float] | None = None,
    matches: Mapping[tuple[str, str, str | None], PaperMatch] = PAPER_MATCHES,
    paper: PaperTable = PAPER_V2,
    sort: bool = True,
    notes: Iterable[str] = (),
) -> Leaderboard:
    """The leaderboard of measured rows: the paper's groups in order, its row beside each.

    Parameters
    ----------
    measured : iterable of MeasuredRow
        The rows measured on the build's data; every one appears once in the result.
    dataset : str, default ""
        The benchmark they were measured on.
    synthetic : bool, default False
        Whether that benchmark is synthetic.
    split : str, default "test"
        The split scored.
    r2_ceiling : float, (estimate, low, high) or None, default None
        socalign's R² ceiling of the split (e.g. a gap table's ``ceiling["r2"]`` values).
    matches : mapping, default PAPER_MATCHES
        The table from (group, family, variant) to the paper's comparable row.
    paper : PaperTable, default PAPER_V2
        The paper's figures.
    sort : bool, default True
        Within a group, order rows by R², highest first (NaN last; ties keep their order);
        False keeps the order given.
    notes : iterable of str, default ()
        Notes on the table as a whole.

    Returns
    -------
    Leaderboard
        Rows grouped in the order of :data:`GROUPS`.
    """
    given = list(measured)
    rows: list[LeaderboardRow] = []
    for group in GROUPS:
        members = [m for m in given if m.group == group]
        if sort:
            members.sort(key=lambda m: -m.r2 if np.isfinite(m.r2) else np.inf)
        for m in members:
            found, match_note = paper_match(m.group, m.family, m.variant, matches, paper)
            note = "; ".join(n for n in (m.note, match_note) if n)
            rows.append(LeaderboardRow(m, found, note))
    if r2_ceiling is None:
        ceiling = (float("nan"),) * 3
    elif isinstance(r2_ceiling, tuple):
        ceiling = tuple(_nan(v) for v in r2_ceiling)
    else:
        ceiling = (float(r2_ceiling), float("nan"), float("nan"))
    return Leaderboard(dataset, synthetic, split, tuple(rows), *ceiling, paper=paper,
                       notes=tuple(notes))


def paper_frame(paper: PaperTable = PAPER_V2) -> pd.DataFrame:
    """The paper's own table by group (for a collapsed "the paper's table" display).

    Parameters
    ----------
    paper : PaperTable, default PAPER_V2
        The paper's figures.

    Returns
    -------
    pandas.DataFrame
        Indexed by (group, model): R² and OOO accuracy (``pair`` rule, a fraction), in the
        paper's order.
    """
    return paper.to_frame()
