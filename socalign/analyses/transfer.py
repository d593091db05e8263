"""Transfer: does what a video model learned carry over to labelled animations (e.g. PHASE)?

The paper's v2 asks whether fine-tuning on people's judgments of real videos helps a frozen
encoder read the social goal of abstract animations: PHASE's two-agent clips, labelled
friendly, neutral or adversarial by people. A linear probe is fitted on one set of labelled
videos and scored on another; the question is its held-out accuracy, per backbone, and the
paired difference between backbones on the same videos.

The probe (:func:`fit_probe`): features standardised on the probe's training videos
(``StandardScaler``), then multinomial logistic regression whose inverse penalty C is chosen
from :data:`C_GRID` by stratified cross-validated log loss *within those training videos*
(scikit-learn ``LogisticRegressionCV`` on the standardised training videos, refitted on all of
them; the held-out videos are never seen, their labels never read, before the predictions).

Two protocols, named on every output (``protocol``):

* ``"paper"``: trained on the videos whose :data:`SET_COLUMN` is :data:`MAIN_SET` (PHASE's 400
  main-set videos), tested on those of :data:`GENERALIZATION_SET` (its 100 generalization
  videos). Accuracy with a Wilson score interval (``scipy.stats.binomtest(...).proportion_ci
  (method="wilson")``) over the test videos, the fitted probe held fixed.
* ``"cv"``, when the main set is absent (or asked for): repeated stratified k-fold
  cross-validation within the available videos (default 5 folds x 20 repeats, the same folds
  for every backbone). The accuracy is the mean over repeats of each repeat's pooled
  out-of-fold accuracy; its interval is a percentile bootstrap over videos of each video's
  out-of-fold correctness averaged over the repeats (the fits held fixed: it does not hold the
  variability of training on other videos, so it is narrower than a full account would be).
  A Wilson interval on the pooled predictions would count each video once per repeat.

Two backbones on the same videos are compared by McNemar's exact test (``scipy.stats.binomtest``
on the discordant videos; under ``cv`` on the first repeat's out-of-fold predictions, one
partition of the videos, since pooling repeats would count each video several times) and a
paired percentile bootstrap of the accuracy difference over videos
(:func:`socalign.metrics.paired_bootstrap`). Words follow intervals
(:func:`socalign.text.direction`): an accuracy is "above chance" only when its whole interval
lies above chance, a difference is "higher" only when its interval lies above 0.

The paper's reported figures (:data:`PAPER_V2_TRANSFER`) are carried beside the measured ones,
never among them.

The labels are read from the benchmark's ``videos.csv``: its :data:`LABEL_COLUMN` (the class of
each video) and, when present, its :data:`SET_COLUMN` (:data:`MAIN_SET` or
:data:`GENERALIZATION_SET`), the columns ``socalign data render phase`` writes. Random draws come
from named streams of the seed (:func:`socalign.metrics.resampling.stream`: ``transfer-folds``,
``transfer-search``, ``transfer-bootstrap``, ``transfer-paired-bootstrap``).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from socalign.analyses.retention import C_GRID
from socalign.data.layout import LABEL_COLUMN, SET_COLUMN
from socalign.data.phase.source import GENERALIZATION_SET, MAIN_SET
from socalign.metrics import bootstrap, paired_bootstrap
from socalign.metrics.resampling import stream
from socalign.text import direction, interval

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

__all__ = [
    "C_GRID",
    "GENERALIZATION_SET",
    "LABEL_COLUMN",
    "MAIN_SET",
    "PAPER_V2_TRANSFER",
    "PROTOCOLS",
    "SET_COLUMN",
    "BackboneTransfer",
    "McNemar",
    "PairedComparison",
    "PaperTransferRow",
    "PaperTransferTable",
    "TransferLabels",
    "TransferResult",
    "aligned_features",
    "backbone_embeddings",
    "choose_protocol",
    "fit_probe",
    "is_finetuned",
    "mcnemar_exact",
    "plan_transfer",
    "read_transfer_labels",
    "transfer_arrays",
    "transfer_benchmark",
    "wilson_interval",
]


PROTOCOLS = ("auto", "paper", "cv")
"""``auto``: ``paper`` when both sets are present, else ``cv``."""

DEFAULT_FOLDS = 5
DEFAULT_REPEATS = 20
SEARCH_FOLDS = 5
"""Folds of the search for C inside a probe's training videos (fewer when a class has fewer)."""

PROBE = ("standardised features + multinomial logistic regression, C from {grid} by stratified "
         "{folds}-fold cross-validated log loss (fewer folds when a label has fewer videos) "
         "within the training videos only")


