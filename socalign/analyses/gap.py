"""The modality-gap table: language vs video models against human similarity on held-out videos.

For each model: R² (squared Spearman over observed held-out pairs) and OOO accuracy under both
rules (``argmax`` and ``pair``) with bootstrap intervals (videos for R², trials for OOO), all via
:func:`socalign.scoring.evaluate`. Beside them: the noise ceilings of the same split (split-half
reliability over participants, Spearman–Brown corrected, for R²; leave-one-out agreement of
repeated triplets for OOO accuracy), and paired bootstraps of the best language model minus the
best video model. When a model has layers to choose from, the layer is chosen by R² on the
*train* videos only and then reported on the test split.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socalign.metrics import RULES
from socalign.metrics.resampling import as_rng
from socalign.scoring import Evaluation, ceilings, compare, evaluate, model_similarity
from socalign.text import interval

if TYPE_CHECKING:
    from socalign.data.types import Benchmark

KINDS = ("language", "video", "baseline", "oracle", "unknown")
LANGUAGE_DEFAULTS = ("tfidf", "minilm")


def is_socialworld(benchmark: Benchmark) -> bool:
    """True for a benchmark whose dataset has latent truth (SocialWorld), as the dataset
    registry says (:func:`socalign.data.registry.dataset_of`).

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark.

    Returns
    -------
    bool
    """
    from socalign.data.registry import dataset_of

    return dataset_of(benchmark).latent_truth


def default_models(benchmark: Benchmark) -> tuple[str, ...]:
    """The default rows: the language models, and for a dataset with latent truth (SocialWorld)
    also the ``pixel`` baseline, the dataset's default backbone and the ``oracle``.

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark.

    Returns
    -------
    tuple of str
        SocialWorld: ``("pixel", "toy", "tfidf", "minilm", "oracle")``; others
        :data:`LANGUAGE_DEFAULTS`.
    """
    from socalign.data.registry import dataset_of

    dataset = dataset_of(benchmark)
    if not dataset.latent_truth:
        return LANGUAGE_DEFAULTS
    return ("pixel", dataset.default_backbone, *LANGUAGE_DEFAULTS, "oracle")


def row_kind(name: str) -> str:
    """The kind of a gap-table row: language / video / baseline / oracle / unknown.

    ``pixel`` is a baseline and ``oracle`` the oracle; an ``.npz`` embeddings file has its
    stored ``meta["kind"]`` when that is a known kind, else ``unknown`` (as for a ``.npy``).
    A model name is language or video as :func:`socalign.models.embed.model_kind` (the one
    owner of that answer) says; a name it cannot place is counted as video.

    Parameters
    ----------
    name : str
        A model name, a SocialWorld reference (``pixel``, ``oracle``) or an embeddings file.

    Returns
    -------
    str
        One of :data:`KINDS`.
    """
    if name in ("pixel",):
        return "baseline"
    if name == "oracle":
        return "oracle"
    if Path(name).suffix == ".npz" and Path(name).exists():
        from socalign.models.embeddings import read_meta

        kind = read_meta(name).get("kind")
        return kind if kind in KINDS else "unknown"
    if Path(name).suffix in (".npz", ".npy"):
        return "unknown"
    from socalign.models.embed import model_kind as embedding_kind

    try:
        return embedding_kind(name)
    except ValueError:  # an unrecognised hub name: the gap table lists it with the video rows
        return "video"


def model_embeddings(benchmark: Benchmark, name: str, layer: int | None = None,
                     n_frames: int | None = None) -> np.ndarray:
    """Embeddings (N, D) in benchmark row order for a model name, a SocialWorld reference, or a file.

    ``pixel``/``oracle``: SocialWorld's colour histograms / latent features; ``*.npz``/``*.npy``:
    read with :func:`socalign.models.embeddings.load_embeddings`; anything else (``tfidf``,
    ``minilm``, a sentence-transformers or video model name, a registered backbone such as
    ``toy``, or a folder): :func:`socalign.models.embed.embed_benchmark` (cached by content).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark whose N videos are embedded.
    name : str
        ``pixel``, ``oracle``, an ``.npz``/``.npy`` embeddings file, or a model name or folder
        that :func:`socalign.models.embed.embed_benchmark` takes.
    layer : int or None, default None
        The hidden layer to embed from (the model's default when None); passed to
        :func:`socalign.models.embed.embed_benchmark` only, ignored by the references and files.
    n_frames : int or None, default None
        A video model's frames per clip (the model's own when None); passed like ``layer``.

    Returns
    -------
    numpy.ndarray
        (N, D), one row per benchmark video in row order.
    """
    if name in ("pixel", "oracle"):
        from socalign.data.socialworld import features

        return features.pixel_features(benchmark) if name == "pixel" else features.oracle_features(benchmark)
    if Path(name).suffix in (".npz", ".npy"):
        from socalign.models.embeddings import load_embeddings

        return load_embeddings(name, benchmark.videos)
    from socalign.models.embed import embed_benchmark

    return np.asarray(embed_benchmark(benchmark, name, layer=layer, n_frames=n_frames))


def choose_layer(
    benchmark: Benchmark,
    embed: Callable[[int], np.ndarray],
    layers: Sequence[int],
    split: str = "train",
    metric: str = "cosine",
) -> tuple[int, dict[int, float]]:
    """The layer whose embeddings give the highest R² on ``split`` (train videos; never test).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    embed : callable
        Layer -> embeddings (N, D) in benchmark row order.
    layers : sequence of int
        The candidate layers (at least one).
    split : str, default "train"
        The split the layers are scored on; ``"test"`` is refused.
    metric : str, default "cosine"
        Similarity of embeddings: ``cosine``, ``correlation`` or ``dot``.

    Returns
    -------
    tuple of (int, dict of int to float)
        The chosen layer (a NaN R² never wins) and the R² of every candidate layer.

    Raises
    ------
    ValueError
        When ``layers`` is empty or ``split`` is ``"test"``.
    """
    if not layers:
        raise ValueError("no layers to choose from")
    if split == "test":
        raise ValueError("a layer must be chosen on train videos, not on the test split")
    scores = {
        int(layer): evaluate(benchmark, split, embeddings=embed(layer), metric=metric, n_boot=0).r2
        for layer in layers
    }
    best = max(scores, key=lambda k: -np.inf if np.isnan(scores[k]) else scores[k])
    return best, scores


@dataclass(frozen=True)
class GapRow:
    """One model's row of the gap table."""

    model: str
    kind: str
    evaluation: Evaluation
    layer: int | None = None
    layer_scores: Mapping[int, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"model": self.model, "kind": self.kind, **self.evaluation.to_dict()}
        out["layer"] = self.layer
        if self.layer_scores is not None:
            out["layer_choice"] = {
                "split": "train",
                "criterion": "r2",
                "r2_by_layer": {str(k): v for k, v in self.layer_scores.items()},
            }
        return out


