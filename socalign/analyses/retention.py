"""Action-recognition retention: did fine-tuning keep the backbone's action knowledge?

A linear probe (standardised features, multinomial logistic regression with its inverse
penalty C chosen by cross-validated log loss inside the train clips, scikit-learn
``LogisticRegressionCV`` on the standardised train clips) is fitted on the train clips of
SocialWorld's action set and scored on its held-out clips, once with the backbone before
fine-tuning and once after. The difference (after − before) gets a paired bootstrap over
held-out clips.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from socalign.metrics import bootstrap, paired_bootstrap
from socalign.metrics.resampling import Interval, as_rng

C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def _logistic_cv(folds: int, seed: int) -> LogisticRegressionCV:
    """L2 logistic regression with C from :data:`C_GRID` by stratified-CV log loss."""
    options: dict[str, Any] = {}
    accepted = inspect.signature(LogisticRegressionCV).parameters
    if "l1_ratios" in accepted and "use_legacy_attributes" in accepted:  # scikit-learn >= 1.8
        options = {"l1_ratios": (0.0,), "use_legacy_attributes": False}
    return LogisticRegressionCV(
        Cs=list(C_GRID), cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        scoring="neg_log_loss", max_iter=2000, **options,
    )


def probe_accuracy(
    X: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray, cv: int = 3,
    seed: int = 0,
) -> np.ndarray:
    """Per-clip correctness (bool) on ``test`` of a logistic probe fitted on ``train``.

    Parameters
    ----------
    X
        (N, D) finite features, one row per clip.
    labels
        (N,) action labels.
    train, test
        Disjoint row indices.
    cv
        Folds of the search for C (at most the smallest class's train count, at least 2).
    seed
        Seed of the folds' shuffle.

    Returns
    -------
    numpy.ndarray
        (len(test),) bool. The probe standardises on the train clips, then
        ``LogisticRegressionCV`` picks C from :data:`C_GRID` by stratified-CV log loss (the
        folds see features standardised on all train clips) and refits on all of them.

    Raises
    ------
    ValueError
        Mismatched shapes, non-finite features, overlapping splits, fewer than two classes,
        or a class with a single train clip.
    """
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    if X.ndim != 2 or X.shape[0] != labels.shape[0]:
        raise ValueError(f"features {X.shape} do not match {labels.shape[0]} labels")
    if not np.isfinite(X).all():
        raise ValueError("features contain non-finite values")
    if np.intersect1d(train, test).size:
        raise ValueError("train and test clips overlap")
    classes, counts = np.unique(labels[train], return_counts=True)
    if classes.size < 2:
        raise ValueError("the train clips hold fewer than 2 action labels")
    folds = int(min(cv, counts.min()))
    if folds < 2:
        raise ValueError(f"label {classes[counts.argmin()]!r} has only {counts.min()} train clip(s)")
    model = make_pipeline(StandardScaler(), _logistic_cv(folds, seed))
    model.fit(X[train], labels[train])
    return model.predict(X[test]) == labels[test]


@dataclass(frozen=True)
class Retention:
    """Held-out action accuracy of a linear probe, before vs after fine-tuning."""

    accuracy_before: Interval
    accuracy_after: Interval
    difference: Interval
    n_train: int
    n_test: int
    n_classes: int
    names: tuple[str, str] = ("before", "after")

    @property
    def chance(self) -> float:
        return 1.0 / self.n_classes

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary."""
        return {
            "models": list(self.names),
            "accuracy": {
                self.names[0]: self.accuracy_before.to_dict(),
                self.names[1]: self.accuracy_after.to_dict(),
            },
            "difference": {"of": f"{self.names[1]} - {self.names[0]}", **self.difference.to_dict()},
            "chance": self.chance,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_classes": self.n_classes,
            "probe": "standardised features + logistic regression (C by CV log loss inside train clips)",
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per backbone (and one for the difference)."""
        rows = [
            {"model": name, "accuracy": iv.estimate, "ci_low": iv.low, "ci_high": iv.high,
             "unit": iv.unit, "n_boot": iv.n_boot}
            for name, iv in zip(self.names, (self.accuracy_before, self.accuracy_after), strict=True)
        ]
        d = self.difference
        rows.append({"model": f"{self.names[1]} - {self.names[0]}", "accuracy": d.estimate,
                     "ci_low": d.low, "ci_high": d.high, "unit": d.unit, "n_boot": d.n_boot})
        return pd.DataFrame(rows)


def retention_from_embeddings(
    before: np.ndarray,
    after: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    names: tuple[str, str] = ("before", "after"),
) -> Retention:
    """Retention from two embedding sets of the same clips (rows aligned with ``labels``).

    Parameters
    ----------
    before : numpy.ndarray
        (N, D) features of the clips from the backbone before fine-tuning.
    after : numpy.ndarray
        (N, D') features of the same clips, in the same order, after fine-tuning.
    labels : numpy.ndarray
        (N,) action labels.
    train : numpy.ndarray
        Row indices of the clips the probes are fitted on.
    test : numpy.ndarray
        Row indices of the held-out clips (disjoint from ``train``).
    n_boot : int, default 1000
        Bootstrap resamples of the held-out clips.
    seed : int or numpy.random.Generator, default 0
        Seed or Generator: one integer drawn from it seeds both probes' folds, then the stream
        draws the resamples.
    names : tuple of (str, str), default ("before", "after")
        The names of the two backbones in the result.

    Returns
    -------
    Retention
        Held-out accuracy of each probe and the paired difference (after - before), each
        with a bootstrap interval over held-out clips.

    Raises
    ------
    ValueError
        When ``before`` and ``after`` differ in clip count, or :func:`probe_accuracy` refuses
        the features.
    """
    before, after = np.asarray(before), np.asarray(after)
    if before.shape[0] != after.shape[0]:
        raise ValueError(f"before has {before.shape[0]} clips, after has {after.shape[0]}")
    rng = as_rng(seed)
    fit_seed = int(rng.integers(2**31))
    correct_b = probe_accuracy(before, labels, train, test, seed=fit_seed).astype(float)
    correct_a = probe_accuracy(after, labels, train, test, seed=fit_seed).astype(float)
    return Retention(
        accuracy_before=bootstrap(correct_b, n_boot, rng, unit="held-out clips", statistic="accuracy"),
        accuracy_after=bootstrap(correct_a, n_boot, rng, unit="held-out clips", statistic="accuracy"),
        difference=paired_bootstrap(correct_a, correct_b, n_boot, rng, unit="held-out clips"),
        n_train=int(np.size(train)),
        n_test=int(np.size(test)),
        n_classes=int(np.unique(np.asarray(labels)[train]).size),
        names=names,
    )


def embed_clip_files(
    files: Sequence[Path], backbone: str | Path | tuple[Any, Any], batch_size: int = 8,
    device: str | None = None,
) -> np.ndarray:
    """Pooled backbone features (N, D) of video files (decoded through the clip cache).

    Parameters
    ----------
    files : sequence of path-like
        The N video files, decoded with :func:`socalign.video.load_clips`.
    backbone : str or path-like or tuple of (torch.nn.Module, BackboneSpec)
        A name/folder for :func:`socalign.models.video.load_backbone`, or a loaded
        ``(model, spec)`` pair.
    batch_size : int, default 8
        Clips per forward pass.
    device : str or None, default None
        Where to load a named backbone (``load_backbone``'s default when None); a loaded pair
        stays where it is.

    Returns
    -------
    numpy.ndarray
        (N, D) float32 pooled features, in the order of ``files``.
    """
    import torch

    from socalign.models.video import forward_features, load_backbone, preprocess
    from socalign.video import load_clips

    model, spec = backbone if isinstance(backbone, tuple) else load_backbone(backbone, device=device)
    clips = load_clips(list(files), spec.n_frames)
    out = []
    with torch.inference_mode():
        for start in range(0, len(clips), batch_size):
            x = preprocess(clips[start : start + batch_size], spec)
            out.append(forward_features(model, spec, x).float().cpu().numpy())
    return np.concatenate(out)


def action_retention(
    actions_dir: Path | str,
    before: str | Path | tuple[Any, Any],
    after: str | Path | tuple[Any, Any],
    n_boot: int = 1000,
    seed: int = 0,
    names: tuple[str, str] = ("pretrained", "fine-tuned"),
) -> Retention:
    """Retention on SocialWorld's action set for two backbones (names/folders or loaded pairs,
    e.g. ``Run.open(run_dir).load_merged()``, :class:`socalign.train.runs.Run`).

    Parameters
    ----------
    actions_dir : path-like
        The action set folder (:func:`socalign.data.socialworld.read_action_set`); its
        ``train`` clips fit the probes, the others test them.
    before : str or path-like or tuple of (torch.nn.Module, BackboneSpec)
        The backbone before fine-tuning, as :func:`embed_clip_files` takes it.
    after : str or path-like or tuple of (torch.nn.Module, BackboneSpec)
        The backbone after fine-tuning, likewise.
    n_boot : int, default 1000
        Bootstrap resamples of the held-out clips.
    seed : int, default 0
        Seed of the probes' folds and of the resamples.
    names : tuple of (str, str), default ("pretrained", "fine-tuned")
        The names of the two backbones in the result.

    Returns
    -------
    Retention
        As :func:`retention_from_embeddings` gives it.

    Raises
    ------
    ValueError
        When the action set lacks train or held-out clips.
    """
    from socalign.data.socialworld import read_action_set

    actions = read_action_set(actions_dir)
    train = np.flatnonzero(actions.splits == "train")
    test = np.flatnonzero(actions.splits != "train")
    if not train.size or not test.size:
        raise ValueError(f"{actions_dir}: the action set needs train and held-out clips")
    emb_b = embed_clip_files(actions.files, before)
    emb_a = embed_clip_files(actions.files, after)
    return retention_from_embeddings(
        emb_b, emb_a, actions.labels, train, test, n_boot, seed, names
    )