# --- the paper's figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class PaperTransferRow:
    """One reported accuracy of the paper's transfer figure (None: no interval reported)."""

    model: str
    accuracy: float
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as plain values."""
        return {"model": self.model, "accuracy": self.accuracy,
                "ci": None if self.low is None else [self.low, self.high]}


@dataclass(frozen=True)
class PaperTransferTable:
    """The paper's reported transfer accuracies and the protocol they were measured under."""

    source: str
    protocol: str
    n_train: int
    n_test: int
    n_classes: int
    rows: tuple[PaperTransferRow, ...]
    interval: str = "Wilson 95% interval over the test videos"

    @property
    def chance(self) -> float:
        """1 / the number of classes."""
        return 1.0 / self.n_classes

    def to_dict(self) -> dict[str, Any]:
        """The figures and their conventions, marked as reported (not measured here)."""
        return {"source": self.source, "measured_here": False, "protocol": self.protocol,
                "n_train": self.n_train, "n_test": self.n_test, "n_classes": self.n_classes,
                "chance": self.chance, "interval": self.interval,
                "rows": [r.to_dict() for r in self.rows]}

    def to_frame(self) -> pd.DataFrame:
        """One row per reported model, with ``source = "paper v2 (reported)"``."""
        return pd.DataFrame([{"source": "paper v2 (reported)", "model": r.model,
                              "accuracy": r.accuracy, "ci_low": r.low, "ci_high": r.high}
                             for r in self.rows])


PAPER_V2_TRANSFER = PaperTransferTable(
    source="Garcia & Isik, arXiv 2510.01502 v2: transfer to PHASE (friendly / neutral / "
           "adversarial), a linear probe on each frozen encoder",
    protocol="paper: trained on the 400 main-set videos, tested on the 100 generalization-set "
             "videos",
    n_train=400, n_test=100, n_classes=3,
    rows=(
        PaperTransferRow("people", 0.83),
        PaperTransferRow("SIMPLE (inverse planning)", 0.83),
        PaperTransferRow("fine-tuned V-JEPA 2.1", 0.81, 0.72, 0.87),
        PaperTransferRow("SocialGNN", 0.76),
        PaperTransferRow("pretrained V-JEPA 2.1", 0.55),
        PaperTransferRow("VisualRNN", 0.48),
    ),
)
"""The paper v2's reported transfer accuracies: figures to set beside measured ones, not data."""


# --- statistics ------------------------------------------------------------------------------