@dataclass(frozen=True)
class GapResult:
    """The modality-gap table of one split: model rows, noise ceilings, paired tests."""

    split: str
    metric: str
    rows: tuple[GapRow, ...]
    ceiling: Mapping[str, Any]
    paired: Mapping[str, Any]
    n_boot: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def row(self, model: str) -> GapRow:
        """The row of ``model`` (KeyError naming the models present)."""
        for row in self.rows:
            if row.model == model:
                return row
        raise KeyError(f"no row {model!r}; rows are {[r.model for r in self.rows]}")

    def to_dict(self) -> dict[str, Any]:
        """The ``socalign gap --json`` object."""
        return {
            "split": self.split,
            "metric": self.metric,
            "models": [row.to_dict() for row in self.rows],
            "ceiling": dict(self.ceiling),
            "paired_tests": dict(self.paired),
            "n_boot": self.n_boot,
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per model: R² and OOO accuracy (both rules) with interval bounds."""
        records = []
        for row in self.rows:
            ev = row.evaluation
            rec: dict[str, Any] = {"model": row.model, "kind": row.kind, "r2": ev.r2}
            r2_ci = ev.ci.get("r2")
            rec["r2_low"] = None if r2_ci is None else r2_ci.low
            rec["r2_high"] = None if r2_ci is None else r2_ci.high
            for rule in RULES:
                rec[f"ooo_{rule}"] = ev.ooo[rule].accuracy
                iv = ev.ci.get("ooo_accuracy", {}).get(rule)
                rec[f"ooo_{rule}_low"] = None if iv is None else iv.low
                rec[f"ooo_{rule}_high"] = None if iv is None else iv.high
            rec["n_pairs"], rec["n_trials"], rec["layer"] = ev.n_pairs, ev.n_trials, row.layer
            records.append(rec)
        return pd.DataFrame(records)

    def display_frame(self) -> pd.DataFrame:
        """The table a reader sees: one row per model, each score as ``0.044 [0.007, 0.122]``.

        Returns
        -------
        pandas.DataFrame
            Indexed by model (its short name), with the kind, R² and OOO accuracy under both
            rules with their 95% intervals, as text.
        """
        frame = self.to_frame()
        shown = pd.DataFrame({
            "model": [str(m).rstrip("/").split("/")[-1] for m in frame["model"]],
            "kind": frame["kind"],
            "R² [95% CI]": [interval(v, lo, hi) for v, lo, hi in
                            zip(frame["r2"], frame["r2_low"], frame["r2_high"], strict=True)],
        })
        for rule in RULES:
            shown[f"OOO {rule} [95% CI]"] = [
                interval(v, lo, hi) for v, lo, hi in zip(
                    frame[f"ooo_{rule}"], frame[f"ooo_{rule}_low"], frame[f"ooo_{rule}_high"],
                    strict=True)]
        return shown.set_index("model")


def noise_ceilings(
    benchmark: Benchmark, split: str, n_splits: int = 100, seed: int | np.random.Generator = 0
) -> dict[str, Any]:
    """The ceilings of a split as the ``gap --json`` ``ceiling`` block, from
    :func:`socalign.scoring.ceilings` (:func:`socalign.metrics.benchmark_ceilings`).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    split : str
        The split of the gap table.
    n_splits : int, default 100
        Random participant halves of the split-half reliability.
    seed : int or numpy.random.Generator, default 0
        An integer gives the numbers ``socalign ceiling --seed`` prints for the split; a
        Generator gives one integer seed drawn from it.

    Returns
    -------
    dict
        ``r2`` (the split-half R² ceiling with its interval; ``error`` when it cannot be
        computed), ``ooo_accuracy`` (the leave-one-out agreement of repeated triplets: a
        reliability, kept under this key for the ``gap --json`` output) and ``ooo_ceiling``
        (the expected accuracy of each triplet's most likely choice, the ceiling OOO accuracy
        is read against).
    """
    found = ceilings(benchmark, split, n_splits=n_splits, seed=seed)
    quantities = found.quantities()
    out: dict[str, Any] = {}
    if found.split_half is None:
        out["r2"] = {"estimate": None, "error": found.split_half_error}
    else:
        out["r2"] = {**found.split_half.to_dict(), "estimate": found.r2_ceiling,
                     "low": found.split_half.low, "high": found.split_half.high}
    cons = found.consistency
    out["ooo_accuracy"] = {
        "estimate": cons.loo_agreement,
        "kind": "leave-one-out agreement of repeated triplets",
        "rule": "argmax (a single choice is scored, as in the argmax rule)",
        "meaning": quantities["ooo_reliability"]["meaning"],
        "n_trials": cons.n_trials,
        "n_triplets": cons.n_triplets,
    }
    out["ooo_ceiling"] = {**quantities["ooo_ceiling"], "n_trials": found.ooo.n_trials}
    return out


def paired_language_video(
    benchmark: Benchmark,
    rows: Sequence[GapRow],
    embeddings: Mapping[str, np.ndarray],
    split: str,
    metric: str,
    n_boot: int,
    seed: int | np.random.Generator,
    select_split: str | None = "train",
) -> dict[str, Any]:
    """Paired bootstraps of best language minus best video: R² over videos, OOO over trials.

    "Best" is the highest R² on ``select_split`` (train videos by default, so the models
    compared are not picked on the split they are tested on); when that split is absent or
    has no trials, the tested split's R² is used and the output says so.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    rows : sequence of GapRow
        The gap table's rows; their kinds say which are language and which video models.
    embeddings : mapping of str to numpy.ndarray
        Model name -> embeddings (N, D) in benchmark row order, for every row.
    split : str
        The split the difference is tested on.
    metric : str
        Similarity of embeddings: ``cosine``, ``correlation`` or ``dot``.
    n_boot : int
        Paired bootstrap resamples (at least 1).
    seed : int or numpy.random.Generator
        Seed or Generator of the resamples.
    select_split : str or None, default "train"
        The split on which the best models are picked (None: the tested split).

    Returns
    -------
    dict
        ``language_vs_video``: the two models, how they were chosen, and the paired
        differences (language - video) in R², Spearman and OOO accuracy; None with a
        ``reason`` when the table lacks a language or a video model.
    """
    score: dict[str, float] = {r.model: r.evaluation.r2 for r in rows}
    chosen_on = split
    if select_split is not None and select_split != split and select_split in benchmark.videos.split_names:
        if len(benchmark.split_trials(select_split)):
            score = {
                r.model: evaluate(benchmark, select_split, embeddings=embeddings[r.model],
                                  metric=metric, n_boot=0).r2
                for r in rows if r.kind in ("language", "video")
            }
            chosen_on = select_split
    best: dict[str, GapRow] = {}
    for kind in ("language", "video"):
        candidates = [r for r in rows if r.kind == kind and np.isfinite(score.get(r.model, np.nan))]
        if candidates:
            best[kind] = max(candidates, key=lambda r: score[r.model])
    if len(best) < 2:
        missing = [k for k in ("language", "video") if k not in best]
        return {"language_vs_video": None, "reason": f"no {' or '.join(missing)} model in the table"}
    lang, vid = best["language"], best["video"]
    paired = compare(
        benchmark, split,
        model_similarity(benchmark, split, embeddings[lang.model], metric=metric),
        model_similarity(benchmark, split, embeddings[vid.model], metric=metric),
        n_boot, as_rng(seed),
    ).to_dict()
    return {
        "language_vs_video": {
            "language": lang.model,
            "video": vid.model,
            "difference": "language - video",
            "best_chosen_by": f"R² on the {chosen_on} split",
            "r2": paired["r2"],
            "spearman": paired["spearman"],
            "ooo_accuracy": paired["ooo_accuracy"],
        }
    }


def gap_table(
    benchmark: Benchmark,
    embeddings: Mapping[str, np.ndarray],
    kinds: Mapping[str, str] | None = None,
    split: str = "test",
    metric: str = "cosine",
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    layers: Mapping[str, tuple[int, Mapping[int, float]]] | None = None,
    ceiling_splits: int = 100,
    select_split: str | None = "train",
) -> GapResult:
    """The gap table from embeddings (name -> (N, D) in benchmark row order).

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    embeddings : mapping of str to numpy.ndarray
        Model name -> embeddings (N, D) in benchmark row order (at least one model).
    kinds : mapping of str to str or None, default None
        Name -> language/video/baseline/oracle/unknown; a name absent from it gets
        :func:`row_kind`'s answer.
    split : str, default "test"
        The split the rows are scored on.
    metric : str, default "cosine"
        Similarity of embeddings: ``cosine``, ``correlation`` or ``dot``.
    n_boot : int, default 1000
        Bootstrap resamples of each interval and of the paired test; 0 skips both.
    seed : int or numpy.random.Generator, default 0
        Seed or Generator of the resamples; an integer scores each row as ``socalign evaluate
        --seed`` does (the same interval for the same model) and seeds the ceilings as
        ``socalign ceiling --seed`` does.
    layers : mapping of str to (int, mapping of int to float) or None, default None
        Name -> (chosen layer, train R² per layer), recorded in the rows.
    ceiling_splits : int, default 100
        Random participant halves of the split-half ceiling.
    select_split : str or None, default "train"
        Where the best language and video models for the paired test are picked.

    Returns
    -------
    GapResult
        One row per model in the order of ``embeddings``, the split's noise ceilings and the
        paired language-vs-video test.

    Raises
    ------
    ValueError
        When ``embeddings`` is empty or ``kinds`` names an unknown kind.
    """
    if not embeddings:
        raise ValueError("no models to tabulate")
    kinds = dict(kinds or {})
    bad = {k: v for k, v in kinds.items() if v not in KINDS}
    if bad:
        raise ValueError(f"unknown model kind(s) {bad}; choose from {list(KINDS)}")
    rng = as_rng(seed)
    # an integer seed scores every row exactly as `socalign evaluate --seed` scores that model
    # (the same resamples, so the same interval); a Generator is drawn from in turn
    row_seed = int(seed) if isinstance(seed, int | np.integer) else rng
    rows = []
    for name, emb in embeddings.items():
        ev = evaluate(benchmark, split, embeddings=emb, metric=metric, n_boot=n_boot, seed=row_seed)
        layer, scores = (layers or {}).get(name, (None, None))
        rows.append(GapRow(name, kinds.get(name) or row_kind(name), ev, layer, scores))
    ceiling = noise_ceilings(benchmark, split, ceiling_splits, seed if isinstance(seed, int) else rng)
    paired = (
        paired_language_video(benchmark, rows, embeddings, split, metric, n_boot, rng, select_split)
        if n_boot
        else {"language_vs_video": None, "reason": "n_boot = 0"}
    )
    return GapResult(split, metric, tuple(rows), ceiling, paired, n_boot)


def run_gap(
    benchmark: Benchmark,
    models: Sequence[str] | None = None,
    split: str = "test",
    metric: str = "cosine",
    n_boot: int = 1000,
    seed: int = 0,
    choose_layers: Mapping[str, Sequence[int]] | None = None,
    train_split: str = "train",
) -> GapResult:
    """Embed each model (default set when ``models`` is None) and build the gap table.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark.
    models : sequence of str or None, default None
        The models, as :func:`model_embeddings` names them (:func:`default_models` when None
        or empty).
    split : str, default "test"
        The split the rows are scored on.
    metric : str, default "cosine"
        Similarity of embeddings: ``cosine``, ``correlation`` or ``dot``.
    n_boot : int, default 1000
        Bootstrap resamples of each interval and of the paired test; 0 skips both.
    seed : int, default 0
        Seed of the resamples and of the ceilings.
    choose_layers : mapping of str to sequence of int or None, default None
        Model -> candidate layers; the layer is chosen on ``train_split`` by
        :func:`choose_layer`.
    train_split : str, default "train"
        The split where layers and the paired test's best models are chosen.

    Returns
    -------
    GapResult
        The gap table of ``split``.
    """
    names = list(models) if models else list(default_models(benchmark))
    embeddings: dict[str, np.ndarray] = {}
    layers: dict[str, tuple[int, Mapping[int, float]]] = {}
    for name in names:
        candidates = (choose_layers or {}).get(name)
        if candidates:
            best, scores = choose_layer(
                benchmark, lambda layer, n=name: model_embeddings(benchmark, n, layer),
                candidates, train_split, metric,
            )
            layers[name] = (best, scores)
            embeddings[name] = model_embeddings(benchmark, name, best)
        else:
            embeddings[name] = model_embeddings(benchmark, name)
    return gap_table(benchmark, embeddings, None, split, metric, n_boot, seed, layers,
                     select_split=train_split)