def wilson_interval(n_correct: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (``scipy.stats.binomtest(...).proportion_ci``).

    Parameters
    ----------
    n_correct : int
        Successes (videos classified correctly).
    n : int
        Trials (videos), at least 1.
    level : float, default 0.95
        Coverage.

    Returns
    -------
    (float, float)
        The interval's bounds (no continuity correction).
    """
    ci = stats.binomtest(int(n_correct), int(n)).proportion_ci(confidence_level=level,
                                                                method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class McNemar:
    """McNemar's exact test of two classifiers on the same videos."""

    a_only: int
    b_only: int
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        """The discordant counts and the two-sided p-value."""
        return {"a_only_correct": self.a_only, "b_only_correct": self.b_only,
                "p_value": self.p_value}


def mcnemar_exact(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemar:
    """McNemar's exact test: the discordant videos under Binomial(n, 1/2), two-sided.

    Parameters
    ----------
    correct_a : numpy.ndarray
        (n,) bool, whether backbone A classified each video correctly.
    correct_b : numpy.ndarray
        (n,) bool, the same videos for backbone B.

    Returns
    -------
    McNemar
        The videos only A got right, those only B got right, and
        ``scipy.stats.binomtest(a_only, a_only + b_only, 0.5).pvalue`` (1 when none differ).

    Raises
    ------
    ValueError
        When the two differ in shape.
    """
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired correctness differs in shape: {a.shape} vs {b.shape}")
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = a_only + b_only
    p = 1.0 if n == 0 else float(stats.binomtest(a_only, n, 0.5).pvalue)
    return McNemar(a_only, b_only, p)


def _seed_of(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def fit_probe(X_train: np.ndarray, y_train: np.ndarray, seed: int = 0,
              folds: int = SEARCH_FOLDS) -> Any:
    """The transfer probe fitted on the training videos only.

    Parameters
    ----------
    X_train : numpy.ndarray
        (n, D) finite features of the training videos.
    y_train : numpy.ndarray
        (n,) their labels (two classes or more, each with two videos or more).
    seed : int, default 0
        Seed of the shuffle of the search's stratified folds.
    folds : int, default SEARCH_FOLDS
        Folds of the search for C (at most the smallest class's count).

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``StandardScaler`` then ``LogisticRegressionCV`` (C from :data:`C_GRID` by stratified
        cross-validated log loss), fitted on one BLAS thread (``threadpoolctl``: for problems
        this small, threads cost more than they save; 400 x 768 features took 8.3 s with the
        default threads and 0.37 s with one, on a 2-core machine); ``model[-1].C_`` holds the
        chosen C.

    Raises
    ------
    ValueError
        Fewer than two classes, or a class with a single training video.
    """
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    y = np.asarray(y_train)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"the training videos hold one label only ({classes[0]!r}); a probe "
                         "needs two or more")
    k = int(min(folds, counts.min()))
    if k < 2:
        raise ValueError(f"label {classes[counts.argmin()]!r} has only {counts.min()} training "
                         "video; each label needs two or more")
    options: dict[str, Any] = {}
    accepted = inspect.signature(LogisticRegressionCV).parameters
    if "l1_ratios" in accepted and "use_legacy_attributes" in accepted:  # scikit-learn >= 1.8
        options = {"l1_ratios": (0.0,), "use_legacy_attributes": False}
    search = LogisticRegressionCV(
        Cs=list(C_GRID), cv=StratifiedKFold(k, shuffle=True, random_state=int(seed)),
        scoring="neg_log_loss", max_iter=2000, **options,
    )
    with threadpool_limits(limits=1):
        return make_pipeline(StandardScaler(), search).fit(np.asarray(X_train, dtype=float), y)


def _chosen_c(model: Any) -> float:
    return float(np.ravel(model[-1].C_)[0])


# --- labels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLabels:
    """The labels (and sets) of a benchmark's videos, in its row order, and where they came from."""

    labels: np.ndarray
    sets: np.ndarray | None
    path: Path

    def __len__(self) -> int:
        return len(self.labels)


def _cell(value: object) -> str | None:
    """A label or set cell as text (None: empty); 1.0 read by pandas stays ``"1"``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_transfer_labels(benchmark: Benchmark) -> TransferLabels:
    """The :data:`LABEL_COLUMN` and :data:`SET_COLUMN` of a benchmark's ``videos.csv``.

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark loaded from a folder (``benchmark.root``) in the socalign layout.

    Returns
    -------
    TransferLabels
        Labels and sets (None when the file has no :data:`SET_COLUMN`) in the benchmark's
        video row order.

    Raises
    ------
    socalign.data.errors.BenchmarkError
        Naming the file (and line and column): no folder, no ``videos.csv``, no
        :data:`LABEL_COLUMN`, an empty label or set, a set other than :data:`MAIN_SET` and
        :data:`GENERALIZATION_SET`, or a video id the benchmark does not hold.
    """
    from socalign.data.errors import BenchmarkError
    from socalign.data.layout import integer_column, read_csv

    if benchmark.root is None:
        raise BenchmarkError(f"benchmark {benchmark.name!r} has no folder to read a "
                             f"{LABEL_COLUMN!r} column from")
    path = Path(benchmark.root) / "videos.csv"
    frame = read_csv(path, ("video_id",), benchmark.root)
    if LABEL_COLUMN not in frame.columns:
        raise BenchmarkError(
            f"no {LABEL_COLUMN!r} column (each video's class, e.g. friendly / neutral / "
            f"adversarial); found {list(frame.columns)}", path, column=LABEL_COLUMN)
    ids = integer_column(frame, "video_id", path)
    try:
        rows = benchmark.videos.index_of(ids)
    except KeyError as err:
        raise BenchmarkError(f"{err.args[0]} of the loaded benchmark", path,
                             column="video_id") from err
    if len(rows) != len(benchmark.videos) or len(np.unique(rows)) != len(rows):
        raise BenchmarkError(f"lists {len(rows)} videos, the benchmark has "
                             f"{len(benchmark.videos)}", path)
    columns = [LABEL_COLUMN] + ([SET_COLUMN] if SET_COLUMN in frame.columns else [])
    values: dict[str, np.ndarray] = {}
    for column in columns:
        cells = [_cell(v) for v in frame[column]]
        empty = [i for i, c in enumerate(cells) if c is None]
        if empty:
            raise BenchmarkError("empty cell: every video needs one", path, empty[0] + 2, column)
        if column == SET_COLUMN:
            bad = [i for i, c in enumerate(cells) if c not in (MAIN_SET, GENERALIZATION_SET)]
            if bad:
                raise BenchmarkError(f"found {cells[bad[0]]!r}; the set is {MAIN_SET!r} or "
                                     f"{GENERALIZATION_SET!r}", path, bad[0] + 2, column)
        ordered = np.empty(len(cells), dtype=object)
        ordered[rows] = cells
        values[column] = ordered.astype(str)
    return TransferLabels(values[LABEL_COLUMN], values.get(SET_COLUMN), path)


def choose_protocol(sets: np.ndarray | None, protocol: str = "auto") -> str:
    """``paper`` or ``cv``: what ``protocol`` means for these sets.

    Parameters
    ----------
    sets : numpy.ndarray or None
        (N,) :data:`MAIN_SET` / :data:`GENERALIZATION_SET` per video (None: no set column).
    protocol : {"auto", "paper", "cv"}, default "auto"
        ``auto``: ``paper`` when both sets hold videos, else ``cv``.

    Returns
    -------
    str
        ``"paper"`` or ``"cv"``.

    Raises
    ------
    ValueError
        An unknown protocol, or ``paper`` without videos of both sets.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {list(PROTOCOLS)}")
    present = set() if sets is None else set(np.asarray(sets).tolist())
    both = {MAIN_SET, GENERALIZATION_SET} <= present
    if protocol == "paper" and not both:
        missing = "no set column" if sets is None else "no " + " and no ".join(
            repr(s) for s in (MAIN_SET, GENERALIZATION_SET) if s not in present) + " videos"
        raise ValueError(f"the paper protocol trains on the {MAIN_SET!r} set and tests on the "
                         f"{GENERALIZATION_SET!r} set; found {missing}: use the cv protocol to "
                         "cross-validate within the videos")
    if protocol == "auto":
        return "paper" if both else "cv"
    return protocol


def _check_cv_labels(labels: np.ndarray, folds: int) -> None:
    classes, counts = np.unique(labels, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"the videos hold one label only ({classes[0]!r}); a probe needs two "
                         "or more")
    if counts.min() < folds:
        raise ValueError(f"label {classes[counts.argmin()]!r} has {counts.min()} video(s), "
                         f"fewer than the {folds} folds; use fewer folds")


# --- results ---------------------------------------------------------------------------------


def _versus_chance(low: float, high: float, uniform: float, majority: float) -> str:
    """The words an accuracy interval earns against chance (they follow the interval)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no interval (no resamples)"
    if direction(low - majority, high - majority) == "up":
        return "above chance"
    if direction(low - uniform, high - uniform) == "up":
        return (f"above 1/{round(1 / uniform)} but not above the majority-class share "
                f"{majority:.2f}")
    if direction(low - uniform, high - uniform) == "down":
        return "below chance"
    return "not distinguishable from chance"


@dataclass(frozen=True)
class BackboneTransfer:
    """One backbone's held-out probe accuracy, its interval, per-class accuracy and C.

    ``confusion`` counts (true label, predicted label) in the order of ``classes`` (under
    ``cv`` the mean over repeats); ``c_values`` holds the C each fit chose (one under
    ``paper``, folds x repeats under ``cv``); ``correct`` is, per evaluated video, whether the
    probe was right (``paper``) or the share of repeats it was right (``cv``).
    """

    name: str
    accuracy: float
    low: float
    high: float
    n_videos: int
    n_features: int
    classes: tuple[str, ...]
    confusion: np.ndarray = field(repr=False)
    c_values: tuple[float, ...] = ()
    n_correct: int | None = None
    correct: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    @property
    def per_class(self) -> dict[str, tuple[float, int]]:
        """Label -> (accuracy on its videos, its number of videos); NaN for a label not held out.

        Under ``cv`` every video is held out once per repeat, so the mean counts over repeats
        have whole row sums.
        """
        out = {}
        for k, label in enumerate(self.classes):
            n = float(self.confusion[k].sum())
            out[label] = (float(self.confusion[k, k] / n) if n else float("nan"), round(n))
        return out

    @property
    def c_on_edge(self) -> int:
        """How many fits chose C at an end of :data:`C_GRID`."""
        ends = (min(C_GRID), max(C_GRID))
        return int(sum(bool(np.isclose(c, ends).any()) for c in self.c_values))


@dataclass(frozen=True)
class PairedComparison:
    """Backbone B against backbone A on the same videos: B - A accuracy and McNemar's test."""

    a: str
    b: str
    difference: float
    low: float
    high: float
    p_bootstrap: float | None
    mcnemar: McNemar

    @property
    def verdict(self) -> str:
        """``higher``, ``lower`` or ``no detectable difference``: B against A, by the interval."""
        return {"up": "higher", "down": "lower",
                "none": "no detectable difference"}[direction(self.low, self.high)]


@dataclass(frozen=True)
class TransferResult:
    """Linear-probe transfer of several backbones to labelled videos, under one protocol."""

    protocol: str
    backbones: tuple[BackboneTransfer, ...]
    comparisons: tuple[PairedComparison, ...]
    classes: tuple[str, ...]
    chance_uniform: float
    chance_majority: float
    majority_label: str
    n_train: int | None
    n_test: int
    folds: int | None
    repeats: int | None
    n_boot: int
    level: float
    seed: int
    interval_kind: str
    comparison_kind: str
    mcnemar_on: str
    probe: str
    notes: tuple[str, ...] = ()
    paper: PaperTransferTable = PAPER_V2_TRANSFER

    @property
    def protocol_description(self) -> str:
        """The protocol in words (on every output)."""
        if self.protocol == "paper":
            return (f"paper protocol: probe trained on the {self.n_train} {MAIN_SET}-set videos, "
                    f"tested on the {self.n_test} {GENERALIZATION_SET}-set videos")
        return (f"cv protocol: {self.folds}-fold stratified cross-validation repeated "
                f"{self.repeats} times within the {self.n_test} videos (accuracy: mean over "
                "repeats of the pooled out-of-fold accuracy)")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (the ``socalign transfer --json`` output)."""
        return {
            "protocol": self.protocol,
            "protocol_description": self.protocol_description,
            "classes": list(self.classes),
            "chance": {"uniform": self.chance_uniform, "majority": self.chance_majority,
                       "majority_label": self.majority_label,
                       "of": "the test videos" if self.protocol == "paper" else "the videos"},
            "n_train": self.n_train,
            "n_test": self.n_test,
            "folds": self.folds,
            "repeats": self.repeats,
            "backbones": [self._backbone_dict(b) for b in self.backbones],
            "comparisons": [
                {"of": f"{c.b} - {c.a}", "a": c.a, "b": c.b, "difference": c.difference,
                 "ci": [c.low, c.high], "interval": self.comparison_kind,
                 "p_bootstrap": c.p_bootstrap, "verdict": c.verdict,
                 "mcnemar": {**c.mcnemar.to_dict(), "test": "exact (binomial on the discordant "
                             "videos, two-sided)", "on": self.mcnemar_on}}
                for c in self.comparisons
            ],
            "probe": self.probe,
            "c_grid": list(C_GRID),
            "ci_level": self.level,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "notes": list(self.notes),
            "paper_v2": self.paper.to_dict(),
        }

    def _backbone_dict(self, b: BackboneTransfer) -> dict[str, Any]:
        values, counts = np.unique(np.asarray(b.c_values, dtype=float), return_counts=True)
        return {
            "name": b.name,
            "accuracy": b.accuracy,
            "ci": [b.low, b.high],
            "interval": self.interval_kind,
            "versus_chance": _versus_chance(b.low, b.high, self.chance_uniform,
                                            self.chance_majority),
            "n_videos": b.n_videos,
            "n_correct": b.n_correct,
            "n_features": b.n_features,
            "per_class": [{"label": label, "accuracy": acc, "n_videos": n}
                          for label, (acc, n) in b.per_class.items()],
            "confusion": {"labels": list(b.classes), "rows": "true label",
                          "columns": "predicted label",
                          "counts": b.confusion.tolist(),
                          "of": "the test videos" if self.protocol == "paper"
                          else f"mean over the {self.repeats} repeats"},
            "C": {"chosen": {repr(float(v)): int(n) for v, n in zip(values, counts, strict=True)},
                  "n_fits": len(b.c_values), "on_grid_edge": b.c_on_edge},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per measured backbone (the paper's figures: ``result.paper.to_frame()``)."""
        return pd.DataFrame([
            {"protocol": self.protocol, "backbone": b.name, "accuracy": b.accuracy,
             "ci_low": b.low, "ci_high": b.high, "interval": self.interval_kind,
             "versus_chance": _versus_chance(b.low, b.high, self.chance_uniform,
                                             self.chance_majority),
             "chance_uniform": self.chance_uniform, "chance_majority": self.chance_majority,
             "n_videos": b.n_videos, "n_features": b.n_features}
            for b in self.backbones
        ])

    def comparison_frame(self) -> pd.DataFrame:
        """One row per pair of backbones: B - A, its interval, McNemar's test, the verdict."""
        return pd.DataFrame([
            {"protocol": self.protocol, "of": f"{c.b} - {c.a}", "difference": c.difference,
             "ci_low": c.low, "ci_high": c.high, "verdict": c.verdict,
             "mcnemar_p": c.mcnemar.p_value, "a_only_correct": c.mcnemar.a_only,
             "b_only_correct": c.mcnemar.b_only}
            for c in self.comparisons
        ])

    def summary(self) -> str:
        """Sentences for people: the protocol, each accuracy against chance, each comparison."""
        level = f"{self.level:.0%}"
        lines = [f"{self.protocol_description}; chance {self.chance_uniform:.2f} (1/"
                 f"{len(self.classes)}), majority-class share {self.chance_majority:.2f} "
                 f"({self.majority_label})."]
        for b in self.backbones:
            words = _versus_chance(b.low, b.high, self.chance_uniform, self.chance_majority)
            lines.append(f"{b.name}: accuracy {interval(b.accuracy, b.low, b.high)} ({level} "
                         f"{self.interval_kind}), {words}.")
        for c in self.comparisons:
            lines.append(f"{c.b} vs {c.a}: {c.verdict} ({c.b} - {c.a} = "
                         f"{interval(c.difference, c.low, c.high)}, {level} {self.comparison_kind}); "
                         f"McNemar exact p = {c.mcnemar.p_value:.3g} ({c.mcnemar.b_only} videos "
                         f"only {c.b} got right, {c.mcnemar.a_only} only {c.a}; {self.mcnemar_on}).")
        return "\n".join(lines)


# --- the analysis ----------------------------------------------------------------------------


def _features(name: str, X: np.ndarray, n: int) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != n:
        raise ValueError(f"backbone {name!r}: embeddings have shape {X.shape}, expected "
                         f"({n}, D): one row per video")
    if not np.isfinite(X).all():
        raise ValueError(f"backbone {name!r}: embeddings contain non-finite values")
    return X


def _confusion(truth: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) class codes, ``sklearn.metrics.confusion_matrix``."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(truth, pred, labels=np.arange(n_classes)).astype(float)


def transfer_arrays(
    embeddings: Mapping[str, np.ndarray],
    labels: Sequence[str] | np.ndarray,
    sets: Sequence[str] | np.ndarray | None = None,
    protocol: str = "auto",
    folds: int = DEFAULT_FOLDS,
    repeats: int = DEFAULT_REPEATS,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> TransferResult:
    """Probe each backbone's frozen embeddings for the labels, under one protocol.

    Parameters
    ----------
    embeddings : mapping of str to numpy.ndarray
        Backbone name -> (N, D) finite features, one row per video (the same videos, in the
        same order, for every backbone). Comparisons pair each backbone with each later one.
    labels : sequence of str or numpy.ndarray
        (N,) each video's class.
    sets : sequence of str or numpy.ndarray or None, default None
        (N,) :data:`MAIN_SET` or :data:`GENERALIZATION_SET` per video (None: no sets; ``cv``).
    protocol : {"auto", "paper", "cv"}, default "auto"
        See :func:`choose_protocol` and the module docstring.
    folds : int, default 5
        ``cv``: folds of each repeat (every label needs at least this many videos).
    repeats : int, default 20
        ``cv``: repeats of the stratified k-fold partition.
    n_boot : int, default 1000
        Bootstrap resamples of the intervals over videos (0: none, NaN bounds; the paper
        protocol's accuracy interval is Wilson's and needs none).
    seed : int, default 0
        Seed of every random draw (the folds, the search's folds, the resamples), through
        :func:`socalign.metrics.resampling.stream`.
    level : float, default 0.95
        Coverage of every interval.

    Returns
    -------
    TransferResult
        One :class:`BackboneTransfer` per backbone in the given order, one
        :class:`PairedComparison` per pair (later minus earlier), the protocol named.

    Raises
    ------
    ValueError
        No backbones; features of the wrong shape or not finite; labels or sets of the wrong
        length; an unknown protocol or ``paper`` without both sets; one label only; a label
        with too few videos for the folds; ``folds < 2``, ``repeats < 1`` or ``n_boot < 0``.
    """
    if not embeddings:
        raise ValueError("no backbones to probe")
    if folds < 2 or repeats < 1 or n_boot < 0:
        raise ValueError(f"need folds >= 2, repeats >= 1 and n_boot >= 0; got {folds}, "
                         f"{repeats}, {n_boot}")
    y = np.asarray(labels).astype(str)
    n = y.shape[0]
    set_values = None if sets is None else np.asarray(sets).astype(str)
    if set_values is not None and set_values.shape != (n,):
        raise ValueError(f"sets have shape {set_values.shape}, labels ({n},)")
    features = {name: _features(name, X, n) for name, X in embeddings.items()}
    chosen = choose_protocol(set_values, protocol)
    notes: list[str] = []
    if chosen == "paper":
        train = np.flatnonzero(set_values == MAIN_SET)
        test = np.flatnonzero(set_values == GENERALIZATION_SET)
        evaluated = y[test]
    else:
        _check_cv_labels(y, folds)
        evaluated = y
        if set_values is None:
            notes.append(f"no {SET_COLUMN!r} column: cross-validated within all the videos")
        elif protocol == "auto":
            notes.append(f"no videos of both the {MAIN_SET!r} and {GENERALIZATION_SET!r} sets: "
                         "cross-validated within the videos")
    classes = tuple(sorted(set(y.tolist())))
    codes = np.searchsorted(np.asarray(classes), y)  # the probes fit class codes (faster)
    values, counts = np.unique(evaluated, return_counts=True)
    majority_label, chance_majority = str(values[counts.argmax()]), float(counts.max() / counts.sum())
    if chosen == "paper":
        unseen = sorted(set(evaluated.tolist()) - set(y[train].tolist()))
        if unseen:
            notes.append(f"label(s) {unseen} have no training video: the probe never predicts them")
        fits = [_paper_fit(name, X, codes, train, test, classes, seed, level)
                for name, X in features.items()]
        per_video = [f.correct.astype(float) for f in fits]
        mcnemar_rows = [f.correct for f in fits]
        interval_kind = (f"Wilson score interval over the {test.size} test videos (the fitted "
                         "probe held fixed)")
        mcnemar_on = f"the {test.size} test videos"
        unit = "test videos"
    else:
        splits = _cv_splits(codes, folds, repeats, seed)
        fits, per_video, mcnemar_rows = [], [], []
        for k, (name, X) in enumerate(features.items()):
            fit, correct = _cv_fit(name, X, codes, splits, classes, seed)
            v = correct.mean(axis=0)
            if n_boot:
                iv = bootstrap(v, n_boot, stream(seed, "transfer-bootstrap", k), level,
                               unit="videos", statistic="accuracy")
                fit = replace(fit, low=float(iv.low), high=float(iv.high))
            fits.append(fit)
            per_video.append(v)
            mcnemar_rows.append(correct[0])
        interval_kind = (f"percentile bootstrap over the {n} videos of each video's out-of-fold "
                         f"correctness averaged over the {repeats} repeats ({n_boot} resamples; "
                         "the fits held fixed)")
        mcnemar_on = (f"the out-of-fold predictions of the first repeat ({folds} folds covering "
                      f"the {n} videos once)")
        unit = "videos"
    comparisons = []
    names = list(features)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            diff = float(per_video[j].mean() - per_video[i].mean())
            low = high = float("nan")
            p_boot = None
            if n_boot:
                iv = paired_bootstrap(per_video[j], per_video[i], n_boot,
                                      stream(seed, "transfer-paired-bootstrap", i, j), level, unit)
                low, high, p_boot = iv.low, iv.high, iv.p_value
            comparisons.append(PairedComparison(names[i], names[j], diff, low, high, p_boot,
                                                mcnemar_exact(mcnemar_rows[i], mcnemar_rows[j])))
    comparison_kind = (f"paired percentile bootstrap over the {per_video[0].size} {unit} "
                       f"({n_boot} resamples)" + ("" if chosen == "paper" else
                                                  " of the correctness averaged over repeats"))
    search = PROBE.format(grid=f"{min(C_GRID):g}..{max(C_GRID):g}", folds=SEARCH_FOLDS)
    return TransferResult(
        protocol=chosen,
        backbones=tuple(fits),
        comparisons=tuple(comparisons),
        classes=classes,
        chance_uniform=1.0 / len(classes),
        chance_majority=chance_majority,
        majority_label=majority_label,
        n_train=int(train.size) if chosen == "paper" else None,
        n_test=int(test.size) if chosen == "paper" else n,
        folds=None if chosen == "paper" else folds,
        repeats=None if chosen == "paper" else repeats,
        n_boot=int(n_boot),
        level=level,
        seed=int(seed),
        interval_kind=interval_kind,
        comparison_kind=comparison_kind,
        mcnemar_on=mcnemar_on,
        probe=search,
        notes=tuple(notes),
    )


def _paper_fit(name: str, X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
               classes: tuple[str, ...], seed: int, level: float) -> BackboneTransfer:
    """Fit on the main set, score on the generalization set, Wilson interval."""
    model = fit_probe(X[train], y[train], _seed_of(stream(seed, "transfer-search")))
    pred = model.predict(X[test])
    correct = pred == y[test]
    k = int(correct.sum())
    low, high = wilson_interval(k, int(test.size), level)
    return BackboneTransfer(name, k / test.size, low, high, int(test.size), int(X.shape[1]),
                            classes, _confusion(y[test], pred, len(classes)),
                            (_chosen_c(model),), k, correct)


def _cv_splits(y: np.ndarray, folds: int, repeats: int,
               seed: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """Each repeat's stratified folds (the same for every backbone)."""
    from sklearn.model_selection import StratifiedKFold

    out = []
    for r in range(repeats):
        splitter = StratifiedKFold(folds, shuffle=True,
                                   random_state=_seed_of(stream(seed, "transfer-folds", r)))
        out.append(list(splitter.split(np.zeros((y.size, 1)), y)))
    return out


def _cv_fit(name: str, X: np.ndarray, y: np.ndarray,
            splits: list[list[tuple[np.ndarray, np.ndarray]]], classes: tuple[str, ...],
            seed: int) -> tuple[BackboneTransfer, np.ndarray]:
    """Out-of-fold predictions of every repeat: (result without interval, (repeats, N) correct)."""
    correct = np.zeros((len(splits), y.size), dtype=bool)
    confusion = np.zeros((len(classes), len(classes)))
    c_values = []
    for r, partition in enumerate(splits):
        pred = np.empty(y.size, dtype=y.dtype)
        for f, (tr, te) in enumerate(partition):
            model = fit_probe(X[tr], y[tr], _seed_of(stream(seed, "transfer-search", r, f)))
            pred[te] = model.predict(X[te])
            c_values.append(_chosen_c(model))
        correct[r] = pred == y
        confusion += _confusion(y, pred, len(classes))
    fit = BackboneTransfer(name, float(correct.mean()), float("nan"), float("nan"), int(y.size),
                           int(X.shape[1]), classes, confusion / len(splits), tuple(c_values),
                           None, correct.mean(axis=0))
    return fit, correct


def plan_transfer(benchmark: Benchmark, protocol: str = "auto",
                  folds: int = DEFAULT_FOLDS) -> tuple[TransferLabels, str]:
    """A benchmark's labels and the protocol they allow, checked before anything is embedded.

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark whose ``videos.csv`` has :data:`LABEL_COLUMN` (and :data:`SET_COLUMN` for
        the paper protocol).
    protocol : {"auto", "paper", "cv"}, default "auto"
        See :func:`choose_protocol`.
    folds : int, default 5
        The cv protocol's folds (every label needs this many videos).

    Returns
    -------
    (TransferLabels, str)
        The labels and sets in the benchmark's row order, and ``"paper"`` or ``"cv"``.

    Raises
    ------
    socalign.data.errors.BenchmarkError
        Naming ``videos.csv`` and the column: as :func:`read_transfer_labels`; ``paper``
        without videos of both sets; one label only or a label with too few videos (two
        training videos under ``paper``, ``folds`` videos under ``cv``).
    ValueError
        An unknown protocol.
    """
    from socalign.data.errors import BenchmarkError

    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {list(PROTOCOLS)}")
    found = read_transfer_labels(benchmark)
    try:
        chosen = choose_protocol(found.sets, protocol)
    except ValueError as err:
        raise BenchmarkError(str(err), found.path, column=SET_COLUMN) from err
    try:
        if chosen == "cv":
            _check_cv_labels(found.labels, folds)
        else:
            classes, counts = np.unique(found.labels[found.sets == MAIN_SET], return_counts=True)
            if classes.size < 2:
                raise ValueError(f"the training videos ({MAIN_SET} set) hold one label only "
                                 f"({classes[0]!r}); a probe needs two or more")
            if counts.min() < 2:
                raise ValueError(f"label {classes[counts.argmin()]!r} has one training video "
                                 f"({MAIN_SET} set); each label needs two or more")
    except ValueError as err:
        raise BenchmarkError(str(err), found.path, column=LABEL_COLUMN) from err
    return found, chosen


def transfer_benchmark(
    benchmark: Benchmark,
    embeddings: Mapping[str, np.ndarray],
    protocol: str = "auto",
    **kwargs: Any,
) -> TransferResult:
    """:func:`transfer_arrays` on a benchmark's labelled videos (its ``videos.csv`` columns).

    Parameters
    ----------
    benchmark : Benchmark
        A benchmark whose ``videos.csv`` has :data:`LABEL_COLUMN` (and :data:`SET_COLUMN` for
        the paper protocol), e.g. a folder ``socalign data render phase`` wrote.
    embeddings : mapping of str to numpy.ndarray
        Backbone name -> (N, D) embeddings in the benchmark's video row order.
    protocol : {"auto", "paper", "cv"}, default "auto"
        See :func:`choose_protocol`.
    **kwargs
        ``folds``, ``repeats``, ``n_boot``, ``seed``, ``level`` of :func:`transfer_arrays`.

    Returns
    -------
    TransferResult
        As :func:`transfer_arrays` gives it (a note says why ``auto`` chose ``cv``).

    Raises
    ------
    socalign.data.errors.BenchmarkError
        As :func:`plan_transfer`.
    ValueError
        Embeddings of the wrong shape, or bad settings (as :func:`transfer_arrays`).
    """
    found, _ = plan_transfer(benchmark, protocol, int(kwargs.get("folds", DEFAULT_FOLDS)))
    return transfer_arrays(embeddings, found.labels, found.sets, protocol, **kwargs)


# --- embeddings ------------------------------------------------------------------------------


def is_finetuned(source: str | Path) -> bool:
    """Whether ``source`` is a ``socalign finetune`` run folder or a ``socalign export`` folder.

    Parameters
    ----------
    source : str or path-like
        A backbone name, folder or file.

    Returns
    -------
    bool
    """
    from socalign.train.runfiles import is_export, read_run_marker

    path = Path(source).expanduser()
    return path.is_dir() and (is_export(path) or read_run_marker(path) is not None)


def aligned_features(benchmark: Benchmark, source: str | Path, batch_size: int = 8,
                     device: str | None = None, progress: bool = False) -> np.ndarray:
    """A fine-tuned model's frozen encoder features of every benchmark video.

    The model is loaded by the one loader (:func:`socalign.train.export.load_aligned`: a run
    or export folder); its encoder, the backbone with the LoRA adapters, gives the pooled
    features (``AlignedVideoModel.features``, the same pooling as the pretrained backbone's,
    before the projection head), from clips preprocessed as :func:`socalign.models.embed.embed`
    preprocesses them for that backbone (``clip_preprocessor(spec, "auto")``).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark, with a video file per video.
    source : str or path-like
        A ``socalign finetune`` run folder or a folder ``socalign export`` wrote.
    batch_size : int, default 8
        Clips per forward pass.
    device : str or None, default None
        Where the model runs (None: cuda, then mps, then cpu).
    progress : bool, default False
        A progress bar over the videos on stderr.

    Returns
    -------
    numpy.ndarray
        (N, D) float32, in the benchmark's video row order. Not cached.

    Raises
    ------
    ValueError
        A video without a file (naming its id), a folder that is not a fine-tuned model.
    FileNotFoundError
        A missing video file or model file.
    """
    import torch

    from socalign.models.frames import auto_device
    from socalign.models.video import clip_preprocessor
    from socalign.progress import progress_bar
    from socalign.train.export import load_aligned
    from socalign.video import load_clips

    files = benchmark.videos.files
    missing = [i for i, f in enumerate(files) if f is None]
    if missing:
        raise ValueError(f"{benchmark.name}: video id {benchmark.videos.ids[missing[0]]} lists no "
                         "video file (attach the videos with --videos DIR)")
    where = auto_device(device)
    model = load_aligned(source, device=str(where))
    spec = model.spec
    prep = clip_preprocessor(spec, "auto")
    out = []
    starts = range(0, len(files), batch_size)
    for start in progress_bar(starts, f"embed {Path(source).name}", progress,
                              total=len(starts), unit="batch"):
        clips = load_clips(list(files[start:start + batch_size]), spec.n_frames)  # type: ignore[arg-type]
        with torch.inference_mode():
            pixels = prep(list(clips)).to(where)
            out.append(model.features(pixels).float().cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def backbone_embeddings(benchmark: Benchmark, source: str, progress: bool = False) -> np.ndarray:
    """(N, D) frozen embeddings of a benchmark's videos by one backbone, whatever its form.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark whose videos are embedded.
    source : str
        A fine-tuned run or export folder (:func:`aligned_features`); an embeddings file
        (``.npz``/``.npy``) or SocialWorld's ``pixel``/``oracle``
        (:func:`socalign.analyses.gap.model_embeddings`); otherwise a model name or folder
        that :func:`socalign.models.embed.embed` takes (``toy``, a hub id, a checkpoint
        folder; cached by content).
    progress : bool, default False
        A progress bar while embedding videos.

    Returns
    -------
    numpy.ndarray
        (N, D) in the benchmark's video row order.
    """
    if is_finetuned(source):
        return aligned_features(benchmark, source, progress=progress)
    if source in ("pixel", "oracle") or Path(source).suffix in (".npz", ".npy"):
        from socalign.analyses.gap import model_embeddings

        return model_embeddings(benchmark, source)
    from socalign.models.embed import embed_benchmark

    return np.asarray(embed_benchmark(benchmark, source, progress=progress))
